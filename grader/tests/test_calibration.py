"""The accuracy thresholds sit with a margin between the reference and known-wrong pipelines."""

import pytest

from grader.course.calibrate import VARIANTS, calibrate, is_calibrated


@pytest.mark.slow
def test_thresholds_separate_right_from_wrong(course_context):
    """Over several seeds, does every reference run clear the thresholds by the margins, and
    every wrong run (no sigmoid, unnormalized, raw without sigmoid) miss one by its margin?"""
    measurements = calibrate(course_context, workers=2)
    table = "\n".join(
        f"{m.variant:15} seed {m.seed:>9}: accuracy {m.metrics.accuracy:.4f} "
        f"recall {m.metrics.recall:.4f} clears={m.clears} misses={m.misses}"
        for m in measurements
    )
    print(table)
    assert {m.variant for m in measurements} == set(VARIANTS)
    assert is_calibrated(measurements), table
