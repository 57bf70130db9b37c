"""Rendering result records built by hand: gradebook CSV, Gradescope JSON, terminal feedback."""

import csv
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from grader.records import CaseResult, Outcome, QuestionResult, Status, SubmissionResult
from grader.render import (
    REDACTED,
    Redactor,
    gradebook_csv,
    gradescope_results,
    hidden_message,
    print_feedback,
    print_gradebook,
    write_outputs,
)

QUESTION_IDS = ["load", "normalize"]
SECRET = 'assert np.allclose(result, images / 255, atol=1e-6), "hidden expectation"'
HIDDEN_MESSAGE = "hidden failure: expected 0.4117647 at pixel (3, 7)"
PUBLIC_MESSAGE = "normalize returned dtype float64; expected float32"


def case(
    question: str, name: str, points: float, outcome: Outcome, hidden: bool = False, message=""
) -> CaseResult:
    return CaseResult(
        question=question,
        name=name,
        max_points=points,
        hidden=hidden,
        outcome=outcome,
        message=message,
    )


def result(
    submission: str = "alice",
    status: Status = Status.OK,
    note: str = "",
    public_message: str = PUBLIC_MESSAGE,
) -> SubmissionResult:
    """load: 1.5 of 2 points; normalize: 0.25 of 1.25 (one hidden pass, one hidden fail)."""
    return SubmissionResult(
        submission=submission,
        source=f"{submission}.py",
        sha256="0" * 64,
        status=status,
        note=note,
        questions=(
            QuestionResult(
                id="load",
                cases=(
                    case("load", "load: shapes", 1.5, Outcome.PASSED),
                    case("load", "load: dtype", 0.5, Outcome.FAILED, message=public_message),
                ),
            ),
            QuestionResult(
                id="normalize",
                cases=(
                    case("normalize", "normalize: seen", 0.25, Outcome.PASSED, hidden=True),
                    case(
                        "normalize",
                        "normalize: unseen",
                        1.0,
                        Outcome.FAILED,
                        hidden=True,
                        message=HIDDEN_MESSAGE,
                    ),
                ),
            ),
        ),
        seconds=3.25,
        grader_version="0.1.0",
    )


@pytest.fixture
def redact(tmp_path: Path) -> Redactor:
    checks = tmp_path / "normalize.py"
    checks.write_text(f"import numpy as np\n\n\ndef test_unseen(result, images):\n    {SECRET}\n")
    return Redactor([checks])


def feedback(submission: SubmissionResult, redact: Redactor) -> str:
    console = Console(record=True, width=200)
    print_feedback(submission, redact, console)
    return console.export_text()


def test_gradebook_csv_has_one_row_per_result():
    """Does grades.csv have the header and one row per result, points without trailing zeros?"""
    broken = result("bob", Status.ERROR, "SyntaxError while importing the file (line 3)")
    rows = list(csv.reader(io.StringIO(gradebook_csv([result(), broken], QUESTION_IDS))))
    header = ["submission", "load", "normalize", "total", "max", "status", "note", "source"]
    assert rows[0] == header
    assert rows[1] == ["alice", "1.5", "0.25", "1.75", "3.25", "ok", "", "alice.py"]
    assert rows[2][0] == "bob" and rows[2][5:] == ["error", broken.note, "bob.py"]
    assert len(rows) == 3


def test_gradescope_has_one_test_per_case():
    """Does results.json hold one test per case with name, number, scores, status, visibility?"""
    report = gradescope_results(result(), Redactor([]))
    assert [(test["name"], test["number"]) for test in report["tests"]] == [
        ("load: shapes", "1"),
        ("load: dtype", "2"),
        ("normalize: seen", "3"),
        ("normalize: unseen", "4"),
    ]
    assert report["tests"][0] == {
        "name": "load: shapes",
        "number": "1",
        "score": 1.5,
        "max_score": 1.5,
        "status": "passed",
        "visibility": "visible",
        "output": "",
    }
    assert report["tests"][1]["output"] == PUBLIC_MESSAGE
    assert (report["tests"][1]["score"], report["tests"][1]["status"]) == (0.0, "failed")
    assert report["score"] == result().total == 1.75


def test_gradescope_hidden_cases_show_only_pass_or_fail():
    """Do hidden cases show only after publishing, saying only whether they passed?"""
    report = gradescope_results(result(), Redactor([]))
    hidden = report["tests"][2:]
    assert [test["visibility"] for test in hidden] == ["after_published"] * 2
    assert [test["output"] for test in hidden] == ["Hidden check passed.", "Hidden check failed."]
    assert HIDDEN_MESSAGE not in json.dumps(report)


def test_redactor_removes_check_lines_from_what_students_see(redact):
    """Are lines of the check files removed from the note and public messages shown to students?"""
    leaked = result(note=f"import failed: {SECRET}", public_message=f"oops {SECRET} oops")
    report = gradescope_results(leaked, redact)
    text = json.dumps(report) + feedback(leaked, redact)
    assert "hidden expectation" not in text
    assert f"oops {REDACTED} oops" == report["tests"][1]["output"]
    assert REDACTED in report["output"]
    assert f"oops {REDACTED} oops" in feedback(leaked, redact)


