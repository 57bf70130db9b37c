"""The budget a student's model config must fit before the grader builds it (grader.models),
and the step the grader predicts it in.

Configs are written as Keras serializes them (module, class_name, config, build_config), so
these tests need no Keras: nothing is built, which is the point."""

from types import SimpleNamespace

import numpy as np
import pytest

from grader.check_helpers import (
    DEFAULT_PREDICT_BATCH,
    LARGEST_PREDICT_BATCH,
    PREDICT_STEP_BYTES,
    predict_batch_size,
)
from grader.models import MAX_LAYERS, ModelNotRebuilt, check_budget


def layer(kind: str, width: int | None = None, **config) -> dict:
    node = {"module": "keras.layers", "class_name": kind, "config": config}
    if width is not None:
        node["build_config"] = {"input_shape": [None, width]}
    return node


def sequential(*layers: dict) -> dict:
    return {"module": "keras", "class_name": "Sequential", "config": {"layers": list(layers)}}


def test_the_perceptron_fits_with_its_785_parameters():
    model = sequential(layer("InputLayer"), layer("Flatten"), layer("Dense", 784, units=1))
    assert check_budget(model) == 785


def test_lesson_mistakes_still_fit_so_their_checks_can_say_what_is_wrong():
    dense10 = sequential(layer("Flatten"), layer("Dense", 784, units=10))
    hidden = sequential(
        layer("Flatten"), layer("Dense", 784, units=32), layer("Dense", 32, units=1)
    )
    assert check_budget(dense10) == 7850
    assert check_budget(hidden) == 784 * 32 + 32 + 33


def test_a_huge_dense_layer_is_refused_before_it_is_built():
    with pytest.raises(ModelNotRebuilt, match="more than 1,000,000 parameters"):
        check_budget(sequential(layer("Flatten"), layer("Dense", 784, units=3_000_000)))


def test_an_unrecorded_input_width_counts_as_the_widest_image():
    with pytest.raises(ModelNotRebuilt, match="parameters"):
        check_budget(sequential(layer("Dense", units=2_000)))


def test_layers_outside_the_allowlist_are_refused_by_name():
    convolutions = [layer("Conv2D", filters=64, kernel_size=[3, 3]) for _ in range(10)]
    with pytest.raises(ModelNotRebuilt, match="Conv2D layer"):
        check_budget(sequential(*convolutions, layer("Flatten"), layer("Dense", 10, units=1)))


def test_too_many_layers_are_refused():
    with pytest.raises(ModelNotRebuilt, match=f"at most {MAX_LAYERS}"):
        check_budget(sequential(*[layer("Dropout", rate=0.1) for _ in range(MAX_LAYERS + 1)]))


@pytest.mark.parametrize("units", ["1", 0, -5, True, None])
def test_units_must_be_a_positive_whole_number(units):
    with pytest.raises(ModelNotRebuilt, match="whole number of units"):
        check_budget(sequential(layer("Dense", 784, units=units)))


def stand_in_model(*widths: int) -> SimpleNamespace:
    """A model whose layers output these many numbers per image, as Keras reports them."""
    return SimpleNamespace(
        layers=[SimpleNamespace(output=SimpleNamespace(shape=(None, width))) for width in widths]
    )


class NeverCalled:
    @property
    def output(self):
        raise AttributeError("The layer has never been called and thus has no defined output.")


def test_small_models_predict_in_large_steps():
    images = np.zeros((3, 28, 28), dtype=np.float32)
    assert predict_batch_size(stand_in_model(784, 1), images) == LARGEST_PREDICT_BATCH


def test_a_wide_layer_shrinks_the_prediction_step_to_keep_its_memory_bounded():
    images = np.zeros((3, 784), dtype=np.float32)
    assert predict_batch_size(stand_in_model(50_000, 1), images) == PREDICT_STEP_BYTES // 400_000
    assert predict_batch_size(stand_in_model(400_000, 1), images) == DEFAULT_PREDICT_BATCH
    for width in (784, 50_000, 400_000):
        steps = predict_batch_size(stand_in_model(width, 1), images)
        assert steps == DEFAULT_PREDICT_BATCH or steps * 8 * width <= PREDICT_STEP_BYTES


def test_a_model_whose_shapes_are_unknown_predicts_at_keras_default():
    images = np.zeros((3, 784), dtype=np.float32)
    assert predict_batch_size(SimpleNamespace(layers=[NeverCalled()]), images) == 32
