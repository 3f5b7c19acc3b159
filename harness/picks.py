"""Which cases an Answers line names as its examples, computed from the cells, never typed in.

The rule, as the page and the README state it: a "Changed in …" line groups its cases by what
changed (the same error type or value before → after), largest group first, one example each;
the other lines name first the cases that show their behaviour in the most CPython
environments (a difference only PyPy shows comes last). Pure functions over ``matrix.json``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, Tuple

from harness import history
from harness.documents import MatrixCell, MatrixDoc, cells_by_key, error_field
from harness.guest.words import (
    CPYTHON,
    CRASH,
    ERROR,
    FORK,
    OK,
    PERFORMANCE,
    SPAWN,
    TIMEOUT,
    UNAVAILABLE,
)
from harness.merge import performance_cases, signature
from harness.results import version_label
from harness.text import ABSENT, KEY_VALUE_LIMIT, differing_keys, short

__all__ = ["RULE", "Example", "change_examples", "env_tags", "ran", "ranked"]

#: The rule in one sentence (the page's note under Answers; the README says it too).
RULE = ("Examples: a \"Changed in\" line groups its cases by what changed (the same error type "
        "or value before → after), largest group first; the other lines name first the cases "
        "that show it in the most CPython environments.")
FAILING = (ERROR, TIMEOUT, CRASH)
#: How many examples (groups) a line names.
SHOWN = 3


@dataclasses.dataclass(frozen=True)
class Example:
    """One example of an Answers line: a case, and the group of the line's cases it stands for
    ("AttributeError → PicklingError", 8 cases; no kind on the lines that are not grouped)."""

    case: str
    title: str
    kind: str = ""
    members: FrozenSet[str] = frozenset()  # the group's cases (none: the case alone)

    @property
    def count(self) -> int:
        return len(self.members | {self.case})

    @property
    def text(self) -> str:
        """ "8 cases: AttributeError → PicklingError, e.g. <title>"; "<title> (fork →
        forkserver)" for a kind of one case; the title alone on a line not grouped."""
        if not self.kind:
            return self.title
        if self.count == 1:
            return "%s (%s)" % (self.title, self.kind)
        return "%d case%s: %s, e.g. %s" % (self.count, "" if self.count == 1 else "s",
                                           self.kind, self.title)


def ran(lookup: Mapping[Tuple[str, str], MatrixCell], env: str,
        methods: Sequence[str]) -> Dict[str, MatrixCell]:
    """An environment's cells that ran, by method (unavailable and not-run cells compare
    nothing)."""
    return {m: lookup[(env, m)] for m in methods if (env, m) in lookup
            and lookup[(env, m)].get("outcome") not in (None, UNAVAILABLE)}


def env_tags(lookup: Mapping[Tuple[str, str], MatrixCell], env: str,
             methods: Sequence[str]) -> Set[str]:
    """The behaviour tokens one environment earns a case row (``answers.behaviour_tags``)."""
    tags: Set[str] = set()
    cells = ran(lookup, env, methods)
    # the whole behaviour, as the change points compare it: describe()'s text is cut, and two
    # values that differ only past its limit would read alike
    sigs = {m: signature(c, c.get("category") == PERFORMANCE) for m, c in cells.items()}
    if len(set(sigs.values())) > 1:
        tags.add("disagree")
    if FORK in sigs and SPAWN in sigs and sigs[FORK] != sigs[SPAWN]:
        tags.add("fork-spawn")
    failing = {m for m, c in cells.items() if c.get("outcome") in FAILING}
    for m in failing:
        tags.add(str(cells[m].get("outcome")))
    others = set(cells) - {FORK}
    if failing == {FORK} and others:
        tags.add("fork-only")
    if FORK in cells and FORK not in failing and failing and failing <= others:
        tags.add("nonfork-only")
    return tags


def _lookups(matrix: MatrixDoc) -> Dict[str, Dict[Tuple[str, str], MatrixCell]]:
    out: Dict[str, Dict[Tuple[str, str], MatrixCell]] = {}
    for cell in matrix["results"]:
        out.setdefault(cell["case"], {})[(cell["environment"], cell["method"])] = cell
    return out


def ranked(matrix: MatrixDoc, tag: str, ids: Sequence[str]) -> List[str]:
    """``ids`` (a line's cases, in catalog order) ordered by how many CPython environments earn
    the case ``tag``, then how many environments in all; ties keep catalog order."""
    envs = [e for e in matrix["environments"] if not e.get("not_run")]
    methods_of = matrix.get("case_methods", {})
    lookups = _lookups(matrix)

    def score(cid: str) -> Tuple[int, int]:
        lookup, methods = lookups.get(cid, {}), methods_of.get(cid, ())
        hits = [e for e in envs if tag in env_tags(lookup, str(e["id"]), methods)]
        return (-sum(1 for e in hits if e.get("implementation") == CPYTHON), -len(hits))
    order = {cid: i for i, cid in enumerate(ids)}
    return sorted(ids, key=lambda cid: (score(cid), order[cid]))


