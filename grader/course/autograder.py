"""The Gradescope side: what `setup.sh` verifies and what `run_autograder` runs, per submission.

Gradescope unpacks the autograder zip into /autograder/source, puts the student's upload in
/autograder/submission and reads /autograder/results/results.json. GRADER_AUTOGRADER_ROOT moves
that root (the tests use a scratch copy). `run` always writes a valid results.json: a submission
that cannot be graded (wrong name, several files, a notebook) gets a visible message saying
what to submit; a failure of ours gets one saying it is not the student's fault.

    python -m grader.course.autograder verify [--root ROOT]   # setup.sh's last step
    python -m grader.course.autograder run [--root ROOT]      # run_autograder
"""

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from grader.ending import end_now
from grader.files import write_whole

ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")
NOTEBOOK_HELP = (
    "export it as a Python script (Jupyter: File > Download as > Python (.py)), rename it "
    "to {name} and submit that file alone"
)
IGNORED_NAMES = {".DS_Store", "__MACOSX", "__pycache__", ".ipynb_checkpoints"}


def default_root() -> Path:
    return Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


@dataclass(frozen=True)
class Located:
    """The file to grade, or why there is none; and what was ignored beside it."""

    path: Path | None
    problem: str | None = None
    ignored: tuple[str, ...] = ()


def _through_link(submission: Path, path: Path) -> bool:
    """Is `path`, or a folder between the submission folder and it, a symbolic link?"""
    relative = path.relative_to(submission)
    return any(
        (submission / Path(*relative.parts[: n + 1])).is_symlink()
        for n in range(len(relative.parts))
    )


def _uploaded(submission: Path) -> tuple[list[Path], list[Path]]:
    """Regular files uploaded (never through a link: it could point at the reference solution
    or the hidden checks), and the links found instead."""
    found, links = [], []
    for path in sorted(submission.rglob("*")):
        relative = path.relative_to(submission)
        if any(part in IGNORED_NAMES or part.startswith("._") for part in relative.parts):
            continue
        if _through_link(submission, path):
            if path.is_symlink():
                links.append(path)
            continue
        if path.is_file():
            found.append(path)
    return found, links


def locate_submission(submission: Path, file_name: str) -> Located:
    """The student's file in Gradescope's submission folder, or a message saying what to do."""
    files, links = _uploaded(submission)
    linked = [path for path in links if path.name == file_name]
    if linked:
        return Located(
            None,
            f"your {file_name} is a symbolic link, not a file: submit the file itself",
        )
    names = [path.relative_to(submission).as_posix() for path in files]
    listed = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    if not files:
        return Located(None, f"the submission is empty: submit your {file_name}")
    exact = [path for path in files if path.name == file_name]
    if len(exact) == 1:
        ignored = tuple(name for name, path in zip(names, files, strict=True) if path != exact[0])
        return Located(exact[0], ignored=ignored)
    if len(exact) > 1:
        return Located(
            None,
            f"the submission holds {len(exact)} files named {file_name} ({listed}): "
            f"submit exactly one {file_name}",
        )
    notebooks = [name for name in names if name.endswith(".ipynb")]
    if notebooks:
        return Located(
            None,
            f"you submitted a notebook ({', '.join(notebooks)}); this assignment grades a "
            f"Python file: {NOTEBOOK_HELP.format(name=file_name)}",
        )
    python_files = [name for name in names if name.endswith(".py")]
    if len(python_files) == 1 and len(files) == 1:
        return Located(
            None,
            f"you submitted {python_files[0]}, but the grader looks for a file named exactly "
            f"{file_name}: rename your file to {file_name} and submit it again",
        )
    return Located(
        None,
        f"the submission holds {len(files)} files ({listed}) and none is named {file_name}: "
        f"submit your {file_name} on its own",
    )


def _write_results(results_directory: Path, results: dict[str, Any]) -> Path:
    path = results_directory / "results.json"
    write_whole(path, json.dumps(results, indent=2))
    return path


