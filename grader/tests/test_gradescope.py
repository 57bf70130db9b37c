"""The Gradescope autograder, end to end in a scratch copy of the /autograder layout.

`grader export gradescope` writes the zip; it is unpacked into ROOT/source as Gradescope would,
setup.sh's verification step runs, and run_autograder grades submissions put in
ROOT/submission. Every results.json must validate against the JSON Schema beside this file.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from grader.checks import load_questions
from grader.config import CHECKS_DIRECTORY, EXAMPLES_DIRECTORY, TEMPLATE_PATH, load_config
from grader.course.autograder import CLOSED_FOLDERS
from grader.course.gradescope import export_gradescope
from grader.errors import GraderError
from grader.records import CaseResult, Outcome, QuestionResult, Status, SubmissionResult
from grader.render import Redactor, gradescope_results

SCHEMA = json.loads((Path(__file__).parent / "gradescope-results.schema.json").read_text())
RUN_TIMEOUT = 900
HIDDEN_OUTPUTS = {"Hidden check passed.", "Hidden check failed."}


def validate(results: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(results, SCHEMA, cls=jsonschema.Draft202012Validator)


def unpack(archive: Path, source: Path) -> None:
    """Unzip as Gradescope's `unzip` does, keeping the executable bits."""
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            target = source / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(opened.read(info))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode)


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "autograder.zip"
    export_gradescope(out, load_config())
    return out


