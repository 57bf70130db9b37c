"""Grade a whole class: parallel workers, a resumable journal, outputs rebuilt after every result.

The journal `OUT/journal.jsonl` is the batch's memory: one line per finished submission (its
`SubmissionResult` plus the fingerprint of the grading settings), appended, flushed and fsynced
by the main thread before anything is rendered from it. A rerun of the same command reads it,
skips every submission whose (name, sha256, grader version, settings) already has a row and
grades the rest, so an interrupted batch (Ctrl-C, kill -9, a reboot) loses nothing it finished
and grades nothing twice. A line cut short by a crash is dropped; a file whose content changed
is graded again and its newer row is the one rendered.

Each worker thread calls `grade_submission`, which runs the student's code in a child process
and waits for it, then replays the checks in this process (TensorFlow releases the GIL), so
threads are enough. Grading is seeded and rows are sorted by name: the worker count changes
the wall time, never a row.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

import grader
from grader.config import current_assignment
from grader.errors import GraderError
from grader.grading import STOPPING, GradingContext, grade_submission, grader_error_result
from grader.records import Status, SubmissionResult
from grader.render import Redactor, format_points, write_outputs
from grader.submissions import Submission

JOURNAL_NAME = "journal.jsonl"
SETTINGS_KEY = "batch_settings"  # the one key a journal line adds to a SubmissionResult
MEMORY_PER_WORKER = 3 << 30  # a sandbox peaks at ~1.2 GB training; our replay adds to it
SLOWEST_SHOWN = 5
POLL_SECONDS = 0.25

JournalKey = tuple[str, str, str, str]  # submission name, sha256, grader version, settings


# ---- How many workers ----------------------------------------------------------------------


def available_memory(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """MemAvailable in bytes, or None where /proc/meminfo does not say (not Linux)."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # the kernel writes kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def default_workers() -> int:
    """As many as the cores and the available memory (3 GiB a worker) allow; at least one."""
    cores = os.cpu_count() or 1
    memory = available_memory()
    by_memory = cores if memory is None else memory // MEMORY_PER_WORKER
    return max(1, min(cores, by_memory))


# ---- The journal ---------------------------------------------------------------------------


def settings_fingerprint(context: GradingContext) -> str:
    """What besides the file decides its row: the config (timeout included), checks, solution."""
    digest = hashlib.sha256(context.config.model_dump_json().encode())
    solution = current_assignment().solution
    for path in [*(question.path for question in context.questions), solution]:
        digest.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def journal_key(submission: Submission, settings: str) -> JournalKey:
    return (submission.name, submission.sha256, grader.__version__, settings)


@dataclass
class JournalContents:
    rows: dict[JournalKey, SubmissionResult] = field(default_factory=dict)
    unreadable: int = 0  # complete lines that are not rows (corrupt, or another format)
    truncated: bool = False  # the last line was cut short (a crash mid-write); it was dropped


class Journal:
    """Append-only JSON lines, one per finished submission; one writer at a time, locked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: IO[bytes] | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def opened(self) -> Iterator[JournalContents]:
        """Lock the journal for this batch, drop a cut-short last line, and read it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        with self.path.open("ab+") as stream:
            try:
                fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise GraderError(
                    f"Another `grader grade` is writing to {self.path.parent}; wait for it to "
                    "finish, or choose another --out."
                ) from None
            if created:
                _fsync_directory(self.path.parent)
            contents = self._read_and_repair(stream)
            self._stream = stream
            try:
                yield contents
            finally:
                self._stream = None

    def _read_and_repair(self, stream: IO[bytes]) -> JournalContents:
        stream.seek(0)
        data = stream.read()
        complete = data.rfind(b"\n") + 1  # only newline-terminated lines were fully written
        contents = JournalContents(truncated=complete < len(data))
        if contents.truncated:
            stream.truncate(complete)  # so the next line does not glue onto the fragment
            os.fsync(stream.fileno())
        for line in data[:complete].splitlines():
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
                settings = fields.pop(SETTINGS_KEY)
                row = SubmissionResult.model_validate(fields)
            except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
                contents.unreadable += 1
                continue
            key = (row.submission, row.sha256, row.grader_version, str(settings))
            contents.rows[key] = row  # a later line for the same key wins
        return contents

    def append(self, result: SubmissionResult, settings: str) -> None:
        """Write one row and make it durable before returning."""
        fields = {**json.loads(result.model_dump_json()), SETTINGS_KEY: settings}
        line = json.dumps(fields, separators=(",", ":"))
        with self._lock:
            assert self._stream is not None, "append() outside opened()"
            self._stream.write(line.encode() + b"\n")
            self._stream.flush()
            os.fsync(self._stream.fileno())


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# ---- Grading the batch ---------------------------------------------------------------------


