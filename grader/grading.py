"""The grading pipeline: submission -> run in isolation -> evaluate -> score.

Each step is a small function over immutable records. The student's code only ever runs in
`run_submission`'s child process; everything here is the trusted side.
"""

import contextlib
import dataclasses
import hashlib
import importlib.util
import itertools
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import grader
from grader import text
from grader.check_helpers import marking_passed_on
from grader.checks import Question, load_questions, run_case, student_functions
from grader.config import (
    PUBLIC_PLAN_ARRAYS,
    PUBLIC_PLAN_JSON,
    Assignment,
    Config,
    active_config,
    config_path,
    current_assignment,
    exercise_module,
)
from grader.errors import GraderError
from grader.isolation.protocol import Plan, RaisedError, StoredPlan
from grader.isolation.sandbox import (
    MAX_RECORD_ENTRIES,
    MAX_REPORT_BYTES,
    MEMORY_ERRORS,
    SandboxRun,
    SandboxSettings,
    answered_a_call,
    read_report,
    run_submission,
    write_child_plans,
)
from grader.records import CaseResult, Outcome, QuestionResult, Status, SubmissionResult
from grader.replay import PlanRecorder, Replayer, plan_index, replay_exception
from grader.submissions import Submission


@dataclass(frozen=True)
class GradingContext:
    """Everything grading a batch shares, prepared once in a work directory."""

    config: Config
    questions: list[Question]
    plan: Plan
    plan_arrays: dict[str, np.ndarray]
    plan_directory: Path
    mnist_view: Path

    @property
    def assignment(self) -> Assignment:
        return Assignment.of(self.config, config_path())

    @property
    def sandbox(self) -> SandboxSettings:
        grading = self.config.grading
        return SandboxSettings(
            grading.timeout_seconds,
            grading.max_output_bytes,
            grading.seed,
            memory_bytes=grading.memory_megabytes << 20,
            cpu_seconds=grading.cpu_seconds,
            max_open_files=grading.max_open_files,
            max_processes=grading.max_processes,
            max_file_bytes=grading.max_file_megabytes << 20,
            threads=grading.threads,
            tier=grading.sandbox,
            dataset=sandbox_dataset(self.assignment),
        )


