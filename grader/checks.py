"""Load the otter check files in tests/ and run their cases against given functions.

Each file is an otter-grader exception-based test file; otter's own loader reads it, so points
are resolved exactly as stock otter resolves them. Running a case here means calling its
function with the names it asks for, taken from a mapping we control (recorded or replayed
functions), and classifying how it ended.
"""

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.check_helpers import collecting_reached, stop_reached
from grader.config import Assignment, Config, config_path, exercise_module
from grader.errors import GraderError
from grader.otter_files import ExceptionTestFile
from grader.records import CaseResult, Outcome
from grader.replay import CallNotRun, ReplayMiss, StudentRaised


@dataclass(frozen=True)
class Case:
    question: str
    name: str
    points: float
    hidden: bool
    function: Callable[..., None]

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.function).parameters)


@dataclass(frozen=True)
class Question:
    id: str
    path: Path
    cases: tuple[Case, ...]


def load_questions(directory: Path, config: Config, public_only: bool = False) -> list[Question]:
    """One question per configured id, read from `directory/<id>.py`, in gradebook order.
    The assignment's exercise module is loaded first: its check files may import it."""
    exercise_module(Assignment.of(config, config_path()))
    questions = []
    for question_id in config.question_ids:
        path = directory / f"{question_id}.py"
        if not path.exists():
            raise GraderError(
                f"No check file {path} for question {question_id!r}. The config's [assignment] "
                "paths are relative to its `root` (by default the config's own folder): a copy "
                "of a config kept elsewhere sets root to the assignment's folder."
            )
        checks = ExceptionTestFile.from_file(str(path))
        if checks.name != question_id:
            raise GraderError(f"{path} names its question {checks.name!r}, not {question_id!r}.")
        cases = tuple(
            Case(question_id, case.name, float(case.points), case.hidden, case.body.test_func)
            for case in checks.test_cases
            if not (public_only and case.hidden)
        )
        for case in cases:
            if "env" in case.parameters:
                raise GraderError(f"{path}: case {case.name!r} asks for env; name the functions.")
        questions.append(Question(question_id, path, cases))
    return questions


def student_functions(questions: list[Question]) -> tuple[str, ...]:
    """The names of the student's functions the checks ask for."""
    names = {name for question in questions for case in question.cases for name in case.parameters}
    return tuple(sorted(names))


def _student_message(error: StudentRaised) -> str:
    where = ""
    if error.frames:
        frame = error.frames[-1]
        where = f" at line {frame.line} of your file ({frame.text.strip()})"
    return f"{error.function}() raised {error.type_name}{where}: {error.summary}"


def run_case(case: Case, functions: Mapping[str, Callable[..., Any]]) -> CaseResult:
    """Call the case and classify its ending. Only a normal return is a pass."""

    def result(outcome: Outcome, message: str = "", diagnosis: str | None = None) -> CaseResult:
        return CaseResult(
            question=case.question,
            name=case.name,
            max_points=case.points,
            hidden=case.hidden,
            outcome=outcome,
            message=message,
            diagnosis=diagnosis,
        )

    notes, token = collecting_reached()
    try:
        case.function(**{name: functions[name] for name in case.parameters})
    except AssertionError as error:
        reason = error.args[0] if error.args else "a check failed"
        return result(Outcome.FAILED, str(reason), getattr(reason, "code", None))
    except StudentRaised as error:
        if isinstance(error, NotImplementedError):
            message = f"{error.function}() is not implemented yet: {error.summary}"
            return result(Outcome.NOT_ATTEMPTED, message, "not_attempted")
        return result(Outcome.FAILED, _student_message(error), "raised")
    except CallNotRun as error:
        return result(Outcome.NOT_RUN, str(error))
    except ReplayMiss as error:
        return result(Outcome.GRADER_ERROR, f"grader error: {error}")
    except Exception as error:
        message = f"the check could not use your results ({type(error).__name__}: {error})"
        return result(Outcome.FAILED, message[:1000], "wrong_result")
    finally:
        stop_reached(token)
    return result(Outcome.PASSED, "; ".join(notes)[:1000])
