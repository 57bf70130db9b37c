"""A tiny numpy assignment (double an array; average it) the engine has never heard of.

`test_assignments` proves a new exercise is just a folder; `test_shards` grades a class of it,
where what is tested is the slicing and merging, not the model (no TensorFlow in the child)."""

import os
import subprocess
import sys
from pathlib import Path

from grader.config import CONFIG_ENV

TINY_CONFIG = """
[assignment]
name = "doubling"
title = "Double it"

[submission]
file_name = "student_template.py"

[grading]
seed = 7
timeout_seconds = 120
max_output_bytes = 20000
memory_megabytes = 2048

[questions.double]
points = 2

[questions.mean]
points = 1
"""

TINY_SOLUTION = '''
"""Double an array, then average it."""

import numpy as np


def double(values):
    """Return twice the values, as a float array."""
    # BEGIN SOLUTION "Multiply by 2."
    return np.asarray(values, dtype=np.float64) * 2
    # END SOLUTION


def mean(values):
    """Return the average of the values."""
    # BEGIN SOLUTION "Use np.mean."
    return float(np.mean(values))
    # END SOLUTION
'''

DOUBLE_CHECK = '''
"""Question "double"."""

import numpy as np
from otter.test_files import test_case

from grader.config import load_config

OK_FORMAT = False
name = "double"
points = load_config().questions[name].points


@test_case(name="double: a small array", hidden=False)
def test_small(double):
    result = double(np.array([1, 2, 3]))
    assert np.allclose(result, [2, 4, 6]), (
        f"double([1, 2, 3]) returned {result}; expected [2, 4, 6]."
    )


@test_case(name="double: values it has never seen", hidden=True)
def test_unseen(double):
    values = np.random.default_rng(3).normal(size=50)
    assert np.allclose(double(values), values * 2), "double() is not twice its input."
'''

MEAN_CHECK = '''
"""Question "mean"."""

import numpy as np
from otter.test_files import test_case

from grader.config import load_config

OK_FORMAT = False
name = "mean"
points = load_config().questions[name].points


@test_case(name="mean: of 1, 2, 3", hidden=False)
def test_small(mean):
    assert abs(mean(np.array([1.0, 2.0, 3.0])) - 2.0) < 1e-9, "mean([1, 2, 3]) should be 2."
'''


def write_tiny_assignment(folder: Path) -> Path:
    (folder / "tests").mkdir(parents=True)
    (folder / "config.toml").write_text(TINY_CONFIG)
    (folder / "solution.py").write_text(TINY_SOLUTION)
    (folder / "tests" / "double.py").write_text(DOUBLE_CHECK)
    (folder / "tests" / "mean.py").write_text(MEAN_CHECK)
    return folder


def grader_command(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m grader ARGUMENTS` without the suite's config: `--assignment` chooses one."""
    environment = {k: v for k, v in os.environ.items() if k != CONFIG_ENV}
    return subprocess.run(
        [sys.executable, "-m", "grader", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
