"""Grading a class: one row per submission, a journal that survives interruption, parallel equal
to serial. Mostly cheap submissions (the untouched template, syntax errors, invalid files)."""

import contextlib
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import grader.course.batch as batch
from grader.config import REPOSITORY_ROOT, TEMPLATE_PATH
from grader.course.batch import (
    JOURNAL_NAME,
    SETTINGS_KEY,
    available_memory,
    default_workers,
    grade_batch,
)
from grader.errors import GraderError
from grader.records import Status
from grader.submissions import discover, submission_at

TEMPLATE = TEMPLATE_PATH.read_text()
REAL_GRADE = batch.grade_submission
CLASS_STATUSES = {
    "ada": "not_attempted",
    "bob": "not_attempted",
    "carol": "error",
    "dan.txt": "invalid",
    "erin": "invalid",
    "frank": "invalid",
}


def make_class(folder: Path) -> Path:
    """Two untouched templates, a syntax error, and three files that cannot be graded."""
    (folder / "ada").mkdir(parents=True)
    (folder / "ada" / "student_template.py").write_text(TEMPLATE)
    (folder / "bob.py").write_text(TEMPLATE + "\n# bob\n")
    (folder / "carol.py").write_text("def broken(:\n")
    (folder / "dan.txt").write_text("not python")
    (folder / "erin.py").write_text("")
    (folder / "frank").mkdir()
    return folder


def journal_lines(out: Path) -> list[dict]:
    data = (out / JOURNAL_NAME).read_bytes()
    assert data.endswith(b"\n"), "the journal ends with a complete line"
    return [json.loads(line) for line in data.splitlines()]


def journal_keys(out: Path) -> list[tuple]:
    return [
        (row["submission"], row["sha256"], row["grader_version"], row[SETTINGS_KEY])
        for row in journal_lines(out)
    ]


def gradebook(out: Path) -> list[dict]:
    with (out / "grades.csv").open() as stream:
        return list(csv.DictReader(stream))


def statuses(out: Path) -> dict[str, str]:
    rows = gradebook(out)
    names = [row["submission"] for row in rows]
    assert len(names) == len(set(names)), f"one row per submission: {names}"
    return {row["submission"]: row["status"] for row in rows}


class Spy:
    """Stands in for grade_submission: records each call, then grades for real or refuses."""

    def __init__(self, allowed: bool = True, interrupt_after: int | None = None, known=()) -> None:
        self.calls: list[str] = []
        self.allowed = allowed
        self.interrupt_after = interrupt_after
        self.known = {(result.submission, result.sha256): result for result in known}

    def __call__(self, submission, context):
        self.calls.append(submission.name)
        if self.interrupt_after is not None and len(self.calls) > self.interrupt_after:
            raise KeyboardInterrupt
        if not self.allowed:
            raise RuntimeError(f"{submission.name} was graded again")
        known = self.known.get((submission.name, submission.sha256))
        return known if known is not None else REAL_GRADE(submission, context)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, context):
    """A class graded once with two workers: (folder, out, report)."""
    root = tmp_path_factory.mktemp("class")
    folder = make_class(root / "submissions")
    out = root / "out"
    report = grade_batch(discover([folder]), context, out, workers=2)
    return folder, out, report


@pytest.fixture
def regrade(graded_class, tmp_path):
    """A copy of the graded class and its outputs, to change and grade again."""
    folder, out, _ = graded_class
    shutil.copytree(folder, tmp_path / "submissions")
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "submissions", tmp_path / "out"


def test_every_submission_gets_one_row(graded_class):
    """Does every entry of the folder get exactly one row, one results file and one journal line?"""
    _, out, report = graded_class
    assert [result.submission for result in report.results] == sorted(CLASS_STATUSES)
    assert statuses(out) == CLASS_STATUSES
    assert sorted(path.stem for path in (out / "results").glob("*.json")) == sorted(CLASS_STATUSES)
    assert sorted(key[0] for key in journal_keys(out)) == sorted(CLASS_STATUSES)
    assert report.reused == 0 and sorted(report.graded) == sorted(CLASS_STATUSES)


