"""The check files in tests/ work with stock otter-grader 7, as an instructor without our grader
would use them: `otter check` on the public copies students get, and `otter generate` then
`otter run` on the full checks, whose points must equal our grader's for the same file.

Otter has no timeout, so every otter process runs under one here. CI has no internet: the
otter processes get grader/tests/stock_otter/ on PYTHONPATH, whose sitecustomize.py makes
keras' MNIST loader read the grader's verified mnist.npz and refuses any other network use
(see /work/shared/notes/otter-7.md for what stock otter does and does not do).
"""

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.checks import load_questions, student_functions
from grader.config import CHECKS_DIRECTORY, EXAMPLES_DIRECTORY, TEMPLATE_PATH, load_config
from grader.course.publish import write_public_checks
from grader.datasets import mnist_npz_path
from grader.exercises import perceptron
from grader.records import Outcome, SubmissionResult

MISTAKES = perceptron.mistakes()

SUPPORT = Path(__file__).with_name("stock_otter")
OTTER = Path(sys.executable).with_name("otter")
MNIST_NPZ_ENV = "STOCK_OTTER_MNIST_NPZ"  # read by stock_otter/sitecustomize.py
SEED_ENV = "STOCK_OTTER_SEED"  # read by stock_otter/sitecustomize.py
OFFLINE_MARK = "stock-otter test:"  # how sitecustomize.py's errors start

# Wall-clock limits in seconds. Otter itself has none. Stock otter runs a file's __main__ block
# during grading (otter-7.md), which in the examples trains the lesson's two models for five
# epochs each and bears on no check (our grader never runs it): the files handed to otter here
# leave it out, so otter trains only what its checks call.
QUICK_TIMEOUT = 180
TRAINING_TIMEOUT = 900
STOP_GRACE = 20  # after SIGINT, which lets otter shut its kernel down, before SIGKILL

FAILED = "❌ Test case failed"
CASE_RESULT = re.compile(r"^ {4}(?P<name>.+) result:\n {8}(?P<mark>✅|❌) Test case", re.MULTILINE)
PUBLIC_SUMMARY = "Public Tests"
# Wrong submissions run through `otter run`: both fail for certain, at every seed (the accuracy
# of no_sigmoid sits too near the public floor, unseeded, for an exact comparison).
WRONG = ("wrong_labels", "dense10")


