"""Run one submission in a separate, limited child process and read back its plain-data records.

The child (child.py) gets a fresh job directory holding a copy of the submission, the plan,
the plan's arrays and the sandbox's MNIST view; a scrubbed environment whose HOME, TMPDIR and
KERAS_HOME point inside it, with thread counts capped; no stdin; resource limits (CPU time,
data segment, file size, open files, processes); its output read through a pipe of which at most
`max_output_bytes` are kept; a wall-clock limit; and every process it started is killed when it
ends. What it wrote is validated here before anything is read: sizes, schema, and arrays loaded
without pickles.

Isolation tiers, strongest first, detected at run time (GRADER_SANDBOX or the config forces one):

- "bwrap": bubblewrap (Debian: `apt-get install -y bubblewrap`) gives the child new network,
  pid, ipc and uts namespaces and a filesystem view holding only the system, the Python
  installation, the venv, the grader package and its job directory; inside, setpriv drops root
  to a per-slot unprivileged uid, so RLIMIT_NPROC and file permissions apply. Everything dies
  with the pid namespace; leftovers of the uid are killed too.
- "unshare": without bwrap, util-linux `unshare` gives new network and pid namespaces and setpriv
  the unprivileged uid, but the filesystem is the host's (readable where permissions allow).
- "uid": setpriv alone, for containers that refuse namespaces (Docker's default seccomp profile,
  hence Gradescope): the unprivileged uid, no capabilities, no new privileges, the host's
  filesystem and network. It cannot signal the grader, write where the grader writes, or read
  what is not world-readable (the Gradescope autograder closes its source and results folders).
- "basic": the grader's own uid, limits and a new session; leftovers are found by a per-job token
  in their environment. Not a security boundary.
"""

import contextlib
import dataclasses
import itertools
import json
import os
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
from pydantic import ValidationError

import grader
from grader.isolation.cgroup import MemoryGroup
from grader.isolation.protocol import (
    ARRAY_KINDS,
    HIDDEN_ARRAYS,
    HIDDEN_PLAN,
    PUBLIC_DONE,
    CallRecord,
    ImportRecord,
    Plan,
)

SUBMISSION_NAME = "student_template.py"
MAX_RECORD_JSON_BYTES = 20_000_000
MAX_RECORD_ARRAY_BYTES = 600_000_000
MAX_FILE_BYTES = 1 << 30
# All records of one run together (JSON bytes plus arrays as unpacked): the grader's memory for
# one submission's answers. The reference's come to about 0.25 GB.
MAX_REPORT_BYTES = 1 << 30
# Entries of the records folder looked at: the harness writes two or three per planned call.
MAX_RECORD_ENTRIES = 1000
DONE_NAME = "done.json"
ENCODED_KEYS = {"array", "scalar", "literal", "tuple", "list", "model", "history", "opaque"}

# Folders of the grader package the sandbox sees empty (bwrap tier).
HIDDEN_FROM_CHILD = ("tests", "course")
SANDBOX_ENV = "GRADER_SANDBOX"
TIERS = ("bwrap", "unshare", "uid", "basic")
Tier = Literal["bwrap", "unshare", "uid", "basic"]
UID_BASE = 61000
UID_SLOTS = 64
# Fixed, not under $TMPDIR: every grader process on the machine must share these locks.
SLOT_DIRECTORY = Path("/run/grader-sandbox-slots")
JOB_TOKEN_ENV = "GRADER_JOB"
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)
# Markers of an allocation that failed under the memory limit, in the child's output.
MEMORY_MARKERS = ("MemoryError", "std::bad_alloc", "ResourceExhaustedError", "OOM when allocating")
MEMORY_ERRORS = frozenset({"MemoryError", "ResourceExhaustedError"})


@dataclass(frozen=True)
class SandboxSettings:
    timeout_seconds: float
    max_output_bytes: int
    seed: int
    memory_bytes: int = 4 << 30
    cpu_seconds: float | None = None  # None: derived from the timeout and the thread count
    max_open_files: int = 512
    max_processes: int = 512  # RLIMIT_NPROC counts threads: TensorFlow needs room
    max_file_bytes: int = MAX_FILE_BYTES
    threads: int = 2
    tier: str = "auto"  # "auto" (strongest available), or one of TIERS; GRADER_SANDBOX wins
    # memory_bytes also bounds the whole run (all its processes and files) where a memory
    # cgroup can be made (grader/isolation/cgroup.py)
    memory_group: bool = True
    # What the grader reads of the run's records, at most (see read_report).
    report_bytes: int = MAX_REPORT_BYTES
    # The keras dataset whose loader serves the sandbox's data view (keras.datasets.<name>);
    # None: the child does not import Keras (an exercise without Keras).
    dataset: str | None = "mnist"

    @property
    def cpu_limit(self) -> int:
        if self.cpu_seconds is not None:
            return max(1, int(self.cpu_seconds))
        return max(1, int(self.timeout_seconds * max(1, self.threads)) + 5)


