"""One home for how a command ends (harness/exits.py): exit statuses and the ``harness: error:``
line. check_cli repeated cli's EXIT_* numbers and its ``_error``; legcheck returned bare 1 and 2
and wrote the error line itself."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import List

import pytest

from harness import exits

HARNESS = Path(__file__).resolve().parents[2] / "harness"
HOME = HARNESS / "exits.py"
#: Run as a script (``python -I -S harness/chroot.py``): it can import no package, so its
#: own 125 and ``harness-root: error`` stay. Guest code has its own rules.
EXEMPT = (HOME, HARNESS / "chroot.py")


def _entry_points(tree: ast.Module) -> List[str]:
    """The functions whose result is an exit status: ``main``, ``_cmd*`` and any
    ``set_defaults(func=…)``."""
    named = {k.value.id for node in ast.walk(tree) if isinstance(node, ast.Call)
             for k in node.keywords if k.arg == "func" and isinstance(k.value, ast.Name)}
    return sorted(named | {n.name for n in tree.body if isinstance(n, ast.FunctionDef)
                           and (n.name == "main" or n.name.startswith("_cmd"))})


def _is_int_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.IfExp):
        return _is_int_literal(node.body) or _is_int_literal(node.orelse)
    return isinstance(node, ast.Constant) and type(node.value) is int


def problems(source: str, where: str) -> List[str]:
    """What in one module's source repeats the home's constants, numbers or error line."""
    tree = ast.parse(source)
    found: List[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AnnAssign) else []
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        found += ["%s:%d: defines %s" % (where, node.lineno, name)
                  for name in names if name.startswith("EXIT_")]
    entries = set(_entry_points(tree))
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef) and func.name in entries:
            found += ["%s:%d: %s returns a bare number" % (where, node.lineno, func.name)
                      for node in ast.walk(func) if isinstance(node, ast.Return)
                      and node.value is not None and _is_int_literal(node.value)]
    found += ["%s:%d: writes the error line itself" % (where, node.lineno)
              for node in ast.walk(tree) if isinstance(node, ast.Constant)
              and isinstance(node.value, str) and "harness: error:" in node.value]
    return found


def _modules() -> List[Path]:
    return [p for p in sorted(HARNESS.rglob("*.py"))
            if "guest" not in p.relative_to(HARNESS).parts and p not in EXEMPT]


def test_no_module_but_the_home_has_its_own_exit_numbers_or_error_line() -> None:
    modules = _modules()
    assert len(modules) > 40 and HARNESS / "legcheck.py" in modules
    found = [line for path in modules
             for line in problems(path.read_text(encoding="utf-8"),
                                  str(path.relative_to(HARNESS.parent)))]
    assert found == []


@pytest.mark.parametrize(("source", "problem"), [
    ("EXIT_OK, EXIT_FAILED = 0, 1", "x.py:1: defines EXIT_OK; x.py:1: defines EXIT_FAILED"),
    ("EXIT_PARTIAL: int = 3", "x.py:1: defines EXIT_PARTIAL"),
    ("def _cmd(args):\n    if args:\n        return 2\n", "x.py:3: _cmd returns a bare number"),
    ("def main():\n    return 1 if x else OK\n", "x.py:2: main returns a bare number"),
    ("def command(a):\n    return 0\n\ndef add(sub):\n    sub.set_defaults(func=command)\n",
     "x.py:2: command returns a bare number"),
    ("def f():\n    sys.stderr.write('harness: error: %s\\n' % m)\n",
     "x.py:2: writes the error line itself"),
])
def test_the_scan_sees_each_kind_of_repetition(source: str, problem: str) -> None:
    assert problems(source, "x.py") == problem.split("; ")


def test_a_helper_that_returns_a_count_is_not_an_exit_status() -> None:
    assert problems("def _limit():\n    return 256\n", "x.py") == []


def test_the_error_line_is_one_line_with_the_status_given(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert exits.error("x.json: not JSON", exits.EXIT_USAGE) == 2
    assert exits.error("interrupted") == exits.EXIT_FAILED == 1
    assert capsys.readouterr().err == "harness: error: x.json: not JSON\nharness: error: " \
                                      "interrupted\n"
