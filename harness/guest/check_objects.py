"""Module globals that are objects, as ``check_compare`` compares them between the parent at
``start()`` and the child (runs inside the interpreter under test; standard library only,
Python 3.8 syntax): a settings object (an argparse Namespace, a SimpleNamespace, an object of
the user's own class) by its attributes, each as ``check_digest`` gives a container's item; a
multiprocessing Lock, Queue, Event or Value by the semaphore that is it in every process."""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING
from .check_digest import ADDRESS, LIMIT, canonical, digest
from .check_frames import HARNESS

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = ["attributes", "by_attributes", "containers_differ", "library", "resource",
           "resources_differ"]

#: The standard library's folder: its classes' objects are not the user's settings.
_STDLIB = os.path.join(os.path.dirname(os.path.abspath(os.__file__)), "")
#: types.SimpleNamespace, without importing ``types``.
_NAMESPACE = type(sys.implementation)


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
    if isinstance(value, (type, type(sys))) or (enum is not None and isinstance(value, enum.Enum)):
        return False
    path = getattr(sys.modules.get(kind.__module__), "__file__", None)
    return isinstance(path, str) and not library(path)


def attributes(value: Any) -> Optional[Dict[str, str]]:
    """``value``'s attributes (its ``vars()``, but dunder names), each as a container's item
    text: one budget for them all, an attribute too big for what is left "" (not compared).
    None when it has no ``vars()``, {} when it has more than ``LIMIT`` attributes."""
    import re

    try:
        fields = dict(vars(value))
    except TypeError:  # None, a number, an object of __slots__: no attributes to read
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
    Read by ``vars()``: a Manager's proxy would ask its server for a missing attribute."""
    kind = type(value)
    if not kind.__module__.startswith("multiprocessing.") or \
            kind.__module__ == "multiprocessing.managers":
        return None
    held = value
    for _ in range(4):  # a Barrier's: its condition, that one's lock, that one's semaphore
        inner = getattr(held, "__dict__", None) or {}
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
    ``module.NAME (Queue)``; not one the parent passed to the child (``passed``: an argument,
    or an item of one: a Pool's initargs)."""
    given = {resource(v) for a in passed for v in (a if isinstance(a, tuple) else (a,))}
    found = []
    for where, parent in sorted(resources.items()):
        name, _, key = where.partition(":")
        module = module_of(name)
        if parent not in given and hasattr(module, key) and \
                resource(getattr(module, key)) != parent:
            found.append("%s.%s (%s)" % (name, key, parent.partition(" ")[0]))
    return found
