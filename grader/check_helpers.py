"""Helpers any exercise's checks share; they run in the grader's process, never the student's.

What one exercise alone needs (the perceptron's 785 parameters, say) lives in its own exercise
module, beside its config.
"""

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from types import SimpleNamespace
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


# While the plan is recorded: how a check marks a result it only passes on (see passed_on).
_passing_on: contextvars.ContextVar[Callable[[Any], None] | None] = contextvars.ContextVar(
    "passing_on", default=None
)


def passed_on(value: Any) -> Any:
    """`value`, a student function's whole result, which this check only passes on to the
    student's later calls and never reads itself (the normalized training images handed to
    train). The grader then leaves it in the sandbox instead of reading it back: 157 MB of the
    grader's memory per submission, for the perceptron. A check that reads such a value
    anyway fails as a grader error naming it. Outside the grader (stock otter) it does
    nothing."""
    mark = _passing_on.get()
    if mark is not None:
        mark(value)
    return value


@contextlib.contextmanager
def marking_passed_on(mark: Callable[[Any], None]) -> Iterator[None]:
    """While the plan is recorded, `passed_on` tells `mark` which values are passed on."""
    token = _passing_on.set(mark)
    try:
        yield
    finally:
        _passing_on.reset(token)


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


# Keras predicts 32 images a step by default, and a step's fixed cost dominates a model this
# small: the perceptron over 10,000 images took 0.30-0.44 s of CPU at 32 a step and 0.10-0.12 s
# at 256, with identical outputs. A step's memory grows with the batch times the model's widest
# layer, so the batch is the largest that keeps one step's activations (a layer's input and
# output, float32) within this budget, between Keras's default and 1024.
PREDICT_STEP_BYTES = 64 * 2**20
DEFAULT_PREDICT_BATCH = 32
LARGEST_PREDICT_BATCH = 1024


def predict_batch_size(model: Any, inputs: np.ndarray) -> int:
    """Images per prediction step: Keras's default unless every layer's output size is known."""
    widths = [int(np.prod(inputs.shape[1:]))]
    try:
        widths += [int(np.prod(layer.output.shape[1:])) for layer in model.layers]
    except Exception:  # a layer never called, or a shape with an unknown size: the default
        return DEFAULT_PREDICT_BATCH
    per_image = 2 * 4 * max(1, *widths)
    return min(LARGEST_PREDICT_BATCH, max(DEFAULT_PREDICT_BATCH, PREDICT_STEP_BYTES // per_image))


def outputs(model: Any, inputs: np.ndarray) -> np.ndarray:
    inputs = model_input(model, np.asarray(inputs))
    batch_size = predict_batch_size(model, inputs)
    return np.asarray(model.predict(inputs, verbose=0, batch_size=batch_size), dtype=np.float64)


def require_array(value: Any, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise AssertionError(
            diagnoses.diagnosis(
                "wrong_result", f"{what} returned {type(value).__name__}; expected a numpy array."
            )
        )
    return value


# ---- Images the student's code never saw: scaled and laid out as their pipeline does --------

PIXEL_LEVELS = 256
IMAGE_SHAPE = (28, 28)


@functools.cache
def pixel_ramp() -> np.ndarray:
    """One image holding every pixel value 0..255 once (then zeros), read-only."""
    ramp = np.zeros(IMAGE_SHAPE[0] * IMAGE_SHAPE[1], dtype=np.uint8)
    ramp[:PIXEL_LEVELS] = np.arange(PIXEL_LEVELS, dtype=np.uint8)
    ramp = ramp.reshape(1, *IMAGE_SHAPE)
    ramp.flags.writeable = False
    return ramp


def apply_pixel_scaling(scaled_ramp: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Scale images the way the student's normalize scaled the ramp, one pixel value at a time.

    This applies the student's scaling to images their code never sees.
    """
    lookup = np.asarray(scaled_ramp).reshape(-1)[:PIXEL_LEVELS]
    return lookup[images]


def laid_out_like(images: np.ndarray, validation_inputs: Any) -> np.ndarray:
    """Held-out images laid out as the student's normalize laid out the validation images
    (flattened, say), so the trained model takes them as it took those."""
    layout = np.shape(validation_inputs)[1:]
    if layout and int(np.prod(layout)) == images[0].size:
        return images.reshape((len(images), *layout))
    return images


def stand_in_history(*arguments: Any, **keywords: Any) -> SimpleNamespace:
    """What a `train` answers while the plan is recorded: a History's shape, no training."""
    metrics = ("loss", "accuracy", "val_loss", "val_accuracy")
    return SimpleNamespace(history={name: [0.0] for name in metrics}, epoch=[0], params={})
