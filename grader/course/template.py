"""Generate student_template.py from the reference solution.

Every region between `# BEGIN SOLUTION "instruction"` and `# END SOLUTION` becomes
`raise NotImplementedError("instruction")`, indented like the region. The template is
committed; `grader template --check` (and a test) fails when it drifts from the solution.
"""

import re
from pathlib import Path

from grader.errors import GraderError

BEGIN = re.compile(r'^(?P<indent>\s*)# BEGIN SOLUTION(?: "(?P<instruction>[^"]*)")?\s*$')
END = re.compile(r"^\s*# END SOLUTION\s*$")
DEFAULT_INSTRUCTION = "Replace this line with your code."


def render_template(solution: str) -> str:
    """Return the student template for the solution's source text."""
    output: list[str] = []
    inside = False
    for number, line in enumerate(solution.splitlines(keepends=True), start=1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise GraderError(f"solution line {number}: BEGIN SOLUTION inside another region.")
            inside = True
            instruction = begin["instruction"] or DEFAULT_INSTRUCTION
            output.append(f"{begin['indent']}raise NotImplementedError({instruction!r})\n")
        elif END.match(line):
            if not inside:
                raise GraderError(f"solution line {number}: END SOLUTION without BEGIN.")
            inside = False
        elif not inside:
            output.append(line)
    if inside:
        raise GraderError("The solution ends inside a BEGIN SOLUTION region.")
    return "".join(output)


def template_is_current(solution_path: Path, template_path: Path) -> bool:
    """Whether the committed template is exactly what the solution generates."""
    expected = render_template(solution_path.read_text())
    return template_path.exists() and template_path.read_text() == expected


def write_template(solution_path: Path, template_path: Path) -> None:
    template_path.write_text(render_template(solution_path.read_text()))
