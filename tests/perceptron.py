"""Question "perceptron": Flatten into one Dense unit, 785 parameters, compiled with mse, adam."""

from otter.test_files import test_case

from grader import diagnoses
from grader.check_helpers import (
    MEAN_SQUARED_ERROR_NAMES,
    build,
    dense_layers,
    loss_name,
    parameter_count,
)
from grader.config import load_config

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
    assert count == diagnoses.PERCEPTRON_PARAMETERS, diagnoses.wrong_parameter_count(count)


@test_case(name="perceptron: 28·28 weights + 1 bias = 785 parameters", hidden=False)
def test_parameter_count(build_perceptron):
    _expect_one_unit(build(build_perceptron))


@test_case(name="perceptron: compiled with loss 'mse' and optimizer 'adam'", hidden=False)
def test_compiled(build_perceptron):
    model = build(build_perceptron)
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


@test_case(name="perceptron: Flatten, then one linear Dense unit", hidden=True)
def test_structure(build_perceptron):
    model = build(build_perceptron)
    _expect_one_unit(model)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Flatten", "Dense"]
    assert tuple(model.input_shape) == (None, 28, 28)
    assert tuple(model.output_shape) == (None, 1)
    assert dense_layers(model)[0].activation.__name__ == "linear"
