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
from harness.cellview import DEFAULT_CASE, error_words
from harness.documents import MatrixCell, MatrixDoc, cells_by_key
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
from harness.results import environment_names, version_label
from harness.text import (
    ABSENT,
    KEY_VALUE_LIMIT,
    differing_keys,
    in_words,
    labelled_change,
    short,
    value_key,
)

__all__ = ["RULE", "VALUE_CHANGED", "Example", "breaks_of", "broken", "broken_cells",
           "change_examples", "env_tags", "labels_of", "only_outside_cpython", "ran", "ranked"]

#: The rule in one sentence (the page's note under Answers; the README says it too).
RULE = ("Examples: a \"Changed in\" line names a change of the default start method first, then "
        "groups its cases by what changed (the same error type or value before → after), "
        "largest group first; the other lines name first the cases that show it in the most "
        "CPython environments.")
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
        """ "8 cases: AttributeError → PicklingError, e.g. <title>"; "<title> — now 2 (was 3)"
        for a kind of one case; the title alone on a line not grouped; the default start
        method's change in words alone (its title would only repeat it)."""
        if not self.kind:
            return self.title
        if self.case == DEFAULT_CASE and self.kind.startswith(DEFAULT_WORDS):
            return self.kind
        if self.count == 1:
            return "%s — %s" % (self.title, self.kind)
        return "%d case%s: %s, e.g. %s" % (self.count, "" if self.count == 1 else "s",
                                           self.kind, self.title)


def ran(lookup: Mapping[Tuple[str, str], MatrixCell], env: str,
        methods: Sequence[str]) -> Dict[str, MatrixCell]:
    """An environment's cells that ran, by method (unavailable and not-run cells compare
    nothing)."""
    return {m: lookup[(env, m)] for m in methods if (env, m) in lookup
            and lookup[(env, m)].get("outcome") not in (None, UNAVAILABLE)}


def env_tags(lookup: Mapping[Tuple[str, str], MatrixCell], env: str,
             methods: Sequence[str], breaks: Sequence[str] = ()) -> Set[str]:
    """The behaviour tokens one environment earns a case row (``answers.behaviour_tags``).
    ``breaks``: the methods its catalog entry says the case breaks under (``broken``)."""
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
    failing |= broken(cells, breaks)
    others = set(cells) - {FORK}
    if failing == {FORK} and others:
        tags.add("fork-only")
    if FORK in cells and FORK not in failing and failing and failing <= others:
        tags.add("nonfork-only")
    return tags


def broken(cells: Mapping[str, MatrixCell], breaks: Sequence[str]) -> Set[str]:
    """The methods of one environment's ``cells`` where the program the case models failed
    though the case returned a value: the case declares it breaks there (``breaks``, from its
    docs) and its value differs from that of a method it does not break under (fork's)."""
    fine = {value_key(c.get("observed")) for m, c in cells.items()
            if m not in breaks and c.get("outcome") == OK}
    return {m for m in breaks if m in cells and cells[m].get("outcome") == OK and fine
            and value_key(cells[m].get("observed")) not in fine}


def broken_cells(lookup: Mapping[Tuple[str, str], MatrixCell], envs: Sequence[str],
                 methods: Sequence[str], breaks: Sequence[str]) -> Set[Tuple[str, str]]:
    """(environment, method) of each of a case's cells that ``broken`` counts as failing."""
    return {(env, m) for env in envs for m in broken(ran(lookup, env, methods), breaks)}


def breaks_of(matrix: MatrixDoc) -> Dict[str, List[str]]:
    """Case id -> the methods its catalog entry says it breaks under (matrix format 1.6)."""
    return {str(c.get("id")): [str(m) for m in c.get("breaks") or ()]
            for c in matrix["cases"] if c.get("breaks")}


def labels_of(matrix: MatrixDoc) -> Dict[str, Dict[str, str]]:
    """Case id -> its words for the keys of its value (matrix format 1.6's ``labels``)."""
    return {str(c.get("id")): dict(c.get("labels") or {}) for c in matrix["cases"]
            if c.get("labels")}


def _lookups(matrix: MatrixDoc) -> Dict[str, Dict[Tuple[str, str], MatrixCell]]:
    out: Dict[str, Dict[Tuple[str, str], MatrixCell]] = {}
    for cell in matrix["results"]:
        out.setdefault(cell["case"], {})[(cell["environment"], cell["method"])] = cell
    return out