@dataclass(frozen=True)
class ChildReport:
    """Everything the child wrote that passed validation."""

    imported: ImportRecord | None
    calls: dict[int, CallRecord]
    arrays: dict[str, np.ndarray]
    problems: tuple[str, ...] = ()
    # Files the harness never writes (other names, calls the plan did not ask for, records
    # written after it finished): only the submission can have put them there.
    forged: tuple[str, ...] = ()
    # The records together exceeded MAX_REPORT_BYTES; reading stopped there.
    over_budget: bool = False

    def holds_model(self) -> bool:
        """Does any call return or change a model (the only values judging needs Keras for)?"""
        calls = self.calls.values()
        values = [value for call in calls for value in (call.returned, *call.changed.values())]
        while values:  # validated values: nested at most a few levels (_check_encoded)
            value = values.pop()
            if isinstance(value, dict):
                if "model" in value:
                    return True
                values += [*value.get("tuple", ()), *value.get("list", ())]
        return False


@dataclass(frozen=True)
class SandboxRun:
    ending: Literal["finished", "timeout", "crashed"]
    exit_code: int | None
    seconds: float
    output: str
    report: ChildReport = field(repr=False)
    tier: str = ""
    output_bytes: int = 0  # everything the child printed, kept or not
    # The run's memory cgroup killed a process for going over the submission's budget.
    oom_killed: bool = False

    @property
    def memory_exhausted(self) -> bool:
        """Did an allocation fail under the memory limit (a MemoryError, or the process died of
        one)? Judged from the records first, then from the output of a run that crashed."""
        report = self.report
        raised = [report.imported.raised] if report.imported else []
        raised += [call.raised for call in report.calls.values()]
        if any(error is not None and error.type in MEMORY_ERRORS for error in raised):
            return True
        if self.oom_killed and self.ending != "finished":
            return True
        return self.ending == "crashed" and any(m in self.output for m in MEMORY_MARKERS)


# ---- Isolation tiers ---------------------------------------------------------------------


def _grader_directory() -> Path:
    return Path(grader.__file__).resolve().parent


