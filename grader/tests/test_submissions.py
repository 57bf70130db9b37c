"""Finding submissions: every entry of a folder gets exactly one row, the bad ones saying why."""

import hashlib
from pathlib import Path

import pytest

from grader.submissions import discover, submission_file

SOURCE = "def normalize(images):\n    return images / 255\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Good and bad entries side by side, as an LMS download might hold them."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "carol.py").write_text(SOURCE)
    (folder / "alice").mkdir()
    (folder / "alice" / submission_file()).write_text(SOURCE)
    (folder / "notes.txt").write_text(SOURCE)
    (folder / "empty.py").write_text("  \n")
    (folder / "binary.py").write_bytes(b"def f():\0\n")
    (folder / "latin1.py").write_bytes("# résumé\n".encode("latin-1"))
    (folder / "dave").mkdir()
    (folder / "dave" / "main.py").write_text(SOURCE)
    (folder / ".DS_Store").write_bytes(b"\0")
    return folder


def test_every_entry_gets_one_submission(folder):
    """Does every entry get exactly one Submission, sorted by name, with a reason if it is bad?"""
    found = discover([folder])
    assert [submission.name for submission in found] == [
        "alice",
        "binary",
        "carol",
        "dave",
        "empty",
        "latin1",
        "notes.txt",
    ]
    problems = {submission.name: submission.problem for submission in found}
    assert problems["alice"] is None and problems["carol"] is None
    assert "binary" in problems["binary"]
    assert submission_file() in problems["dave"]
    assert "empty" in problems["empty"]
    assert "UTF-8" in problems["latin1"]
    assert "not a Python file" in problems["notes.txt"]


def test_good_submissions_point_at_their_source(folder):
    """Does a good submission point at its source file, with that file's sha256?"""
    alice = next(submission for submission in discover([folder]) if submission.name == "alice")
    assert alice.path == folder / "alice" / submission_file()
    assert alice.sha256 == hashlib.sha256(SOURCE.encode()).hexdigest()


def test_same_stem_entries_keep_distinct_names(tmp_path):
    """Do alice.py and a stray alice.txt get distinct names, so neither overwrites the other?"""
    (tmp_path / "alice.py").write_text(SOURCE)
    (tmp_path / "alice.txt").write_text("my notes")
    found = discover([tmp_path])
    assert [(submission.name, submission.problem is None) for submission in found] == [
        ("alice", True),
        ("alice.txt", False),
    ]


def test_single_file_path(tmp_path):
    """Does a single NAME.py path give one submission named NAME?"""
    path = tmp_path / "erin.py"
    path.write_text(SOURCE)
    (submission,) = discover([path])
    assert (submission.name, submission.path, submission.problem) == ("erin", path, None)
