"""One cell of ``harness diff``: whether two runs of it agree (``merge.disagree``, the page's
rule; a performance value within its spread: ``noise``), the change it records, and the words
of that change (``ok 1 -> error PicklingError``), one line for the methods that changed alike.
Pure; ``diff`` compares with it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from harness import case_code, svg
from harness.documents import CellKey, MatrixCell, error_field
from harness.guest.words import ERROR, FLAKY, OK, TIMEOUT
from harness.merge import disagree, warning_kinds
from harness.noise import noise_aware_equal
from harness.results import HANG_QUOTE, hang_said
from harness.text import cut_apart, key_changes, short_json

__all__ = ["ALL_METHODS", "CellChange", "Labels", "by_methods", "change_of", "change_words",
           "same"]

#: What a line of changes alike under every method the environment compared says for them.
ALL_METHODS = "all methods"


@dataclasses.dataclass(frozen=True)
class CellChange:
    """One cell present in both matrices that behaves differently (``merge.disagree``)."""

    case: str
    environment: str
    method: str
    old_outcome: Optional[str]
    new_outcome: Optional[str]
    old_observed: Any
    new_observed: Any
    old_status: Optional[str]
    new_status: Optional[str]
    #: ``case_code.SAME``; ``UNKNOWN`` when the runs' commits differ and a side's results file
    #: records no case code digest; ``CHANGED`` (then the cell is in ``cells_case_changed``).
    case_code: str = case_code.SAME
    old_error_type: Optional[str] = None
    new_error_type: Optional[str] = None
    #: The kinds of warning each side's run emitted (``merge.warning_kinds``).
    old_warnings: Tuple[str, ...] = ()
    new_warnings: Tuple[str, ...] = ()
    #: Where each side's hang hung, as its detail quotes it ("": not a hang, or it said nothing).
    old_hung_at: str = ""
    new_hung_at: str = ""
    #: OLD's method when it is not ``method``: OLD's default-method cell against NEW's.
    old_method: Optional[str] = None
    #: Of a default-method change, the side ("old", "new") whose value is the program the case
    #: models failing: the case breaks under that side's default (``picks.broken``).
    program_failed: Optional[str] = None


def same(a: MatrixCell, b: MatrixCell, performance: bool) -> bool:
    """Two runs of a cell agree (``merge.disagree``, the page's rule); a performance case's
    numbers, which ``signature`` leaves out, agree within their spread."""
    return not disagree(a, b, performance) and (
        not performance or noise_aware_equal(a.get("observed"), b.get("observed")))


def _hung_at(cell: MatrixCell) -> str:
    return hang_said(str(cell.get("detail") or "")) if cell.get("outcome") == TIMEOUT else ""


def change_of(key: CellKey, a: MatrixCell, b: MatrixCell, code: str,
              old_method: Optional[str] = None) -> CellChange:
    """The change from ``a`` (OLD's cell) to ``b`` (NEW's, at ``key``)."""
    return CellChange(
        *key, old_outcome=a.get("outcome"), new_outcome=b.get("outcome"),
        old_observed=a.get("observed"), new_observed=b.get("observed"),
        old_status=a.get("status"), new_status=b.get("status"), case_code=code,
        old_error_type=error_field(a, "type"), new_error_type=error_field(b, "type"),
        old_warnings=warning_kinds(a), new_warnings=warning_kinds(b),
        old_hung_at=_hung_at(a), new_hung_at=_hung_at(b), old_method=old_method)


def _side(outcome: Optional[str], error_type: Optional[str], hung_at: str) -> str:
    if outcome == ERROR:
        return "error %s" % (error_type or "?")
    return str(outcome) + (HANG_QUOTE + hung_at if hung_at else "")


def _warned(kinds: Sequence[str]) -> str:
    return " + %s" % ", ".join(kinds) if kinds else ""


#: The case's words for the keys of its value (``@case(labels=...)``), by case id.
Labels = Mapping[str, Mapping[str, str]]


def change_words(c: CellChange, labels: Optional[Labels] = None) -> str:
    """``ok 1 -> ok 2``, ``error AttributeError -> error PicklingError``, ``ok 1 -> ok 1 +
    DeprecationWarning`` (the page's form); two objects as only their keys that differ (the
    cell panel's rule): ``ok, keys that differ: lambda: AttributeError -> PicklingError``; a
    key the case gives words for as them, as the page's change lines say it: ``ok, what
    differs: the child's own atexit handler runs: now yes (was no)``."""
    warned = c.old_warnings != c.new_warnings
    if c.old_outcome == c.new_outcome == OK:
        keys = "" if warned else key_changes(c.old_observed, c.new_observed, "->",
                                             noise_aware_equal, svg.brief,
                                             (labels or {}).get(c.case))
        if keys:
            plain = key_changes(c.old_observed, c.new_observed, "->", noise_aware_equal,
                                svg.brief)
            return "ok, %s: %s" % ("keys that differ" if keys == plain else "what differs", keys)
        old, new = ("ok " + text for text in cut_apart([short_json(c.old_observed, 10 ** 6),
                                                        short_json(c.new_observed, 10 ** 6)]))
    else:
        old = "ok " + short_json(c.old_observed) if c.old_outcome == OK else _side(
            c.old_outcome, c.old_error_type, c.old_hung_at)
        new = "ok " + short_json(c.new_observed) if c.new_outcome == OK else _side(
            c.new_outcome, c.new_error_type, c.new_hung_at)
    if warned:
        old, new = old + _warned(c.old_warnings), new + _warned(c.new_warnings)
    return "%s -> %s%s" % (old, new, _flaky(c))


def _flaky(c: CellChange) -> str:
    """A side whose own runs of the cell disagree: its value is one of several."""
    sides = [side for side, status in (("old", c.old_status), ("new", c.new_status))
             if status == FLAKY]
    if len(sides) == 2:
        return " (both sides flaky: each side's runs disagree)"
    return " (%s side flaky: its runs disagree)" % sides[0] if sides else ""


def by_methods(changes: Iterable[CellChange], methods: Mapping[str, Set[str]],
               labels: Optional[Labels] = None) -> List[Tuple[CellChange, str, str]]:
    """Each case's changes in an environment that read alike, once: (the first, its methods:
    "spawn", "forkserver, spawn", or ``ALL_METHODS`` when they are every one of ``methods``,
    the methods compared in that environment, and more than one; their ``change_words``)."""
    groups: Dict[Tuple[str, str, str], List[CellChange]] = {}
    for c in changes:
        groups.setdefault((c.case, c.environment, change_words(c, labels)), []).append(c)
    out = []
    for (_case, env, said), alike in groups.items():
        named = sorted({c.method for c in alike})
        every = len(named) > 1 and set(named) == methods.get(env, set())
        out.append((alike[0], ALL_METHODS if every else ", ".join(named), said))
    return out
