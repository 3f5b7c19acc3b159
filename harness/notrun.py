"""What a report's cells did not run, and why, in the words every count carries when a run was
partial (a selection: ``-k``, ``-m``, ``--methods``, ``--deselect``; ``--quick``; no data for an
environment): "only 35 of 339 cells ran (a selection: -k 'api and fork' left 304 cells out)".
A full run has nothing to say (``NotRun.partial`` is false): the page reads as it always did.
A case its run's catalog did not hold (added later, or gone by then) is no partial run: its
cells say why, and the page says it once (``NotRun.catalog_line``). A cell the harness could not
run (``causes.is_harness_error``) holds no result of its case: not run, with its reason
("the harness could not start the interpreter").
Pure: the merge writes the reason into each not-run cell's ``detail`` (``harness.merge``).
"""

from __future__ import annotations

import collections
import dataclasses
import re
from types import MappingProxyType
from typing import Any, Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from harness.causes import ended, is_harness_reason, read
from harness.guest.words import INTERRUPTED
from harness.results import environment_names

__all__ = ["CASE_GONE", "CASE_NEWER", "CASE_OUTSIDE", "NO_DATA", "QUICK", "QUICK_SAID", "NotRun",
           "RunGaps", "detail_text", "not_run", "of_matrix", "partial_causes", "reason",
           "short_reason", "why_missing"]

#: The merge's words for a cell a run left out: "not run (quick)", "not run (not selected: -k x)".
_DETAIL = re.compile(r"^not run \((.*)\)$", re.S)
#: A --quick run's reason as its results file records it, and as the page says it: the flag the
#: reader typed, in the cells, the claims and the counts alike (review r16: "not run (quick)"
#: in 93 cells beside "not run (--quick)" in 12 claims).
QUICK, QUICK_SAID = "quick", "--quick"
_SELECTED = "not selected: "
NO_DATA = "no data"
#: Why a case's cells did not run where no run of the environment had the case in its catalog
#: (matrix format 1.5): every such run is older than every run that had it, or newer (the
#: case was removed or renamed), or their times do not say.
CASE_NEWER = "case newer than this run"
CASE_GONE = "case gone from the catalog by this run"
CASE_OUTSIDE = "case not in this run's catalog"
#: How the page says each, after "1 case" ("… ran only on PyPy 3.9").
_CATALOG_SAID = {CASE_NEWER: "added after the other runs (%s)",
                 CASE_GONE: "gone from the newer runs' catalog (%s: removed or renamed)",
                 CASE_OUTSIDE: "missing from the other runs' catalogs (%s)"}


@dataclasses.dataclass(frozen=True)
class NotRun:
    cells_total: int
    cells_run: int
    reasons: Tuple[Tuple[str, int], ...]  # (why, cells): "-k 'api and fork'", "quick", NO_DATA
    #: (environment id, its name, its cells not run, its cells, why: ``partial_causes``) for
    #: each partial run, when the caller gave the names ("Linux 3.14"): the banner says which
    #: run stopped, and why.
    interrupted: Tuple[Tuple[str, str, int, int, str], ...] = ()
    #: (why: CASE_NEWER …, the case's title (its id when none), the environments where it has
    #: data) for each case whose cells some run's catalog did not hold: neither counted above
    #: nor a partial run.
    catalog: Tuple[Tuple[str, str, Tuple[str, ...]], ...] = ()
    #: (why: ``causes.harness_reason``, environment name, its cells the harness could not run),
    #: when the caller gave the names.
    failed: Tuple[Tuple[str, str, int], ...] = ()

    def interrupted_in(self, env_id: str) -> str:
        """ "interrupted by SIGTERM: 229 of its 343 cells did not run" for a partial
        environment, else "" (its row in the start-methods table)."""
        return next(("%s: %d of its %d cells did not run" % (cause or ended(""), n, total)
                     for ident, _name, n, total, cause in self.interrupted if ident == env_id),
                    "")

    @property
    def partial(self) -> bool:
        return self.cells_run < self.cells_total

    @property
    def why(self) -> str:
        """ "a selection: -k 'api and fork' left 304 cells out; 2 cells had no data" ("" if
        full)."""
        parts = []
        for why, n in self.reasons:
            cells = _cells(n)
            if why == NO_DATA:
                parts.append("%s had no data" % cells)
            elif is_harness_reason(why):  # "2 cells not run on Linux 3.14: the harness could…"
                parts.extend(["%s not run on %s: %s" % (_cells(k), name, why)
                              for said, name, k in self.failed if said == why]
                             or ["%s not run: %s" % (cells, why)])
            elif why == INTERRUPTED and self.interrupted:
                parts.extend("%s was %s: %d of its %d cells did not run" % (
                    name, cause or ended(""), n, total)
                    for _ident, name, n, total, cause in self.interrupted)
            elif why == INTERRUPTED:
                parts.append("the run was interrupted before %s ran" % cells)
            elif why == QUICK:
                parts.append("%s left out %d performance cell%s" % (QUICK_SAID, n,
                                                                    "" if n == 1 else "s"))
            else:
                parts.append("a selection: %s left %s out" % (why, cells))
        return "; ".join(parts)

    @property
    def ran(self) -> str:
        """ "only 35 of 339 cells ran" ("" if full)."""
        return "only %d of %d cells ran" % (self.cells_run, self.cells_total) \
            if self.partial else ""

    @property
    def line(self) -> str:
        """ "Partial run: only 35 of 349 cells ran (a selection: …)" ("" if full)."""
        return "Partial run: %s (%s)" % (self.ran, self.why) if self.partial else ""

    @property
    def headline(self) -> str:
        """The line above a partial run's answers ("" if full): the page and summary.md."""
        return self.line + ". Every count here is over what ran." if self.partial else ""

    @property
    def catalog_line(self) -> str:
        """ "1 case added after the other runs (“<its title>”) ran only on PyPy 3.9." ("" when
        every run's catalog held every case)."""
        groups: Dict[Tuple[str, Tuple[str, ...]], List[str]] = {}
        for why, case, where in self.catalog:
            groups.setdefault((why, where), []).append(case)
        return " ".join("%d case%s %s %s." % (
            len(cases), "" if len(cases) == 1 else "s",
            _CATALOG_SAID[why] % ", ".join("“%s”" % c for c in cases),
            "ran only on %s" % ", ".join(where) if where else "has no data in this report")
            for (why, where), cases in groups.items())


