"""Find the submissions in the paths an instructor gives, and refuse what cannot be graded.

A submission is `NAME.py`, or a folder `NAME/` holding `student_template.py`. Anything else in a
folder of submissions still gets a row: status `invalid`, with a note saying why.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

SUBMISSION_FILE = "student_template.py"
MAX_SUBMISSION_BYTES = 1_000_000


@dataclass(frozen=True)
class Submission:
    name: str
    path: Path
    sha256: str
    problem: str | None = None  # why it cannot be graded, if it cannot


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def _problem(path: Path) -> str | None:
    if not path.is_file():
        return f"no {SUBMISSION_FILE} in the folder"
    if path.suffix != ".py":
        return f"{path.name} is not a Python file (expected NAME.py)"
    data = path.read_bytes()
    if not data.strip():
        return "the file is empty"
    if len(data) > MAX_SUBMISSION_BYTES:
        return f"the file is {len(data)} bytes; submissions are at most {MAX_SUBMISSION_BYTES}"
    if b"\0" in data:
        return "the file is binary, not Python source"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "the file is not UTF-8 text"
    return None


def submission_at(path: Path, name: str | None = None) -> Submission:
    file = path / SUBMISSION_FILE if path.is_dir() else path
    # NAME.py is NAME; anything else keeps its whole name, so notes.txt never takes notes.py's row.
    default = path.stem if path.suffix == ".py" and not path.is_dir() else path.name
    return Submission(name or default, file, _digest(file), _problem(file))


def discover(paths: list[Path]) -> list[Submission]:
    """Every submission under the given paths, sorted by name; unreadable entries included."""
    found: list[Submission] = []
    for path in paths:
        if path.is_dir() and not (path / SUBMISSION_FILE).is_file():
            entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            found.extend(
                submission_at(entry, entry.name if entry.is_dir() else None) for entry in entries
            )
        else:
            found.append(submission_at(path))
    return sorted(found, key=lambda submission: submission.name)
