"""`grader export gradescope --out autograder.zip` (grader/course/gradescope.py)."""

from pathlib import Path

from rich.console import Console

from grader.config import load_config
from grader.course.gradescope import export_gradescope
from grader.datasets import TITLES


def main(*, out: Path, force: bool, console: Console) -> int:
    config = load_config()
    names = export_gradescope(out, config, force=force)
    visibility = config.gradescope.hidden_visibility
    console.print(f"Wrote {out} ({len(names)} files; hidden cases visible: {visibility}).")
    datasets = " and ".join(TITLES.get(name, name) for name in config.assignment.datasets)
    console.print(
        "Upload it in Gradescope: assignment > Configure Autograder > Zip file upload "
        "(base image Ubuntu 22.04). setup.sh installs Python 3.11, the pinned packages"
        + (f" and {datasets}" if datasets else "")
        + ", then verifies that grading works."
    )
    return 0
