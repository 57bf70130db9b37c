"""`grader grade PATH... --out DIR`: grade every submission into a gradebook."""

import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from grader.config import load_config
from grader.grading import grade_submission, prepare_context
from grader.records import Status, SubmissionResult
from grader.render import Redactor, print_gradebook, write_outputs
from grader.submissions import discover


def main(*, paths: list[Path], out: Path, timeout: float | None, console: Console) -> int:
    """Grade serially; exit status 1 when any row is a grader error (our fault), else 0."""
    config = load_config()
    if timeout is not None:
        config = config.model_copy(
            update={"grading": config.grading.model_copy(update={"timeout_seconds": timeout})}
        )
    submissions = discover(paths)
    console.print(f"Grading {len(submissions)} submission(s) into {out}")
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as work:
        context = prepare_context(config, Path(work))
        redact = Redactor([question.path for question in context.questions])
        results: list[SubmissionResult] = []
        for number, submission in enumerate(submissions, start=1):
            result = grade_submission(submission, context)
            results.append(result)
            console.print(
                f"[{number}/{len(submissions)}] {escape(submission.name)}: {result.status} "
                f"{result.total:g}/{result.max_points:g} ({result.seconds:.1f} s)"
            )
            write_outputs(results, config.question_ids, out, redact)
    write_outputs(results, config.question_ids, out, redact)
    print_gradebook(results, config.question_ids, console)
    console.print(f"Wrote {out / 'grades.csv'} and {len(results)} file(s) in {out / 'results'}")
    return 1 if any(result.status is Status.GRADER_ERROR for result in results) else 0
