"""Module globals that are objects, as ``check_compare`` compares them between the parent at
``start()`` and the child (runs inside the interpreter under test; standard library only,
Python 3.8 syntax): a settings object (an argparse Namespace, a SimpleNamespace, an object of
the user's own class) by its attributes, each as ``check_digest`` gives a container's item."""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING
from .check_digest import ADDRESS, LIMIT, canonical
from .check_frames import HARNESS

if TYPE_CHECKING:
    from typing import Any, Dict, Optional

__all__ = ["attributes", "by_attributes", "library"]

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