def test_rerun_with_complete_journal_grades_nothing(regrade, graded_class, context, monkeypatch):
    """Does rerunning a finished batch grade nothing and rebuild the same gradebook (each row's
    source naming the files where they are now)?"""
    folder, out = regrade
    before = (out / "grades.csv").read_text().replace(str(graded_class[0]), str(folder))
    (out / "grades.csv").unlink()
    shutil.rmtree(out / "results")
    spy = Spy(allowed=False)
    monkeypatch.setattr(batch, "grade_submission", spy)
    report = grade_batch(discover([folder]), context, out, workers=2)
    assert spy.calls == []
    assert report.graded == [] and report.reused == len(CLASS_STATUSES)
    assert (out / "grades.csv").read_text() == before
    assert len(list((out / "results").glob("*.json"))) == len(CLASS_STATUSES)
    assert len(journal_lines(out)) == len(CLASS_STATUSES)


def test_truncated_last_line_is_dropped_and_regraded(regrade, context, monkeypatch):
    """Is a journal line cut short by a crash ignored, removed, and its submission graded again?"""
    folder, out = regrade
    journal = out / JOURNAL_NAME
    lines = journal.read_bytes().splitlines(keepends=True)
    # The cheap one last (invalid: no sandbox), then a crash while writing it.
    lines.sort(key=lambda line: json.loads(line)["submission"] == "dan.txt")
    journal.write_bytes(b"".join(lines)[:-40])
    last = "dan.txt"
    spy = Spy()
    monkeypatch.setattr(batch, "grade_submission", spy)
    report = grade_batch(discover([folder]), context, out, workers=2)
    assert spy.calls == [last]
    assert report.truncated_line
    assert statuses(out) == CLASS_STATUSES
    keys = journal_keys(out)
    assert len(keys) == len(set(keys)) == len(CLASS_STATUSES)


def test_changed_file_is_regraded_and_its_newer_row_wins(regrade, context, monkeypatch):
    """Is a submission whose content changed graded again, the gradebook showing the new row?"""
    folder, out = regrade
    (folder / "erin.py").write_text("\n\n")  # still empty, but not the same file
    spy = Spy()
    monkeypatch.setattr(batch, "grade_submission", spy)
    report = grade_batch(discover([folder]), context, out, workers=2)
    assert spy.calls == ["erin"]
    erin = next(result for result in report.results if result.submission == "erin")
    assert erin.sha256 == submission_at(folder / "erin.py").sha256
    assert [key[0] for key in journal_keys(out)].count("erin") == 2  # the old row is kept
    assert statuses(out) == CLASS_STATUSES


def test_rows_only_for_the_paths_given(regrade, context, monkeypatch):
    """Does a run on part of the class render only that part, keeping the rest in the journal?"""
    folder, out = regrade
    monkeypatch.setattr(batch, "grade_submission", Spy(allowed=False))
    grade_batch(discover([folder / "bob.py", folder / "carol.py"]), context, out)
    assert statuses(out) == {"bob": "not_attempted", "carol": "error"}
    assert len(journal_lines(out)) == len(CLASS_STATUSES)


def test_two_workers_give_the_same_rows_as_one(graded_class, context, tmp_path):
    """Does grading with one worker give the very rows two workers gave?"""
    folder, out, parallel = graded_class
    serial = grade_batch(discover([folder]), context, tmp_path / "out", workers=1)
    assert (tmp_path / "out" / "grades.csv").read_text() == (out / "grades.csv").read_text()
    exclude = {"seconds", "output"}
    assert [r.model_dump(exclude=exclude) for r in serial.results] == [
        r.model_dump(exclude=exclude) for r in parallel.results
    ]
    for name in CLASS_STATUSES:
        one, two = (
            json.loads((directory / "results" / f"{name}.json").read_text())
            for directory in (tmp_path / "out", out)
        )
        assert {**one, "execution_time": 0} == {**two, "execution_time": 0}


def test_interrupted_batch_leaves_a_valid_journal_and_resumes(graded_class, context, tmp_path):
    """After Ctrl-C mid-batch, is the journal valid, and does a rerun grade only the rest?"""
    folder, _, graded = graded_class
    out = tmp_path / "out"
    interrupting = Spy(interrupt_after=1, known=graded.results)  # answers as graded before
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "grade_submission", interrupting)
        with pytest.raises(KeyboardInterrupt):
            grade_batch(discover([folder]), context, out, workers=1)
    assert interrupting.calls[0] == "ada"
    assert [row["submission"] for row in journal_lines(out)] == ["ada"]
    assert statuses(out) == {"ada": "not_attempted"}

    resuming = Spy(known=graded.results)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "grade_submission", resuming)
        report = grade_batch(discover([folder]), context, out, workers=2)
    assert sorted(resuming.calls) == sorted(set(CLASS_STATUSES) - {"ada"})
    assert report.reused == 1
    assert statuses(out) == CLASS_STATUSES
    keys = journal_keys(out)
    assert len(keys) == len(set(keys)) == len(CLASS_STATUSES)


