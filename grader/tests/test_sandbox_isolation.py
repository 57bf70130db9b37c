"""The per-submission sandbox under the strongest tier this machine offers: no network, no view
of the hidden checks or the data store, no process outliving its run, fork, memory and output
floods ending as rows. Each submission is a tiny file whose import does the attack.

These tests need the bwrap tier (Debian: `apt-get install -y bubblewrap`, run as root, as in
CI); where the machine lacks it, the assertions say which OS feature is missing.
"""

import dataclasses
import os
import socket
import threading
import time
from pathlib import Path
from typing import ClassVar

import pytest

from grader import grading
from grader.config import CHECKS_DIRECTORY
from grader.datasets import data_home
from grader.grading import grade_submission
from grader.isolation import sandbox
from grader.records import Status
from grader.submissions import submission_at
from grader.tests.test_hostile import with_train_body

# A limit that ends only broken runs: generous, because these shared machines are noisy and a
# first touch of memory can be slow here (measured: about 300 MB/s on one of them).
TIMEOUT_SECONDS = 60
SHORT_TIMEOUT_SECONDS = 10
# Enough for TensorFlow (the reference peaks at about 1.2 GB), small enough that a memory bomb
# reaches it in seconds.
MEMORY_MEGABYTES = 2048
STRONGEST = "bwrap"


def needs(tier: str) -> str:
    """The assertion message naming what this machine lacks for `tier`."""
    return f"sandbox tier {tier} is unavailable here: {sandbox.tier_problems()[tier]}"


@pytest.fixture(scope="module")
def tier() -> str:
    chosen, _ = sandbox.select_tier("auto")
    assert chosen == STRONGEST, needs(STRONGEST)
    return chosen


@pytest.fixture(scope="module")
def quick_context(context):
    """Short limits: every submission here ends in seconds."""
    grading = context.config.grading.model_copy(
        update={
            "timeout_seconds": TIMEOUT_SECONDS,
            "max_output_bytes": 10_000,
            "memory_megabytes": MEMORY_MEGABYTES,
        }
    )
    return dataclasses.replace(
        context, config=context.config.model_copy(update={"grading": grading})
    )


@pytest.fixture(scope="module")
def shorter_context(quick_context):
    """For submissions that run until stopped: a fork bomb, an output flood."""
    grading = quick_context.config.grading.model_copy(
        update={"timeout_seconds": SHORT_TIMEOUT_SECONDS}
    )
    config = quick_context.config.model_copy(update={"grading": grading})
    return dataclasses.replace(quick_context, config=config)


def grade_source(context, write_submission, name, source):
    return grade_submission(submission_at(write_submission(name, source)), context)


def leftovers() -> list[int]:
    """Processes of a sandbox uid whose run is over: their job directory has been removed, which
    happens only after the run's processes were killed. (Other graders may run meanwhile.)"""
    uids = range(sandbox.UID_BASE, sandbox.UID_BASE + sandbox.UID_SLOTS + 1)
    found = []
    for pid in sandbox._processes():
        if sandbox._uid_of(pid) in uids:
            jobs = [word for word in command_line(pid).split("\0") if "grader-job-" in word]
            if jobs and not Path(jobs[0]).exists():
                found.append(pid)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


class RecordedImport(grading.KerasImport):
    """The grader's background Keras import, noting this process's children when it starts."""

    made: ClassVar[list["RecordedImport"]] = []

    def __init__(self, early: bool = False) -> None:
        super().__init__(early)
        self.children_at_start: list[int] | None = None
        self.made.append(self)

    def look(self, records: Path) -> None:
        before = self.started
        super().look(records)
        if self.started and not before:
            self.children_at_start = _children()


@pytest.fixture
def keras_imports(monkeypatch) -> list[RecordedImport]:
    monkeypatch.setattr(RecordedImport, "made", [])
    monkeypatch.setattr(grading, "KerasImport", RecordedImport)
    return RecordedImport.made


def test_the_tier_is_detected_and_recorded(tier, quick_context, write_submission, keras_imports):
    """Is the strongest tier detected here, and recorded in the row of a graded submission? The
    row of this file, which returns no model, is judged without importing Keras."""
    result = grade_source(quick_context, write_submission, "raises", "raise ValueError('x')\n")
    assert result.status is Status.ERROR
    assert result.sandbox == tier
    assert sandbox.describe_sandbox().startswith(f"sandbox: {tier}")
    assert [made.started for made in keras_imports] == [False]


