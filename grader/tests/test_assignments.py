"""An assignment is a folder: the engine grades one it has never heard of, with no change.

A tiny numpy exercise (double an array; average it) is written into a temporary folder with its
own config, reference solution and otter check files; `grader template`, `grader check` and
`grader grade --assignment FOLDER` then work on it as on the perceptron."""

import csv

import pytest

from grader.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    Assignment,
    config_path,
    find_assignments,
    load_config_file,
    relocated_config_text,
    use_assignment,
)
from grader.errors import GraderError
from grader.tests.tiny_assignment import TINY_CONFIG, grader_command, write_tiny_assignment

# ---- Finding and naming assignments (fast) ------------------------------------------------


def test_the_course_lists_its_assignments_by_name():
    found = find_assignments()
    assert found["perceptron"] == DEFAULT_CONFIG_PATH.resolve()


def test_an_assignment_is_chosen_by_name_or_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, "unused")
    use_assignment("perceptron")
    assert config_path() == DEFAULT_CONFIG_PATH.resolve()
    folder = write_tiny_assignment(tmp_path / "tiny")
    use_assignment(str(folder))
    assert config_path() == (folder / "config.toml").resolve()
    with pytest.raises(GraderError, match="No assignment named 'nope'; this course has: "):
        use_assignment("nope")


def test_a_folder_names_its_parts_and_its_defaults_are_the_standard_layout(tmp_path):
    folder = write_tiny_assignment(tmp_path / "tiny")
    assignment = Assignment.of(load_config_file(folder / "config.toml"), folder / "config.toml")
    assert assignment.name == "doubling" and assignment.title == "Double it"
    assert assignment.checks == (folder / "tests").resolve()
    assert assignment.solution == (folder / "solution.py").resolve()
    assert assignment.template == (folder / "student_template.py").resolve()
    assert assignment.exercise is None
    perceptron = Assignment.of(load_config_file(DEFAULT_CONFIG_PATH), DEFAULT_CONFIG_PATH)
    assert perceptron.template == DEFAULT_CONFIG_PATH.parent.parent / "student_template.py"


def test_a_copy_of_an_assignment_finds_its_parts_in_the_copy_layout(tmp_path):
    """A release or the Gradescope zip puts the config in assignment/, the checks in tests/
    and the template at the top, whatever the course's own layout."""
    source = tmp_path / "course" / "config.toml"
    source.parent.mkdir()
    source.write_text(TINY_CONFIG)
    text = relocated_config_text(TINY_CONFIG, Assignment.of(load_config_file(source), source))
    (tmp_path / "assignment").mkdir()
    (tmp_path / "assignment" / "config.toml").write_text(text)
    path = tmp_path / "assignment" / "config.toml"
    copy = Assignment.of(load_config_file(path), path)
    assert copy.checks == tmp_path / "tests" and copy.template == tmp_path / "student_template.py"
    assert copy.plan_directory == tmp_path / "assignment"
    assert 'name = "doubling"' in text and "timeout_seconds = 120" in text


# ---- Grading an assignment the engine has never seen (slow) -------------------------------


@pytest.mark.slow
def test_a_new_assignment_is_graded_with_no_engine_change(tmp_path):
    folder = write_tiny_assignment(tmp_path / "tiny")
    made = grader_command("template", "--assignment", str(folder), cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    template = (folder / "student_template.py").read_text()
    assert "raise NotImplementedError('Multiply by 2.')" in template
    assert (folder / "examples" / "reference.py").exists()

    right = tmp_path / "submissions" / "right.py"
    right.parent.mkdir()
    # An exercise without Keras: its sandbox never imports TensorFlow (five seconds a run).
    right.write_text(
        (folder / "examples" / "reference.py").read_text()
        + "\nimport sys\n\nassert 'tensorflow' not in sys.modules, 'TensorFlow was imported'\n"
    )
    wrong = tmp_path / "submissions" / "wrong.py"
    wrong.write_text(right.read_text().replace("* 2", "+ 2"))

    checked = grader_command("check", str(right), "--assignment", str(folder), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "double: a small array" in checked.stdout and "passed" in checked.stdout

    out = tmp_path / "grades"
    graded = grader_command(
        "grade",
        str(tmp_path / "submissions"),
        "--out",
        str(out),
        "--assignment",
        str(folder),
        cwd=tmp_path,
    )
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with (out / "grades.csv").open() as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"right", "wrong"}
    assert float(rows["right"]["total"]) == 3.0 and rows["right"]["status"] == "ok"
    assert float(rows["wrong"]["double"]) == 0.0 and float(rows["wrong"]["mean"]) == 1.0
    assert float(rows["wrong"]["total"]) == 1.0
    assert "normalize" not in (out / "grades.csv").read_text()
