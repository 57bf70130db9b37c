"""Question "accuracy": the student's own pipeline, trained by the grader, tells clothes apart.

The pipeline is theirs end to end: normalize, one_hot, build_classifier and train, for the
config's number of epochs (the exercise module's train_pipeline). The grader measures the trained
model itself: on the validation images (public), and on Fashion-MNIST's test images, which the
student's code never sees (hidden).
"""

from otter.test_files import test_case

from grader.check_helpers import reached
from grader.config import load_config
from grader.diagnoses import diagnosis
from grader.exercises import fashion

OK_FORMAT = False
name = "accuracy"
points = load_config().questions[name].points
SETTINGS = load_config().accuracy


@test_case(name="accuracy: your trained classifier on the validation images")
def test_validation_accuracy(normalize, one_hot, build_classifier, train):
    pipeline = fashion.train_pipeline(normalize, one_hot, build_classifier, train, SETTINGS.epochs)
    logged = getattr(pipeline.history, "history", None)
    curve = logged.get("val_loss") if isinstance(logged, dict) else None
    assert curve, diagnosis(
        "no_validation",
        "train's History has no validation loss (val_loss) for any epoch: expected "
        "model.fit(..., validation_data=(x_val, y_val)), and the History it gives returned.",
    )
    assert len(curve) == SETTINGS.epochs, diagnosis(
        "no_validation",
        f"train ran {len(curve)} epochs when asked for {SETTINGS.epochs}; pass epochs=epochs "
        "to model.fit.",
    )
    accuracy = fashion.validation_accuracy(pipeline)
    assert accuracy >= SETTINGS.validation_floor, diagnosis(
        "low_accuracy",
        f"After {SETTINGS.epochs} epoch(s) your classifier scores {accuracy:.4f} on the "
        f"validation images; expected at least {SETTINGS.validation_floor} (guessing scores "
        "0.10). Print one image's outputs: are the pixels scaled to [0, 1], and do the ten "
        "outputs sum to 1?",
    )
    reached(
        f"validation accuracy {accuracy:.4f} after {SETTINGS.epochs} epoch(s); at least "
        f"{SETTINGS.validation_floor} needed, guessing scores 0.10"
    )


@test_case(name="accuracy: test images your code never sees", hidden=True)
def test_heldout_accuracy(normalize, one_hot, build_classifier, train):
    pipeline = fashion.train_pipeline(normalize, one_hot, build_classifier, train, SETTINGS.epochs)
    accuracy = fashion.heldout_accuracy(pipeline)
    assert accuracy >= SETTINGS.threshold, diagnosis(
        "low_accuracy", f"test accuracy {accuracy:.4f}"
    )
