"""Benchmarks: the grader's costs side by side with the bare cost, measured in one run.

    .venv/bin/python benchmarks/run.py                 # full: writes BENCHMARKS.md (~40 min)
    .venv/bin/python benchmarks/run.py --quick --out - # CI's reduced form (about 30 s)
    .venv/bin/python benchmarks/run.py --only check,grade --repeats 2  # a before/after, printed

Every figure is a whole process (Python start-up and imports included), timed wall-clock, the
median of --repeats runs interleaved scenario by scenario, so a neighbour loading the machine
weighs on every scenario alike; ratios are taken against "bare" (benchmarks/bare.py: import the
submission, train its pipeline for the graded epochs, predict the test images, no grader) from
the same run. Peak memory is the largest resident size of the whole process tree (sampled from
/proc every 0.1 s), so a sandbox's memory counts with the grader that started it; both RSS and
PSS (shared library pages divided among the processes that map them) are reported.

It reports; it never fails on time (these machines are shared and noisy). It fails only when a
scenario's command fails, so CI's reduced form keeps the benchmarks from rotting.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REFERENCE = ROOT / "assignment" / "examples" / "reference.py"
EXAMPLES = ROOT / "assignment" / "examples"
CONFIG = ROOT / "assignment" / "config.toml"
# The quick form trains on 10,000 images and validates on the next 10,000, not all the rest.
QUICK_VALIDATION_SIZE = 10000
STOCK_OTTER = ROOT / "grader" / "tests" / "stock_otter"
PAGE = os.sysconf("SC_PAGE_SIZE")


def proportional(pid: int) -> int | None:
    """Process `pid`'s proportional set size (PSS) in bytes: its resident pages, each page it
    shares (TensorFlow's libraries, mapped by the grader and every child) divided among the
    processes sharing it. None where /proc does not say (another user's process, not root)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def tree_memory(root: int) -> tuple[int, int]:
    """Bytes resident (RSS) and proportional (PSS, RSS where unknown) in process `root` and
    all its descendants. RSS counts a page shared by two processes twice; PSS once."""
    parents, rss = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
        except (OSError, ValueError):
            continue
        parents[int(entry.name)] = int(fields[1])
        rss[int(entry.name)] = int(fields[21]) * PAGE
    total = shared = 0
    for pid, resident in rss.items():
        ancestor = pid
        while ancestor not in (0, 1, root):
            ancestor = parents.get(ancestor, 0)
        if ancestor == root:
            total += resident
            own = proportional(pid)
            shared += resident if own is None else own
    return total, shared


@dataclass
class Measured:
    seconds: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)  # RSS of the process tree
    proportional_peaks: list[int] = field(default_factory=list)  # PSS of the process tree
    firsts: list[float] = field(default_factory=list)  # when the first answer was printed

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_gb(self) -> float:
        return max(self.peaks) / 1e9

    @property
    def proportional_peak_gb(self) -> float:
        return max(self.proportional_peaks) / 1e9


def run_measured(
    command: list[str], env: dict[str, str], cwd: Path, first: str | None = None
) -> tuple[float, tuple[int, int], float | None]:
    """Wall seconds, peak tree RSS and PSS, and when a line starting with `first` was printed
    (None when not asked or never printed) of one command; raises if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = peak_proportional = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_proportional
        while not done.wait(0.1):
            resident, proportional_size = tree_memory(process.pid)
            peak = max(peak, resident)
            peak_proportional = max(peak_proportional, proportional_size)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines, seen = [], None
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if first is not None and seen is None and line.startswith(first):
            seen = time.perf_counter() - started
    process.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        shown = " ".join(command)
        output = "".join(lines)
        raise SystemExit(f"benchmark failed ({process.returncode}): {shown}\n{output[-3000:]}")
    return seconds, (peak, peak_proportional), seen


@dataclass
class Scenario:
    name: str
    command: Callable[[int], list[str]]  # given the repeat number (fresh output folders)
    env: dict[str, str]
    note: str = ""
    items: int = 1  # submissions it grades, for throughput
    first: str | None = None  # the start of the line that is its first answer


def write_config(path: Path, train_size: int | None, epochs: int | None) -> Path:
    """The course config with a smaller budget; the quick form's floors are lowered to what
    that budget reaches, so the reference still passes (the figures are what matter here)."""
    document = tomlkit.parse(CONFIG.read_text())
    document["assignment"]["root"] = str(ROOT)  # the copy lives elsewhere; the parts do not
    if train_size is not None:
        document["data"]["train_size"] = train_size
        document["data"]["validation_size"] = QUICK_VALIDATION_SIZE
        document["accuracy"]["validation_floor"] = 0.9
    if epochs is not None:
        document["accuracy"]["epochs"] = epochs
    path.write_text(tomlkit.dumps(document))
    return path


def make_batch(folder: Path, size: int) -> Path:
    """`size` mixed submissions: the examples (right and wrong), then distinct reference copies."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(EXAMPLES.glob("*.py"))
    for number in range(size):
        if number < len(sources):
            text = sources[number].read_text()
        else:
            text = REFERENCE.read_text() + f"\n# copy {number}\n"
        (folder / f"student_{number:02d}.py").write_text(text)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI's reduced form")
    parser.add_argument("--repeats", type=int, help="runs per scenario (default 3, quick 1)")
    parser.add_argument("--batch", type=int, help="mixed batch size (default 20, quick 2)")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"), help="'-' for stdout only")
    parser.add_argument(
        "--only",
        help=f"comma-separated scenarios to run beside bare ({', '.join(SHORT_NAMES)}); "
        "prints to stdout, without the growth figures, for a quick before/after",
    )
    arguments = parser.parse_args()
    only = None
    if arguments.only:
        only = {name.strip() for name in arguments.only.split(",")}
        unknown = only - set(SHORT_NAMES)
        if unknown:
            parser.error(f"unknown scenario(s) {sorted(unknown)}; choose from {SHORT_NAMES}")
        arguments.out = "-"  # BENCHMARKS.md always holds every figure
    repeats = arguments.repeats or (1 if arguments.quick else 3)
    batch_size = arguments.batch or (2 if arguments.quick else 20)

    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        report = measure(work, arguments.quick, repeats, batch_size, only)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    command = "benchmarks/run.py " + " ".join(sys.argv[1:])
    text = render(report, command.strip(), repeats)
    print(text)
    if arguments.out != "-":
        Path(arguments.out).write_text(text)
        print(f"wrote {arguments.out}")


# --only's names for the scenarios (bare always runs: every ratio is against it).
SHORT_NAMES = {
    "floor": "keras floor",
    "check": "grader check",
    "grade": "grader grade (1 worker)",
    "otter": "stock otter run",
    "batch": "batch of",
}


def measure(
    work: Path, quick: bool, repeats: int, batch_size: int, only: set[str] | None = None
) -> dict:
    base_env = dict(os.environ)
    base_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # The grader turns numpy's huge pages off (grader/__init__.py); every scenario, bare and
    # stock otter included, runs with the same setting, so no ratio measures it.
    base_env.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    train_size, epochs = (10000, 1) if quick else (None, None)
    config = write_config(work / "config.toml", train_size, epochs)
    env = {**base_env, "GRADER_CONFIG": str(config)}
    graded = tomlkit.parse(config.read_text())
    graded_epochs = int(graded["accuracy"]["epochs"])
    graded_train = int(graded["data"]["train_size"])
    graded_validation = graded["data"].get("validation_size")
    grader = str(BIN / "grader")
    python = sys.executable

    # Stock otter: `otter generate` once, offline, as grader/tests/test_stock_otter.py does.
    otter_env = {
        **env,
        "PYTHONPATH": os.pathsep.join([str(STOCK_OTTER), env.get("PYTHONPATH", "")]).rstrip(":"),
        "STOCK_OTTER_MNIST_NPZ": mnist_npz(),
        "KERAS_HOME": str(work / "keras-home"),
    }
    generate = work / "generate"
    shutil.copytree(ROOT / "tests", generate / "tests")
    subprocess.run(
        [str(BIN / "otter"), "generate", "--no-requirements", "--no-environment"],
        cwd=generate,
        env=otter_env,
        check=True,
        capture_output=True,
    )
    archive = generate / "autograder.zip"
    submission = work / "student_template.py"
    shutil.copy(REFERENCE, submission)
    batch = make_batch(work / "batch", batch_size)

    def out(name: str) -> Callable[[int], Path]:
        """A new, empty output folder per scenario and repeat."""

        def fresh(repeat: int) -> Path:
            folder = work / "out" / f"{name}-{repeat}"
            folder.mkdir(parents=True)
            return folder

        return fresh

    single = [
        Scenario(
            "bare",
            lambda r: [
                python,
                str(ROOT / "benchmarks" / "bare.py"),
                str(submission),
                "--epochs",
                str(graded_epochs),
                "--train-size",
                str(graded_train),
                *(["--validation-size", str(graded_validation)] if graded_validation else []),
            ],
            env,
            f"import, train {graded_epochs} epochs on {graded_train} images, predict 10,000",
        ),
        Scenario(
            "keras floor",
            lambda r: [python, "-c", KERAS_FLOOR],
            env,
            "import Keras and build the model",
        ),
        Scenario(
            "grader check",
            lambda r: [grader, "check", str(submission)],
            env,
            f"trains {int(graded['accuracy'].get('check_epochs', graded_epochs))} epoch(s)",
            first="load  ",  # the first question's block: answers stream from here on
        ),
        Scenario(
            "grader grade (1 worker)",
            lambda r: [
                grader,
                "grade",
                str(submission),
                "--workers",
                "1",
                "--out",
                str(out("g")(r)),
            ],
            env,
        ),
        Scenario(
            "stock otter run",
            lambda r: [
                str(BIN / "otter"),
                "run",
                "-a",
                str(archive),
                "-o",
                str(out("otter")(r)),
                str(submission),
            ],
            otter_env,
        ),
    ]
    batches = [
        Scenario(
            f"batch of {batch_size}, {workers} worker{'s' if workers > 1 else ''}",
            lambda r, w=workers: [
                grader,
                "grade",
                str(batch),
                "--workers",
                str(w),
                "--out",
                str(out(f"b{w}")(r)),
            ],
            env,
            items=batch_size,
        )
        for workers in (1, 2)
    ]
    if quick:  # CI: every moving part once; stock otter is run by the test suite already, and
        # one worker grades in "grader grade (1 worker)"
        single = [s for s in single if s.name not in ("keras floor", "stock otter run")]
        batches = [s for s in batches if "2 workers" in s.name]
    if only is not None:
        chosen = ["bare", *(SHORT_NAMES[name] for name in only)]
        single = [s for s in single if s.name in chosen]
        batches = [s for s in batches if "batch of" in chosen]
    results: dict[str, tuple[Scenario, Measured]] = {
        s.name: (s, Measured()) for s in [*single, *batches]
    }
    for repeat in range(repeats):
        for scenario, measured in results.values():
            seconds, peak, first = run_measured(
                scenario.command(repeat), scenario.env, work, scenario.first
            )
            measured.seconds.append(seconds)
            measured.peaks.append(peak[0])
            measured.proportional_peaks.append(peak[1])
            if first is not None:
                measured.firsts.append(first)
            print(f"  [{repeat + 1}/{repeats}] {scenario.name}: {seconds:.1f} s", flush=True)

    # Growth: seconds per submission with batch size (2 workers), and one grade by epochs.
    growth_sizes = [] if quick or only is not None else [2, 5, 10]
    growth_epochs = [] if quick or only is not None else [1, 3, 5]
    by_size = {}
    for size in growth_sizes:
        folder = make_batch(work / f"growth-{size}", size)
        seconds, _, _ = run_measured(
            [grader, "grade", str(folder), "--workers", "2", "--out", str(work / f"gs-{size}")],
            env,
            work,
        )
        by_size[size] = seconds
    by_epochs = {}
    for count in growth_epochs:
        config_e = write_config(work / f"config-{count}.toml", train_size, count)
        env_e = {**base_env, "GRADER_CONFIG": str(config_e)}
        seconds, _, _ = run_measured(
            [
                grader,
                "grade",
                str(submission),
                "--workers",
                "1",
                "--out",
                str(work / f"ge-{count}"),
            ],
            env_e,
            work,
        )
        by_epochs[count] = seconds
    return {
        "results": results,
        "by_size": by_size,
        "by_epochs": by_epochs,
        "graded": (graded_train, graded_epochs),
        "validation": graded_validation,
        "cores": os.cpu_count(),
    }


KERAS_FLOOR = (
    "import keras\n"
    "m = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),"
    " keras.layers.Dense(1, activation='sigmoid')])\n"
    "m.compile(loss='mse', optimizer='adam')\n"
)


def mnist_npz() -> str:
    from grader.datasets import mnist_npz_path

    return str(mnist_npz_path())


def render(report: dict, command: str, repeats: int) -> str:
    results = report["results"]
    bare = results["bare"][1].median
    train, epochs = report["graded"]
    validation = report.get("validation")
    validated = f", validated on the next {validation}" if validation else ""
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d')}, {report['cores']} cores; "
        f"medians of {repeats} interleaved run(s); graded budget {epochs} epoch(s) on {train} "
        f"images{validated}. Ratios are against bare from the same run. Figures from a shared "
        "machine: compare ratios, not seconds, across runs. Memory: RSS counts a page that "
        "processes share (TensorFlow's libraries, mapped by the grader and each sandboxed child) "
        "once per process; PSS divides it among them, so PSS is what the machine must hold.",
        "",
        "| scenario | wall (median) | vs bare | peak memory of the process tree, RSS / PSS "
        "| note |",
        "|---|---|---|---|---|",
    ]
    for name, (scenario, measured) in results.items():
        note = scenario.note
        if scenario.items > 1:
            workers = 2 if "2 workers" in name else 1
            note = (
                f"{scenario.items / measured.median * 60:.2f} submissions/min; about "
                f"{measured.peak_gb / workers:.2f} GB RSS, "
                f"{measured.proportional_peak_gb / workers:.2f} GB PSS per worker"
            )
        lines.append(
            f"| {name} | {measured.median:.1f} s | {measured.median / bare:.2f}x | "
            f"{measured.peak_gb:.2f} / {measured.proportional_peak_gb:.2f} GB | {note} |"
        )
    versus_otter = []
    if "stock otter run" in results and "grader grade (1 worker)" in results:
        grade = results["grader grade (1 worker)"][1].median
        otter = results["stock otter run"][1].median
        versus_otter = [f"- grader grade vs stock otter run: {grade / otter:.2f}x"]
    throughput = []
    batches = [m.median for name, (_, m) in results.items() if name.startswith("batch of")]
    if len(batches) == 2:
        one, two = batches
        throughput = [f"- batch throughput, 2 workers vs 1: {one / two:.2f}x"]
    versus_check, first_answer = [], []
    check = results["grader check"][1] if "grader check" in results else None
    if check is not None:
        versus_check = [f"- grader check vs bare: {check.median / bare:.2f}x"]
    if check is not None and check.firsts:
        first = statistics.median(check.firsts)
        floor = ""
        if "keras floor" in results:
            keras = results["keras floor"][1].median
            floor = f" (the Keras floor + {first - keras:.1f} s)"
        first_answer = [
            f"- grader check, first answer printed (the questions that need no training): "
            f"{first:.1f} s{floor}"
        ]
    lines += [
        "",
        *versus_otter,
        *versus_check,
        *first_answer,
        *throughput,
        "",
    ]
    if report["by_size"]:
        lines += [
            "Seconds per submission by batch size (2 workers): "
            + ", ".join(f"{n}: {s / n:.1f} s" for n, s in report["by_size"].items()),
            "",
            "One `grader grade` by graded epochs: "
            + ", ".join(f"{e} epoch(s): {s:.1f} s" for e, s in report["by_epochs"].items()),
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
