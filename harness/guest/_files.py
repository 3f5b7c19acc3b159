"""Write a file whole: to a temp file of this process and thread beside it, then renamed, so a
reader never sees half a file. The one such writer: the case parent's result, the shepherd's
status, ``check``'s result, child reports and hang notes, and on the host
``results.atomic_write_text`` (which adds a sync and a mode; a guest file is read right after
its process exits, so a sync there would only cost time). JSON is written strictly (no NaN):
the host reads it so (``results.read_json``).

Standard library only, Python 3.8 syntax; ``json`` is imported only when a file is written
(a fork child copies what its parent imported).
"""

from __future__ import annotations

import os

from . import TYPE_CHECKING  # relative: check's copy is imported under another name

if TYPE_CHECKING:
    from typing import Any

__all__ = ["non_json", "write_json", "write_text"]

#: How deep :func:`non_json` looks for the part JSON cannot hold.
_DEPTH = 50


def write_text(path: str, text: str, sync: bool = False, mode: Any = None,
               new: bool = False) -> None:
    """``text`` (UTF-8) in ``path`` whole: written to ``<path>.<pid>.<thread>.part`` beside it
    (no two writers share one), synced with ``sync``, given ``mode`` (when not None), then
    renamed over ``path``, or with ``new`` placed only where no file is (``FileExistsError``
    otherwise: :func:`_place_new`); on any failure the temp file is removed and ``path`` is as
    it was."""
    import _thread  # built in: costs nothing

    tmp = "%s.%d.%d.part" % (path, os.getpid(), _thread.get_ident())
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)  # after the write (not at creation: the umask would apply)
        if new:
            _place_new(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _place_new(tmp: str, path: str) -> None:
    """The whole ``tmp`` at ``path`` only if no file is there: a hard link fails where a rename
    would replace (two partial runs in one second chose one name); the temp name goes after."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (vfat, some network mounts): claim the name, then fill
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))  # empty a moment, never half
        try:
            os.replace(tmp, path)
        except BaseException:
            os.unlink(path)
            raise
        return
    try:  # placed: the write is done, whatever becomes of the temp name (a scanner holding it)
        os.unlink(tmp)
    except OSError:
        pass


def write_json(path: str, data: Any, sort_keys: bool = False, default: Any = None) -> None:
    """``data`` as strict JSON, written whole by :func:`write_text` (``default``: as
    ``json.dumps``'s, for a value JSON has no type for).

    Raises ``ValueError`` (a NaN or infinity, a circular reference), ``TypeError`` (a value
    JSON has no type for) or ``RecursionError`` before anything is written: :func:`non_json`
    says where."""
    import json

    write_text(path, json.dumps(data, sort_keys=sort_keys, allow_nan=False, default=default))


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
