"""The public edition of the course: check files without hidden cases, config without secrets.

Both the student release (`grader release`) and the stock-otter self-check use these. A check
file loses every `@test_case(..., hidden=True)` function, then whatever only those used: private
module-level helpers and constants (names starting with "_", or in capitals) and imported names.
The rest of the file is kept verbatim, so public cases run exactly as they do when grading.
"""

import ast
import tomllib
from collections.abc import Mapping
from pathlib import Path

from grader.config import hidden_keys


def _is_hidden_case(node: ast.stmt) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and _called_name(decorator.func) == "test_case":
            for keyword in decorator.keywords:
                if keyword.arg == "hidden":
                    if not isinstance(keyword.value, ast.Constant):
                        raise ValueError(
                            f"line {node.lineno}: hidden= must be a literal True or False"
                        )
                    return bool(keyword.value.value)
    return False


def _called_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _used_names(tree: ast.Module, skip: ast.stmt | None = None) -> set[str]:
    names = set()
    for statement in tree.body:
        if statement is skip or isinstance(statement, ast.Import | ast.ImportFrom):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Name):
                names.add(node.id)
    return names


def _defined_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [statement.name]
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return [statement.target.id]
    return []


def _removable(name: str) -> bool:
    """Helpers a check file may drop once unused; its otter names (name, points...) stay."""
    return name.startswith("_") or (name.isupper() and name != "OK_FORMAT")


def _lines(statement: ast.stmt) -> range:
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    assert statement.end_lineno is not None
    return range(first, statement.end_lineno + 1)


def public_check_source(source: str, case_points: Mapping[str, float] | None = None) -> str:
    """The check file `source` with its hidden cases, and what only they used, taken out.

    With `case_points` (case name -> points in the full file), each public case states its
    points, so it is worth in the public file what it is worth when graded, not a share of the
    question's points split over fewer cases.
    """
    tree = ast.parse(source)
    dropped: set[int] = set()
    lines = source.splitlines(keepends=True)
    replacements: dict[int, str] = {}
    for statement in tree.body:
        if case_points is not None and not _is_hidden_case(statement):
            for decorator in getattr(statement, "decorator_list", []):
                _state_points(decorator, case_points, dropped, replacements)

    def drop(statement: ast.stmt) -> None:
        dropped.update(_lines(statement))
        tree.body.remove(statement)

    for statement in [s for s in tree.body if _is_hidden_case(s)]:
        drop(statement)
    changed = True
    while changed:  # a helper may only have been used by another dropped helper
        changed = False
        for statement in list(tree.body):
            defined = _defined_names(statement)
            if defined and all(
                _removable(name) and name not in _used_names(tree, skip=statement)
                for name in defined
            ):
                drop(statement)
                changed = True
    used = _used_names(tree)
    for statement in list(tree.body):
        if not isinstance(statement, ast.Import | ast.ImportFrom):
            continue
        kept = [
            alias
            for alias in statement.names
            if (alias.asname or alias.name).split(".")[0] in used or alias.name == "*"
        ]
        if kept == statement.names:
            continue
        span = _lines(statement)
        dropped.update(span)
        if kept:
            statement.names = kept
            replacements[span.start] = ast.unparse(statement) + "\n"
    text = "".join(
        replacements.get(number, "") if number in dropped else line
        for number, line in enumerate(lines, start=1)
    )
    while "\n\n\n\n" in text:  # the blank lines around what was taken out
        text = text.replace("\n\n\n\n", "\n\n\n")
    return text.rstrip("\n") + "\n"


def _state_points(
    decorator: ast.expr,
    case_points: Mapping[str, float],
    dropped: set[int],
    replacements: dict[int, str],
) -> None:
    """Rewrite `@test_case(name=...)` as `@test_case(name=..., points=<its full-file points>)`."""
    if not (isinstance(decorator, ast.Call) and _called_name(decorator.func) == "test_case"):
        return
    keywords = {keyword.arg: keyword.value for keyword in decorator.keywords}
    name = keywords.get("name")
    if not isinstance(name, ast.Constant) or name.value not in case_points:
        raise ValueError(f"line {decorator.lineno}: a public case needs a literal, known name=")
    if "points" in keywords:
        return
    decorator.keywords.append(ast.keyword("points", ast.Constant(case_points[name.value])))
    assert decorator.end_lineno is not None
    span = range(decorator.lineno, decorator.end_lineno + 1)
    dropped.update(span)
    replacements[span.start] = "@" + ast.unparse(decorator) + "\n"


def public_config_text(source: str) -> str:
    """The course config `source` without the settings marked hidden, nor their comments.

    Line-based, so every other comment stays where it was: a hidden key goes with the comment
    block right above it, a hidden table with everything up to the next table's comments.
    """
    hidden = set(hidden_keys())
    kept: list[str] = []
    waiting: list[str] = []  # comments and blank lines, until we know what they belong to
    in_hidden_table = False
    table = ""
    for line in source.splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            waiting.append(line)
            continue
        if text.startswith("["):
            table = text.strip("[]").strip()
            in_hidden_table = any(table == key or table.startswith(key + ".") for key in hidden)
            drop = in_hidden_table
        else:
            key = text.split("=", 1)[0].strip()
            drop = in_hidden_table or (f"{table}.{key}" if table else key) in hidden
        if drop:
            blank = max((i for i, w in enumerate(waiting) if not w.strip()), default=-1)
            kept += waiting[: blank + 1]  # the comment block above belonged to it
        else:
            kept += [*waiting, line]
        waiting = []
    if not in_hidden_table:
        kept += waiting
    text = "\n".join(kept).strip("\n") + "\n"
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    parsed = tomllib.loads(text)
    for key in hidden:
        value: object = parsed
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            raise ValueError(f"the hidden setting {key} is still in the public config")
    return text


def write_public_checks(checks_directory: Path, out: Path, question_ids: list[str]) -> list[Path]:
    """Public copies of the question files, one per question id; nothing else from tests/.

    Each public case keeps the points it has in the full file (see public_check_source).
    """
    from grader.checks import load_questions
    from grader.config import load_config

    questions = {q.id: q for q in load_questions(checks_directory, load_config())}
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for question_id in question_ids:
        path = out / f"{question_id}.py"
        points = {case.name: case.points for case in questions[question_id].cases}
        path.write_text(public_check_source((checks_directory / path.name).read_text(), points))
        written.append(path)
    return written
