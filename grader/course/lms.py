"""What instructors download from their LMS, turned into one submission per student.

Three bulk-download shapes are recognized, as a folder or as the zip the LMS hands out:

- Canvas: `lastfirst_[LATE_]userid_submissionid_FILE[-N].py`, one file per upload; a
  resubmission has a higher submission id, a repeated upload a `-N` suffix.
- Moodle: `Full Name_12345_assignsubmission_file_/FILE.py` (one folder per student), or the same
  prefix on the file itself when downloaded without folders.
- Gradescope's "Export Submissions": `submission_metadata.yml` beside one `submission_ID/` folder
  per submission, naming its submitters and when it was made.

Rows are named by student. When a student has several submissions, the latest is graded and
every older one still gets its row, status `superseded`, naming the one graded instead. Each row
keeps the original file name (and the zip it came from) as its source in the gradebook.
Entries of the download that fit none of these shapes are left to the plain folder rules.

Zips are hostile input like everything a student made: members are read with bounded sizes,
never through links or paths leaving the extraction folder, and written under names the grader
chooses.
"""

import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from grader.errors import GraderError
from grader.submissions import submission_file
from grader.text import display_name

# A zip holds at most this many members and this many bytes once extracted.
MAX_MEMBERS = 20_000
MAX_EXTRACTED_BYTES = 2 << 30
# Every member is read at most this far (submissions are at most 1 MB; see submissions.py).
MAX_MEMBER_BYTES = 1_000_000
MAX_METADATA_BYTES = 20_000_000
GRADESCOPE_METADATA = "submission_metadata.yml"
IGNORED_PARTS = {"__MACOSX"}

CANVAS = re.compile(
    r"^(?P<student>[A-Za-z0-9-]+)_(?P<late>LATE_)?(?P<user>\d+)_(?P<submission>\d+)_"
    r"(?P<file>.+?)(?:-(?P<copy>\d+))?(?P<suffix>\.[A-Za-z0-9]+)?$"
)
MOODLE = re.compile(r"^(?P<student>.+?)_(?P<user>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$")


@dataclass(frozen=True)
class Entry:
    """One submission found in an LMS download."""

    student: str  # the row's name
    key: str  # who submitted: entries with one key are one student's submissions
    order: tuple  # among one student's entries, the largest is the latest
    path: Path  # the file or folder on disk
    original: str  # its name in the download, as the gradebook shows it


@dataclass
class Intake:
    """What an LMS download holds: entries by student, and the rest of the folder."""

    entries: list[Entry] = field(default_factory=list)
    rest: list[Path] = field(default_factory=list)  # for the plain folder rules
    skipped: list[str] = field(default_factory=list)  # lines to print, nothing dropped silently
    shape: str = ""  # "canvas", "moodle", "gradescope", or "" when none was recognized


@dataclass(frozen=True)
class Resolved:
    """One row's worth: an entry, and for an older one the entry graded instead."""

    entry: Entry
    name: str
    superseded_by: str | None = None


# ---- Zips ---------------------------------------------------------------------------------


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    path = PurePosixPath(name)
    if name.startswith("/") or "\\" in name or ".." in path.parts or ":" in path.parts[0]:
        return "its path leaves the folder"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "it is a symbolic link"
    if info.flag_bits & 0x1:
        return "it is encrypted"
    return None


@dataclass(frozen=True)
class Extracted:
    folder: Path  # where the download's entries are (a single top folder is opened)
    skipped: list[str]  # a line for each member left out, and why
    oversized: dict[Path, str]  # files cut at the size limit: why each cannot be graded


def extract_zip(archive: Path, into: Path) -> Extracted:
    """Extract the archive's members safely, with bounded reads and names of the grader's own."""
    try:
        opened = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise GraderError(
            f"{display_name(str(archive))} is not a readable zip ({error})."
        ) from None
    skipped: list[str] = []
    oversized: dict[Path, str] = {}
    with opened:
        members = opened.infolist()
        if len(members) > MAX_MEMBERS:
            raise GraderError(
                f"{display_name(str(archive))} holds {len(members)} entries; the grader reads "
                f"zips of at most {MAX_MEMBERS}. Unpack it and grade the folder instead."
            )
        into.mkdir(parents=True, exist_ok=True)
        total = 0
        for info in members:
            shown = display_name(info.filename)
            parts = PurePosixPath(info.filename).parts
            if info.is_dir() or not parts or IGNORED_PARTS & set(parts):
                continue
            problem = _member_problem(info)
            if problem:
                skipped.append(f"Skipped {shown} in {archive.name}: {problem}.")
                continue
            target = into.joinpath(*parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)  # fails under a file's name
                with opened.open(info) as stream:
                    data = stream.read(MAX_MEMBER_BYTES + 1)
            except (zipfile.BadZipFile, NotImplementedError, OSError, RuntimeError) as error:
                skipped.append(f"Skipped {shown} in {archive.name}: unreadable ({error}).")
                continue
            if len(data) > MAX_MEMBER_BYTES:
                # Still an entry, so the student gets a row saying why it was not graded.
                oversized[target] = (
                    f"the file is {info.file_size} bytes in {display_name(archive.name)}; "
                    f"submissions are at most {MAX_MEMBER_BYTES}"
                )
                data = b""
            total += len(data)
            if total > MAX_EXTRACTED_BYTES:
                raise GraderError(
                    f"{display_name(str(archive))} unpacks to more than "
                    f"{MAX_EXTRACTED_BYTES >> 30} GB; unpack it and grade the folder instead."
                )
            try:
                target.write_bytes(data)
            except OSError as error:  # a name the file system refuses, or a folder's name
                skipped.append(f"Skipped {shown} in {archive.name}: cannot be written ({error}).")
    top = [entry for entry in into.iterdir() if not entry.name.startswith(".")]
    if len(top) == 1 and top[0].is_dir() and not _looks_like_one_submission(top[0]):
        return Extracted(top[0], skipped, oversized)
    return Extracted(into, skipped, oversized)