def load_reference(path: Path | None = None) -> ModuleType:
    """The reference solution (the assignment's, by default): trusted code, imported to learn
    which calls the checks make."""
    path = current_assignment().solution if path is None else path
    spec = importlib.util.spec_from_file_location("reference_solution", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def planning_stand_ins(assignment: Assignment) -> dict[str, Callable[..., Any]]:
    """Functions that answer for the reference's while the plan is recorded (no training, no
    download): the assignment's own, if it has any."""
    return dict(getattr(exercise_module(assignment), "PLANNING_STAND_INS", {}))


def sandbox_dataset(assignment: Assignment) -> str | None:
    """The keras dataset the sandbox serves (an exercise module's KERAS_DATASET, "mnist" if it
    names none); None for an assignment with no exercise module, whose child never imports
    Keras (a numpy exercise starts in a fraction of a second, not the five a Keras import
    takes)."""
    module = exercise_module(assignment)
    return None if module is None else getattr(module, "KERAS_DATASET", "mnist")


def sandbox_data(assignment: Assignment) -> dict[str, np.ndarray]:
    """The arrays keras' dataset loader serves inside the sandbox: none unless the assignment
    says which (and they never hold its held-out set)."""
    module = exercise_module(assignment)
    view = getattr(module, "sandbox_view", None)
    return view() if view is not None else {}


def build_plan(questions: list[Question], reference: ModuleType, seed: int) -> tuple[Plan, dict]:
    """Run every case against the reference through a recorder; its calls are the plan."""
    import keras

    recorder = PlanRecorder(reference, planning_stand_ins(current_assignment()))
    functions = {name: recorder.function(name) for name in student_functions(questions)}
    with marking_passed_on(recorder.mark_passed_on):
        for question in questions:
            recorder.question = question.id
            for case in question.cases:
                recorder.public = not case.hidden
                keras.utils.set_random_seed(seed)
                # Outcomes do not matter here (training is stood in for), except a check's own
                # bug (a call the plan cannot hold, passed_on misused): said now, not per student.
                outcome = run_case(case, functions)
                if outcome.outcome is Outcome.GRADER_ERROR:
                    raise GraderError(f"{case.name}: {outcome.message}")
    plan = Plan(
        calls=tuple(recorder.calls),
        functions=student_functions(questions),
        questions={q: tuple(calls) for q, calls in recorder.by_question.items()},
        hidden=tuple(c.id for c in recorder.calls if c.id not in recorder.public_calls),
        passed_on=tuple(sorted(recorder.passed_on)),
    )
    return plan, recorder.arrays


def prepare_context(
    config: Config,
    work_directory: Path,
    checks_directory: Path | None = None,
    public_only: bool = False,
    only: list[str] | None = None,
) -> GradingContext:
    """Load the checks and their plan, and write what every sandboxed run copies.

    The plan comes from the reference solution when it is here (a course's repository); a
    student release has none and ships the public plan `grader release` recorded instead.
    """
    if not public_only:
        config.require_hidden()
    # The check files read their settings through load_config(): they must see this config
    # (a calibration's, a self-check's budget), not whichever file the process started with.
    with active_config(config):
        assignment = current_assignment()
        checks = assignment.checks if checks_directory is None else checks_directory
        questions = load_questions(checks, config, public_only=public_only)
        if assignment.solution.exists():
            plan, arrays = cached_plan(questions, config)
        elif public_only:
            plan, arrays = load_public_plan(questions)
        else:
            raise GraderError(f"No reference solution at {assignment.solution}: grading needs it.")
        view = sandbox_data(assignment)
    if only:
        unknown = [q for q in only if q not in config.question_ids]
        if unknown:
            raise GraderError(
                f"No question {', '.join(map(repr, unknown))}; the questions are "
                f"{', '.join(config.question_ids)}."
            )
        questions = [question for question in questions if question.id in only]
        if plan.questions:  # else a plan from an older release: all calls, fewer cases
            plan = plan.only(only)
    work_directory.mkdir(parents=True, exist_ok=True)
    (work_directory / "plan.json").write_text(plan.model_dump_json())
    np.savez(work_directory / "plan.npz", **arrays)
    write_child_plans(work_directory, plan, arrays)
    mnist_view = work_directory / "sandbox-mnist.npz"
    np.savez(mnist_view, **view)
    return GradingContext(config, questions, plan, arrays, work_directory, mnist_view)


# ---- The plan, recorded once per checks, reference, config and grader ----------------------

PLAN_CACHE = "plans"
PLAN_CACHE_KEPT = 8  # the most recent plans kept; older ones are removed


def plan_key(questions: list[Question], config: Config) -> str:
    """What a recorded plan depends on: the cases (files and which of them run), the reference
    solution, the config and the grader's own source."""
    digest = hashlib.sha256(checks_digest(questions).encode())
    for question in questions:
        digest.update(b"\0".join(case.name.encode() for case in question.cases) + b"\1")
    solution = current_assignment().solution
    digest.update(solution.read_bytes() + b"\2" + config.model_dump_json().encode())
    package = Path(grader.__file__).parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\3" + path.read_bytes())
    return digest.hexdigest()[:40]


def cached_plan(questions: list[Question], config: Config) -> tuple[Plan, dict[str, np.ndarray]]:
    """The reference's plan, recorded (which imports Keras, some seconds) only when nothing it
    depends on was recorded before; kept in the data store, beside the datasets."""
    from grader.datasets import data_home

    folder = data_home() / PLAN_CACHE / plan_key(questions, config)
    try:
        plan = Plan.model_validate_json((folder / "plan.json").read_text())
        with np.load(folder / "plan.npz", allow_pickle=False) as saved:
            return plan, {name: saved[name] for name in saved.files}
    except Exception:  # not recorded yet, or damaged: record it again, in its place
        shutil.rmtree(folder, ignore_errors=True)
    plan, arrays = build_plan(questions, load_reference(), config.grading.seed)
    # A read-only store only means the plan is recorded again next time.
    with contextlib.suppress(OSError):
        _store_plan(folder, plan, arrays)
    return plan, arrays


def _store_plan(folder: Path, plan: Plan, arrays: dict[str, np.ndarray]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder.parent))
    try:
        np.savez(partial / "plan.npz", **arrays)
        (partial / "plan.json").write_text(plan.model_dump_json())
        # Atomic: readers see a whole plan or none. It fails when another process stored the
        # same plan first, which is as good.
        with contextlib.suppress(OSError):
            partial.rename(folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    recorded = sorted(
        (entry for entry in folder.parent.iterdir() if not entry.name.startswith(".")),
        key=lambda entry: entry.stat().st_mtime,
    )
    for stale in recorded[:-PLAN_CACHE_KEPT]:
        shutil.rmtree(stale, ignore_errors=True)


def checks_digest(questions: list[Question]) -> str:
    """Identifies the check files a plan was recorded from."""
    digest = hashlib.sha256()
    for question in questions:
        digest.update(question.id.encode() + b"\0" + question.path.read_bytes() + b"\0")
    return digest.hexdigest()


def save_public_plan(questions: list[Question], seed: int, directory: Path) -> list[Path]:
    """Record the plan of these (public) checks for a release that ships no reference."""
    plan, arrays = build_plan(questions, load_reference(), seed)
    stored = StoredPlan(checks=checks_digest(questions), plan=plan)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / PUBLIC_PLAN_JSON).write_text(stored.model_dump_json())
    np.savez(directory / PUBLIC_PLAN_ARRAYS, **arrays)
    return [directory / PUBLIC_PLAN_JSON, directory / PUBLIC_PLAN_ARRAYS]