def _cells(n: int) -> str:
    return "%d cell%s" % (n, "" if n == 1 else "s")


def reason(cell: Mapping[str, Any]) -> str:
    """Why a not-run cell did not run: ``-k 'api and fork'``, ``quick``, ``interrupted``, "the
    harness could not start the interpreter" or ``no data``."""
    found = _DETAIL.match(str(cell.get("detail") or ""))
    why = found.group(1) if found else NO_DATA
    return why[len(_SELECTED):] if why.startswith(_SELECTED) else why


def short_reason(cell: Mapping[str, Any]) -> str:
    """A not-run cell's reason in a word or two, for a verdict beside it ("interrupted",
    "--quick", "not selected", the harness's failure as it is; "" when nothing recorded why)."""
    why = reason(cell)
    if why in _CATALOG_SAID or is_harness_reason(why):
        return why
    return {INTERRUPTED: INTERRUPTED, QUICK: QUICK_SAID, NO_DATA: ""}.get(why, "not selected")


def detail_text(cell: Mapping[str, Any]) -> str:
    """A not-run cell's detail as the page says it: "not run (--quick)" (``QUICK_SAID``),
    any other as the merge wrote it."""
    detail = str(cell.get("detail") or "")
    return "not run (%s)" % QUICK_SAID if detail and reason(cell) == QUICK else detail


def of_matrix(matrix: Mapping[str, Any]) -> NotRun:
    """``not_run`` of a merged matrix, each partial environment named with why it is."""
    environments = matrix.get("environments") or ()
    titles = {str(c.get("id")): str(c.get("title") or c.get("id"))
              for c in matrix.get("cases") or () if isinstance(c, Mapping)}
    return not_run(matrix.get("results") or (), environment_names(environments),
                   partial_causes(environments), titles)


def partial_causes(environments: Sequence[Mapping[str, Any]]) -> Dict[str, str]:
    """Environment id -> how its partial runs ended, in words ("interrupted by SIGTERM; cut short
    (output closed)"), from its runs' ``partial_cause`` (matrix format 1.4), each run's worded
    apart; absent when no run says."""
    causes: Dict[str, str] = {}
    for env in environments:
        runs = [run for run in env.get("runs") or () if isinstance(run, Mapping)]
        said = [cause for cause in (read(run.get("partial_cause")) for run in runs)
                if cause and not is_harness_reason(cause)]  # its cells say it: ``failed``
        if said:
            causes[str(env.get("id"))] = "; ".join(dict.fromkeys(ended(c) for c in said))
    return causes


