"""Short one-line text for values shown to a reader (rejection lines, diffs, change points), and
the one definition of "the same value" (``same_value``)."""

from __future__ import annotations

import json
import re
from typing import Any, Callable, List, Mapping, Optional, Sequence

__all__ = ["ABSENT", "canonical_json", "cut_apart", "differing_keys", "in_words",
           "key_changes", "keys_shown", "labelled_change", "labelled_value", "same_value", "short",
           "short_json", "shorten", "value_key", "word_parts"]

#: A key one object has and another lacks, where the other's value would be.
ABSENT = "(absent)"
#: How far one key's value is shown, and how many keys at most, where only the keys that
#: differ are shown.
KEY_VALUE_LIMIT = 40
MAX_KEYS = 6

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
    return shorten(canonical_json(value), limit)


def short(value: Any, limit: int = 60) -> str:
    """A string as it is, anything else as :func:`short_json`: shortened to ``limit``."""
    return shorten(value, limit) if isinstance(value, str) else short_json(value, limit)


def differing_keys(values: Sequence[Any]) -> Optional[List[str]]:
    """When every value is an object: its top-level keys whose values are not all the same (a
    key one lacks counts), sorted, as the cell panel marks them; None when one is not."""
    if not values or not all(isinstance(v, Mapping) for v in values):
        return None
    keys = sorted({str(k) for v in values for k in v})
    return [k for k in keys
            if len({canonical_json(v[k]) if k in v else ABSENT for v in values}) > 1]


def canonical_json(value: Any) -> str:
    """``value`` as JSON with sorted keys (``repr`` for what JSON cannot say): equal values
    read the same, whatever their keys' order (a key for comparing, grouping, indexing)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


_SCALARS = (str, int, float, bool, type(None))


def value_key(value: Any) -> Any:
    """``value`` as "the same value" compares it (hashable, to group by): a scalar with its
    type, an object or list as ``canonical_json``, so False, 0 and 0.0 stay three values as
    in the results file (Python's ``==`` makes them one)."""
    if isinstance(value, _SCALARS):
        return (type(value).__name__, value)
    return canonical_json(value)


def same_value(a: Any, b: Any) -> bool:
    """Whether two values are the same: a rule's and a run's, a claim's and a cell's, two
    runs' (``merge.signature``) alike."""
    return bool(value_key(a) == value_key(b))


#: How a caller shows one key's value (``svg.brief`` for a measurement); None: the default.
Show = Callable[[Any], Optional[str]]


def _key_values(values: Sequence[Any], key: str, show: Optional[Show] = None) -> List[str]:
    """One key's value in each object, strings as they are (in JSON where that alone tells
    two apart: ``"1"`` and ``1``)."""
    shown = [show(v[key]) if show and key in v else None for v in values]
    if all(shown):
        return [str(text) for text in shown]
    texts = [short(v[key], KEY_VALUE_LIMIT) if key in v else ABSENT for v in values]
    if len(set(texts)) < len({canonical_json(v.get(key)) for v in values}):
        texts = [short_json(v[key], KEY_VALUE_LIMIT) if key in v else ABSENT for v in values]
    return texts


def _more(keys: Sequence[str]) -> str:
    n = len(keys) - MAX_KEYS
    return "; and %d more key%s" % (n, "" if n == 1 else "s") if n > 0 else ""


def key_changes(old: Any, new: Any, arrow: str = "→",
                same: Optional[Callable[[Any, Any], bool]] = None,
                show: Optional[Show] = None,
                labels: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """Two objects as only the keys that differ: ``local_function: AttributeError →
    PicklingError; lambda: (absent) → PicklingError``; None when one is not an object or
    they are the same. ``same``: when two values count as equal (a measurement within its
    spread); ``show``: how a value is shown; ``labels``: the case's words for its keys (a
    labelled key reads as ``labelled_change``)."""
    keys = [k for k in differing_keys([old, new]) or ()
            if same is None or k not in old or k not in new or not same(old[k], new[k])]
    if not keys:
        return None
    parts = []
    for key in keys[:MAX_KEYS]:
        if labels and labels.get(key):
            parts.append(labelled_change(labels[key], old.get(key, ABSENT),
                                         new.get(key, ABSENT)))
            continue
        before, after = _key_values([old, new], key, show)
        parts.append("%s: %s %s %s" % (key, before, arrow, after))
    return "; ".join(parts) + _more(keys)


def in_words(value: Any) -> str:
    """A value as a reader says it: yes / no / none, a list as its items ("fork, spawn"),
    never JSON's brackets and quotes (an object keeps its JSON, cut)."""
    if value is None or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return short(", ".join(in_words(v) for v in value), KEY_VALUE_LIMIT)
    return short(value, KEY_VALUE_LIMIT)


def labelled_change(label: str, before: Any, after: Any) -> str:
    """A labelled key's change, in words: "the child's own atexit handlers run: now yes (was
    no)" (review r16 #7: the key's JSON name, or nothing, told a reader nothing)."""
    return "%s: now %s (was %s)" % (label, in_words(after), in_words(before))


def labelled_value(label: str, value: Any) -> str:
    """A labelled key's value, in words: "the child's own atexit handlers run: yes"."""
    return "%s: %s" % (label, in_words(value))


def keys_shown(values: Sequence[Any],
               labels: Optional[Mapping[str, str]] = None) -> Optional[List[str]]:
    """Several objects each as only the keys that differ between them: ``{generator:
    TypeError, …}`` (``…``: the keys they share); None when one is not an object or all are the
    same. ``labels``: the case's words for its keys (a labelled key reads as
    ``labelled_value``, unless its values read alike in words: ``None`` and ``[]``)."""
    keys = differing_keys(values)
    if not keys:
        return None
    columns = [_labelled(values, key, (labels or {}).get(key)) or [
        "%s: %s" % (key, text) for text in _key_values(values, key)] for key in keys[:MAX_KEYS]]
    rest = ", …" if len(keys) > MAX_KEYS or any(set(v) - set(keys) for v in values) else ""
    return ["{%s%s}" % (", ".join(column[i] for column in columns), rest)
            for i in range(len(values))]


def _labelled(values: Sequence[Any], key: str, label: Optional[str]) -> Optional[List[str]]:
    """One labelled key's value in each object, in words; None when unlabelled or when words
    would make two different values read alike."""
    if not label:
        return None
    texts = [labelled_value(label, v[key]) if key in v else "%s: %s" % (label, ABSENT)
             for v in values]
    kinds = {canonical_json(v[key]) if key in v else ABSENT for v in values}
    return texts if len(set(texts)) == len(kinds) else None


def cut_apart(texts: Sequence[str], limit: int = 70) -> List[str]:
    """``texts`` on one line each, shortened to ``limit`` where they start to differ: a long
    beginning they share becomes ``…`` (cut from the start, two values read the same)."""
    lines = [" ".join(t.split()) for t in texts]
    if all(len(line) <= limit for line in lines) or len(set(lines)) < 2:
        return [shorten(line, limit) for line in lines]
    same = len(_common_prefix(lines))
    if same < limit - 20:  # the difference shows after the usual cut
        return [shorten(line, limit) for line in lines]
    keep = same - 12  # a little of what they share, for context
    return [shorten("…" + line[keep:], limit) for line in lines]


def _common_prefix(lines: Sequence[str]) -> str:
    first, last = min(lines), max(lines)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]