def _children() -> list[int]:
    """This process's child processes, from /proc."""
    found = []
    for pid in sandbox._processes():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        parent = next(line for line in status.splitlines() if line.startswith("PPid:"))
        if int(parent.split()[1]) == os.getpid():
            found.append(pid)
    return found


# Builds the perceptron, and spends two seconds in the next build: long enough for the grader
# to see the first build's record while the child still runs. The other functions are missing.
BUILDS_A_MODEL = """
import time
import keras

_built = []

def build_perceptron(activation=None):
    if _built:
        time.sleep(2)
    dense = keras.layers.Dense(1, activation=activation)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), dense])
    model.compile(loss="mean_squared_error", optimizer="adam")
    _built.append(model)
    return model
"""


def test_keras_is_imported_once_a_call_of_the_child_has_returned(
    tier, quick_context, write_submission, keras_imports
):
    """The grader imports Keras while the child runs, once a call returned (here the first
    build): not before the launch (loading TensorFlow holds the interpreter lock; measured, it
    delayed the launch by 0.6 s), and not for a run whose calls all raise or that never gets
    to make one (see the tier test above)."""
    earlier = set(_children())  # an earlier test's background batch, say
    result = grade_source(quick_context, write_submission, "builds", BUILDS_A_MODEL)
    assert result.status is Status.OK, result.note
    perceptron = next(question for question in result.questions if question.id == "perceptron")
    assert perceptron.points == perceptron.max_points, perceptron.cases  # judged with Keras
    (made,) = keras_imports
    assert made.children_at_start is not None, "the import waited for the run to end"
    assert set(made.children_at_start) - earlier, "Keras was imported with no child running"


def test_no_network(tier, quick_context, write_submission):
    """Does a connection to a TCP listener the test opens on 127.0.0.1 never arrive?"""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                received.append(connection.recv(100) or b"connected")

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        source = (
            "import socket\n"
            f"socket.create_connection(('127.0.0.1', {port}), timeout=3).sendall(b'secret')\n"
            "raise RuntimeError('connected')\n"
        )
        result = grade_source(quick_context, write_submission, "network", source)
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert received == [], "the sandbox reached the host's loopback: no network namespace"
    assert result.status is Status.ERROR
    assert "connected" not in result.note
    assert "Error" in result.note  # ConnectionRefusedError / OSError: nothing listens inside


@pytest.mark.parametrize(
    "target",
    [
        CHECKS_DIRECTORY / "accuracy.py",
        data_home(),
        Path(__file__).with_name("test_corpus.py"),  # the grader's own suite: thresholds
    ],
    ids=["hidden_checks", "data_store", "grader_test_suite"],
)
def test_hidden_checks_and_data_store_are_out_of_sight(
    tier, quick_context, write_submission, target
):
    """Does opening the repository's tests/ folder or the data store fail inside the sandbox?"""
    assert target.exists(), f"{target} should exist on the grader's side"
    source = (
        "import os\n"
        f"target = {str(target)!r}\n"
        "try:\n"
        "    os.listdir(target) if os.path.isdir(target) else open(target).read()\n"
        "    print('READ-MARKER')\n"
        "except OSError as error:\n"
        "    raise RuntimeError(f'BLOCKED-MARKER {type(error).__name__}') from None\n"
    )
    result = grade_source(quick_context, write_submission, "reader", source)
    assert "READ-MARKER" not in result.output
    assert "BLOCKED-MARKER FileNotFoundError" in result.note


def test_detached_process_dies_with_the_run(tier, quick_context, write_submission, tmp_path):
    """Is a double-forked, setsid'd process dead after grading, its file never written?"""
    folder = tmp_path / "drop"
    folder.mkdir()
    folder.chmod(0o777)  # writable by the sandbox uid: only the process's death stops it
    marker = folder / "escaped"
    source = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/bin/sh', ['sh', '-c', 'sleep 3; echo escaped > {marker}'])\n"
        "    os._exit(0)\n"
        "raise RuntimeError('parent done')\n"
    )
    result = grade_source(quick_context, write_submission, "detach", source)
    assert result.status is Status.ERROR
    survivors = [pid for pid in sandbox._processes() if str(marker) in command_line(pid)]
    assert survivors == [], "the detached process outlived its run"
    assert leftovers() == []
    time.sleep(5)
    assert not marker.exists()


