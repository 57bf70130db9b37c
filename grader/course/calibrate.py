"""Show that the accuracy thresholds sit, with a margin, between right and known-wrong pipelines.

The reference and each known-wrong variant are trained through the real grading path (the
sandboxed child, then replay) over several seeds, and measured on the held-out set. The
thresholds are calibrated when every reference run clears both of them by the configured
margins and every wrong run misses at least one of them by its margin.
"""

import dataclasses
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.config import Config, active_config, current_assignment
from grader.course.examples import MISTAKES, strip_markers
from grader.exercise import HeldoutMetrics, heldout_metrics, train_pipeline
from grader.grading import GradingContext
from grader.replay import Replayer, plan_index
from grader.sandbox import run_submission

PIPELINE = ("normalize", "is_five", "build_perceptron", "train")
# Each variant is the reference with these example mistakes applied.
VARIANTS: dict[str, tuple[str, ...]] = {
    "reference": (),
    "no_sigmoid": ("no_sigmoid",),
    "unnormalized": ("unnormalized",),
    "raw_no_sigmoid": ("unnormalized", "no_sigmoid"),
}


@dataclass(frozen=True)
class Measurement:
    variant: str
    seed: int
    metrics: HeldoutMetrics
    clears: bool  # meets both thresholds with the margins to spare
    misses: bool  # misses at least one threshold by its margin


def variant_source(mistake_names: tuple[str, ...]) -> str:
    source = strip_markers(current_assignment().solution.read_text())
    by_name = {mistake.name: mistake for mistake in MISTAKES}
    for name in mistake_names:
        mistake = by_name[name]
        source = source.replace(mistake.replace, mistake.by, 1)
    return source


def measure(context: GradingContext, submission: Path, seed: int) -> HeldoutMetrics:
    """Train a submission's pipeline in the sandbox with this seed; measure it on held-out data."""
    settings = dataclasses.replace(context.sandbox, seed=seed)
    run = run_submission(submission, context.plan_directory, context.mnist_view, settings)
    index = plan_index(context.plan.calls, context.plan_arrays)
    replayer = Replayer(index, run.report.calls, run.report.arrays, f"run ended: {run.ending}")
    functions = [replayer.function(name) for name in PIPELINE]
    with active_config(context.config):
        return heldout_metrics(train_pipeline(*functions, epochs=context.config.accuracy.epochs))


def judge(variant: str, seed: int, metrics: HeldoutMetrics, config: Config) -> Measurement:
    accuracy, calibration = config.accuracy, config.calibration
    clears = (
        metrics.accuracy >= accuracy.threshold + calibration.accuracy_margin
        and metrics.recall >= accuracy.recall_floor + calibration.recall_margin
    )
    misses = (
        metrics.accuracy <= accuracy.threshold - calibration.accuracy_margin
        or metrics.recall <= accuracy.recall_floor - calibration.recall_margin
    )
    return Measurement(variant, seed, metrics, clears, misses)


def calibrate(
    context: GradingContext, variants: list[str] | None = None, workers: int = 1
) -> list[Measurement]:
    """Every variant over the calibration seeds (the reference also at the grading seed), in
    that order. `workers` runs train at once, as a batch's workers do: each run is seeded, so
    the figures do not depend on how many run together."""
    config = context.config
    with tempfile.TemporaryDirectory(prefix="grader-calibrate-") as work:
        runs = []
        for variant in variants or list(VARIANTS):
            path = Path(work) / f"{variant}.py"
            path.write_text(variant_source(VARIANTS[variant]))
            seeds = list(config.calibration.seeds)
            if variant == "reference":
                seeds.append(config.grading.seed)
            runs += [(variant, path, seed) for seed in seeds]
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            measured = [pool.submit(measure, context, path, seed) for _, path, seed in runs]
            return [
                judge(variant, seed, future.result(), config)
                for (variant, _, seed), future in zip(runs, measured, strict=True)
            ]


def is_calibrated(measurements: list[Measurement]) -> bool:
    return all(m.clears if m.variant == "reference" else m.misses for m in measurements)
