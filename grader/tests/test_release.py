"""The student release: public checks only, no secrets, and `grader check` works from a copy."""

import inspect
import os
import re
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from grader.checks import load_questions
from grader.config import (
    CHECKS_DIRECTORY,
    EXAMPLES_DIRECTORY,
    SOLUTION_PATH,
    Config,
    hidden_keys,
    load_config,
)
from grader.course.publish import public_check_source, public_config_text
from grader.course.release import STAFF_PACKAGES, build_release, text_files
from grader.diagnoses import catalogue
from grader.errors import GraderError
from grader.grading import build_plan, load_reference
from grader.render import format_points

SOLUTION_REGION = re.compile(r"# BEGIN SOLUTION[^\n]*\n(.*?)# END SOLUTION", re.DOTALL)
CHECK_TIMEOUT = 300


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "five-or-not-five"
    build_release(out, load_config())
    return out


def _hidden_cases():
    return [
        case
        for question in load_questions(CHECKS_DIRECTORY, load_config())
        for case in question.cases
        if case.hidden
    ]


def public_total_line() -> str:
    """What `grader check` says of a submission that passes every public check."""
    config = load_config()
    public = sum(
        case.points
        for question in load_questions(CHECKS_DIRECTORY, config)
        for case in question.cases
        if not case.hidden
    )
    assert 0 < public < config.max_points
    shown, rest = format_points(public), format_points(config.max_points - public)
    return (
        f"Public checks: {shown}/{shown}\nHidden checks, run when your submission is graded, "
        f"hold the other {rest} of {format_points(config.max_points)} points."
    )


# ---- public_check_source -----------------------------------------------------------------

CHECK_FILE = '''"""A check file."""

from otter.test_files import test_case

from grader.config import load_config
from demo_exercise import heldout_metrics, train_pipeline

OK_FORMAT = False
name = "demo"
points = 2
SECRET_PROBES = [31337, 4242]


def _shared(value):
    return value


def _only_hidden(value):
    return _deeper(value) + SECRET_PROBES[0]


def _deeper(value):
    return value * 1000


@test_case(name="demo: public", hidden=False)
def test_public(f):
    assert _shared(train_pipeline(f)) == 1


@test_case(name="demo: secret", hidden=True)
def test_secret(f):
    assert heldout_metrics(_only_hidden(_shared(f(load_config()))))


@test_case(name="demo: also public")
def test_public_too(f):
    assert f(load_config())
'''


def test_public_check_source_takes_out_hidden_cases_and_what_only_they_used():
    public = public_check_source(CHECK_FILE)
    compile(public, "public.py", "exec")
    for gone in ("test_secret", "demo: secret", "_only_hidden", "_deeper", "31337", "heldout"):
        assert gone not in public, gone
    for kept in ("test_public", "test_public_too", "_shared", "train_pipeline", "load_config"):
        assert kept in public, kept
    assert "OK_FORMAT = False" in public and 'name = "demo"' in public and "points = 2" in public
    assert "from demo_exercise import train_pipeline\n" in public
    assert "\n\n\n\n" not in public


def test_public_check_source_refuses_a_computed_hidden_flag():
    source = CHECK_FILE.replace("hidden=True", "hidden=SECRET")
    with pytest.raises(ValueError, match="hidden= must be a literal"):
        public_check_source(source)


def test_public_check_files_keep_every_public_case_and_no_hidden_one(tmp_path):
    config = load_config()
    for question in load_questions(CHECKS_DIRECTORY, config):
        points = {case.name: case.points for case in question.cases}
        (tmp_path / question.path.name).write_text(
            public_check_source(question.path.read_text(), points)
        )
    public = {q.id: q for q in load_questions(tmp_path, config)}
    for question in load_questions(CHECKS_DIRECTORY, config):
        expected = [(c.name, c.points) for c in question.cases if not c.hidden]
        assert [(c.name, c.points) for c in public[question.id].cases] == expected
        assert not any(case.hidden for case in public[question.id].cases)


# ---- The public config -------------------------------------------------------------------


def test_public_config_lacks_exactly_the_hidden_settings(tmp_path, monkeypatch):
    full = load_config()
    assert full.missing_hidden() == []
    text = public_config_text((CHECKS_DIRECTORY.parent / "assignment/config.toml").read_text())
    public = Config.model_validate(tomllib.loads(text))
    # Every hidden setting and section is gone; the release is known by the settings its
    # sections lost (a hidden section may be absent from any course's config).
    for key in hidden_keys():
        section, _, setting = key.partition(".")
        value = getattr(public, section)
        assert (value is None) if not setting else (getattr(value, setting) is None), key
    assert public.missing_hidden() == [key for key in hidden_keys() if "." in key] != []
    assert public.question_ids == full.question_ids
    assert public.accuracy.validation_floor == full.accuracy.validation_floor
    assert "# Points per question" in text  # comments survive
    path = tmp_path / "config.toml"
    path.write_text(text)
    monkeypatch.setenv("GRADER_CONFIG", str(path))
    with pytest.raises(GraderError, match="student release"):
        load_config().require_hidden()


