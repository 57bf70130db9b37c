"""`python student_template.py`, once filled in, runs the lesson's script: offline after
`grader data`, first the lesson's broken model, then the fix."""

import os
import re
import subprocess
import sys
from pathlib import Path

from grader.config import SOLUTION_PATH
from grader.keras_offline import PTH_LINE, PTH_NAME

GRADER = [sys.executable, "-m", "grader"]


def test_grader_data_lets_keras_load_mnist_offline(shared: Path, tmp_path: Path):
    """After `grader data`, keras' own loader reads the verified copy with no network (in a
    network namespace with no interface but lo) and no keras cache (a fresh KERAS_HOME)."""
    installed = subprocess.run(
        [*GRADER, "data", "--from", str(shared), "--dataset", "mnist"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert PTH_NAME in installed.stdout
    hooks = [Path(p) / PTH_NAME for p in sys.path if (Path(p) / PTH_NAME).is_file()]
    assert hooks and hooks[0].read_text() == PTH_LINE
    code = (
        "import keras\n"
        "(x, y), (xt, yt) = keras.datasets.mnist.load_data()\n"
        "print('LOADED', x.shape, xt.shape, int(y[0]))\n"
    )
    loaded = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "KERAS_HOME": str(tmp_path / "keras"), "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=300,
    )
    assert "LOADED (60000, 28, 28) (10000, 28, 28) 5" in loaded.stdout, loaded.stderr[-3000:]
    # The hook imports no `grader` at start-up: that would shadow any other copy of the package
    # (the autograder runs its own from its source folder, with this same interpreter).
    started = subprocess.run(
        [sys.executable, "-c", "import sys; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert "'grader" not in started.stdout and "perceptron_grader" in started.stdout


def ranges(stdout: str) -> list[tuple[float, float]]:
    return [
        (float(low), float(high))
        for low, high in re.findall(r"outputs range from (\S+) to (\S+)", stdout)
    ]


def test_solution_script_shows_the_bug_then_the_fix(tmp_path: Path):
    """Offline, the script trains the lesson's first model (raw pixels, no activation), whose
    outputs leave [0, 1], then the fixed one (scaled pixels, sigmoid), whose outputs stay in
    [0, 1] and whose accuracy is higher; it names the 'not five' baseline to beat."""
    completed = subprocess.run(
        ["unshare", "--net", "--", sys.executable, str(SOLUTION_PATH)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "KERAS_HOME": str(tmp_path / "keras"), "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    stdout = completed.stdout
    assert "Always answering 'not five' scores 0.9108" in stdout
    accuracies = re.findall(r"^(.*): validation accuracy (\S+)$", stdout, re.MULTILINE)
    titles = [title for title, _ in accuracies]
    assert titles == ["Raw pixels, no activation", "Scaled pixels, sigmoid"], stdout
    (low_raw, high_raw), (low_fixed, high_fixed) = ranges(stdout)
    assert low_raw < -1 or high_raw > 2, f"the broken model's outputs: {low_raw} to {high_raw}"
    assert low_fixed >= 0 and high_fixed <= 1
    raw, fixed = (float(value) for _, value in accuracies)
    assert fixed > 0.97 and fixed > raw
