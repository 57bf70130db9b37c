"""The accuracy thresholds sit with a margin between the reference and known-wrong pipelines."""

import pytest

from grader.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    current_assignment,
    exercise_module,
    load_config_file,
    use_assignment,
)
from grader.course.calibrate import calibrate, calibration_of, is_calibrated, judge, variants
from grader.errors import GraderError
from grader.tests.tiny_assignment import write_tiny_assignment


@pytest.mark.slow
def test_thresholds_separate_right_from_wrong(course_context):
    """Over several seeds, does every reference run clear the thresholds by the margins, and
    every wrong run (no sigmoid, unnormalized, raw without sigmoid) miss one by its margin?"""
    measurements = calibrate(course_context, workers=2)
    table = "\n".join(
        f"{m.variant:15} seed {m.seed:>9}: accuracy {m.metrics['accuracy']:.4f} "
        f"recall {m.metrics['recall']:.4f} clears={m.clears} misses={m.misses}"
        for m in measurements
    )
    print(table)
    assert {m.variant for m in measurements} == set(variants(course_context.assignment))
    assert is_calibrated(measurements), table


def test_a_run_clears_every_limit_or_misses_one_by_its_margin():
    limits = {"accuracy": (0.9, 0.01), "recall": (0.7, 0.05)}
    right = judge("reference", 0, {"accuracy": 0.92, "recall": 0.8}, limits)
    assert right.clears and not right.misses
    near = judge("reference", 0, {"accuracy": 0.905, "recall": 0.8}, limits)
    assert not near.clears and not near.misses  # inside the accuracy margin: neither
    wrong = judge("no_sigmoid", 0, {"accuracy": 0.95, "recall": 0.6}, limits)
    assert wrong.misses and not wrong.clears  # one metric missed by its margin is enough
    assert is_calibrated([right, wrong]) and not is_calibrated([near, wrong])


def test_each_course_exercise_says_what_calibration_trains(monkeypatch):
    """Both assignments name their pipeline, their variants (the reference and mistakes their
    examples define) and a limit for every metric they measure."""
    monkeypatch.setenv(CONFIG_ENV, "unused")  # use_assignment sets it; monkeypatch restores it
    for name in ("perceptron", "fashion"):
        use_assignment(name)
        assignment = current_assignment()
        hooks = calibration_of(assignment)
        named = {mistake.name for mistake in exercise_module(assignment).mistakes()}
        chosen = variants(assignment)
        assert chosen["reference"] == ()
        assert all(set(mistakes) <= named for mistakes in chosen.values()), chosen
        limits = hooks.calibration_limits(load_config_file(assignment.config_path))
        assert set(limits) >= {"accuracy"}
        assert all(0 < floor < 1 and margin >= 0 for floor, margin in limits.values())


def test_an_exercise_without_calibration_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, "unused")
    folder = write_tiny_assignment(tmp_path / "tiny")
    use_assignment(str(folder))
    with pytest.raises(GraderError, match="'doubling' cannot be calibrated"):
        calibration_of(current_assignment())


def test_a_perceptron_config_without_a_recall_margin_is_refused_clearly():
    config = load_config_file(DEFAULT_CONFIG_PATH)
    config = config.model_copy(
        update={"calibration": config.calibration.model_copy(update={"recall_margin": None})}
    )
    with pytest.raises(GraderError, match="needs recall_margin"):
        exercise_module(current_assignment()).calibration_limits(config)
