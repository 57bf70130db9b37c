"""Question "classifier": Flatten into Dense(10), 7,850 parameters, categorical crossentropy."""

from otter.test_files import test_case

from grader.check_helpers import dense_layers, loss_name, parameter_count, reached
from grader.config import load_config
from grader.diagnoses import diagnosis
from grader.exercises import fashion

OK_FORMAT = False
name = "classifier"
points = load_config().questions[name].points

CROSSENTROPY_NAMES = {"categorical_crossentropy", "CategoricalCrossentropy"}


def _expect_ten_units(model):
    count = parameter_count(model)
    dense = dense_layers(model)
    units = getattr(dense[-1], "units", None) if dense else None
    assert units != 1, diagnosis(
        "one_unit",
        f"Your model ends with Dense(1) ({count} parameters): the lesson's one 'five or not' "
        f"unit. Ten classes need ten outputs, one per class: Dense({fashion.CLASSES}, "
        "activation='softmax').",
    )
    assert count == fashion.PARAMETERS, diagnosis(
        "wrong_class_count",
        f"Your model has {count} parameters; expected 28·28 weights x {fashion.CLASSES} units + "
        f"{fashion.CLASSES} biases = {fashion.PARAMETERS:,}: Flatten the image into one "
        f"Dense({fashion.CLASSES}), nothing else.",
    )
    reached(f"{count:,} parameters: {fashion.CLASSES} units over 784 pixels")


@test_case(name="classifier: 28·28 x 10 weights + 10 biases = 7,850 parameters", hidden=False)
def test_parameter_count(build_classifier):
    _expect_ten_units(build_classifier())


@test_case(name="classifier: compiled with categorical crossentropy and adam", hidden=False)
def test_compiled(build_classifier):
    model = build_classifier()
    optimizer = getattr(model, "optimizer", None)
    assert optimizer is not None, diagnosis(
        "wrong_loss",
        "Your model is not compiled; expected model.compile(loss='categorical_crossentropy', "
        "optimizer='adam', metrics=['accuracy']) before returning it.",
    )
    assert loss_name(model) in CROSSENTROPY_NAMES, diagnosis(
        "wrong_loss",
        f"Your model is compiled with loss {loss_name(model)!r}; a softmax over classes "
        "learns best from loss='categorical_crossentropy' (mean squared error was the "
        "perceptron's, one number per image).",
    )
    assert type(optimizer).__name__ == "Adam", diagnosis(
        "wrong_loss",
        f"Your model is compiled with optimizer {type(optimizer).__name__}; expected "
        "optimizer='adam'.",
    )
    reached(f"loss {loss_name(model)}, optimizer {type(optimizer).__name__}")


@test_case(name="classifier: ten outputs per 28x28 image", hidden=True)
def test_shapes(build_classifier):
    model = build_classifier()
    _expect_ten_units(model)
    assert tuple(model.input_shape) in {(None, 28, 28), (None, 784)}, diagnosis(
        "wrong_result",
        f"Your model takes inputs of shape {tuple(model.input_shape)}; expected one 28x28 "
        "image per row: start it with keras.Input(shape=(28, 28)).",
    )
    assert tuple(model.output_shape) == (None, fashion.CLASSES), diagnosis(
        "wrong_result",
        f"Your model's output has shape {tuple(model.output_shape)}; expected (None, "
        f"{fashion.CLASSES}), one probability per class.",
    )
