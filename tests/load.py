"""Question "load": load_mnist returns MNIST as raw arrays."""

import numpy as np
from otter.test_files import test_case

from grader.check_helpers import reached, require_array
from grader.config import load_config
from grader.datasets import load_mnist_arrays
from grader.diagnoses import diagnosis
from grader.exercises import perceptron

OK_FORMAT = False
name = "load"
points = load_config().questions[name].points

SPLITS = (("x_train", "y_train", 60000), ("x_test", "y_test", 10000))


def _split(load_mnist):
    data = load_mnist()
    assert isinstance(data, tuple | list) and len(data) == 2, diagnosis(
        "wrong_result",
        "load_mnist should return ((x_train, y_train), (x_test, y_test)), as "
        "keras.datasets.mnist.load_data() does.",
    )
    return data


@test_case(name="load: 60000 and 10000 raw 28x28 images with their labels", hidden=False)
def test_shapes(load_mnist):
    for (images_name, labels_name, count), (images, labels) in zip(
        SPLITS, _split(load_mnist), strict=False
    ):
        require_array(images, f"load_mnist's {images_name}")
        require_array(labels, f"load_mnist's {labels_name}")
        assert images.shape == (count, 28, 28), diagnosis(
            "wrong_data", f"{images_name} has shape {images.shape}; expected ({count}, 28, 28)."
        )
        assert images.dtype == np.uint8, diagnosis(
            "wrong_dtype",
            f"{images_name} has dtype {images.dtype}; expected the raw uint8 pixels. "
            "Leave the scaling to normalize.",
        )
        assert labels.shape == (count,), diagnosis(
            "wrong_data", f"{labels_name} has shape {labels.shape}; expected ({count},)."
        )
    (images, labels), _ = _split(load_mnist)
    (true_images, true_labels), _ = load_mnist_arrays()
    loaded = perceptron.what_was_loaded(images, true_images, "x_train")
    assert loaded is None, diagnosis("wrong_data", f"load_mnist's {loaded}.")
    assert np.array_equal(labels, true_labels), diagnosis(
        "wrong_data",
        f"y_train starts {labels[:8].tolist()}, MNIST's labels start {true_labels[:8].tolist()}: "
        "return the labels load_data() gives, in its order.",
    )
    reached("MNIST's 60,000 training and 10,000 test images, uint8, with their labels")


@test_case(name="load: the labels belong to their images", hidden=True)
def test_labels_match(load_mnist):
    (images, labels), (test_images, test_labels) = _split(load_mnist)
    (true_images, true_labels), _ = load_mnist_arrays()
    loaded = perceptron.what_was_loaded(images, true_images, "x_train")
    assert loaded is None, diagnosis("wrong_data", f"load_mnist's {loaded}.")
    assert np.array_equal(labels, true_labels), diagnosis(
        "wrong_data", "y_train is not MNIST's training labels in load_data()'s order."
    )
    assert set(np.unique(test_labels).tolist()) == set(range(10)), diagnosis(
        "wrong_data", "y_test does not hold all ten digits 0-9: it is not MNIST's test labels."
    )
    assert len(test_images) == len(test_labels), diagnosis(
        "wrong_data",
        f"x_test has {len(test_images)} images but y_test {len(test_labels)} labels; "
        "expected one label per image.",
    )