def test_write_outputs_leaves_whole_files_only(tmp_path):
    """Does write_outputs write grades.csv and results/NAME.json, leaving no .partial files?"""
    out = tmp_path / "out"
    write_outputs([result(), result("bob")], QUESTION_IDS, out, Redactor([]))
    assert (out / "grades.csv").read_text() == gradebook_csv(
        [result(), result("bob")], QUESTION_IDS
    )
    for name in ("alice", "bob"):
        assert json.loads((out / "results" / f"{name}.json").read_text())["score"] == 1.75
    assert list(out.rglob("*.partial")) == []


def test_feedback_shows_public_failures_and_never_hidden_messages(redact):
    """Does the terminal feedback show why public cases failed, and never a hidden case's why?"""
    text = feedback(result(), redact)
    assert PUBLIC_MESSAGE in text
    assert "Hidden check failed." in text
    assert HIDDEN_MESSAGE not in text
    assert "Total: 1.75/3.25" in text


def test_feedback_shows_brackets_as_text(redact):
    """Is a message with brackets ("[batch, 784]", "[/]") shown as written, not as markup?"""
    message = "expected shape [batch, 784], got [/] and [red]"
    text = feedback(result(note="note [/b]", public_message=message), redact)
    assert message in text and "note [/b]" in text


def test_gradebook_table_shows_brackets_as_text():
    """Does the gradebook table show a submission name and note with brackets as written?"""
    console = Console(record=True, width=200)
    print_gradebook([result("[bold]eve", Status.ERROR, "ValueError: [/]")], QUESTION_IDS, console)
    text = console.export_text()
    assert "[bold]eve" in text and "ValueError: [/]" in text


@pytest.mark.parametrize(
    ("message", "diagnosis", "shown"),
    [
        (HIDDEN_MESSAGE, None, "Hidden check failed."),
        (HIDDEN_MESSAGE, "low_accuracy", "Hidden check failed: accuracy below the threshold."),
        (
            "normalize() raised ValueError at line 12 of your file (x.reshape(9)): cannot "
            "reshape array of size 7840000 into shape (9,)",
            "raised",
            "Hidden check failed: your normalize() raised ValueError.",
        ),
        ("the check could not use your results (ValueError: 0.965)", "raised", None),
        (
            "normalize() raised Leak_0_0_17_255 at line 3 of your file (raise ...): ...",
            "raised",
            "Hidden check failed: your normalize() raised an exception.",
        ),
    ],
)
def test_a_failed_hidden_case_says_what_kind_of_mistake_and_nothing_of_its_inputs(
    message, diagnosis, shown
):
    """Does a failed hidden case name the mistake's public kind (or which function raised
    which exception) while its message, inputs and figures stay out of what students read?"""
    failed = case("accuracy", "held-out", 1, Outcome.FAILED, hidden=True, message=message)
    failed = failed.model_copy(update={"diagnosis": diagnosis})
    text = hidden_message(failed)
    if shown is not None:
        assert text == shown
    assert text.startswith("Hidden check failed")
    for secret in ("0.4117647", "(3, 7)", "7840000", "line 12", "0.965", "reshape", "Leak"):
        assert secret not in text


def test_a_pass_says_what_was_reached_and_a_hidden_pass_does_not(redact):
    """Does a passed public case show what it reached (785 parameters), while a passed hidden
    case shows nothing of its own?"""
    public = case("load", "load: shapes", 1, Outcome.PASSED, message="785 parameters")
    hidden = case("load", "load: secret", 1, Outcome.PASSED, hidden=True, message="0.4117647")
    passed = result().model_copy(
        update={"questions": (QuestionResult(id="load", cases=(public, hidden)),)}
    )
    text = feedback(passed, redact)
    assert "785 parameters" in text
    assert "0.4117647" not in text
    report = gradescope_results(passed, redact)
    assert [test["output"] for test in report["tests"]] == [
        "785 parameters",
        "Hidden check passed.",
    ]


def test_every_results_json_comes_from_one_builder_and_meets_the_schema(tmp_path):
    """The fallback the Gradescope zip carries (copied into place when the autograder cannot
    start) is built like every other results.json, and Gradescope's schema accepts both."""
    import jsonschema

    from grader.config import load_config
    from grader.course.gradescope import autograder_files
    from grader.render import FALLBACK_MESSAGE, FALLBACK_RESULTS, gradescope_document

    schema = json.loads((Path(__file__).parent / "gradescope-results.schema.json").read_text())
    message = gradescope_document(0.0, 1.234, "Could not grade.")
    jsonschema.validate(message, schema)
    assert message["execution_time"] == 1.23 and message["tests"] == []
    files = autograder_files(load_config(), tmp_path)
    assert Path(FALLBACK_RESULTS) in files
    fallback = json.loads((tmp_path / FALLBACK_RESULTS).read_text())
    jsonschema.validate(fallback, schema)
    assert fallback == gradescope_document(0.0, 0.0, FALLBACK_MESSAGE)
    assert FALLBACK_RESULTS in (tmp_path / "run_autograder").read_text()