# ---- The release folder ------------------------------------------------------------------


def test_release_holds_what_students_need_and_no_staff_module(release):
    for name in ("README.md", "INSTRUCTIONS.md", "student_template.py", "requirements.txt"):
        assert (release / name).is_file(), name
    assert (release / "student_template.py").read_text() == (
        CHECKS_DIRECTORY.parent / "student_template.py"
    ).read_text()
    shipped = {p.relative_to(release / "grader").as_posix() for p in release.rglob("grader/**/*")}
    assert not any(name.split("/")[0] in STAFF_PACKAGES for name in shipped)
    assert "check.py" in {name.rsplit("/", 1)[-1] for name in shipped}
    assert not any(name.startswith("tests") for name in shipped)
    assert not (release / "assignment" / "solution.py").exists()
    assert not (release / "assignment" / "examples").exists()
    assert sorted(p.name for p in (release / "tests").iterdir()) == sorted(
        f"{q}.py" for q in load_config().question_ids
    )


def test_release_holds_no_hidden_case_threshold_or_solution_text(release):
    texts = dict(text_files(release))
    everything = "\n".join(texts.values())
    hidden = _hidden_cases()
    assert hidden
    secret_lines = set()
    for path in {Path(inspect.getsourcefile(case.function)) for case in hidden}:
        lines = path.read_text().splitlines()
        spans = set()
        for case in hidden:
            if Path(inspect.getsourcefile(case.function)) == path:
                body, first = inspect.getsourcelines(case.function)
                spans.update(range(first - 2, first - 1 + len(body)))  # with its decorator
        public = {line.strip() for number, line in enumerate(lines) if number not in spans}
        public |= {f'"{kind}",' for kind in catalogue()}  # diagnosis codes are public vocabulary
        secret_lines |= {
            lines[number].strip()
            for number in spans
            if len(lines[number].strip()) >= 16 and lines[number].strip() not in public
        }
    assert secret_lines
    for case in hidden:
        assert case.name not in everything, case.name
    shipped_lines = {line.strip() for text in texts.values() for line in text.splitlines()}
    assert not secret_lines & shipped_lines
    shipped_config = Config.model_validate(
        tomllib.loads((release / "assignment" / "config.toml").read_text())
    )
    assert shipped_config.missing_hidden() == [key for key in hidden_keys() if "." in key]
    assert shipped_config.calibration is None and shipped_config.sigmoid is None
    full = load_config()
    for value in (full.accuracy.threshold, full.sigmoid.large_input):
        assert repr(value) not in everything, value
    solution = SOLUTION_PATH.read_text()
    regions = SOLUTION_REGION.findall(solution)
    assert regions
    squeeze = re.compile(r"\s+")
    flat = {path: squeeze.sub("", text) for path, text in texts.items()}
    for region in regions:
        code = [line.strip() for line in region.splitlines() if line.strip()]
        code = [line for line in code if not line.startswith("#")]
        whole = squeeze.sub("", "".join(code))
        assert not any(whole in text for text in flat.values()), region
        for line in code:
            # INSTRUCTIONS.md is the lesson: it teaches some of these lines on purpose.
            if len(line) >= 20:
                for path, text in texts.items():
                    assert path.name == "INSTRUCTIONS.md" or line not in text, (path, line)
    assert "BEGIN SOLUTION" not in everything.replace("# BEGIN SOLUTION\n", "")
    reference = (EXAMPLES_DIRECTORY / "reference.py").read_bytes()
    assert not any(path.read_bytes() == reference for path in release.rglob("*.py"))


def test_release_plan_holds_no_hidden_input(release):
    full_plan, full_arrays = build_plan(
        load_questions(CHECKS_DIRECTORY, load_config()), load_reference(), 0
    )
    with np.load(release / "assignment" / "public-plan.npz", allow_pickle=False) as shipped:
        public = [shipped[name] for name in shipped.files]
    hidden_only = [
        array
        for array in full_arrays.values()
        if not any(a.shape == array.shape and np.array_equal(a, array) for a in public)
    ]
    assert hidden_only, "the hidden checks' inputs should differ from the public ones"
    assert len(full_plan.calls) > len(public)
    for array in hidden_only:
        assert not any(a.shape == array.shape and np.array_equal(a, array) for a in public)


