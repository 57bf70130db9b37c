"""LMS downloads (Canvas, Moodle, Gradescope's export), as folders and zips, generated here in
the shapes those systems write: one row per student, the latest graded, older ones superseded,
the original file named, and a hostile zip neither escapes its folder nor costs a row."""

import csv
import io
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.config import EXAMPLES_DIRECTORY, REPOSITORY_ROOT, TEMPLATE_PATH
from grader.course import lms
from grader.errors import GraderError
from grader.submissions import MAX_SUBMISSION_BYTES, discover

REFERENCE = (EXAMPLES_DIRECTORY / "reference.py").read_bytes()
TEMPLATE = TEMPLATE_PATH.read_bytes()
BROKEN = b"def normalize(images:\n"

CANVAS_FILES = {
    # lastfirst_[LATE_]userid_submissionid_FILE[-N].py
    "lovelaceada_1001_5001_student_template.py": TEMPLATE,
    "lovelaceada_LATE_1001_5077_student_template.py": REFERENCE,  # resubmitted, late
    "turingalan_1002_5002_student_template.py": BROKEN,
    "turingalan_1002_5002_student_template-1.py": REFERENCE,  # uploaded again: -1
    "turingalan_1002_5002_notes.txt": b"my notes",
    "hopper_1003_5003_perceptron.py": TEMPLATE,  # renamed file: still her submission
}

MOODLE_FILES = {
    "Ada Lovelace_12345_assignsubmission_file_/student_template.py": REFERENCE,
    "Alan Turing_12346_assignsubmission_file_/student_template.py": TEMPLATE,
    "Grace Hopper_12347_assignsubmission_file_student_template.py": BROKEN,  # without folders
}

GRADESCOPE_METADATA = """\
submission_100:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1001'
    :email: ada@example.edu
  :created_at: 2026-11-30 10:00:00.123456789 -08:00
  :score: 0.0
submission_200:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1001'
    :email: ada@example.edu
  :created_at: 2026-12-01 09:00:00.000000000 -08:00
  :score: 12.0
submission_300:
  :submitters:
  - :name: Alan Turing
    :sid: '1002'
  - :name: Grace Hopper
    :sid: '1003'
  :created_at: 2026-12-01 11:00:00.000000000 -08:00
"""
GRADESCOPE_FILES = {
    "assignment_42_export/submission_metadata.yml": GRADESCOPE_METADATA.encode(),
    "assignment_42_export/submission_100/student_template.py": TEMPLATE,
    "assignment_42_export/submission_200/student_template.py": REFERENCE,
    "assignment_42_export/submission_300/student_template.py": BROKEN,
}


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def rows(found) -> dict[str, tuple[str | None, str | None, str]]:
    """name -> (superseded_by, problem, source)"""
    return {s.name: (s.superseded_by, s.problem, s.source) for s in found}


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_canvas_download_gives_one_row_per_student_and_supersedes_older_ones(tmp_path, packed):
    """Is each Canvas student one row named by student, the latest submission (highest id, then
    highest -N) graded, the older ones superseded by it, the non-Python upload named?"""
    if packed:
        paths = [write_zip(tmp_path / "canvas.zip", CANVAS_FILES)]
        prefix = "canvas.zip:"
    else:
        paths = [write_folder(tmp_path / "canvas", CANVAS_FILES)]
        prefix = ""
    skipped: list[str] = []
    found = rows(discover(paths, skipped, tmp_path / "work"))
    latest_ada = "lovelaceada_LATE_1001_5077_student_template.py"
    latest_alan = "turingalan_1002_5002_student_template-1.py"
    assert set(found) == {
        "lovelaceada",
        "lovelaceada (superseded: lovelaceada_1001_5001_student_template.py)",
        "turingalan",
        "turingalan (superseded: turingalan_1002_5002_student_template.py)",
        "hopper",
    }
    assert found["lovelaceada"] == (None, None, prefix + latest_ada)
    assert found["turingalan"][2] == prefix + latest_alan
    older = found["lovelaceada (superseded: lovelaceada_1001_5001_student_template.py)"]
    assert older[0] == latest_ada
    assert found["hopper"][2] == prefix + "hopper_1003_5003_perceptron.py"
    assert any("turingalan_1002_5002_notes.txt" in line for line in skipped), skipped


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_moodle_download_names_rows_by_full_name(tmp_path, packed):
    """Are Moodle's per-student folders, and its files downloaded without folders, one row per
    student named by their full name, with the original folder or file as the source?"""
    if packed:
        paths = [write_zip(tmp_path / "moodle.zip", MOODLE_FILES)]
    else:
        paths = [write_folder(tmp_path / "moodle", MOODLE_FILES)]
    found = rows(discover(paths, [], tmp_path / "work"))
    assert set(found) == {"Ada Lovelace", "Alan Turing", "Grace Hopper"}
    assert found["Ada Lovelace"][1] is None
    assert found["Ada Lovelace"][2].endswith("Ada Lovelace_12345_assignsubmission_file_/")
    assert found["Grace Hopper"][2].endswith("_assignsubmission_file_student_template.py")