def _python_roots() -> list[Path]:
    """The Python installation and the venv: what the interpreter needs to start."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    roots.add(Path(os.path.realpath(sys.executable)).parent.parent)
    return sorted(roots)


def _setpriv(uid: int) -> list[str]:
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--no-new-privs",
    ]


# The child imports the very grader package this process runs (not whichever one the venv
# has installed): an unpacked autograder or release next to an installed copy stays consistent.
_BOOT = "import sys; sys.path.insert(0, sys.argv.pop(1)); "


def _python_command(code: str, *arguments: str) -> list[str]:
    return [sys.executable, "-I", "-c", _BOOT + code, str(_grader_directory().parent), *arguments]


def _child_command(job: Path) -> list[str]:
    return _python_command(
        "import grader.isolation.child as c; c.main(c.Path(sys.argv[1]))", str(job)
    )


def _bwrap_command(job: Path, uid: int, command: list[str]) -> list[str]:
    arguments = [
        "bwrap",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
        "--cap-add",
        "CAP_SETUID,CAP_SETGID",  # for setpriv only; it drops every capability
        "--tmpfs",
        "/",
    ]
    for name in ("usr", "etc"):
        arguments += ["--ro-bind", f"/{name}", f"/{name}"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            arguments += ["--ro-bind", str(path), str(path)]
    arguments += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    made = {Path("/"), Path("/usr"), Path("/etc"), Path("/tmp"), Path("/proc"), Path("/dev")}
    binds = [(root, "--ro-bind") for root in _python_roots()]
    binds += [(_grader_directory(), "--ro-bind"), (job, "--bind")]
    for path, how in binds:
        for parent in reversed(path.parents):
            if parent not in made:
                arguments += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        arguments += [how, str(path), str(path)]
        made.add(path)
    # The child needs the grader's harness, not its test suite (thresholds, the hostile corpus)
    # or its staff tools: empty folders over them.
    for hidden in HIDDEN_FROM_CHILD:
        if (_grader_directory() / hidden).is_dir():
            arguments += ["--tmpfs", str(_grader_directory() / hidden)]
    return [*arguments, "--chdir", str(job), "--", *_setpriv(uid), *command]


def _unshare_command(uid: int, command: list[str]) -> list[str]:
    return ["unshare", "--net", "--pid", "--fork", "--kill-child", "--", *_setpriv(uid), *command]


def _wrap(tier: str, job: Path, uid: int | None, command: list[str]) -> list[str]:
    if tier == "bwrap":
        assert uid is not None
        return _bwrap_command(job, uid, command)
    if tier == "unshare":
        assert uid is not None
        return _unshare_command(uid, command)
    if tier == "uid":
        assert uid is not None
        return [*_setpriv(uid), *command]
    return command


def _probe(tier: str) -> str | None:
    """None when `tier` works here; otherwise why not, in a few words."""
    if tier == "basic":
        return None
    tool = {"bwrap": "bwrap", "unshare": "unshare", "uid": "setpriv"}[tier]
    if shutil.which(tool) is None or shutil.which("setpriv") is None:
        missing = "bubblewrap (apt-get install -y bubblewrap)" if tool == "bwrap" else tool
        return f"{missing} is not installed"
    if os.geteuid() != 0:
        return "the grader is not root, so it cannot drop the child to a sandbox uid"
    with _uid_slot() as uid:
        return _trial_run(tier, uid)


def _trial_run(tier: str, uid: int) -> str | None:
    job = Path(tempfile.mkdtemp(prefix="grader-probe-"))
    try:
        os.chown(job, uid, uid)
        # The same interpreter and standard library as ours: where the uid cannot read them,
        # the binary may start against the system's libpython instead.
        check = f"import grader.isolation.child; assert sys.version == {sys.version!r}, sys.version"
        command = _wrap(tier, job, uid, _python_command(check))
        try:
            done = subprocess.run(
                command, cwd=job, env=_base_environment(job, 1), capture_output=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"its trial run failed ({error})"
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"]
            return (
                f"its trial run failed (exit {done.returncode}: {lines[-1][:200]}); "
                f"the sandbox uid must be able to read {sys.base_prefix} and the grader package"
            )
        return None
    finally:
        _kill_uid(uid)
        shutil.rmtree(job, ignore_errors=True)


_probed: dict[str, str | None] = {}
_probe_lock = threading.Lock()


def tier_problems(tiers: tuple[str, ...] = TIERS) -> dict[str, str | None]:
    """Each of `tiers` (every tier by default), with None when it works here or why it does
    not. Each is probed once per process, whichever worker thread asks first; the others wait
    for its answer."""
    with _probe_lock:
        for tier in tiers:
            if tier not in _probed:
                _probed[tier] = _probe(tier)
        return {tier: _probed[tier] for tier in tiers}


_warned: set[str] = set()
_warned_lock = threading.Lock()


def select_tier(requested: str = "auto") -> tuple[str, list[str]]:
    """The tier to use and one line for each stronger tier that is unavailable.

    GRADER_SANDBOX, when set, overrides `requested`. A forced tier that does not work here is
    an error, not a silent downgrade.
    """
    requested = os.environ.get(SANDBOX_ENV) or requested
    if requested != "auto":
        if requested not in TIERS:
            raise ValueError(f"unknown sandbox tier {requested!r}; expected one of {TIERS}")
        problem = tier_problems((requested,))[requested]
        if problem is not None:
            raise RuntimeError(f"sandbox tier {requested} is unavailable: {problem}")
        chosen = requested
    else:
        # Strongest first; a weaker tier is probed (a trial run each) only when needed.
        chosen = next(tier for tier in TIERS if tier_problems((tier,))[tier] is None)
    notes = []
    if requested == "auto":  # the stronger tiers, probed on the way to this one
        for tier, problem in tier_problems(TIERS[: TIERS.index(chosen)]).items():
            notes.append(f"sandbox tier {tier} is unavailable: {problem}")
    if chosen == "basic":
        notes.append(
            "sandbox tier basic runs student code as the grader's own user with the network: "
            "it is not a security boundary"
        )
    return chosen, notes


def describe_sandbox(requested: str = "auto") -> str:
    """One line for the CLI: the tier in use and what is missing for stronger ones."""
    chosen, notes = select_tier(requested)
    return "; ".join([f"sandbox: {chosen}", *notes, _memory_budget_note()])


def _memory_budget_note() -> str:
    probe = MemoryGroup.create(1 << 30, f"probe-{secrets.token_hex(4)}")
    if probe is None:
        return "memory limited per process only (no memory cgroup can be made here)"
    probe.close()
    return f"memory limited per submission (cgroup v{probe.version})"


def _warn_once(notes: list[str]) -> None:
    with _warned_lock:
        fresh = [note for note in notes if note not in _warned]
        _warned.update(fresh)
    for note in fresh:
        warnings.warn(note, RuntimeWarning, stacklevel=3)


# ---- Sandbox uids: one per concurrent run, across threads and processes --------------------


@contextlib.contextmanager
def _uid_slot():
    import fcntl

    SLOT_DIRECTORY.mkdir(mode=0o700, exist_ok=True)
    for slot in range(UID_SLOTS):
        handle = open(SLOT_DIRECTORY / f"{slot}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        try:
            _kill_uid(UID_BASE + slot)  # leftovers of a grader that died mid-run
            yield UID_BASE + slot
        finally:
            handle.close()
        return
    raise RuntimeError(f"all {UID_SLOTS} sandbox uids are in use")


# ---- Killing what is left ----------------------------------------------------------------


def _processes() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _uid_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"Uid:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _has_token(pid: int, token: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            return token in environ.read().split(b"\0")
    except OSError:
        return False


def _kill_matching(matches) -> None:
    """SIGKILL every process `matches`, until a scan finds none (forks racing the scan)."""
    for _ in range(200):
        found = [pid for pid in _processes() if pid != os.getpid() and matches(pid)]
        if not found:
            return
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _kill_uid(uid: int) -> None:
    _kill_matching(lambda pid: _uid_of(pid) == uid)


def _kill_token(token: str) -> None:
    marker = f"{JOB_TOKEN_ENV}={token}".encode()
    _kill_matching(lambda pid: _has_token(pid, marker))


def _kill_session(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


# ---- Output: a pipe read by a thread that keeps a capped head and tail --------------------


class _CappedOutput:
    """Reads a pipe until EOF or stop(), keeping its first and last `limit // 2` bytes."""

    def __init__(self, descriptor: int, limit: int) -> None:
        self.descriptor = descriptor
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        poller = select.poll()
        poller.register(self.descriptor, select.POLLIN | select.POLLHUP | select.POLLERR)
        while not self._stop.is_set():
            if not poller.poll(100):
                continue
            chunk = os.read(self.descriptor, 1 << 16)
            if not chunk:
                return
            self.total += len(chunk)
            room = self.head_limit - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            self.tail += chunk
            if len(self.tail) > self.tail_limit:
                del self.tail[: len(self.tail) - self.tail_limit]

    def finish(self, grace: float = 2.0) -> str:
        """The kept text; waits `grace` seconds for EOF (a leftover may hold the pipe open)."""
        self._thread.join(grace)
        self._stop.set()
        self._thread.join()
        os.close(self.descriptor)
        dropped = self.total - len(self.head) - len(self.tail)
        middle = f"\n[{dropped} bytes of output dropped]\n".encode() if dropped else b""
        return (bytes(self.head) + middle + bytes(self.tail)).decode("utf-8", errors="replace")


# ---- One run -----------------------------------------------------------------------------


def _base_environment(job: Path, threads: int) -> dict[str, str]:
    return {
        "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
        "HOME": str(job / "home"),
        "TMPDIR": str(job / "tmp"),
        "KERAS_HOME": str(job / "keras"),
        "MPLCONFIGDIR": str(job / "tmp"),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MPLBACKEND": "Agg",
        grader.HUGEPAGE_VARIABLE: "1" if os.environ.get(grader.HUGEPAGE_VARIABLE) == "1" else "0",
    } | {name: str(threads) for name in THREAD_VARIABLES}


def _environment(job: Path, threads: int, token: str) -> dict[str, str]:
    """An allowlist, not a copy of ours: no secrets, no PYTHONPATH, no proxies."""
    for name in ("home", "tmp", "keras"):
        (job / name).mkdir()
    return _base_environment(job, threads) | {JOB_TOKEN_ENV: token}


def prepare_job(
    submission: Path,
    plan_directory: Path,
    mnist_view: Path,
    seed: int,
    settings: SandboxSettings | None = None,
) -> Path:
    job = Path(tempfile.mkdtemp(prefix="grader-job-"))
    shutil.copyfile(submission, job / SUBMISSION_NAME)
    # The public part only: the hidden calls follow once the public ones are recorded.
    shutil.copyfile(plan_directory / CHILD_PLAN, job / "plan.json")
    shutil.copyfile(plan_directory / CHILD_ARRAYS, job / "plan.npz")
    shutil.copyfile(mnist_view, job / "mnist.npz")
    (job / "out").mkdir()
    limits = settings or SandboxSettings(1, 1, seed)
    job_settings = {
        "submission": SUBMISSION_NAME,
        "seed": seed,
        "mnist": str(job / "mnist.npz"),
        "max_file_bytes": limits.max_file_bytes,
        "memory_bytes": limits.memory_bytes,
        "cpu_seconds": limits.cpu_limit,
        "max_open_files": limits.max_open_files,
        "max_processes": limits.max_processes,
        "dataset": limits.dataset,
    }
    (job / "job.json").write_text(json.dumps(job_settings))
    return job


def _give_to(job: Path, uid: int) -> None:
    for folder, _, files in os.walk(job):
        os.chown(folder, uid, uid)
        for name in files:
            os.chown(os.path.join(folder, name), uid, uid)


# How often a watcher (the self-check's streamed answers) looks at the records so far.
WATCH_INTERVAL_SECONDS = 0.25

# A plan directory (grader.grading.prepare_context) holds the whole plan for the parent, and
# the child's two parts: the public calls, handed over at the start, and the hidden calls,
# handed over (as HIDDEN_PLAN and HIDDEN_ARRAYS in the job folder) only after the child wrote
# PUBLIC_DONE. The public records are read at that moment and later versions ignored, so what
# the submission learns of a hidden input cannot reach what a student reads of a public case.
CHILD_PLAN = "child-plan.json"
CHILD_ARRAYS = "child-plan.npz"
PHASE_INTERVAL_SECONDS = 0.05


def write_child_plans(directory: Path, plan: Plan, arrays: dict[str, np.ndarray]) -> None:
    """What the child gets: the public calls and their inputs at the start, the hidden calls
    and theirs (when there are any) only after the public ones are recorded."""
    public, hidden = plan.split()
    public_names = public.array_names()
    (directory / CHILD_PLAN).write_text(public.model_dump_json())
    np.savez(directory / CHILD_ARRAYS, **{n: a for n, a in arrays.items() if n in public_names})
    if hidden.calls:
        names = hidden.array_names() - public_names
        (directory / HIDDEN_PLAN).write_text(hidden.model_dump_json())
        np.savez(directory / HIDDEN_ARRAYS, **{n: a for n, a in arrays.items() if n in names})


class _HiddenHandover:
    """Hands the hidden calls to the child once it marked its public calls done, keeping the
    public records as they were then."""

    def __init__(self, plan_directory: Path, plan: Plan, uid: int | None) -> None:
        self.plan_directory = plan_directory
        self.public = {call.id for call in plan.calls} - set(plan.hidden)
        self.functions = {call.id: call.function for call in plan.calls}
        self.uid = uid
        self.pending = bool(plan.hidden) and (plan_directory / HIDDEN_PLAN).exists()
        self.hidden = set(plan.hidden) if self.pending else set()
        self.snapshot: ChildReport | None = None

    def poll(self, job: Path) -> None:
        if not self.pending or not (job / "out" / PUBLIC_DONE).exists():
            return
        self.pending = False
        self.snapshot = read_report(job / "out", self.public)
        try:
            for name in (HIDDEN_ARRAYS, HIDDEN_PLAN):  # the JSON last: when it exists, both do
                self._place(self.plan_directory / name, job, name)
        except OSError:
            pass  # the submission got in the way: the hidden calls never run, and count nothing

    def _place(self, source: Path, job: Path, name: str) -> None:
        """Copy into the job folder, which is the submission's: never through a link it made
        (created exclusively, not followed), owned by the sandbox uid, renamed into place."""
        partial = job / f".{name}.partial"
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(partial, flags, 0o644), "wb") as written:
            with source.open("rb") as read:
                shutil.copyfileobj(read, written)
            if self.uid is not None:
                os.fchown(written.fileno(), self.uid, self.uid)
        partial.rename(job / name)

    def merged(self, final: ChildReport) -> ChildReport:
        """The final records, with the public calls (and the import) as they were at handover."""
        if self.snapshot is None:
            if self.hidden & set(final.calls):  # it never got a hidden call, so it made these up
                forged = ("records of hidden calls the grader never handed over",)
                return dataclasses.replace(final, forged=final.forged + forged)
            return final
        forged = final.forged
        if not self._complete(self.snapshot):  # only the submission marks it done so early
            forged += ("the public calls were marked done before they were all made",)
        prefixes = tuple(f"c{number}_" for number in self.public)
        calls = {n: r for n, r in final.calls.items() if n not in self.public}
        calls |= self.snapshot.calls
        arrays = {k: v for k, v in final.arrays.items() if not k.startswith(prefixes)}
        arrays |= self.snapshot.arrays
        return dataclasses.replace(
            final,
            imported=self.snapshot.imported,
            calls=calls,
            arrays=arrays,
            problems=self.snapshot.problems + final.problems,
            forged=forged,
        )

    def _complete(self, snapshot: ChildReport) -> bool:
        """Had the harness made every public call (of the functions the file defines)?"""
        if snapshot.imported is None:
            return False
        if snapshot.imported.raised is not None:
            return True  # an import that failed makes no calls, and never hands over
        missing = set(snapshot.imported.missing)
        return all(
            number in snapshot.calls or self.functions[number] in missing for number in self.public
        )


def run_submission(
    submission: Path,
    plan_directory: Path,
    mnist_view: Path,
    settings: SandboxSettings,
    watch: Callable[[Path], None] | None = None,
    stopping: threading.Event | None = None,
) -> SandboxRun:
    """Run the child on one submission; its job directories are removed afterwards.

    `watch`, when given, is called with the records folder every WATCH_INTERVAL_SECONDS while
    the child runs: for showing answers early, never for judging (the run's own reading of
    the records at the end is what counts). Its failures are ignored.

    A run that stopped before its public calls were all made never got the hidden calls; those
    that use only functions which answered run in a second, shorter run (`hidden_rest`),
    unless `stopping` is set by then."""
    tier, notes = select_tier(settings.tier)
    _warn_once(notes)
    # The plan's call numbers from our own copy: the job's copy is the submission's to change.
    plan = Plan.model_validate_json((plan_directory / "plan.json").read_text())
    first, handed_over = _run_job(
        tier, submission, plan_directory, plan, mnist_view, settings, watch
    )
    rest = None if handed_over else hidden_rest(plan, first.report)
    if rest is None or not (plan_directory / "plan.npz").exists():
        return first
    if stopping is not None and stopping.is_set():
        return first
    # Both runs' records together stay within the one record budget the grader has per run.
    used = sum(array.nbytes for array in first.report.arrays.values())
    shorter = dataclasses.replace(
        settings,
        timeout_seconds=rest_timeout(settings.timeout_seconds),
        report_bytes=max(0, settings.report_bytes - used),
    )
    with tempfile.TemporaryDirectory(prefix="grader-rest-") as folder:
        rest_directory = Path(folder)
        with np.load(plan_directory / "plan.npz", allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in rest.array_names()}
        (rest_directory / "plan.json").write_text(rest.model_dump_json())
        write_child_plans(rest_directory, rest, arrays)
        second, _ = _run_job(tier, submission, rest_directory, rest, mnist_view, shorter, None)
    return _with_rest(first, second, plan, set(rest.hidden))


# The second run's wall clock: a fraction of the submission's, enough to import the file and
# make a few quick calls, so a hang costs at most (1 + REST_TIMEOUT_FRACTION) x the timeout.
REST_TIMEOUT_FRACTION = 0.2
REST_TIMEOUT_FLOOR_SECONDS = 30.0


def rest_timeout(timeout_seconds: float) -> float:
    return min(
        timeout_seconds, max(REST_TIMEOUT_FLOOR_SECONDS, timeout_seconds * REST_TIMEOUT_FRACTION)
    )


def hidden_rest(plan: Plan, report: "ChildReport") -> Plan | None:
    """What a second run makes when the first stopped before the hand-over: the hidden calls
    whose functions, and those of every earlier call their arguments use, answered (returned
    or raised) a public call of the first run. A function that never answered (it hung, or the
    run died in it) is not called again. None when nothing is left to run."""
    if not plan.hidden or report.imported is None or report.imported.raised is not None:
        return None
    hidden = set(plan.hidden)
    by_id = {call.id: call for call in plan.calls}
    answered = {by_id[n].function for n in report.calls if n in by_id and n not in hidden}
    chosen: set[int] = set()
    needed: set[int] = set()
    for number in plan.hidden:
        closure, waiting = set(), [number]
        while waiting:
            current = waiting.pop()
            if current in closure:
                continue
            closure.add(current)
            call = by_id[current]
            for argument in [*call.arguments, *call.keywords.values()]:
                if isinstance(getattr(argument, "call", None), int):
                    waiting.append(argument.call)
        if all(by_id[n].function in answered for n in closure):
            chosen.add(number)
            needed |= closure
    if not chosen:
        return None
    calls = tuple(call for call in plan.calls if call.id in needed)
    return Plan(
        calls=calls,
        functions=plan.functions,
        hidden=tuple(number for number in plan.hidden if number in chosen),
        passed_on=plan.passed_on_among(calls),
    )


def _with_rest(first: SandboxRun, second: SandboxRun, plan: Plan, rest: set[int]) -> SandboxRun:
    """The first run's record, with the hidden calls the second run made."""
    hidden = set(plan.hidden)
    forged = first.report.forged + second.report.forged
    prefixes = tuple(f"c{number}_" for number in hidden)
    calls = {n: r for n, r in first.report.calls.items() if n not in hidden}
    calls |= {n: r for n, r in second.report.calls.items() if n in rest}
    arrays = {k: v for k, v in first.report.arrays.items() if not k.startswith(prefixes)}
    mine = tuple(f"c{number}_" for number in rest)
    arrays |= {k: v for k, v in second.report.arrays.items() if k.startswith(mine)}
    report = dataclasses.replace(
        first.report,
        calls=calls,
        arrays=arrays,
        problems=first.report.problems + second.report.problems,
        forged=forged,
        over_budget=first.report.over_budget or second.report.over_budget,
    )
    return dataclasses.replace(
        first,
        seconds=first.seconds + second.seconds,
        report=report,
        output_bytes=first.output_bytes + second.output_bytes,
    )


