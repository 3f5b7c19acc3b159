"""Module globals that are objects, as ``check_compare`` compares them between the parent at
``start()`` and the child (runs inside the interpreter under test; standard library only,
Python 3.8 syntax): a settings object (an argparse Namespace, a SimpleNamespace, an object of
the user's own class) by its attributes, each as ``check_digest`` gives a container's item; a
multiprocessing Lock, Queue, Event or Value by the semaphore that is it in every process."""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING
from .check_digest import ADDRESS, LIMIT, canonical, digest, is_a
from .check_frames import HARNESS

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

__all__ = ["attributes", "by_attributes", "containers_differ", "describe", "library",
           "own_dict", "resource", "resources_differ"]

#: The standard library's folder: its classes' objects are not the user's settings.
_STDLIB = os.path.join(os.path.dirname(os.path.abspath(os.__file__)), "")
#: types.SimpleNamespace, without importing ``types``.
_NAMESPACE = type(sys.implementation)


def describe(value: Any) -> str:
    """What an object global is, as the parent and the child compare it: ``sqlite3.Connection``,
    ``None`` (a global set in the main block, which a spawn child never ran), ``mock Mock``."""
    if value is None:
        return "None"
    mock = sys.modules.get("unittest.mock")
    if mock is not None and is_a(value, mock.NonCallableMock):
        return "mock %s" % type(value).__name__
    kind = type(value)
    module, name = kind.__module__, kind.__name__  # an object: its class, never its own lookups
    if callable(value) and "__qualname__" in vars(kind):  # a class, a function: its own name
        try:
            module, name = value.__module__, value.__qualname__
        except Exception:  # noqa: BLE001 - a metaclass's odd lookup: its class's name then
            module, name = kind.__module__, kind.__qualname__
    return "%s.%s" % ("__main__" if module == "__mp_main__" else module, name)


def library(path: str) -> bool:
    """``path`` is the standard library's, site-packages' or the harness's, never the user's."""
    path = os.path.abspath(path)
    return path.startswith((_STDLIB, HARNESS)) or "-packages" + os.sep in path


def by_attributes(value: Any) -> bool:
    """A settings object: compared by its attributes. An argparse Namespace (what
    ``parse_args()`` gives), a SimpleNamespace, or an object of a class of the user's (its
    module's file outside the libraries): not a class, a module or an enum member, which are
    the same in every process."""
    kind = type(value)
    if kind is _NAMESPACE or kind is getattr(sys.modules.get("argparse"), "Namespace", None):
        return True
    enum = sys.modules.get("enum")
    if is_a(value, (type, type(sys))) or (enum is not None and is_a(value, enum.Enum)):
        return False
    module = getattr(kind, "__module__", None)
    path = getattr(sys.modules.get(module), "__file__", None) if isinstance(module, str) else None
    return isinstance(path, str) and not library(path)


def own_dict(value: Any) -> Optional[Dict[Any, Any]]:
    """A copy of ``value``'s own ``__dict__``, None when it has none: read as the object's
    instance dictionary, never through its class's ``__getattr__`` (``vars()`` asks that for
    ``__dict__``, and a user's may raise anything: review r12)."""
    try:
        fields = object.__getattribute__(value, "__dict__")
        return dict(fields) if isinstance(fields, dict) else None
    except Exception:  # noqa: BLE001 - no instance dictionary, or an odd descriptor: none
        return None


def attributes(value: Any) -> Optional[Dict[str, str]]:
    """``value``'s attributes (its ``own_dict``, but dunder names), each as a container's item
    text: one budget for them all, an attribute too big for what is left "" (not compared).
    None when it has no ``own_dict``, {} when it has more than ``LIMIT`` attributes."""
    import re

    fields = own_dict(value)
    if fields is None:  # None, a number, an object of __slots__: no attributes to read
        return None
    if len(fields) > LIMIT:
        return {}
    budget = [20 * LIMIT]
    address = re.compile(ADDRESS)
    out: Dict[str, str] = {}
    for name, item in fields.items():
        if isinstance(name, str) and not name.startswith("__"):
            try:  # as an item of a container global: one level down
                out[name] = canonical(item, 2, budget, address)
            except Exception:  # noqa: BLE001 - too big, or a repr that fails: not compared
                out[name] = ""
    return out


