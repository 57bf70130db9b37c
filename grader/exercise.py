"""The data every check and sandbox shares: how MNIST is split for grading, and probe helpers.

The sandboxed child trains on MNIST's training images only (`training_split`). The grader
judges on MNIST's 10,000 test images (`heldout_set`), which never enter the sandbox: there,
keras' loader serves `sandbox_view`, whose test split is a stand-in drawn from the training set.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from grader.check_helpers import build, outputs, require_array
from grader.config import Config, load_config
from grader.datasets import load_mnist_arrays
from grader.errors import GraderError

TARGET_DIGIT = 5
PIXEL_LEVELS = 256
IMAGE_SHAPE = (28, 28)


def training_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val): raw MNIST training images split by the config."""
    (images, digits), _ = load_mnist_arrays()
    size = load_config().data.train_size
    # Copies: a student's function that changes its input must not change the grader's data.
    return images[:size].copy(), digits[:size].copy(), images[size:].copy(), digits[size:].copy()


def heldout_set() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's test images and digits: what grading judges on, never shown to the sandbox."""
    _, (images, digits) = load_mnist_arrays()
    return images.copy(), digits.copy()


def majority_baseline(digits: np.ndarray) -> float:
    """Accuracy of always answering "not five" on these digits."""
    return float(np.mean(digits != TARGET_DIGIT))


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


def sandbox_view() -> dict[str, np.ndarray]:
    """The MNIST arrays keras' loader returns inside the sandbox: no real test images."""
    (images, digits), (test_images, _) = load_mnist_arrays()
    stand_in = slice(len(images) - len(test_images), len(images))
    return {
        "x_train": images,
        "y_train": digits,
        "x_test": images[stand_in],
        "y_test": digits[stand_in],
    }


def stand_in_history(*arguments: Any, **keywords: Any) -> SimpleNamespace:
    """What `train` answers while planning: the shape of a History, without the training."""
    metrics = ("loss", "accuracy", "val_loss", "val_accuracy")
    return SimpleNamespace(history={name: [0.0] for name in metrics}, epoch=[0], params={})


# While the grader plans its calls, these answer instead of the reference solution: planning
# needs the calls, not a trained model, and must never reach the network.
PLANNING_STAND_INS: dict[str, Callable[..., Any]] = {
    "train": stand_in_history,
    "load_mnist": load_mnist_arrays,
}


@dataclass(frozen=True)
class HeldoutMetrics:
    accuracy: float
    recall: float
    predicted_fives: int
    baseline: float


@dataclass(frozen=True)
class TrainedPipeline:
    """What the student's pipeline produced: the trained model and what it was given."""

    model: Any
    history: Any
    scaled_ramp: Any  # normalize applied to every pixel value, to scale images it never sees
    validation_inputs: Any  # normalize(x_val)
    validation_digits: np.ndarray


def train_pipeline(
    normalize: Callable, is_five: Callable, build_perceptron: Callable, train: Callable, epochs: int
) -> TrainedPipeline:
    """The student's pipeline end to end, trained on the grading split.

    Every student call comes before any judgement, so the grader's plan sees all of them.
    """
    x_train, y_train, x_val, y_val = training_split()
    # The student's functions get copies: one that writes into its argument (is_five setting
    # every digit to 0, say) must not change the digits the grader scores against.
    inputs, targets = normalize(x_train.copy()), is_five(y_train.copy())
    validation_inputs = normalize(x_val.copy())
    validation_targets = is_five(y_val.copy())
    scaled_ramp = normalize(pixel_ramp().copy())
    model = build(build_perceptron, "sigmoid")
    history = train(model, inputs, targets, validation_inputs, validation_targets, epochs=epochs)
    return TrainedPipeline(model, history, scaled_ramp, validation_inputs, y_val)


def _five_predictions(model: Any, inputs: Any) -> np.ndarray:
    return outputs(model, np.asarray(inputs, dtype=np.float32)).reshape(-1) >= 0.5


def _metrics(predicted_five: np.ndarray, digits: np.ndarray) -> HeldoutMetrics:
    actual_five = digits == TARGET_DIGIT
    return HeldoutMetrics(
        accuracy=float(np.mean(predicted_five == actual_five)),
        recall=float(np.mean(predicted_five[actual_five])),
        predicted_fives=int(predicted_five.sum()),
        baseline=majority_baseline(digits),
    )


def validation_metrics(pipeline: TrainedPipeline) -> HeldoutMetrics:
    """The trained model measured by the grader on the validation images, as the student scaled
    them: what the student's History should report, computed rather than taken on trust."""
    inputs = require_array(pipeline.validation_inputs, "normalize")
    return _metrics(_five_predictions(pipeline.model, inputs), pipeline.validation_digits)


def heldout_metrics(pipeline: TrainedPipeline) -> HeldoutMetrics:
    """Accuracy and recall on fives of the trained model on MNIST's test images."""
    images, digits = heldout_set()
    scaled = apply_pixel_scaling(require_array(pipeline.scaled_ramp, "normalize"), images)
    # Laid out as the student's normalize lays out the validation images (flattened, say).
    scaled = laid_out_like(scaled, pipeline.validation_inputs)
    return _metrics(_five_predictions(pipeline.model, scaled), digits)


def figures() -> dict[str, str]:
    """The exercise's figures for its documents (grader.course.figures): what always answering "not
    five" scores on the validation images the self-check reports against, and on MNIST's test
    images the grader judges on."""
    _, _, _, validation_digits = training_split()
    _, test_digits = heldout_set()
    return {
        "validation_baseline": f"{majority_baseline(validation_digits):.4f}",
        "test_baseline": f"{majority_baseline(test_digits):.4f}",
    }


def mistakes() -> tuple:
    """The exercise's typical mistakes, each written as an example submission by `grader
    template` (staff only: they are edits of the reference solution)."""
    from grader.course.examples import MISTAKES

    return MISTAKES


# ---- Calibration (grader calibrate): which runs, what is measured, against which limits ------

# The student's functions the pipeline calls, in train_pipeline's order.
CALIBRATION_PIPELINE = ("normalize", "is_five", "build_perceptron", "train")
# Each variant is the reference with these example mistakes applied.
CALIBRATION_VARIANTS: dict[str, tuple[str, ...]] = {
    "reference": (),
    "no_sigmoid": ("no_sigmoid",),
    "unnormalized": ("unnormalized",),
    "raw_no_sigmoid": ("unnormalized", "no_sigmoid"),
}


def calibration_metrics(functions: list[Callable], epochs: int) -> dict[str, float]:
    """What grading judges a trained pipeline by: held-out accuracy and recall on fives."""
    metrics = heldout_metrics(train_pipeline(*functions, epochs=epochs))
    return {"accuracy": metrics.accuracy, "recall": metrics.recall}


def calibration_limits(config: Config) -> dict[str, tuple[float, float]]:
    """Each metric's threshold and the margin calibration requires on either side of it."""
    accuracy, calibration = config.accuracy, config.calibration
    assert accuracy is not None and calibration is not None
    assert accuracy.threshold is not None and accuracy.recall_floor is not None
    if calibration.recall_margin is None:
        raise GraderError(
            "[calibration] needs recall_margin: the perceptron is also judged by its recall on "
            "fives (accuracy.recall_floor)."
        )
    return {
        "accuracy": (accuracy.threshold, calibration.accuracy_margin),
        "recall": (accuracy.recall_floor, calibration.recall_margin),
    }
