"""The only code that runs next to the student's: import the submission, make the planned calls,
write what happened as plain data. Run as `python -I -m grader.isolation.child JOB_DIRECTORY`.

Nothing here decides anything. The student's code can tamper with this process as it likes;
all it can change is the data written about its own functions, which the parent validates
and judges in a process that never imports it.
"""

import gc
import importlib.util
import json
import os
import random
import resource
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.ending import end_now
from grader.isolation.protocol import (
    HIDDEN_ARRAYS,
    HIDDEN_PLAN,
    PUBLIC_DONE,
    Argument,
    CallRecord,
    Encoder,
    ImportRecord,
    Plan,
    PlannedCall,
    RaisedError,
    StudentFrame,
    array_digest,
    write_record,
)

STUDENT_MODULE = "student_template"
# What a passed-on call's record says it returned: the value itself stayed in this process.
KEPT = {"opaque": "result kept in the sandbox"}


class Job:
    """What the parent laid out in the job directory (see grader.isolation.sandbox)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pid = os.getpid()  # the harness; a copy the submission forked writes nothing
        settings = json.loads((directory / "job.json").read_text())
        self.submission = directory / settings["submission"]
        self.output = directory / "out"
        self.seed: int = settings["seed"]
        self.mnist_path = Path(settings["mnist"])  # the data view, whichever dataset it is
        self.dataset: str | None = settings.get("dataset", "mnist")
        self.max_file_bytes: int = settings["max_file_bytes"]
        self.limits: dict[int, int] = {
            resource.RLIMIT_DATA: settings.get("memory_bytes", resource.RLIM_INFINITY),
            resource.RLIMIT_CPU: settings.get("cpu_seconds", resource.RLIM_INFINITY),
            resource.RLIMIT_NOFILE: settings.get("max_open_files", resource.RLIM_INFINITY),
            resource.RLIMIT_NPROC: settings.get("max_processes", resource.RLIM_INFINITY),
        }
        self.plan = Plan.model_validate_json((directory / "plan.json").read_text())
        with np.load(directory / "plan.npz", allow_pickle=False) as arrays:
            self.arrays = {name: arrays[name] for name in arrays.files}


def describe(error: BaseException, submission: Path) -> RaisedError:
    """The exception's type, message and the lines of the student's file it passed through."""
    frames = [
        StudentFrame(line=frame.lineno or 0, function=frame.name, text=(frame.line or "")[:300])
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == str(submission)
    ]
    if isinstance(error, SyntaxError) and error.filename == str(submission):
        frames.append(
            StudentFrame(line=error.lineno or 0, function="<module>", text=(error.text or "")[:300])
        )
    return RaisedError(type=type(error).__name__, message=str(error)[:2000], frames=tuple(frames))


def limit_resources(job: Job) -> None:
    """Before any student code: no core dumps, no giant files, a data segment (memory), CPU
    time, open files and processes (threads) bounded. Hard limits, so they stay; a limit above
    the current hard one is left as it is. The CPU limit's soft value sends SIGXCPU, the hard
    one a few seconds later SIGKILL. RLIMIT_NPROC binds only a non-root uid (the sandbox's)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limits = {resource.RLIMIT_FSIZE: job.max_file_bytes, **job.limits}
    for kind, value in limits.items():
        _, hard = resource.getrlimit(kind)
        if value == resource.RLIM_INFINITY or (hard != resource.RLIM_INFINITY and value > hard):
            continue
        soft_hard = (value, value + 5) if kind == resource.RLIMIT_CPU else (value, value)
        if hard != resource.RLIM_INFINITY:
            soft_hard = (min(soft_hard[0], hard), min(soft_hard[1], hard))
        resource.setrlimit(kind, soft_hard)


def prepare_keras(job: Job) -> None:
    """Seed everything and point keras' MNIST loader at the sandbox's copy (no network here).
    A job without a dataset is an exercise without Keras: seeded, and Keras never imported."""
    if job.dataset is None:
        seed_everything(job)
        return
    import keras
    import keras.src.datasets.mnist as keras_mnist

    keras.utils.set_random_seed(job.seed)
    if job.dataset == "mnist":
        keras_mnist.get_file = lambda *arguments, **keywords: str(job.mnist_path)
    else:
        serve_dataset(job.dataset, job.mnist_path)


def seed_everything(job: Job) -> None:
    """The job's seed for Python, numpy and, once anything imported it, Keras (with TensorFlow)."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "utils"):
        keras.utils.set_random_seed(job.seed)
    else:
        random.seed(job.seed)
        np.random.seed(job.seed)


def serve_dataset(name: str, view: Path) -> None:
    """keras.datasets.<name>.load_data() answers the sandbox's view of the data: the source
    module and every API module already bound to it (tf.keras binds when first imported, from
    the patched source)."""
    import importlib

    def load_data(*arguments: Any, **keywords: Any) -> Any:
        with np.load(view, allow_pickle=False) as arrays:
            return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])

    importlib.import_module(f"keras.src.datasets.{name}").load_data = load_data
    for module_name, module in list(sys.modules.items()):
        if module_name.endswith(f"datasets.{name}") and hasattr(module, "load_data"):
            module.load_data = load_data


def only_the_harness(job: Job) -> None:
    """A process the submission forked that comes back into the harness (a fork bomb whose
    fork failed, say) ends here, silently: only the harness's own process writes records."""
    if os.getpid() != job.pid:
        os._exit(0)


def import_submission(job: Job) -> ModuleType | None:
    started = time.perf_counter()
    raised = None
    module = None
    try:
        spec = importlib.util.spec_from_file_location(STUDENT_MODULE, job.submission)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[STUDENT_MODULE] = module
        spec.loader.exec_module(module)
    except BaseException as error:  # SystemExit and KeyboardInterrupt are the student's too
        raised = describe(error, job.submission)
        module = None
        if isinstance(error, MemoryError):  # free what the module holds, to write the record
            sys.modules.pop(STUDENT_MODULE, None)
            del error
            gc.collect()
    only_the_harness(job)
    missing = tuple(
        name for name in job.plan.functions if module is not None and not hasattr(module, name)
    )
    record = ImportRecord(seconds=time.perf_counter() - started, raised=raised, missing=missing)
    write_record(job.output, "import", record, {})
    return module


def resolve(argument: Any, job: Job, results: dict[int, Any]) -> Any:
    if argument.kind == "literal":
        return argument.value
    if argument.kind == "array":
        return job.arrays[argument.name].copy()
    value = results[argument.call]
    for index in argument.path:
        value = value[index]
    return value


def fingerprint(value: Any, argument: Argument) -> str | None:
    """A digest of an argument's state, to notice calls that change their inputs. Not for an
    array that is an earlier call's result: the grader replays those read-only and never
    applies a change to them, so hashing one (50,000 images, twice, for train) is wasted."""
    if isinstance(value, np.ndarray):
        return None if argument.kind == "reference" else array_digest(value)
    if hasattr(value, "get_weights") and type(value).__module__.startswith("keras"):
        return "|".join(array_digest(np.asarray(weight)) for weight in value.get_weights())
    return None


def make_call(
    call: PlannedCall,
    module: ModuleType,
    job: Job,
    results: dict[int, Any],
    passed_on: bool = False,
) -> None:
    """Make one planned call and write its record. A `passed_on` call's result stays here for
    the later calls that use it; its record holds no value (see Plan.passed_on)."""
    encoder = Encoder(prefix=f"c{call.id}_")
    started = time.perf_counter()
    returned = raised = None
    changed: dict[str, Any] = {}
    try:
        arguments = [resolve(argument, job, results) for argument in call.arguments]
        keywords = {key: resolve(argument, job, results) for key, argument in call.keywords.items()}
    except KeyError:
        arguments = keywords = None
        raised = RaisedError(type="Skipped", message="an earlier call this one needs failed")
    if arguments is not None and keywords is not None:
        inputs = {str(index): value for index, value in enumerate(arguments)} | keywords
        planned = {str(index): argument for index, argument in enumerate(call.arguments)}
        planned |= call.keywords
        before = {key: fingerprint(value, planned[key]) for key, value in inputs.items()}
        seed_everything(job)
        try:
            result = getattr(module, call.function)(*arguments, **keywords)
            results[call.id] = result
            returned = KEPT if passed_on else encoder.encode(result)
        except BaseException as error:
            raised = describe(error, job.submission)
        only_the_harness(job)
        for key, value in inputs.items():
            if before[key] is not None and fingerprint(value, planned[key]) != before[key]:
                changed[key] = encoder.encode(value)
    record = CallRecord(
        id=call.id,
        seconds=time.perf_counter() - started,
        returned=returned,
        raised=raised,
        changed=changed,
    )
    write_record(job.output, f"call-{call.id}", record, encoder.arrays)


def main(directory: Path) -> None:
    """Make the planned calls, then end the process at once (see leave)."""
    job = Job(directory)
    limit_resources(job)
    prepare_keras(job)
    module = import_submission(job)
    if module is not None:
        make_calls(job, module)
    finish(job)
    leave()


def make_calls(job: Job, module: ModuleType) -> None:
    results: dict[int, Any] = {}
    for call in job.plan.calls:
        if hasattr(module, call.function):
            make_call(call, module, job, results, call.id in job.plan.passed_on)
    if job.plan.pending:  # the hidden calls: handed over once these are recorded
        hidden = receive_hidden_calls(job)
        for call in hidden.calls:
            if hasattr(module, call.function):
                make_call(call, module, job, results, call.id in hidden.passed_on)


def receive_hidden_calls(job: Job) -> Plan:
    """Mark the public calls done, then wait for the grader to hand over the hidden ones (the
    run's time limit bounds the wait)."""
    (job.output / PUBLIC_DONE).write_text("{}")
    plan_path = job.directory / HIDDEN_PLAN
    while not plan_path.exists():
        time.sleep(0.02)
    with np.load(job.directory / HIDDEN_ARRAYS, allow_pickle=False) as arrays:
        job.arrays.update({name: arrays[name] for name in arrays.files})
    return Plan.model_validate_json(plan_path.read_text())


def finish(job: Job) -> None:
    """Mark the end of the planned calls: a record changed after this mark (an atexit hook, a
    thread left running) was not written by these calls, and voids the run (see sandbox.py)."""
    only_the_harness(job)
    (job.output / "done.json").write_text("{}")


def leave() -> None:
    """End the process without Python's teardown: once the done mark is written nothing is
    left to record, and the teardown costs a second of every run once TensorFlow is loaded.
    The submission's atexit hooks and leftover threads therefore never run; records written
    after the mark would void the run anyway (see sandbox.py)."""
    end_now(0)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
