"""`grader calibrate`: train right and wrong pipelines over seeds; show where thresholds sit."""

import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.config import load_config
from grader.course.batch import default_workers
from grader.course.calibrate import calibrate, calibration_of, is_calibrated
from grader.errors import GraderError
from grader.grading import prepare_context


def main(*, workers: int | None, console: Console) -> int:
    config = load_config()
    config.require_hidden()
    if config.accuracy is None or config.calibration is None:
        raise GraderError(
            f"The assignment {config.assignment.name!r} has no thresholds to calibrate "
            "(its config has no [accuracy] and [calibration] sections)."
        )
    with tempfile.TemporaryDirectory(prefix="grader-calibrate-") as work:
        context = prepare_context(config, Path(work))
        assignment = context.assignment
        limits = calibration_of(assignment).calibration_limits(config)
        workers = workers or default_workers()
        console.print(
            f"Training the reference and known-wrong variants over seeds, {workers} at a time..."
        )
        measurements = calibrate(context, workers=workers)
    thresholds = ", ".join(f"{name} {floor}" for name, (floor, _) in limits.items())
    table = Table(title=f"Held-out figures of every run (thresholds: {thresholds})")
    for column in ("variant", "seed", *limits, "verdict"):
        table.add_column(column)
    for m in measurements:
        expected = m.clears if m.variant == "reference" else m.misses
        verdict = "[green]as intended[/]" if expected else "[red]inside the margin[/]"
        table.add_row(m.variant, str(m.seed), *(f"{m.metrics[n]:.4f}" for n in limits), verdict)
    console.print(table)
    if is_calibrated(measurements):
        console.print("[green]Calibrated:[/] the thresholds separate right from wrong with margin.")
        return 0
    console.print(
        "[red]Not calibrated:[/] "
        + escape(f"adjust the thresholds in [accuracy] of {assignment.config_path}.")
    )
    return 1
