"""Rebuild a student's Keras model from its recorded config and weights, in the trusted process.

Only standard Keras objects are rebuilt: the config is checked against an allowlist before
Keras sees it, and Keras' own safe mode refuses lambdas. The rebuilt model is ours, so its
parameter count and outputs are facts, not claims.
"""

import json
from typing import Any

import numpy as np

FORBIDDEN_CLASSES = {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"}
MAX_CONFIG_CHARACTERS = 1_000_000
# What the grader will build and run for a student, before Keras sees the config: the layers a
# perceptron (or a lesson's wrong answer: a hidden layer, Dense(10)) is made of, and a budget
# of parameters and layers that bounds the memory and time any prediction with it costs here.
# A model beyond it is not rebuilt; the checks that need it say why.
ALLOWED_LAYERS = {
    "InputLayer",
    "Flatten",
    "Reshape",
    "Dense",
    "Activation",
    "Dropout",
    "Rescaling",
    "Softmax",
    "ReLU",
    "LeakyReLU",
    "Identity",
    "BatchNormalization",
    "LayerNormalization",
}
MODEL_CLASSES = {"Sequential", "Functional", "Model"}
MAX_PARAMETERS = 1_000_000  # 1,274 times the perceptron's 785
MAX_LAYERS = 32
WIDEST_INPUT = 28 * 28  # a Dense layer whose input width is not recorded gets at most this


class ModelNotRebuilt(Exception):
    """The recorded model cannot be rebuilt from standard Keras parts."""


def _check_allowed(node: Any) -> None:
    if isinstance(node, dict):
        module = node.get("module")
        if isinstance(module, str) and not (module == "keras" or module.startswith("keras.")):
            raise ModelNotRebuilt(f"it uses {module}.{node.get('class_name')}, not a Keras class")
        if node.get("class_name") in FORBIDDEN_CLASSES:
            raise ModelNotRebuilt(f"it uses a {node['class_name']} layer")
        registered = node.get("registered_name")
        if registered not in (None, node.get("class_name")) and "class_name" in node:
            raise ModelNotRebuilt(f"it uses the custom object {registered}")
        for value in node.values():
            _check_allowed(value)
    elif isinstance(node, list):
        for value in node:
            _check_allowed(value)


def _layers(node: Any) -> list[dict]:
    """Every layer config in a model config, nested models included."""
    found = []
    if isinstance(node, dict):
        module = node.get("module")
        is_layer = isinstance(module, str) and (
            module.startswith("keras.layers") or module.startswith("keras.src.layers")
        )
        if is_layer or node.get("class_name") in ALLOWED_LAYERS:
            found.append(node)
        for value in node.values():
            found += _layers(value)
    elif isinstance(node, list):
        for value in node:
            found += _layers(value)
    return found


def _width(shape: Any) -> int:
    if isinstance(shape, list) and shape and isinstance(shape[-1], int) and shape[-1] > 0:
        return shape[-1]
    return WIDEST_INPUT


def check_budget(tree: Any) -> int:
    """The most parameters this config can build, refused past the budget before it is built."""
    layers = _layers(tree)
    if len(layers) > MAX_LAYERS:
        raise ModelNotRebuilt(f"it has {len(layers)} layers; the grader runs at most {MAX_LAYERS}")
    parameters = 0
    for layer in layers:
        kind = layer.get("class_name")
        if kind not in ALLOWED_LAYERS | MODEL_CLASSES:
            raise ModelNotRebuilt(
                f"it uses a {str(kind)[:60]} layer; the grader rebuilds models made of "
                f"{', '.join(sorted(ALLOWED_LAYERS))}"
            )
        config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        if kind == "Dense":
            units = config.get("units")
            if not isinstance(units, int) or isinstance(units, bool) or units < 1:
                raise ModelNotRebuilt("it has a Dense layer without a whole number of units")
            build = layer.get("build_config") if isinstance(layer.get("build_config"), dict) else {}
            width = min(_width(build.get("input_shape")), MAX_PARAMETERS)
            parameters += (width + 1) * units
        elif kind in ("BatchNormalization", "LayerNormalization"):
            parameters += 4 * WIDEST_INPUT
        if parameters > MAX_PARAMETERS:
            raise ModelNotRebuilt(
                f"it would have more than {MAX_PARAMETERS:,} parameters (a perceptron has 785)"
            )
    return parameters


def rebuild_model(config: str, compile_config: dict | None, weights: list[np.ndarray]) -> Any:
    """A Keras model equal in structure, weights and compile settings to the recorded one."""
    import keras

    if len(config) > MAX_CONFIG_CHARACTERS:
        raise ModelNotRebuilt("its config is implausibly large")
    try:
        tree = json.loads(config)
    except json.JSONDecodeError as error:
        raise ModelNotRebuilt(f"its config is not valid JSON ({error})") from None
    _check_allowed(tree)
    check_budget(tree)
    if sum(int(np.asarray(weight).size) for weight in weights) > MAX_PARAMETERS:
        raise ModelNotRebuilt(f"its weights hold more than {MAX_PARAMETERS:,} numbers")
    if compile_config is not None:
        _check_allowed(compile_config)
    try:
        model = keras.saving.deserialize_keras_object(tree, safe_mode=True)
        if weights:
            model.set_weights(weights)
        if compile_config is not None:
            model.compile_from_config(compile_config)
    except Exception as error:
        raise ModelNotRebuilt(
            f"Keras could not rebuild it ({type(error).__name__}: {error})"
        ) from None
    if not isinstance(model, keras.Model):
        raise ModelNotRebuilt(f"it is a {type(model).__name__}, not a keras.Model")
    return model