def test_grader_error_is_a_row_and_is_retried(graded_class, context, tmp_path, monkeypatch):
    """Does a crash of ours give a grader_error row, and a rerun retry only that submission?"""
    folder, _, _ = graded_class
    out = tmp_path / "out"
    submissions = [submission_at(folder / "dan.txt"), submission_at(folder / "erin.py")]

    def broken(submission, context):
        if submission.name == "erin":
            raise RuntimeError("disk on fire")
        return REAL_GRADE(submission, context)

    monkeypatch.setattr(batch, "grade_submission", broken)
    report = grade_batch(submissions, context, out)
    assert [r.status for r in report.grader_errors] == [Status.GRADER_ERROR]
    assert "disk on fire" in report.grader_errors[0].note
    assert statuses(out) == {"dan.txt": "invalid", "erin": "grader_error"}

    spy = Spy()
    monkeypatch.setattr(batch, "grade_submission", spy)
    report = grade_batch(submissions, context, out)
    assert spy.calls == ["erin"] and not report.grader_errors
    assert statuses(out) == {"dan.txt": "invalid", "erin": "invalid"}


def test_unreadable_lines_and_a_second_batch_are_refused(graded_class, context, tmp_path):
    """Are garbage journal lines skipped, and a second batch on the same folder refused?"""
    folder, out, _ = graded_class
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    with (copy / JOURNAL_NAME).open("ab") as stream:
        stream.write(b'not json\n{"submission": "x"}\n')
    submissions = [submission_at(folder / "dan.txt")]
    journal = batch.Journal(copy / JOURNAL_NAME)
    with journal.opened() as contents:
        assert contents.unreadable == 2 and len(contents.rows) == len(CLASS_STATUSES)
        with pytest.raises(GraderError, match="Another `grader grade`"):
            grade_batch(submissions, context, copy)
    assert grade_batch(submissions, context, copy).reused == 1


def test_two_files_with_one_name_are_refused(tmp_path, context):
    """Are a.py and a/student_template.py, which would share results/a.json, refused up front?"""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "student_template.py").write_text(TEMPLATE)
    (tmp_path / "a.py").write_text(TEMPLATE)
    with pytest.raises(GraderError, match="share a name"):
        grade_batch(discover([tmp_path]), context, tmp_path / "out")


def test_default_workers_follow_cores_and_memory(tmp_path, monkeypatch):
    """Is the default the cores, at most one per 3 GiB of available memory, and at least one?"""
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       65000000 kB\nMemAvailable:    7340032 kB\n")
    assert available_memory(meminfo) == 7 << 30
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.setattr(batch, "available_memory", lambda: 7 << 30)
    assert default_workers() == 2
    monkeypatch.setattr(batch, "available_memory", lambda: 1 << 30)
    assert default_workers() == 1
    monkeypatch.setattr(batch, "available_memory", lambda: None)
    assert default_workers() == 16


# ---- The command line, in subprocesses -----------------------------------------------------


def grader_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "grader", "grade", *arguments]


