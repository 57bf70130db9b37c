"""The student template and the example submissions are generated from the reference solution."""

import ast

import pytest

from grader.config import EXAMPLES_DIRECTORY, SOLUTION_PATH, TEMPLATE_PATH
from grader.course.examples import stale_examples
from grader.course.template import render_template, template_is_current
from grader.errors import GraderError
from grader.exercises import perceptron

MISTAKES = perceptron.mistakes()

API = ["EPOCHS", "load_mnist", "normalize", "is_five", "build_perceptron", "train"]


def test_template_matches_solution():
    """Is the committed student_template.py exactly what the solution generates?"""
    assert template_is_current(SOLUTION_PATH, TEMPLATE_PATH), "run `grader template`"


def test_examples_match_solution():
    """Are the committed example submissions exactly what the solution generates?"""
    assert stale_examples(SOLUTION_PATH, EXAMPLES_DIRECTORY, MISTAKES) == [], (
        "run `grader template`"
    )


def test_drift_is_detected(tmp_path):
    """Does a hand-edited template count as drifted?"""
    edited = tmp_path / "student_template.py"
    edited.write_text(TEMPLATE_PATH.read_text().replace("EPOCHS = 5", "EPOCHS = 6"))
    assert not template_is_current(SOLUTION_PATH, edited)


def test_solution_regions_become_not_implemented():
    """Is every answer region replaced by a NotImplementedError carrying its instruction?"""
    solution = SOLUTION_PATH.read_text()
    template = TEMPLATE_PATH.read_text()
    assert "BEGIN SOLUTION" not in template and "END SOLUTION" not in template
    assert template.count("raise NotImplementedError(") == solution.count("# BEGIN SOLUTION")
    assert "keras.datasets.mnist.load_data()\n" not in template.split("def load_mnist")[1][:400]


def test_template_defines_the_api_and_runs_nothing_at_import():
    """Does the template define the assignment's API, with only definitions at module level?"""
    tree = ast.parse(TEMPLATE_PATH.read_text())
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    names |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets}
    assert set(API) <= names
    allowed = (ast.Import, ast.ImportFrom, ast.Assign, ast.FunctionDef, ast.Expr, ast.If)
    assert all(isinstance(node, allowed) for node in tree.body)
    main_guards = [node for node in tree.body if isinstance(node, ast.If)]
    assert [ast.unparse(node.test) for node in main_guards] == ["__name__ == '__main__'"]


def test_unbalanced_markers_are_refused():
    """Does a region that never ends give a clear error instead of a broken template?"""
    with pytest.raises(GraderError, match="ends inside"):
        render_template("def f():\n    # BEGIN SOLUTION\n    return 1\n")


def test_every_mistake_changes_the_solution():
    """Does each example mistake actually differ from the reference?"""
    reference = (EXAMPLES_DIRECTORY / "reference.py").read_text()
    for mistake in MISTAKES:
        assert (EXAMPLES_DIRECTORY / f"{mistake.name}.py").read_text() != reference
