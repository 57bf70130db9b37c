"""Run one submission in a separate, limited child process and read back its plain-data records.

The child (grader.child) gets a fresh job directory holding a copy of the submission, the plan,
the plan's arrays and the sandbox's MNIST view; a scrubbed environment whose HOME, TMPDIR and
KERAS_HOME point inside it; no stdin; its output captured to a file; a wall-clock limit; and its
own session, whose every process is killed when it ends. What it wrote is validated here before
anything is read: sizes, schema, and arrays loaded without pickles.
"""

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import numpy as np
from pydantic import ValidationError

from grader.protocol import ARRAY_KINDS, CallRecord, ImportRecord

SUBMISSION_NAME = "student_template.py"
MAX_RECORD_JSON_BYTES = 20_000_000
MAX_RECORD_ARRAY_BYTES = 600_000_000
MAX_FILE_BYTES = 1 << 30
ENCODED_KEYS = {"array", "scalar", "literal", "tuple", "list", "model", "history", "opaque"}


@dataclass(frozen=True)
class SandboxSettings:
    timeout_seconds: float
    max_output_bytes: int
    seed: int


@dataclass(frozen=True)
class ChildReport:
    """Everything the child wrote that passed validation."""

    imported: ImportRecord | None
    calls: dict[int, CallRecord]
    arrays: dict[str, np.ndarray]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class SandboxRun:
    ending: Literal["finished", "timeout", "crashed"]
    exit_code: int | None
    seconds: float
    output: str
    report: ChildReport = field(repr=False)


def _environment(job: Path) -> dict[str, str]:
    """An allowlist, not a copy of ours: no secrets, no PYTHONPATH, no proxies."""
    for name in ("home", "tmp", "keras"):
        (job / name).mkdir()
    return {
        "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
        "HOME": str(job / "home"),
        "TMPDIR": str(job / "tmp"),
        "KERAS_HOME": str(job / "keras"),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MPLBACKEND": "Agg",
    }


def prepare_job(submission: Path, plan_directory: Path, mnist_view: Path, seed: int) -> Path:
    job = Path(tempfile.mkdtemp(prefix="grader-job-"))
    shutil.copyfile(submission, job / SUBMISSION_NAME)
    shutil.copyfile(plan_directory / "plan.json", job / "plan.json")
    shutil.copyfile(plan_directory / "plan.npz", job / "plan.npz")
    shutil.copyfile(mnist_view, job / "mnist.npz")
    (job / "out").mkdir()
    settings = {
        "submission": SUBMISSION_NAME,
        "seed": seed,
        "mnist": str(job / "mnist.npz"),
        "max_file_bytes": MAX_FILE_BYTES,
    }
    (job / "job.json").write_text(json.dumps(settings))
    return job


def _kill_session(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _read_output(path: Path, limit: int) -> str:
    with path.open("rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(max(0, size - limit))
        tail = stream.read(limit)
    prefix = f"[{size - limit} earlier bytes dropped]\n" if size > limit else ""
    return prefix + tail.decode("utf-8", errors="replace")


def run_submission(
    submission: Path, plan_directory: Path, mnist_view: Path, settings: SandboxSettings
) -> SandboxRun:
    """Run the child on one submission; its job directory is removed afterwards."""
    job = prepare_job(submission, plan_directory, mnist_view, settings.seed)
    try:
        started = time.perf_counter()
        with (job / "output.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-I", "-m", "grader.child", str(job)],
                cwd=job,
                env=_environment(job),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            ending: Literal["finished", "timeout", "crashed"]
            try:
                exit_code: int | None = process.wait(timeout=settings.timeout_seconds)
                ending = "finished" if exit_code == 0 else "crashed"
            except subprocess.TimeoutExpired:
                exit_code, ending = None, "timeout"
            finally:
                _kill_session(process)
                process.wait()
        seconds = time.perf_counter() - started
        output = _read_output(job / "output.log", settings.max_output_bytes)
        return SandboxRun(ending, exit_code, seconds, output, read_report(job / "out"))
    finally:
        shutil.rmtree(job, ignore_errors=True)


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


def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    if not os.path.lexists(path):
        return {}
    with _open_written(path, MAX_RECORD_ARRAY_BYTES) as stream:
        try:
            # Sizes as unpacked, before anything is unpacked: a small file may hold a zip bomb.
            with zipfile.ZipFile(stream) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_RECORD_ARRAY_BYTES:
                raise _Invalid(f"{path.name} unpacks to {unpacked} bytes, too many")
            stream.seek(0)
            with np.load(stream, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except _Invalid:
            raise
        except Exception as error:
            raise _Invalid(f"{path.name} is not a valid array file ({error})") from None
    for name, array in arrays.items():
        if array.dtype.kind not in ARRAY_KINDS:
            raise _Invalid(f"array {name} has dtype {array.dtype}")
    return arrays


def _check_encoded(value: Any, arrays: dict[str, np.ndarray], depth: int = 0) -> None:
    """An encoded value may only be one of the shapes grader.protocol.Encoder writes."""
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


def _read_json(path: Path) -> bytes:
    """The file's bytes; pydantic refuses those that are not UTF-8 JSON."""
    with _open_written(path, MAX_RECORD_JSON_BYTES) as stream:
        return stream.read(MAX_RECORD_JSON_BYTES)


def _read_call(path: Path) -> tuple[CallRecord, dict[str, np.ndarray]]:
    try:
        record = CallRecord.model_validate_json(_read_json(path))
    except ValidationError as error:
        raise _Invalid(f"{path.name} is malformed ({error.error_count()} problems)") from None
    if path.name != f"call-{record.id}.json":
        raise _Invalid(f"{path.name} claims to be call {record.id}")
    arrays = _load_arrays(path.with_suffix(".npz"))
    prefix = f"c{record.id}_"
    if any(not name.startswith(prefix) for name in arrays):
        raise _Invalid(f"{path.name} holds arrays of another call")
    if record.returned is not None:
        _check_encoded(record.returned, arrays)
    for changed in record.changed.values():
        _check_encoded(changed, arrays)
    return record, arrays


def read_report(directory: Path) -> ChildReport:
    """The child's records that pass validation; the others are listed as problems."""
    problems: list[str] = []
    imported = None
    import_path = directory / "import.json"
    if os.path.lexists(import_path):
        try:
            imported = ImportRecord.model_validate_json(_read_json(import_path))
        except (ValidationError, _Invalid):
            problems.append("import.json is malformed")
    calls: dict[int, CallRecord] = {}
    arrays: dict[str, np.ndarray] = {}
    for path in sorted(directory.glob("call-*.json")):
        try:
            record, record_arrays = _read_call(path)
        except _Invalid as error:
            problems.append(str(error))
            continue
        calls[record.id] = record
        arrays.update(record_arrays)
    return ChildReport(imported, calls, arrays, tuple(problems))
