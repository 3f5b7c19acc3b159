"""The import boundary, checked (``python -m harness.boundary``, run by ``nox -s lint``).

Reads the source (never imports it) and fails naming each broken rule:

1. Guest code (``harness/guest/``, ``harness/__init__.py``, ``cases/``) imports only the
   standard library and guest code, and parses as Python 3.8: it runs inside every interpreter
   under test, including 3.8, PyPy and a bare Debian root.
2. What the case parent imports before a case runs (:data:`LEAN`) imports at module level only
   :data:`LEAN_STDLIB` and guest modules: a fork child copies every module its parent holds, so
   one more import changes what the cells observe. Case modules never import ``typing`` at run
   time (``if TYPE_CHECKING:``).
   ``check``'s guest (:data:`CHECK_ENTRY` and every guest module it imports) runs inside the
   user's program, whose fork children copy what it imported: at module level it imports
   only :data:`LEAN_STDLIB` too, in a function only :data:`CHECK_STDLIB`; never ``typing``
   at run time.
3. Report modules (:data:`REPORT`) never import run or guest modules (but
   :data:`REPORT_GUEST`): a report is built from results files alone, on any machine. Kernel
   modules (:data:`KERNEL`), which report modules import, import only kernel modules and
   :data:`KERNEL_GUEST`, so the rule holds through them.
4. No import cycle among the project's modules (function-local imports count).

Every host module is in exactly one room; a new one must be added to a room here.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

from harness.exits import EXIT_FAILED, EXIT_OK
from harness.results import ROOT

__all__ = ["Import", "check", "main", "module_imports"]

#: The case parent's import closure before a case runs (what fork copies).
LEAN = frozenset({"harness", "harness.guest", "harness.guest.executor",
                  "harness.guest.case_parent", "harness.guest.catalog",
                  "harness.guest.words", "harness.guest.measure", "harness.guest.rules"})
LEAN_STDLIB = frozenset({"__future__", "os", "sys", "time"})
#: ``python -m harness check``'s executor: it and the guest modules it imports run in the
#: user's program (``harness.guest.check_exec``).
CHECK_ENTRY = "harness.guest.check_exec"
#: What ``check``'s guest may import inside a function, when it needs it (not ``typing``).
CHECK_STDLIB = frozenset({"_thread", "atexit", "dis", "faulthandler", "importlib", "json",
                          "multiprocessing", "random", "re", "runpy", "shutil", "signal",
                          "threading", "time", "traceback", "types", "warnings"})
#: Shared by both host chains: formats, vocabulary, expectation matching, exit statuses.
KERNEL = frozenset({"harness.vocab", "harness.results", "harness.expect", "harness.text",
                    "harness.documents", "harness.exits", "harness.causes"})
#: The guest modules kernel code may import: the vocabulary and the results file's reader.
KERNEL_GUEST = frozenset({"harness", "harness.guest", "harness.guest.words",
                          "harness.guest._files"})
#: The guest modules report code may import: the vocabulary, and the docs' links (constants
#: alone: the page's advice cites the docs the cases cite, spelled once).
REPORT_GUEST = frozenset({"harness", "harness.guest", "harness.guest.words",
                          "harness.guest.docs"})
#: Host modules that run the matrix or a check, or tell what ran (``cli`` is the entry).
RUN = frozenset({"harness.__main__", "harness.cli", "harness.plugin", "harness.runner",
                 "harness.judge",
                 "harness.discovery", "harness.provision", "harness.provision_cli",
                 "harness.chroot", "harness.check",
                 "harness.bench", "harness.bench_floor", "harness.bench_merge",
                 "harness.bench_total", "harness.pageload",
                 "harness.boundary", "harness.legcheck", "harness.root_exec",
                 "harness.coverage", "harness.waiting", "harness.leftovers", "harness.capture",
                 "harness.strays", "harness.psgroup", "harness.stopping", "harness.interrupted",
                 "harness.replaced",
                 "harness.cli_types", "harness.scheduling", "harness.owned", "harness.envprobe",
                 "harness.case_imports"})
#: Host modules that turn results files into the matrix, the page and the diff.
REPORT = frozenset({"harness.loading", "harness.merge", "harness.model", "harness.render",
                    "harness.svg", "harness.summary", "harness.history", "harness.diff",
                    "harness.claimcheck", "harness.answers", "harness.grid", "harness.picks",
                    "harness.cellview", "harness.casetext", "harness.claimview", "harness.envview",
                    "harness.groups", "harness.notrun", "harness.case_code", "harness.inputs",
                    "harness.claimpred", "harness.changetext", "harness.noise",
                    "harness.diffcell", "harness.diffdefault", "harness.advice",
                    "harness.systems"})
#: A guest import marked with this comment is the user's own package (``check --pytest``
#: imports the pytest of the interpreter under test), not a dependency of the harness.
USERS_OWN = "# boundary: the user's own"
#: Name prefixes of modules of the run chain added by others (``check_*`` diagnoses).
RUN_PREFIXES = ("harness.check_",)


class Import(NamedTuple):
    """One import statement: who imports what, where, and whether only for the type checker."""

    module: str
    target: str
    line: int
    top_level: bool
    typing_only: bool
    #: False for ``os.path`` of ``from os import path`` (it may name a submodule, or not).
    named: bool = True


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, top: bool, typing_only: bool) -> Iterator[Tuple[Any, bool, bool]]:
    """(import node, at module level, under ``if TYPE_CHECKING:``) for every import."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, top, typing_only
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), top, True)
            for stmt in child.orelse:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), top, typing_only)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _walk(child, False, typing_only)
        else:
            yield from _walk(child, top, typing_only)