def _run_job(
    tier: str,
    submission: Path,
    plan_directory: Path,
    plan: Plan,
    mnist_view: Path,
    settings: SandboxSettings,
    watch: Callable[[Path], None] | None,
) -> tuple[SandboxRun, bool]:
    """One child run of the plan in `plan_directory`; whether its hidden calls were handed over."""
    planned = {call.id for call in plan.calls}
    job = prepare_job(submission, plan_directory, mnist_view, settings.seed, settings)
    token = secrets.token_hex(16)
    try:
        with _uid_slot() if tier != "basic" else contextlib.nullcontext(None) as uid:
            environment = _environment(job, settings.threads, token)
            if uid is not None:
                _give_to(job, uid)
            handover = _HiddenHandover(plan_directory, plan, uid)
            run = _run(job, tier, uid, token, environment, settings, planned, watch, handover)
            return run, handover.snapshot is not None
    finally:
        shutil.rmtree(job, ignore_errors=True)


def _run(
    job: Path,
    tier: str,
    uid: int | None,
    token: str,
    environment: dict[str, str],
    settings: SandboxSettings,
    planned: set[int] | None = None,
    watch: Callable[[Path], None] | None = None,
    handover: "_HiddenHandover | None" = None,
) -> SandboxRun:
    # One budget for everything the run holds (its processes, its /tmp, its files), where the
    # machine lets the grader make memory cgroups; RLIMIT_DATA still bounds each process.
    group = MemoryGroup.create(settings.memory_bytes, token) if settings.memory_group else None
    command = _wrap(tier, job, uid, _child_command(job))
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            group.wrap(command) if group else command,
            cwd=job,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=write_end,
            start_new_session=True,
        )
    except BaseException:
        os.close(read_end)
        if group:
            group.close()
        raise
    finally:
        os.close(write_end)
    output = _CappedOutput(read_end, settings.max_output_bytes)
    ending: Literal["finished", "timeout", "crashed"]
    try:
        exit_code: int | None = _wait(
            process, started + settings.timeout_seconds, job, watch, handover
        )
        ending = "finished" if exit_code == 0 else "crashed"
    except subprocess.TimeoutExpired:
        exit_code, ending = None, "timeout"
    finally:
        _kill_session(process)
        process.wait()
        if uid is not None:
            _kill_uid(uid)
        _kill_token(token)
        oom_killed = group.oom_killed() if group else False
        if group:
            group.close()
    seconds = time.perf_counter() - started
    text = output.finish()
    if exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        ending = "timeout"  # the CPU-time limit: a timeout in all but name
    report = read_report(job / "out", planned, settings.report_bytes)
    if handover is not None:
        report = handover.merged(report)
    return SandboxRun(ending, exit_code, seconds, text, report, tier, output.total, oom_killed)


