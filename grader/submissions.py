"""Find the submissions in the paths an instructor gives, and refuse what cannot be graded.

A submission is `NAME.py`, or a folder `NAME/` holding `student_template.py`. Anything else in a
folder of submissions still gets a row: status `invalid`, with a note saying why. A folder or zip
downloaded from Canvas, Moodle or Gradescope gives one row per student (grader/course/lms.py).
"""

import dataclasses
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.errors import GraderError
from grader.text import display_name

if TYPE_CHECKING:
    from grader.course import lms


def submission_file() -> str:
    """The name a submission folder holds its file under: the assignment's (config)."""
    from grader.config import load_config

    return load_config().submission.file_name


MAX_SUBMISSION_BYTES = 1_000_000


@dataclass(frozen=True)
class Submission:
    name: str
    path: Path
    sha256: str
    problem: str | None = None  # why it cannot be graded, if it cannot
    original: str | None = None  # its name in an LMS download, when it came from one
    superseded_by: str | None = None  # the same student's later submission, graded instead

    @property
    def source(self) -> str:
        """Where it came from, as the gradebook names it."""
        return display_name(self.original or str(self.path))


def _read(path: Path) -> tuple[bytes | None, str | None]:
    """The file's bytes, or why they are not read: never through a link, never a special file
    (a FIFO would block, /proc/self/mem or a device never ends), never more than the size limit
    (decided by its size before reading, so a sparse 5 GB file costs nothing)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if path.name == submission_file():
            return None, f"no {submission_file()} in the folder"
        return None, f"{display_name(path.name)} does not exist"
    except OSError as error:
        return None, f"{display_name(path.name)} cannot be read ({error.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return None, f"{display_name(path.name)} is a symbolic link; submit the file itself"
    if stat.S_ISDIR(info.st_mode):
        return None, f"no {submission_file()} in the folder"
    if not stat.S_ISREG(info.st_mode):
        return None, f"{display_name(path.name)} is not a regular file (a pipe, device or socket)"
    if info.st_size > MAX_SUBMISSION_BYTES:
        return (
            None,
            f"the file is {info.st_size} bytes; submissions are at most {MAX_SUBMISSION_BYTES}",
        )
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return None, f"{display_name(path.name)} cannot be read ({error.strerror})"
    with os.fdopen(descriptor, "rb") as stream:
        data = stream.read(MAX_SUBMISSION_BYTES + 1)
    if len(data) > MAX_SUBMISSION_BYTES:
        return None, f"the file is over {MAX_SUBMISSION_BYTES} bytes"
    return data, None


def _problem(path: Path, data: bytes | None, unreadable: str | None) -> str | None:
    if data is None:
        return unreadable
    if path.suffix != ".py":
        return f"{display_name(path.name)} is not a Python file (expected NAME.py)"
    if not data.strip():
        return "the file is empty"
    if b"\0" in data:
        return "the file is binary, not Python source"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "the file is not UTF-8 text"
    return None


def submission_at(path: Path, name: str | None = None) -> Submission:
    """The submission at `path` (NAME.py, or a folder NAME/ holding student_template.py).

    Its name is text whatever bytes the file name holds; the path is kept for reading."""
    is_folder = path.is_dir() and not path.is_symlink()
    file = path / submission_file() if is_folder else path
    # NAME.py is NAME; anything else keeps its whole name, so notes.txt never takes notes.py's row.
    default = path.stem if path.suffix == ".py" and not is_folder else path.name
    data, unreadable = _read(file)
    digest = hashlib.sha256(data).hexdigest() if data is not None else ""
    problem = _problem(file, data, unreadable)
    return Submission(display_name(name or default), file, digest, problem)


def _other_submissions(folder: Path) -> list[str]:
    """Entries next to a folder's student_template.py that look like submissions of their own."""
    others = []
    for entry in sorted(folder.iterdir()):
        if entry.name == submission_file() or entry.name.startswith("."):
            continue
        if entry.suffix == ".py" or (
            entry.is_dir() and not entry.is_symlink() and (entry / submission_file()).exists()
        ):
            others.append(display_name(entry.name))
    return others


def _from_zip(submission: Submission, oversized: dict[Path, str]) -> Submission:
    problem = oversized.get(submission.path)
    return dataclasses.replace(submission, problem=problem) if problem else submission


def _from_download(resolved: "lms.Resolved", origin: str) -> Submission:
    entry = resolved.entry
    found = submission_at(entry.path, resolved.name)
    original = f"{origin}{entry.original}"
    return dataclasses.replace(found, original=original, superseded_by=resolved.superseded_by)


def _folder(
    path: Path,
    skipped: list[str] | None,
    origin: str = "",
    oversized: dict[Path, str] | None = None,
) -> list[Submission]:
    """A class folder: an LMS download's students, then every other entry as its own row."""
    from grader.course import lms  # staff-only (a student release checks single files)

    intake = lms.read_download(path)
    if skipped is not None:
        skipped.extend(intake.skipped)
        skipped.extend(
            f"Skipped {display_name(str(entry))}: a hidden entry, not a submission "
            "(rename it without the leading dot to grade it)."
            for entry in sorted(path.iterdir())
            if entry.name.startswith(".") and entry.name != lms.GRADESCOPE_METADATA
        )
    found = [_from_download(resolved, origin) for resolved in lms.resolve(intake.entries)]
    for entry in intake.rest:
        submission = submission_at(entry, entry.name if entry.is_dir() else None)
        if origin:
            submission = dataclasses.replace(
                submission, original=f"{origin}{entry.relative_to(path)}"
            )
        found.append(submission)
    return [_from_zip(submission, oversized or {}) for submission in found]


def discover(
    paths: list[Path], skipped: list[str] | None = None, workspace: Path | None = None
) -> list[Submission]:
    """Every submission under the given paths, sorted by name; unreadable entries included.

    Hidden entries of a class folder (.DS_Store, .ipynb_checkpoints) get no row; each is named in
    `skipped`, one line per entry, for the caller to print, so nothing is dropped silently.

    A folder holding student_template.py is one submission, unless it also holds other
    submissions (NAME.py files, or folders with their own student_template.py): that is
    ambiguous, and refused with how to say which was meant, never graded as one row.

    A zip (an LMS download, or any zip of submissions) is extracted into `workspace` first.
    """
    found: list[Submission] = []
    for number, path in enumerate(paths):
        if path.is_symlink():
            found.append(submission_at(path))
        elif path.is_file() and path.suffix.lower() == ".zip":
            from grader.course import lms

            if workspace is None:
                raise GraderError(f"{display_name(str(path))} is a zip: unpack it first.")
            extracted = lms.extract_zip(path, workspace / f"zip-{number}")
            if skipped is not None:
                skipped.extend(extracted.skipped)
            origin = f"{display_name(path.name)}:"
            found.extend(_folder(extracted.folder, skipped, origin, extracted.oversized))
        elif path.is_dir() and (path / submission_file()).exists():
            others = _other_submissions(path)
            if others:
                shown = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
                raise GraderError(
                    f"{display_name(str(path))} holds {submission_file()} and {len(others)} other "
                    f"submission(s) ({shown}): is it one student's folder or a class? Pass "
                    f"{display_name(str(path / '*'))} to grade every file as its own submission, "
                    f"or {display_name(str(path / submission_file()))} to grade only that file."
                )
            found.append(submission_at(path))
        elif path.is_dir():
            found.extend(_folder(path, skipped))
        else:
            found.append(submission_at(path))
    return sorted(found, key=lambda submission: submission.name)
