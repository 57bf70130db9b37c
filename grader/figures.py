"""Every figure a student reads, from one source: the config, the check files and the data.

A document marks a figure where it stands, `<!-- figure NAME -->5<!-- /figure -->`, and
`grader template` writes the value in; `grader template --check` (run by `make test-fast`) fails
when a document shows a figure the grader no longer uses. Markers stay out of code blocks, where
Markdown would print them.
"""

import re
from collections.abc import Callable
from pathlib import Path

from grader.checks import Question, load_questions
from grader.config import (
    CHECKS_DIRECTORY,
    INSTRUCTIONS_PATH,
    REPOSITORY_ROOT,
    STUDENT_README_PATH,
    Config,
)
from grader.errors import GraderError
from grader.render import format_points

MARKER = re.compile(r"<!-- figure (?P<name>[a-z_]+) -->(?P<value>.*?)<!-- /figure -->", re.DOTALL)
# The documents that show figures: what students read, and the course's README.
DOCUMENTS = (INSTRUCTIONS_PATH, STUDENT_README_PATH, REPOSITORY_ROOT / "README.md")


def _epochs(count: int) -> str:
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


def baselines() -> dict[str, str]:
    """What always answering "not five" scores: on the validation images the self-check
    reports against, and on MNIST's test images the grader judges on."""
    from grader.exercise import heldout_set, majority_baseline, training_split

    _, _, _, validation_digits = training_split()
    _, test_digits = heldout_set()
    return {
        "validation_baseline": f"{majority_baseline(validation_digits):.4f}",
        "test_baseline": f"{majority_baseline(test_digits):.4f}",
    }


def figures(config: Config, questions: list[Question] | None = None) -> dict[str, str]:
    """Every figure by name, as the documents show it."""
    if questions is None:
        questions = load_questions(CHECKS_DIRECTORY, config)
    cases = [case for question in questions for case in question.cases]
    public = sum(case.points for case in cases if not case.hidden)
    accuracy = config.accuracy
    return {
        "graded_epochs": str(accuracy.epochs),
        "graded_epochs_words": _epochs(accuracy.epochs),
        "check_epochs": str(accuracy.check_epochs),
        "check_epochs_words": _epochs(accuracy.check_epochs),
        "validation_floor": f"{accuracy.validation_floor}",
        "max_points": format_points(config.max_points),
        "public_points": format_points(public),
        "hidden_points": format_points(config.max_points - public),
        "case_count": str(len(cases)),
        "rubric": rubric(questions),
        **baselines(),
    }


def render_figures(text: str, values: dict[str, str], source: str = "document") -> str:
    """The text with every marked figure set to its value."""

    def value(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in values:
            known = ", ".join(sorted(values))
            raise GraderError(f"{source} marks an unknown figure {name!r} (known: {known}).")
        return f"<!-- figure {name} -->{values[name]}<!-- /figure -->"

    return MARKER.sub(value, text)


def plain(text: str) -> str:
    """The text as a reader gets it: each figure's value without its markers."""
    return MARKER.sub(lambda match: match["value"], text)


def _each_document(
    config: Config, act: Callable[[Path, str, str], None], documents: tuple[Path, ...]
) -> None:
    values = figures(config)
    for path in documents:
        text = path.read_text()
        act(path, text, render_figures(text, values, path.name))


def stale_documents(config: Config, documents: tuple[Path, ...] = DOCUMENTS) -> list[Path]:
    """The documents whose figures differ from the grader's."""
    stale: list[Path] = []
    _each_document(config, lambda p, old, new: stale.append(p) if old != new else None, documents)
    return stale


def write_figures(config: Config, documents: tuple[Path, ...] = DOCUMENTS) -> None:
    _each_document(config, lambda p, old, new: p.write_text(new) if old != new else None, documents)
