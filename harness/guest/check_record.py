"""Inside the interpreter under test: ``check``'s record of each user module's globals as its
import left them (``check_compare.IMPORTED``), by wrapping the import system's own running of a
module it found. Apart from ``check_compare``, which compares those records with what a child
saw."""

from __future__ import annotations

import sys

from . import TYPE_CHECKING
from .check_compare import mine, record
from .check_digest import is_a

if TYPE_CHECKING:
    from typing import Any, Callable, Dict

__all__ = ["record_imports"]


def record_imports(user_dir: str) -> None:
    """From now on, record the globals of each module of the user's as its import left them
    (``IMPORTED``), by wrapping the import system's own running of a module it found
    (``_load_unlocked``; ``_exec``, ``importlib.reload``'s): private functions of importlib's
    bootstrap (CPython 3.8 to 3.15, PyPy) that no finder or loader sees. A finder on
    ``sys.meta_path`` would be seen by the user's code that looks there, and, to reach the
    spec, it asked the finders after it on the user's behalf: a finder that found nothing was
    asked again by the import system. Only modules the import system's own file (or zip)
    loaders ran are recorded: not another hook's, as pytest's imports test modules."""
    bootstrap = sys.modules.get("_frozen_importlib")
    loaders = tuple(kind for kind in (
        getattr(sys.modules.get("_frozen_importlib_external"), "FileLoader", None),
        getattr(sys.modules.get("zipimport"), "zipimporter", None)) if kind is not None)
    if bootstrap is None or not loaders:
        return

    def then(spec: Any, loaded: Any) -> None:
        try:
            if is_a(loaded, type(sys)) and isinstance(spec.loader, loaders) and \
                    mine(spec.origin, user_dir):
                record(loaded)
        except Exception:  # noqa: BLE001, S110 - recording must never break an import
            pass

    for name in ("_load_unlocked", "_exec"):
        load = getattr(bootstrap, name, None)
        if hasattr(load, "__code__") and not hasattr(load, _RECORDS):
            setattr(bootstrap, name, _recording(load, then))


_RECORDS = "_check_records"  # marks a wrapped function of the import system
#: The wrapper, compiled as the file of the function it wraps: CPython and PyPy leave the
#: import system's frames out of the traceback of an error an imported module raises, and so
#: this one too (the user's traceback reads as without check).
#: Named as it and in its module, with its signature (``__wrapped__``): a program that looks
#: at the import system's functions sees them as without check.
_WRAPPER = ("def wrap(_load_, _then_):\n"  # names no import function has: never shadowed
            "    def %(name)s(spec, *module):\n"
            "        loaded = _load_(spec, *module)\n"
            "        _then_(spec, loaded)\n"
            "        return loaded\n"
            "    return %(name)s\n")


def _recording(load: Any, then: Callable[[Any, Any], None]) -> Any:
    space: Dict[str, Any] = {"__name__": load.__module__}
    text = _WRAPPER % {"name": load.__name__}
    exec(compile(text, load.__code__.co_filename, "exec"), space)  # noqa: S102 - our text
    recorded = space["wrap"](load, then)
    recorded.__qualname__, recorded.__doc__ = load.__qualname__, load.__doc__
    recorded.__wrapped__ = load  # inspect.signature reads the import system's own
    setattr(recorded, _RECORDS, True)
    return recorded
