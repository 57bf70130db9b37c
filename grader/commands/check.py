"""`grader check [FILE]`: the student's self-check, public cases only, offline."""

import tempfile
import warnings
from pathlib import Path

from rich.console import Console

from grader.config import load_config
from grader.grading import grade_submission, prepare_context
from grader.records import Outcome
from grader.render import Redactor, format_points, print_feedback
from grader.submissions import submission_at


def main(*, file: Path, console: Console) -> int:
    """Exit status 0 only when every public case passed."""
    config = load_config()
    console.print(f"Checking {file} against the public checks (this trains your model once)...")
    with tempfile.TemporaryDirectory(prefix="grader-check-") as work, warnings.catch_warnings():
        # A student checking their own code on their own machine needs no isolation notes.
        warnings.simplefilter("ignore", RuntimeWarning)
        context = prepare_context(config, Path(work), public_only=True)
        result = grade_submission(submission_at(file), context)
    print_feedback(result, Redactor([q.path for q in context.questions]), console, "Public checks")
    hidden_points = config.max_points - result.max_points
    if hidden_points > 0:
        console.print(
            f"Hidden checks, run when your submission is graded, hold the other "
            f"{format_points(hidden_points)} of {format_points(config.max_points)} points."
        )
    passed = all(c.outcome is Outcome.PASSED for q in result.questions for c in q.cases)
    if passed:
        console.print("[green]All public checks pass.[/] Hidden checks run when you submit.")
    return 0 if passed else 1