def _value_pairs(before: Any, after: Any, key: str = "") -> Set[str]:
    """What changed in a value: objects by their keys that differ (``text.differing_keys``, a
    missing key reads ``text.ABSENT``), anything else whole; a change between two names reads
    alone ("AttributeError → PicklingError", the same change wherever a case keeps it), any
    other with its key ("exitcode: 1 → null")."""
    keys = differing_keys([before, after])
    if keys is None:
        if before == after:
            return set()
        names = isinstance(before, str) and isinstance(after, str)
        return {"%s%s → %s" % ("" if names or not key else key + ": ",
                               short(before, KEY_VALUE_LIMIT), short(after, KEY_VALUE_LIMIT))}
    out: Set[str] = set()
    for k in keys:
        if k in before and k in after:
            out |= _value_pairs(before[k], after[k], k)
        else:
            out.add("%s: %s → %s" % (k, short(before[k], KEY_VALUE_LIMIT) if k in before
                                     else ABSENT, short(after[k], KEY_VALUE_LIMIT)
                                     if k in after else ABSENT))
    return out


def _side(cell: MatrixCell) -> str:
    """A cell's behaviour as one side of a kind when its outcome or error type changed."""
    if cell.get("outcome") == ERROR:
        return error_field(cell, "type") or ERROR
    return str(cell.get("outcome"))


def _warnings(cell: MatrixCell) -> Set[str]:
    return {str(w.get("category")) for w in cell.get("warnings") or []}


def kinds(before: MatrixCell, after: MatrixCell, perf: bool = False) -> Set[str]:
    """What changed between two cells of a case, each as "old → new": an error type
    ("AttributeError → PicklingError"), an outcome ("ok → timeout"), a changed value ("fork →
    forkserver"), a warning added or gone ("+ DeprecationWarning")."""
    out: Set[str] = set()
    if before.get("outcome") != after.get("outcome") or (
            before.get("outcome") == ERROR and _side(before) != _side(after)):
        out.add("%s → %s" % (_side(before), _side(after)))
    elif before.get("outcome") == OK and not perf:
        out |= _value_pairs(before.get("observed"), after.get("observed"))
    old, new = _warnings(before), _warnings(after)
    out |= {"+ " + w for w in sorted(new - old)} | {"− " + w for w in sorted(old - new)}
    return out


def _cells_of(matrix: MatrixDoc) -> Tuple[Dict[Tuple[str, str, str], MatrixCell],
                                         Dict[Tuple[str, str], str]]:
    """Cells by (case, environment, method); environment ids by (series, version label)."""
    cells = cells_by_key(matrix)
    envs = {(history.series_key(e), version_label(e)): str(e["id"])
            for e in matrix["environments"] if not e.get("not_run")}
    return cells, envs


def change_examples(matrix: Optional[MatrixDoc], changes: Sequence[history.Change],
                    titles: Mapping[str, str]) -> List[Example]:
    """One change line's examples: its cases grouped by kind of change, the largest group
    first (ties: the kind's text), one case of each (the one with the fewest other kinds of
    change), a case named once. Without the matrix, a kind is the change's before → after
    text."""
    cells, envs = _cells_of(matrix) if matrix is not None else ({}, {})
    perf = performance_cases(matrix) if matrix is not None else set()
    by_kind: Dict[str, Set[str]] = {}
    of_case: Dict[str, Set[str]] = {}
    for ch in changes:
        found: Set[str] = set()
        for method in ch.methods:
            old = cells.get((ch.case, envs.get((ch.series, ch.before_version), ""), method))
            new = cells.get((ch.case, envs.get((ch.series, ch.since), ""), method))
            if old is not None and new is not None:
                found |= kinds(old, new, ch.case in perf)
        for kind in found or {"%s → %s" % (ch.before, ch.after)}:
            by_kind.setdefault(kind, set()).add(ch.case)
            of_case.setdefault(ch.case, set()).add(kind)
    out: List[Example] = []
    named: Set[str] = set()
    for kind, cases in sorted(by_kind.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        # the case that shows this change and the fewest others stands for it
        fresh = sorted(cases - named, key=lambda c: (len(of_case[c]), c))
        if fresh and len(out) < SHOWN:
            named.add(fresh[0])
            out.append(Example(fresh[0], titles.get(fresh[0], fresh[0]), kind, frozenset(cases)))
    return out
