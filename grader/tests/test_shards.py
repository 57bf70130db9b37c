"""Sharded grading: `grader grade --shard K/N` slices a class by name; `grader merge` joins.

The fast tests build shard journals by hand; the slow one runs three shards as separate
processes and compares the merged gradebook with a single run's, cell by cell."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.config import CONFIG_ENV
from grader.course.batch import Journal
from grader.course.shards import Shard, parse_shard, read_shards, select, shard_of, write_journal
from grader.errors import GraderError
from grader.records import CaseResult as Case
from grader.records import Outcome, QuestionResult, Status, SubmissionResult
from grader.submissions import Submission
from grader.tests.tiny_assignment import grader_command, write_tiny_assignment

GRADER = [sys.executable, "-m", "grader"]


def row(name: str, points: float = 1.0, version: str = "0.1.0") -> SubmissionResult:
    outcome = Outcome.PASSED if points else Outcome.FAILED
    case = Case(question="load", name="load", max_points=1.0, hidden=False, outcome=outcome)
    return SubmissionResult(
        submission=name,
        source=f"{name}.py",
        sha256=name * 2,
        status=Status.OK,
        note="",
        questions=(QuestionResult(id="load", cases=(case,)),),
        seconds=1.0,
        grader_version=version,
    )


def shard_folder(root: Path, name: str, rows: list[SubmissionResult], settings="s1") -> Path:
    folder = root / name
    journal = Journal(folder / "journal.jsonl")
    with journal.opened():
        for result in rows:
            journal.append(result, settings)
    return folder


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "2", "-1/2"])
def test_parse_shard_refuses_what_is_not_k_of_n(text: str):
    with pytest.raises(GraderError, match="--shard"):
        parse_shard(text)


def test_parse_shard_reads_k_of_n():
    assert parse_shard(" 2 / 8 ") == Shard(2, 8)


def test_shards_partition_a_class_whatever_its_order():
    names = [f"student_{number:03d}" for number in range(300)]
    submissions = [Submission(name, Path(f"{name}.py"), "0" * 64) for name in names]
    slices = [select(submissions, Shard(k, 4)) for k in range(1, 5)]
    seen = [s.name for part in slices for s in part]
    assert sorted(seen) == names, "every submission in exactly one shard"
    assert all(40 < len(part) < 110 for part in slices), [len(p) for p in slices]
    reversed_slices = [select(submissions[::-1], Shard(k, 4)) for k in range(1, 5)]
    assert [sorted(s.name for s in p) for p in reversed_slices] == [
        sorted(s.name for s in p) for p in slices
    ], "a shard depends on names, not on the listing's order"
    assert shard_of("\udcff odd name", 3) in (1, 2, 3), "names that are not UTF-8 still shard"


def test_merge_joins_rows_sorted_and_writes_one_journal(tmp_path: Path):
    one = shard_folder(tmp_path, "one", [row("b"), row("d", 0)])
    two = shard_folder(tmp_path, "two", [row("a"), row("c")])
    merged = read_shards([one, two])
    assert [r.submission for r in merged.rows] == ["a", "b", "c", "d"]
    assert merged.per_shard == {one: 2, two: 2}
    journal = write_journal(merged, tmp_path / "out")
    again = read_shards([journal.parent])
    assert again.rows == merged.rows and again.settings == "s1"


def test_merge_refuses_a_row_graded_in_two_shards(tmp_path: Path):
    one = shard_folder(tmp_path, "one", [row("a"), row("b")])
    two = shard_folder(tmp_path, "two", [row("b")])
    with pytest.raises(GraderError, match="'b' was graded in two shards"):
        read_shards([one, two])


def test_merge_refuses_shards_graded_with_other_settings(tmp_path: Path):
    one = shard_folder(tmp_path, "one", [row("a")], settings="s1")
    two = shard_folder(tmp_path, "two", [row("b")], settings="s2")
    with pytest.raises(GraderError, match="different grader versions or settings"):
        read_shards([one, two])


def test_merge_refuses_a_folder_without_a_journal(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(GraderError, match=r"holds no journal\.jsonl"):
        read_shards([tmp_path / "empty"])


def test_a_rerun_shard_keeps_its_latest_row(tmp_path: Path):
    folder = shard_folder(tmp_path, "one", [row("a", 0), row("a", 1)])
    (only,) = read_shards([folder]).rows
    assert only.total == 1


def gradebook(folder: Path) -> list[dict[str, str]]:
    with (folder / "grades.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    for cells in rows:
        cells.pop("seconds", None)  # wall time differs run to run
    return rows


@pytest.mark.slow
def test_three_shard_processes_merge_into_the_single_run_gradebook(tmp_path: Path):
    """Three `grader grade --shard K/3` processes, merged, give the single run's gradebook.

    The class is of the tiny numpy assignment: what is tested is how a class is sliced and
    joined (every status, no row lost or doubled), which no trained model adds to."""
    assignment = write_tiny_assignment(tmp_path / "tiny")
    made = grader_command("template", "--assignment", str(assignment), cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    reference = (assignment / "examples" / "reference.py").read_text()
    template = (assignment / "student_template.py").read_text()
    folder = tmp_path / "class"
    folder.mkdir()
    sources = {
        "reference": reference,
        "wrong": reference.replace("* 2", "+ 2"),
        "broken": "def double(:\n",
        "raises_at_import": "raise RuntimeError('no')\n",
    }
    for number in range(5):
        sources[f"untouched_{number}"] = template + f"\n# copy {number}\n"
    for name, text in sources.items():
        (folder / f"{name}.py").write_text(text)

    def grading(out: Path, *more: str) -> list[str]:
        return ["grade", str(folder), "--out", str(out), "--assignment", str(assignment), *more]

    single = tmp_path / "single"
    done = grader_command(*grading(single), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    shards = [tmp_path / f"shard{k}" for k in (1, 2, 3)]
    environment = {k: v for k, v in os.environ.items() if k != CONFIG_ENV}
    processes = [
        subprocess.Popen(
            [*GRADER, *grading(out, "--shard", f"{k}/3", "--workers", "1")], env=environment
        )
        for k, out in enumerate(shards, start=1)
    ]
    assert [process.wait(timeout=900) for process in processes] == [0, 0, 0]
    merged = tmp_path / "merged"
    joined = grader_command(
        "merge",
        "--out",
        str(merged),
        "--assignment",
        str(assignment),
        *map(str, shards),
        cwd=tmp_path,
    )
    assert joined.returncode == 0, joined.stdout + joined.stderr

    rows = gradebook(merged)
    assert rows == gradebook(single)
    assert len(rows) == len(sources)
    by_name = {cells["submission"]: cells for cells in rows}
    assert float(by_name["reference"]["total"]) == 3.0 and float(by_name["wrong"]["total"]) == 1.0
    assert {by_name[name]["status"] for name in ("broken", "raises_at_import")} == {"error"}
    assert by_name["untouched_0"]["status"] == "not_attempted"
    names = {path.name for path in (merged / "results").iterdir()}
    assert names == {path.name for path in (single / "results").iterdir()}
    assert (merged / "report.html").is_file()
