"""A short digest of a case's code, recorded in each results file (``harness.cases[].
code_digest``, results format 1.4), so that a comparison of two runs can tell a changed case
from a changed Python.

What it covers: the case function's source without its decorator and docstring (the catalog
metadata and the prose, which change no observation), the source of its ``timeout=``, and, found
by name from there, the source of every module-level function, class and assignment of the
case's package that it reaches (the child functions a case starts, the helpers of
``cases/_deadlock.py``, their constants), transitively. The text is read from the files and
parsed, never taken from live values: a constant computed at import (``sys.version_info``, a
timeout scaled by ``HARNESS_TIMEOUT_SCALE``) has the same digest on every interpreter and run.
The constants cases share from ``SHARED`` modules (``SHORT_TIMEOUT = 5.0 * _scale()``) are
followed as their text, and so is the default of the decorator's ``timeout`` when a case sets
none (``CASE_TIMEOUT``). Not covered: the harness itself (``Context``, the executor, the
functions of ``SHARED`` modules such as the per-run scale): a change there is the run's.

Guest code (the plugin calls it once per run, never the case parent): standard library only,
Python 3.8 syntax; ``ast`` and ``hashlib`` are imported when first needed.
"""

from __future__ import annotations

import sys

from harness.guest import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Set, Tuple

    #: A module's top-level definitions (name -> (text, statement)) and its imports from the
    #: package (alias -> (module, name); name "" when the alias is a module).
    Parsed = Tuple[Dict[str, Tuple[str, Any]], Dict[str, Tuple[str, str]]]

__all__ = ["DIGEST_CHARS", "SHARED", "TIMEOUT_KEYWORD", "covered", "digest"]

#: Hex characters of the SHA-256 kept: enough to tell two versions of one case apart.
DIGEST_CHARS = 12
#: The keyword of ``catalog.case`` that sets a case's hard timeout (a parameter name, not the
#: outcome word).
TIMEOUT_KEYWORD = "timeout"
#: Modules outside the case package whose module-level constants a case reads (the timeouts
#: of ``harness.guest.catalog``): followed by their text; their functions and classes are not.
SHARED: Tuple[str, ...] = ("harness.guest.catalog",)

_MODULES: Dict[str, Optional[Parsed]] = {}


def digest(func: Any) -> str:
    """The digest of the case function ``func`` and what it reaches; "" when its source
    cannot be read (a case defined outside a file)."""
    import hashlib

    texts = covered(func)
    if texts is None:
        return ""
    blob = "\n\x00\n".join(texts).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:DIGEST_CHARS]


def covered(func: Any) -> Optional[List[str]]:
    """The texts the digest is made of, sorted (None when the case's source is unreadable)."""
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__name__", "")
    package = module.split(".", 1)[0]
    texts: Set[str] = set()
    seen: Set[Tuple[str, str]] = set()
    todo = [(module, name, True)]
    while todo:
        mod, top, is_case = todo.pop()
        if (mod, top) in seen:
            continue
        seen.add((mod, top))
        parsed = _parsed(mod)
        if parsed is None:
            if is_case:
                return None
            continue
        defs, imports = parsed
        if top not in defs:
            origin = imports.get(top)
            if origin is not None and _followed(origin[0], package):
                todo.append((origin[0], origin[1], is_case))  # ``from cases._x import y``
            elif is_case:
                return None
            continue
        text, node = defs[top]
        if mod in SHARED and not _is_assignment(node):
            continue  # the harness's code, not the case's
        timeouts = _timeouts(node, mod, imports) if is_case else []
        texts.add(text + "".join("\n%s=%s" % (TIMEOUT_KEYWORD, _segment(
            _source(where) or "", value)) for where, value in timeouts))
        for part_mod, part in [(mod, node)] + timeouts:
            part_imports = imports if part_mod == mod else (_parsed(part_mod) or ({}, {}))[1]
            for ref_mod, ref in _references(part, part_mod, part_imports):
                if _followed(ref_mod, package):
                    todo.append((ref_mod, ref, False))
    return sorted(texts)


def _followed(module: str, package: str) -> bool:
    return module.split(".", 1)[0] == package or module in SHARED


def _is_assignment(node: Any) -> bool:
    import ast

    return isinstance(node, (ast.Assign, ast.AnnAssign))