@pytest.fixture(scope="module")
def root(autograder_zip, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    unpack(autograder_zip, root / "source")
    return root


def environment(root: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in ("GRADER_CONFIG", "PYTHONPATH")}
    return (
        keep
        | {
            "GRADER_AUTOGRADER_ROOT": str(root),
            "GRADER_AUTOGRADER_PYTHON": sys.executable,
        }
        | extra
    )


def run_autograder(root: Path, files: dict[str, bytes], **extra: str) -> dict:
    """Gradescope's per-submission step: fresh submission/ and results/, then run_autograder."""
    return run_autograder_logged(root, files, **extra)[0]


def run_autograder_logged(root: Path, files: dict[str, bytes], **extra: str) -> tuple[dict, str]:
    """run_autograder's results and its stdout (which Gradescope shows instructors only)."""
    for name in ("submission", "results"):
        shutil.rmtree(root / name, ignore_errors=True)
        (root / name).mkdir()
    for name, content in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_bytes(content)
    done = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=environment(root, **extra),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    if "could not start" not in results["output"]:
        for name in CLOSED_FOLDERS:  # out of reach of a child under the "uid" tier
            assert stat.S_IMODE((root / name).stat().st_mode) == 0o700, name
    return results, done.stdout


def hidden_names() -> set[str]:
    questions = load_questions(CHECKS_DIRECTORY, load_config())
    return {case.name for question in questions for case in question.cases if case.hidden}


def assert_hidden_cases_say_nothing(results: dict, visibility: str = "after_published") -> None:
    hidden = [test for test in results["tests"] if test["name"] in hidden_names()]
    assert hidden, "the hidden cases should be listed"
    for test in hidden:
        assert test["visibility"] == visibility
        assert test["output"] in HIDDEN_OUTPUTS or test["output"].startswith("Hidden check failed:")
    for test in results["tests"]:
        if test["name"] not in hidden_names():
            assert test["visibility"] == "visible"


def secret_lines() -> list[str]:
    return [
        line.strip()
        for path in sorted(CHECKS_DIRECTORY.glob("*.py"))
        for line in path.read_text().splitlines()
        if len(line.strip()) >= 24
    ]


# ---- The zip -----------------------------------------------------------------------------


def test_zip_follows_gradescope_layout(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as opened:
        names = set(opened.namelist())
        modes = {info.filename: (info.external_attr >> 16) for info in opened.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "pyproject.toml"} <= names
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR, script
    assert {f"tests/{q}.py" for q in load_config().question_ids} <= names
    assert {
        "assignment/config.toml",
        "assignment/solution.py",
        "grader/course/autograder.py",
    } <= names
    assert not any(name.startswith("grader/tests/") for name in names)
    assert not any("__pycache__" in name for name in names)


def test_export_is_reproducible_and_refuses_to_overwrite(autograder_zip, tmp_path):
    again = tmp_path / "again.zip"
    export_gradescope(again, load_config())
    assert again.read_bytes() == autograder_zip.read_bytes()
    with pytest.raises(GraderError, match="--force"):
        export_gradescope(again, load_config())
    with pytest.raises(GraderError, match=r"\.zip file"):
        export_gradescope(tmp_path / "autograder.tar", load_config())


def test_setup_verification_fails_loudly_when_a_pin_is_off(root, tmp_path):
    copy = tmp_path / "autograder"
    shutil.copytree(root / "source", copy / "source")
    requirements = copy / "source" / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("numpy==", "numpy==0.0.1#"))
    done = subprocess.run(
        ["bash", str(copy / "source" / "setup.sh"), "--verify-only"],
        env=environment(copy),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode != 0
    assert "numpy" in done.stderr and "pinned 0.0.1" in done.stderr


# Gradescope's Python comes from the system (Ubuntu's python3.11 package), world-readable, so
# the sandbox's unprivileged uid can run it; pyenv's interpreter under /root here cannot be.
SYSTEM_PYTHON = Path("/usr/bin/python3.11")


@pytest.fixture(scope="module")
def installed(autograder_zip, shared) -> Iterator[Path]:
    """setup.sh as Gradescope runs it (its apt step aside): a venv built by the system's
    python3.11 with the pinned packages from the package index, MNIST from the original files
    with checksums, its verification. The root is world-traversable, as /autograder is, so the
    "uid" sandbox tier can run the venv's interpreter."""
    if not (SYSTEM_PYTHON.is_file() and Path("/usr/lib/python3.11/ensurepip").is_dir()):
        pytest.fail(
            f"{SYSTEM_PYTHON} with its venv module is needed (make system installs "
            "python3.11-venv)",
            pytrace=False,
        )
    scratch = Path(tempfile.mkdtemp(prefix="grader-gradescope-"))
    scratch.chmod(0o755)
    root = scratch / "autograder"
    unpack(autograder_zip, root / "source")
    setup_environment = environment(root, GRADER_DATA=str(root / "store"), GRADER_SETUP_SYSTEM="0")
    del setup_environment["GRADER_AUTOGRADER_PYTHON"]
    setup_environment["PATH"] = f"{SYSTEM_PYTHON.parent}:{os.environ['PATH']}"
    done = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=setup_environment | {"GRADER_DATA_FROM": str(shared)},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # Its last step, the one `setup.sh --verify-only` runs alone, passed and named the sandbox.
    assert "autograder verified" in done.stdout and "sandbox:" in done.stdout
    yield root
    # A venv holding TensorFlow: removed in the background, not on the worker's time.
    subprocess.Popen(["rm", "-rf", str(scratch)], start_new_session=True)


def run_installed(root: Path, source: str, tier: str) -> tuple[dict, str]:
    """run_autograder with the venv setup.sh built, the sandbox tier forced; results, stdout."""
    results, stdout = run_autograder_logged(
        root,
        {"student_template.py": source.encode()},
        GRADER_AUTOGRADER_PYTHON=str(root / "venv" / "bin" / "python"),
        GRADER_DATA=str(root / "store"),
        GRADER_SANDBOX=tier,
    )
    assert stdout.startswith(f"sandbox: {tier}"), stdout[:2000]
    return results, stdout


@pytest.mark.slow
def test_setup_installs_everything_then_grades_with_what_it_installed(installed):
    python = installed / "venv" / "bin" / "python"
    assert os.path.realpath(python).startswith(str(SYSTEM_PYTHON.parent))
    assert (installed / "store" / "mnist").is_dir()
    results, stdout = run_installed(
        installed, (EXAMPLES_DIRECTORY / "reference.py").read_text(), "uid"
    )
    points = load_config().max_points
    assert f"{points:g}/{points:g} points, sandbox uid" in stdout
    # The reference earns full marks, every case passed, and the hidden ones say nothing else.
    assert results["score"] == points
    assert all(test["status"] == "passed" for test in results["tests"])
    assert sum(test["max_score"] for test in results["tests"]) == points
    assert_hidden_cases_say_nothing(results)
    assert results["output"].startswith("Status: ok.")


def probing_submission(root: Path, signal_the_grader: bool) -> str:
    """The reference, whose is_five raises with a report of what the child could reach: the
    hidden checks, the solution, the submission and results folders, and (when asked) the
    grader's process."""
    probe = f"""
import os, signal
ROOT = {str(root)!r}
def _probe():
    report = []
    def attempt(what, action):
        try:
            action()
            report.append(what + " DONE")
        except OSError as error:
            report.append(what + " " + type(error).__name__)
    attempt("read-hidden", lambda: open(ROOT + "/source/tests/accuracy.py").read())
    attempt("list-hidden", lambda: os.listdir(ROOT + "/source/tests"))
    attempt("read-solution", lambda: open(ROOT + "/source/assignment/solution.py").read())
    attempt("read-submission", lambda: os.listdir(ROOT + "/submission"))
    attempt("write-results", lambda: open(ROOT + "/results/forged.json", "w").write("{{}}"))
    if {signal_the_grader}:
        attempt("signal-grader", lambda: os.kill(os.getppid(), signal.SIGSTOP))
    return "PROBE " + "; ".join(report)
"""
    source = (EXAMPLES_DIRECTORY / "reference.py").read_text()
    source = source.replace("import keras\n", "import keras\n" + probe, 1)
    return source.replace(
        "def is_five(digits):\n", "def is_five(digits):\n    raise ValueError(_probe())\n", 1
    )


def probe_report(results: dict) -> str:
    reports = {test["output"] for test in results["tests"] if "PROBE " in test["output"]}
    assert reports, [test["output"] for test in results["tests"]]
    return " ".join(reports)


@pytest.mark.slow
def test_the_uid_tier_keeps_the_child_from_the_grader_and_its_folders(installed):
    """What Gradescope's containers get (no namespaces): the child runs as the sandbox uid and
    cannot read the hidden checks, the solution or the submission folder, write results, or
    signal the grader. The same probe under the basic tier (the grader's own user) reaches the
    files, which shows the probe sees what it claims to."""
    open_run = probe_report(
        run_installed(installed, probing_submission(installed, False), "basic")[0]
    )
    assert "read-hidden DONE" in open_run and "read-solution DONE" in open_run, open_run

    results, _ = run_installed(installed, probing_submission(installed, True), "uid")
    report = probe_report(results)
    for what in (
        "read-hidden",
        "list-hidden",
        "read-solution",
        "read-submission",
        "write-results",
        "signal-grader",
    ):
        assert f"{what} PermissionError" in report, report
    assert not (installed / "results" / "forged.json").exists()
    assert results["output"].startswith("Status: ok.")


# ---- run_autograder on submissions ---------------------------------------------------------


# The reference's full marks through run_autograder: graded under the "uid" tier Gradescope's
# containers get, in test_setup_installs_everything_then_grades_with_what_it_installed.


@pytest.mark.slow
def test_untouched_template_earns_nothing_and_extra_files_are_named_and_ignored(root):
    results = run_autograder(
        root,
        {
            "student_template.py": TEMPLATE_PATH.read_bytes(),
            "notes.txt": b"my notes",
            ".DS_Store": b"\0",
        },
    )
    assert results["score"] == 0
    assert "not_attempted" in results["output"]
    assert_hidden_cases_say_nothing(results)
    assert "ignored: notes.txt" in results["output"]
    assert ".DS_Store" not in results["output"]


@pytest.mark.slow
def test_wrong_submission_loses_its_questions_with_a_visible_diagnosis(root):
    results = run_autograder(
        root, {"student_template.py": (EXAMPLES_DIRECTORY / "no_sigmoid.py").read_bytes()}
    )
    failed = {test["name"].split(":")[0] for test in results["tests"] if test["status"] != "passed"}
    assert failed == {"sigmoid", "accuracy"}
    assert 0 < results["score"] < load_config().max_points
    visible_failures = [
        test["output"]
        for test in results["tests"]
        if test["status"] == "failed" and test["visibility"] == "visible"
    ]
    assert any("sigmoid" in output.lower() for output in visible_failures)
    assert_hidden_cases_say_nothing(results)


@pytest.mark.slow
def test_hostile_submission_forges_nothing_and_reads_no_hidden_check(root):
    """It tries to overwrite results.json with full marks and to echo the hidden checks."""
    forged = {"score": 1000, "tests": [], "output": "FORGED"}
    attack = f"""
import glob, json, os
ROOT = {str(root)!r}
def _grab():
    found = []
    for pattern in (ROOT + "/source/tests/*.py", ROOT + "/source/assignment/*", "/autograder/**"):
        for name in glob.glob(pattern, recursive=True):
            try:
                found.append(open(name).read())
            except OSError:
                pass
    return "\\n".join(found)
for target in (ROOT + "/results/results.json", "/autograder/results/results.json"):
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").write(json.dumps({forged!r}))
    except OSError:
        pass
"""
    source = (EXAMPLES_DIRECTORY / "no_sigmoid.py").read_text()
    source = source.replace("import keras\n", "import keras\n" + attack, 1)
    source = source.replace(
        "def is_five(digits):\n", "def is_five(digits):\n    raise ValueError(_grab())\n", 1
    )
    results = run_autograder(root, {"student_template.py": source.encode()})
    text = json.dumps(results)
    assert "FORGED" not in text and results["score"] < 10
    for line in secret_lines():
        assert line not in text, line
    assert_hidden_cases_say_nothing(results)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"my_perceptron.py": b"x = 1\n"}, "rename your file to student_template.py"),
        ({"student_template.ipynb": b"{}"}, "you submitted a notebook"),
        ({"a.py": b"x = 1\n", "b.py": b"y = 2\n"}, "none is named student_template.py"),
        ({}, "the submission is empty"),
        (
            {"one/student_template.py": b"x = 1\n", "two/student_template.py": b"x = 2\n"},
            "submit exactly one student_template.py",
        ),
    ],
    ids=["wrong-name", "notebook", "several-files", "empty", "two-templates"],
)
def test_a_submission_that_cannot_be_graded_gets_a_clear_visible_message(root, files, expected):
    results = run_autograder(root, files)
    assert results["score"] == 0
    assert results["visibility"] == "visible"
    assert expected.lower() in results["output"].lower(), results["output"]
    assert "Status: invalid." in results["output"]
    assert len(results["tests"]) == sum(
        len(q.cases) for q in load_questions(CHECKS_DIRECTORY, load_config())
    )


