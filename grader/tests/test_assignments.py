"""An assignment is a folder: the engine grades one it has never heard of, with no change.

A tiny numpy exercise (double an array; average it) is written into a temporary folder with its
own config, reference solution and otter check files; `grader template`, `grader check` and
`grader grade --assignment FOLDER` then work on it as on the perceptron."""

import ast
import csv
import subprocess
import sys

import pytest

from grader.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    REPOSITORY_ROOT,
    Assignment,
    config_path,
    find_assignments,
    load_config_file,
    relocated_config_text,
    use_assignment,
)
from grader.errors import GraderError
from grader.keras_errors import CATALOGUE, explain
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


# ---- What is the engine's and what is an exercise's (fast) --------------------------------

ENGINE = REPOSITORY_ROOT / "grader"


def _solution_functions(assignment: Assignment) -> set[str]:
    tree = ast.parse(assignment.solution.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_engine_names_no_exercise_of_its_own():
    """Every assignment's exercise module, mistakes and figures sit in its own folder; the
    engine's modules name no function that only one assignment asks for (is_five,
    build_classifier...). Words every assignment shares (normalize, train) are vocabulary."""
    assignments = [
        Assignment.of(load_config_file(path), path) for path in find_assignments().values()
    ]
    assert len(assignments) >= 2
    functions = [_solution_functions(assignment) for assignment in assignments]
    own = set.union(*functions) - set.intersection(*functions)
    assert {"is_five", "build_perceptron", "one_hot", "build_classifier"} <= own
    for assignment in assignments:
        assert assignment.exercise and assignment.exercise.endswith(".py"), assignment.name
        module = (assignment.root / assignment.exercise).resolve()
        assert module.is_file() and ENGINE not in module.parents, module
    engine = [
        path for path in ENGINE.rglob("*.py") if "tests" not in path.relative_to(ENGINE).parts
    ]
    for path in engine:
        words = set(path.read_text().replace("(", " ").replace(".", " ").split())
        assert not own & words, f"{path.relative_to(REPOSITORY_ROOT)} names {own & words}"


def test_check_files_reach_an_exercise_module_by_the_assignment_name():
    """`from grader.exercises import fashion` loads the module the fashion config names, once;
    a name no assignment has is simply not there (hasattr says False, naming none is loaded)."""
    from grader import exercises

    assert exercises.fashion.CLASSES == 10 and exercises.fashion is exercises.fashion
    assert exercises.perceptron.PERCEPTRON_PARAMETERS == 785
    assert not hasattr(exercises, "nope")
    with pytest.raises(AttributeError, match=r"this course has: .*fashion.*perceptron"):
        _ = exercises.nope


def test_loading_the_checks_needs_only_otter_s_check_file_loader():
    """The check files are read by otter's own loader (points as stock otter resolves them),
    without otter's notebook API, which costs every grader start 0.7 s (nbconvert, pandas)."""
    code = (
        "import sys\n"
        "from grader.checks import load_questions\n"
        "from grader.config import current_assignment, load_config\n"
        "questions = load_questions(current_assignment().checks, load_config())\n"
        "print(sum(case.points for question in questions for case in question.cases))\n"
        "print(sorted(set(sys.modules) & {'otter.api', 'nbconvert', 'pandas', 'otter.test_files'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY_ROOT
    )
    assert done.returncode == 0, done.stderr
    points, modules = done.stdout.splitlines()
    config = load_config_file(DEFAULT_CONFIG_PATH)
    assert float(points) == sum(question.points for question in config.questions.values())
    assert modules == "['otter.test_files']"


def test_each_exercise_says_its_own_keras_errors(monkeypatch):
    """The same Keras error gets each exercise's own advice: Dense(1) for the perceptron's
    'five or not', ten softmax units and one-hot rows for Fashion-MNIST; the engine's own
    sentence holds for any exercise."""
    one_unit = (
        "Arguments `target` and `output` must have the same shape. Received: "
        "target.shape=(None, 10), output.shape=(None, 1)"
    )
    integer_labels = (
        "Arguments `target` and `output` must have the same rank (ndim). Received: "
        "target.shape=(None,), output.shape=(None, 10)"
    )
    monkeypatch.setenv(CONFIG_ENV, str(DEFAULT_CONFIG_PATH))  # put back after the test
    use_assignment("perceptron")
    assert "so the model ends in Dense(1)" in explain(one_unit)
    use_assignment("fashion")
    fashion = explain(one_unit)
    assert "Dense(10, activation='softmax')" in fashion and "Dense(1)" not in fashion
    assert "to_categorical(labels, 10)" in explain(integer_labels)
    for error in (one_unit, integer_labels):
        said = [
            sentence(found) for pattern, sentence in CATALOGUE if (found := pattern.search(error))
        ]
        assert said and "Dense(1)" not in said[0] and "five" not in said[0], said


def test_a_report_knows_the_exercise_kinds_without_reading_check_files():
    """A merge or a report reads journals only: the catalogue still titles the exercise's own
    diagnosis codes (loading its exercise module registers them)."""
    code = (
        "from grader.diagnoses import KINDS, catalogue\n"
        "assert 'missing_sigmoid' not in KINDS\n"
        "print(catalogue()['missing_sigmoid'].title)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", CONFIG_ENV: str(DEFAULT_CONFIG_PATH)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Outputs not squashed into [0, 1]"


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
