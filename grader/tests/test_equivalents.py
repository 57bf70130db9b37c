"""A correct model earns full marks however it is spelled (assignment/equivalents/): the checks
judge what the model computes, never the layer classes or imports used to write it."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from grader.config import REPOSITORY_ROOT

EQUIVALENTS = REPOSITORY_ROOT / "assignment" / "equivalents"


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Every equivalent spelling graded in one batch, two at a time."""
    out = tmp_path_factory.mktemp("equivalents")
    command = [sys.executable, "-m", "grader", "grade", *map(str, spellings())]
    completed = subprocess.run(
        [*command, "--out", str(out), "--workers", "2"],
        capture_output=True,
        text=True,
        cwd=REPOSITORY_ROOT,
        timeout=1800,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    with (out / "grades.csv").open(newline="") as stream:
        return {row["submission"]: row for row in csv.DictReader(stream)}


def spellings() -> list[Path]:
    return sorted(EQUIVALENTS.glob("*.py"))


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
