"""Intake never leaves a submission or drops one silently; names and text from submissions are
inert in a terminal, a spreadsheet and a file name. Fast: no sandbox, no training."""

import csv
import io
import os
import re
from pathlib import Path

import pytest
from rich.console import Console

from grader.course.autograder import locate_submission
from grader.errors import GraderError
from grader.records import Status, SubmissionResult
from grader.render import Redactor, gradebook_csv, write_outputs
from grader.submissions import MAX_SUBMISSION_BYTES, discover, submission_at
from grader.text import csv_cell, file_id, note, printable

SOURCE = "def load_mnist():\n    raise NotImplementedError\n"


def row(name: str, note_text: str = "", status: Status = Status.OK) -> SubmissionResult:
    return SubmissionResult(
        submission=name,
        source=name,
        sha256="0" * 64,
        status=status,
        note=note_text,
        questions=(),
        seconds=1.0,
        grader_version="test",
    )


# ---- Text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b[31mred\x1b[0m", "red"),
        ("a\x1b]0;new title\x07b", "ab"),
        ("link \x1b]8;;http://evil\x1b\\here\x1b]8;;\x1b\\", "link here"),
        ("reset \x1bc now", "reset  now"),
        ("c1 \x9b31m csi and \x85 nel", "c1  csi and  nel"),
        ("bell\x07 nul\x00 keeps\ttab\nand newline", "bell nul keeps\ttab\nand newline"),
        ("not utf-8 \udcff here", "not utf-8 \\xff here"),
    ],
)
def test_printable_strips_every_control_and_escape(raw: str, shown: str):
    assert printable(raw) == shown


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_never_start_a_formula(start: str):
    cell = csv_cell(f"{start}HYPERLINK(1)")
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) and "HYPERLINK(1)" in cell


def test_notes_are_capped():
    capped = note("x" * 50_000)
    assert len(capped) <= 2000 and capped.endswith("characters cut)")


def test_file_ids_are_short_safe_and_distinct():
    assert file_id("alice") == "alice"
    names = ["a" * 300, "a" * 299 + "b", "../../etc/passwd", "=x\x1b", "caf\udce9", ".hidden"]
    ids = [file_id(name) for name in names]
    assert len(set(ids)) == len(ids)
    for made in ids:
        assert len(made) <= 80 and "/" not in made and not made.startswith(".")
        assert made.isascii() and made.isprintable()


# ---- Intake -----------------------------------------------------------------------------


def test_a_symlink_to_the_solution_is_a_row_never_followed(tmp_path: Path):
    secret = tmp_path / "solution.py"
    secret.write_text(SOURCE)
    folder = tmp_path / "class"
    (folder / "mallory").mkdir(parents=True)
    (folder / "mallory" / "student_template.py").symlink_to(secret)
    (folder / "eve.py").symlink_to(secret)
    (folder / "proc.py").symlink_to("/proc/self/mem")
    rows = {s.name: s for s in discover([folder])}
    assert set(rows) == {"mallory", "eve", "proc"}
    for submission in rows.values():
        assert submission.problem and "symbolic link" in submission.problem
        assert submission.sha256 == ""


def test_special_files_are_rows_and_never_block(tmp_path: Path):
    folder = tmp_path / "class"
    folder.mkdir()
    os.mkfifo(folder / "pipe.py")
    (submission,) = discover([folder])
    assert "not a regular file" in submission.problem


def test_a_huge_sparse_file_is_refused_by_its_size_unread(tmp_path: Path):
    huge = tmp_path / "huge.py"
    with huge.open("wb") as stream:
        stream.truncate(5 << 30)  # 5 GiB, no blocks
    submission = submission_at(huge)
    assert f"at most {MAX_SUBMISSION_BYTES}" in submission.problem


def test_names_that_are_not_text_or_too_long_become_rows(tmp_path: Path):
    folder = tmp_path / "class"
    folder.mkdir()
    odd = os.fsdecode(b"\xff\xfe\x1b[31m.py")
    (folder / odd).write_text(SOURCE)
    (folder / ("n" * 250 + ".py")).write_text(SOURCE)
    submissions = discover([folder])
    assert len(submissions) == 2
    for submission in submissions:
        submission.name.encode("utf-8")  # valid text: no lone surrogates
        assert "\x1b" not in submission.name
    results = [row(s.name, "a note") for s in submissions]
    write_outputs(results, [], tmp_path / "out", Redactor([]))
    assert len(list((tmp_path / "out" / "results").iterdir())) == 2


