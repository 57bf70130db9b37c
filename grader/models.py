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
