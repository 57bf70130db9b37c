"""Every figure a student reads comes from the config, the check files and the data
(grader.course.figures): a document that disagrees with the grader fails here."""

import re

import pytest
import tomlkit

from grader.checks import load_questions
from grader.config import (
    CHECKS_DIRECTORY,
    DEFAULT_CONFIG_PATH,
    INSTRUCTIONS_PATH,
    REPOSITORY_ROOT,
    SOLUTION_PATH,
    STUDENT_README_PATH,
    TEMPLATE_PATH,
    Assignment,
    load_config_file,
)
from grader.course.figures import MARKER, documents, figures, plain, render_figures, stale_documents
from grader.errors import GraderError
from grader.render import format_points


def default_assignment() -> Assignment:
    return Assignment.of(load_config_file(DEFAULT_CONFIG_PATH), DEFAULT_CONFIG_PATH)


@pytest.fixture(scope="module")
def course():
    return load_config_file(DEFAULT_CONFIG_PATH)


def test_documents_show_the_course_figures(course):
    """Do INSTRUCTIONS, the student README and the course README show what the shipped config,
    checks and data give? (`grader template` rewrites them.)"""
    assert stale_documents(course) == [], "run `grader template`"


def test_a_changed_config_makes_every_document_stale(course, tmp_path):
    """The check can fail: with other epochs and points, each document is out of date."""
    document = tomlkit.parse(DEFAULT_CONFIG_PATH.read_text())
    document["accuracy"]["epochs"] = 7
    document["accuracy"]["check_epochs"] = 2
    document["questions"]["normalize"]["points"] = 3
    changed = tmp_path / "config.toml"
    changed.write_text(tomlkit.dumps(document))
    assert stale_documents(load_config_file(changed)) == list(documents(default_assignment()))


def test_each_document_marks_the_figures_a_student_needs():
    marked = {
        path: {m["name"] for m in MARKER.finditer(path.read_text())}
        for path in documents(default_assignment())
    }
    assert {"rubric", "max_points", "hidden_points", "graded_epochs", "check_epochs_words"} <= (
        marked[INSTRUCTIONS_PATH]
    )
    assert {"validation_baseline", "validation_floor", "test_baseline"} <= marked[INSTRUCTIONS_PATH]
    assert {"check_epochs_words", "public_points", "max_points"} <= marked[STUDENT_README_PATH]
    assert {"graded_epochs", "public_points"} <= marked[REPOSITORY_ROOT / "README.md"]


def test_figures_add_up(course):
    values = figures(course)
    public, hidden = float(values["public_points"]), float(values["hidden_points"])
    assert public + hidden == pytest.approx(course.max_points, abs=0.02)
    assert values["graded_epochs"] == str(course.accuracy.epochs)
    # The baselines are the data's: never saying "five" on MNIST's test set is 9108/10000.
    assert values["test_baseline"] == "0.9108"
    assert 0.90 < float(values["validation_baseline"]) < 0.92
    rows = [line for line in values["rubric"].splitlines() if line.startswith("| `")]
    questions = load_questions(CHECKS_DIRECTORY, course)
    assert len(rows) == len(questions)
    for row, question in zip(rows, questions, strict=True):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[0] == f"`{question.id}`"
        assert cells[1] == format_points(course.questions[question.id].points)


def test_an_unknown_figure_is_an_error():
    with pytest.raises(GraderError, match="unknown figure 'nope'"):
        render_figures("<!-- figure nope -->1<!-- /figure -->", {"a": "1"}, "X.md")


def test_a_reader_sees_values_without_markers(course):
    text = plain(INSTRUCTIONS_PATH.read_text())
    assert "<!-- figure" not in text and "<!-- /figure" not in text
    assert f"out of {figures(course)['max_points']} points" in text


def test_template_epochs_and_docstring_match_the_release(course):
    """EPOCHS in the template is the graded budget, and its docstring names the lesson by the
    name it has next to the template in the student release."""
    for path in (SOLUTION_PATH, TEMPLATE_PATH):
        text = path.read_text()
        assert re.search(rf"^EPOCHS = {course.accuracy.epochs}$", text, re.MULTILINE), path
        assert "Read INSTRUCTIONS.md" in text and "assignment/INSTRUCTIONS.md" not in text
