"""`grader grade PATH... --out DIR`: grade every submission into a gradebook, resumably.

Workers grade in parallel; every finished submission is journaled in DIR/journal.jsonl, so
rerunning the same command after an interruption grades only what is missing.
"""

import resource
import signal
import tempfile
from pathlib import Path
from types import FrameType

from rich.console import Console

from grader.config import load_config
from grader.course.batch import JOURNAL_NAME, default_workers, grade_batch, print_summary
from grader.course.shards import parse_shard, select
from grader.grading import prepare_context
from grader.isolation.sandbox import MAX_REPORT_BYTES, describe_sandbox
from grader.render import Redactor, print_gradebook
from grader.submissions import discover

INTERRUPTED_EXIT = 130
# The grader's own memory whatever submissions do: TensorFlow, the checks and the datasets, plus
# the records of each submission being judged at once, read within MAX_REPORT_BYTES each.
BASE_MEMORY_MB = 1536


def parent_memory_bound_mb(workers: int) -> int:
    return BASE_MEMORY_MB + workers * (MAX_REPORT_BYTES >> 20)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops as cleanly as Ctrl-C


def main(
    *,
    paths: list[Path],
    out: Path,
    timeout: float | None,
    workers: int | None,
    console: Console,
    shard: str | None = None,
) -> int:
    """Exit status 1 when any row is a grader error (our fault); 130 when interrupted; else 0."""
    # Zips (LMS downloads) are unpacked here for as long as their submissions are graded.
    with tempfile.TemporaryDirectory(prefix="grader-intake-") as intake:
        return _grade(paths, out, timeout, workers, console, shard, Path(intake))


def _grade(
    paths: list[Path],
    out: Path,
    timeout: float | None,
    workers: int | None,
    console: Console,
    shard: str | None,
    intake: Path,
) -> int:
    config = load_config()
    if timeout is not None:
        config = config.model_copy(
            update={"grading": config.grading.model_copy(update={"timeout_seconds": timeout})}
        )
    workers = workers or default_workers()
    skipped: list[str] = []
    submissions = discover(paths, skipped, intake)
    for line in skipped:
        console.print(line, highlight=False, markup=False)
    if shard is not None:
        selected = parse_shard(shard)
        everyone = len(submissions)
        submissions = select(submissions, selected)
        console.print(
            f"Shard {selected}: {len(submissions)} of {everyone} submission(s).", highlight=False
        )
    console.print(describe_sandbox(config.grading.sandbox), highlight=False)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with tempfile.TemporaryDirectory(prefix="grader-batch-") as work:
            context = prepare_context(config, Path(work))
            redact = Redactor([question.path for question in context.questions])
            report = grade_batch(
                submissions, context, out, workers=workers, redact=redact, console=console
            )
    except KeyboardInterrupt:
        console.print(
            f"\n[yellow]Interrupted.[/] Every finished submission is in {out / JOURNAL_NAME}; "
            "rerun the same command to grade the rest.",
            highlight=False,
        )
        return INTERRUPTED_EXIT
    finally:
        signal.signal(signal.SIGTERM, previous)
    print_gradebook(report.results, config.question_ids, console)
    # Imported here, not at the top: matplotlib is 0.3 s of start-up before the first child
    # could launch, and by now judging has imported it (Keras does) anyway.
    from grader.course.report import write_report

    write_report(report.results, config.question_ids, out / "report.html")
    console.print(
        f"Wrote {out / 'grades.csv'}, {out / 'report.html'} and {len(report.results)} file(s) "
        f"in {out / 'results'}"
    )
    print_summary(report, console)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10  # Linux: kB
    console.print(
        f"Grading process peak memory: {peak} MB (sandboxes not included; bound: "
        f"{parent_memory_bound_mb(workers)} MB, see SECURITY.md).",
        highlight=False,
    )
    return 1 if report.grader_errors else 0
