"""Question "normalize": pixels scaled into [0, 1] as float32, the input left alone."""

import numpy as np
from otter.test_files import test_case

from grader import diagnoses
from grader.check_helpers import reached, require_array
from grader.config import load_config

OK_FORMAT = False
name = "normalize"
points = load_config().questions[name].points


def _expect_scaled(normalize, images):
    original = images.copy()
    result = require_array(normalize(images), "normalize")
    assert np.array_equal(images, original), diagnoses.diagnosis(
        "modifies_input",
        "normalize changed the array it was given; expected it left unchanged. Return a new "
        "array (images.astype('float32') / 255) instead of dividing in place.",
    )
    assert result.shape == images.shape, diagnoses.diagnosis(
        "wrong_result",
        f"normalize returned shape {result.shape} for images of shape {images.shape}; "
        "expected the same shape.",
    )
    if result.size and float(result.max()) > 1:
        raise AssertionError(diagnoses.unnormalized_input(float(result.max()), str(result.dtype)))
    assert result.dtype == np.float32, diagnoses.diagnosis(
        "wrong_dtype",
        f"normalize returned dtype {result.dtype}; expected float32: "
        "images.astype('float32') / 255.",
    )
    assert np.allclose(result, original / 255, atol=1e-6), diagnoses.diagnosis(
        "unnormalized_input",
        "normalize's values are in [0, 1] but differ from images / 255; expected each pixel "
        "divided by 255, the largest pixel value.",
    )
    reached(f"float32 values from {float(result.min()):g} to {float(result.max()):g}")


@test_case(name="normalize: float32 values in [0, 1], equal to images / 255", hidden=False)
def test_ramp(normalize):
    _expect_scaled(normalize, np.arange(256, dtype=np.uint8).reshape(1, 16, 16).repeat(2, 0))


@test_case(name="normalize: images it has never seen", hidden=True)
def test_unseen(normalize):
    rng = np.random.default_rng(2024)
    _expect_scaled(normalize, rng.integers(0, 256, size=(13, 28, 28), dtype=np.uint8))
