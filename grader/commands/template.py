"""`grader template [--check]`: regenerate what is derived from the reference solution.

That is student_template.py and the example submissions in assignment/examples/.
"""

from rich.console import Console

from grader.config import EXAMPLES_DIRECTORY, SOLUTION_PATH, TEMPLATE_PATH
from grader.examples import stale_examples, write_examples
from grader.template import template_is_current, write_template


def main(*, check: bool, console: Console) -> int:
    if check:
        stale = [] if template_is_current(SOLUTION_PATH, TEMPLATE_PATH) else [TEMPLATE_PATH.name]
        stale += [f"examples/{name}" for name in stale_examples(SOLUTION_PATH, EXAMPLES_DIRECTORY)]
        if stale:
            console.print(
                f"[red]Out of date:[/] {', '.join(stale)}. Regenerate with `grader template`."
            )
            return 1
        console.print(f"{TEMPLATE_PATH.name} and the examples match {SOLUTION_PATH.name}.")
        return 0
    write_template(SOLUTION_PATH, TEMPLATE_PATH)
    write_examples(SOLUTION_PATH, EXAMPLES_DIRECTORY)
    console.print(f"Wrote {TEMPLATE_PATH.name} and {EXAMPLES_DIRECTORY} from {SOLUTION_PATH}.")
    return 0
