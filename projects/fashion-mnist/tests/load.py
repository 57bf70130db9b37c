"""Question "load": load_fashion returns Fashion-MNIST as raw arrays."""

import numpy as np
from otter.test_files import test_case

from grader.check_helpers import reached, require_array
from grader.config import load_config
from grader.datasets import load_fashion_arrays, load_mnist_arrays
from grader.diagnoses import diagnosis

OK_FORMAT = False
name = "load"
points = load_config().questions[name].points

SPLITS = (("x_train", "y_train", 60000), ("x_test", "y_test", 10000))


def _split(load_fashion):
    data = load_fashion()
    assert isinstance(data, tuple | list) and len(data) == 2, diagnosis(
        "wrong_result",
        "load_fashion should return ((x_train, y_train), (x_test, y_test)), as "
        "keras.datasets.fashion_mnist.load_data() does.",
    )
    return data


@test_case(name="load: 60000 and 10000 raw 28x28 images with their labels", hidden=False)
def test_shapes(load_fashion):
    for (images_name, labels_name, count), (images, labels) in zip(
        SPLITS, _split(load_fashion), strict=False
    ):
        images = require_array(images, f"load_fashion's {images_name}")
        labels = require_array(labels, f"load_fashion's {labels_name}")
        assert images.shape == (count, 28, 28), diagnosis(
            "wrong_data", f"{images_name} has shape {images.shape}; expected ({count}, 28, 28)."
        )
        assert images.dtype == np.uint8, diagnosis(
            "wrong_dtype",
            f"{images_name} has dtype {images.dtype}; expected the raw uint8 pixels: scaling "
            "is normalize's job.",
        )
        assert labels.shape == (count,), diagnosis(
            "wrong_data", f"{labels_name} has shape {labels.shape}; expected ({count},)."
        )
    reached("60,000 training and 10,000 test images, uint8, with their labels")


@test_case(name="load: the Fashion-MNIST training images, not the digits", hidden=True)
def test_content(load_fashion):
    (images, labels), _ = _split(load_fashion)
    images, labels = require_array(images, "x_train"), require_array(labels, "y_train")
    (fashion, fashion_labels), _ = load_fashion_arrays()
    (digits, _), _ = load_mnist_arrays()
    assert not (images.shape == digits.shape and np.array_equal(images[:100], digits[:100])), (
        diagnosis(
            "wrong_data",
            "load_fashion returned the MNIST digits; expected the clothing pictures: "
            "keras.datasets.fashion_mnist.load_data().",
        )
    )
    same = images.shape == fashion.shape and np.array_equal(images, fashion)
    assert same and np.array_equal(labels, fashion_labels), diagnosis(
        "wrong_data",
        "load_fashion's training images or labels differ from Fashion-MNIST's; return "
        "keras.datasets.fashion_mnist.load_data() unchanged.",
    )
