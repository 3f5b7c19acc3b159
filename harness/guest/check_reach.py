"""The names the code a child runs can read (runs inside the interpreter under test; standard
library only, Python 3.8 syntax): from its target, its arguments and a Pool's or executor's
first task, the user's functions and classes they hold, then the user's functions and classes
those name (by their module's globals), a bounded closure. A global that differs in the child
but none of them names is read, if at all, by the parent's code (a flag a parent-side log()
reads, review r14), so output that differs with it is no silently wrong result."""

from __future__ import annotations

import sys

from . import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional, Set

__all__ = ["code_names", "reached", "reads"]

_CODES = 2000  # the most code objects looked into: a big package is not followed further
_WIDE = 20  # the items of a container (a task's arguments) looked into
_DEEP = 4  # how far into containers and objects a function is looked for


def reads(found: List[str], roots: Any, mine: Callable[[str], bool]) -> List[str]:
    """Of ``found`` (``globals_differ``'s ``mod.NAME``, ``NAME.attr``), those whose last name
    the code reachable from ``roots`` names; all of them if that cannot be told."""
    if not found:
        return []
    loads: Set[str] = set()
    try:
        names = reached(roots, mine, loads)
    except Exception:  # noqa: BLE001 - an odd object: read, as before this was told
        return sorted(found)

    def read(name: str) -> bool:
        parts = name.partition(" ")[0].split(".")
        # A bare name is a global of the target's module: read where code loads it as a
        # global (or names it in a string), not where it is an attribute (logging.DEBUG does
        # not read a DEBUG flag; review r15).
        return parts[-1] in (loads if len(parts) == 1 else names)
    return sorted(n for n in found if read(n))


def reached(roots: Any, mine: Callable[[str], bool], loads: Optional[Set[str]] = None) -> Set[str]:
    """The names (and strings) the code of the user's files (``mine(path)``) reachable from
    ``roots`` uses; ``loads`` gets those it uses as globals (and the strings). Objects are read
    through their ``__dict__`` only, never ``getattr``: a user's ``__getattr__`` could act."""
    import types  # here: the guest imports nothing at the user's import time

    funcs: List[Any] = []
    classes: List[type] = []
    _collect(roots, _DEEP, funcs, classes)
    names: Set[str] = set()
    seen: Set[int] = set()
    while (funcs or classes) and len(seen) < _CODES:
        if classes:
            kind = classes.pop()
            if id(kind) not in seen and _mine_class(kind, mine):
                seen.add(id(kind))
                _each(list(vars(kind).values()), 0, funcs, classes)
                classes.extend(kind.__mro__[1:])  # a base class of the user's: its methods
            continue
        func = funcs.pop()
        code = func.__code__
        where = getattr(code, "co_filename", None)  # PyPy's builtin functions have none
        if id(code) in seen or not isinstance(where, str) or not mine(where):
            continue
        own = code_names(code, seen, loads)
        names |= own
        _each(_held(func), 1, funcs, classes)
        space = func.__globals__
        for name in own:
            value = space.get(name)
            if type(value) is types.ModuleType:  # helpers.compute: compute, if it is there
                inner = vars(value)
                _each([inner.get(n) for n in own if n in inner], 0, funcs, classes)
            else:  # a dispatch dict's functions, an instance's methods, a cache's function
                _collect(value, 2, funcs, classes)
    return names


def _held(func: Any) -> List[Any]:
    """What a function carries besides its code: a decorator's wrapper the function it wraps
    (its closure, ``__wrapped__``), defaults (review r15)."""
    held: List[Any] = []
    for cell in func.__closure__ or ():
        try:
            held.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    held.extend(func.__defaults__ or ())
    held.extend((func.__kwdefaults__ or {}).values())
    held.append(func.__dict__.get("__wrapped__"))
    return held[:_WIDE]


def code_names(code: Any, seen: Set[int], loads: Optional[Set[str]] = None) -> Set[str]:
    """The names and strings of ``code`` and of its nested functions and comprehensions;
    ``loads`` gets the names they use as globals, and the strings."""
    names: Set[str] = set()
    codes = [code]
    while codes:
        code = codes.pop()
        if id(code) not in seen:
            seen.add(id(code))
            names.update(code.co_names)
            strings = [c for c in code.co_consts if type(c) is str]
            names.update(strings)
            codes.extend(c for c in code.co_consts if type(c) is type(code))
            if loads is not None:
                import dis  # only once a global differs

                loads.update(strings)
                loads.update(str(i.argval) for i in dis.get_instructions(code)
                             if i.opname in _GLOBAL_OPS)
    return names


#: The instructions that use a name as a global (or a class body's name), 3.8 to 3.15, PyPy.
_GLOBAL_OPS = {"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME", "STORE_NAME",
               "DELETE_NAME", "LOAD_FROM_DICT_OR_GLOBALS"}


def _mine_class(kind: type, mine: Callable[[str], bool]) -> bool:
    module = sys.modules.get(getattr(kind, "__module__", "") or "")
    return mine(str(getattr(module, "__file__", None) or "/"))


def _collect(value: Any, depth: int, funcs: List[Any], classes: List[type]) -> None:
    """The functions and classes in ``value``, looked for ``depth`` levels into containers,
    partials, bound methods and objects' ``__dict__``."""
    import types

    kind = type(value)
    if kind is types.FunctionType:
        funcs.append(value)
    elif kind in (staticmethod, classmethod):
        funcs.append(value.__func__)
    elif kind is property:
        funcs.extend(f for f in (value.fget, value.fset, value.fdel) if f is not None)
    elif issubclass(kind, type):  # not isinstance: it asks the object's own __class__
        classes.append(value)
    elif depth <= 0 or value is None or issubclass(kind, (str, bytes, int, float)):
        return
    elif kind is types.MethodType:
        _each([value.__func__, value.__self__], depth, funcs, classes)
    elif kind is getattr(sys.modules.get("functools"), "partial", None):  # loaded if made
        _each([value.func, *value.args[:_WIDE], *list((value.keywords or {}).values())[:_WIDE]],
              depth, funcs, classes)
    elif kind in (tuple, list):
        _each(value[:_WIDE], depth - 1, funcs, classes)
    elif kind is dict:
        _each(list(value.values())[:_WIDE], depth - 1, funcs, classes)
    else:  # an object: its class (a Process subclass's methods) and what it holds
        classes.append(kind)
        try:
            own = object.__getattribute__(value, "__dict__")
        except Exception:  # noqa: BLE001 - no __dict__ (slots): its class only
            return
        if type(own) is dict:
            _each(list(own.values())[:_WIDE], depth - 1, funcs, classes)


def _each(values: List[Any], depth: int, funcs: List[Any], classes: List[type]) -> None:
    for value in values:
        _collect(value, depth, funcs, classes)
