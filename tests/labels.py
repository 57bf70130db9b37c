"""Question "labels": is_five turns digits into 1.0 for five and 0.0 for anything else."""

import numpy as np
from otter.test_files import test_case

from grader.check_helpers import reached, require_array
from grader.config import load_config
from grader.diagnoses import diagnosis

OK_FORMAT = False
name = "labels"
points = load_config().questions[name].points


def _expect_labels(is_five, digits):
    expected = (digits == 5).astype(np.float32)  # before the call, which may change `digits`
    result = require_array(is_five(digits.copy()), "is_five")
    assert result.shape == digits.shape, diagnosis(
        "wrong_result", f"is_five returned shape {result.shape}; expected {digits.shape}."
    )
    assert np.array_equal(result.astype(np.float64), expected), diagnosis(
        "wrong_labels",
        f"is_five({digits[:8].tolist()}...) returned {result[:8].tolist()}...; expected "
        f"{expected[:8].tolist()}...: 1.0 exactly where the digit is 5.",
    )
    assert result.dtype == np.float32, diagnosis(
        "wrong_dtype",
        f"is_five returned dtype {result.dtype}; expected float32: "
        "(digits == 5).astype('float32').",
    )
    reached(f"{int(result.sum())} fives among {len(result)} digits, float32")


@test_case(name="labels: 1.0 for fives, 0.0 for other digits", hidden=False)
def test_small_example(is_five):
    _expect_labels(is_five, np.array([0, 5, 3, 5, 9, 1], dtype=np.uint8))


@test_case(name="labels: digits it has never seen", hidden=True)
def test_unseen_digits(is_five):
    _expect_labels(is_five, np.random.default_rng(5150).integers(0, 10, size=997, dtype=np.uint8))
