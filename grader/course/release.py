"""What a course hands out, built from the repository: the student release and its parts.

`grader release --out DIR` writes the folder students download: the template, the instructions,
the public checks (grader.course.publish), a config without hidden settings, the public checks'
recorded plan (so `grader check` needs no reference solution), the grader's student edition
(without grader.course: no staff commands, nothing derived from the solution) and a
requirements file pinned like the autograder's.
"""

import shutil
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import tomlkit
from packaging.requirements import Requirement

from grader.checks import load_questions
from grader.config import (
    REPOSITORY_ROOT,
    Config,
    active_config,
    config_path,
    copied_exercise,
    current_assignment,
    relocated_config_text,
)
from grader.course.figures import plain
from grader.course.publish import public_config_text, write_public_checks
from grader.errors import GraderError
from grader.grading import save_public_plan

GRADER_PACKAGE = REPOSITORY_ROOT / "grader"
# The course staff's package (batch grading, the report, releases, Gradescope, calibration, and
# the modules that hold solution text: examples.py writes the typical mistakes as edits of the
# reference) and the grader's own tests: never in a student release. The student edition is the
# rest of the package, whatever modules it gains.
STAFF_PACKAGES = frozenset({"course", "tests"})


def package_files(student_edition: bool) -> list[Path]:
    """The grader package's source files (relative), without its tests and caches."""
    files = []
    for path in sorted(GRADER_PACKAGE.rglob("*")):
        relative = path.relative_to(GRADER_PACKAGE)
        if not path.is_file() or relative.parts[0] == "tests" or "__pycache__" in relative.parts:
            continue
        if student_edition and relative.parts[0] in STAFF_PACKAGES:
            continue
        files.append(relative)
    return files


def copy_package(out: Path, student_edition: bool) -> None:
    for relative in package_files(student_edition):
        target = out / "grader" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(GRADER_PACKAGE / relative, target)


def _pyproject() -> tomlkit.TOMLDocument:
    return tomlkit.parse((REPOSITORY_ROOT / "pyproject.toml").read_text())


# What only staff modules import (the report's plots, the LMS exports' metadata) and otter's
# extras for grading notebooks: a student's install goes without them.
STAFF_DEPENDENCIES = frozenset({"matplotlib", "pyyaml"})
# The Pythons a student may use: those the pinned TensorFlow and Keras have wheels for, each
# tried by test_release.py (the grader itself, course side, keeps pyproject.toml's range).
STUDENT_PYTHONS = ("3.11", "3.12", "3.13")


def student_dependencies() -> list[Requirement]:
    """The runtime dependencies a student's `grader check` needs, without extras."""
    kept = []
    for text in _pyproject()["project"]["dependencies"]:
        requirement = Requirement(str(text))
        if requirement.name.lower() not in STAFF_DEPENDENCIES:
            requirement.extras = set()
            kept.append(requirement)
    return kept


def pinned_requirements() -> str:
    """What a student installs: the student edition's dependencies, each pinned to the version
    installed here (the one the test suite ran with), then the grader itself, in place."""
    lines = [
        "# The versions the autograder uses; install from this folder with",
        "#   pip install -r requirements.txt",
    ]
    for requirement in student_dependencies():
        version = metadata.version(requirement.name)
        if not requirement.specifier.contains(version, prereleases=True):
            raise GraderError(
                f"{requirement.name} {version} is installed but pyproject.toml asks for "
                f"{requirement}; run `make setup` first."
            )
        lines.append(f"{requirement.name}=={version}")
    lines.append("-e .")
    return "\n".join(lines) + "\n"


def release_pyproject(name_suffix: str, student: bool = False) -> str:
    """pyproject.toml for a copy of the grader: the project and its entry point, no dev tools.
    A student's copy asks for the student dependencies on every Python in STUDENT_PYTHONS."""
    document = _pyproject()
    project = document["project"]
    project["name"] = f"{project['name']}-{name_suffix}"
    project.pop("optional-dependencies", None)
    project.pop("readme", None)
    if student:
        newest = STUDENT_PYTHONS[-1].split(".")
        project["requires-python"] = f">={STUDENT_PYTHONS[0]},<{newest[0]}.{int(newest[1]) + 1}"
        dependencies = tomlkit.array([str(r) for r in student_dependencies()])
        project["dependencies"] = dependencies.multiline(True)
    tool = document.get("tool")
    if tool is not None:
        for name in list(tool):
            if name != "setuptools":
                del tool[name]
    return tomlkit.dumps(document)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def prepare_out(out: Path, force: bool) -> None:
    """An empty folder at `out`; an existing non-empty one only with force (it is replaced)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not force:
            raise GraderError(f"{out} exists and is not empty; pass --force to replace it.")
        if out.is_dir():
            shutil.rmtree(out)
        else:
            out.unlink()
    out.mkdir(parents=True, exist_ok=True)


def build_release(out: Path, config: Config, force: bool = False) -> list[Path]:
    """Write the student release into `out`; returns the files written, relative to it."""
    config.require_hidden()
    prepare_out(out, force)
    assignment = current_assignment()
    shutil.copyfile(assignment.template, out / assignment.template.name)
    _write(out / "INSTRUCTIONS.md", plain(assignment.instructions.read_text()))
    _write(out / "README.md", plain(assignment.student_readme.read_text()))
    _write(out / "requirements.txt", pinned_requirements())
    _write(out / "pyproject.toml", release_pyproject("student", student=True))
    public = public_config_text(config_path().read_text())
    _write(
        out / "assignment" / "config.toml",
        relocated_config_text(public, assignment, student_release=True),
    )
    exercise = copied_exercise(assignment)
    if exercise is not None:
        shutil.copyfile(exercise, out / "assignment" / exercise.name)
    write_public_checks(assignment.checks, out / "tests", config.question_ids)
    copy_package(out, student_edition=True)
    # Recorded with the self-check's budget, the one `grader check` trains with.
    with active_config(config.for_self_check()) as checking:
        questions = load_questions(out / "tests", checking)
        leaked = [case.name for question in questions for case in question.cases if case.hidden]
        if leaked:
            raise GraderError(f"Hidden cases survived into the release: {leaked}")
        save_public_plan(questions, checking.grading.seed, out / "assignment")
    return sorted(path.relative_to(out) for path in out.rglob("*") if path.is_file())


def text_files(root: Path) -> Iterable[tuple[Path, str]]:
    """Every file under `root` that reads as UTF-8 text, with its text."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            try:
                yield path, path.read_text()
            except UnicodeDecodeError:
                continue
