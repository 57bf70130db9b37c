"""Question "perceptron": Flatten into one Dense unit, 785 parameters, compiled with mse, adam."""

import numpy as np
from otter.test_files import test_case

from grader import diagnoses
from grader.check_helpers import (
    MEAN_SQUARED_ERROR_NAMES,
    dense_layers,
    loss_name,
    outputs,
    parameter_count,
    reached,
)
from grader.config import load_config
from grader.exercises import perceptron

OK_FORMAT = False
name = "perceptron"
points = load_config().questions[name].points


def _expect_one_unit(model):
    dense = dense_layers(model)
    count = parameter_count(model)
    assert len(dense) <= 1, diagnoses.diagnosis(
        "hidden_layer",
        f"Your model has {len(dense)} Dense layers ({count} parameters); a perceptron has one: "
        "Flatten the image straight into Dense(1).",
    )
    assert count == perceptron.PERCEPTRON_PARAMETERS, perceptron.wrong_parameter_count(count)
    reached(f"{count} parameters: 784 weights and 1 bias in one Dense unit")


@test_case(name="perceptron: 28·28 weights + 1 bias = 785 parameters", hidden=False)
def test_parameter_count(build_perceptron):
    _expect_one_unit(perceptron.build(build_perceptron))


@test_case(name="perceptron: compiled with loss 'mse' and optimizer 'adam'", hidden=False)
def test_compiled(build_perceptron):
    model = perceptron.build(build_perceptron)
    optimizer = getattr(model, "optimizer", None)
    assert optimizer is not None, diagnoses.diagnosis(
        "wrong_compile",
        "Your model is not compiled; expected model.compile(loss='mse', optimizer='adam', "
        "metrics=['accuracy']) before returning it.",
    )
    assert loss_name(model) in MEAN_SQUARED_ERROR_NAMES, diagnoses.diagnosis(
        "wrong_compile",
        f"Your model is compiled with loss {loss_name(model)!r}; this lesson uses mean squared "
        "error: loss='mse'.",
    )
    assert type(optimizer).__name__ == "Adam", diagnoses.diagnosis(
        "wrong_compile",
        f"Your model is compiled with optimizer {type(optimizer).__name__}; expected "
        "optimizer='adam'.",
    )
    reached(f"loss {loss_name(model)}, optimizer {type(optimizer).__name__}")


@test_case(name="perceptron: Flatten, then one linear Dense unit", hidden=True)
def test_structure(build_perceptron):
    """What the model computes, however it is spelled (Sequential or functional, Flatten or
    Reshape, an Input or input_shape): one linear unit over the 784 pixels of a 28x28 image."""
    model = perceptron.build(build_perceptron)
    _expect_one_unit(model)
    input_shape = tuple(model.input_shape)
    # A model over the 784 pixels already flattened computes the same perceptron; whether
    # normalize may flatten is the normalize question's to judge, not this one's.
    assert input_shape in {(None, 28, 28), (None, 784)}, diagnoses.diagnosis(
        "no_input_shape",
        f"Your model takes inputs of shape {input_shape}; expected (None, 28, 28), one 28x28 "
        "image per row: start it with keras.Input(shape=(28, 28)).",
    )
    output_shape = tuple(model.output_shape)
    assert output_shape == (None, 1), diagnoses.diagnosis(
        "wrong_result",
        f"Your model's output has shape {output_shape}; expected (None, 1), one number per "
        "image: flatten the image before the Dense(1) layer.",
    )
    kernel, bias = perceptron.linear_unit_weights(model)
    images = np.random.default_rng(2718).uniform(-3, 3, size=(6, 28, 28)).astype(np.float32)
    expected = images.reshape(len(images), -1).astype(np.float64) @ kernel + bias
    actual = outputs(model, images).reshape(-1, 1)
    assert np.allclose(actual, expected, rtol=1e-4, atol=1e-4), diagnoses.diagnosis(
        "wrong_result",
        "build_perceptron() without an activation should output w·x + b, the weighted sum of "
        f"the 784 pixels plus the bias; yours gave {actual[:3, 0].round(3).tolist()} where that "
        f"sum is {expected[:3, 0].round(3).tolist()}. Leave the activation out unless one is "
        "asked for: Dense(1, activation=activation) with activation=None is linear.",
    )