@dataclass(frozen=True)
class BatchReport:
    results: list[SubmissionResult]  # one per submission, sorted by name
    graded: list[str]  # submissions graded by this run, in the order they finished
    reused: int  # rows taken from the journal
    truncated_line: bool = False
    unreadable_lines: int = 0

    @property
    def grader_errors(self) -> list[SubmissionResult]:
        return [result for result in self.results if result.status is Status.GRADER_ERROR]


def _check_names(submissions: list[Submission]) -> None:
    """One row per name: two different files cannot share results/NAME.json."""
    paths: dict[str, set[Path]] = {}
    for submission in submissions:
        paths.setdefault(submission.name, set()).add(submission.path.resolve())
    clashes = {name: found for name, found in paths.items() if len(found) > 1}
    if clashes:
        listing = "; ".join(
            f"{name}: {', '.join(sorted(map(str, found)))}" for name, found in clashes.items()
        )
        raise GraderError(f"Two submissions share a name (rename one): {listing}")


def _grade_one(submission: Submission, context: GradingContext) -> SubmissionResult:
    started = time.perf_counter()
    try:
        return grade_submission(submission, context)
    except Exception as error:  # a bug of ours: still exactly one row, and the batch goes on
        return grader_error_result(submission, context, error, time.perf_counter() - started)


def _grading_children() -> list[int]:
    """Our live sandbox children, each the leader of its own session: the child harness
    started as `python -I -c "...import grader.isolation.child..."`, or the bwrap/setpriv
    wrapping it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue  # it ended while we looked
        if parent == os.getpid() and any(b"grader.isolation.child" in part for part in command):
            found.append(int(entry.name))
    return found


def _stop_children() -> None:
    """Kill the sandboxes still running: they are in their own sessions, so Ctrl-C missed them."""
    for pid in _grading_children():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)


def _grade_all(
    pending: list[Submission],
    context: GradingContext,
    workers: int,
    record: Callable[[Submission, SubmissionResult], None],
) -> None:
    """Grade `workers` at a time; `record` each result in this thread, in submission order
    among those that finish together. On any exception (KeyboardInterrupt above all), start
    nothing new and kill the running sandboxes, so their threads return at once; what they
    return then was cut short by us and is dropped."""
    STOPPING.clear()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grader-batch")
    futures = {pool.submit(_grade_one, submission, context): submission for submission in pending}
    order = {future: number for number, future in enumerate(futures)}
    try:
        running = set(futures)
        while running:
            done, running = wait(running, POLL_SECONDS, FIRST_COMPLETED)
            for future in sorted(done, key=order.__getitem__):
                record(futures[future], future.result())  # a worker's KeyboardInterrupt: here
    except BaseException:
        STOPPING.set()  # runs return as soon as their sandbox dies, unjudged
        pool.shutdown(wait=False, cancel_futures=True)
        while not all(future.done() for future in futures):
            _stop_children()
            wait(futures, timeout=0.1)
        raise
    finally:
        pool.shutdown(wait=True)


class _RemainingColumn(ProgressColumn):
    """ETA from the whole run so far: results arrive in bursts, seconds apart, not a stream."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed
        if not task.completed or task.total is None or elapsed is None:
            return Text("ETA -:--:--", style="progress.remaining")
        remaining = round(elapsed / task.completed * (task.total - task.completed))
        minutes, seconds = divmod(remaining, 60)
        hours, minutes = divmod(minutes, 60)
        return Text(f"ETA {hours}:{minutes:02d}:{seconds:02d}", style="progress.remaining")


def _progress(console: Console | None) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        _RemainingColumn(),
        console=console,
        # A log gets one line per result instead of a bar (rich would print its last frame).
        disable=console is None or not console.is_terminal,
    )


def _announce(
    console: Console,
    contents: JournalContents,
    journal: Path,
    total: int,
    pending: int,
    workers: int,
) -> None:
    notes = [f"{total - pending} already in {journal}"] if pending < total else []
    if contents.truncated:
        notes.append("its cut-short last line dropped")
    if contents.unreadable:
        notes.append(f"{contents.unreadable} unreadable line(s) ignored")
    suffix = f" ({'; '.join(notes)})" if notes else ""
    if not pending:
        console.print(f"Nothing to grade: all {total} submission(s) are in {journal}.")
        return
    console.print(
        f"Grading {pending} of {total} submission(s) with {min(workers, max(1, pending))} "
        f"worker(s){escape(suffix)}",
        highlight=False,
    )