def test_fork_bomb_ends_with_a_row(tier, shorter_context, write_submission):
    """Does a fork bomb end quickly with a row, leaving no process behind?"""
    source = "import os\nwhile True:\n    os.fork()\n"
    started = time.perf_counter()
    result = grade_source(shorter_context, write_submission, "fork_bomb", source)
    assert result.status in (Status.ERROR, Status.TIMEOUT, Status.MEMORY)
    # ends with its clock, not whenever the bomb lets go (a margin for a loaded machine)
    assert time.perf_counter() - started < SHORT_TIMEOUT_SECONDS + 60
    assert result.sandbox == tier
    assert leftovers() == [], "fork bomb processes outlived the run"


def test_memory_bomb_is_a_memory_row(tier, quick_context, write_submission):
    """Does allocating without end stop at the memory limit, as a `memory` row (not at the
    clock, which would make it a timeout)?"""
    source = "blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 27))\n"
    result = grade_source(quick_context, write_submission, "memory_bomb", source)
    assert result.status is Status.MEMORY, result.note
    assert "memory" in result.note
    assert result.total == 0


# Each process and each file below the per-process limit; together well over the budget.
SPREAD_OUT_MEMORY = """
import os, time
def hold(megabytes):
    block = bytearray(megabytes << 20)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    return block
with open("/tmp/filler", "wb") as filler:
    for _ in range(400):
        filler.write(b"x" * (1 << 20))
for _ in range(3):
    if os.fork() == 0:
        kept = hold(500)
        time.sleep(60)
        os._exit(0)
kept = hold(500)
time.sleep(60)
"""


def test_memory_spread_over_processes_and_tmp_counts_as_one_budget(
    tier, quick_context, write_submission
):
    """Do four processes of 500 MB and 400 MB in /tmp (each under the per-process limit, 2.4 GB
    together) end as a `memory` row against a 1 GiB budget, not as a timeout or an ok row?"""
    probe = sandbox.MemoryGroup.create(1 << 20, f"probe-{time.monotonic_ns()}")
    assert probe is not None, "no memory cgroup can be made here (root, cgroup v1 or v2)"
    probe.close()
    grading = quick_context.config.grading.model_copy(update={"memory_megabytes": 1024})
    config = quick_context.config.model_copy(update={"grading": grading})
    context = dataclasses.replace(quick_context, config=config)
    started = time.monotonic()
    result = grade_source(context, write_submission, "spread_out", SPREAD_OUT_MEMORY)
    assert result.status is Status.MEMORY, (result.status, result.note)
    assert "1024 MB" in result.note
    assert time.monotonic() - started < 50, "the budget should end it long before its sleeps"
    assert leftovers() == [], "processes outlived the run"


def test_output_flood_is_capped(tier, shorter_context, write_submission):
    """Does `while True: print("x" * 10**6)` end as a timeout row with its output capped?"""
    source = 'while True:\n    print("x" * 10**6)\n'
    result = grade_source(shorter_context, write_submission, "flood", source)
    assert result.status is Status.TIMEOUT
    limit = shorter_context.config.grading.max_output_bytes
    assert len(result.output) <= limit + 100
    assert "bytes of output dropped" in result.output


def test_limits_and_thread_caps_reach_the_child(tier, quick_context, write_submission):
    """Does the child see the configured rlimits, thread caps, an unprivileged uid and no
    capability?"""
    source = (
        "import os, resource\n"
        "values = [resource.getrlimit(k)[0] for k in (resource.RLIMIT_DATA, resource.RLIMIT_NOFILE,"
        " resource.RLIMIT_NPROC)]\n"
        "caps = [l for l in open('/proc/self/status') if l.startswith('CapEff')][0].split()[1]\n"
        "threads = os.environ['OMP_NUM_THREADS']\n"
        "raise RuntimeError(f'LIMITS {values} {threads} {os.getuid()} {caps}')\n"
    )
    result = grade_source(quick_context, write_submission, "limits", source)
    grading = quick_context.config.grading
    expected = [grading.memory_megabytes << 20, grading.max_open_files, grading.max_processes]
    assert f"LIMITS {expected} {grading.threads}" in result.note
    uid, caps = result.note.split("LIMITS ")[1].split("]")[1].split()[1:3]
    assert int(uid) >= sandbox.UID_BASE
    assert int(caps, 16) == 0


def test_a_forced_tier_that_is_missing_is_an_error(monkeypatch):
    """Does forcing a tier name that does not exist fail loudly instead of downgrading?"""
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "nonsense")
    with pytest.raises(ValueError, match="unknown sandbox tier"):
        sandbox.select_tier()


def answering(problems: dict[str, str | None]):
    """A stand-in for sandbox.tier_problems that answers from `problems`."""
    return lambda tiers=sandbox.TIERS: {tier: problems[tier] for tier in tiers}


