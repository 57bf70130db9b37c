"""A correct model earns full marks however it is spelled (assignment/equivalents/): the checks
judge what the model computes, never the layer classes or imports used to write it. They are
graded in the suite's shared class batch (class_batch.py), beside the hostile corpus."""

from pathlib import Path

import pytest

from grader.tests.class_batch import SPELLING, ClassBatch, spellings


@pytest.fixture(scope="module")
def gradebook(class_batch: ClassBatch) -> dict[str, dict[str, str]]:
    """Every equivalent spelling's row, graded in the suite's shared class batch."""
    return {
        name.removeprefix(SPELLING): row
        for name, row in class_batch.rows.items()
        if name.startswith(SPELLING)
    }


def test_there_are_spellings_to_grade():
    assert {path.stem for path in spellings()} >= {
        "functional_api",
        "tf_keras_add",
        "activation_layer",
        "reshape_not_flatten",
    }


@pytest.mark.slow
@pytest.mark.parametrize("path", spellings(), ids=lambda path: path.stem)
def test_each_spelling_earns_full_marks(gradebook, path: Path):
    row = gradebook[path.stem]
    assert row["status"] == "ok", row
    assert row["total"] == row["max"], f"{path.stem} lost points: {row}"