def module_imports(module: str, tree: ast.AST, is_package: bool = False) -> List[Import]:
    """Every import in ``tree`` as absolute module names (``from a import b`` gives ``a.b``
    when ``b`` may be a submodule; the checks below treat both names)."""
    found: List[Import] = []
    package = module if is_package else module.rpartition(".")[0]
    for node, top, typing_only in _walk(tree, True, False):
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, node.lineno, top, typing_only)
                         for alias in node.names)
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(Import(module, base, node.lineno, top, typing_only))
            found.extend(Import(module, "%s.%s" % (base, alias.name), node.lineno, top,
                                typing_only, named=False) for alias in node.names)
    return found


def _sources(root: Path) -> Dict[str, Path]:
    files = sorted((root / "harness").rglob("*.py")) + sorted((root / "cases").glob("*.py"))
    return {_module_name(p, root): p for p in files if "__pycache__" not in p.parts}


def _stdlib() -> FrozenSet[str]:
    names = getattr(sys, "stdlib_module_names", None)  # 3.10+
    if names:
        return frozenset(names)
    import pkgutil  # before 3.10: what the standard library's folders hold
    import sysconfig

    std = sysconfig.get_paths()["stdlib"]
    found = {m.name for m in pkgutil.iter_modules([std, str(Path(std) / "lib-dynload")])}
    return frozenset(found | set(sys.builtin_module_names))


def _room(module: str) -> str:
    if module == "harness" or module.startswith(("harness.guest", "cases")):
        return "guest"
    if module in KERNEL:
        return "kernel"
    if module in RUN or module.startswith(RUN_PREFIXES):
        return "run"
    if module in REPORT:
        return "report"
    return "unknown"


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def check(root: Path = ROOT) -> List[str]:
    """Every broken rule under ``root``, one line each (``path:line: problem``)."""
    sources = _sources(root)
    stdlib = _stdlib()
    problems: List[str] = []
    graph: Dict[str, Set[str]] = {}
    found: Dict[str, Tuple[str, List[Import], List[str]]] = {}  # where, imports, lines
    for module, path in sources.items():
        where = str(path.relative_to(root))
        room = _room(module)
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text, str(path), feature_version=(3, 8) if room == "guest" else None)
        except SyntaxError as exc:
            problems.append("%s:%s: not Python 3.8 syntax: %s" % (where, exc.lineno, exc.msg))
            continue
        if room == "unknown":
            problems.append("%s:1: %s is in no room: add it to harness/boundary.py" % (
                where, module))
        imports = module_imports(module, tree, path.name == "__init__.py")
        for imp in imports:
            own = _own_module(imp.target, sources)
            if own and own != module and not imp.typing_only:
                graph.setdefault(module, set()).add(own)
        lines = text.splitlines()
        found[module] = (where, imports, lines)
        problems += [problem for problem in
                     _room_problems(where, module, room, imports, sources, stdlib)
                     if USERS_OWN not in lines[int(problem.split(":")[1]) - 1]]
    problems += _check_problems(graph, found, sources)
    for cycle in _cycles(graph):
        problems.append("import cycle: %s" % " <-> ".join(cycle))
    return problems


