"""Write a JSON file whole, from guest code: the case parent's result, ``check``'s result, child
reports and hang notes. The host reads them strictly (``results.read_json``: no NaN), so they
are written strictly, to a temp file of this process beside the target and then renamed: a
reader never sees half a file. (The host's own writes use ``results.atomic_write_text``, which
also syncs; a guest file is read right after its process exits, so a sync would only cost time.)

Standard library only, Python 3.8 syntax; ``json`` is imported only when a file is written
(a fork child copies what its parent imported).
"""

from __future__ import annotations

import os

from . import TYPE_CHECKING  # relative: check's copy is imported under another name

if TYPE_CHECKING:
    from typing import Any

__all__ = ["non_json", "write_json"]

#: How deep :func:`non_json` looks for the part JSON cannot hold.
_DEPTH = 50


def write_json(path: str, data: Any, sort_keys: bool = False, default: Any = None) -> None:
    """``data`` as strict JSON in ``path`` via ``<path>.<pid>.part`` and ``os.replace``
    (``default``: as ``json.dumps``'s, for a value JSON has no type for).

    Raises ``ValueError`` (a NaN or infinity, a circular reference), ``TypeError`` (a value
    JSON has no type for) or ``RecursionError`` before anything is written: :func:`non_json`
    says where."""
    import json

    text = json.dumps(data, sort_keys=sort_keys, allow_nan=False, default=default)
    tmp = "%s.%d.part" % (path, os.getpid())
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def non_json(value: Any, where: str, depth: int = 0) -> str:
    """Where ``value`` holds what strict JSON cannot, and what it is (``observed['x'] is
    nan``, ``observed[2] is a set: {1, 2}``), or "" when nothing is found within ``_DEPTH``
    levels."""
    if value is None or isinstance(value, (str, bool, int)):
        return ""
    if isinstance(value, float):
        return "" if value - value == 0.0 else "%s is %r" % (where, value)  # nan, inf, -inf
    if depth >= _DEPTH:
        return ""
    if isinstance(value, (list, tuple)):
        items = list(enumerate(value))
    elif isinstance(value, dict):
        for key in value:
            if not (key is None or isinstance(key, (str, int, float, bool))):
                return "%s has the key %s, a %s" % (where, _short(key), type(key).__name__)
        items = list(value.items())
    else:
        return "%s is a %s: %s" % (where, type(value).__name__, _short(value))
    for key, item in items:
        found = non_json(item, "%s[%r]" % (where, key), depth + 1)
        if found:
            return found
    return ""


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails still names the type
        text = "<%s without a repr>" % type(value).__name__
    return text if len(text) <= 200 else text[:197] + "..."
