"""`grader template [--check]`: regenerate what is derived from the reference solution and
the config.

That is student_template.py, the example submissions in assignment/examples/, and the figures
the documents show (grader.course.figures).
"""

from pathlib import Path

from rich.console import Console

from grader.config import REPOSITORY_ROOT, current_assignment, exercise_module, load_config
from grader.course.examples import stale_examples, write_examples
from grader.course.figures import stale_documents, write_figures
from grader.course.template import template_is_current, write_template


def main(*, check: bool, console: Console) -> int:
    config = load_config()
    assignment = current_assignment()
    solution, template, examples = assignment.solution, assignment.template, assignment.examples
    # The assignment's typical mistakes, each an example submission (its exercise module's).
    listed = getattr(exercise_module(assignment), "mistakes", None)
    mistakes = tuple(listed()) if listed is not None else ()
    if check:
        stale = [] if template_is_current(solution, template) else [template.name]
        stale += [f"examples/{name}" for name in stale_examples(solution, examples, mistakes)]
        stale += [_shown(path) for path in stale_documents(config)]
        if stale:
            console.print(
                f"[red]Out of date:[/] {', '.join(stale)}. Regenerate with `grader template`."
            )
            return 1
        console.print(
            f"{template.name} and the examples match {solution.name}; the documents' "
            "figures match the config."
        )
        return 0
    write_template(solution, template)
    write_examples(solution, examples, mistakes)
    write_figures(config)
    console.print(
        f"Wrote {template.name} and {examples} from {solution}, and the "
        "documents' figures from the config."
    )
    return 0


def _shown(path: Path) -> str:
    return (
        str(path.relative_to(REPOSITORY_ROOT))
        if path.is_relative_to(REPOSITORY_ROOT)
        else str(path)
    )
