"""One batch for the whole suite: the hostile corpus (grader/tests/corpus/), the examples, the
template, copies of the reference and the equivalent spellings, graded together through
`grader grade` with two workers.

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
HONEST_COPIES = 3  # reference copies; with the 9 examples and the template, 13 honest rows
SPELLING = "spelling_"
# The example graded a second time, as honest_<example><AGAIN>: unnormalized, whose training is
# the least stable (its accuracy ranges 0.91-0.96 over seeds), so a row that depends on anything
# but the seed shows.
DETERMINISM_EXAMPLE = "unnormalized"
AGAIN = "_again"  # the equivalent spellings' rows: spelling_<file stem>
LISTENER_PORT = 47811  # the port 20_network_template.py tries to reach
SECRET = "corpus-secret-7f3a9c"
MARKERS = [Path("/tmp/corpus-pickle-marker"), Path("/tmp/corpus-lambda-marker")]
# The corpus's six endless runs each last this long; an honest one takes 7-15 s here at the
# suite's one epoch with two workers, so it stays well inside it.
TIMEOUT_SECONDS = 40
DETACHED_WAIT_SECONDS = 12  # longer than 12_detached_tamper_template.py sleeps


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
    rows: dict[str, dict[str, str]]  # grades.csv, by submission
    results: dict[str, SubmissionResult]  # the journal's records, by submission
    expect: dict[str, dict]  # each corpus submission's "# expect:" line
    out: Path
    folder: Path
    jobs: Path  # where the batch's sandbox jobs were made
    before: dict[str, str]
    checks_before: dict[str, str]
    canary: Path
    listener: Listener
    grades_after_batch: bytes


def grade_class(tmp_path_factory: pytest.TempPathFactory) -> ClassBatch:
    """Grade the corpus and the honest submissions in one batch, through the CLI."""
    tier, notes = select_tier("auto")
    # The corpus forks, fills memory and writes wherever it can: only a real sandbox may run it.
    assert tier == "bwrap", (
        f"the hostile corpus needs the bwrap sandbox tier, this machine has {tier} ({notes}); "
        "install bubblewrap (`make system`)"
    )
    for marker in MARKERS:
        marker.unlink(missing_ok=True)
    folder = tmp_path_factory.mktemp("class")
    names = {}
    for path in sorted(CORPUS.glob("*.py")):
        name, source = compose(path)
        (folder / f"{name}.py").write_text(source)
        names[name] = expectation(path)
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
    before = digest_tree(folder)
    checks_before = digest_tree(CHECKS_DIRECTORY)
    out = tmp_path_factory.mktemp("out")
    # The batch's sandbox jobs go here, so its leftover processes are told from other tests'
    # (a folder the sandbox uid may pass through, as the system's temporary folder).
    jobs = Path(tempfile.mkdtemp(prefix="grader-class-batch-"))
    jobs.chmod(0o711)
    listener = Listener(LISTENER_PORT)
    try:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "grader",
                "grade",
                str(folder),
                "--out",
                str(out),
                "--timeout",
                str(TIMEOUT_SECONDS),
                "--workers",
                "2",
            ],
            capture_output=True,
            text=True,
            cwd=REPOSITORY_ROOT,
            env={**os.environ, "GRADER_CORPUS_SECRET": SECRET, "TMPDIR": str(jobs)},
            timeout=3600,
        )
        grades_after_batch = (out / "grades.csv").read_bytes()
        time.sleep(DETACHED_WAIT_SECONDS)
    finally:
        listener.close()
    with (out / "grades.csv").open() as stream:
        rows = {row["submission"]: row for row in csv.DictReader(stream)}
    results = {result.submission: result for result in read_shards([out]).rows}
    return ClassBatch(
        completed=completed,
        rows=rows,
        results=results,
        expect=names,
        out=out,
        folder=folder,
        jobs=jobs,
        before=before,
        checks_before=checks_before,
        canary=canary,
        listener=listener,
        grades_after_batch=grades_after_batch,
    )
