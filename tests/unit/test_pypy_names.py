"""Every ``os``/``signal``/``select``/``subprocess``/``time`` name a leg's code uses exists on PyPy,
or its use is guarded (review r8).

A PyPy leg runs ``python -m harness run`` (and the guest code) on PyPy, whose ``os`` lacks names
CPython has (``O_ACCMODE``, ``waitid``, ``pidfd_open``, ``posix_spawnp``...): a bare use is an
AttributeError there only, at import or deep in a run. The code is scanned (``module.name`` and
``from module import name``) in every module test_portability finds a leg reaching, plus all of
harness/guest/ (the shepherd is started by path); each name is looked up on /usr/bin/pypy3 and
the Debian root's PyPy (read in place with the root's own loader), where present. Guarded: under
``if hasattr(module, ...)`` (the names of that branch come with the one it tests), under a
Windows or macOS ``sys.platform``/``os.name`` test (not what a Linux PyPy runs), or in a
``try`` that catches AttributeError / ImportError; ``getattr(module, "name", default)`` is no
``module.name``.
"""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import pytest

from harness import provision
from tests.unit.test_portability import ROOT, _module_file, reached_modules

MODULES = ("os", "signal", "_signal", "select", "subprocess", "time")
#: ``sys.platform`` / ``os.name`` values a Linux PyPy never has.
OTHER_PLATFORMS = ("win32", "cygwin", "darwin", "nt")
_LOOKUP = """
import importlib, json, sys
missing = []
for module, name in json.load(sys.stdin):
    if not hasattr(importlib.import_module(module), name):
        missing.append([module, name])
print(json.dumps(missing))
"""

Use = Tuple[str, str, str]  # module, name, where


def _guards(test: ast.expr, module: str, aliases: Dict[str, str]) -> bool:
    """Whether an ``if`` test makes its body safe for ``module``'s names on a Linux PyPy."""
    for node in ast.walk(test):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "hasattr" and node.args
                and isinstance(node.args[0], ast.Name)
                and aliases.get(node.args[0].id) == module):
            return True
        if (isinstance(node, ast.Compare) and len(node.ops) == 1
                and isinstance(node.ops[0], ast.Eq)
                and isinstance(node.comparators[0], ast.Constant)
                and node.comparators[0].value in OTHER_PLATFORMS):
            return True
    return False


def _catches(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:  # a bare except
        return True
    names = {n.id for n in ast.walk(handler.type) if isinstance(n, ast.Name)}
    return not names.isdisjoint({"AttributeError", "ImportError", "Exception"})


def unguarded_uses(source: str, where: str) -> Iterator[Use]:
    """``(module, name, where:line)`` for each unguarded use of a name of ``MODULES``."""
    tree = ast.parse(source)
    aliases = {alias.asname or alias.name: alias.name for node in ast.walk(tree)
               if isinstance(node, ast.Import) for alias in node.names
               if alias.name in MODULES}

    def visit(node: ast.AST, safe: Set[str]) -> Iterator[Use]:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = aliases.get(node.value.id)
            if module and module not in safe:
                yield module, node.attr, "%s:%d" % (where, node.lineno)
        elif (isinstance(node, ast.ImportFrom) and node.module in MODULES and not node.level
              and node.module not in safe):
            for alias in node.names:
                yield node.module, alias.name, "%s:%d" % (where, node.lineno)
        if isinstance(node, (ast.If, ast.IfExp)):
            guarded = safe | {m for m in MODULES if _guards(node.test, m, aliases)}
            yield from visit(node.test, safe)
            body = node.body if isinstance(node.body, list) else [node.body]
            orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
            for branch in body:
                yield from visit(branch, guarded)
            for branch in orelse:
                yield from visit(branch, safe)
            return
        if isinstance(node, ast.Try) and any(_catches(h) for h in node.handlers):
            for statement in node.body:
                yield from visit(statement, set(MODULES))
            for other in [*node.handlers, *node.orelse, *node.finalbody]:
                yield from visit(other, safe)
            return
        for child in ast.iter_child_nodes(node):
            yield from visit(child, safe)

    yield from visit(tree, set())


def pypys() -> List[List[str]]:
    """Command prefixes of the PyPys here: /usr/bin/pypy3, the root's (through its loader)."""
    found = [["/usr/bin/pypy3"]] if Path("/usr/bin/pypy3").is_file() else []
    root = provision.default_root_dir()
    loaders = sorted(root.glob("lib64/ld-linux*.so.*")) + sorted(root.glob("lib/ld-linux*.so.*"))
    libs = [str(p) for pattern in ("usr/lib/*-linux-gnu", "lib/*-linux-gnu")
            for p in sorted(root.glob(pattern))]
    programs = [p for p in sorted(root.glob("usr/bin/pypy3.*")) if p.name[6:].isdigit()]
    if loaders and libs and programs:
        found.append([str(loaders[0]), "--library-path", ":".join(libs), str(programs[-1])])
    return found


def missing_on(command: List[str], uses: List[Use]) -> Optional[Set[Tuple[str, str]]]:
    """The ``(module, name)`` of ``uses`` that ``command``'s interpreter lacks (None: no run)."""
    names = sorted({(module, name) for module, name, _ in uses})
    try:
        done = subprocess.run([*command, "-c", _LOOKUP], input=json.dumps(names),
                              capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return None
    if done.returncode != 0:
        return None
    return {(m, n) for m, n in json.loads(done.stdout)}


def leg_uses() -> List[Use]:
    modules = set(reached_modules()) | {
        "harness.guest." + p.stem for p in (ROOT / "harness" / "guest").glob("*.py")}
    uses: List[Use] = []
    for name in sorted(modules):
        path = _module_file(name)
        if path is not None:
            uses += unguarded_uses(path.read_text(encoding="utf-8"), name)
    return uses


@pytest.mark.parametrize("command", pypys() or [pytest.param([], marks=pytest.mark.skip(
    reason="no PyPy here"))], ids=lambda c: Path(c[-1]).name if c else "none")
def test_every_name_a_leg_uses_exists_on_pypy_or_is_guarded(command: List[str]) -> None:
    """No unguarded ``os.O_ACCMODE``-like name that this PyPy lacks."""
    uses = leg_uses()
    assert len(uses) > 100, "the scan found almost nothing: revisit it"
    missing = missing_on(command, uses)
    if missing is None:
        pytest.skip("%s does not run here" % command[-1])
    assert sorted(u for u in uses if (u[0], u[1]) in missing) == []


def test_the_scan_sees_bare_uses_and_skips_guarded_ones() -> None:
    """A bare ``os.O_ACCMODE`` is reported; guarded ones (hasattr, getattr, a Windows branch,
    try/except AttributeError) are not."""
    source = """
import os, subprocess, sys
from os import waitid
A = os.O_ACCMODE
B = getattr(os, "O_ACCMODE", 3)
if hasattr(os, "waitid"):
    os.waitid(os.P_PID, 1, os.WEXITED)
else:
    os.posix_spawnp()
if sys.platform == "win32":
    subprocess.CREATE_NEW_PROCESS_GROUP
try:
    os.pidfd_open(1)
except AttributeError:
    pass
"""
    found = [(m, n) for m, n, _ in unguarded_uses(source, "x")]
    assert found == [("os", "waitid"), ("os", "O_ACCMODE"), ("os", "posix_spawnp")]
