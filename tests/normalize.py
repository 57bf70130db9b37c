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
    """Call normalize and compare with images / 255, naming the first thing that is off."""
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
        "expected the same shape: scale the pixels, don't flatten or drop images.",
    )
    unchanged = result.shape == original.shape and np.array_equal(result, original)
    assert not unchanged or not original.any(), diagnoses.diagnosis(
        "unnormalized_input",
        f"normalize returned the pixels unchanged (values 0 to {int(original.max())}). "
        "Divide the pixels by 255: return images.astype('float32') / 255.",
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
def test_scales(normalize):
    images = np.random.default_rng(11).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    images[0, 0, :2] = (0, 255)
    _expect_scaled(normalize, images)


@test_case(name="normalize: the images passed in are left unchanged", hidden=False)
def test_input_unchanged(normalize):
    images = np.full((2, 28, 28), 200, dtype=np.uint8)
    _expect_scaled(normalize, images)


@test_case(name="normalize: images it has never seen", hidden=True)
def test_unseen_images(normalize):
    images = np.random.default_rng(90125).integers(0, 256, size=(17, 28, 28), dtype=np.uint8)
    _expect_scaled(normalize, images)
