"""`grader check [FILE]`: the student's self-check, public cases only, offline."""

import tempfile
import warnings
from pathlib import Path

from rich.console import Console

from grader.config import active_config, load_config
from grader.grading import early_answers, grade_submission, prepare_context
from grader.records import Outcome
from grader.render import Redactor, format_points, print_question, print_status, print_total
from grader.submissions import submission_at


def main(*, file: Path, console: Console, only: list[str] | None = None) -> int:
    """Exit status 0 only when every public case (of the `only` questions, if given) passed."""
    config = load_config().for_self_check()
    training = ""
    if config.accuracy is not None:
        training = f" (this trains your model for {config.accuracy.epochs} epoch(s))"
    if only:
        console.print(
            f"Checking {file} on {', '.join(only)} only"
            + (training if "accuracy" in only else "")
            + "..."
        )
    else:
        console.print(f"Checking {file} against the public checks{training}...")
    with (
        tempfile.TemporaryDirectory(prefix="grader-check-") as work,
        warnings.catch_warnings(),
        active_config(config),
    ):
        # A student checking their own code on their own machine needs no isolation notes.
        warnings.simplefilter("ignore", RuntimeWarning)
        context = prepare_context(config, Path(work), public_only=True, only=only)
        redact = Redactor([q.path for q in context.questions])
        # Answers that need no training print as soon as their calls are recorded.
        shown: set[str] = set()
        answered = early_answers(context, shown)

        def watch(records: Path) -> None:
            for question in answered(records):
                print_question(question, redact, console)

        result = grade_submission(submission_at(file), context, watch)
    for question in result.questions:
        if question.id not in shown:
            print_question(question, redact, console)
    console.print()
    print_status(result, redact, console)
    print_total(result, console, "Public checks")
    hidden_points = config.max_points - result.max_points
    if only:
        pass  # the rest of the points are in questions not checked this time
    elif hidden_points > 0:
        console.print(
            f"Hidden checks, run when your submission is graded, hold the other "
            f"{format_points(hidden_points)} of {format_points(config.max_points)} points."
        )
    passed = all(c.outcome is Outcome.PASSED for q in result.questions for c in q.cases)
    if passed and only:
        console.print(f"[green]Public checks of {', '.join(only)} pass.[/]")
    elif passed:
        console.print("[green]All public checks pass.[/] Hidden checks run when you submit.")
        if config.assignment.next_step:
            console.print(config.assignment.next_step, highlight=False)
    else:
        first = next(
            q for q in result.questions if any(c.outcome is not Outcome.PASSED for c in q.cases)
        )
        console.print(
            f"Start with {first.id}: it is the first question that fails, and its message "
            "above says what to change.",
            highlight=False,
        )
    return 0 if passed else 1