def containers_differ(module: Any, digests: Dict[str, str]) -> List[str]:
    """The container globals and settings objects' attributes (``OPTS.workers``) of
    ``module`` whose digest is not the parent's; a settings object the child has as another
    kind of value (None) by its own name (``OPTS``)."""
    found: Dict[str, None] = {}
    objects: Dict[str, Any] = {}  # a settings object's attributes, read once
    for key, parent in digests.items():
        name, _, attr = key.partition(".")
        if not parent or not hasattr(module, name):
            continue
        if not attr:
            if digest(getattr(module, name)) != parent:
                found[key] = None
            continue
        if name not in objects:
            objects[name] = attributes(getattr(module, name))
        own = objects[name]
        if own is None:
            found[name] = None
        elif own.get(attr, "?") and own.get(attr) != parent:  # missing: a difference too
            found[key] = None
    return list(found)


#: Where a multiprocessing object keeps the semaphore that names it: a Lock's own, a Queue's
#: read lock, an Event's flag, a Condition's or a synchronized Value's lock, a Barrier's
#: condition.
_HOLDERS = ("_semlock", "_rlock", "_flag", "_lock", "_cond")


def resource(value: Any) -> Optional[str]:
    """``Queue /mp-abc``: the kind of a multiprocessing synchronised object and the name of
    its semaphore, the same in a process that inherited it (a fork child, or one it was passed
    to) and another in a process that made its own (a spawn child importing the module); None
    for anything else, and for an object of the fork context (its semaphore has no name).
    Read by ``own_dict``: a Manager's proxy would ask its server for a missing attribute."""
    module = getattr(type(value), "__module__", None)  # None for a class made at run time
    if not isinstance(module, str) or not module.startswith("multiprocessing.") or \
            module == "multiprocessing.managers":
        return None
    kind = type(value)
    held = value
    for _ in range(4):  # a Barrier's: its condition, that one's lock, that one's semaphore
        inner = own_dict(held) or {}
        found = next((inner[h] for h in _HOLDERS if h in inner), None)
        if found is None:
            return None
        if "_semlock" in inner:
            name = getattr(found, "name", None)
            return "%s %s" % (kind.__name__, name) if isinstance(name, str) else None
        held = found
    return None


def resources_differ(resources: Dict[str, str], passed: Tuple[Any, ...],
                     module_of: Callable[[str], Any]) -> List[str]:
    """Of the multiprocessing objects in the user's globals at start() (``module:NAME`` ->
    ``resource``), those the child has its own of (its import of the module made them), as
    ``module.NAME (Queue)``; not one the parent passed to the child (``passed``: the target
    and its arguments, and what ``_given`` finds inside them)."""
    given = _given(passed)
    found = []
    for where, parent in sorted(resources.items()):
        name, _, key = where.partition(":")
        module = module_of(name)
        if parent not in given and hasattr(module, key) and \
                resource(getattr(module, key)) != parent:
            found.append("%s.%s (%s)" % (name, key, parent.partition(" ")[0]))
    return found


#: How many levels below an argument ``_given`` looks, and at how many values in all.
_DEPTH, _VALUES = 3, 2000


def _given(passed: Tuple[Any, ...]) -> Set[str]:
    """The ``resource`` of each multiprocessing object in ``passed`` or up to ``_DEPTH`` levels
    below: an item of a tuple, list, set or dict (a Pool's initargs, ``args=([q],)``), an
    attribute of an object (a Process subclass's ``self.q``: its child's argument is the
    process itself), a bound method's object, a partial's function and arguments
    (``target=partial(work, q)``); ``_VALUES`` values at most."""
    found: Set[str] = set()
    seen: Set[int] = set()
    level = list(passed)
    for _ in range(_DEPTH + 1):
        below: List[Any] = []
        for value in level:
            if id(value) in seen or len(seen) >= _VALUES:
                continue
            seen.add(id(value))
            name = resource(value)
            if name:
                found.add(name)
            else:
                for item in _below(value):
                    if len(below) >= _VALUES:
                        break
                    below.append(item)
        level = below
    return found


def _below(value: Any) -> Iterable[Any]:
    """What ``_given`` looks at below ``value``: not a class's or a module's globals (never
    passed), nor anything through the user's ``__getattr__``."""
    import types

    kind = type(value)
    if kind in (tuple, list, set, frozenset):
        return value  # type: ignore[no-any-return]
    if kind is dict:
        return value.values()  # type: ignore[no-any-return]
    if kind is types.MethodType:
        return (value.__self__,)
    if kind is getattr(sys.modules.get("functools"), "partial", None):  # loaded if one was made
        return (value.func, *value.args, *(value.keywords or {}).values())
    if is_a(value, (type, type(sys))):
        return ()
    return (own_dict(value) or {}).values()