def _hits(matrix: MatrixDoc, tag: str, ids: Sequence[str]) -> Dict[str, List[Mapping[str, Any]]]:
    """The environments (that ran) where each of ``ids`` earns ``tag``, in the matrix's
    order."""
    envs = [e for e in matrix["environments"] if not e.get("not_run")]
    methods_of = matrix.get("case_methods", {})
    lookups = _lookups(matrix)
    breaks = breaks_of(matrix)
    return {cid: [e for e in envs if tag in env_tags(lookups.get(cid, {}), str(e["id"]),
                                                       methods_of.get(cid, ()),
                                                       breaks.get(cid, ()))] for cid in ids}


def ranked(matrix: MatrixDoc, tag: str, ids: Sequence[str]) -> List[str]:
    """``ids`` (a line's cases, in catalog order) ordered by how many CPython environments earn
    the case ``tag``, then how many environments in all; ties keep catalog order."""
    hits = _hits(matrix, tag, ids)

    def score(cid: str) -> Tuple[int, int]:
        return (-sum(1 for e in hits[cid] if e.get("implementation") == CPYTHON),
                -len(hits[cid]))
    order = {cid: i for i, cid in enumerate(ids)}
    return sorted(ids, key=lambda cid: (score(cid), order[cid]))


def only_outside_cpython(matrix: MatrixDoc, tag: str, ids: Sequence[str]) -> str:
    """ "1 only on Linux PyPy 3.9": how many of ``ids`` earn ``tag`` in no CPython environment,
    and the environments they do; "" when none does, or the matrix has no CPython to compare."""
    if not any(e.get("implementation") == CPYTHON for e in matrix["environments"]
               if not e.get("not_run")):
        return ""
    names = environment_names(matrix["environments"])
    hits = _hits(matrix, tag, ids)
    alone = [cid for cid in ids if hits[cid] and
             not any(e.get("implementation") == CPYTHON for e in hits[cid])]
    where = dict.fromkeys(names[str(e["id"])] for cid in alone for e in hits[cid])
    return "%d only on %s" % (len(alone), ", ".join(where)) if alone else ""


def _now_was(before: str, after: str) -> str:
    """ "now 2 (was 3)"."""
    return "now %s (was %s)" % (after, before)


#: A change of a value under one of its keys the case gives no words for (``labels``): the key
#: is the case's own JSON name, no word of the page (review r7: "own ran now yes (was no)");
#: "Changes between versions" says which key and how.
VALUE_CHANGED = "a returned value changed"


def _value_pairs(before: Any, after: Any, keyed: bool = False,
                 labels: Optional[Mapping[str, str]] = None) -> Set[str]:
    """What changed in a value: objects by their keys that differ (``text.differing_keys``),
    anything else whole; a change between two names reads alone ("AttributeError →
    PicklingError", the same change wherever a case keeps it), a whole value's other change in
    words ("now 2 (was 3)"), one under a key as the case's words for it ("the child's own
    atexit handlers run: now yes (was no)", ``labels``) or else ``VALUE_CHANGED``."""
    keys = differing_keys([before, after])
    if keys is None:
        if before == after:
            return set()
        if isinstance(before, str) and isinstance(after, str):
            return {"%s → %s" % (short(before, KEY_VALUE_LIMIT), short(after, KEY_VALUE_LIMIT))}
        return {VALUE_CHANGED if keyed else _now_was(in_words(before), in_words(after))}
    out: Set[str] = set()
    for k in keys:
        if labels and labels.get(k):
            out.add(labelled_change(labels[k], before.get(k, ABSENT), after.get(k, ABSENT)))
        else:
            out |= _value_pairs(before[k], after[k], True) if k in before and k in after \
                else {VALUE_CHANGED}
    return out


#: An outcome as one side of a change, in words ("now works (was AttributeError)").
OUTCOME_WORDS = {OK: "works", TIMEOUT: "hangs", CRASH: "crashes", UNAVAILABLE: "unavailable"}


def _side(cell: MatrixCell) -> str:
    """A cell's behaviour as one side of a kind when its outcome or error type changed."""
    if cell.get("outcome") == ERROR:
        return error_words(cell)
    outcome = str(cell.get("outcome"))
    return OUTCOME_WORDS.get(outcome, outcome)


def _warnings(cell: MatrixCell) -> Set[str]:
    return {str(w.get("category")) for w in cell.get("warnings") or []}