def _check_problems(graph: Dict[str, Set[str]],
                    found: Dict[str, Tuple[str, List[Import], List[str]]],
                    sources: Dict[str, Path]) -> List[str]:
    """Rule 2 for ``check``'s guest, over the import closure of :data:`CHECK_ENTRY`."""
    closure: Set[str] = set()
    todo = [CHECK_ENTRY] if CHECK_ENTRY in found else []
    while todo:
        module = todo.pop()
        if module not in closure:
            closure.add(module)
            todo.extend(graph.get(module, ()))
    problems: List[str] = []
    for module in sorted(closure):
        where, imports, lines = found[module]
        for imp in imports:
            if imp.typing_only or not imp.named or _own_module(imp.target, sources) or \
                    USERS_OWN in lines[imp.line - 1]:
                continue
            top = imp.target.split(".")[0]
            say = "%s:%d: %s imports %s" % (where, imp.line, module, imp.target)
            fix = "use ``if TYPE_CHECKING:``" if top == "typing" else ""
            if imp.top_level and top not in LEAN_STDLIB:
                problems.append(say + ": check's guest runs in the user's program (fork "
                                      "copies it): " + (fix or "import it where it is used"))
            elif not imp.top_level and top not in LEAN_STDLIB | CHECK_STDLIB:
                problems.append(say + ": check's guest runs in the user's program: not in "
                                      "boundary.CHECK_STDLIB" + (" (%s)" % fix if fix else ""))
    return problems


def _own_module(target: str, sources: Dict[str, Path]) -> Optional[str]:
    """The project module ``target`` names, if any (``harness.merge.signature`` -> merge)."""
    while target:
        if target in sources:
            return target
        target = target.rpartition(".")[0]
    return None


def _room_problems(where: str, module: str, room: str, imports: Sequence[Import],
                   sources: Dict[str, Path], stdlib: FrozenSet[str]) -> List[str]:
    problems: List[str] = []
    for imp in imports:
        own = _own_module(imp.target, sources)
        top = imp.target.split(".")[0]
        if imp.typing_only or (own is None and not imp.named):
            continue  # ``from os import path``: judge ``os`` once, not ``os.path`` again
        say = "%s:%d: %s imports %s" % (where, imp.line, module, imp.target)
        target_room = _room(own) if own else None
        if room == "guest":
            if own is None and top not in stdlib:
                problems.append(say + ": guest code imports only the standard library")
            elif own is not None and target_room != "guest":
                problems.append(say + ": guest code imports only guest code")
            elif module in LEAN and imp.top_level and own is None and top not in LEAN_STDLIB:
                problems.append(say + ": the case parent imports it before every case (fork "
                                      "copies it): import it where it is used")
            elif module.startswith("cases") and imp.top_level and top == "typing":
                problems.append(say + ": at run time (use ``if TYPE_CHECKING:``)")
        elif room == "report" and target_room in ("run", "guest") and \
                own not in REPORT_GUEST:
            problems.append(say + ": report code never imports run or guest code")
        elif room == "kernel" and own is not None and target_room != "kernel" and \
                own not in KERNEL_GUEST:
            problems.append(say + ": kernel code (shared by run and report) imports only "
                                  "kernel code, guest.words and guest._files")
    return problems


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]).resolve() if args else ROOT
    problems = check(root)
    for line in problems:
        sys.stdout.write(line + "\n")
    sys.stdout.write("import boundary: %s\n" % (
        "%d problem(s)" % len(problems) if problems else "ok"))
    return EXIT_FAILED if problems else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
