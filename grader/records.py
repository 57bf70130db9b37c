"""The one result record per submission; every output format is rendered from it."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Status(StrEnum):
    """How grading a submission ended. Only `grader_error` is our fault, never the student's."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    NOT_ATTEMPTED = "not_attempted"
    INVALID = "invalid"
    # An older submission of a student whose later one (named in the note) is graded instead.
    SUPERSEDED = "superseded"
    # The run's records were not all written by the grader's own calls: the row earns nothing.
    TAMPERED = "tampered"
    GRADER_ERROR = "grader_error"


class Outcome(StrEnum):
    """How one check case ended. Only `passed` earns points."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"
    NOT_RUN = "not_run"
    GRADER_ERROR = "grader_error"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseResult(_Record):
    question: str
    name: str
    max_points: float
    hidden: bool
    outcome: Outcome
    message: str = ""
    diagnosis: str | None = None

    @property
    def points(self) -> float:
        return self.max_points if self.outcome is Outcome.PASSED else 0.0


class QuestionResult(_Record):
    id: str
    cases: tuple[CaseResult, ...]

    @property
    def points(self) -> float:
        return sum(case.points for case in self.cases)

    @property
    def max_points(self) -> float:
        return sum(case.max_points for case in self.cases)

    @property
    def outcome(self) -> Outcome:
        """passed when every case passed; otherwise the first case's reason it did not."""
        for case in self.cases:
            if case.outcome is not Outcome.PASSED:
                return case.outcome
        return Outcome.PASSED


class SubmissionResult(_Record):
    submission: str
    source: str
    sha256: str
    status: Status
    note: str
    questions: tuple[QuestionResult, ...]
    seconds: float
    output: str = ""
    grader_version: str
    sandbox: str = ""  # the isolation tier the submission ran under (grader/isolation/sandbox.py)

    @property
    def total(self) -> float:
        return sum(question.points for question in self.questions)

    @property
    def max_points(self) -> float:
        return sum(question.max_points for question in self.questions)

    @property
    def diagnoses(self) -> list[str]:
        """Diagnosis codes of the cases that did not pass, in check order, without repeats."""
        codes = [case.diagnosis for q in self.questions for case in q.cases if case.diagnosis]
        return list(dict.fromkeys(codes))
