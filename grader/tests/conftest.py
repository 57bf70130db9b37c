"""Shared fixtures: one grading context per test session, and graded results cached by file.

Grading needs MNIST installed (`grader data --from ../shared/data` offline); without it every
test that grades fails with that advice. Nothing is skipped.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from grader.config import load_config
from grader.datasets import load_mnist_arrays
from grader.grading import GradingContext, grade_submission, prepare_context
from grader.records import SubmissionResult
from grader.submissions import submission_at


@pytest.fixture(scope="session")
def context(tmp_path_factory: pytest.TempPathFactory) -> GradingContext:
    load_mnist_arrays()  # raises DatasetMissing, naming `grader data`, when not installed
    return prepare_context(load_config(), tmp_path_factory.mktemp("batch"))


@pytest.fixture(scope="session")
def grade(context: GradingContext) -> Callable[[Path], SubmissionResult]:
    """Grade a file once per session; later requests for the same content reuse the result."""
    cache: dict[tuple[str, str], SubmissionResult] = {}

    def graded(path: Path) -> SubmissionResult:
        submission = submission_at(path)
        key = (submission.name, submission.sha256)
        if key not in cache:
            cache[key] = grade_submission(submission, context)
        return cache[key]

    return graded


@pytest.fixture
def write_submission(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, source: str) -> Path:
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        return path

    return write
