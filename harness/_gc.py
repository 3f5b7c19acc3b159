"""Pause the cyclic garbage collector around a function that builds many acyclic objects.

Used by the merge (``harness.merge``): loading and merging results files build millions of
small dicts and lists.
"""

from __future__ import annotations

import functools
import gc
from typing import Any, Callable, TypeVar, cast

__all__ = ["without_gc"]

_F = TypeVar("_F", bound=Callable[..., Any])


def without_gc(func: _F) -> _F:
    """Pause the cyclic garbage collector while ``func`` runs.

    Loading and merging build millions of small dicts and lists that form no cycles; the
    collector's repeated passes over them cost more than the parsing itself (1,000 results
    files: 3.4 s of JSON parsing with it, 1.1 s without). Pausing alone only postpones the
    passes: the first allocations after ``gc.enable()`` would scan every object built meanwhile
    as the youngest generation, and later again as the middle one (1,000 files: 0.7-1.6 s for
    the first of those passes at load average ~8 here), so they are aged first
    (``_to_oldest_generation``).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if enabled:
                _to_oldest_generation()
                gc.enable()

    return cast("_F", wrapper)


def _to_oldest_generation() -> None:
    """Move every tracked object to the collector's oldest generation without scanning it.

    ``freeze`` + ``unfreeze`` are two list splices: objects are treated as if they had already
    survived two collections, and only a full collection looks at them. Skipped where the
    functions do not exist (PyPy) and when the caller has frozen objects of its own
    (``unfreeze`` would release theirs too).
    """
    if hasattr(gc, "freeze") and gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