def not_run(results: Sequence[Mapping[str, Any]],
            names: Optional[Mapping[str, str]] = None,
            causes: Optional[Mapping[str, str]] = None,
            titles: Optional[Mapping[str, str]] = None) -> NotRun:
    """The not-run cells of a matrix's ``results`` counted by why; with the environments'
    ``names`` (``results.environment_names``) each interrupted one is named, with its
    ``causes`` (``partial_causes``) when known, and so is each one with cells the harness
    could not run; a case outside a run's catalog by its ``titles`` (its id where none is
    given)."""
    reasons = collections.Counter(reason(c) for c in results if c.get("outcome") is None)
    outside = {why: reasons.pop(why) for why in _CATALOG_SAID if why in reasons}
    stopped: Dict[str, int] = collections.Counter(
        str(c.get("environment")) for c in results
        if c.get("outcome") is None and reason(c) == INTERRUPTED)
    failed = collections.Counter((reason(c), str(c.get("environment"))) for c in results
                                 if c.get("outcome") is None and is_harness_reason(reason(c)))
    sizes = collections.Counter(str(c.get("environment")) for c in results)
    total = len(results) - sum(outside.values())
    return NotRun(
        cells_total=total, cells_run=total - sum(reasons.values()),
        reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        interrupted=tuple((env, names.get(env, env), n, sizes[env], (causes or {}).get(env, ""))
                          for env, n in sorted(stopped.items())) if names is not None else (),
        catalog=_catalog_gaps(results, names or {}, titles or {}) if outside else (),
        failed=tuple((why, names.get(env, env), n) for (why, env), n in sorted(failed.items()))
        if names is not None else ())


def _catalog_gaps(results: Sequence[Mapping[str, Any]], names: Mapping[str, str],
                  titles: Mapping[str, str]) -> Tuple[Tuple[str, str, Tuple[str, ...]], ...]:
    """(why, case title, where it has data) for each case some run's catalog did not hold, in
    the matrix's order (by case, then environment)."""
    whys: Dict[Tuple[str, str], None] = {}
    ran: Dict[str, Dict[str, None]] = {}
    for c in results:
        case, env = str(c.get("case")), str(c.get("environment"))
        if c.get("outcome") is not None:
            ran.setdefault(case, {})[names.get(env, env)] = None
        elif reason(c) in _CATALOG_SAID:
            whys[(reason(c), case)] = None
    return tuple((why, titles.get(case, case), tuple(ran.get(case, ()))) for why, case in whys)


class RunGaps(NamedTuple):
    """What one run of an environment left out: its selection's cells (-k/-m/--methods, with
    why), its left-out categories (--quick) and whether it was stopped before its end; the
    cases its catalog held (None: it recorded none), when it ran (``loading.run_time``), its
    commit and the cells the harness could not run in it, with why (``loading.Loaded.failed``)."""
    not_selected: Mapping[str, str]
    left_out: Mapping[str, Any]
    stopped: bool
    catalog: Optional[FrozenSet[str]] = None
    when: Optional[str] = None
    commit: Optional[str] = None
    failed: Mapping[str, str] = MappingProxyType({})


def why_missing(runs: Sequence[RunGaps], name: str, category: str,
                held: Sequence[Tuple[Optional[str], Optional[str]]] = ()) -> Optional[str]:
    """Why no run of an environment has a cell: when no run's catalog held its case, how those
    runs stand to the runs that did (``held``: their times and commits); else the reason of a
    run whose selection named it (--quick, interrupted, the harness's failure to run it: "the
    harness could not start the interpreter"); "not selected" only when every run's
    selection left it out (a -k rerun merged with a --quick run said "-k left 25 cells out" for
    --quick's cells)."""
    case_id = name.partition("[")[0]
    had = [run for run in runs if run.catalog is None or case_id in run.catalog or
           name in run.not_selected]  # a selection that named it knew it
    if runs and not had:
        return _catalog_gap(runs, held)
    selection = None
    for run in had:
        if name in run.not_selected:  # it would not have run without --quick either
            selection = selection or run.not_selected[name]
            continue
        why = run.failed.get(name) or run.left_out.get(category) or (
            INTERRUPTED if run.stopped else None)
        if why:
            return str(why)
    return selection


def _catalog_gap(runs: Sequence[RunGaps], held: Sequence[Tuple[Optional[str], Optional[str]]],
                 ) -> str:
    """CASE_NEWER when ``runs`` all ran before every run that had the case (``held``: their
    times and commits), CASE_GONE when all after; else CASE_OUTSIDE: a time unknown, or
    between, or a commit of both (edits not committed; or a file of an older harness, which
    recorded only the cases of the files it collected, as --ignore left them)."""
    mine, theirs = [r.when for r in runs if r.when], [when for when, _commit in held if when]
    same = {r.commit for r in runs} & {commit for _when, commit in held} - {None}
    if mine and theirs and len(mine) == len(runs) and len(theirs) == len(held) and not same:
        if max(mine) < min(theirs):
            return CASE_NEWER
        if min(mine) > max(theirs):
            return CASE_GONE
    return CASE_OUTSIDE