def _wait(
    process: subprocess.Popen,
    deadline: float,
    job: Path,
    watch: Callable[[Path], None] | None,
    handover: "_HiddenHandover | None" = None,
) -> int:
    """The child's exit code; TimeoutExpired at the deadline. Meanwhile the hidden calls are
    handed over when their time comes, and a watcher looks at the records."""
    if watch is None and (handover is None or not handover.pending):
        return process.wait(timeout=max(0.0, deadline - time.perf_counter()))
    watched = 0.0
    while True:
        remaining = deadline - time.perf_counter()
        try:
            return process.wait(timeout=max(0.0, min(PHASE_INTERVAL_SECONDS, remaining)))
        except subprocess.TimeoutExpired:
            if remaining <= PHASE_INTERVAL_SECONDS:
                raise
        if handover is not None:
            handover.poll(job)
        if watch is not None and time.perf_counter() - watched >= WATCH_INTERVAL_SECONDS:
            watched = time.perf_counter()
            with contextlib.suppress(Exception):  # showing early is a courtesy, never a verdict
                watch(job / "out")


# ---- Reading what the child wrote --------------------------------------------------------


class _Invalid(Exception):
    pass


def _open_written(path: Path, limit: int) -> BinaryIO:
    """Open a file the child wrote, if it is a regular file of at most `limit` bytes.

    Never a link to elsewhere, a pipe that would block, a device that never ends, or a folder.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise _Invalid(f"{path.name} cannot be opened ({error.strerror})") from None
    info = os.fstat(descriptor)
    problem = "is not a regular file" if not stat.S_ISREG(info.st_mode) else None
    if problem is None and info.st_size > limit:
        problem = "is too large"
    if problem is not None:
        os.close(descriptor)
        raise _Invalid(f"{path.name} {problem}")
    return os.fdopen(descriptor, "rb")


class _OverBudget(Exception):
    pass


class _Budget:
    """Bytes the records of one run may take in the grader, charged before they are read."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def charge(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _OverBudget