def test_a_grader_that_cannot_start_still_writes_valid_results(root):
    results = run_autograder(
        root, {"student_template.py": b"x = 1\n"}, GRADER_AUTOGRADER_PYTHON="/nonexistent/python"
    )
    assert results["score"] == 0
    assert "could not start" in results["output"]


def copy_of(root: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "autograder"
    shutil.copytree(root / "source", copy / "source")
    return copy


def test_a_failure_of_ours_still_writes_valid_results(root, tmp_path):
    copy = copy_of(root, tmp_path)
    (copy / "source" / "assignment" / "config.toml").write_text("this is [not toml\n")
    results = run_autograder(copy, {"student_template.py": TEMPLATE_PATH.read_bytes()})
    assert results["score"] == 0
    assert "failed on its side" in results["output"] and "not your fault" in results["output"]


@pytest.mark.slow
def test_an_endless_submission_ends_before_gradescope_would_kill_it(root, tmp_path):
    """Gradescope kills an autograder that outlives its limit and records nothing: ours stops
    the run at [gradescope] timeout_seconds and still writes a timeout row. (train() waits
    rather than spins: the corpus's spinning submissions show a busy one ends the same way.)"""
    copy = copy_of(root, tmp_path)
    config = copy / "source" / "assignment" / "config.toml"
    text = config.read_text()
    assert "timeout_seconds = 480" in text
    config.write_text(text.replace("timeout_seconds = 480", "timeout_seconds = 20"))
    source = (EXAMPLES_DIRECTORY / "reference.py").read_text()
    source = source.replace(
        "def train(",
        "def train(*_, **__):\n    import time\n\n    while True:\n        time.sleep(1)\n\n\n"
        "def _old_train(",
        1,
    )
    results = run_autograder(copy, {"student_template.py": source.encode()})
    assert results["output"].startswith("Status: timeout.")
    assert "train()" in results["output"]
    assert 0 < results["score"] < load_config().max_points  # what was answered before counts


def test_hidden_cases_show_only_pass_or_fail_at_every_visibility():
    questions = load_questions(CHECKS_DIRECTORY, load_config())

    result = SubmissionResult(
        submission="s",
        source="s.py",
        sha256="",
        status=Status.OK,
        note="",
        questions=tuple(
            QuestionResult(
                id=q.id,
                cases=tuple(
                    CaseResult(
                        question=q.id,
                        name=c.name,
                        max_points=c.points,
                        hidden=c.hidden,
                        outcome=Outcome.FAILED,
                        message="secret threshold 0.965",
                    )
                    for c in q.cases
                ),
            )
            for q in questions
        ),
        seconds=1.0,
        grader_version="0",
    )
    for visibility in ("hidden", "after_due_date", "after_published", "visible"):
        results = gradescope_results(result, Redactor([]), visibility)
        validate(results)
        assert_hidden_cases_say_nothing(results, visibility)
        assert "0.965" not in json.dumps(
            [t for t in results["tests"] if t["name"] in hidden_names()]
        )
