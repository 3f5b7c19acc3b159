"""Short one-line text for values shown to a reader (rejection lines, diffs, change points)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["short", "short_json", "shorten"]


def shorten(text: str, limit: int = 70) -> str:
    """``text`` on one line (whitespace runs become one space), cut to ``limit`` with ``…``."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def short_json(value: Any, limit: int = 70) -> str:
    """``value`` as sorted JSON (``repr`` for what JSON cannot hold), shortened."""
    return shorten(json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr), limit)


def short(value: Any, limit: int = 60) -> str:
    """A string as it is, anything else as :func:`short_json`: shortened to ``limit``."""
    return shorten(value, limit) if isinstance(value, str) else short_json(value, limit)
