"""`grader template [--check]`: regenerate what is derived from the reference solution and
the config.

That is student_template.py, the example submissions in assignment/examples/, and the figures
the documents show (grader.figures).
"""

from rich.console import Console

from grader.config import EXAMPLES_DIRECTORY, REPOSITORY_ROOT, SOLUTION_PATH, TEMPLATE_PATH, Config
from grader.examples import stale_examples, write_examples
from grader.figures import stale_documents, write_figures
from grader.template import template_is_current, write_template


def main(*, check: bool, console: Console, config: Config) -> int:
    if check:
        stale = [] if template_is_current(SOLUTION_PATH, TEMPLATE_PATH) else [TEMPLATE_PATH.name]
        stale += [f"examples/{name}" for name in stale_examples(SOLUTION_PATH, EXAMPLES_DIRECTORY)]
        stale += [str(p.relative_to(REPOSITORY_ROOT)) for p in stale_documents(config)]
        if stale:
            console.print(
                f"[red]Out of date:[/] {', '.join(stale)}. Regenerate with `grader template`."
            )
            return 1
        console.print(
            f"{TEMPLATE_PATH.name} and the examples match {SOLUTION_PATH.name}; the documents' "
            "figures match the config."
        )
        return 0
    write_template(SOLUTION_PATH, TEMPLATE_PATH)
    write_examples(SOLUTION_PATH, EXAMPLES_DIRECTORY)
    write_figures(config)
    console.print(
        f"Wrote {TEMPLATE_PATH.name} and {EXAMPLES_DIRECTORY} from {SOLUTION_PATH}, and the "
        "documents' figures from the config."
    )
    return 0
