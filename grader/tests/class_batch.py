"""One batch for the whole suite: the hostile corpus (grader/tests/corpus/), the examples, the
template, a copy of the reference and the equivalent spellings, graded together through
`grader grade` with two workers. The corpus's endless submissions are graded beside it, in a
second `grader grade` with one worker and a shorter time limit, started just before it: they
share the machine with the honest runs, but a run that can only end at the limit no longer holds
one of the main batch's workers, or spins a core, for the whole of its limit.

`test_corpus` reads it for what hostile neighbours must not change, `test_examples` for each
example's questions and diagnoses, `test_equivalents` for the spellings' full marks: every
submission is trained once for the suite, and the honest rows are proved under attack."""

import csv
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.config import CHECKS_DIRECTORY, EXAMPLES_DIRECTORY, REPOSITORY_ROOT, TEMPLATE_PATH
from grader.course.shards import read_shards
from grader.isolation.sandbox import select_tier
from grader.records import SubmissionResult

CORPUS = Path(__file__).parent / "corpus"
EQUIVALENTS = REPOSITORY_ROOT / "assignment" / "equivalents"
BASES = {
    "_template": TEMPLATE_PATH,
    "_reference": EXAMPLES_DIRECTORY / "reference.py",
    "_no_sigmoid": EXAMPLES_DIRECTORY / "no_sigmoid.py",
}
HONEST_COPIES = 1  # a reference copy beside honest_reference: the same row twice under attack
SPELLING = "spelling_"
# The example graded a second time, as honest_<example><AGAIN>: no sigmoid, whose figures change
# with the seed in their fourth digit (held-out accuracy 0.9398-0.9493 over ten seeds, see
# conftest.py), so a row that depends on anything but the seed shows.
DETERMINISM_EXAMPLE = "no_sigmoid"
AGAIN = "_again"  # the equivalent spellings' rows: spelling_<file stem>
LISTENER_PORT = 47811  # the port 20_network_template.py tries to reach
SECRET = "corpus-secret-7f3a9c"
MARKERS = [Path("/tmp/corpus-pickle-marker"), Path("/tmp/corpus-lambda-marker")]
# The main batch's time limit: an honest run took 7-21 s here at the suite's one epoch with two
# workers, beside the other pytest worker, so it stays well inside it.
TIMEOUT_SECONDS = 40
# The endless batch's: each attack is under way before it (the harness, Keras and the template
# take up to about 10 s under the suite's load before the attack's first line runs; the output
# flood's row shows it ran, its output capped). Three of the six endless runs spin a core or
# more for their whole limit: at 40 s, the six took 280 s of CPU.
ENDLESS_TIMEOUT_SECONDS = 15
# 12_detached_tamper_template.py's detached process sleeps 8 s, then tampers: the tests look
# once this long has passed since its row was written.
DETACHED = "12_detached_tamper"
DETACHED_WAIT_SECONDS = 12


def expectation(path: Path) -> dict:
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("# expect: "), path.name
    return json.loads(first_line.removeprefix("# expect: "))


def compose(path: Path) -> tuple[str, str]:
    """The submission's name and source: its base file followed by the attack."""
    for suffix, base in BASES.items():
        if path.stem.endswith(suffix):
            return path.stem.removesuffix(suffix), base.read_text() + "\n\n" + path.read_text()
    raise AssertionError(f"{path.name} names no base (_template, _reference, _no_sigmoid)")


def digest_tree(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


class RowWatch:
    """Notes when a submission's row first shows in a journal that a batch is writing."""

    def __init__(self, journal: Path, submission: str) -> None:
        self.journal, self.needle = journal, f'"submission":"{submission}"'.encode()
        self.seen: float | None = None
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while self.running and self.seen is None:
            try:
                # Bytes: a line still being written may end inside a character.
                if self.needle in self.journal.read_bytes().replace(b" ", b""):
                    self.seen = time.monotonic()
            except FileNotFoundError:
                pass
            time.sleep(0.5)

    def wait_after_row(self, seconds: float) -> None:
        """Sleep until `seconds` have passed since the row was seen (since now, if never)."""
        self.running = False
        self.thread.join()
        since = time.monotonic() - (self.seen if self.seen is not None else time.monotonic())
        time.sleep(max(0.0, seconds - since))


class Listener:
    """A TCP listener on loopback that records whatever reaches it."""

    def __init__(self, port: int) -> None:
        self.received: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.server.settimeout(0.5)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            with connection:
                self.received.append(connection.recv(1024))

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.server.close()


def sandbox_processes(jobs: Path) -> list[str]:
    """Sandbox processes still running for jobs under `jobs`: the batch's own (another test
    may be grading at the same time, in another pytest worker)."""
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [
        line
        for line in listing.splitlines()
        if "grader.isolation.child" in line and str(jobs) in line
    ]


def spellings() -> list[Path]:
    return sorted(EQUIVALENTS.glob("*.py"))


@dataclass(frozen=True)
class ClassBatch:
    completed: subprocess.CompletedProcess
    endless_completed: subprocess.CompletedProcess
    rows: dict[str, dict[str, str]]  # both grades.csv files, by submission
    row_count: int  # rows in both files together: a row given twice shows here
    results: dict[str, SubmissionResult]  # both journals' records, by submission
    expect: dict[str, dict]  # each corpus submission's "# expect:" line
    out: Path
    endless_out: Path
    inputs: Path  # holds folder and the endless batch's folder
    folder: Path
    jobs: Path  # where both batches' sandbox jobs were made
    before: dict[str, str]  # digests of everything under inputs
    checks_before: dict[str, str]
    canary: Path
    listener: Listener
    grades_after_batch: dict[Path, bytes]  # each out's grades.csv as the batches left it

    @property
    def outs(self) -> tuple[Path, Path]:
        return self.out, self.endless_out


def grade_command(folder: Path, out: Path, timeout: int, workers: int) -> list[str]:
    grade = [sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out)]
    return [*grade, "--timeout", str(timeout), "--workers", str(workers)]


