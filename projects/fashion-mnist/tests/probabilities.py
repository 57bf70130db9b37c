"""Question "probabilities": the outputs are probabilities: non-negative, each row sums to 1."""

import numpy as np
from otter.test_files import test_case

from grader.check_helpers import outputs, reached
from grader.config import load_config
from grader.diagnoses import diagnosis
from grader.exercises import fashion

OK_FORMAT = False
name = "probabilities"
points = load_config().questions[name].points


def _expect_probabilities(build_classifier, images):
    model = build_classifier()
    predicted = outputs(model, images)
    assert predicted.ndim == 2 and predicted.shape[1] == fashion.CLASSES, diagnosis(
        "no_softmax",
        f"Your model gives {predicted.shape[1:]} numbers per image; expected {fashion.CLASSES} "
        f"probabilities, one per class: Dense({fashion.CLASSES}, activation='softmax').",
    )
    sums = predicted.sum(axis=1)
    low, high = float(predicted.min()), float(predicted.max())
    assert low >= 0 and np.allclose(sums, 1, atol=1e-4), diagnosis(
        "no_softmax",
        f"Your model's outputs run from {low:.3g} to {high:.3g} and a row sums to "
        f"{float(sums[0]):.3g}; expected probabilities (each in [0, 1], each row summing to "
        "1). Add the softmax: Dense(10, activation='softmax').",
    )
    reached(f"outputs from {low:.3g} to {high:.3g}, every row summing to 1")


@test_case(name="probabilities: each row of outputs sums to 1", hidden=False)
def test_probabilities(build_classifier):
    rng = np.random.default_rng(10)
    images = np.concatenate([rng.random((4, 28, 28)), rng.random((4, 28, 28)) * 255])
    _expect_probabilities(build_classifier, images.astype(np.float32))


@test_case(name="probabilities: also on inputs it never saw", hidden=True)
def test_probabilities_unseen(build_classifier):
    rng = np.random.default_rng(31337)
    images = rng.normal(0, 50, size=(16, 28, 28)).astype(np.float32)
    _expect_probabilities(build_classifier, images)
