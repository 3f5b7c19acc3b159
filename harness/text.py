"""Short one-line text for values shown to a reader (rejection lines, diffs, change points)."""

from __future__ import annotations

import json
import re
from typing import Any, List

__all__ = ["short", "short_json", "shorten", "word_parts"]

#: Where a name may break: between words of camel case ("Pickling|Error", "JSON|Decode"), and
#: after a dot or an underscore inside a name ("pickle.|PicklingError"; "3.14" stays whole).
_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])"
                    r"|(?<=[A-Za-z0-9][._])(?=[A-Za-z])")


def shorten(text: str, limit: int = 70) -> str:
    """``text`` on one line (whitespace runs become one space), cut to ``limit`` with ``…``."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def word_parts(text: str) -> List[str]:
    """``text`` cut where a reader would break a name ("Pickling", "Error"): a narrow cell breaks
    there, never mid-word ("PicklingEr|ror")."""
    return [part for part in _BREAK.split(text) if part]


def short_json(value: Any, limit: int = 70) -> str:
    """``value`` as sorted JSON (``repr`` for what JSON cannot hold), shortened."""
    return shorten(json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr), limit)


def short(value: Any, limit: int = 60) -> str:
    """A string as it is, anything else as :func:`short_json`: shortened to ``limit``."""
    return shorten(value, limit) if isinstance(value, str) else short_json(value, limit)
