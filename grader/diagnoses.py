"""What a TA would say: each known mistake has a code and a message naming its cause.

Checks raise `AssertionError(diagnosis)`; stock otter shows the message, and this grader also
reads the code, to count in the instructor report how many students made each mistake.
Every message follows one pattern: what was observed, what was expected, what to try.
"""

from dataclasses import dataclass

WEIGHTS_PER_IMAGE = 28 * 28
PERCEPTRON_PARAMETERS = WEIGHTS_PER_IMAGE + 1


class Diagnosis(str):
    """A student-facing message that also carries a stable code."""

    code: str

    def __new__(cls, code: str, message: str) -> "Diagnosis":
        instance = super().__new__(cls, message)
        instance.code = code
        return instance


@dataclass(frozen=True)
class Kind:
    code: str
    title: str


# The catalogue, in the order the instructor report lists them.
KINDS = {
    kind.code: kind
    for kind in (
        Kind("not_attempted", "Left the function unimplemented"),
        Kind("wrong_data", "load_mnist returns the wrong arrays"),
        Kind("unnormalized_input", "Did not scale pixels to [0, 1]"),
        Kind("wrong_dtype", "Returned the wrong dtype"),
        Kind("modifies_input", "Changed the caller's array"),
        Kind("wrong_labels", "is_five gives wrong labels"),
        Kind("wrong_parameter_count", "Model does not have 785 parameters"),
        Kind("ten_units", "Built Dense(10), the 10-class model"),
        Kind("hidden_layer", "Added a hidden layer"),
        Kind("no_input_shape", "Model has no input shape"),
        Kind("wrong_compile", "Compiled with the wrong loss or optimizer"),
        Kind("activation_in_add", "Passed the activation to model.add()"),
        Kind("missing_sigmoid", "Outputs not squashed into [0, 1]"),
        Kind("constant_output", "Outputs the same value for every image"),
        Kind("no_validation", "train() does not validate or return the History"),
        Kind("constant_predictor", "Model answers 'not five' for everything"),
        Kind("low_accuracy", "Accuracy below the threshold"),
        Kind("raised", "Function raised an exception"),
        Kind("wrong_result", "Result has the wrong type or shape"),
    )
}


def register_kinds(*kinds: Kind) -> None:
    """An exercise's own mistakes (its exercise module calls this): listed after the
    catalogue's, in the report and wherever a code is named."""
    for kind in kinds:
        KINDS.setdefault(kind.code, kind)


def diagnosis(code: str, message: str) -> Diagnosis:
    if code not in KINDS:
        raise KeyError(f"unknown diagnosis code {code!r}")
    return Diagnosis(code, message)


def unnormalized_input(observed_max: float, dtype: str) -> Diagnosis:
    return diagnosis(
        "unnormalized_input",
        f"normalize returned values up to {observed_max:g} (dtype {dtype}); "
        "expected float32 values in [0, 1]. Divide the pixels by 255: "
        "images.astype('float32') / 255.",
    )


def wrong_parameter_count(count: int) -> Diagnosis:
    if count == 10 * PERCEPTRON_PARAMETERS:
        return diagnosis(
            "ten_units",
            f"Your model has {count} parameters, the count of Dense(10): one unit per digit. This "
            f"exercise asks for one unit answering 'five or not': Dense(1) has 28·28 + 1 = "
            f"{PERCEPTRON_PARAMETERS} parameters.",
        )
    return diagnosis(
        "wrong_parameter_count",
        f"Your model has {count} parameters; expected 28·28 weights + 1 bias = "
        f"{PERCEPTRON_PARAMETERS}: Flatten the 28x28 image into one Dense(1) unit, nothing else.",
    )


def missing_sigmoid(low: float, high: float) -> Diagnosis:
    return diagnosis(
        "missing_sigmoid",
        f"build_perceptron('sigmoid') produced outputs from {low:.3g} to {high:.3g}; "
        "expected every output in [0, 1]. Pass the activation to the Dense layer: "
        "Dense(1, activation=activation).",
    )


def constant_output(value: float) -> Diagnosis:
    return diagnosis(
        "constant_output",
        f"build_perceptron('sigmoid') gave {value:.3g} for every image: its output does not "
        "depend on the pixels. A softmax over one unit always gives 1 (it divides the unit by "
        "itself); one 'five or not' unit needs activation='sigmoid'.",
    )


def activation_in_add(message: str) -> Diagnosis:
    return diagnosis(
        "activation_in_add",
        f"build_perceptron raised TypeError: {message}. The activation goes inside Dense(...): "
        "model.add(Dense(1, activation=activation)), not model.add(Dense(1), activation=...).",
    )


def constant_predictor(accuracy: float, baseline: float) -> Diagnosis:
    return diagnosis(
        "constant_predictor",
        f"Your trained model answers 'not five' for every image: accuracy {accuracy:.4f} "
        f"equals the {baseline:.4f} you get by never saying 'five'. Check that the pixels are "
        "scaled to [0, 1] and that the output has a sigmoid.",
    )
