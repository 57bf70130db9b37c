"""Throughput of `grader grade`: N distinct copies of the reference, one worker, then two.

    .venv/bin/python benchmarks/throughput.py [--copies 8] [--workers 2]

Prints wall time, submissions per minute, the parallel/serial ratio, the largest sandbox's
peak RSS (getrusage RUSAGE_CHILDREN) and the peak RSS of the grader plus every process below it
(sampled from /proc every 0.2 s), and checks both runs gave the same rows.
Not a test: it trains 2N models.
"""

import argparse
import os
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

from grader.batch import grade_batch
from grader.config import EXAMPLES_DIRECTORY, load_config
from grader.datasets import load_mnist_arrays
from grader.grading import prepare_context
from grader.submissions import discover

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss() -> int:
    """Bytes resident in this process and all its descendants (sandboxes, their wrappers)."""
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
        rss[int(entry.name)] = int(fields[21]) * PAGE  # rss, in pages
    total = 0
    for pid in rss:
        ancestor = pid
        while ancestor not in (0, 1, os.getpid()):
            ancestor = parents.get(ancestor, 0)
        if ancestor == os.getpid():
            total += rss[pid]
    return total


class PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.peak = max(self.peak, tree_rss())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="the parallel run's workers")
    arguments = parser.parse_args()

    load_mnist_arrays()
    root = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    try:
        folder = root / "submissions"
        folder.mkdir()
        source = (EXAMPLES_DIRECTORY / "reference.py").read_text()
        for number in range(1, arguments.copies + 1):
            (folder / f"student_{number:02d}.py").write_text(source)
        started = time.perf_counter()
        context = prepare_context(load_config(), root / "work")
        print(f"context prepared in {time.perf_counter() - started:.1f} s; {os.cpu_count()} cores")

        runs = {}
        for workers in (1, arguments.workers):
            sampler = PeakSampler()
            sampler.start()
            started = time.perf_counter()
            report = grade_batch(
                discover([folder]), context, root / f"out-{workers}", workers=workers
            )
            seconds = time.perf_counter() - started
            sampler.stopped.set()
            sampler.join()
            child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            runs[workers] = (report, seconds, sampler.peak)
            per_minute = arguments.copies / seconds * 60
            print(
                f"workers={workers}: {seconds:.1f} s wall, {per_minute:.2f} submissions/min, "
                f"largest sandbox so far {child_peak / 2**30:.2f} GiB, "
                f"grader + sandboxes peak {sampler.peak / 2**30:.2f} GiB"
            )
        (serial, serial_seconds, _), (parallel, parallel_seconds, _) = runs.values()
        print(f"speed-up parallel/serial: {serial_seconds / parallel_seconds:.2f}x")
        exclude = {"seconds", "output"}
        same = [r.model_dump(exclude=exclude) for r in serial.results] == [
            r.model_dump(exclude=exclude) for r in parallel.results
        ]
        scores = sorted({f"{r.total:g}/{r.max_points:g} {r.status}" for r in parallel.results})
        print(f"same rows with 1 and {arguments.workers} workers: {same}; scores: {scores}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
