"""`grader merge OUT SHARD_OUT...`: join the shards of a `grader grade --shard K/N` run.

Writes OUT/journal.jsonl, grades.csv, results/ and report.html as one batch over the whole class
would have, after checking that no row is lost or doubled (see grader/course/shards.py).
"""

from pathlib import Path

from rich.console import Console

from grader.config import current_assignment, load_config
from grader.course.batch import BatchReport, print_summary
from grader.course.report import write_report
from grader.course.shards import read_shards, write_journal
from grader.render import Redactor, print_gradebook, write_outputs


def main(*, out: Path, shards: list[Path], console: Console) -> int:
    config = load_config()
    merged = read_shards(shards)
    for folder, count in merged.per_shard.items():
        console.print(f"{folder}: {count} row(s)", highlight=False)
    write_journal(merged, out)
    checks = current_assignment().checks
    redact = Redactor([checks / f"{q}.py" for q in config.question_ids])
    visibility = config.gradescope.hidden_visibility
    write_outputs(merged.rows, config.question_ids, out, redact, visibility)
    write_report(merged.rows, config.question_ids, out / "report.html")
    print_gradebook(merged.rows, config.question_ids, console)
    console.print(
        f"Merged {len(merged.rows)} row(s) from {len(shards)} shard(s) into {out / 'grades.csv'}, "
        f"{out / 'report.html'} and {out / 'results'}",
        highlight=False,
    )
    report = BatchReport(results=merged.rows, graded=[], reused=len(merged.rows))
    print_summary(report, console)
    return 1 if report.grader_errors else 0