def test_cli_grades_in_parallel_and_prints_a_summary(tmp_path):
    """Does `grader grade --workers 2` exit 0, print a summary, and no progress bar into a log?"""
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "ada.py").write_text(TEMPLATE)
    (folder / "carol.py").write_text("def broken(:\n")
    (folder / "dan.txt").write_text("not python")
    out = tmp_path / "out"
    completed = subprocess.run(
        grader_command(str(folder), "--out", str(out), "--workers", "2"),
        capture_output=True,
        text=True,
        cwd=REPOSITORY_ROOT,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    stdout = completed.stdout
    assert "Gradebook" in stdout and "Summary" in stdout
    assert "mean score" in stdout and "slowest" in stdout
    assert "Exit status 0: no grader errors." in stdout
    assert "ETA" not in stdout  # not a terminal: one line per result, no bar frames
    assert sum(line.startswith("[") and "/3] " in line for line in stdout.splitlines()) == 3
    assert statuses(out) == {"ada": "not_attempted", "carol": "error", "dan.txt": "invalid"}


def _as_from_a_terminal() -> None:
    """SIGINT as a terminal's foreground command has it. A shell gives background jobs SIGINT
    ignored, and a Python started so never turns Ctrl-C into KeyboardInterrupt: when the suite
    itself runs in the background (`./.ci/run &`), the test would otherwise inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_batch(command: list[str], environment: dict[str, str]) -> subprocess.Popen:
    """A `grader grade` in its own session, its output discarded, to be stopped by the test."""
    return subprocess.Popen(
        command,
        cwd=REPOSITORY_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_as_from_a_terminal,
    )


def _kill_strays(marker: str) -> None:
    """Kill sandboxes orphaned by a killed grader: their command line names our job folder."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in command:
                with contextlib.suppress(OSError):
                    os.kill(int(entry.name), signal.SIGKILL)


def test_killed_batch_resumes_without_loss_or_duplicates(tmp_path):
    """After kill -9 mid-batch, does the same command finish it: every row once, nothing twice?"""
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "a_sleeper.py").write_text("import time\ntime.sleep(60)\n")
    for number in range(1, 5):
        (folder / f"t{number}.py").write_text(TEMPLATE + f"\n# copy {number}\n")
    out = tmp_path / "out"
    jobs = tmp_path / "jobs"  # sandbox job folders land here, so strays can be found
    jobs.mkdir()
    command = grader_command(str(folder), "--out", str(out), "--workers", "2", "--timeout", "20")
    environment = {**os.environ, "TMPDIR": str(jobs)}
    try:
        first = start_batch(command, environment)
        journal = out / JOURNAL_NAME
        deadline = time.monotonic() + 180
        while not (journal.exists() and journal.read_bytes().count(b"\n") >= 1):
            assert first.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no submission was journaled in time"
            time.sleep(0.1)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        finished_before = journal.read_bytes().count(b"\n")
        assert 1 <= finished_before < 5
        _kill_strays(str(jobs))

        second = subprocess.run(
            command,
            cwd=REPOSITORY_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        _kill_strays(str(jobs))
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"{finished_before} already in" in second.stdout
    expected = {f"t{number}": "not_attempted" for number in range(1, 5)}
    assert statuses(out) == {"a_sleeper": "timeout", **expected}
    keys = journal_keys(out)
    assert len(keys) == len(set(keys)) == 5


def _processes_naming(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in command:
                found.append(int(entry.name))
    return found


def _job_folders_in_use(jobs: Path) -> set[str]:
    """The sandbox job folders under `jobs` that a running process names (any tier)."""
    found = set()
    for pid in _processes_naming(str(jobs)):
        with contextlib.suppress(OSError):
            for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                if part.startswith(str(jobs).encode() + b"/grader-job-"):
                    found.add(part.decode(errors="replace"))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_sigterm_stops_a_two_worker_batch_within_five_seconds(tmp_path, stop):
    """SIGTERM to the grader, or Ctrl-C (SIGINT to its process group), while two sandboxes run:
    exit 130 within 5 s, no sandbox left, rerun finishes."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ("slow_a", "slow_b"):  # each says, in its job folder, that it is asleep
        (folder / f"{name}.py").write_text(
            f"import pathlib, time\npathlib.Path('asleep').touch()\ntime.sleep(300)  # {name}\n"
        )
    out = tmp_path / "out"
    jobs = tmp_path / "jobs"  # sandbox job folders land here: their processes name it
    jobs.mkdir()
    environment = {**os.environ, "TMPDIR": str(jobs)}
    command = grader_command(str(folder), "--out", str(out), "--workers", "2", "--timeout", "600")
    try:
        batch_process = start_batch(command, environment)
        deadline = time.monotonic() + 240
        while len(list(jobs.glob("grader-job-*/asleep"))) < 2:  # past start-up, in the sleep
            assert batch_process.poll() is None, "the batch ended before both sandboxes ran"
            assert time.monotonic() < deadline, "two sandboxes did not reach their sleep in time"
            time.sleep(0.2)
        assert len(_job_folders_in_use(jobs)) == 2
        sent = time.monotonic()
        if stop == "SIGTERM":
            batch_process.send_signal(signal.SIGTERM)
        else:  # what a terminal's Ctrl-C does: SIGINT to the foreground process group
            os.killpg(batch_process.pid, signal.SIGINT)
        code = batch_process.wait(timeout=60)
        stopped = time.monotonic() - sent
        left = _processes_naming(str(jobs))
    finally:
        _kill_strays(str(jobs))
    assert code == 130, f"exit status {code}, expected 130 (interrupted)"
    assert stopped < 5, f"{stop} took {stopped:.1f} s to stop the batch"
    assert left == [], f"sandbox processes left running: {left}"

    rerun = subprocess.run(
        grader_command(str(folder), "--out", str(out), "--workers", "2", "--timeout", "5"),
        cwd=REPOSITORY_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert statuses(out) == {"slow_a": "timeout", "slow_b": "timeout"}
