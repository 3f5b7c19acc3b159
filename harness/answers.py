"""Scope and answers: the target grid every report is measured against, what of it has no data
(and why, when known), and the short "Answers" a reader sees first, each a permalink to the
matrix view that proves it. Pure functions over the ``matrix.json`` dict.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

from harness import changetext, history, picks, systems
from harness.cellview import DEFAULT_CASE
from harness.documents import CaseEntry, MatrixCell, MatrixDoc
from harness.expect import select_rule, version_key
from harness.grid import Slot, slot_order, spans
from harness.guest.words import (
    CPYTHON,
    FORK,
    OS_NAMES,
    PYPY,
    SPAWN,
)
from harness.results import arch_suffix

__all__ = ["COMPARES", "OFF_GRID", "VIEW", "Answer", "DefaultCell", "behaviour_tags",
           "compared", "default_grid", "default_lines", "default_table", "fails_only_lines",
           "shared_slots", "view_orders"]

#: An answer line's link: the matrix filtered by a Behaviour tag.
VIEW = "#view?b="


@dataclasses.dataclass(frozen=True)
class DefaultCell:
    slot: Slot
    value: str  # the default start method, or "?"
    from_docs: bool  # not run here: the documented value
    link: str  # a permalink (the methods.default cell) or the documentation URL
    envs: Tuple[str, ...]
    source: str = ""  # the documentation the value comes from (docs values only)
    note: str = ""  # the rule's note: a condition on the value (gh-155717: a writable tmp dir)


def _doc_default(case: Optional[CaseEntry], slot: Slot) -> Tuple[str, str, str]:
    if not case:
        return "?", "", ""
    rule = select_rule(case.get("expect") or [], SPAWN, slot.probe())
    value = rule.get("value") if rule else None
    if not rule or not isinstance(value, dict) or not value.get("default"):
        return "?", "", ""
    return (str(value["default"]), str(rule.get("source") or case.get("source") or ""),
            str(rule.get("note") or ""))


def default_grid(matrix: MatrixDoc, grid: Sequence[Slot]) -> List[DefaultCell]:
    """The default start method per grid slot: measured where it ran, else documented."""
    envs = {e["id"]: e for e in matrix["environments"]}
    case = next((c for c in matrix["cases"] if c.get("id") == DEFAULT_CASE), None)
    out = []
    for slot in grid:
        if slot.envs:
            values = [str(envs[e].get("default_method")) for e in slot.envs]
            value = values[0] if len(set(values)) == 1 else " / ".join(  # releases apart
                "%s (%s%s)" % (v, envs[e].get("python_version"),
                               " Intel" if arch_suffix(envs[e]) else "")
                for v, e in zip(values, slot.envs))
            note = _doc_default(case, slot)[2]  # measured too: the condition still holds (r16)
            out.append(DefaultCell(slot, value, False, "#env-" + slot.envs[-1], slot.envs,
                                   note=note))
        else:
            value, source, note = _doc_default(case, slot)
            out.append(DefaultCell(slot, value, True, "#slot-" + slot.key, (), source, note))
    return out


#: What a defaults-table cell with no slot says, and why (a column another OS's results added).
OFF_GRID = ("—", "not tested on this OS")


def borrowed_docs(defaults: Sequence[DefaultCell]) -> str:
    """What the table's documented PyPy values are, when it has any: the case's rules are
    CPython's docs, applied to PyPy's Python version ("" when no PyPy value is from the
    docs)."""
    return "PyPy's italic values are CPython's docs for the same Python version" if any(
        d.from_docs and d.value != "?" and d.slot.impl == PYPY for d in defaults) else ""


def shared_slots(grid: Sequence[Slot], labels: Mapping[str, str]) -> str:
    """ "Linux 3.13 is two environments: 3.13.0 and 3.13.18" for the slots with more than one
    (why a report has more environments than slots with data), or ""."""
    numbers = {2: "two", 3: "three"}
    return "; ".join("%s %s is %s environments: %s" % (
        OS_NAMES.get(s.os, s.os), s.label, numbers.get(len(s.envs), str(len(s.envs))),
        " and ".join(labels.get(e, e) for e in s.envs)) for s in grid if len(s.envs) > 1)


def default_table(defaults: Sequence[DefaultCell]) -> Tuple[
        List[str], List[Tuple[str, List[Optional[DefaultCell]]]]]:
    """The defaults as a table: OS rows × version columns (a cell is None where that OS has
    no such slot: ``OFF_GRID``)."""
    cols: List[str] = []
    for d in sorted(defaults, key=lambda d: slot_order(("", d.slot.impl, d.slot.minor, d.slot.ft))):
        if d.slot.label not in cols:
            cols.append(d.slot.label)
    rows: List[Tuple[str, List[Optional[DefaultCell]]]] = []
    for os_name in dict.fromkeys(d.slot.os for d in defaults):
        mine = {d.slot.label: d for d in defaults if d.slot.os == os_name}
        rows.append((OS_NAMES.get(os_name, os_name), [mine.get(c) for c in cols]))
    return cols, rows


def default_lines(defaults: Sequence[DefaultCell]) -> List[Tuple[str, str]]:
    """The default start method in one line per OS, for CPython (free-threaded builds and PyPy
    are in the table): ("Linux", "fork 3.8–3.13 → forkserver 3.14–3.16 (measured; 3.16 from
    the docs)"), and after a dash the conditions the docs attach to those values (the
    writable temporary directory Linux 3.14.9+'s forkserver needs). The answer a reader wants
    in ten seconds, from the same cells as the table."""
    out = []
    for os_name in dict.fromkeys(d.slot.os for d in defaults):
        mine = sorted((d for d in defaults if d.slot.os == os_name and d.slot.impl == CPYTHON
                       and not d.slot.ft), key=lambda d: version_key(d.slot.minor))
        if not mine:
            continue
        runs: List[List[str]] = []  # [value, first version, last version]
        for d in mine:
            value = "unknown" if d.value == "?" else d.value  # not run, and the docs say nothing
            if runs and runs[-1][0] == value:
                runs[-1][2] = d.slot.minor
            else:
                runs.append([value, d.slot.minor, d.slot.minor])
        text = " → ".join("%s %s" % (v, a if a == b else "%s–%s" % (a, b)) for v, a, b in runs)
        measured = [i for i, d in enumerate(mine) if not d.from_docs]
        docs = [i for i, d in enumerate(mine) if d.from_docs and d.value != "?"]
        unknown = [i for i, d in enumerate(mine) if d.from_docs and d.value == "?"]
        versions = [d.slot.minor for d in mine]
        if len(measured) == len(mine):
            note = "measured"
        elif len(docs) == len(mine):
            note = "from the docs; not run here"
        else:
            note = "; ".join(text for text in (
                "measured %s" % spans(measured, versions) if measured else "",
                "%s from the docs" % spans(docs, versions) if docs else "",
                "%s not run, no documented value" % spans(unknown, versions) if unknown
                else "") if text)
        conditions = "; ".join(dict.fromkeys(d.note for d in mine if d.note and d.value != "?"))
        out.append((OS_NAMES.get(os_name, os_name), "%s (%s)%s" % (
            text, note, " — " + conditions if conditions else "")))
    return out


def since_tag(series: str, version: str) -> str:
    """The filter token of a change point: ``since-linux-pypy-3.11`` (per series: CPython 3.11
    and PyPy 3.11 are different changes)."""
    return "since-%s-%s" % (series, version)


def view_orders(lines: Sequence[Answer]) -> Dict[str, str]:
    """The Behaviour filter's tag → the order its view lists the cases in (ids, space-separated:
    the page's ``data-order``), for the answer lines whose order is not the catalog's."""
    return {a.link[len(VIEW):]: " ".join(a.order) for a in lines if a.order}


def since_options(tags: Sequence[str]) -> List[Tuple[str, str]]:
    """(token, "changed in Linux PyPy 3.11") for the Behaviour filter, by version."""
    found = set()
    for tag in tags:
        if tag.startswith("since-"):
            series, _, version = tag[len("since-"):].rpartition("-")
            found.add((version_key(version), changetext.series_label(series, version), tag))
    return [(tag, "changed in " + label) for _key, label, tag in sorted(found)]


def behaviour_tags(
    lookup: Mapping[Tuple[str, str], MatrixCell], envs: Sequence[str],
    methods: Sequence[str], since: Sequence[Tuple[str, str]], breaks: Sequence[str] = (),
) -> List[str]:
    """Filter tokens for one case row: ``disagree`` (the methods do not all behave the same in
    some environment), ``fork-spawn``, ``fork-only`` / ``nonfork-only`` (fails or hangs only
    under fork / only under spawn or forkserver; a value the case ``breaks`` under counts as
    failing: ``picks.broken``), the failing outcomes, and a ``since_tag`` per (series, version)
    where the case's behaviour changed."""
    tags: Set[str] = set()
    for env in envs:
        tags |= picks.env_tags(lookup, env, methods, breaks)
    tags.update(since_tag(series, version) for series, version in since)
    return sorted(tags)


