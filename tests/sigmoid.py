"""Question "sigmoid": build_perceptron("sigmoid") squashes every output into [0, 1].

The question judges the outputs alone: how many parameters the model has is the perceptron
question's, so a model with a hidden layer is charged for it once, there.
"""

import numpy as np
from otter.test_files import test_case

from grader.check_helpers import outputs, reached
from grader.config import load_config
from grader.exercises import perceptron

OK_FORMAT = False
name = "sigmoid"
points = load_config().questions[name].points
# Outputs closer together than this over the probes count as one constant answer.
CONSTANT_SPREAD = 1e-4


def _expect_unit_range(model, inputs):
    values = outputs(model, inputs)
    low, high = float(values.min()), float(values.max())
    assert np.isfinite(values).all() and low >= 0 and high <= 1, perceptron.missing_sigmoid(
        low, high
    )
    # In range is not yet a sigmoid: Dense(1, activation="softmax") answers 1 for everything
    # (to float rounding). A model whose weights all start at zero answers one value too,
    # whatever its activation: that is its initialization, not its activation.
    zero_start = all(not np.any(weights) for weights in model.get_weights())
    assert high - low > CONSTANT_SPREAD or zero_start, perceptron.constant_output(low)
    reached(f"outputs from {low:.3g} to {high:.3g}")


@test_case(name="sigmoid: outputs in [0, 1] for raw and scaled images", hidden=False)
def test_outputs_in_range(build_perceptron):
    model = perceptron.build(build_perceptron, "sigmoid")
    images = np.random.default_rng(7).integers(0, 256, size=(8, 28, 28)).astype(np.float32)
    _expect_unit_range(model, np.concatenate([images, images / 255]))


@test_case(name="sigmoid: outputs in [0, 1] on inputs it has never seen", hidden=True)
def test_extreme_inputs(build_perceptron):
    model = perceptron.build(build_perceptron, "sigmoid")
    magnitude = load_config().sigmoid.large_input
    generator = np.random.default_rng(31337)
    probes = [
        generator.integers(0, 256, size=(32, 28, 28)).astype(np.float32),
        generator.uniform(-magnitude, magnitude, size=(32, 28, 28)).astype(np.float32),
        np.full((2, 28, 28), magnitude, dtype=np.float32),
        np.full((2, 28, 28), -magnitude, dtype=np.float32),
    ]
    _expect_unit_range(model, np.concatenate(probes))
