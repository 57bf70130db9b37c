"""Render result records: terminal feedback, CSV gradebook, Gradescope results.json.

What a student sees of a hidden case is its name, whether it passed and, when it failed, the
public kind of the mistake (a diagnosis title, or which of their functions raised which
exception), never its inputs, thresholds or message. Any text that crosses to a student is
scrubbed of lines of the check files, in case a submission managed to read them and echo them
in an exception message.
"""

import builtins
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.diagnoses import catalogue
from grader.files import write_whole
from grader.records import CaseResult, Outcome, QuestionResult, Status, SubmissionResult
from grader.text import capped, csv_cell, file_id, note, printable

TERMINAL_NOTE_CHARACTERS = 300

REDACTED = "[redacted]"
MIN_SECRET_LINE = 16
HIDDEN_VISIBILITY = "after_published"
MARKS = {
    Outcome.PASSED: "[green]✔ passed[/]",
    Outcome.FAILED: "[red]✘ failed[/]",
    Outcome.NOT_ATTEMPTED: "[yellow]… not attempted[/]",
    Outcome.NOT_RUN: "[red]✘ did not run[/]",
    Outcome.GRADER_ERROR: "[magenta]! grader error[/]",
}


class Redactor:
    """Removes lines of the grader's check files from text shown to students."""

    def __init__(self, check_files: list[Path]) -> None:
        self.secrets = sorted(
            {
                line.strip()
                for path in check_files
                for line in path.read_text().splitlines()
                if len(line.strip()) >= MIN_SECRET_LINE
            },
            key=len,
            reverse=True,
        )

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def row_note(result: SubmissionResult) -> str:
    """The instructor's note: why it ended as it did, and which mistakes the checks found."""
    if result.status is Status.OK and result.diagnoses:
        return "; ".join(filter(None, [result.note, "diagnoses: " + ", ".join(result.diagnoses)]))
    return result.note


def format_points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


# Exceptions a hidden case's message may name: Python's own and the ones Keras and TensorFlow
# raise for shapes and memory.
KNOWN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
) | {"InvalidArgumentError", "ResourceExhaustedError", "UnimplementedError", "InternalError"}

# How grader.checks words an exception raised by a student's function.
STUDENT_RAISED = re.compile(r"([A-Za-z_]\w{0,60})\(\) raised ([A-Za-z_][\w.]{0,80})")


def hidden_message(case: CaseResult) -> str:
    """Pass or fail and, for a failure, what kind of mistake: as a TA would answer "why?"
    about a test they may not show. Function and exception names are the student's own."""
    if case.outcome is Outcome.PASSED:
        return "Hidden check passed."
    raised = STUDENT_RAISED.match(case.message) if case.diagnosis == "raised" else None
    if raised:
        # Only exception names that are not the student's own: a class the submission made up
        # could carry a hidden input out in its name.
        kind = raised[2] if raised[2] in KNOWN_EXCEPTIONS else "an exception"
        return f"Hidden check failed: your {raised[1]}() raised {kind}."
    kind = catalogue().get(case.diagnosis or "")
    if kind is None:
        return "Hidden check failed."
    return f"Hidden check failed: {kind.title[:1].lower()}{kind.title[1:]}."


def student_message(case: CaseResult, redact: Redactor) -> str:
    """What the student may read about a case: only `hidden_message` when it is hidden."""
    if case.hidden:
        return hidden_message(case)
    return redact(note(case.message))


# ---- Terminal ----------------------------------------------------------------------------


def print_status(result: SubmissionResult, redact: Redactor, console: Console) -> None:
    """The submission's name, how its run ended, and the note saying why."""
    # Names and messages are text, not markup: "[batch, 784]" must show, "[/]" must not crash.
    console.print(f"[bold]{escape(printable(result.submission))}[/]  status: {result.status}")
    if result.note:
        console.print(f"  {escape(redact(note(result.note)))}")


def print_question(question: QuestionResult, redact: Redactor, console: Console) -> None:
    """One question: its points, every case with its verdict and, when it failed, why."""
    earned = f"{format_points(question.points)}/{format_points(question.max_points)}"
    console.print(f"\n[bold]{escape(question.id)}[/]  {earned}")
    for case in question.cases:
        console.print(f"  {MARKS[case.outcome]}  {escape(case.name)}", highlight=False)
        if case.outcome is not Outcome.PASSED and case.message:
            console.print(f"      {escape(student_message(case, redact))}", highlight=False)
        elif case.message and not case.hidden:  # what a pass reached: "785 parameters"
            console.print(f"      [dim]{escape(redact(note(case.message)))}[/]", highlight=False)


