"""The `grader` command: a thin layer over grader.commands; the one place errors become messages."""

import importlib.util
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from grader.ending import end_now
from grader.errors import GraderError

# TensorFlow's start-up chatter is noise to students and instructors; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Its Python-side warnings (retracing notices while checks replay) would land between progress
# lines and feedback; they concern our replay, not anyone's submission.
logging.getLogger("tensorflow").setLevel(logging.ERROR)
# So are Keras's warnings about a student's model replayed here (a softmax over one unit, say):
# the checks say what is wrong with it, in the student's feedback.
warnings.filterwarnings("ignore", category=UserWarning, module=r"keras(\..*)?$")

app = typer.Typer(
    help="Keras exercises, checked safely: the student's code runs only in a sandbox.",
    no_args_is_help=True,
    add_completion=False,
)
# A student release ships the grader without its staff commands (grader/course/release.py).
STAFF_EDITION = importlib.util.find_spec("grader.course") is not None
# Wide enough for the gradebook when the output goes to a file or a CI log.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)


def _staff_only(name: str) -> None:
    if not STAFF_EDITION:
        console.print(
            f"[red]Error:[/] `grader {name}` is for course staff and not part of this student "
            "release; use `grader check` (and `grader data`).",
            highlight=False,
        )
        raise typer.Exit(2)


AssignmentOption = Annotated[
    str | None,
    typer.Option(
        "--assignment",
        help="The assignment: its name (e.g. perceptron) or a folder holding its config.toml "
        "(default: the course's first, or $GRADER_CONFIG).",
    ),
]


def _run(command, assignment: str | None = None, **options) -> None:
    """Run a command on an assignment; a GraderError becomes one clear line and its exit code."""
    from grader.config import use_assignment

    try:
        use_assignment(assignment)
        code = command(console=console, **options)
    except GraderError as error:
        console.print(f"[red]Error:[/] {error}", highlight=False)
        raise typer.Exit(error.exit_code) from None
    raise typer.Exit(code or 0)


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="Your filled-in file.")] = Path(
        "student_template.py"
    ),
    only: Annotated[
        list[str] | None,
        typer.Option(
            help="Check only this question (repeatable; the ids are in INSTRUCTIONS.md): a "
            "question that needs no training answers in seconds.",
        ),
    ] = None,
    assignment: AssignmentOption = None,
) -> None:
    """Check your work against the public checks, offline. Exit status 0 when all pass."""
    from grader.commands import check as command

    _run(command.main, assignment, file=file, only=only)


@app.command(hidden=not STAFF_EDITION)
def grade(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Submission files, folders of them, or an LMS download (Canvas, Moodle or "
            "Gradescope export; folder or zip)."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Folder for grades.csv and results/.")],
    timeout: Annotated[
        float | None, typer.Option(help="Seconds per submission (default: from the config).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Submissions graded at once (default: the cores, at most one per 3 GiB of "
            "available memory).",
        ),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Grade only slice K of N (e.g. 2/8), decided by submission name: run the N "
            "shards anywhere, then `grader merge`.",
        ),
    ] = None,
    assignment: AssignmentOption = None,
) -> None:
    """Grade submissions (NAME.py or NAME/student_template.py) into DIR/grades.csv.

    Resumable: DIR/journal.jsonl keeps every finished submission, so rerunning the same
    command after an interruption grades only the rest.
    """
    _staff_only("grade")
    from grader.course.commands import grade as command

    _run(
        command.main,
        assignment,
        paths=paths,
        out=out,
        timeout=timeout,
        workers=workers,
        shard=shard,
    )


@app.command(hidden=not STAFF_EDITION)
def merge(
    out: Annotated[Path, typer.Option(help="Folder for the merged gradebook and report.")],
    shards: Annotated[list[Path], typer.Argument(help="The shards' --out folders.")],
    assignment: AssignmentOption = None,
) -> None:
    """Join the --out folders of a `grader grade --shard K/N` run into one gradebook.

    Refuses shards that would lose or double a row, or that were graded with other settings.
    """
    _staff_only("merge")
    from grader.course.commands import merge as command

    _run(command.main, assignment, out=out, shards=shards)


@app.command()
def data(
    source: Annotated[
        Path | None,
        typer.Option("--from", help="Folder with the original MNIST files (offline install)."),
    ] = None,
    mirror: Annotated[
        list[str] | None, typer.Option(help="Base URL to download from (repeatable).")
    ] = None,
    dataset: Annotated[
        list[str] | None, typer.Option(help="mnist and/or fashion-mnist (default: both).")
    ] = None,
    assignment: AssignmentOption = None,
) -> None:
    """Install MNIST and Fashion-MNIST where the grader finds them, verifying checksums.
    With --assignment, the datasets that assignment needs."""
    from grader.commands import data as command

    def run(console: Console) -> int:
        from grader.config import load_config

        needed = load_config().assignment.datasets if assignment else []
        chosen = dataset or needed or ["mnist", "fashion-mnist"]
        command.main(source=source, mirrors=mirror or [], datasets=chosen)
        return 0

    _run(run, assignment)


@app.command(hidden=not STAFF_EDITION)
def calibrate(
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Runs trained at once (default: as for `grader grade`). Each is seeded: the "
            "figures do not change with it.",
        ),
    ] = None,
    assignment: AssignmentOption = None,
) -> None:
    """Train right and known-wrong pipelines over seeds; check the thresholds separate them."""
    _staff_only("calibrate")
    from grader.course.commands import calibrate as command

    _run(command.main, assignment, workers=workers)


@app.command(hidden=not STAFF_EDITION)
def template(
    check: Annotated[bool, typer.Option("--check", help="Only verify; exit 1 if stale.")] = False,
    assignment: AssignmentOption = None,
) -> None:
    """Regenerate student_template.py and the examples from assignment/solution.py, and the
    documents' figures from the config."""
    _staff_only("template")
    from grader.course.commands import template as command

    _run(command.main, assignment, check=check)


@app.command(hidden=not STAFF_EDITION)
def release(
    out: Annotated[Path, typer.Option(help="Folder to write the release into.")],
    force: Annotated[bool, typer.Option(help="Replace OUT if it is not empty.")] = False,
    assignment: AssignmentOption = None,
) -> None:
    """Write the student release: template, instructions, public checks, pinned requirements."""
    _staff_only("release")
    from grader.course.commands import release as command

    _run(command.main, assignment, out=out, force=force)


export_app = typer.Typer(help="Export the autograder for a course platform.", no_args_is_help=True)
app.add_typer(export_app, name="export", hidden=not STAFF_EDITION)


@export_app.command("gradescope")
def export_gradescope(
    out: Annotated[Path, typer.Option(help="The zip to write.")] = Path("autograder.zip"),
    force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
    assignment: AssignmentOption = None,
) -> None:
    """Write Gradescope's autograder zip: setup.sh, run_autograder and this trusted grader."""
    _staff_only("export")
    from grader.course.commands import export as command

    _run(command.main, assignment, out=out, force=force)


def main() -> None:
    """The `grader` command (and `python -m grader`). A command that loaded TensorFlow ends
    without Python's teardown (see grader.ending): by the time it returns, it has closed its
    files and joined its workers."""
    try:
        app(prog_name="grader")
    except SystemExit as exit:
        code = exit.code
    else:
        code = 0
    if "tensorflow" in sys.modules and isinstance(code, int | None):
        end_now(code or 0)
    sys.exit(code)
