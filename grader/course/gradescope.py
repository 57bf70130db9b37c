"""`grader export gradescope`: the autograder zip Gradescope's specification asks for.

At the zip's root: `setup.sh` and `run_autograder` (grader/course/gradescope_files/), the pinned
`requirements.txt` and a `pyproject.toml` for the grader, the whole grader package (its test
suite aside), every check file in tests/, and assignment/ with the full config and the reference
solution (the plan is recorded from it). Gradescope unpacks it into /autograder/source.
"""

import json
import stat
import tempfile
import zipfile
from pathlib import Path

from grader.config import (
    Config,
    config_path,
    copied_exercise,
    current_assignment,
    relocated_config_text,
)
from grader.course.release import copy_package, pinned_requirements, release_pyproject
from grader.errors import GraderError
from grader.files import replaced_whole
from grader.render import FALLBACK_MESSAGE, FALLBACK_RESULTS, gradescope_document

SCRIPTS_DIRECTORY = Path(__file__).resolve().parent / "gradescope_files"
SCRIPTS = ("setup.sh", "run_autograder")
EXECUTABLE = stat.S_IFREG | 0o755
REGULAR = stat.S_IFREG | 0o644
# A fixed timestamp: the same sources give the same zip, byte for byte.
EPOCH = (2020, 1, 1, 0, 0, 0)


def autograder_files(config: Config, staging: Path) -> list[Path]:
    """Lay out the zip's contents under `staging`; returns them, relative to it."""
    config.require_hidden()
    for name in SCRIPTS:
        (staging / name).write_bytes((SCRIPTS_DIRECTORY / name).read_bytes())
    (staging / "requirements.txt").write_text(pinned_requirements())
    (staging / "pyproject.toml").write_text(release_pyproject("autograder"))
    copy_package(staging, student_edition=False)
    fallback = gradescope_document(0.0, 0.0, FALLBACK_MESSAGE)
    (staging / FALLBACK_RESULTS).write_text(json.dumps(fallback, indent=2))
    assignment = current_assignment()
    (staging / "tests").mkdir()
    for question_id in config.question_ids:
        name = f"{question_id}.py"
        (staging / "tests" / name).write_bytes((assignment.checks / name).read_bytes())
    (staging / "assignment").mkdir()
    relocated = relocated_config_text(config_path().read_text(), assignment)
    exercise = copied_exercise(assignment)
    if exercise is not None:
        (staging / "assignment" / exercise.name).write_bytes(exercise.read_bytes())
    (staging / "assignment" / "config.toml").write_text(relocated)
    (staging / "assignment" / "solution.py").write_bytes(assignment.solution.read_bytes())
    return sorted(path.relative_to(staging) for path in staging.rglob("*") if path.is_file())


def export_gradescope(out: Path, config: Config, force: bool = False) -> list[str]:
    """Write the autograder zip to `out`; returns the names it holds."""
    if out.suffix != ".zip":
        raise GraderError(f"{out}: the autograder must be a .zip file.")
    if out.exists() and not force:
        raise GraderError(f"{out} exists; pass --force to replace it.")
    with tempfile.TemporaryDirectory(prefix="grader-export-") as work:
        staging = Path(work)
        files = autograder_files(config, staging)
        with (
            replaced_whole(out) as partial,
            zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            for relative in files:
                info = zipfile.ZipInfo(relative.as_posix(), date_time=EPOCH)
                mode = EXECUTABLE if relative.name in SCRIPTS else REGULAR
                info.external_attr = mode << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, (staging / relative).read_bytes())
    return [relative.as_posix() for relative in files]
