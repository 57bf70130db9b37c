"""Every assertion in the checks carries the TA's sentence: a bare `assert` fails a student with
no word of why, in the feedback and in the instructor's note alike."""

import ast

import pytest

from grader.config import CHECKS_DIRECTORY


def bare_asserts(source: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Assert) and node.msg is None
    ]


def test_the_lint_finds_a_bare_assert():
    assert bare_asserts("def f(x):\n    assert x\n    assert x, 'why'\n") == [2]


@pytest.mark.parametrize("path", sorted(CHECKS_DIRECTORY.glob("*.py")), ids=lambda p: p.name)
def test_no_check_asserts_without_a_message(path):
    lines = bare_asserts(path.read_text())
    assert not lines, f"{path.name}: assert without a message on line(s) {lines}"
