"""load_mnist is judged on what it returns, not its shapes: zeros, Fashion-MNIST or shuffled
images of the right shape and dtype fail with a sentence naming what was loaded."""

import gzip

import numpy as np
import pytest

from grader.datasets import fashion_mnist_dir, load_mnist_arrays
from grader.exercises import perceptron


@pytest.fixture(scope="module")
def mnist() -> np.ndarray:
    (images, _), _ = load_mnist_arrays()
    return images


def fashion_training_images() -> np.ndarray:
    with gzip.open(fashion_mnist_dir() / "train-images-idx3-ubyte.gz") as stream:
        data = stream.read()
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(-1, 28, 28)


def test_mnist_itself_passes(mnist):
    assert perceptron.what_was_loaded(mnist.copy(), mnist, "x_train") is None


def test_zeros_of_the_right_shape_are_named_a_stand_in(mnist):
    message = perceptron.what_was_loaded(np.zeros_like(mnist), mnist, "x_train")
    assert "every pixel of x_train is 0" in message


def test_fashion_mnist_is_named(mnist):
    message = perceptron.what_was_loaded(fashion_training_images(), mnist, "x_train")
    assert "Fashion-MNIST" in message and "fashion_mnist" in message


def test_shuffled_mnist_is_not_mnist_as_load_data_returns_it(mnist):
    shuffled = mnist[np.random.default_rng(0).permutation(len(mnist))]
    message = perceptron.what_was_loaded(shuffled, mnist, "x_train")
    assert "unshuffled" in message and "Fashion" not in message
