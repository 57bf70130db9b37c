"""What the grader needs of the Fashion-MNIST project (config.toml names this file).

The sandboxed child trains on Fashion-MNIST's training images only (`training_split`); the
grader judges on the 10,000 test images (`heldout_set`), which never enter the sandbox: there,
keras' loader serves `sandbox_view`, whose test split is a stand-in drawn from the training set.
Check files import it as `from grader.exercises import fashion`.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader import datasets, keras_errors
from grader.check_helpers import (
    apply_pixel_scaling,
    laid_out_like,
    outputs,
    passed_on,
    pixel_ramp,
    require_array,
    stand_in_history,
)
from grader.config import Config, load_config
from grader.datasets import grading_split, heldout_copy, load_fashion_arrays
from grader.diagnoses import Kind, diagnosis, register_kinds

KERAS_DATASET = "fashion_mnist"
CLASSES = 10
PARAMETERS = 28 * 28 * CLASSES + CLASSES  # Dense(10) over the flattened image: 7,850

register_kinds(
    Kind("wrong_class_count", "Model does not have 7,850 parameters"),
    Kind("one_unit", "Kept the lesson's Dense(1)"),
    Kind("no_softmax", "Outputs are not probabilities (no softmax)"),
    Kind("integer_labels", "Labels are not one-hot"),
    Kind("wrong_loss", "Not compiled with categorical crossentropy"),
)

# Keras errors this project's students meet, said for ten classes (grader.keras_errors says the
# rest): each label is a one-hot row of 10, and the model gives 10 probabilities per image.
KERAS_ERRORS = (
    (
        keras_errors.RANK_MISMATCH,
        lambda m: (
            f"the labels have shape ({m[1]}), one class number per image, but categorical "
            f"crossentropy compares each image's {CLASSES} probabilities ({m[2]}) with a one-hot "
            f"row of {CLASSES}: train on one_hot's rows, keras.utils.to_categorical(labels, "
            f"{CLASSES})."
        ),
    ),
    (
        keras_errors.SHAPE_MISMATCH,
        lambda m: (
            f"the labels have shape ({m[1]}) but the model's outputs ({m[2]}): ten classes "
            f"need {CLASSES} outputs per image, one per class: end the model in "
            f"Dense({CLASSES}, activation='softmax')."
        ),
    ),
)


def training_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val): raw training images split by the config (copies)."""
    return grading_split(load_fashion_arrays(), load_config().data)


def heldout_set() -> tuple[np.ndarray, np.ndarray]:
    """The test images and labels: what grading judges on, never shown to the sandbox."""
    return heldout_copy(load_fashion_arrays())


def sandbox_view() -> dict[str, np.ndarray]:
    """What keras.datasets.fashion_mnist.load_data() returns in the sandbox: no test images."""
    return datasets.sandbox_view(load_fashion_arrays())


# While the plan is recorded these answer instead of the reference: no training, no download.
PLANNING_STAND_INS = {"train": stand_in_history, "load_fashion": load_fashion_arrays}


@dataclass(frozen=True)
class TrainedPipeline:
    model: Any
    history: Any
    scaled_ramp: Any  # normalize applied to every pixel value, to scale images it never sees
    validation_inputs: Any
    validation_labels: np.ndarray


def train_pipeline(normalize, one_hot, build_classifier, train, epochs: int) -> TrainedPipeline:
    """The student's pipeline end to end on the grading split; every student call comes before
    any judgement, so the grader's plan sees them all."""
    x_train, y_train, x_val, y_val = training_split()
    # Only handed to train: they stay in the sandbox (157 MB the grader never reads).
    inputs, targets = passed_on(normalize(x_train.copy())), one_hot(y_train.copy())
    validation_inputs = normalize(x_val.copy())
    validation_targets = one_hot(y_val.copy())
    scaled_ramp = normalize(pixel_ramp().copy())
    model = build_classifier()
    history = train(model, inputs, targets, validation_inputs, validation_targets, epochs=epochs)
    return TrainedPipeline(model, history, scaled_ramp, validation_inputs, y_val)


def _accuracy(model: Any, inputs: np.ndarray, labels: np.ndarray) -> float:
    predicted = outputs(model, np.asarray(inputs, dtype=np.float32))
    if predicted.ndim != 2 or predicted.shape[1] != CLASSES:
        raise AssertionError(
            diagnosis(
                "wrong_result",
                f"The model gives outputs of shape {predicted.shape[1:]} per image; expected "
                f"{CLASSES} numbers, one per class: end with Dense({CLASSES}, "
                "activation='softmax').",
            )
        )
    return float(np.mean(predicted.argmax(axis=1) == labels))


def validation_accuracy(pipeline: TrainedPipeline) -> float:
    """The trained model's accuracy on the validation images as the student scaled them."""
    inputs = require_array(pipeline.validation_inputs, "normalize")
    return _accuracy(pipeline.model, inputs, pipeline.validation_labels)


def heldout_accuracy(pipeline: TrainedPipeline) -> float:
    """The trained model's accuracy on the test images, scaled as the student's normalize."""
    images, labels = heldout_set()
    scaled = apply_pixel_scaling(require_array(pipeline.scaled_ramp, "normalize"), images)
    return _accuracy(pipeline.model, laid_out_like(scaled, pipeline.validation_inputs), labels)


# ---- Calibration (grader calibrate --assignment fashion) ------------------------------------

CALIBRATION_PIPELINE = ("normalize", "one_hot", "build_classifier", "train")
# The mistakes that train and must miss the threshold (the others fail before accuracy counts).
CALIBRATION_VARIANTS: dict[str, tuple[str, ...]] = {
    "reference": (),
    "unnormalized": ("unnormalized",),
    "no_softmax": ("no_softmax",),
}


def calibration_metrics(functions: list, epochs: int) -> dict[str, float]:
    """What grading judges a trained classifier by: its accuracy on the test images."""
    return {"accuracy": heldout_accuracy(train_pipeline(*functions, epochs=epochs))}


def calibration_limits(config: Config) -> dict[str, tuple[float, float]]:
    """The test-accuracy threshold and the margin calibration requires on either side of it."""
    assert config.accuracy is not None and config.accuracy.threshold is not None
    assert config.calibration is not None
    return {"accuracy": (config.accuracy.threshold, config.calibration.accuracy_margin)}


def mistakes() -> tuple:
    """The project's typical mistakes (mistakes.py beside this file; staff only: edits of the
    reference solution)."""
    from grader.course.examples import load_mistakes

    return load_mistakes(Path(__file__).with_name("mistakes.py"))


def figures() -> dict[str, str]:
    """The project's own figures for its documents."""
    return {"parameters": f"{PARAMETERS:,}", "chance": f"{1 / CLASSES:.2f}"}
