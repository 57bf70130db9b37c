"""Grading is seeded: the same file graded twice gives the same row (both graded in the suite's
class batch), and the plan the reference records is the same whether recorded now or read
back."""

import shutil
import uuid

import numpy as np

from grader.records import Status
from grader.tests.class_batch import AGAIN, DETERMINISM_EXAMPLE, ClassBatch


def test_same_file_same_row(class_batch: ClassBatch):
    """Does a trained submission graded twice in one batch (two workers, under attack from the
    corpus beside it) get identical points, cases and messages both times?"""
    first = class_batch.results[f"honest_{DETERMINISM_EXAMPLE}"]
    second = class_batch.results[f"honest_{DETERMINISM_EXAMPLE}{AGAIN}"]
    assert first.status is Status.OK
    differs = {"seconds", "output", "submission", "source"}
    assert first.model_dump(exclude=differs) == second.model_dump(exclude=differs)


def test_the_plan_is_recorded_once_and_again_when_what_it_depends_on_changes(tmp_path, monkeypatch):
    """Is the reference's plan recorded on first use, then read back (equal, with no Keras
    run) until the config changes; is a damaged recorded plan recorded again?"""
    from grader import datasets, grading
    from grader.config import load_config

    cache = f"plans-test-{uuid.uuid4().hex}"
    monkeypatch.setattr(grading, "PLAN_CACHE", cache)
    config = load_config()
    try:
        first = grading.prepare_context(config, tmp_path / "first")
        stored = list((datasets.data_home() / cache).iterdir())
        assert len(stored) == 1 and (stored[0] / "plan.npz").is_file()

        def no_recording(*arguments, **keywords):
            raise AssertionError("the plan was recorded again")

        with monkeypatch.context() as patched:
            patched.setattr(grading, "build_plan", no_recording)
            second = grading.prepare_context(config, tmp_path / "second")
        assert second.plan == first.plan
        assert second.plan_arrays.keys() == first.plan_arrays.keys()
        for name, array in first.plan_arrays.items():
            assert np.array_equal(second.plan_arrays[name], array), name

        (stored[0] / "plan.npz").write_bytes(b"damaged")
        third = grading.prepare_context(config, tmp_path / "third")
        assert third.plan == first.plan
        with np.load(stored[0] / "plan.npz") as recorded_again:  # stored whole again
            assert set(recorded_again.files) == set(first.plan_arrays)
        reseeded = config.model_copy(
            update={"grading": config.grading.model_copy(update={"seed": 7})}
        )
        grading.prepare_context(reseeded, tmp_path / "fourth")
        assert len(list((datasets.data_home() / cache).iterdir())) == 2
    finally:
        shutil.rmtree(datasets.data_home() / cache, ignore_errors=True)
