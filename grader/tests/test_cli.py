"""The `grader` command as students and instructors run it, in subprocesses."""

import csv
import json
import os
import subprocess
import sys
import time

from grader.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    EXAMPLES_DIRECTORY,
    REPOSITORY_ROOT,
    TEMPLATE_PATH,
    load_config,
    load_config_file,
)
from grader.tests.test_release import public_total_line


def grader(*arguments, env=None, cwd=REPOSITORY_ROOT):
    return subprocess.run(
        [sys.executable, "-m", "grader", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=900,
    )


def test_check_fails_the_template_as_not_attempted():
    """Does `grader check` exit 1 on the untouched template, calling it not attempted?"""
    completed = grader("check", str(TEMPLATE_PATH))
    assert completed.returncode == 1
    assert "not attempted" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr


def test_check_shows_public_diagnosis_only():
    """Does a wrong submission's self-check name the cause, without hidden cases?"""
    completed = grader("check", str(EXAMPLES_DIRECTORY / "unnormalized.py"))
    assert completed.returncode == 1
    assert "Divide the pixels by 255" in completed.stdout
    assert "never sees" not in completed.stdout  # the hidden accuracy case is not run
    assert "Start with normalize: it is the first question that fails" in completed.stdout
    assert "ready for the follow-up project" not in completed.stdout


def test_check_trains_the_self_check_budget_and_still_catches_the_missing_sigmoid():
    """Does `grader check` train the config's check_epochs (not grading's epochs), and does
    the lesson's first bug still fail the public accuracy case at that budget? With the course
    config as shipped: the suite's own grades one epoch, as the self-check does."""
    settings = load_config_file(DEFAULT_CONFIG_PATH).accuracy
    assert settings.check_epochs is not None and settings.check_epochs < settings.epochs
    completed = grader(
        "check",
        str(EXAMPLES_DIRECTORY / "no_sigmoid.py"),
        "--only",
        "accuracy",
        env={CONFIG_ENV: str(DEFAULT_CONFIG_PATH)},
    )
    assert completed.returncode == 1
    assert f"After {settings.check_epochs} epoch(s) your model scores" in completed.stdout


def test_grade_writes_one_row_per_submission(tmp_path):
    """Does `grader grade` on a folder write grades.csv and results/ with a row for every entry?"""
    folder = tmp_path / "class"
    (folder / "ada").mkdir(parents=True)
    (folder / "ada" / "student_template.py").write_text(TEMPLATE_PATH.read_text())
    (folder / "bob.py").write_text("def broken(:\n")
    (folder / "carol.txt").write_text("not python")
    (folder / "dan").mkdir()
    out = tmp_path / "out"
    completed = grader("grade", str(folder), "--out", str(out))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with (out / "grades.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    config = load_config()
    header = ["submission", *config.question_ids, "total", "max", "status", "note", "source"]
    assert list(rows[0]) == header
    statuses = {row["submission"]: row["status"] for row in rows}
    assert statuses == {
        "ada": "not_attempted",
        "bob": "error",
        "carol.txt": "invalid",
        "dan": "invalid",
    }
    assert all(float(row["total"]) == 0 for row in rows)
    assert {row["max"] for row in rows} == {f"{config.max_points:g}"}
    for name in statuses:
        results = json.loads((out / "results" / f"{name}.json").read_text())
        assert results["score"] == 0 and results["tests"]


def test_missing_data_is_one_clear_line(tmp_path):
    """Without MNIST installed, does the grader say to run `grader data`, with no traceback?"""
    completed = grader("check", str(TEMPLATE_PATH), env={"GRADER_DATA": str(tmp_path / "empty")})
    assert completed.returncode == 2
    assert "grader data" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr


def test_template_check_command():
    """Does `grader template --check` confirm the committed template and the documents'
    figures are current? (With the course's config as shipped: the suite's own config trains
    fewer epochs, which the documents do not describe, and the command says so.)"""
    completed = grader("template", "--check", "--assignment", "perceptron")
    assert completed.returncode == 0, completed.stdout
    stale = grader("template", "--check")
    assert stale.returncode == 1 and "Out of date: assignment/INSTRUCTIONS.md" in stale.stdout


def test_release_and_export_commands_write_their_outputs(tmp_path):
    """Do `grader release` and `grader export gradescope` write what they say, and refuse to
    overwrite without --force, in one clear line?"""
    release = grader("release", "--out", str(tmp_path / "release"))
    assert release.returncode == 0, release.stdout + release.stderr
    assert (tmp_path / "release" / "student_template.py").is_file()
    again = grader("release", "--out", str(tmp_path / "release"))
    assert again.returncode != 0 and "--force" in again.stdout
    assert "Traceback" not in again.stdout + again.stderr

    export = grader("export", "gradescope", "--out", str(tmp_path / "autograder.zip"))
    assert export.returncode == 0, export.stdout + export.stderr
    assert (tmp_path / "autograder.zip").stat().st_size > 0
    wrong = grader("export", "gradescope", "--out", str(tmp_path / "autograder.tar"))
    assert wrong.returncode != 0 and ".zip" in wrong.stdout
    assert "Traceback" not in wrong.stdout + wrong.stderr


def test_check_only_one_question_never_trains(tmp_path):
    """`grader check --only normalize` answers without calling train: here train would sleep
    for ten minutes, so a check that called it could not finish within the test's bound."""
    source = (EXAMPLES_DIRECTORY / "reference.py").read_text()
    sleeper = tmp_path / "student_template.py"
    sleeper.write_text(
        source
        + "\n\ndef train(model, x_train, y_train, x_val, y_val, epochs=EPOCHS):\n"
        + "    import time\n    time.sleep(600)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(sleeper), "--only", "normalize"],
        capture_output=True,
        text=True,
        cwd=REPOSITORY_ROOT,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Public checks of normalize pass" in completed.stdout
    assert "accuracy" not in completed.stdout and "perceptron" not in completed.stdout


def test_check_only_refuses_an_unknown_question():
    completed = grader("check", str(TEMPLATE_PATH), "--only", "normalise")
    assert completed.returncode == 2
    assert "No question 'normalise'; the questions are load, normalize" in completed.stdout


def test_full_check_passes_the_reference_printing_answers_as_they_come(tmp_path):
    """Does `grader check` exit 0 on the reference and say all public checks pass (and what
    comes next), and do the questions that need no training print while train() is still
    running (here it sleeps 20 s before fitting), the accuracy question only after?"""
    source = (EXAMPLES_DIRECTORY / "reference.py").read_text()
    slow = tmp_path / "student_template.py"
    slow.write_text(
        source
        + "\n\n_fit = train\n\n\ndef train(model, x_train, y_train, x_val, y_val, epochs=EPOCHS):\n"
        + "    import time\n    time.sleep(20)\n"
        + "    return _fit(model, x_train, y_train, x_val, y_val, epochs=epochs)\n"
    )
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "check", str(slow)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPOSITORY_ROOT,
    )
    seen: dict[str, float] = {}
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        for question in load_config().question_ids:
            if line.startswith(f"{question}  ") and question not in seen:
                seen[question] = time.monotonic() - started
    stdout = "".join(lines)
    assert process.wait(timeout=600) == 0, stdout
    assert "All public checks pass" in stdout
    # Ready for what comes next: the course's follow-up project, and how to check it.
    assert "ready for the follow-up project: Fashion-MNIST" in stdout
    assert "grader check fashion_classifier.py" in stdout
    assert "Hidden check passed" not in stdout
    assert public_total_line() in stdout  # the same as from the student release
    ended = time.monotonic() - started
    early = [q for q in ("load", "normalize", "labels", "perceptron", "sigmoid") if q in seen]
    assert early == ["load", "normalize", "labels", "perceptron", "sigmoid"], seen
    assert max(seen[q] for q in early) < seen["accuracy"] - 15, seen
    assert seen["accuracy"] <= ended
