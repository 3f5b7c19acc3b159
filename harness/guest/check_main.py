"""Run the user's script (or ``-m`` module) as ``__main__`` as ``runpy`` does, recording its
globals as its top level left them, before its main block (runs inside the interpreter under
test; standard library only, Python 3.8 syntax).

A spawn or forkserver child runs the script's top level again as ``__mp_main__``, not its main
block: a value the top level computes (``STARTED = time.time()``) differs in every process
without the parent having set anything, as in an imported module
(``check_record.record_imports``). The record (``check_compare.IMPORTED["__main__"]``) makes
the child compare only the globals the main block set or changed. The script is split at its
first top-level ``if __name__ == "__main__":``; one without such a block is not recorded
(compared whole).
"""

from __future__ import annotations

import sys

from . import TYPE_CHECKING
from .check_compare import record

if TYPE_CHECKING:
    from typing import Any, Dict, List, Tuple

__all__ = ["check_encoding", "run_module", "run_script"]

#: ``ast.PyCF_ONLY_AST``, and the ``__future__`` features' compiler flags (``annotations``,
#: ``barry_as_FLUFL``, ``generator_stop``) that a split-off part must keep: neither ``ast``
#: nor ``__future__`` is imported into the user's program for them.
_ONLY_AST = 0x400
_FUTURE = 0x1000000 | 0x400000 | 0x800000


def _is_main_block(node: Any) -> bool:
    """``if __name__ == "__main__":`` (either way round)."""
    test: Any = getattr(node, "test", None)
    if type(node).__name__ != "If" or type(test).__name__ != "Compare" or \
            len(test.ops) != 1 or type(test.ops[0]).__name__ != "Eq":
        return False
    sides = [test.left, test.comparators[0]]
    names = [getattr(s, "id", None) for s in sides]
    values = [getattr(s, "value", None) for s in sides]
    return "__name__" in names and "__main__" in values


def _split(source: bytes, path: str) -> Tuple[Any, Any]:
    """The script's code before its main block and from it on (None when it has none)."""
    tree = compile(source, path, "exec", _ONLY_AST, dont_inherit=True)
    body: List[Any] = list(tree.body)
    at = next((i for i, node in enumerate(body) if _is_main_block(node)), None)
    if at is None:
        return compile(tree, path, "exec", dont_inherit=True), None
    top = compile(type(tree)(body=body[:at], type_ignores=[]), path, "exec", dont_inherit=True)
    rest = type(tree)(body=body[at:], type_ignores=[])
    return top, compile(rest, path, "exec", top.co_flags & _FUTURE, dont_inherit=True)


def check_encoding(source: bytes, path: str) -> None:
    """Refuse, as ``python script.py`` does, a script without an encoding declaration that is
    not UTF-8: CPython's compile() of bytes lets such bytes in a comment through, its file
    runner does not (the Language Reference, "Encoding declarations": UTF-8 is the default)."""
    if source.startswith(b"\xef\xbb\xbf"):
        return  # the UTF-8 byte order mark declares it: the file runner, too, lets it be
    for line in source.split(b"\n", 2)[:2]:  # a declaration is a comment of line 1 or 2
        comment = line.lstrip(b" \t\f")
        if comment.startswith(b"#") and (b"coding:" in comment or b"coding=" in comment):
            return  # declared: compile() decoded it as the file runner does
        if comment.strip() and not comment.startswith(b"#"):
            break
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as error:  # CPython's tokenizer's words
        raise SyntaxError(
            "Non-UTF-8 code starting with '\\x%02x' in file %s on line %d, but no encoding "
            "declared; see https://peps.python.org/pep-0263/ for details"
            % (source[error.start], path, source.count(b"\n", 0, error.start) + 1)) from None


def run_script(path: str) -> None:
    """Run ``path`` as ``__main__`` (``sys.modules["__main__"]`` while it runs, restored
    after, as ``runpy.run_path`` has it), its globals recorded before its main block.

    ``__mp_main__`` names it too, as multiprocessing aliases it when a script is run: a spawn
    or forkserver child pickles the script's classes (a result, an exception) as
    ``__mp_main__.X``, which the parent must find in the script, not in check_exec."""
    with open(path, "rb") as handle:  # bytes: compile() honours a coding declaration
        source = handle.read()
    top, rest = _split(source, path)
    check_encoding(source, path)
    _run_main(top, rest, {"__file__": path, "__cached__": None, "__loader__": None,
                          "__package__": "", "__spec__": None})


def run_module(name: str) -> None:
    """Run module ``name`` as ``python -m name`` does (runpy's own lookup: a package runs its
    ``__main__``; ``sys.argv[0]`` is the module's file), as ``run_script`` runs a script: its
    globals recorded before its main block. A spawn child finds it by its ``__spec__``."""
    import runpy  # ``python -m`` imports it too

    # ImportError "No module named x", as python -m says it.
    name, spec, code = runpy._get_module_details(name)  # type: ignore[attr-defined]
    path = spec.origin
    top, rest = code, None
    if spec.has_location and str(path).endswith(".py"):  # not a .pyc alone: compared whole
        with open(path, "rb") as handle:
            top, rest = _split(handle.read(), path)
    sys.argv[0] = path
    _run_main(top, rest, {"__file__": path, "__cached__": spec.cached,
                          "__loader__": spec.loader, "__package__": spec.parent,
                          "__spec__": spec})


def _run_main(top: Any, rest: Any, attributes: Dict[str, Any]) -> None:
    """Run ``top`` then ``rest`` (its main block, if any) in a new ``__main__``, recording its
    globals between the two."""
    import types

    module = types.ModuleType("__main__")
    vars(module).update(attributes)
    saved = {name: sys.modules.get(name) for name in ("__main__", "__mp_main__")}
    sys.modules["__main__"] = sys.modules["__mp_main__"] = module
    try:
        exec(top, vars(module))  # noqa: S102 - the user's own script, by request
        if rest is not None:
            try:
                record(module)
            except Exception:  # noqa: BLE001, S110 - check's bookkeeping never breaks the program
                pass
            exec(rest, vars(module))  # noqa: S102
    finally:
        for name, was in saved.items():
            if was is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = was