#: An answer's tag → the cells it compares, as its count's denominator says them.
COMPARES = {"fork-only": "fork and another method", "nonfork-only": "fork and another method",
            "fork-spawn": "both fork and spawn"}


def compared(lookup: Mapping[Tuple[str, str], MatrixCell], envs: Sequence[str],
             methods: Sequence[str]) -> List[str]:
    """The answer tags (``COMPARES``) a case row could have earned: in some environment the
    methods they compare all ran. A partial run counts each answer over these cases."""
    out: Set[str] = set()
    for env in envs:
        ran = picks.ran(lookup, env, methods)
        if FORK in ran and len(ran) > 1:
            out.update(("fork-only", "nonfork-only"))
        if FORK in ran and SPAWN in ran:
            out.add("fork-spawn")
    return sorted(out)


@dataclasses.dataclass(frozen=True)
class Answer:
    text: str
    link: str  # a permalink to the filtered view
    examples: Tuple[picks.Example, ...]  # chosen by picks.RULE
    count: int
    #: What a partial run counted over: (cases, "under fork and another method", said after
    #: "that ran"); None after a full run (the count reads as it always did).
    over: Optional[Tuple[int, str]] = None
    #: "1 only on Linux PyPy 3.9": how many of the cases no CPython shows (a PyPy bug led
    #: "Break when you move off fork" unsaid: review r7 #6).
    elsewhere: str = ""
    #: The order its view lists its cases in when it is not the catalog's: as its examples
    #: (``picks.RULE``), those that show it in the most CPython environments first.
    order: Tuple[str, ...] = ()
    #: Where its two versions ran, when on two systems, and which changes the docs predict
    #: (``systems.moved_words``): the folded note under the lines says it.
    note: str = ""

    @property
    def example_text(self) -> str:
        """The examples in one line, "…" when the line has more cases than they name."""
        text = "; ".join(e.text for e in self.examples)
        shown = set().union(*(e.members | {e.case} for e in self.examples))
        return text + (" …" if text and self.count > len(shown) else "")

    @property
    def count_text(self) -> str:
        """ "3 cases"; after a partial run "0 of the 21 cases that ran under fork and another
        method", or "not compared: no case ran under both fork and spawn"."""
        aside = " (%s)" % self.elsewhere if self.elsewhere else ""
        if self.over is None:
            return "%d case%s%s" % (self.count, "" if self.count == 1 else "s", aside)
        n, what = self.over
        if not n:
            return "not compared: no case ran%s" % (" " + what if what else "")
        return "%d of the %d case%s that ran%s%s" % (self.count, n, "" if n == 1 else "s",
                                                     " " + what if what else "", aside)