def _looks_like_one_submission(folder: Path) -> bool:
    named = folder / submission_file()
    return named.exists() and not (folder / GRADESCOPE_METADATA).exists()


# ---- Recognizing the shapes ---------------------------------------------------------------


def _visible(folder: Path) -> list[Path]:
    return sorted(
        entry
        for entry in folder.iterdir()
        if not entry.name.startswith(".") and entry.name not in IGNORED_PARTS
    )


def _canvas(entries: Iterable[Path], intake: Intake) -> None:
    for path in entries:
        match = CANVAS.match(path.name)
        if not match or path.is_dir():
            intake.rest.append(path)
            continue
        if (match["suffix"] or "").lower() != ".py":
            intake.skipped.append(
                f"Skipped {display_name(path.name)}: not a Python file (Canvas upload of "
                f"{display_name(match['student'])})."
            )
            continue
        order = (int(match["submission"]), int(match["copy"] or 0))
        intake.entries.append(
            Entry(match["student"], f"canvas:{match['user']}", order, path, path.name)
        )


def _moodle(entries: Iterable[Path], intake: Intake) -> None:
    for path in entries:
        match = MOODLE.match(path.name)
        if not match:
            intake.rest.append(path)
            continue
        if path.is_file() and path.suffix != ".py":
            intake.skipped.append(
                f"Skipped {display_name(path.name)}: not a Python file (Moodle upload of "
                f"{display_name(match['student'])})."
            )
            continue
        original = path.name + ("/" if path.is_dir() else "")
        intake.entries.append(
            Entry(match["student"], f"moodle:{match['user']}", (0,), path, original)
        )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _gradescope(folder: Path, intake: Intake) -> None:
    metadata_path = folder / GRADESCOPE_METADATA
    if metadata_path.stat().st_size > MAX_METADATA_BYTES:
        raise GraderError(f"{display_name(str(metadata_path))} is too large to be an export.")
    try:
        # BaseLoader: every value a string, whatever the export's timestamps or ids look like.
        metadata = yaml.load(metadata_path.read_text(errors="replace"), Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:
        raise GraderError(
            f"{display_name(str(metadata_path))} is not valid YAML: {error}"
        ) from None
    if not isinstance(metadata, dict):
        raise GraderError(f"{display_name(str(metadata_path))} is not a Gradescope export.")
    for path in _visible(folder):
        if path.name == GRADESCOPE_METADATA:
            continue
        record = metadata.get(path.name)
        if not isinstance(record, dict) or not path.is_dir():
            intake.rest.append(path)
            continue
        submitters = [s for s in record.get(":submitters") or [] if isinstance(s, dict)]
        names = [_text(s.get(":name")) or _text(s.get(":email")) for s in submitters]
        ids = sorted(_text(s.get(":sid")) or _text(s.get(":email")) for s in submitters)
        student = " & ".join(filter(None, names)) or path.name
        key = "gradescope:" + ("|".join(ids) if any(ids) else path.name)
        order = (_text(record.get(":created_at")), path.name)
        intake.entries.append(Entry(student, key, order, path, path.name + "/"))


def read_download(folder: Path) -> Intake:
    """The folder's entries sorted into an LMS download's submissions and the rest."""
    intake = Intake()
    entries = _visible(folder)
    if (folder / GRADESCOPE_METADATA).is_file():
        intake.shape = "gradescope"
        _gradescope(folder, intake)
    elif any(CANVAS.match(entry.name) and entry.is_file() for entry in entries):
        intake.shape = "canvas"
        _canvas(entries, intake)
    elif any(MOODLE.match(entry.name) for entry in entries):
        intake.shape = "moodle"
        _moodle(entries, intake)
    else:
        intake.rest = entries
    return intake


def resolve(entries: list[Entry]) -> list[Resolved]:
    """Each student's latest entry under the student's name; older ones superseded by it.

    Two students with one name are told apart by their LMS id."""
    by_key: dict[str, list[Entry]] = {}
    for entry in entries:
        by_key.setdefault(entry.key, []).append(entry)
    keys_by_student: dict[str, set[str]] = {}
    for entry in entries:
        keys_by_student.setdefault(entry.student, set()).add(entry.key)
    resolved = []
    for key, own in by_key.items():
        own.sort(key=lambda entry: entry.order)
        latest = own[-1]
        name = latest.student
        if len(keys_by_student[name]) > 1:
            name = f"{name} ({key.split(':', 1)[1]})"
        resolved.append(Resolved(latest, name))
        for older in own[:-1]:
            resolved.append(
                Resolved(older, f"{name} (superseded: {older.original})", latest.original)
            )
    return resolved