def test_requirements_are_pinned_to_what_the_tests_ran_with(release):
    lines = [
        line
        for line in (release / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[-1] == "-e ."
    for line in lines[:-1]:
        name, version = line.split("==")
        assert metadata.version(name.split("[")[0]) == version, line
    assert any(line.startswith("tensorflow-cpu==") for line in lines)
    # The check side of otter, not its notebook-grading extras; no plotting, no LMS metadata.
    assert any(line.startswith("otter-grader==") for line in lines)
    assert not any(line.split("==")[0] in ("matplotlib", "pyyaml") for line in lines)
    project = tomllib.loads((release / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11,<3.14"
    assert sorted(project["dependencies"]) == sorted(lines[:-1]), "what requirements.txt pins"


def test_release_refuses_to_overwrite_a_folder_without_force(release, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(GraderError, match="--force"):
        build_release(tmp_path, load_config())
    assert (tmp_path / "keep.txt").read_text() == "mine"


# ---- `grader check` from a fresh copy ------------------------------------------------------


def _grader(folder: Path, *arguments: str, python: str = sys.executable):
    """`grader` run from the folder, as a student in the release runs it."""
    environment = {key: value for key, value in os.environ.items() if key != "GRADER_CONFIG"}
    return subprocess.run(
        [python, "-m", "grader", *arguments],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
    )


# Pythons students have that the grader's own venv is not: Ubuntu 24.04's 3.12, Debian 13's 3.13.
FRESH_VERSIONS = ("3.12", "3.13")


@pytest.fixture(scope="module")
def fresh_copies(release, tmp_path_factory, fresh_venv) -> dict[str, tuple[Path, Path]]:
    """Per Python: a fresh copy of the release and its fresh venv, installed side by side (an
    install waits on the package index and the disk more than on a core)."""

    def install(version: str) -> tuple[Path, Path]:
        copy = tmp_path_factory.mktemp(f"copy-{version}") / "copy"
        shutil.copytree(release, copy)
        return copy, fresh_venv(copy, version)

    with ThreadPoolExecutor(max_workers=len(FRESH_VERSIONS)) as pool:
        return dict(zip(FRESH_VERSIONS, pool.map(install, FRESH_VERSIONS), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("version", FRESH_VERSIONS)
def test_grader_check_works_from_a_fresh_copy(fresh_copies, version):
    """A fresh copy, a fresh venv on a Python students have that the grader's own venv is not,
    with `pip install -r requirements.txt` (pinned, from the package index), then the student's
    commands."""
    copy, python = fresh_copies[version]
    assert subprocess.run(
        [str(python), "-c", "import sys; print(sys.version)"], capture_output=True, text=True
    ).stdout.startswith(version + ".")
    for line in (copy / "requirements.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            shown = subprocess.run(
                [
                    str(python),
                    "-c",
                    f"import importlib.metadata as m; print(m.version({name.split('[')[0]!r}))",
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert shown.stdout.strip() == version, line
    grader_command = str(python.with_name("grader"))

    def student(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [grader_command, *arguments],
            cwd=copy,
            env={k: v for k, v in os.environ.items() if k != "GRADER_CONFIG"},
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT,
        )

    help_text = student("--help").stdout
    assert "check" in help_text and "grade" not in help_text.replace("grader", "")
    refused = student("grade", "student_template.py", "--out", "out")
    assert refused.returncode == 2 and "course staff" in refused.stdout

    untouched = student("check", "student_template.py")
    assert untouched.returncode == 1, untouched.stdout + untouched.stderr
    assert "not attempted" in untouched.stdout

    shutil.copyfile(EXAMPLES_DIRECTORY / "reference.py", copy / "student_template.py")
    done = student("check", "student_template.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All public checks pass" in done.stdout
    assert public_total_line() in done.stdout  # each public case worth what it is when graded
    for case in _hidden_cases():
        assert case.name not in done.stdout + untouched.stdout

    shutil.copyfile(EXAMPLES_DIRECTORY / "unnormalized.py", copy / "student_template.py")
    raw = student("check", "student_template.py", "--only", "normalize")
    assert raw.returncode == 1, raw.stdout + raw.stderr
    assert "✘ failed" in raw.stdout and "255" in raw.stdout, raw.stdout


def test_grader_check_refuses_changed_checks(release, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(release, copy)
    checks = copy / "tests" / "labels.py"
    checks.write_text(checks.read_text() + "\n# edited\n")
    done = _grader(copy, "check", "student_template.py")
    assert done.returncode != 0
    assert "differ from the ones this release was made with" in done.stdout