def grade(root: Path) -> dict[str, Any]:
    """Grade the submission under `root` with the trusted pipeline; Gradescope's results."""
    from grader.config import current_assignment, load_config
    from grader.grading import grade_submission, prepare_context
    from grader.isolation.sandbox import describe_sandbox
    from grader.render import Redactor, gradescope_results
    from grader.submissions import Submission, submission_at

    config = load_config()
    # Gradescope kills a run that outlives the assignment's own limit, writing no results:
    # ours must end first, so the student gets a `timeout` row with the points earned before.
    grading = config.grading.model_copy(
        update={"timeout_seconds": config.gradescope.timeout_seconds}
    )
    config = config.model_copy(update={"grading": grading})
    file_name = config.submission.file_name
    located = locate_submission(root / "submission", file_name)
    print(describe_sandbox(config.grading.sandbox), flush=True)
    if located.path is None:  # graded like any invalid file: a row, every case at zero
        submission = Submission("submission", root / "submission", "", located.problem)
    else:
        submission = submission_at(located.path, "submission")
    with tempfile.TemporaryDirectory(prefix="grader-autograder-") as work:
        result = grade_submission(submission, prepare_context(config, Path(work)))
    redact = Redactor(sorted(current_assignment().checks.glob("*.py")))
    results = gradescope_results(result, redact, config.gradescope.hidden_visibility)
    if located.ignored:
        results["output"] += f" Only {file_name} was graded; ignored: {', '.join(located.ignored)}."
    print(
        f"status {result.status.value}, {result.total:g}/{result.max_points:g} points, "
        f"sandbox {result.sandbox or 'none'}; {result.note}",
        flush=True,
    )
    if result.output:
        print("---- the submission's output ----\n" + result.output, flush=True)
    return results


# What only the grader (root) reads or writes. Under the "uid" sandbox tier, which containers
# that refuse namespaces fall back to, the child sees the host's filesystem as an unprivileged
# uid: closing these keeps the hidden checks, the solution and results.json out of its reach.
CLOSED_FOLDERS = ("source/tests", "source/assignment", "submission", "results")


def close_folders(root: Path) -> None:
    for name in CLOSED_FOLDERS:
        path = root / name
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)


def run(root: Path) -> int:
    """Write root/results/results.json whatever happens; exit 0 so Gradescope reads it."""
    started = time.perf_counter()
    results_directory = root / "results"
    try:
        close_folders(root)
        results = grade(root)
    except Exception as error:  # ours, never the student's: still a valid, explicit result
        traceback.print_exc()
        message = (
            "The autograder failed on its side while grading this submission (not your fault): "
            f"{type(error).__name__}. Your instructor can see the details and will regrade it."
        )
        from grader.render import gradescope_document

        results = gradescope_document(0.0, time.perf_counter() - started, message)
    _write_results(results_directory, results)
    return 0


def verify(root: Path) -> int:
    """setup.sh's last step: everything grading needs is here and works. Non-zero if not."""
    from grader.config import load_config
    from grader.datasets import load_fashion_arrays, load_mnist_arrays
    from grader.grading import prepare_context
    from grader.isolation.sandbox import describe_sandbox

    problems = []
    if sys.version_info[:2] != (3, 11):
        problems.append(f"Python {sys.version.split()[0]}; the grader needs 3.11")
    requirements = root / "source" / "requirements.txt"
    for line in requirements.read_text().splitlines():
        if "==" not in line or line.startswith("#"):
            continue
        name, pinned = line.split("==", 1)
        name = name.split("[")[0].strip()
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != pinned.strip():
            problems.append(f"{name} {installed}, pinned {pinned.strip()}")
    config = load_config()
    try:
        config.require_hidden()
        loaders = {"mnist": load_mnist_arrays, "fashion-mnist": load_fashion_arrays}
        for dataset in config.assignment.datasets:
            loaders[dataset]()  # a dataset missing is named here, with how to install it
        with tempfile.TemporaryDirectory(prefix="grader-verify-") as work:
            context = prepare_context(config, Path(work))
        print(
            f"checks: {sum(len(q.cases) for q in context.questions)} cases, "
            f"{config.max_points:g} points; plan: {len(context.plan.calls)} calls"
        )
        print(describe_sandbox(config.grading.sandbox))
    except Exception as error:
        problems.append(f"{type(error).__name__}: {error}")
    for problem in problems:
        print(f"autograder setup problem: {problem}", file=sys.stderr)
    if not problems:
        print("autograder verified: Python, pinned packages, MNIST checksums, checks and plan")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.course.autograder")
    parser.add_argument("action", choices=("run", "verify"))
    parser.add_argument("--root", type=Path, default=None)
    options = parser.parse_args(argv)
    root = options.root or default_root()
    return run(root) if options.action == "run" else verify(root)


if __name__ == "__main__":
    end_now(main())  # after TensorFlow, Python's teardown would add a second (grader.ending)
