"""Typical mistakes, each written as one change to the reference solution.

An exercise lists its own in a mistakes.py beside its exercise module (staff only: a student
release never ships it). `grader template` writes each as an example submission into the
assignment's examples folder (committed, checked for drift like the template); the demo grades
them and the test suite asserts each fails exactly the questions it should, with the intended
diagnosis.
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from grader.course.template import BEGIN, END


@dataclass(frozen=True)
class Mistake:
    name: str
    description: str
    replace: str
    by: str
    # What grading must find: {question id: diagnosis code}; other questions get full points.
    fails: dict[str, str]
    # Further (replace, by) pairs, for a mistake that takes more than one change to write.
    also: tuple[tuple[str, str], ...] = ()


def load_mistakes(path: Path) -> tuple[Mistake, ...]:
    """The MISTAKES an exercise's mistakes.py lists."""
    spec = importlib.util.spec_from_file_location(f"_mistakes_{path.parent.name}", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise FileNotFoundError(f"No typical mistakes at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.MISTAKES)


def strip_markers(solution: str) -> str:
    """The solution as a student would submit it: the answer regions kept, their markers gone."""
    return "".join(
        line
        for line in solution.splitlines(keepends=True)
        if not (BEGIN.match(line) or END.match(line))
    )


def render_mistake(solution: str, mistake: Mistake) -> str:
    source = strip_markers(solution)
    header = f"# Example submission with a typical mistake: {mistake.description}\n"
    for replace, by in ((mistake.replace, mistake.by), *mistake.also):
        if replace not in source:
            raise ValueError(f"{mistake.name}: the solution no longer contains {replace!r}")
        source = source.replace(replace, by, 1)
    return header + source


def example_files(solution_path: Path, mistakes: tuple[Mistake, ...]) -> dict[str, str]:
    """File name -> content of every example: the reference itself and each mistake."""
    solution = solution_path.read_text()
    files = {"reference.py": strip_markers(solution)}
    files |= {f"{m.name}.py": render_mistake(solution, m) for m in mistakes}
    return files


def stale_examples(
    solution_path: Path, directory: Path, mistakes: tuple[Mistake, ...]
) -> list[str]:
    """Names of example files missing or different from what the solution generates."""
    return [
        name
        for name, text in example_files(solution_path, mistakes).items()
        if not (directory / name).exists() or (directory / name).read_text() != text
    ]


def write_examples(solution_path: Path, directory: Path, mistakes: tuple[Mistake, ...]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in example_files(solution_path, mistakes).items():
        (directory / name).write_text(text)
