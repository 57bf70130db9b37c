"""What the grader needs of the perceptron exercise (config.toml names this file).

The sandboxed child trains on MNIST's training images only (`training_split`). The grader
judges on MNIST's 10,000 test images (`heldout_set`), which never enter the sandbox: there,
keras' loader serves `sandbox_view`, whose test split is a stand-in drawn from the training set.
Also here: the exercise's own mistakes and the TA's sentences for them, which its check files
(tests/) import as `from grader.exercises import perceptron`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader import datasets, keras_errors
from grader.check_helpers import (
    apply_pixel_scaling,
    dense_layers,
    laid_out_like,
    outputs,
    passed_on,
    pixel_ramp,
    require_array,
    stand_in_history,
)
from grader.config import Config, load_config
from grader.datasets import grading_split, heldout_copy, load_mnist_arrays
from grader.diagnoses import Diagnosis, Kind, diagnosis, register_kinds
from grader.errors import GraderError

KERAS_DATASET = "mnist"
TARGET_DIGIT = 5
WEIGHTS_PER_IMAGE = 28 * 28
PERCEPTRON_PARAMETERS = WEIGHTS_PER_IMAGE + 1

# The perceptron's own mistakes, listed in the report after the engine's common ones.
register_kinds(
    Kind("wrong_labels", "is_five gives wrong labels"),
    Kind("wrong_parameter_count", "Model does not have 785 parameters"),
    Kind("ten_units", "Built Dense(10), the 10-class model"),
    Kind("hidden_layer", "Added a hidden layer"),
    Kind("activation_in_add", "Passed the activation to model.add()"),
    Kind("missing_sigmoid", "Outputs not squashed into [0, 1]"),
    Kind("constant_output", "Outputs the same value for every image"),
    Kind("constant_predictor", "Model answers 'not five' for everything"),
)

# Keras errors this exercise's students meet, said for this exercise (grader.keras_errors says
# the rest): labels are one number per image, so the model ends in one unit.
KERAS_ERRORS = (
    (
        keras_errors.INCOMPATIBLE_SHAPES,
        lambda m: (
            f"the model gives {m[2] or m[4]} numbers per image but each label is one number. "
            "A 'five or not' model ends in one unit: Dense(1)."
        ),
    ),
    (
        keras_errors.SHAPE_MISMATCH,
        lambda m: (
            f"the labels have shape ({m[1]}) but the model's outputs ({m[2]}): one label "
            "and one output per image, so the model ends in Dense(1)."
        ),
    ),
    (
        keras_errors.NOT_ARRAYS,
        lambda m: (
            "model.fit() was given data it cannot read (a Python list, or another type): pass "
            "numpy arrays, as normalize and is_five return them."
        ),
    ),
)


def training_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val): raw MNIST training images split by the config."""
    return grading_split(load_mnist_arrays(), load_config().data)


def heldout_set() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's test images and digits: what grading judges on, never shown to the sandbox."""
    return heldout_copy(load_mnist_arrays())


def majority_baseline(digits: np.ndarray) -> float:
    """Accuracy of always answering "not five" on these digits."""
    return float(np.mean(digits != TARGET_DIGIT))


def sandbox_view() -> dict[str, np.ndarray]:
    """The MNIST arrays keras' loader returns inside the sandbox: no real test images."""
    return datasets.sandbox_view(load_mnist_arrays())


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
    # Only handed to train: they stay in the sandbox (157 MB the grader never reads).
    inputs, targets = passed_on(normalize(x_train.copy())), is_five(y_train.copy())
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
    """The exercise's typical mistakes (mistakes.py beside this file), each written as an
    example submission by `grader template`. Staff only: a student release never ships them."""
    from grader.course.examples import load_mistakes

    return load_mistakes(Path(__file__).with_name("mistakes.py"))


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


# ---- The perceptron's own checks' helpers, and what a TA says of its mistakes ---------------


def build(build_perceptron: Callable[..., Any], *arguments: Any) -> Any:
    """Call build_perceptron, naming the lesson's own bug when the activation went to add()."""
    try:
        return build_perceptron(*arguments)
    except TypeError as error:
        if "activation" in str(error):
            raise AssertionError(activation_in_add(str(error))) from None
        raise


def linear_unit_weights(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """The kernel (784, 1) and bias (1,) of the model's one Dense unit, as float64."""
    dense = dense_layers(model)
    weights = dense[0].get_weights() if len(dense) == 1 else []
    if len(weights) != 2 or np.asarray(weights[0]).size != WEIGHTS_PER_IMAGE:
        raise AssertionError(
            diagnosis(
                "wrong_parameter_count",
                "Your model's Dense layer does not hold 784 weights and a bias; expected "
                "Flatten() then Dense(1) on 28x28 images.",
            )
        )
    kernel = np.asarray(weights[0], dtype=np.float64).reshape(WEIGHTS_PER_IMAGE, 1)
    return kernel, np.asarray(weights[1], dtype=np.float64).reshape(1)


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


def wrong_parameter_count(count: int) -> Diagnosis:
    if count == 10 * PERCEPTRON_PARAMETERS:
        return diagnosis(
            "ten_units",
            f"Your model has {count} parameters, the count of Dense(10): one unit per digit. This "
            f"exercise asks for one unit answering 'five or not': Dense(1) has 28·28 + 1 = "
            f"{PERCEPTRON_PARAMETERS} parameters.",
        )
    return diagnosis(
        "wrong_parameter_count",
        f"Your model has {count} parameters; expected 28·28 weights + 1 bias = "
        f"{PERCEPTRON_PARAMETERS}: Flatten the 28x28 image into one Dense(1) unit, nothing else.",
    )


def missing_sigmoid(low: float, high: float) -> Diagnosis:
    return diagnosis(
        "missing_sigmoid",
        f"build_perceptron('sigmoid') produced outputs from {low:.3g} to {high:.3g}; "
        "expected every output in [0, 1]. Pass the activation to the Dense layer: "
        "Dense(1, activation=activation).",
    )


def constant_output(value: float) -> Diagnosis:
    return diagnosis(
        "constant_output",
        f"build_perceptron('sigmoid') gave {value:.3g} for every image: its output does not "
        "depend on the pixels. A softmax over one unit always gives 1 (it divides the unit by "
        "itself); one 'five or not' unit needs activation='sigmoid'.",
    )


def activation_in_add(message: str) -> Diagnosis:
    return diagnosis(
        "activation_in_add",
        f"build_perceptron raised TypeError: {message}. The activation goes inside Dense(...): "
        "model.add(Dense(1, activation=activation)), not model.add(Dense(1), activation=...).",
    )


def constant_predictor(accuracy: float, baseline: float) -> Diagnosis:
    return diagnosis(
        "constant_predictor",
        f"Your trained model answers 'not five' for every image: accuracy {accuracy:.4f} "
        f"equals the {baseline:.4f} you get by never saying 'five'. Check that the pixels are "
        "scaled to [0, 1] and that the output has a sigmoid.",
    )
