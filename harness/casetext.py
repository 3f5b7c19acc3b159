"""A case's text on the page: its docstring as paragraphs with code, its source links and
their labels. Pure functions (report room, no I/O)."""

from __future__ import annotations

import inspect
import re
from typing import Any, List, Optional, Tuple

__all__ = ["doc_parts", "inferred", "link_label", "safe_url"]

_LITERAL = re.compile(r"``(.+?)``", re.S)
#: A line break inside a paragraph (the source's wrapping), not before an indented or list line.
_WRAPPED = re.compile(r"(?<=\S)\n(?!\s|[-*] |\d+[.)]\s)")


def safe_url(url: Any) -> Optional[str]:
    """Only http(s) URLs become links (a ``javascript:`` source stays plain text)."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")) and \
            not any(ch in url for ch in "\"'<> \n\t"):
        return url
    return None


def inferred(rule: Any) -> bool:
    """Whether an expectation is not stated by the docs: inferred from the mechanism they
    document, or read from the implementation (the page counts those apart)."""
    return isinstance(rule, dict) and bool(rule.get("inferred") or rule.get(
        "from_implementation"))


def doc_parts(doc: Any) -> Tuple[Tuple[str, bool], ...]:
    """A docstring dedented (``inspect.cleandoc``), its paragraphs unwrapped (the page shows
    line breaks: a phone broke the source's 96-column lines into ragged ones), and split into
    (text, is_code) pieces: reST literals (``x``) become code."""
    text = _WRAPPED.sub(" ", inspect.cleandoc(str(doc or "")))
    parts: List[Tuple[str, bool]] = []
    pos = 0
    for found in _LITERAL.finditer(text):
        parts.append((text[pos:found.start()], False))
        parts.append((found.group(1), True))
        pos = found.end()
    parts.append((text[pos:], False))
    return tuple(p for p in parts if p[0])


def link_label(url: str) -> str:
    """A source link's text: the page and the section ("multiprocessing › contexts and start
    methods"), the URL itself when it is not a docs page."""
    found = re.match(r"https?://docs\.python\.org/3[^/]*/([\w./-]+?)(?:\.html)?(?:#(.+))?$", url)
    if not found:
        return url
    page = found.group(1).replace("library/", "")
    section = (found.group(2) or "").replace("module-", "").replace("-", " ")
    return page + (" › " + section if section else "")
