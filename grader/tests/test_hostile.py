"""Broken and hostile submissions: each gets exactly one row, the right status, and no point it
did not earn honestly. Each file is the reference (or the template) plus one trick. The
hostile corpus (grader/tests/corpus/, graded in the suite's one class batch) holds the attacks
whose row says all there is to check: exits, monkeypatching, always-equal objects, searching for
the hidden inputs or claiming the public calls done early."""

import dataclasses

import pytest

from grader.config import EXAMPLES_DIRECTORY, SOLUTION_PATH
from grader.course.examples import strip_markers
from grader.grading import grade_submission
from grader.isolation.sandbox import rest_timeout
from grader.records import Outcome, Status
from grader.submissions import submission_at

REFERENCE = strip_markers(SOLUTION_PATH.read_text())
TRAIN_BODY = "    return model.fit(x_train, y_train, epochs=epochs, validation_data=(x_val, y_val))"
# Long enough to reach train() under the suite's load (about 10 s at worst), and for the second
# run, whose limit is this too (sandbox.rest_timeout), to import the file and answer.
SHORT_TIMEOUT_SECONDS = 20


def with_train_body(body: str) -> str:
    assert TRAIN_BODY in REFERENCE
    return REFERENCE.replace(TRAIN_BODY, body)


@pytest.fixture(scope="module")
def short_context(context):
    """The session's context with a short time limit, for submissions that never finish."""
    grading = context.config.grading.model_copy(update={"timeout_seconds": SHORT_TIMEOUT_SECONDS})
    config = context.config.model_copy(update={"grading": grading})
    return dataclasses.replace(context, config=config)


def grade_source(context, write_submission, name, source):
    return grade_submission(submission_at(write_submission(name, source)), context)


@pytest.mark.parametrize(
    ("name", "source", "note"),
    [
        ("syntax_error", REFERENCE + "\ndef broken(:\n    pass\n", "SyntaxError"),
        ("raises_at_import", REFERENCE + '\nraise RuntimeError("boom")\n', "RuntimeError"),
    ],
)
def test_import_failures_are_errors_with_no_points(context, write_submission, name, source, note):
    """Does a file that fails or exits while importing get status error, a note, and 0 points?"""
    result = grade_source(context, write_submission, name, source)
    assert result.status is Status.ERROR
    assert note in result.note
    assert result.total == 0
    assert all(c.outcome is not Outcome.PASSED for q in result.questions for c in q.cases)


def test_hang_in_train_keeps_honest_points(short_context, write_submission):
    """When train() never returns, do the cases answered before still count, and only those?
    The hidden cases' calls come after every public call (train's included), so they were
    never handed over; a second, short run makes those of functions that answered (the unseen
    images for normalize, the unseen digits for is_five). Every case but accuracy passes."""
    source = with_train_body("    import time\n    time.sleep(10**6)")
    result = grade_source(short_context, write_submission, "hang", source)
    assert result.status is Status.TIMEOUT
    assert "train()" in result.note
    cases = {case.name: case for question in result.questions for case in question.cases}
    assert {"normalize: images it has never seen", "labels: digits it has never seen"} <= set(cases)
    for name, case in cases.items():
        if case.question == "accuracy":
            assert case.outcome is not Outcome.PASSED, name
        else:
            assert case.outcome is Outcome.PASSED, (name, case.outcome, case.message)
    # The second run was bounded: a hang costs at most the timeout and a fifth of it more.
    limit = SHORT_TIMEOUT_SECONDS + rest_timeout(SHORT_TIMEOUT_SECONDS)
    assert result.seconds < limit + 15, result.seconds


def test_os_exit_inside_a_function_is_an_error(context, write_submission):
    """Does os._exit(0) in train() give status error, naming train(), with accuracy unearned?"""
    result = grade_source(
        context,
        write_submission,
        "exit_in_train",
        with_train_body("    import os\n    os._exit(0)"),
    )
    assert result.status is Status.ERROR
    assert "train()" in result.note
    assert {q.id: q.points for q in result.questions}["accuracy"] == 0


def test_forged_outputs_and_printed_passes_are_ignored(context, write_submission, tmp_path):
    """Do printed 'passed' lines and results files written by the student earn nothing? Files
    in the working folder are the student's own business; files planted among the grader's
    records void the run (tampered), with a note that repeats none of the planted names."""
    forged = (
        "import json, pathlib\n"
        "print('All tests passed!')\n"
        "for folder in (pathlib.Path.cwd(), pathlib.Path.cwd() / 'out'):\n"
        "    (folder / 'results.json').write_text(json.dumps({'score': 12}))\n"
        "    (folder / 'call-0.json').write_text('{\"score\": 12}')\n"
    )
    template = (EXAMPLES_DIRECTORY.parent.parent / "student_template.py").read_text()
    result = grade_source(context, write_submission, "forger", forged + template)
    assert result.total == 0
    assert result.status is Status.TAMPERED
    assert "results it did not write" in result.note
    assert "results.json" not in result.note and "call-0" not in result.note


def test_hidden_check_source_read_by_the_student_is_not_shown(context, write_submission):
    """Does a submission that reads the hidden checks and raises them as its error message
    get a row whose student-visible output holds no line of the check files?"""
    import json

    from grader.render import Redactor, gradescope_results

    leak = (
        "import grader.config, pathlib\n"
        "text = (grader.config.CHECKS_DIRECTORY / 'accuracy.py').read_text()\n"
        "raise RuntimeError(text)\n"
    )
    result = grade_source(context, write_submission, "leaker", leak)
    assert result.status is Status.ERROR
    redact = Redactor([question.path for question in context.questions])
    shown = json.dumps(gradescope_results(result, redact))
    for question in context.questions:
        for line in question.path.read_text().splitlines():
            if len(line.strip()) >= 16:
                assert line.strip() not in shown
