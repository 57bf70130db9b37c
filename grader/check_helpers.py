"""Helpers the checks in tests/ share; they run in the grader's process, never the student's."""

from collections.abc import Callable
from typing import Any

import numpy as np

from grader import diagnoses

MEAN_SQUARED_ERROR_NAMES = {"mse", "mean_squared_error", "MeanSquaredError"}


def build(build_perceptron: Callable[..., Any], *arguments: Any) -> Any:
    """Call build_perceptron, naming the lesson's own bug when the activation went to add()."""
    try:
        return build_perceptron(*arguments)
    except TypeError as error:
        if "activation" in str(error):
            raise AssertionError(diagnoses.activation_in_add(str(error))) from None
        raise


def parameter_count(model: Any) -> int:
    try:
        return int(model.count_params())
    except ValueError:
        raise AssertionError(
            diagnoses.diagnosis(
                "no_input_shape",
                "Your model has no input shape yet, so it has no weights to count. Start it with "
                "keras.Input(shape=(28, 28)).",
            )
        ) from None


def dense_layers(model: Any) -> list[Any]:
    return [layer for layer in model.layers if type(layer).__name__ == "Dense"]


def loss_name(model: Any) -> str:
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or type(loss).__name__


def outputs(model: Any, inputs: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(inputs, verbose=0), dtype=np.float64)


def require_array(value: Any, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise AssertionError(
            diagnoses.diagnosis(
                "wrong_result", f"{what} returned {type(value).__name__}; expected a numpy array."
            )
        )
    return value
