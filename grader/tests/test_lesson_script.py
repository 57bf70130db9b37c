"""`python student_template.py`, once filled in, runs the lesson's script."""

import os
import subprocess
import sys

from grader.config import SOLUTION_PATH
from grader.datasets import mnist_npz_path

# Offline, keras' loader refuses any mnist.npz but Google's; point it at the verified copy,
# as the grader's sandbox does, then run the solution as a script.
RUN_AS_SCRIPT = """
import runpy, sys
import keras.src.datasets.mnist as keras_mnist
keras_mnist.get_file = lambda *arguments, **keywords: sys.argv[1]
runpy.run_path(sys.argv[2], run_name="__main__")
"""


def test_solution_script_shows_the_bug_then_the_fix(tmp_path):
    """Does the script train without the sigmoid, then with it, printing validation accuracy and
    the range of the outputs, which leaves [0, 1] only without the sigmoid?"""
    completed = subprocess.run(
        [sys.executable, "-c", RUN_AS_SCRIPT, str(mnist_npz_path()), str(SOLUTION_PATH)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = [line for line in completed.stdout.splitlines() if "range from" in line]
    accuracies = [line for line in completed.stdout.splitlines() if "validation accuracy" in line]
    assert [line.split(":")[0] for line in accuracies] == ["Without sigmoid", "With sigmoid"]
    (low_linear, high_linear), (low_sigmoid, high_sigmoid) = (
        (float(value) for value in line.split("from")[1].split("to")) for line in lines
    )
    assert low_linear < 0 or high_linear > 1
    assert low_sigmoid >= 0 and high_sigmoid <= 1
    assert float(accuracies[1].split()[-1]) > float(accuracies[0].split()[-1])