def kinds(before: MatrixCell, after: MatrixCell, perf: bool = False,
          labels: Optional[Mapping[str, str]] = None) -> Set[str]:
    """What changed between two cells of a case, in words: an error type ("AttributeError →
    PicklingError"), an outcome ("now hangs (was works)"), a changed value ("fork →
    forkserver", "now 2 (was 3)", a labelled key's words, ``VALUE_CHANGED``), a warning added
    or gone ("now warns (DeprecationWarning)"). ``labels``: the case's words for its keys."""
    out: Set[str] = set()
    if before.get("outcome") != after.get("outcome") or (
            before.get("outcome") == ERROR and _side(before) != _side(after)):
        both = before.get("outcome") == after.get("outcome") == ERROR
        out.add("%s → %s" % (_side(before), _side(after)) if both
                else _now_was(_side(before), _side(after)))
    elif before.get("outcome") == OK and not perf:
        out |= _value_pairs(before.get("observed"), after.get("observed"), labels=labels)
    old, new = _warnings(before), _warnings(after)
    out |= {"now warns (%s)" % w for w in sorted(new - old)} | {
        "no longer warns (%s)" % w for w in sorted(old - new)}
    return out


#: How the default start method's change opens a change line (``default_change``).
DEFAULT_WORDS = "the default start method is now"


def default_change(before: MatrixCell, after: MatrixCell) -> str:
    """ "the default start method is now forkserver (was fork)" when ``methods.default``'s
    multiprocessing default changed between two cells (", and ProcessPoolExecutor's" when its
    default changed the same way), else ""."""
    old, new = before.get("observed"), after.get("observed")
    if not isinstance(old, dict) or not isinstance(new, dict) or old.get("default") == new.get(
            "default") or before.get("outcome") != OK or after.get("outcome") != OK:
        return ""
    pool = (old.get("executor"), new.get("executor")) == (old.get("default"), new.get("default"))
    return "%s %s (was %s)%s" % (DEFAULT_WORDS, new.get("default"), old.get("default"),
                                 ", and ProcessPoolExecutor's" if pool else "")


def _cells_of(matrix: MatrixDoc) -> Tuple[Dict[Tuple[str, str, str], MatrixCell],
                                         Dict[Tuple[str, str], str]]:
    """Cells by (case, environment, method); environment ids by (series, version label)."""
    cells = cells_by_key(matrix)
    envs = {(history.series_key(e), version_label(e)): str(e["id"])
            for e in matrix["environments"] if not e.get("not_run")}
    return cells, envs


def change_examples(matrix: Optional[MatrixDoc], changes: Sequence[history.Change],
                    titles: Mapping[str, str]) -> List[Example]:
    """One change line's examples: the default start method's change first, in words, when
    ``methods.default`` changed it; then its cases grouped by kind of change, the largest group
    first (ties: the kind's text), one case of each (the one with the fewest other kinds of
    change), a case named once. Without the matrix, a kind is the change's before → after
    text."""
    cells, envs = _cells_of(matrix) if matrix is not None else ({}, {})
    perf = performance_cases(matrix) if matrix is not None else set()
    labels = labels_of(matrix) if matrix is not None else {}
    by_kind: Dict[str, Set[str]] = {}
    of_case: Dict[str, Set[str]] = {}
    for ch in changes:
        found: Set[str] = set()
        for method in ch.methods:
            old = cells.get((ch.case, envs.get((ch.series, ch.before_version), ""), method))
            new = cells.get((ch.case, envs.get((ch.series, ch.since), ""), method))
            if old is not None and new is not None:
                said = default_change(old, new) if ch.case == DEFAULT_CASE else ""
                found |= {said} if said else kinds(old, new, ch.case in perf,
                                                   labels.get(ch.case))
        for kind in found or {"%s → %s" % (ch.before, ch.after)}:
            by_kind.setdefault(kind, set()).add(ch.case)
            of_case.setdefault(ch.case, set()).add(kind)
    out: List[Example] = []
    named: Set[str] = set()
    for kind, cases in sorted(by_kind.items(), key=lambda kv: (
            not kv[0].startswith(DEFAULT_WORDS), -len(kv[1]), kv[0])):
        # the case that shows this change and the fewest others stands for it
        fresh = sorted(cases - named, key=lambda c: (len(of_case[c]), c))
        if fresh and len(out) < SHOWN:
            named.add(fresh[0])
            out.append(Example(fresh[0], titles.get(fresh[0], fresh[0]), kind, frozenset(cases)))
    return out