def load_public_plan(questions: list[Question]) -> tuple[Plan, dict[str, np.ndarray]]:
    directory = current_assignment().plan_directory
    try:
        stored = StoredPlan.model_validate_json((directory / PUBLIC_PLAN_JSON).read_text())
        with np.load(directory / PUBLIC_PLAN_ARRAYS, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
    except FileNotFoundError as error:
        raise GraderError(
            f"Neither the reference solution nor a recorded plan ({error.filename}) is here: "
            "download the release again."
        ) from None
    if stored.checks != checks_digest(questions):
        raise GraderError(
            "The check files in tests/ differ from the ones this release was made with; "
            "restore them from the release."
        )
    return stored.plan, arrays


# ---- Evaluating one run ------------------------------------------------------------------


def _missing_function(name: str) -> Callable[..., Any]:
    def missing(*arguments: Any, **keywords: Any) -> Any:
        raised = RaisedError(type="NameError", message=f"the submission defines no {name}()")
        raise replay_exception(name, raised)

    return missing


def first_unrecorded_call(run: SandboxRun, plan: Plan) -> str | None:
    """The function the child was in when it stopped, if it stopped early."""
    missing = set(run.report.imported.missing) if run.report.imported else set()
    for call in plan.in_order():
        if call.id not in run.report.calls and call.function not in missing:
            return call.function
    return None


def evaluate(
    run: SandboxRun, context: GradingContext, shown: dict[str, str] | None = None
) -> list[CaseResult]:
    """Replay every case against the child's records, in this process, without student code.
    An error is shown in full once (`shown`: those already shown, see shown_once). Keras is
    imported only for a run that returned a model: nothing else needs it."""
    seed = seeding(run.report.holds_model())
    stopped_in = first_unrecorded_call(run, context.plan)
    reason = f"the submission stopped while running {stopped_in}()" if stopped_in else "unknown"
    replayer = Replayer(
        plan_index(context.plan.calls, context.plan_arrays),
        run.report.calls,
        run.report.arrays,
        reason,
        context.plan.passed_on,
    )
    missing = set(run.report.imported.missing) if run.report.imported else set()
    functions = {
        name: _missing_function(name) if name in missing else replayer.function(name)
        for name in context.plan.functions
    }
    results = []
    with active_config(context.config):  # cases that read settings as they run see this one
        for question in context.questions:
            for case in question.cases:
                seed(context.config.grading.seed)
                results.append(run_case(case, functions))
    return shown_once(results, shown)


def seeding(with_keras: bool) -> Callable[[int], None]:
    """What seeds each case: Keras's seeding (Python's, NumPy's and TensorFlow's generators)
    when a model is judged, else Python's and NumPy's (no TensorFlow is used without one)."""
    if with_keras:
        import keras

        return keras.utils.set_random_seed

    def seed(value: int) -> None:
        random.seed(value)
        np.random.seed(value)

    return seed


def shown_once(cases: list[CaseResult], first: dict[str, str] | None = None) -> list[CaseResult]:
    """One exception, one message: the first visible case that met it shows it in full; every
    later visible case it stopped says so in a line instead of repeating the traceback.
    `first` (message: case name) carries what was shown over from earlier calls."""
    first = {} if first is None else first
    collapsed = []
    for case in cases:
        if case.diagnosis == "raised" and case.message and not case.hidden:
            if case.message in first:
                function = case.message.split("(", 1)[0]
                message = (
                    f"Not run: {function}() raised the error shown for "
                    f"\u201c{first[case.message]}\u201d."
                )
                case = case.model_copy(update={"message": message})
            else:
                first[case.message] = case.name
        collapsed.append(case)
    return collapsed


def early_answers(
    context: GradingContext, shown: set[str]
) -> Callable[[Path], list[QuestionResult]]:
    """For a watcher of run_submission: given the records folder, the questions whose every
    call is now recorded, judged on the records so far, so that the self-check can print them
    before training ends. Questions in `shown` are skipped, and added once answered. Only the
    run's final reading counts for the result."""
    needs = {q.id: {call.id for call in context.plan.only([q.id]).calls} for q in context.questions}
    tried = set(shown)
    messages: dict[str, str] = {}  # errors already shown in full, over every batch printed

    def answered(records: Path) -> list[QuestionResult]:
        # Bounded: the folder is the submission's to fill with files.
        listed = itertools.islice(records.glob("call-*.json"), MAX_RECORD_ENTRIES)
        present = {int(path.name[5:-5]) for path in listed if path.name[5:-5].isdigit()}
        ready = [
            question
            for question in context.questions
            if question.id not in tried and needs[question.id] <= present
        ]
        if not ready or not (records / "import.json").exists():
            return []
        wanted = set().union(*(needs[question.id] for question in ready))
        tried.update(question.id for question in ready)  # once: on failure, they show at the end
        run = SandboxRun("finished", 0, 0.0, "", read_report(records, wanted), "", 0)
        cases = evaluate(run, dataclasses.replace(context, questions=ready), messages)
        shown.update(question.id for question in ready)
        return [
            QuestionResult(id=q.id, cases=tuple(c for c in cases if c.question == q.id))
            for q in ready
        ]

    return answered


# ---- Scoring -----------------------------------------------------------------------------


def _import_failure(raised: RaisedError) -> str:
    line = f" (line {raised.frames[-1].line})" if raised.frames else ""
    if raised.type == "SystemExit":
        return f"The file called sys.exit() while being imported{line}; nothing after it ran."
    return f"{raised.type} while importing the file{line}: {raised.message}"


def _status_and_note(
    run: SandboxRun, cases: list[CaseResult], context: GradingContext
) -> tuple[Status, str]:
    imported = run.report.imported
    stopped_in = first_unrecorded_call(run, context.plan)
    timeout = context.config.grading.timeout_seconds
    if run.ending == "timeout":
        where = f"in {stopped_in}()" if imported and stopped_in else "while being imported"
        return Status.TIMEOUT, f"Stopped after {timeout:g} s {where}; checks that ran before count."
    if run.report.over_budget:
        megabytes = MAX_REPORT_BYTES >> 20
        return Status.MEMORY, (
            f"The submission's results came to more than the grader reads ({megabytes} MB in "
            "all); the checks whose results were past that limit earn nothing."
        )
    if run.memory_exhausted:
        functions = {call.id: call.function for call in context.plan.calls}
        failed = [
            functions.get(number)
            for number, call in sorted(run.report.calls.items())
            if call.raised is not None and call.raised.type in MEMORY_ERRORS
        ]
        culprit = failed[0] if failed else stopped_in
        where = f"in {culprit}()" if imported and culprit else "while being imported"
        limit = context.config.grading.memory_megabytes
        return Status.MEMORY, (
            f"Ran out of memory {where} (limit {limit} MB); checks that ran before count."
        )
    if imported is None:
        return Status.ERROR, (
            f"The process ended while the file was being imported (exit code {run.exit_code}), "
            "before any check could run: remove calls like os._exit() or sys.exit()."
        )
    if imported.raised is not None:
        return Status.ERROR, _import_failure(imported.raised)
    if stopped_in is not None:
        return Status.ERROR, (
            f"The process ended during {stopped_in}() (exit code {run.exit_code}); "
            "the checks that need it earn nothing."
        )
    if any(case.outcome is Outcome.GRADER_ERROR for case in cases):
        return (
            Status.GRADER_ERROR,
            "A check failed because of a grader bug; this is not your fault.",
        )
    if all(case.outcome is Outcome.NOT_ATTEMPTED for case in cases):
        return Status.NOT_ATTEMPTED, "No function is implemented yet."
    notes = []
    if imported.missing:
        notes.append(f"Functions missing: {', '.join(imported.missing)}.")
    if run.report.problems:
        notes.append(f"{len(run.report.problems)} result(s) refused as malformed or too large.")
    return Status.OK, " ".join(notes)


TAMPERED_NOTE = (
    "The grader found results it did not write (files added to or changed in its records "
    "folder by the submission), so none of this run's results can be trusted and no points are "
    "given. If the submission was not meant to do this, ask the instructor to look at it."
)


def score(
    submission: Submission, run: SandboxRun, cases: list[CaseResult], context: GradingContext
) -> SubmissionResult:
    if run.report.forged:  # forgery voids the whole run, whatever the cases said
        result = _unscored(submission, context, Status.TAMPERED, TAMPERED_NOTE, run.tier)
        output = text.printable(run.output)
        return result.model_copy(update={"seconds": round(run.seconds, 2), "output": output})
    status, note = _status_and_note(run, cases, context)
    cases = [case.model_copy(update={"message": text.note(case.message)}) for case in cases]
    questions = tuple(
        QuestionResult(id=q.id, cases=tuple(c for c in cases if c.question == q.id))
        for q in context.questions
    )
    return SubmissionResult(
        submission=submission.name,
        source=submission.source,
        sha256=submission.sha256,
        status=status,
        note=text.note(note),
        questions=questions,
        seconds=round(run.seconds, 2),
        output=text.printable(run.output),
        grader_version=grader.__version__,
        sandbox=run.tier,
    )


def _unscored(
    submission: Submission, context: GradingContext, status: Status, note: str, sandbox: str = ""
) -> SubmissionResult:
    """A row for a submission no check could run on: every case earns nothing."""
    questions = tuple(
        QuestionResult(
            id=question.id,
            cases=tuple(
                CaseResult(
                    question=question.id,
                    name=case.name,
                    max_points=case.points,
                    hidden=case.hidden,
                    outcome=Outcome.NOT_RUN,
                )
                for case in question.cases
            ),
        )
        for question in context.questions
    )
    return SubmissionResult(
        submission=submission.name,
        source=submission.source,
        sha256=submission.sha256,
        status=status,
        note=text.note(note),
        questions=questions,
        seconds=0.0,
        grader_version=grader.__version__,
        sandbox=sandbox,  # "" when the submission never ran
    )


def grader_error_result(
    submission: Submission, context: GradingContext, error: Exception, seconds: float
) -> SubmissionResult:
    """The row for a submission our own code failed on: never counted against the student."""
    note = f"Grader error ({type(error).__name__}: {error}); not counted against the student."
    result = _unscored(submission, context, Status.GRADER_ERROR, note)
    return result.model_copy(update={"seconds": round(seconds, 2)})


# Set while an interrupted batch stops: runs its sandbox-killing cut short return at once,
# unjudged (their results are dropped), instead of importing Keras and replaying records.
STOPPING = threading.Event()


class GradingStopped(Exception):
    """A run cut short because the batch is stopping; never a row."""


class KerasImport:
    """Imports Keras in the background, for a run that needs it: judging a model needs Keras,
    and its import (about 2.5 s of CPU) then passes while the child runs instead of after it.
    A run that never returns a model (the untouched template, a file that fails to import) is
    judged without it, and a grading process that sees only such runs never imports it.

    Started (`look`, at every watch of the records folder) once a call of the child returned
    rather than raised: a file that answers is likely to return a model, and the import then
    has the rest of the run, training included, to finish in. Not earlier: loading
    TensorFlow's libraries holds the interpreter lock for long stretches, which delayed the
    child's launch by 0.6 s when the import ran beside it. `early` starts it at the first look
    instead, once the child is launched: the self-check shows answers as they come, and its
    model answers should not wait for the import. A run that returned a model is judged with
    Keras however the look went (`join`).
    """

    def __init__(self, early: bool = False) -> None:
        self.thread = threading.Thread(target=importlib.import_module, args=("keras",), daemon=True)
        self.early = early
        self.looked_at: set[str] = set()

    @property
    def started(self) -> bool:
        return self.thread.ident is not None

    def look(self, records: Path) -> None:
        if not self.started and (self.early or answered_a_call(records, self.looked_at)):
            self.thread.start()

    def join(self) -> None:
        if not self.started:
            self.thread.start()
        self.thread.join()


def grade_submission(
    submission: Submission,
    context: GradingContext,
    watch: Callable[[Path], None] | None = None,
) -> SubmissionResult:
    """Exactly one result, whatever the submission does; our own failures say they are ours.

    `watch` sees the records folder while the child runs (see sandbox.run_submission)."""
    if submission.superseded_by is not None:
        note = f"Superseded by {submission.superseded_by}, the same student's later submission."
        return _unscored(submission, context, Status.SUPERSEDED, note)
    if submission.problem is not None:
        note = submission.problem[:1].upper() + submission.problem[1:] + "."
        return _unscored(submission, context, Status.INVALID, note)
    started = time.perf_counter()
    try:
        keras_import = KerasImport(early=watch is not None)

        def watched(records: Path) -> None:
            keras_import.look(records)
            if watch is not None:
                watch(records)

        run = run_submission(
            submission.path,
            context.plan_directory,
            context.mnist_view,
            context.sandbox,
            watched,
            stopping=STOPPING,
        )
        if STOPPING.is_set():  # the batch was interrupted: this run was cut short, not judged
            raise GradingStopped(submission.name)
        if keras_import.started or run.report.holds_model():  # never left importing at exit
            keras_import.join()
        return score(submission, run, evaluate(run, context), context)
    except Exception as error:  # a bug of ours: never the student's fault
        return grader_error_result(submission, context, error, time.perf_counter() - started)