def test_a_tier_is_probed_only_when_the_choice_needs_it(monkeypatch):
    """A trial run costs a child start: when the strongest tier works, are the weaker ones
    left unprobed, and is a forced tier the only one probed?"""
    probed = []

    def probe(tier):
        probed.append(tier)
        return "not here" if tier == "bwrap" else None

    monkeypatch.setattr(sandbox, "_probe", probe)
    monkeypatch.setattr(sandbox, "_probed", {})
    monkeypatch.delenv(sandbox.SANDBOX_ENV, raising=False)
    assert sandbox.select_tier("uid") == ("uid", [])
    assert probed == ["uid"]
    chosen, notes = sandbox.select_tier("auto")
    assert (chosen, probed) == ("unshare", ["uid", "bwrap", "unshare"])
    assert notes == ["sandbox tier bwrap is unavailable: not here"]
    sandbox.select_tier("auto")  # probed once per process
    assert probed == ["uid", "bwrap", "unshare"]


def test_a_missing_tier_is_said_once_and_the_next_is_used(monkeypatch):
    """Without bwrap, is the next tier chosen and the missing one named, with the basic tier
    called out as no security boundary?"""
    missing = {
        "bwrap": "bubblewrap is not installed",
        "unshare": "no namespaces",
        "uid": "not root",
        "basic": None,
    }
    monkeypatch.setattr(sandbox, "tier_problems", answering(missing))
    monkeypatch.delenv(sandbox.SANDBOX_ENV, raising=False)
    chosen, notes = sandbox.select_tier("auto")
    assert chosen == "basic"
    assert any("bwrap is unavailable: bubblewrap is not installed" in note for note in notes)
    assert any("not a security boundary" in note for note in notes)
    with pytest.raises(RuntimeError, match="bwrap is unavailable"):
        sandbox.select_tier("bwrap")


def test_without_namespaces_the_uid_tier_comes_before_basic(monkeypatch):
    """In a container that refuses namespaces (Gradescope's Docker), is the child still dropped
    to the sandbox uid, with no capabilities and no new privileges, rather than run as root?"""
    problems = {"bwrap": "no namespaces", "unshare": "no namespaces", "uid": None, "basic": None}
    monkeypatch.setattr(sandbox, "tier_problems", answering(problems))
    monkeypatch.delenv(sandbox.SANDBOX_ENV, raising=False)
    chosen, notes = sandbox.select_tier("auto")
    assert chosen == "uid"
    assert not any("not a security boundary" in note for note in notes)
    command = sandbox._wrap("uid", Path("/tmp/job"), sandbox.UID_BASE + 3, ["python", "-I"])
    assert command[0] == "setpriv" and command[-2:] == ["python", "-I"]
    assert f"--reuid={sandbox.UID_BASE + 3}" in command
    assert {"--clear-groups", "--inh-caps=-all", "--no-new-privs"} <= set(command)
    assert "bwrap" not in command and "unshare" not in command


def test_every_tier_is_probed_with_a_reason_when_unavailable():
    """Does each tier either work here or say why not (never a silent None for a broken one)?"""
    problems = sandbox.tier_problems()
    assert list(problems) == list(sandbox.TIERS)
    assert problems["basic"] is None
    for tier, problem in problems.items():
        assert problem is None or len(problem) > 10, tier


def test_the_forced_basic_tier_is_recorded(quick_context, write_submission, monkeypatch):
    """Does GRADER_SANDBOX=basic force the basic tier, recorded in the row, with a warning?"""
    monkeypatch.setenv(sandbox.SANDBOX_ENV, "basic")
    monkeypatch.setattr(sandbox, "_warned", set())
    with pytest.warns(RuntimeWarning, match="not a security boundary"):
        result = grade_source(quick_context, write_submission, "basic", "raise ValueError('x')\n")
    assert result.sandbox == "basic"
    assert result.status is Status.ERROR


def test_memory_error_in_train_keeps_honest_points(tier, quick_context, write_submission):
    """When train() allocates without end, is the row `memory`, naming train(), with the
    questions answered before still counted?"""
    allocate = "    blocks = []\n    while True:\n        blocks.append(bytearray(1 << 27))"
    source = with_train_body(allocate)
    result = grade_source(quick_context, write_submission, "memory_in_train", source)
    assert result.status is Status.MEMORY
    assert "train()" in result.note
    points = {question.id: question.points for question in result.questions}
    assert points["accuracy"] == 0
    assert points["load"] == 1