def test_a_class_folder_holding_a_template_is_refused_not_graded_as_one(tmp_path: Path):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ann", "ben", "student_template"):
        (folder / f"{name}.py").write_text(SOURCE)
    with pytest.raises(GraderError, match=r"holds student_template.py and 2 other submission"):
        discover([folder])
    every_file = discover(sorted(folder.iterdir()))
    assert [s.name for s in every_file] == ["ann", "ben", "student_template"]


def test_the_ambiguous_class_folder_is_one_line_and_a_non_zero_exit(tmp_path: Path):
    """Does `grader grade DIR` refuse a folder of NAME.py files plus student_template.py with one
    line naming both ways out, exit non-zero, and write no gradebook?"""
    from typer.testing import CliRunner

    from grader.cli import app

    folder = tmp_path / "class"
    folder.mkdir()
    for name in [f"student{n:02}" for n in range(23)] + ["student_template"]:
        (folder / f"{name}.py").write_text(SOURCE)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["grade", str(folder), "--out", str(out)])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "23 other submission(s)" in message
    assert f"{folder / '*'}" in message and f"{folder / 'student_template.py'}" in message
    assert not (out / "grades.csv").exists()


def test_hidden_entries_get_a_line_not_a_silent_drop(tmp_path: Path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ann.py").write_text(SOURCE)
    (folder / ".DS_Store").write_bytes(b"\0\0")
    (folder / ".ipynb_checkpoints").mkdir()
    skipped: list[str] = []
    assert [s.name for s in discover([folder], skipped)] == ["ann"]
    assert len(skipped) == 2
    assert ".DS_Store" in skipped[0] and ".ipynb_checkpoints" in skipped[1]
    assert all("not a submission" in line for line in skipped)


def test_a_students_folder_with_only_data_files_is_one_submission(tmp_path: Path):
    folder = tmp_path / "ann"
    folder.mkdir()
    (folder / "student_template.py").write_text(SOURCE)
    (folder / "notes.txt").write_text("my notes")
    (submission,) = discover([folder])
    assert submission.name == "ann" and submission.problem is None


def test_gradescope_locator_refuses_a_linked_template(tmp_path: Path):
    secret = tmp_path / "solution.py"
    secret.write_text(SOURCE)
    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "student_template.py").symlink_to(secret)
    located = locate_submission(upload, "student_template.py")
    assert located.path is None and "symbolic link" in located.problem


def test_gradescope_locator_ignores_files_under_a_linked_folder(tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "student_template.py").write_text(SOURCE)
    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "folder").symlink_to(elsewhere)
    located = locate_submission(upload, "student_template.py")
    assert located.path is None


# ---- Output -----------------------------------------------------------------------------


def test_gradebook_cells_are_inert_and_readable_by_csv(tmp_path: Path):
    results = [
        row("=cmd|' /C calc'!A0", '=HYPERLINK("http://x")' + "y" * 20_000, Status.ERROR),
        row("plain", "-2+3"),
    ]
    text = gradebook_csv(results, [])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["submission"].startswith("'=") and rows[0]["note"].startswith("'=")
    assert rows[1]["note"] == "'-2+3"
    assert max(len(cell) for r in rows for cell in r.values()) <= 2001


def test_the_terminal_gradebook_has_no_escape_and_a_short_note():
    """Does the instructor's terminal table show names and notes without any control character
    (rich's markup escaping alone would keep ESC), and only the start of a 5 MB note?"""
    from grader.render import TERMINAL_NOTE_CHARACTERS, print_gradebook

    results = [
        row("\x1b]0;owned\x07ann\x1b[2J", "=HYPERLINK(1)\x1b[31m\x9b2J red"),
        row("ben", "x" * 5_000_000, Status.ERROR),
    ]
    stream = io.StringIO()
    console = Console(file=stream, width=200, force_terminal=False, color_system=None)
    print_gradebook(results, [], console)
    shown = stream.getvalue()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown)
    assert "ann" in shown and "red" in shown
    assert "owned" not in shown  # an OSC sequence goes with its payload
    assert shown.count("x") < TERMINAL_NOTE_CHARACTERS + 50
