"""Question "labels": one_hot turns class numbers into float32 one-hot rows."""

import numpy as np
from otter.test_files import test_case

from grader.check_helpers import reached, require_array
from grader.config import load_config
from grader.diagnoses import diagnosis

OK_FORMAT = False
name = "labels"
points = load_config().questions[name].points
CLASSES = 10


def _expect_one_hot(one_hot, labels):
    expected = np.eye(CLASSES, dtype=np.float32)[labels]
    result = require_array(one_hot(labels.copy()), "one_hot")
    assert result.shape == expected.shape, diagnosis(
        "integer_labels" if result.shape == labels.shape else "wrong_result",
        f"one_hot returned shape {result.shape} for {len(labels)} labels; expected "
        f"{expected.shape}: one row of {CLASSES} per label, 1.0 in the label's column. "
        "categorical_crossentropy compares each output row with such a row: "
        "keras.utils.to_categorical(labels, 10).",
    )
    assert np.array_equal(result.astype(np.float64), expected), diagnosis(
        "integer_labels",
        f"one_hot({labels[:4].tolist()}...) returned rows {result[:2].tolist()}...; expected "
        "1.0 in the label's column and 0.0 elsewhere.",
    )
    assert result.dtype == np.float32, diagnosis(
        "wrong_dtype",
        f"one_hot returned dtype {result.dtype}; expected float32: .astype('float32').",
    )
    reached(f"{len(result)} rows of {CLASSES}, float32")


@test_case(name="labels: one-hot rows of 10 for classes 0 to 9", hidden=False)
def test_small(one_hot):
    _expect_one_hot(one_hot, np.array([9, 0, 3, 2, 7], dtype=np.uint8))


@test_case(name="labels: labels it has never seen", hidden=True)
def test_unseen(one_hot):
    _expect_one_hot(one_hot, np.random.default_rng(77).integers(0, 10, size=501, dtype=np.uint8))
