"""Grading is seeded: the same file graded twice gives the same row."""

from grader.config import EXAMPLES_DIRECTORY
from grader.grading import grade_submission
from grader.submissions import submission_at


def test_same_file_same_row(context):
    """Does grading a trained submission twice give identical points, cases and messages?"""
    submission = submission_at(EXAMPLES_DIRECTORY / "unnormalized.py")
    first, second = (grade_submission(submission, context) for _ in range(2))
    assert first.model_dump(exclude={"seconds", "output"}) == second.model_dump(
        exclude={"seconds", "output"}
    )