def _references(node: Any, module: str,
                imports: Dict[str, Tuple[str, str]]) -> List[Tuple[str, str]]:
    """(module, name) of every name the statement reads: a bare name in its own module (or
    where it was imported from), ``alias.name`` in the module ``alias`` stands for."""
    import ast

    out: List[Tuple[str, str]] = []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        parts = list(node.body) + list(getattr(node, "bases", ()))  # no decorator
    else:
        parts = [node]
    for sub in (s for part in parts for s in ast.walk(part)):
        if isinstance(sub, ast.Name):
            out.append((module, sub.id))
        elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            target = imports.get(sub.value.id)
            if target is not None and target[1] == "":
                out.append((target[0], sub.attr))
    return out


def _timeouts(node: Any, module: str,
              imports: Dict[str, Tuple[str, str]]) -> List[Tuple[str, Any]]:
    """(module, value) of the case decorator's ``timeout=``, else of the decorator's default
    for it: a longer timeout can turn a timeout into ok, so it is part of the case's code (the
    rest of the decorator is metadata)."""
    import ast

    out: List[Tuple[str, Any]] = []
    for deco in getattr(node, "decorator_list", ()):
        if not isinstance(deco, ast.Call):
            continue
        given = [kw.value for kw in deco.keywords if kw.arg == TIMEOUT_KEYWORD]
        out += [(module, value) for value in given] or _default_timeout(deco.func, module,
                                                                         imports)
    return out


def _default_timeout(func: Any, module: str,
                     imports: Dict[str, Tuple[str, str]]) -> List[Tuple[str, Any]]:
    """(module, default) of the ``timeout`` parameter of the decorator ``func`` names."""
    import ast

    if not isinstance(func, ast.Name):
        return []
    where, name = imports.get(func.id, (module, func.id))
    parsed = _parsed(where)
    node = parsed[0].get(name, ("", None))[1] if parsed else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    args = node.args
    positional = list(getattr(args, "posonlyargs", [])) + list(args.args)
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return [(where, default) for arg, default in pairs if arg.arg == TIMEOUT_KEYWORD]


def _segment(source: str, node: Any) -> str:
    import ast

    return ast.get_source_segment(source, node) or ""


def _source(module: str) -> Optional[str]:
    mod = sys.modules.get(module)
    path = getattr(mod, "__file__", None)
    if not path or not str(path).endswith(".py"):
        return None
    try:
        with open(path, encoding="utf-8") as handle:  # universal newlines: CRLF checkouts too
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _parsed(module: str) -> Optional[Parsed]:
    if module not in _MODULES:
        _MODULES[module] = _parse(module)
    return _MODULES[module]


def _parse(module: str) -> Optional[Parsed]:
    """A module's top-level definitions and imports (``Parsed``), each parsed once."""
    import ast

    source = _source(module)
    if source is None:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    lines = source.split("\n")
    defs: Dict[str, Tuple[str, Any]] = {}
    imports: Dict[str, Tuple[str, str]] = {}
    package = module.rpartition(".")[0]
    stack = list(tree.body)
    while stack:
        stmt = stack.pop(0)
        if isinstance(stmt, (ast.If, ast.Try)):  # ``if sys.platform == "win32": def …``
            for part in ("body", "orelse", "handlers", "finalbody"):
                stack.extend(getattr(stmt, part, ()))
        elif isinstance(stmt, ast.ExceptHandler):
            stack.extend(stmt.body)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[stmt.name] = (_text(lines, stmt), stmt)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        defs[name.id] = (_text(lines, stmt), stmt)
        elif isinstance(stmt, ast.ImportFrom):
            base = stmt.module or ""
            if stmt.level:
                parent = package.rsplit(".", stmt.level - 1)[0] if stmt.level > 1 else package
                base = parent + ("." + base if base else "")
            for alias in stmt.names:
                full = "%s.%s" % (base, alias.name)
                imports[alias.asname or alias.name] = (full, "") if full in sys.modules \
                    else (base, alias.name)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    imports[alias.asname] = (alias.name, "")
    return defs, imports


def _text(lines: List[str], stmt: Any) -> str:
    """The statement's lines from ``def``/``class`` on (decorators are catalog metadata), its
    own docstring left out."""
    import ast

    first, last = stmt.lineno, getattr(stmt, "end_lineno", None) or stmt.lineno
    skip = (0, -1)
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and stmt.body:
        doc = stmt.body[0]
        if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(
                doc.value.value, str) and doc.lineno > first:
            skip = (doc.lineno, doc.end_lineno or doc.lineno)
    return "\n".join(line for number, line in enumerate(lines[first - 1:last], first)
                     if not skip[0] <= number <= skip[1])
