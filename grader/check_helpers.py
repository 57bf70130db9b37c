"""Helpers the checks in tests/ share; they run in the grader's process, never the student's."""

import contextvars
from collections.abc import Callable
from typing import Any

import numpy as np

from grader import diagnoses

MEAN_SQUARED_ERROR_NAMES = {"mse", "mean_squared_error", "MeanSquaredError"}

# What a passing case reached, said to the student beside the pass ("785 parameters").
_reached: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("reached", default=None)


def reached(text: str) -> None:
    """Note what the student's code reached: shown with the case when it passes (never for a
    hidden case). Outside the grader (stock otter) it does nothing."""
    notes = _reached.get()
    if notes is not None:
        notes.append(text)


def collecting_reached() -> tuple[list[str], contextvars.Token]:
    """Start collecting `reached` notes for one case; give the token back to `stop_reached`."""
    notes: list[str] = []
    return notes, _reached.set(notes)


def stop_reached(token: contextvars.Token) -> None:
    _reached.reset(token)


def build(build_perceptron: Callable[..., Any], *arguments: Any) -> Any:
    """Call build_perceptron, naming the lesson's own bug when the activation went to add()."""
    try:
        return build_perceptron(*arguments)
    except TypeError as error:
        if "activation" in str(error):
            raise AssertionError(diagnoses.activation_in_add(str(error))) from None
        raise


def parameter_count(model: Any) -> int:
    try:
        return int(model.count_params())
    except ValueError:
        raise AssertionError(
            diagnoses.diagnosis(
                "no_input_shape",
                "Your model has no input shape yet, so it has no weights to count. Start it with "
                "keras.Input(shape=(28, 28)).",
            )
        ) from None


def dense_layers(model: Any) -> list[Any]:
    return [layer for layer in model.layers if type(layer).__name__ == "Dense"]


def linear_unit_weights(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """The kernel (784, 1) and bias (1,) of the model's one Dense unit, as float64."""
    dense = dense_layers(model)
    weights = dense[0].get_weights() if len(dense) == 1 else []
    if len(weights) != 2 or np.asarray(weights[0]).size != 784:
        raise AssertionError(
            diagnoses.diagnosis(
                "wrong_parameter_count",
                "Your model's Dense layer does not hold 784 weights and a bias; expected "
                "Flatten() then Dense(1) on 28x28 images.",
            )
        )
    kernel = np.asarray(weights[0], dtype=np.float64).reshape(784, 1)
    return kernel, np.asarray(weights[1], dtype=np.float64).reshape(1)


def loss_name(model: Any) -> str:
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or type(loss).__name__


def model_input(model: Any, images: np.ndarray) -> np.ndarray:
    """Images laid out as the model takes them: a model over flattened pixels, shape (None,
    784), gets each 28x28 image as 784 numbers, just as the student's own pipeline feeds it."""
    shape = getattr(model, "input_shape", None)
    if not isinstance(shape, tuple) or len(images) == 0:
        return images
    trailing = shape[1:]
    if None in trailing or trailing == images.shape[1:]:
        return images
    if int(np.prod(trailing)) != images[0].size:
        return images  # a real mismatch: the model's own error will say so
    return images.reshape((len(images), *trailing))


def outputs(model: Any, inputs: np.ndarray) -> np.ndarray:
    inputs = model_input(model, np.asarray(inputs))
    return np.asarray(model.predict(inputs, verbose=0), dtype=np.float64)


def require_array(value: Any, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise AssertionError(
            diagnoses.diagnosis(
                "wrong_result", f"{what} returned {type(value).__name__}; expected a numpy array."
            )
        )
    return value


# Mean pixel value of the first 2,000 training images: MNIST's digits are mostly black.
MNIST_MEAN_PIXEL = 33.2
FASHION_MEAN_PIXEL = 72.9


def what_was_loaded(images: np.ndarray, expected: np.ndarray, name: str) -> str | None:
    """None when `images` are the `expected` MNIST images; otherwise a sentence naming what
    they look like instead (zeros, a constant, Fashion-MNIST, other images)."""
    if images.shape == expected.shape and np.array_equal(images, expected):
        return None
    sample = np.asarray(images[:2000], dtype=np.float64)
    if sample.size and sample.min() == sample.max():
        return f"every pixel of {name} is {sample.min():g}: a stand-in, not MNIST's images"
    mean = float(sample.mean()) if sample.size else 0.0
    if abs(mean - FASHION_MEAN_PIXEL) < 3:
        return (
            f"{name} look like Fashion-MNIST's clothing images (mean pixel {mean:.1f}; MNIST's "
            f"digits average {MNIST_MEAN_PIXEL}): load keras.datasets.mnist, not fashion_mnist"
        )
    return (
        f"{name} are not MNIST's images as keras.datasets.mnist.load_data() returns them "
        f"(mean pixel {mean:.1f}, MNIST's {MNIST_MEAN_PIXEL}); return them unchanged, unshuffled"
    )
