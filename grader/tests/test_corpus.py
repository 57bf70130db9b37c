"""A batch mixing the hostile corpus (grader/tests/corpus/) with the honest submissions produces
the complete, correct gradebook, and leaves the machine as it found it. The batch is the suite's
shared one (`class_batch.py`): the examples and the equivalent spellings are graded in it too."""

import csv
import json
import re

import pytest

from grader.config import CHECKS_DIRECTORY
from grader.course.commands.grade import parent_memory_bound_mb
from grader.exercises import perceptron
from grader.records import Status
from grader.tests.class_batch import (
    CORPUS,
    ENDLESS_TIMEOUT_SECONDS,
    HONEST_COPIES,
    MARKERS,
    SECRET,
    SPELLING,
    ClassBatch,
    compose,
    digest_tree,
    gradebook,
    sandbox_processes,
)

MISTAKES = perceptron.mistakes()


@pytest.fixture(scope="module")
def batch(class_batch: ClassBatch) -> ClassBatch:
    return class_batch


def test_batch_completes_with_every_row(batch):
    """Do both batches (the main one and the endless one beside it) finish, exit 0, and give
    exactly one row per submission?"""
    for completed in (batch.completed, batch.endless_completed):
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    expected = set(batch.expect) | {
        p.stem for pattern in ("honest_*.py", f"{SPELLING}*.py") for p in batch.folder.glob(pattern)
    }
    assert set(batch.rows) == expected
    assert batch.row_count == len(expected)
    endless = {name for name, expect in batch.expect.items() if expect.get("endless")}
    assert {row["submission"] for row in gradebook(batch.endless_out)} == endless


def test_grader_memory_stays_within_its_documented_bound(batch):
    """Whatever the corpus writes, the grading process stays within the bound SECURITY.md gives
    (its own peak resident memory, which `grader grade` prints)."""
    for completed, workers in ((batch.completed, 2), (batch.endless_completed, 1)):
        stdout = completed.stdout
        match = re.search(r"Grading process peak memory: (\d+) MB .*bound: (\d+) MB", stdout)
        assert match, stdout[-2000:]
        peak, bound = int(match[1]), int(match[2])
        assert bound == parent_memory_bound_mb(workers)
        assert peak <= bound, f"the grader peaked at {peak} MB, above its bound of {bound} MB"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.py")), ids=lambda path: path.stem)
def test_hostile_submission_earns_nothing_unearned(batch, path):
    """Does each hostile submission get an expected status (and note) and no point beyond its
    honest part?"""
    name, _ = compose(path)
    expect, row = batch.expect[name], batch.rows[name]
    assert row["status"] in expect["status"], (row["status"], row["note"])
    assert expect.get("note", "") in row["note"], row["note"]
    # The attack ran before its run ended (the endless ones have a shorter limit).
    assert len(batch.results[name].output) >= expect.get("output_at_least", 0), row["note"]

    def points(limit: float | str) -> float:
        if isinstance(limit, str):
            return float(batch.rows[f"honest_{limit.removeprefix('baseline:')}"]["total"])
        return limit

    assert float(row["total"]) <= points(expect["max_total"]), row
    # An attack on the honest part's records must not cost it either.
    assert float(row["total"]) >= points(expect.get("min_total", 0)), row


def test_endless_runs_end_at_the_time_limit(batch):
    """Does each submission that never finishes (spinning or sleeping at import, a stopped
    clock, ignored signals, a fork bomb, a flood of output) end as a timeout, with no points,
    within 15 s of the endless batch's limit (a fork bomb takes some seconds to end)?"""
    endless = [name for name, expect in batch.expect.items() if expect["status"] == ["timeout"]]
    assert len(endless) >= 4, endless
    for name in endless:
        result = batch.results[name]
        assert result.status is Status.TIMEOUT and result.total == 0, (name, result.note)
        assert result.seconds < ENDLESS_TIMEOUT_SECONDS + 15, (name, result.seconds)
        assert f"Stopped after {ENDLESS_TIMEOUT_SECONDS:g} s" in result.note, (name, result.note)


def test_honest_rows_are_correct(batch):
    """Are the honest submissions' rows exactly what they earn when graded alone?"""
    rows = batch.rows
    assert rows["honest_reference"]["total"] == rows["honest_reference"]["max"]
    for copy in range(HONEST_COPIES):
        row = rows[f"honest_copy_{copy:02}"]
        assert (row["status"], row["total"]) == ("ok", row["max"]), row
    assert (rows["honest_template"]["status"], rows["honest_template"]["total"]) == (
        "not_attempted",
        "0",
    )
    for mistake in MISTAKES:
        row = rows[f"honest_{mistake.name}"]
        assert row["status"] == "ok"
        for question in mistake.fails:
            assert float(row[question]) < float(rows["honest_reference"][question]), question


def test_inputs_checks_and_gradebook_are_untouched(batch):
    """Are the submissions, the hidden checks, a canary file and the finished gradebook
    byte-identical after the batch and after detached processes had time to act?"""
    assert digest_tree(batch.inputs) == batch.before
    assert digest_tree(CHECKS_DIRECTORY) == batch.checks_before
    assert batch.canary.read_text() == "untouched"
    for out in batch.outs:
        assert (out / "grades.csv").read_bytes() == batch.grades_after_batch[out], out.name


def test_nothing_reached_the_network_or_unpickled(batch):
    """Did no byte reach the loopback listener, and did no planted pickle or Lambda run?"""
    assert batch.listener.received == []
    assert not any(marker.exists() for marker in MARKERS)


def test_student_visible_output_holds_no_secret(batch):
    """Do the results students see hold no line of the check files and no environment secret?"""
    secrets = {
        line.strip()
        for path in CHECKS_DIRECTORY.glob("*.py")
        for line in path.read_text().splitlines()
        if len(line.strip()) >= 16
    }
    for out in batch.outs:
        for path in (out / "results").glob("*.json"):
            shown = path.read_text()
            assert SECRET not in shown, path.name
            assert "Leak_" not in shown, path.name  # 53: an exception class named with hidden data
            assert "LEAKED" not in shown, path.name  # 49: hidden inputs got by claiming done early
            leaked = [line for line in secrets if line in shown]
            assert leaked == [], (path.name, leaked[:3])
        gradebook = (out / "grades.csv").read_text()
        assert SECRET not in gradebook and "LEAKED" not in gradebook


def test_gradebook_and_results_are_inert(batch):
    """Do grades.csv and every results.json hold no control character (ESC, OSC, C1), no cell
    that starts a spreadsheet formula, and notes of bounded length, whatever the submissions
    printed or raised (corpus 45-48)?"""
    controls = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    for out in batch.outs:
        text = (out / "grades.csv").read_text()
        assert not controls.search(text)
        with (out / "grades.csv").open(newline="") as stream:
            for row in csv.DictReader(stream):
                for cell in row.values():
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell[:80]
                assert len(row["note"]) <= 4000, row["submission"]
        for path in (out / "results").glob("*.json"):
            assert not controls.search(json.loads(path.read_text())["output"]), path.name


def test_no_sandbox_process_is_left(batch):
    """Is every process of every sandbox gone after the batch?"""
    assert sandbox_processes(batch.jobs) == []
