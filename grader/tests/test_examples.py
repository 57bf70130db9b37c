"""The reference earns full marks, the untouched template nothing, and each typical mistake
fails exactly the questions it should, with the diagnosis a TA would give.

The examples are graded once for the suite, in its shared class batch (class_batch.py), beside
the hostile corpus: these are their records as the batch's journal kept them."""

import pytest

from grader.exercises import perceptron
from grader.records import Outcome, Status, SubmissionResult
from grader.tests.class_batch import ClassBatch

MISTAKES = perceptron.mistakes()


@pytest.fixture(scope="module")
def graded(class_batch: ClassBatch):
    """An example's record by its name ("reference", "no_sigmoid", ...; "template")."""

    def record(name: str) -> SubmissionResult:
        return class_batch.results[f"honest_{name}"]

    return record


def test_reference_scores_full_marks(graded):
    """Does the reference solution pass every case, hidden ones included?"""
    result = graded("reference")
    failures = [(c.name, c.message) for q in result.questions for c in q.cases if c.points == 0]
    assert failures == []
    assert result.status is Status.OK
    assert result.total == result.max_points > 0


def test_untouched_template_is_not_attempted(graded):
    """Is the untouched template 'not attempted' (not 'wrong') with zero points?"""
    result = graded("template")
    assert result.status is Status.NOT_ATTEMPTED
    assert result.total == 0
    assert all(c.outcome is Outcome.NOT_ATTEMPTED for q in result.questions for c in q.cases)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: mistake.name)
def test_mistake_fails_exactly_its_questions(graded, mistake):
    """Does the mistake lose points only on its questions, each with the intended diagnosis?"""
    result = graded(mistake.name)
    assert result.status is Status.OK
    for question in result.questions:
        codes = {c.diagnosis for c in question.cases if c.outcome is not Outcome.PASSED}
        if question.id in mistake.fails:
            assert question.points < question.max_points, question.id
            assert mistake.fails[question.id] in codes, (question.id, codes)
        else:
            assert question.points == question.max_points, (question.id, codes)


def test_diagnosis_messages_name_the_cause(graded):
    """Do the public messages say what was observed and what to do?"""
    messages = {
        mistake.name: " ".join(
            c.message for q in graded(mistake.name).questions for c in q.cases if not c.hidden
        )
        for mistake in MISTAKES
    }
    assert "Divide the pixels by 255" in messages["unnormalized"]
    assert "expected every output in [0, 1]" in messages["no_sigmoid"]
    assert "28·28 + 1 = 785" in messages["dense10"] and "7850" in messages["dense10"]
    assert "activation goes inside Dense(...)" in messages["activation_in_add"]
    assert "Dense layers" in messages["hidden_layer"]