def grade_batch(
    submissions: list[Submission],
    context: GradingContext,
    out: Path,
    *,
    workers: int = 1,
    redact: Redactor | None = None,
    console: Console | None = None,
) -> BatchReport:
    """Grade what the journal in `out` lacks, `workers` at a time; render grades.csv and results/.

    KeyboardInterrupt (Ctrl-C, or raised by a worker) stops the batch promptly: running
    sandboxes are killed, their unfinished results discarded, the journal left valid and the
    outputs rendered from it; then the KeyboardInterrupt propagates.
    """
    if workers < 1:
        raise GraderError(f"--workers must be at least 1, not {workers}.")
    _check_names(submissions)
    submissions = sorted({s.name: s for s in submissions}.values(), key=lambda s: s.name)
    redact = redact or Redactor([question.path for question in context.questions])
    question_ids = context.config.question_ids
    settings = settings_fingerprint(context)
    journal = Journal(out / JOURNAL_NAME)

    with journal.opened() as contents:
        rows: dict[str, SubmissionResult] = {}
        pending: list[Submission] = []
        for submission in submissions:
            row = contents.rows.get(journal_key(submission, settings))
            # A grader error is ours to fix: a rerun retries it instead of keeping it.
            if row is not None and row.status is not Status.GRADER_ERROR:
                rows[submission.name] = row.model_copy(update={"source": submission.source})
            else:
                pending.append(submission)
        reused = len(rows)
        graded: list[str] = []

        def render() -> None:
            rendered = [rows[name] for name in sorted(rows)]
            visibility = context.config.gradescope.hidden_visibility
            write_outputs(rendered, question_ids, out, redact, visibility)

        if console is not None:
            _announce(console, contents, journal.path, len(submissions), len(pending), workers)
        render()
        if pending:
            with _progress(console) as progress:
                task = progress.add_task("Grading", total=len(pending))

                def record(submission: Submission, result: SubmissionResult) -> None:
                    journal.append(result, settings)  # durable first; everything else follows
                    rows[submission.name] = result
                    graded.append(submission.name)
                    render()
                    progress.advance(task)
                    if console is not None:
                        progress.console.print(
                            f"[{reused + len(graded)}/{len(submissions)}] "
                            f"{escape(submission.name)}: {result.status} "
                            f"{format_points(result.total)}/{format_points(result.max_points)} "
                            f"({result.seconds:.1f} s)",
                            highlight=False,
                        )

                try:
                    _grade_all(pending, context, workers, record)
                finally:
                    render()
    return BatchReport(
        results=[rows[name] for name in sorted(rows)],
        graded=graded,
        reused=reused,
        truncated_line=contents.truncated,
        unreadable_lines=contents.unreadable,
    )


# ---- Summary -------------------------------------------------------------------------------


def print_summary(report: BatchReport, console: Console) -> None:
    """Counts per status, the mean score, the slowest submissions, and what the exit says."""
    results = report.results
    counts = Counter(result.status for result in results)
    table = Table(title="Summary", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row(
        "submissions",
        f"{len(results)} ({len(report.graded)} graded now, {report.reused} from the journal)",
    )
    for status in Status:
        if counts[status]:
            table.add_row(status.value, str(counts[status]))
    current = [result for result in results if result.status is not Status.SUPERSEDED]
    if current:
        totals = [result.total for result in current]
        table.add_row(
            "mean score",
            f"{format_points(statistics.fmean(totals))} of "
            f"{format_points(results[0].max_points)} (highest {format_points(max(totals))})",
        )
        slowest = sorted(results, key=lambda result: (-result.seconds, result.submission))
        table.add_row(
            "slowest",
            "\n".join(
                f"{escape(result.submission)}: {result.seconds:.1f} s"
                for result in slowest[:SLOWEST_SHOWN]
            ),
        )
    console.print(table)
    errors = report.grader_errors
    if errors:
        names = ", ".join(escape(result.submission) for result in errors)
        console.print(
            f"[red]Exit status 1:[/] {len(errors)} grader error(s), our bug, not the students' "
            f"({names}); rerun the same command to retry only those.",
            highlight=False,
        )
    else:
        console.print("Exit status 0: no grader errors.", highlight=False)
