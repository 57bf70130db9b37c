"""A batch mixing the hostile corpus (grader/tests/corpus/) with 13 honest submissions produces
the complete, correct gradebook, and leaves the machine as it found it."""

import csv
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader.config import CHECKS_DIRECTORY, EXAMPLES_DIRECTORY, REPOSITORY_ROOT, TEMPLATE_PATH
from grader.course.commands.grade import parent_memory_bound_mb
from grader.course.examples import MISTAKES
from grader.sandbox import select_tier

CORPUS = Path(__file__).parent / "corpus"
BASES = {
    "_template": TEMPLATE_PATH,
    "_reference": EXAMPLES_DIRECTORY / "reference.py",
    "_no_sigmoid": EXAMPLES_DIRECTORY / "no_sigmoid.py",
}
HONEST_COPIES = 3  # reference copies; with the 9 examples and the template, 13 honest rows
LISTENER_PORT = 47811  # the port 20_network_template.py tries to reach
SECRET = "corpus-secret-7f3a9c"
MARKERS = [Path("/tmp/corpus-pickle-marker"), Path("/tmp/corpus-lambda-marker")]
TIMEOUT_SECONDS = 60
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


def sandbox_processes() -> list[str]:
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if "grader.child" in line]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
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
    for copy in range(HONEST_COPIES):
        reference = (EXAMPLES_DIRECTORY / "reference.py").read_text()
        (folder / f"honest_copy_{copy:02}.py").write_text(reference)
    canary = tmp_path_factory.mktemp("canary") / "corpus-canary-file"
    canary.write_text("untouched")
    before = digest_tree(folder)
    checks_before = digest_tree(CHECKS_DIRECTORY)
    out = tmp_path_factory.mktemp("out")
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
            env={**os.environ, "GRADER_CORPUS_SECRET": SECRET},
            timeout=3600,
        )
        grades_after_batch = (out / "grades.csv").read_bytes()
        time.sleep(DETACHED_WAIT_SECONDS)
    finally:
        listener.close()
    with (out / "grades.csv").open() as stream:
        rows = {row["submission"]: row for row in csv.DictReader(stream)}
    return {
        "completed": completed,
        "rows": rows,
        "expect": names,
        "out": out,
        "folder": folder,
        "before": before,
        "checks_before": checks_before,
        "canary": canary,
        "listener": listener,
        "grades_after_batch": grades_after_batch,
    }


def test_batch_completes_with_every_row(batch):
    """Does the batch finish, exit 0, and give exactly one row per submission?"""
    completed = batch["completed"]
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    expected = set(batch["expect"]) | {p.stem for p in batch["folder"].glob("honest_*.py")}
    assert set(batch["rows"]) == expected


def test_grader_memory_stays_within_its_documented_bound(batch):
    """Whatever the corpus writes, the grading process stays within the bound SECURITY.md gives
    (its own peak resident memory, which `grader grade` prints)."""
    stdout = batch["completed"].stdout
    match = re.search(r"Grading process peak memory: (\d+) MB .*bound: (\d+) MB", stdout)
    assert match, stdout[-2000:]
    peak, bound = int(match[1]), int(match[2])
    assert bound == parent_memory_bound_mb(2)
    assert peak <= bound, f"the grader peaked at {peak} MB, above its bound of {bound} MB"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.py")), ids=lambda path: path.stem)
def test_hostile_submission_earns_nothing_unearned(batch, path):
    """Does each hostile submission get an expected status and no point beyond its honest part?"""
    name, _ = compose(path)
    expect, row = batch["expect"][name], batch["rows"][name]
    assert row["status"] in expect["status"], (row["status"], row["note"])
    limit = expect["max_total"]
    if isinstance(limit, str):
        limit = float(batch["rows"][f"honest_{limit.removeprefix('baseline:')}"]["total"])
    assert float(row["total"]) <= limit, row
    # An attack on the honest part's records must not cost it either.
    assert float(row["total"]) >= expect.get("min_total", 0), row


def test_honest_rows_are_correct(batch):
    """Are the honest submissions' rows exactly what they earn when graded alone?"""
    rows = batch["rows"]
    assert rows["honest_reference"]["total"] == rows["honest_reference"]["max"]
    for copy in range(HONEST_COPIES):
        row = rows[f"honest_copy_{copy:02}"]
        assert (row["status"], row["total"]) == ("ok", row["max"]), row
    assert (rows["honest_template"]["status"], rows["honest_template"]["total"]) == (
        "not_attempted",
        "0",
    )
    for mistake in MISTAKES:
        row = rows[f"honest_{mistake.name}"]
        assert row["status"] == "ok"
        for question in mistake.fails:
            assert float(row[question]) < float(rows["honest_reference"][question]), question


def test_inputs_checks_and_gradebook_are_untouched(batch):
    """Are the submissions, the hidden checks, a canary file and the finished gradebook
    byte-identical after the batch and after detached processes had time to act?"""
    assert digest_tree(batch["folder"]) == batch["before"]
    assert digest_tree(CHECKS_DIRECTORY) == batch["checks_before"]
    assert batch["canary"].read_text() == "untouched"
    assert (batch["out"] / "grades.csv").read_bytes() == batch["grades_after_batch"]


def test_nothing_reached_the_network_or_unpickled(batch):
    """Did no byte reach the loopback listener, and did no planted pickle or Lambda run?"""
    assert batch["listener"].received == []
    assert not any(marker.exists() for marker in MARKERS)


def test_student_visible_output_holds_no_secret(batch):
    """Do the results students see hold no line of the check files and no environment secret?"""
    secrets = {
        line.strip()
        for path in CHECKS_DIRECTORY.glob("*.py")
        for line in path.read_text().splitlines()
        if len(line.strip()) >= 16
    }
    for path in (batch["out"] / "results").glob("*.json"):
        shown = path.read_text()
        assert SECRET not in shown, path.name
        assert "Leak_" not in shown, path.name  # 53: an exception class named with hidden data
        leaked = [line for line in secrets if line in shown]
        assert leaked == [], (path.name, leaked[:3])
    assert SECRET not in (batch["out"] / "grades.csv").read_text()


def test_gradebook_and_results_are_inert(batch):
    """Do grades.csv and every results.json hold no control character (ESC, OSC, C1), no cell
    that starts a spreadsheet formula, and notes of bounded length, whatever the submissions
    printed or raised (corpus 45-48)?"""
    controls = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    text = (batch["out"] / "grades.csv").read_text()
    assert not controls.search(text)
    with (batch["out"] / "grades.csv").open(newline="") as stream:
        for row in csv.DictReader(stream):
            for cell in row.values():
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell[:80]
            assert len(row["note"]) <= 4000, row["submission"]
    for path in (batch["out"] / "results").glob("*.json"):
        assert not controls.search(json.loads(path.read_text())["output"]), path.name


def test_no_sandbox_process_is_left(batch):
    """Is every process of every sandbox gone after the batch?"""
    assert sandbox_processes() == []