def fails_only_lines(rows: Sequence[Tuple[str, str, Sequence[str]]],
                     changes: Sequence[history.Change],
                     over: Optional[Mapping[str, int]] = None,
                     changes_over: Optional[Mapping[Tuple[str, str], int]] = None,
                     matrix: Optional[MatrixDoc] = None) -> List[Answer]:
    """From (case id, title, tags) per row and the change points: the answer lines. After a
    partial run ``over`` holds how many cases each was counted over (an answer tag's
    ``compared`` cases), and ``changes_over`` a change line's: the cases that ran at its
    version and an earlier one (``history.compared_at``). With the ``matrix`` the examples are
    chosen by ``picks.RULE`` (without it: the first cases, a change line's grouped by its
    before → after text)."""
    def scope(tag: str) -> Optional[Tuple[int, str]]:
        return None if over is None else (over.get(tag, 0), "under " + COMPARES[tag])
    titles = {cid: title for cid, title, _t in rows}
    out = []
    # what breaks when you leave fork first: the question of a reader whose default moved
    for tag, text in (("nonfork-only", "Break when you move off fork (hang or fail only under "
                                       "spawn or forkserver)"),
                      ("fork-only", "Hang or fail only under fork"),
                      ("fork-spawn", "Behave differently under fork and spawn")):
        catalog = [cid for cid, _t, tags in rows if tag in tags]
        ids = catalog if matrix is None else picks.ranked(matrix, tag, catalog)
        examples = tuple(picks.Example(c, titles.get(c, c)) for c in ids[:picks.SHOWN])
        out.append(Answer(text, VIEW + tag, examples, len(catalog), scope(tag),
                          "" if matrix is None else picks.only_outside_cpython(matrix, tag, ids),
                          tuple(ids) if ids != catalog else ()))
    groups: Dict[Tuple[str, str], List[history.Change]] = {}
    for ch in changes:
        groups.setdefault((ch.series, ch.since), []).append(ch)
    for (series, since), mine in sorted(groups.items(), key=lambda kv: (
            version_key(kv[0][1]), changetext.series_label(*kv[0]))):
        ids = sorted({ch.case for ch in mine})
        befores = {ch.before_version for ch in mine}
        (before,) = befores if len(befores) == 1 else ("",)
        releases = {(ch.before_release, ch.since_release) for ch in mine
                    if changetext.releases_apart(ch)}
        if len(releases) == 1 and len(mine) == sum(changetext.releases_apart(c) for c in mine):
            # the labels hide the releases: "3.14" ran 3.14.10 (review r16 #4)
            ((old, new),) = releases
            head = "Changed between %s and %s" % (changetext.series_label(series, old), new)
            gap = changetext.release_gap(old, new)
        elif before and changetext.since_hedge(since, before):  # one gap: say it plainly
            head = "Changed between %s and %s" % (changetext.series_label(series, before),
                                                  since)
            gap = changetext.unobserved_between(before, since)
        else:
            head = "Changed in " + changetext.series_label(series, since)
            gap = _hedge_of(since, mine)
        doubt, note = systems.moved_words(series, mine, matrix)
        hedge = "; ".join(h for h in (gap, doubt) if h)
        out.append(Answer("%s%s" % (head, " (%s)" % hedge if hedge else ""),
                          VIEW + since_tag(series, since),
                          tuple(picks.change_examples(matrix, mine, titles)), len(ids),
                          None if over is None else ((changes_over or {}).get((series, since), 0),
                                                     "in %s and an earlier version" % (
                                                         changetext.series_label(series, since))),
                          note=note))
    return out


def _hedge_of(since: str, changes: Sequence[history.Change]) -> str:
    """ "or earlier: 3.9 → 3.11 observed" from the earliest version a change was last seen at
    that needs the hedge ("for some" when not every change of the group needs it)."""
    befores = sorted({ch.before_version for ch in changes}, key=version_key)
    hedges = [changetext.since_hedge(since, before) for before in befores]
    first = next((h for h in hedges if h), "")
    return first.replace("or earlier:", "or earlier for some:") if first and not all(
        hedges) else first
