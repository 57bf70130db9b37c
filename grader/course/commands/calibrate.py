"""`grader calibrate`: train right and wrong pipelines over seeds; show where thresholds sit."""

import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader.config import load_config
from grader.course.batch import default_workers
from grader.course.calibrate import calibrate, is_calibrated
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
        workers = workers or default_workers()
        console.print(
            f"Training the reference and known-wrong variants over seeds, {workers} at a time..."
        )
        measurements = calibrate(context, workers=workers)
    table = Table(
        title=f"Held-out accuracy (threshold {config.accuracy.threshold}) and recall on fives "
        f"(floor {config.accuracy.recall_floor})"
    )
    for column in ("variant", "seed", "accuracy", "recall", "verdict"):
        table.add_column(column)
    for m in measurements:
        expected = m.clears if m.variant == "reference" else m.misses
        verdict = "[green]as intended[/]" if expected else "[red]inside the margin[/]"
        table.add_row(
            m.variant, str(m.seed), f"{m.metrics.accuracy:.4f}", f"{m.metrics.recall:.4f}", verdict
        )
    console.print(table)
    if is_calibrated(measurements):
        console.print("[green]Calibrated:[/] the thresholds separate right from wrong with margin.")
        return 0
    console.print("[red]Not calibrated:[/] adjust [accuracy] in assignment/config.toml.")
    return 1