def print_total(result: SubmissionResult, console: Console, total_label: str = "Total") -> None:
    total = f"{format_points(result.total)}/{format_points(result.max_points)}"
    console.print(f"\n[bold]{total_label}: {total}[/]")


def print_feedback(
    result: SubmissionResult, redact: Redactor, console: Console, total_label: str = "Total"
) -> None:
    """The self-check report: every case with its verdict and, when it failed, why."""
    print_status(result, redact, console)
    for question in result.questions:
        print_question(question, redact, console)
    print_total(result, console, total_label)


def print_gradebook(
    results: list[SubmissionResult], question_ids: list[str], console: Console
) -> None:
    table = Table(title="Gradebook")
    for column in ["submission", *question_ids, "total", "status", "note"]:
        table.add_column(column, overflow="fold")
    for result in results:
        points = [format_points(q.points) for q in result.questions]
        total = f"{format_points(result.total)}/{format_points(result.max_points)}"
        # The terminal shows the start of a long note; grades.csv and report.html hold it whole.
        shown = escape(capped(note(row_note(result)), TERMINAL_NOTE_CHARACTERS))
        table.add_row(escape(printable(result.submission)), *points, total, result.status, shown)
    console.print(table)


# ---- Gradebook CSV -----------------------------------------------------------------------


def gradebook_csv(results: list[SubmissionResult], question_ids: list[str]) -> str:
    """One row per submission: points per question, total, max, status, a note and the file
    it was graded from (for an LMS download, the name the download gave it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", *question_ids, "total", "max", "status", "note", "source"])
    for result in results:
        points = {question.id: format_points(question.points) for question in result.questions}
        writer.writerow(
            [
                csv_cell(result.submission),
                *(points.get(question_id, "0") for question_id in question_ids),
                format_points(result.total),
                format_points(result.max_points),
                csv_cell(result.status.value),
                csv_cell(note(row_note(result))),
                csv_cell(result.source),
            ]
        )
    return buffer.getvalue()


# ---- Gradescope --------------------------------------------------------------------------


def gradescope_results(
    result: SubmissionResult, redact: Redactor, hidden_visibility: str = HIDDEN_VISIBILITY
) -> dict[str, Any]:
    """Gradescope's results.json: one test per case; hidden ones show when the config says."""
    tests = []
    for number, case in enumerate(
        (case for question in result.questions for case in question.cases), start=1
    ):
        tests.append(
            {
                "name": case.name,
                "number": str(number),
                "score": case.points,
                "max_score": case.max_points,
                "status": "passed" if case.outcome is Outcome.PASSED else "failed",
                "visibility": hidden_visibility if case.hidden else "visible",
                "output": student_message(case, redact),
            }
        )
    summary = f"Status: {result.status.value}."
    if result.note:
        summary += " " + redact(note(result.note))
    return gradescope_document(result.total, result.seconds, summary, tests)


# What a submission's results.json says when the autograder itself could not start (Python or
# the grader would not run): `grader export gradescope` writes it into the zip as
# FALLBACK_RESULTS, and run_autograder copies it into place when nothing else was written.
FALLBACK_RESULTS = "fallback-results.json"
FALLBACK_MESSAGE = (
    "The autograder could not start (not your fault). Your instructor can see the log and will "
    "regrade this submission."
)


def gradescope_document(
    score: float, seconds: float, output: str, tests: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Every results.json the grader writes is built here (Gradescope's specification): the
    submission's score and summary for the student, its stdout for staff only."""
    return {
        "score": score,
        "execution_time": round(seconds, 2),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests or [],
    }


def write_outputs(
    results: list[SubmissionResult],
    question_ids: list[str],
    out: Path,
    redact: Redactor,
    hidden_visibility: str = HIDDEN_VISIBILITY,
) -> None:
    """grades.csv and results/NAME.json, written whole and then moved into place."""
    (out / "results").mkdir(parents=True, exist_ok=True)
    for result in results:
        write_whole(
            out / "results" / f"{file_id(result.submission)}.json",
            json.dumps(gradescope_results(result, redact, hidden_visibility), indent=2),
        )
    write_whole(out / "grades.csv", gradebook_csv(results, question_ids))
