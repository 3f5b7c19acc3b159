"""The predicate language of the article's claims (``holds`` in ``cases/claims.py``): whether a
claim holds in one cell, written over the cell's observation, and which predicates a documented
value can answer where nothing ran. Pure functions over ``matrix.json``'s cells; report side."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Tuple

from harness.documents import MatrixCell
from harness.guest import words
from harness.results import hang_said
from harness.text import same_value

__all__ = ["Cells", "docs_decide", "holds", "too_noisy"]

_MISSING = object()


def _dig(value: Any, path: Sequence[Any]) -> Any:
    for key in path:
        in_dict = isinstance(value, dict) and isinstance(key, str) and key in value
        in_list = isinstance(value, list) and isinstance(key, int) and \
            -len(value) <= key < len(value)
        if in_dict or in_list:
            value = value[key]
        else:
            return _MISSING
    return value


Cells = Mapping[Tuple[str, str, str], MatrixCell]


def _number(cell: Optional[MatrixCell], path: Sequence[Any]) -> Optional[float]:
    if not cell or cell.get("outcome") != words.OK:
        return None
    value = _dig(cell.get("observed"), path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _interval(cell: Optional[MatrixCell], path: Sequence[Any]) -> Optional[Tuple[float, float]]:
    """The 95 % interval of the median at ``path`` (its point's ``ci95``, ``measure.sample``),
    or None where it cannot be trusted: none recorded (too few samples) or the point is
    ``unstable`` (its spread over a quarter of its median)."""
    point = _dig(cell.get("observed") if cell else None, list(path)[:-1])
    ci = point.get("ci95") if isinstance(point, dict) and point.get("unstable") is False else None
    if not isinstance(ci, list) or len(ci) != 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in ci):
        return None
    return float(ci[0]), float(ci[1])


def _faster(pred: Mapping[str, Any], cell: MatrixCell, cells: Cells,
            ) -> Tuple[Optional[bool], bool]:
    """Whether this cell's median is below another method's, and whether it is undecided for
    noise: two medians decide only when both points are stable and their intervals do not
    overlap (a bare median comparison took sides on noise: 3.14's fork vs forkserver)."""
    other = cells.get((cell["case"], cell["environment"], pred["faster_than"]))
    path = pred.get("path", [])
    if _number(cell, path) is None or _number(other, path) is None:
        return None, False
    mine, theirs = _interval(cell, path), _interval(other, path)
    if mine is None or theirs is None or not (mine[1] < theirs[0] or theirs[1] < mine[0]):
        return None, True
    return mine[1] < theirs[0], False


def too_noisy(pred: Mapping[str, Any], cell: MatrixCell, cells: Cells) -> bool:
    """Whether a timing comparison in ``pred`` is undecided for noise in this cell (the reason
    an undecided cell gives): not where the other parts decide (``holds``)."""
    parts = pred.get("all", pred.get("any", [pred["not"]] if "not" in pred else None))
    if parts is not None:
        return holds(pred, cell, cells) is None and any(too_noisy(p, cell, cells) for p in parts)
    return "faster_than" in pred and cell.get("outcome") == words.OK and \
        _faster(pred, cell, cells)[1]


def holds(
    pred: Mapping[str, Any], cell: MatrixCell, cells: Cells,
) -> Optional[bool]:
    """Whether the predicate holds for one cell (None: it cannot be decided from this cell;
    a predicate over the observed value cannot in a cell that raised, crashed or hung)."""
    if "all" in pred or "any" in pred:  # Kleene: one false decides "all", one true "any"
        parts = [holds(p, cell, cells) for p in pred.get("all", pred.get("any", []))]
        decisive = "all" not in pred
        if any(p is decisive for p in parts):
            return decisive
        return None if any(p is None for p in parts) else not decisive
    if "not" in pred:
        inner = holds(pred["not"], cell, cells)
        return None if inner is None else not inner
    if "outcome" in pred:
        wanted = pred["outcome"]
        return cell.get("outcome") in ([wanted] if isinstance(wanted, str) else wanted)
    if "hang_at" in pred:  # a timeout counts only where the case said it blocked
        if cell.get("outcome") != words.TIMEOUT:
            return False
        return True if str(pred["hang_at"]) in hang_said(str(cell.get("detail") or "")) else None
    if "error_contains" in pred:
        err = cell.get("error") if cell.get("outcome") == words.ERROR else None
        return isinstance(err, dict) and pred["error_contains"] in str(err.get("message", ""))
    if cell.get("outcome") != words.OK:  # no observation: no value says yes or no (nor its `not`)
        return None
    if "faster_than" in pred:
        return _faster(pred, cell, cells)[0]
    value = _dig(cell.get("observed"), pred.get("path", []))
    if value is _MISSING:
        return False
    return _compare(pred, value, cell, cells)


def _compare(
    pred: Mapping[str, Any], value: Any, cell: MatrixCell, cells: Cells,
) -> Optional[bool]:
    if "equals_cell" in pred:
        ref = pred["equals_cell"]
        other = cells.get((ref["case"], cell["environment"], cell["method"]))
        if not other or other.get("outcome") != words.OK:
            return None
        return same_value(value, _dig(other.get("observed"), ref.get("path", [])))
    if "equals" in pred:
        return same_value(value, pred["equals"])
    if "in" in pred:
        return _among(value, pred["in"])
    if "contains" in pred:
        return isinstance(value, list) and _among(pred["contains"], value)
    if "excludes" in pred:
        return isinstance(value, list) and not _among(pred["excludes"], value)
    if "contains_all" in pred:
        return isinstance(value, list) and all(_among(v, value) for v in pred["contains_all"])
    raise ValueError("unknown claim predicate %r" % (dict(pred),))


def _among(value: Any, values: Sequence[Any]) -> bool:
    """``value in values`` by ``same_value`` (``in`` takes 0 for False)."""
    return any(same_value(value, v) for v in values)


#: Predicate keys a documented value can answer (the rest need a run: timings, messages, other
#: cells, where a hang was).
_VALUE_KEYS = frozenset({"path", "equals", "in", "contains", "excludes", "contains_all"})


def docs_decide(pred: Mapping[str, Any], has_value: bool) -> bool:
    """Whether a case's documented outcome (and value, ``has_value``) can answer ``pred`` where
    no cell ran (``claimcheck.by_docs``)."""
    parts = pred.get("all", pred.get("any", [pred.get("not")] if "not" in pred else None))
    if parts is not None:
        return all(docs_decide(p, has_value) for p in parts)
    return "outcome" in pred or (has_value and set(pred) <= _VALUE_KEYS)
