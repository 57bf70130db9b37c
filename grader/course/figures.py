"""Every figure a student reads, from one source: the config, the check files and the data.

A document marks a figure where it stands, `<!-- figure NAME -->5<!-- /figure -->`, and
`grader template` writes the value in (the course README, which speaks of several assignments,
names the one: `<!-- figure perceptron.NAME -->`); `grader template --check` (run by
`make test-fast`) fails when a document shows a figure the grader no longer uses. Markers stay
out of code blocks, where Markdown would print them.
"""

import re
from collections.abc import Callable
from pathlib import Path

from grader.checks import Question, load_questions
from grader.config import (
    REPOSITORY_ROOT,
    Assignment,
    Config,
    active_config,
    current_assignment,
    current_exercise,
)
from grader.errors import GraderError
from grader.render import format_points

MARKER = re.compile(
    r"<!-- figure (?:(?P<owner>[a-z0-9][a-z0-9-]*)\.)?(?P<name>[a-z_]+) -->(?P<value>.*?)"
    r"<!-- /figure -->",
    re.DOTALL,
)
COURSE_README = REPOSITORY_ROOT / "README.md"


def documents(assignment: Assignment) -> tuple[Path, ...]:
    """The documents that show figures: what students read, and the course's README."""
    paths = (assignment.instructions, assignment.student_readme, COURSE_README)
    return tuple(path for path in paths if path.exists())


def epochs_words(count: int) -> str:
    return "one epoch" if count == 1 else f"{count} epochs"


def rubric(questions: list[Question]) -> str:
    """The points table: each question's points, shared equally among its cases."""
    lines = [
        "| question | points | cases | each case |",
        "|---|---|---|---|",
    ]
    for question in questions:
        total = sum(case.points for case in question.cases)
        hidden = sum(case.hidden for case in question.cases)
        public = len(question.cases) - hidden
        cases = f"{public} public" + (f", {hidden} hidden" if hidden else "")
        each = {format_points(case.points) for case in question.cases}
        lines.append(
            f"| `{question.id}` | {format_points(total)} | {cases} | {' or '.join(sorted(each))} |"
        )
    return "\n\n" + "\n".join(lines) + "\n\n"


def figures(config: Config, questions: list[Question] | None = None) -> dict[str, str]:
    """Every figure by name, as the documents show it."""
    if questions is None:
        questions = load_questions(current_assignment().checks, config)
    cases = [case for question in questions for case in question.cases]
    public = sum(case.points for case in cases if not case.hidden)
    values = {
        "max_points": format_points(config.max_points),
        "public_points": format_points(public),
        "hidden_points": format_points(config.max_points - public),
        "case_count": str(len(cases)),
        "rubric": rubric(questions),
    }
    if config.accuracy is not None:
        accuracy = config.accuracy
        check_epochs = accuracy.check_epochs or accuracy.epochs
        values |= {
            "graded_epochs": str(accuracy.epochs),
            "graded_epochs_words": epochs_words(accuracy.epochs),
            "check_epochs": str(check_epochs),
            "check_epochs_words": epochs_words(check_epochs),
            "validation_floor": f"{accuracy.validation_floor}",
        }
    # The exercise's own figures (baselines of its data, say), from its module, for this
    # config's split of the data: its module reads the config through load_config().
    own = getattr(current_exercise(), "figures", None)
    if own is None:
        return values
    with active_config(config):
        return values | own()


def render_figures(
    text: str, values: dict[str, str], source: str = "document", owner: str | None = None
) -> str:
    """The text with every marked figure set to its value: the unqualified ones, and those
    qualified with `owner` (the assignment's name); another assignment's are left alone."""

    def value(match: re.Match[str]) -> str:
        name, qualified = match["name"], match["owner"]
        if qualified is not None and qualified != owner:
            return match[0]
        if name not in values:
            known = ", ".join(sorted(values))
            raise GraderError(f"{source} marks an unknown figure {name!r} (known: {known}).")
        prefix = f"{qualified}." if qualified else ""
        return f"<!-- figure {prefix}{name} -->{values[name]}<!-- /figure -->"

    return MARKER.sub(value, text)


def plain(text: str) -> str:
    """The text as a reader gets it: each figure's value without its markers."""
    return MARKER.sub(lambda match: match["value"], text)


def _each_document(
    config: Config, act: Callable[[Path, str, str], None], paths: tuple[Path, ...] | None
) -> None:
    values = figures(config)
    assignment = current_assignment()
    for path in documents(assignment) if paths is None else paths:
        text = path.read_text()
        act(path, text, render_figures(text, values, path.name, assignment.name))


def stale_documents(config: Config, paths: tuple[Path, ...] | None = None) -> list[Path]:
    """The documents whose figures differ from the grader's."""
    stale: list[Path] = []
    _each_document(config, lambda p, old, new: stale.append(p) if old != new else None, paths)
    return stale


def write_figures(config: Config, paths: tuple[Path, ...] | None = None) -> None:
    _each_document(config, lambda p, old, new: p.write_text(new) if old != new else None, paths)
