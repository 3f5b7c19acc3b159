"""A container global as text that is the same in every process for equal contents: what
``check_watch`` compares between the parent at ``start()`` and the child (runs inside the
interpreter under test; standard library only, Python 3.8 syntax)."""

from __future__ import annotations

import sys

from . import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, List, Tuple

__all__ = ["ADDRESS", "LIMIT", "SIMPLE", "canonical", "digest", "is_a"]

SIMPLE = (str, int, float, bool, type(None), bytes)


class _Method:
    def bound(self) -> None:
        pass


#: types.MethodType, without importing types into the user's program.
_BOUND = type(_Method().bound)


def is_a(value: Any, kinds: Any) -> bool:
    """``isinstance`` by the value's own type: ``isinstance`` asks a proxy for its ``__class__``,
    user code (Django's LazySettings loads its settings for it, and may raise; review r15)."""
    return issubclass(type(value), kinds)
#: An object's address in a repr (`` at 0x7f...``): differs in every process, so dropped.
ADDRESS = r" at 0x[0-9a-fA-F]+"
#: The most items a compared container holds, and the text size unit of the budget.
LIMIT = 1000


class _TooBig(Exception):
    """A container too big or too deep to compare cheaply: it is not compared."""


def digest(value: Any) -> str:
    """A container global as text that is the same in every process for equal contents:
    dict items and sets sorted, object addresses dropped, ``__mp_main__`` read as
    ``__main__`` ("" when it is too big or deep to compare cheaply, or a repr fails).
    ``hash()`` is no use here: str hashes differ from one interpreter to the next."""
    import re

    budget = [20 * LIMIT]  # characters of text: the work stops once they are spent
    try:
        return canonical(value, 3, budget, re.compile(ADDRESS))
    except Exception:  # noqa: BLE001 - too big, or a repr that fails: nothing to compare
        return ""


def canonical(value: Any, depth: int, budget: List[int], address: Any) -> str:
    """``value`` as ``digest`` gives it, ``depth`` levels of containers deep at most, its text
    taken from ``budget`` (``_TooBig`` once spent)."""
    if budget[0] <= 0:
        raise _TooBig()
    if is_a(value, (dict, list, tuple, set, frozenset)):
        if not depth or len(value) > LIMIT:
            raise _TooBig()
        if is_a(value, dict):
            parts = sorted("%s: %s" % (canonical(k, depth - 1, budget, address),
                                       canonical(v, depth - 1, budget, address))
                           for k, v in list(value.items()))
        else:
            parts = [canonical(v, depth - 1, budget, address) for v in list(value)]
            if is_a(value, (set, frozenset)):
                parts.sort()
        text = "%s(%s)" % (type(value).__name__, ", ".join(parts))
    elif is_a(value, (str, bytes)) and len(value) > budget[0]:
        raise _TooBig()
    elif is_a(value, (*SIMPLE, type, complex, *_value_types())) or (
            callable(value) and ("__qualname__" in vars(type(value)) or is_a(value, _BOUND))):
        text = address.sub("", repr(value)).replace("__mp_main__", "__main__")
    elif _is_dataclass(value):  # by its fields, as its repr shows them, each by these rules
        if not depth:
            raise _TooBig()
        kind = type(value)
        fields = [f for f in sys.modules["dataclasses"].fields(value) if f.repr]
        text = "%s.%s(%s)" % (kind.__module__.replace("__mp_main__", "__main__"),
                              kind.__qualname__, ", ".join(
                                  "%s=%s" % (f.name, canonical(getattr(value, f.name, None),
                                                                depth - 1, budget, address))
                                  for f in fields))
    else:  # any other object by its type: its repr may show state that start() itself changes
        kind = type(value)  # (a Process listed in a global reads "started" in a fork child)
        text = "<%s.%s>" % (kind.__module__, kind.__qualname__)
        text = text.replace("__mp_main__", "__main__")
    budget[0] -= len(text)
    return text


#: Standard library types whose repr is their value, compared by value inside a container
#: global like numbers and text: a Path set in the main block is a value the child must see.
_VALUES = (("pathlib", "PurePath"), ("datetime", "date"), ("datetime", "time"),
           ("datetime", "timedelta"), ("decimal", "Decimal"), ("fractions", "Fraction"),
           ("uuid", "UUID"), ("enum", "Enum"))


def _is_dataclass(value: Any) -> bool:
    """An instance of a dataclass (``dataclasses`` is not imported here unless the program
    did)."""
    dataclasses = sys.modules.get("dataclasses")
    return dataclasses is not None and not is_a(value, type) and \
        hasattr(type(value), "__dataclass_fields__")


def _value_types() -> Tuple[type, ...]:
    """The types of ``_VALUES`` whose modules the program imported (none is imported here: a
    fork child copies whatever the watch imports)."""
    return tuple(getattr(sys.modules[module], name) for module, name in _VALUES
                 if hasattr(sys.modules.get(module), name))