def run_bounded(
    command: list[str], cwd: Path, environment: dict[str, str] | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run `command` in its own process group; on timeout stop the group and fail the test.

    Like subprocess.run(timeout=...), but stopping otter with SIGINT first, so it shuts down
    its IPython kernel (a session of its own, which exits when otter dies) and temp files.
    """
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGINT)
            try:
                stdout, stderr = process.communicate(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate()
            pytest.fail(
                f"`{' '.join(command)}` in {cwd} ran over {timeout} s and was stopped "
                f"(otter has no timeout of its own).\nstdout:\n{stdout[-3000:]}\n"
                f"stderr:\n{stderr[-3000:]}"
            )
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def otter(
    arguments: list[str], cwd: Path, environment: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run the venv's `otter` and require exit code 0 (check's is 0 even when cases fail)."""
    if not OTTER.is_file():
        pytest.fail(f"No otter at {OTTER}: install the project with otter-grader[grading].")
    finished = run_bounded([str(OTTER), *arguments], cwd, environment, timeout)
    assert finished.returncode == 0, (
        f"`otter {' '.join(arguments)}` exited {finished.returncode}.\n"
        f"stdout:\n{finished.stdout[-3000:]}\nstderr:\n{finished.stderr[-3000:]}"
    )
    return finished


def hidden_case_names() -> list[str]:
    questions = load_questions(CHECKS_DIRECTORY, load_config())
    names = [case.name for question in questions for case in question.cases if case.hidden]
    assert names, "the checks have no hidden cases: this file's hidden-case assertions are moot"
    return names


def public_case_names() -> list[str]:
    questions = load_questions(CHECKS_DIRECTORY, load_config(), public_only=True)
    return [case.name for question in questions for case in question.cases]


@pytest.fixture(scope="module")
def otter_environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of every otter process: offline MNIST, a scratch KERAS_HOME."""
    environment = dict(os.environ)
    # Raises DatasetMissing, naming `grader data`, when MNIST is not installed: no skipping.
    environment[MNIST_NPZ_ENV] = str(mnist_npz_path())
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(SUPPORT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    environment["KERAS_HOME"] = str(tmp_path_factory.mktemp("keras-home"))
    environment[SEED_ENV] = str(load_config().grading.seed)  # seeded as the grader's child is
    return environment


@pytest.fixture(scope="module")
def public_checks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a student gets: the question files without their hidden cases."""
    directory = tmp_path_factory.mktemp("public") / "tests"
    write_public_checks(CHECKS_DIRECTORY, directory, load_config().question_ids)
    return directory


@pytest.fixture(scope="module")
def autograder_zip(
    tmp_path_factory: pytest.TempPathFactory, otter_environment: dict[str, str]
) -> Path:
    """`otter generate` on a copy of tests/, offline: no requirements, no environment file."""
    work = tmp_path_factory.mktemp("generate")
    shutil.copytree(CHECKS_DIRECTORY, work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    otter(["generate", "--no-requirements", "--no-environment"], work, otter_environment, 120)
    archive = work / "autograder.zip"
    with zipfile.ZipFile(archive) as contents:
        names = set(contents.namelist())
    expected = {f"tests/{question_id}.py" for question_id in load_config().question_ids}
    assert expected <= names, sorted(names)
    return archive


MAIN_TESTS = {"__name__ == '__main__'", "'__main__' == __name__"}


def without_main_block(source: Path, target: Path) -> None:
    """Copy a submission without its top-level `if __name__ == "__main__":` block."""
    text = source.read_text()
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    for node in reversed(tree.body):
        if isinstance(node, ast.If) and ast.unparse(node.test) in MAIN_TESTS:
            del lines[node.lineno - 1 : node.end_lineno]
    target.write_text("".join(lines))


def test_without_main_block_keeps_every_function(tmp_path: Path):
    """Does the copy lose the lesson script and nothing the checks call?"""
    source = EXAMPLES_DIRECTORY / "reference.py"
    without_main_block(source, tmp_path / "copy.py")
    kept = (tmp_path / "copy.py").read_text()
    assert "__main__" in source.read_text() and "__main__" not in kept
    defined = {node.name for node in ast.parse(kept).body if isinstance(node, ast.FunctionDef)}
    called = student_functions(load_questions(CHECKS_DIRECTORY, load_config()))
    assert called and set(called) <= defined


def otter_check(
    source: Path, tests: Path, work: Path, environment: dict[str, str], *options: str
) -> str:
    """`otter check student_template.py` with `source` as the template; its stdout."""
    work.mkdir(parents=True, exist_ok=True)
    without_main_block(source, work / "student_template.py")
    shutil.copytree(tests, work / "tests")
    arguments = ["check", "student_template.py", *options]
    return otter(arguments, work, environment, TRAINING_TIMEOUT).stdout


def otter_run(submission: Path, archive: Path, work: Path, environment: dict[str, str]) -> dict:
    """`otter run -a autograder.zip -o OUT submission.py`; OUT/results.json, parsed."""
    (work / "out").mkdir(parents=True)
    without_main_block(submission, work / "submission.py")
    arguments = ["run", "--no-logo", "-a", str(archive), "-o", "out", "submission.py"]
    finished = otter(arguments, work, environment, TRAINING_TIMEOUT)
    results = work / "out" / "results.json"
    assert results.is_file(), f"otter run wrote no results.json:\n{finished.stdout[-3000:]}"
    return json.loads(results.read_text())


def otter_points(results: dict) -> dict[str, float]:
    """Points per question: one results.json entry per check file, named by its `name`."""
    config = load_config()
    scored = [test for test in results["tests"] if "score" in test]
    for test in scored:
        assert test["max_score"] == pytest.approx(config.questions[test["name"]].points), test
    points = {test["name"]: test["score"] for test in scored}
    assert sorted(points) == sorted(config.question_ids), results
    return points


def public_summary(results: dict) -> str:
    """The one entry Gradescope shows students: the public cases' output."""
    (summary,) = [test for test in results["tests"] if test["name"] == PUBLIC_SUMMARY]
    assert summary["visibility"] == "visible", summary
    return summary["output"]


def otter_case_passes(results: dict) -> dict[str, bool]:
    """Whether each case passed, read from the per-question entries (hidden cases included):
    otter writes "<id> results: All test cases passed!" or one block per case."""
    questions = {q.id: q for q in load_questions(CHECKS_DIRECTORY, load_config())}
    passes = {}
    for test in results["tests"]:
        if "score" not in test:
            continue
        if test["output"].strip() == f"{test['name']} results: All test cases passed!":
            passes |= {case.name: True for case in questions[test["name"]].cases}
        else:
            found = CASE_RESULT.finditer(test["output"])
            passes |= {match["name"]: match["mark"] == "✅" for match in found}
    return passes


def our_points(result: SubmissionResult) -> dict[str, float]:
    return {question.id: question.points for question in result.questions}


def our_case_passes(result: SubmissionResult) -> dict[str, bool]:
    return {c.name: c.outcome is Outcome.PASSED for q in result.questions for c in q.cases}


def assert_same_as_ours(results: dict, ours: SubmissionResult) -> None:
    """Every case passes or fails under otter as under our grader, with the same points."""
    assert otter_points(results) == pytest.approx(our_points(ours), abs=1e-4)
    assert otter_case_passes(results) == our_case_passes(ours)
    summary = public_summary(results)
    for name in hidden_case_names():
        assert name not in summary, name


def test_run_bounded_stops_what_overruns(tmp_path: Path):
    """Does the timeout wrapper stop a process that never ends, and fail the test?"""
    with pytest.raises(pytest.fail.Exception, match="ran over 1 s"):
        run_bounded([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path, None, 1)


def test_generate_packs_every_check(autograder_zip: Path):
    """Does `otter generate` build an autograder.zip offline, holding every question's file?"""
    assert autograder_zip.stat().st_size > 0


def test_otter_check_on_the_template_fails_every_public_case(
    tmp_path: Path, public_checks: Path, otter_environment: dict[str, str]
):
    """Does `otter check` on the untouched template report each public case failed, every
    question, and no hidden case?"""
    output = otter_check(TEMPLATE_PATH, public_checks, tmp_path, otter_environment)
    assert "All tests passed!" not in output
    assert "✅" not in output
    public = public_case_names()
    assert output.count(FAILED) == len(public), output
    for name in public:
        assert f"{name} result:" in output, name
    for question_id in load_config().question_ids:
        assert f"{question_id} results:" in output, question_id
        assert f"{question_id} results: All test cases passed!" not in output, question_id
    assert "NotImplementedError" in output
    for name in hidden_case_names():
        assert name not in output, name


def test_otter_check_reads_mnist_through_the_support_hook(
    tmp_path: Path, public_checks: Path, otter_environment: dict[str, str]
):
    """Without the verified npz the reference's load_mnist fails in otter's kernel with the
    support hook's error: keras' own loader (and its download) is never reached."""
    environment = {k: v for k, v in otter_environment.items() if k != MNIST_NPZ_ENV}
    source = EXAMPLES_DIRECTORY / "reference.py"
    output = otter_check(source, public_checks, tmp_path, environment, "-q", "load")
    assert FAILED in output and OFFLINE_MARK in output, output
    assert not (Path(otter_environment["KERAS_HOME"]) / "datasets").exists()


@pytest.mark.slow
def test_otter_check_passes_the_reference(
    tmp_path: Path, public_checks: Path, otter_environment: dict[str, str]
):
    """Does `otter check` on the reference print "All tests passed!", offline?"""
    source = EXAMPLES_DIRECTORY / "reference.py"
    output = otter_check(source, public_checks, tmp_path, otter_environment)
    assert output.strip() == "All tests passed!", output
    assert not (Path(otter_environment["KERAS_HOME"]) / "datasets").exists()


@pytest.mark.slow
def test_otter_run_gives_the_reference_full_marks(
    tmp_path: Path,
    autograder_zip: Path,
    otter_environment: dict[str, str],
    grade: Callable[[Path], SubmissionResult],
):
    """Does `otter run` give the reference every point, as our grader does?"""
    submission = EXAMPLES_DIRECTORY / "reference.py"
    results = otter_run(submission, autograder_zip, tmp_path, otter_environment)
    points = otter_points(results)
    config = load_config()
    assert points == {q: config.questions[q].points for q in config.question_ids}
    assert sum(points.values()) == config.max_points == 12
    assert FAILED not in public_summary(results)
    assert_same_as_ours(results, grade(submission))


@pytest.mark.slow
@pytest.mark.parametrize("name", WRONG)
def test_otter_run_docks_a_mistake_exactly_its_questions(
    tmp_path: Path,
    autograder_zip: Path,
    otter_environment: dict[str, str],
    grade: Callable[[Path], SubmissionResult],
    name: str,
):
    """Does `otter run` dock the mistake exactly the questions MISTAKES names, and give
    every question the points our grader gives?"""
    (mistake,) = [mistake for mistake in MISTAKES if mistake.name == name]
    submission = EXAMPLES_DIRECTORY / f"{name}.py"
    results = otter_run(submission, autograder_zip, tmp_path, otter_environment)
    points = otter_points(results)
    config = load_config()
    docked = {q for q, earned in points.items() if earned < config.questions[q].points - 1e-9}
    assert docked == set(mistake.fails), points
    assert FAILED in public_summary(results)
    assert_same_as_ours(results, grade(submission))