def test_gradescope_export_names_submitters_and_keeps_the_latest(tmp_path):
    """Does a Gradescope export (metadata beside submission_ID/ folders, inside one top folder)
    give rows named by submitters, a group as one row, the older of two submissions superseded?"""
    archive = write_zip(tmp_path / "export.zip", GRADESCOPE_FILES)
    found = rows(discover([archive], [], tmp_path / "work"))
    assert set(found) == {
        "Ada Lovelace",
        "Ada Lovelace (superseded: submission_100/)",
        "Alan Turing & Grace Hopper",
    }
    assert found["Ada Lovelace"] == (None, None, "export.zip:submission_200/")
    assert found["Ada Lovelace (superseded: submission_100/)"][0] == "submission_200/"


def test_two_students_with_one_name_stay_two_rows(tmp_path):
    """Do two students sharing a name get a row each, told apart by their LMS id?"""
    folder = write_folder(
        tmp_path / "class",
        {
            "smithjan_2001_7001_student_template.py": REFERENCE,
            "smithjan_2002_7002_student_template.py": TEMPLATE,
        },
    )
    assert set(rows(discover([folder]))) == {"smithjan (2001)", "smithjan (2002)"}


def test_other_files_in_a_download_folder_keep_their_rows(tmp_path):
    """Is a file that fits no LMS shape, dropped into a Canvas folder, still a row of its own?"""
    folder = write_folder(
        tmp_path / "class",
        {"lovelaceada_1001_5001_student_template.py": REFERENCE, "late_by_email.py": TEMPLATE},
    )
    assert set(rows(discover([folder]))) == {"lovelaceada", "late_by_email"}


def _hostile_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../escaped.py", REFERENCE)
        archive.writestr("/tmp/absolute-grader-test.py", REFERENCE)
        link = zipfile.ZipInfo("linked.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("huge.py", b"#" * (MAX_SUBMISSION_BYTES * 30))  # 30 MB of one byte
        archive.writestr("__MACOSX/._honest.py", b"\0\0")
        archive.writestr("honest.py", REFERENCE)
        archive.writestr("honest.py/inside.py", REFERENCE)  # a folder under a file's name
    return path


def test_a_hostile_zip_stays_in_its_folder_and_costs_no_row(tmp_path):
    """Are members leaving the folder or linking out left unextracted, each named; is an
    oversized member a row saying why, read no further than the limit; is the rest graded?"""
    work = tmp_path / "work"
    skipped: list[str] = []
    found = rows(discover([_hostile_zip(tmp_path / "class.zip")], skipped, work))
    assert set(found) == {"honest", "huge"}
    assert found["honest"][1] is None
    assert "30000000 bytes" in found["huge"][1] and "at most" in found["huge"][1]
    assert not (tmp_path / "escaped.py").exists()
    assert not Path("/tmp/absolute-grader-test.py").exists()
    assert not any(path.is_symlink() for path in work.rglob("*"))
    assert sum(path.stat().st_size for path in work.rglob("*") if path.is_file()) < 10_000
    text = "\n".join(skipped)
    for name in ("../escaped.py", "/tmp/absolute-grader-test.py", "linked.py", "inside.py"):
        assert name in text, text


def test_an_unreadable_or_oversized_archive_is_refused_with_a_reason(tmp_path, monkeypatch):
    """Is a file named .zip that is no zip, or a zip of too many entries, refused, saying so?"""
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip at all")
    with pytest.raises(GraderError, match="not a readable zip"):
        discover([fake], [], tmp_path / "work")
    monkeypatch.setattr(lms, "MAX_MEMBERS", 3)
    many = write_zip(tmp_path / "many.zip", {f"s{n}.py": REFERENCE for n in range(4)})
    with pytest.raises(GraderError, match="holds 4 entries"):
        discover([many], [], tmp_path / "work2")


@pytest.mark.slow
def test_grading_a_canvas_zip_in_one_command(tmp_path):
    """`grader grade canvas.zip --out DIR`: one row per student (latest graded, older ones
    superseded and unscored), the original file in the gradebook's source column."""
    archive = write_zip(
        tmp_path / "canvas.zip",
        {
            "lovelaceada_1001_5001_student_template.py": REFERENCE,
            "lovelaceada_1001_5002_student_template.py": BROKEN,  # her later, broken resubmission
        },
    )
    out = tmp_path / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(archive), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPOSITORY_ROOT,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    table = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text())))
    by_name = {row["submission"]: row for row in table}
    assert set(by_name) == {
        "lovelaceada",
        "lovelaceada (superseded: lovelaceada_1001_5001_student_template.py)",
    }
    latest = by_name["lovelaceada"]
    assert (latest["status"], latest["total"]) == ("error", "0")
    assert latest["source"] == "canvas.zip:lovelaceada_1001_5002_student_template.py"
    older = by_name["lovelaceada (superseded: lovelaceada_1001_5001_student_template.py)"]
    assert (older["status"], older["total"]) == ("superseded", "0")
    assert "lovelaceada_1001_5002_student_template.py" in older["note"]
