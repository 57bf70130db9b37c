"""Question "accuracy": the student's own pipeline, trained by the grader, recognises fives.

The pipeline is theirs end to end: normalize, is_five, build_perceptron("sigmoid") and train,
for the config's number of epochs. It is judged on MNIST's test images, which the student's code
never sees: their normalize is applied to them pixel value by pixel value (see
grader.exercise.apply_pixel_scaling).
"""

import numpy as np
from otter.test_files import test_case

from grader import diagnoses
from grader.check_helpers import build, outputs, require_array
from grader.config import load_config
from grader.exercise import (
    apply_pixel_scaling,
    heldout_set,
    majority_baseline,
    pixel_ramp,
    training_split,
)

OK_FORMAT = False
name = "accuracy"
points = load_config().questions[name].points
SETTINGS = load_config().accuracy
# Within this of the baseline, a model is taken to answer the same thing for every image.
CONSTANT_MARGIN = 0.002


def _train_pipeline(normalize, is_five, build_perceptron, train):
    x_train, y_train, x_val, y_val = training_split()
    inputs, targets = normalize(x_train), is_five(y_train)
    validation_inputs, validation_targets = normalize(x_val), is_five(y_val)
    scaled_ramp = normalize(pixel_ramp().copy())
    model = build(build_perceptron, "sigmoid")
    history = train(
        model, inputs, targets, validation_inputs, validation_targets, epochs=SETTINGS.epochs
    )
    return model, history, scaled_ramp, y_val


@test_case(name="accuracy: your History shows validation accuracy well above the baseline")
def test_validation_accuracy(normalize, is_five, build_perceptron, train):
    _, history, _, y_val = _train_pipeline(normalize, is_five, build_perceptron, train)
    curve = getattr(history, "history", {}).get("val_accuracy")
    assert curve, diagnoses.diagnosis(
        "no_validation",
        "train's History has no val_accuracy; expected model.fit(..., "
        "validation_data=(x_val, y_val)) with metrics=['accuracy'], and its History returned.",
    )
    assert len(curve) == SETTINGS.epochs, diagnoses.diagnosis(
        "no_validation",
        f"train ran {len(curve)} epochs when asked for {SETTINGS.epochs}; pass epochs=epochs "
        "to model.fit.",
    )
    baseline = majority_baseline(y_val)
    if abs(curve[-1] - baseline) < CONSTANT_MARGIN:
        raise AssertionError(diagnoses.constant_predictor(curve[-1], baseline))
    assert curve[-1] >= SETTINGS.validation_floor, diagnoses.diagnosis(
        "low_accuracy",
        f"Validation accuracy after {SETTINGS.epochs} epochs is {curve[-1]:.4f}; expected at "
        f"least {SETTINGS.validation_floor} (never answering 'five' scores {baseline:.4f}). "
        "Print the model's outputs: are the pixels scaled and is there a sigmoid?",
    )


@test_case(name="accuracy: held-out images your code never sees", hidden=True)
def test_heldout_accuracy(normalize, is_five, build_perceptron, train):
    model, _, scaled_ramp, _ = _train_pipeline(normalize, is_five, build_perceptron, train)
    images, digits = heldout_set()
    scaled = apply_pixel_scaling(require_array(scaled_ramp, "normalize"), images)
    predicted_five = outputs(model, scaled.astype(np.float32)).reshape(-1) >= 0.5
    actual_five = digits == 5
    accuracy = float(np.mean(predicted_five == actual_five))
    recall = float(np.mean(predicted_five[actual_five]))
    if not predicted_five.any():
        raise AssertionError(diagnoses.constant_predictor(accuracy, majority_baseline(digits)))
    assert accuracy >= SETTINGS.threshold and recall >= SETTINGS.recall_floor, diagnoses.diagnosis(
        "low_accuracy", f"held-out accuracy {accuracy:.4f}, recall on fives {recall:.4f}"
    )