def _load_arrays(path: Path, budget: _Budget | None = None) -> dict[str, np.ndarray]:
    if not os.path.lexists(path):
        return {}
    with _open_written(path, MAX_RECORD_ARRAY_BYTES) as stream:
        try:
            # Sizes as unpacked, before anything is unpacked: a small file may hold a zip bomb.
            with zipfile.ZipFile(stream) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_RECORD_ARRAY_BYTES:
                raise _Invalid(f"{path.name} unpacks to {unpacked} bytes, too many")
            if budget is not None:
                budget.charge(unpacked)
            stream.seek(0)
            with np.load(stream, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (_Invalid, _OverBudget):
            raise
        except Exception as error:
            raise _Invalid(f"{path.name} is not a valid array file ({error})") from None
    for name, array in arrays.items():
        if array.dtype.kind not in ARRAY_KINDS:
            raise _Invalid(f"array {name} has dtype {array.dtype}")
        array.flags.writeable = False  # what a check reads cannot be changed by another check
    return arrays


def _check_encoded(value: Any, arrays: dict[str, np.ndarray], depth: int = 0) -> None:
    """An encoded value may only be one of the shapes grader.isolation.protocol.Encoder writes."""
    if depth > 8 or not isinstance(value, dict) or not value or not set(value) <= ENCODED_KEYS:
        raise _Invalid("a value has an unknown shape")
    if "array" in value and not (isinstance(value["array"], str) and value["array"] in arrays):
        raise _Invalid(f"missing array {str(value['array'])[:100]}")
    if "literal" in value and not isinstance(value["literal"], None | bool | int | float | str):
        raise _Invalid("a literal is not a literal")
    for key in ("tuple", "list"):
        if key in value:
            if not isinstance(value[key], list):
                raise _Invalid(f"a {key} is not a list")
            for item in value[key]:
                _check_encoded(item, arrays, depth + 1)
    if "model" in value:
        model = value["model"]
        if not (isinstance(model, dict) and isinstance(model.get("config"), str)):
            raise _Invalid("a model has no config")
        if not isinstance(model.get("compile"), dict | None):
            raise _Invalid("a model's compile settings are malformed")
        weights = model.get("weights")
        if not isinstance(weights, list) or any(
            not (isinstance(name, str) and name in arrays) for name in weights
        ):
            raise _Invalid("a model's weights are missing")
    if "history" in value:
        history = value["history"]
        metrics = history.get("history") if isinstance(history, dict) else None
        if not isinstance(metrics, dict) or not all(
            isinstance(series, list) and all(isinstance(x, int | float) for x in series)
            for series in metrics.values()
        ):
            raise _Invalid("a history is malformed")
        if not isinstance(history.get("epoch"), list):
            raise _Invalid("a history has no epochs")


def _read_json(path: Path, budget: _Budget | None = None) -> bytes:
    """The file's bytes; pydantic refuses those that are not UTF-8 JSON."""
    with _open_written(path, MAX_RECORD_JSON_BYTES) as stream:
        if budget is not None:
            budget.charge(os.fstat(stream.fileno()).st_size)
        return stream.read(MAX_RECORD_JSON_BYTES)


def _read_call(
    path: Path, budget: _Budget | None = None
) -> tuple[CallRecord, dict[str, np.ndarray]]:
    try:
        record = CallRecord.model_validate_json(_read_json(path, budget))
    except ValidationError as error:
        raise _Invalid(f"{path.name} is malformed ({error.error_count()} problems)") from None
    if path.name != f"call-{record.id}.json":
        raise _Invalid(f"{path.name} claims to be call {record.id}")
    arrays = _load_arrays(path.with_suffix(".npz"), budget)
    prefix = f"c{record.id}_"
    if any(not name.startswith(prefix) for name in arrays):
        raise _Invalid(f"{path.name} holds arrays of another call")
    if record.returned is not None:
        _check_encoded(record.returned, arrays)
    for changed in record.changed.values():
        _check_encoded(changed, arrays)
    return record, arrays


# How much of each call record a look reads: "raised" comes after the returned value, which is
# a few names for anything but a model (and a model's key comes first in it).
LOOK_BYTES = 1 << 16


def answered_a_call(records: Path, looked_at: set[str]) -> bool:
    """Has the child recorded a call that returned, rather than raised? A cheap look while it
    runs, for timing only (when the grader starts importing Keras), never for judging: each
    record file is read once (`looked_at` holds those already read), never through a link,
    and only its first LOOK_BYTES."""
    listed = itertools.islice(records.glob("call-*.json"), MAX_RECORD_ENTRIES)
    for path in listed:
        if path.name in looked_at or len(looked_at) >= MAX_RECORD_ENTRIES:
            continue
        looked_at.add(path.name)
        try:
            with _open_written(path, MAX_REPORT_BYTES) as stream:
                head = stream.read(LOOK_BYTES)
        except (_Invalid, OSError):
            continue
        if b'"raised":null' in head or b'{"model":' in head:
            return True
    return False


def _expected_names(planned: set[int]) -> set[str]:
    """Every file name the harness may leave in its records folder (grader.isolation.protocol)."""
    stems = ["import", *(f"call-{number}" for number in planned)]
    names = {DONE_NAME, PUBLIC_DONE}
    for stem in stems:
        names |= {f"{stem}.json", f"{stem}.npz", f"{stem}.json.partial"}
    return names


def _forged_entries(directory: Path, planned: set[int]) -> list[str]:
    """Why the records folder holds what the harness did not write, if it does (described
    without the names the submission chose: they may be crafted to mislead a reader)."""
    expected = _expected_names(planned)
    unexpected = 0
    try:
        with os.scandir(directory) as entries:
            for number, entry in enumerate(entries):
                if number >= MAX_RECORD_ENTRIES:
                    return [f"more than {MAX_RECORD_ENTRIES} files among the records"]
                if entry.name not in expected or not entry.is_file(follow_symlinks=False):
                    unexpected += 1
    except OSError:
        return ["the records folder cannot be listed"]
    forged = [f"{unexpected} file(s) the grader did not write"] if unexpected else []
    done = directory / DONE_NAME
    try:
        finished = os.lstat(done).st_ctime_ns
    except OSError:
        return forged  # the harness did not finish (it was stopped, or the process died)
    for name in sorted(expected - {DONE_NAME, PUBLIC_DONE}):
        with contextlib.suppress(OSError):
            if os.lstat(directory / name).st_ctime_ns > finished:
                forged.append("records written after the grader's calls had finished")
                break
    return forged


def read_report(
    directory: Path, planned: set[int] | None = None, limit: int | None = None
) -> ChildReport:
    """The child's records that pass validation; the others are listed as problems.

    Only the records of planned calls are read (all call-N files when `planned` is None), and
    no more than `limit` (MAX_REPORT_BYTES) bytes of them in all, whatever the submission wrote.
    """
    problems: list[str] = []
    forged: list[str] = []
    budget = _Budget(MAX_REPORT_BYTES if limit is None else limit)
    imported = None
    import_path = directory / "import.json"
    if os.path.lexists(import_path):
        try:
            imported = ImportRecord.model_validate_json(_read_json(import_path, budget))
        except (ValidationError, _Invalid):
            problems.append("import.json is malformed")
        except _OverBudget:
            return ChildReport(None, {}, {}, ("the records exceed the size limit",), (), True)
    if planned is None:
        numbers = sorted(
            int(path.name[5:-5])
            for path in directory.glob("call-*.json")
            if path.name[5:-5].isdigit()
        )[:MAX_RECORD_ENTRIES]
    else:
        numbers = sorted(planned)
        forged = _forged_entries(directory, planned)
    calls: dict[int, CallRecord] = {}
    arrays: dict[str, np.ndarray] = {}
    over_budget = False
    for number in numbers:
        path = directory / f"call-{number}.json"
        if not os.path.lexists(path):
            continue
        try:
            record, record_arrays = _read_call(path, budget)
        except _Invalid as error:
            problems.append(str(error))
            continue
        except _OverBudget:
            over_budget = True
            problems.append("the records exceed the size limit")
            break
        calls[record.id] = record
        arrays.update(record_arrays)
    return ChildReport(imported, calls, arrays, tuple(problems), tuple(forged), over_budget)