def gradebook(out: Path) -> list[dict[str, str]]:
    with (out / "grades.csv").open() as stream:
        return list(csv.DictReader(stream))


def grade_class(tmp_path_factory: pytest.TempPathFactory) -> ClassBatch:
    """Grade the corpus and the honest submissions through the CLI: the endless submissions
    in their own batch, beside the main one."""
    tier, notes = select_tier("auto")
    # The corpus forks, fills memory and writes wherever it can: only a real sandbox may run it.
    assert tier == "bwrap", (
        f"the hostile corpus needs the bwrap sandbox tier, this machine has {tier} ({notes}); "
        "install bubblewrap (`make system`)"
    )
    for marker in MARKERS:
        marker.unlink(missing_ok=True)
    inputs = tmp_path_factory.mktemp("inputs")
    folder, endless_folder = inputs / "class", inputs / "endless"
    folder.mkdir()
    endless_folder.mkdir()
    names = {}
    for path in sorted(CORPUS.glob("*.py")):
        name, source = compose(path)
        names[name] = expectation(path)
        into = endless_folder if names[name].get("endless") else folder
        (into / f"{name}.py").write_text(source)
    for example in sorted(EXAMPLES_DIRECTORY.glob("*.py")):
        (folder / f"honest_{example.name}").write_text(example.read_text())
    (folder / "honest_template.py").write_text(TEMPLATE_PATH.read_text())
    for spelling in spellings():
        (folder / f"{SPELLING}{spelling.name}").write_text(spelling.read_text())
    # Graded twice, by whichever workers take them: the same row both times (test_determinism).
    again = (EXAMPLES_DIRECTORY / f"{DETERMINISM_EXAMPLE}.py").read_text()
    (folder / f"honest_{DETERMINISM_EXAMPLE}{AGAIN}.py").write_text(again)
    for copy in range(HONEST_COPIES):
        reference = (EXAMPLES_DIRECTORY / "reference.py").read_text()
        (folder / f"honest_copy_{copy:02}.py").write_text(reference)
    canary = tmp_path_factory.mktemp("canary") / "corpus-canary-file"
    canary.write_text("untouched")
    before = digest_tree(inputs)
    checks_before = digest_tree(CHECKS_DIRECTORY)
    out, endless_out = tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("endless-out")
    logs = tmp_path_factory.mktemp("endless-logs")
    # The batch's sandbox jobs go here, so its leftover processes are told from other tests'
    # (a folder the sandbox uid may pass through, as the system's temporary folder).
    jobs = Path(tempfile.mkdtemp(prefix="grader-class-batch-"))
    jobs.chmod(0o711)
    # Both batches run from the repository with the corpus's secret and their jobs folder.
    common = {
        "text": True,
        "cwd": REPOSITORY_ROOT,
        "env": {**os.environ, "GRADER_CORPUS_SECRET": SECRET, "TMPDIR": str(jobs)},
    }
    listener = Listener(LISTENER_PORT)
    detached = RowWatch(out / "journal.jsonl", DETACHED)
    try:
        # Files, not pipes, for the endless batch's output: nobody reads it while the main runs.
        with (logs / "stdout").open("w+") as stdout, (logs / "stderr").open("w+") as stderr:
            endless = subprocess.Popen(
                grade_command(endless_folder, endless_out, ENDLESS_TIMEOUT_SECONDS, 1),
                stdout=stdout,
                stderr=stderr,
                **common,
            )
            try:
                completed = subprocess.run(
                    grade_command(folder, out, TIMEOUT_SECONDS, 2),
                    capture_output=True,
                    timeout=3600,
                    **common,
                )
                endless.wait(timeout=3600)
            finally:
                endless.kill()  # a no-op once it has ended
                endless.wait()
        endless_completed = subprocess.CompletedProcess(
            endless.args,
            endless.returncode,
            (logs / "stdout").read_text(),
            (logs / "stderr").read_text(),
        )
        grades_after_batch = {
            where: (where / "grades.csv").read_bytes() for where in (out, endless_out)
        }
        # A detached process that outlived its run would have acted by then: the batch went on
        # grading after its row, usually for minutes.
        detached.wait_after_row(DETACHED_WAIT_SECONDS)
    finally:
        listener.close()
    listed = gradebook(out) + gradebook(endless_out)
    rows = {row["submission"]: row for row in listed}
    results = {
        result.submission: result
        for where in (out, endless_out)
        for result in read_shards([where]).rows
    }
    return ClassBatch(
        completed=completed,
        endless_completed=endless_completed,
        rows=rows,
        row_count=len(listed),
        results=results,
        expect=names,
        out=out,
        endless_out=endless_out,
        inputs=inputs,
        folder=folder,
        jobs=jobs,
        before=before,
        checks_before=checks_before,
        canary=canary,
        listener=listener,
        grades_after_batch=grades_after_batch,
    )
