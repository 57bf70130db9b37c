"""Question "accuracy": the student's own pipeline, trained by the grader, recognizes fives.

The pipeline is theirs end to end: normalize, is_five, build_perceptron("sigmoid") and train,
for the config's number of epochs (the exercise module's train_pipeline). The grader measures the
trained model itself rather than trusting the History: on the validation images (public), and
on MNIST's test images, which the student's code never sees (hidden); their normalize reaches
those through a pixel lookup table (grader.check_helpers.apply_pixel_scaling).
"""

from otter.test_files import test_case

from grader import diagnoses
from grader.check_helpers import reached
from grader.config import load_config
from grader.exercises import perceptron

OK_FORMAT = False
name = "accuracy"
points = load_config().questions[name].points
SETTINGS = load_config().accuracy


def _expect_learned(metrics):
    if metrics.predicted_fives == 0:
        raise AssertionError(perceptron.constant_predictor(metrics.accuracy, metrics.baseline))


@test_case(name="accuracy: your trained model beats the baseline on the validation images")
def test_validation_accuracy(normalize, is_five, build_perceptron, train):
    pipeline = perceptron.train_pipeline(
        normalize, is_five, build_perceptron, train, epochs=SETTINGS.epochs
    )
    # Keras logs val_loss whenever fit() validates, whatever metrics the student chose to log:
    # the accuracy itself is measured below from the model's own predictions.
    logged = getattr(pipeline.history, "history", None)
    curve = logged.get("val_loss") if isinstance(logged, dict) else None
    assert curve, diagnoses.diagnosis(
        "no_validation",
        "train's History has no validation loss (val_loss) for any epoch: expected "
        "model.fit(..., validation_data=(x_val, y_val)), and the History it gives returned.",
    )
    assert len(curve) == SETTINGS.epochs, diagnoses.diagnosis(
        "no_validation",
        f"train ran {len(curve)} epochs when asked for {SETTINGS.epochs}; pass epochs=epochs "
        "to model.fit.",
    )
    metrics = perceptron.validation_metrics(pipeline)
    _expect_learned(metrics)
    assert metrics.accuracy >= SETTINGS.validation_floor, diagnoses.diagnosis(
        "low_accuracy",
        f"After {SETTINGS.epochs} epoch(s) your model scores {metrics.accuracy:.4f} on the "
        f"validation images; expected at least {SETTINGS.validation_floor} (never answering "
        f"'five' scores {metrics.baseline:.4f}). Print the model's outputs: are the pixels "
        "scaled and is there a sigmoid?",
    )
    reached(
        f"validation accuracy {metrics.accuracy:.4f} after {SETTINGS.epochs} epoch(s); at least "
        f"{SETTINGS.validation_floor} needed, never saying 'five' scores {metrics.baseline:.4f}"
    )


@test_case(name="accuracy: held-out images your code never sees", hidden=True)
def test_heldout_accuracy(normalize, is_five, build_perceptron, train):
    pipeline = perceptron.train_pipeline(
        normalize, is_five, build_perceptron, train, epochs=SETTINGS.epochs
    )
    metrics = perceptron.heldout_metrics(pipeline)
    _expect_learned(metrics)
    passed = metrics.accuracy >= SETTINGS.threshold and metrics.recall >= SETTINGS.recall_floor
    assert passed, diagnoses.diagnosis(
        "low_accuracy",
        f"held-out accuracy {metrics.accuracy:.4f}, recall on fives {metrics.recall:.4f}",
    )
