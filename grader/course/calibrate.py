"""Show that the accuracy thresholds sit, with a margin, between right and known-wrong pipelines.

The reference and each known-wrong variant are trained through the real grading path (the
sandboxed child, then replay) over several seeds, and measured on the held-out set. The
thresholds are calibrated when every reference run clears every one of them by the configured
margin and every wrong run misses at least one of them by its margin.

What is trained and measured is the exercise's (its module, `[assignment] exercise`):
`CALIBRATION_PIPELINE` (the student functions the pipeline calls, in order),
`CALIBRATION_VARIANTS` (variant name: the example mistakes applied to the reference),
`calibration_metrics(functions, epochs)` (metric name: value, for one trained pipeline) and
`calibration_limits(config)` (metric name: its threshold and margin).
"""

import dataclasses
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from grader.config import Assignment, Config, active_config, current_assignment, exercise_module
from grader.course.examples import strip_markers
from grader.errors import GraderError
from grader.grading import GradingContext
from grader.isolation.sandbox import run_submission
from grader.replay import Replayer, plan_index

HOOKS = (
    "CALIBRATION_PIPELINE",
    "CALIBRATION_VARIANTS",
    "calibration_metrics",
    "calibration_limits",
)


@dataclass(frozen=True)
class Measurement:
    variant: str
    seed: int
    metrics: dict[str, float]
    clears: bool  # meets every threshold with the margin to spare
    misses: bool  # misses at least one threshold by its margin


def calibration_of(assignment: Assignment) -> ModuleType:
    """The exercise module that says what calibration trains and measures, or a clear error."""
    module = exercise_module(assignment)
    missing = [hook for hook in HOOKS if module is None or not hasattr(module, hook)]
    if missing:
        raise GraderError(
            f"The assignment {assignment.name!r} cannot be calibrated: its exercise module "
            f"defines no {', '.join(missing)} (see grader/course/calibrate.py)."
        )
    assert module is not None
    return module


def variants(assignment: Assignment | None = None) -> dict[str, tuple[str, ...]]:
    """The exercise's variants: name, and the example mistakes applied to the reference."""
    return dict(calibration_of(assignment or current_assignment()).CALIBRATION_VARIANTS)


def variant_source(mistake_names: tuple[str, ...], assignment: Assignment | None = None) -> str:
    assignment = assignment or current_assignment()
    source = strip_markers(assignment.solution.read_text())
    by_name = {mistake.name: mistake for mistake in exercise_module(assignment).mistakes()}
    for name in mistake_names:
        mistake = by_name[name]
        source = source.replace(mistake.replace, mistake.by, 1)
    return source


def measure(
    context: GradingContext, submission: Path, seed: int, hooks: ModuleType
) -> dict[str, float]:
    """Train a submission's pipeline in the sandbox with this seed; measure it on held-out data
    (what the exercise module `hooks` says to call and measure)."""
    settings = dataclasses.replace(context.sandbox, seed=seed)
    run = run_submission(submission, context.plan_directory, context.mnist_view, settings)
    index = plan_index(context.plan.calls, context.plan_arrays)
    ending = f"run ended: {run.ending}"
    replayer = Replayer(index, run.report.calls, run.report.arrays, ending, context.plan.passed_on)
    functions = [replayer.function(name) for name in hooks.CALIBRATION_PIPELINE]
    with active_config(context.config):
        return hooks.calibration_metrics(functions, epochs=context.config.accuracy.epochs)


def judge(
    variant: str, seed: int, metrics: dict[str, float], limits: dict[str, tuple[float, float]]
) -> Measurement:
    clears = all(metrics[name] >= floor + margin for name, (floor, margin) in limits.items())
    misses = any(metrics[name] <= floor - margin for name, (floor, margin) in limits.items())
    return Measurement(variant, seed, metrics, clears, misses)


def calibrate(
    context: GradingContext, names: list[str] | None = None, workers: int = 1
) -> list[Measurement]:
    """Every variant over the calibration seeds (the reference also at the grading seed), in
    that order. `workers` runs train at once, as a batch's workers do: each run is seeded, so
    the figures do not depend on how many run together."""
    config: Config = context.config
    with active_config(config):
        hooks = calibration_of(context.assignment)
        limits = hooks.calibration_limits(config)
    chosen = dict(hooks.CALIBRATION_VARIANTS)
    with tempfile.TemporaryDirectory(prefix="grader-calibrate-") as work:
        runs = []
        for variant in names or list(chosen):
            path = Path(work) / f"{variant}.py"
            path.write_text(variant_source(chosen[variant], context.assignment))
            seeds = list(config.calibration.seeds)
            if variant == "reference":
                seeds.append(config.grading.seed)
            runs += [(variant, path, seed) for seed in seeds]
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            measured = [pool.submit(measure, context, path, seed, hooks) for _, path, seed in runs]
            return [
                judge(variant, seed, future.result(), limits)
                for (variant, _, seed), future in zip(runs, measured, strict=True)
            ]


def is_calibrated(measurements: list[Measurement]) -> bool:
    return all(m.clears if m.variant == "reference" else m.misses for m in measurements)
