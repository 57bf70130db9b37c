"""The budget a student's model config must fit before the grader builds it (grader.models).

Configs are written as Keras serializes them (module, class_name, config, build_config), so
these tests need no Keras: nothing is built, which is the point."""

import pytest

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
