"""Question "accuracy": the student's own pipeline, trained by the grader, recognizes fives.

The pipeline is theirs end to end: normalize, is_five, build_perceptron("sigmoid") and train,
for the config's number of epochs (grader.exercise.train_pipeline). It is judged on MNIST's
test images, which the student's code never sees: their normalize is applied to them pixel
value by pixel value (grader.exercise.apply_pixel_scaling).
"""

from otter.test_files import test_case

from grader import diagnoses
from grader.config import load_config
from grader.exercise import heldout_metrics, majority_baseline, train_pipeline

OK_FORMAT = False
name = "accuracy"
points = load_config().questions[name].points
SETTINGS = load_config().accuracy
# Within this of the baseline, a model is taken to answer the same thing for every image.
CONSTANT_MARGIN = 0.002


@test_case(name="accuracy: your History shows validation accuracy well above the baseline")
def test_validation_accuracy(normalize, is_five, build_perceptron, train):
    functions = (normalize, is_five, build_perceptron, train)
    _, history, _, y_val = train_pipeline(*functions, epochs=SETTINGS.epochs)
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
    functions = (normalize, is_five, build_perceptron, train)
    model, _, scaled_ramp, _ = train_pipeline(*functions, epochs=SETTINGS.epochs)
    metrics = heldout_metrics(model, scaled_ramp)
    if metrics.predicted_fives == 0:
        raise AssertionError(diagnoses.constant_predictor(metrics.accuracy, metrics.baseline))
    passed = metrics.accuracy >= SETTINGS.threshold and metrics.recall >= SETTINGS.recall_floor
    assert passed, diagnoses.diagnosis(
        "low_accuracy",
        f"held-out accuracy {metrics.accuracy:.4f}, recall on fives {metrics.recall:.4f}",
    )
