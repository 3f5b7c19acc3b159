"""``python -m harness diff OLD NEW``: what changed between two matrices (or result folders).

Pure comparison of two matrix documents, grouped like wpt.fyi's diff: **A**dded, **D**eleted,
**C**hanged, **U**nchanged. A cell changed where two runs of it would disagree
(``merge.disagree``: outcome, error type, warning kinds, value, where a hang hung); a
performance case's numbers (``median``/``iqr`` summaries) count as changed only beyond their
spread (``noise``). A cell whose case's own code changed between the two runs
(``case_code``) is not an observation change: it is listed apart, as **K** (case changed).
Only cells that ran in both are compared: one that ran on one side only (the other's selection,
``--quick``, no data, an environment only one side has) is counted as not compared, with why.
Two sides that hold one environment each (3.12's run, 3.13's) are compared with each other.
What each side reads (a matrix.json, results files, a reports folder) is ``inputs``'s.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

from harness import case_code, notrun, svg
from harness.documents import (
    CellKey,
    MatrixCell,
    MatrixDoc,
    MatrixEnvironment,
    cells_by_key,
    error_field,
)
from harness.guest.words import ERROR, FLAKY, NOT_RUN, OK, TIMEOUT
from harness.merge import disagree, performance_cases, warning_kinds
from harness.noise import noise_aware_equal
from harness.results import HANG_QUOTE, hang_said
from harness.text import cut_apart, key_changes, short_json

__all__ = ["CellChange", "MatrixDiff", "diff_matrices", "format_diff", "nothing_compared"]

Key = CellKey


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


@dataclasses.dataclass(frozen=True)
class MatrixDiff:
    """Everything that differs between two matrices."""

    environments_added: List[str]
    environments_removed: List[str]
    cases_added: List[str]
    cases_removed: List[str]
    cells_added: List[Key]
    cells_removed: List[Key]
    cells_changed: List[CellChange]
    cells_unchanged: int
    #: Cells that differ while the case's own code changed between the runs: not compared.
    cells_case_changed: List[CellChange] = dataclasses.field(default_factory=list)
    #: Cases whose code changed between the runs (in any cell both sides have), with why.
    cases_code_changed: Dict[str, str] = dataclasses.field(default_factory=dict)
    #: The commits of each side's runs.
    commits_old: List[str] = dataclasses.field(default_factory=list)
    commits_new: List[str] = dataclasses.field(default_factory=list)
    #: Cells that ran on one side only, with why the other has none: ``not run in NEW: -k
    #: 'x'``, ``environment only in OLD``. Neither added nor deleted: not compared.
    cells_not_compared: List[Tuple[str, str, str, str]] = dataclasses.field(
        default_factory=list)
    #: Cases only one side's catalog has that no cell of that side ran -> which side.
    cases_not_run: Dict[str, str] = dataclasses.field(default_factory=dict)
    #: The environments both sides have (the only ones compared).
    environments_compared: List[str] = dataclasses.field(default_factory=list)
    #: Old id -> new id when each side holds one environment, not the same: compared together.
    environments_paired: Dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing compared differs (environments one side lacks are scope: not compared)."""
        return not (self.cases_added or self.cases_removed or self.cells_added
                    or self.cells_removed or self.cells_changed or self.cells_case_changed)

    @property
    def nothing_compared(self) -> bool:
        """The two sides share no environment: there is nothing to compare (not "no
        differences")."""
        return not self.environments_compared

    @property
    def compared(self) -> int:
        return len(self.cells_changed) + self.cells_unchanged + len(self.cells_case_changed)

    @property
    def unknown_code(self) -> int:
        """Changed cells whose runs' commits differ and whose case code is not recorded."""
        return sum(1 for c in self.cells_changed if c.case_code == case_code.UNKNOWN)

    def to_dict(self) -> Dict[str, Any]:
        data = dataclasses.asdict(self)
        data["cells_added"] = [list(k) for k in self.cells_added]
        data["cells_removed"] = [list(k) for k in self.cells_removed]
        data["cells_not_compared"] = [list(k) for k in self.cells_not_compared]
        data["nothing_compared"] = self.nothing_compared
        return data


def _ran(cell: Optional[MatrixCell]) -> bool:
    return cell is not None and cell.get("status") != NOT_RUN and cell.get("outcome") is not None


def _why(cell: MatrixCell) -> str:
    why = notrun.reason(cell)
    return "--quick" if why == "quick" else why


def _split_columns(old: MatrixDoc, new: MatrixDoc) -> Dict[str, str]:
    """Old environment id -> new id where one minor version's column split by patch release
    (``linux-cpython-3.13`` -> ``linux-cpython-3.13.0``) and the releases are the same."""
    new_ids = {e["id"] for e in new.get("environments", [])}
    renamed: Dict[str, str] = {}
    for env in old.get("environments", []):
        if env["id"] in new_ids:
            continue
        same = [e["id"] for e in new.get("environments", [])
                if e.get("minor_id") == env["id"] and e.get("python_version")
                and e.get("python_version") == env.get("python_version")]
        if len(same) == 1:
            renamed[env["id"]] = same[0]
    return renamed


def _one_each(old: MatrixDoc, new: MatrixDoc) -> Dict[str, str]:
    """Old id -> new id when each side holds one environment and not the same one: the same
    selection on two Pythons (3.12 -> 3.13), which nothing else could compare."""
    olds = [e["id"] for e in old.get("environments", [])]
    news = [e["id"] for e in new.get("environments", [])]
    return {olds[0]: news[0]} if len(olds) == len(news) == 1 and olds != news else {}


def diff_matrices(old: MatrixDoc, new: MatrixDoc) -> MatrixDiff:
    """Compare two matrix documents (pure). A column that split by patch release is compared
    with the new column of the same release, not shown as removed and added."""
    renamed = _split_columns(old, new)
    paired = {} if renamed else _one_each(old, new)
    renamed = renamed or paired
    old_envs = {renamed.get(e["id"], e["id"]) for e in old.get("environments", [])}
    new_envs = {e["id"] for e in new.get("environments", [])}
    old_cases = {c["id"] for c in old.get("cases", [])}
    new_cases = {c["id"] for c in new.get("cases", [])}
    old_all = {(case, renamed.get(env, env), method): cell
               for (case, env, method), cell in cells_by_key(old).items()}
    new_all = cells_by_key(new)
    old_cells = {k: c for k, c in old_all.items() if _ran(c)}
    new_cells = {k: c for k, c in new_all.items() if _ran(c)}
    not_compared: List[Tuple[str, str, str, str]] = []
    for key in sorted(set(old_cells) ^ set(new_cells)):
        side, other, other_all, envs = ("OLD", "NEW", new_all, new_envs) \
            if key in old_cells else ("NEW", "OLD", old_all, old_envs)
        if key[1] not in envs:
            not_compared.append((*key, "environment only in %s" % side))
        elif key in other_all:
            not_compared.append((*key, "not run in %s: %s" % (other, _why(other_all[key]))))
    back = {new_id: old_id for old_id, new_id in renamed.items()}
    old_columns = {e["id"]: e for e in old.get("environments", [])}
    new_columns = {e["id"]: e for e in new.get("environments", [])}
    performance = performance_cases(old) | performance_cases(new)
    changed: List[CellChange] = []
    case_changed: List[CellChange] = []
    code_changed: Dict[str, str] = {}
    unchanged = 0
    for key in sorted(set(old_cells) & set(new_cells)):
        a, b = old_cells[key], new_cells[key]
        sides = (case_code.side(old_columns.get(back.get(key[1], key[1]), _NO_COLUMN), a),
                 case_code.side(new_columns.get(key[1], _NO_COLUMN), b))
        code = case_code.relation(*sides)
        if code == case_code.CHANGED:
            code_changed.setdefault(key[0], case_code.changed_text(*sides))
        if _same(a, b, key[0] in performance):
            unchanged += 1
            continue
        (case_changed if code == case_code.CHANGED else changed).append(CellChange(
            *key, old_outcome=a.get("outcome"), new_outcome=b.get("outcome"),
            old_observed=a.get("observed"), new_observed=b.get("observed"),
            old_status=a.get("status"), new_status=b.get("status"), case_code=code,
            old_error_type=error_field(a, "type"), new_error_type=error_field(b, "type"),
            old_warnings=warning_kinds(a), new_warnings=warning_kinds(b),
            old_hung_at=_hung_at(a), new_hung_at=_hung_at(b)))
    skipped = {k[:3] for k in not_compared}
    ran_old, ran_new = {k[0] for k in old_cells}, {k[0] for k in new_cells}
    return MatrixDiff(
        environments_added=sorted(new_envs - old_envs),
        environments_removed=sorted(old_envs - new_envs),
        cases_added=sorted((new_cases - old_cases) & ran_new),
        cases_removed=sorted((old_cases - new_cases) & ran_old),
        cells_added=sorted(set(new_cells) - set(old_cells) - skipped),
        cells_removed=sorted(set(old_cells) - set(new_cells) - skipped),
        cells_not_compared=not_compared,
        environments_compared=sorted(old_envs & new_envs),
        environments_paired=paired,
        cases_not_run=dict(sorted([(c, "NEW") for c in new_cases - old_cases - ran_new]
                                  + [(c, "OLD") for c in old_cases - new_cases - ran_old])),
        cells_changed=changed,
        cells_unchanged=unchanged,
        cells_case_changed=case_changed,
        cases_code_changed=dict(sorted(code_changed.items())),
        commits_old=list(old.get("commits", [])),
        commits_new=list(new.get("commits", [])),
    )


def _same(a: MatrixCell, b: MatrixCell, performance: bool) -> bool:
    """Two runs of a cell agree (``merge.disagree``, the page's rule); a performance case's
    numbers, which ``signature`` leaves out, agree within their spread."""
    return not disagree(a, b, performance) and (
        not performance or noise_aware_equal(a.get("observed"), b.get("observed")))


def _hung_at(cell: MatrixCell) -> str:
    return hang_said(str(cell.get("detail") or "")) if cell.get("outcome") == TIMEOUT else ""


_NO_COLUMN: MatrixEnvironment = {"os": "", "implementation": "", "python_version": "",
                                 "available_methods": [], "default_method": None}


def nothing_compared(diff: MatrixDiff) -> str:
    """The one line for two sides that share no environment (``harness diff`` exits 2)."""
    return ("nothing compared: the two sides share no environment (OLD: %s; NEW: %s) — diff "
            "compares the environments both sides have, or the one each side holds; the "
            "report's 'Changes between versions' compares Python versions" % (
                ", ".join(diff.environments_removed) or "none",
                ", ".join(diff.environments_added) or "none"))


def format_diff(diff: MatrixDiff, old_name: str, new_name: str) -> str:
    """The human-readable diff: what was compared and what not (and why), then A/D/C (K: the
    case changed, not compared) with an U count."""
    lines = ["diff %s -> %s" % (old_name, new_name)]
    if diff.nothing_compared:
        return "\n".join(lines + [nothing_compared(diff)])
    pairs = {new_id: "%s -> %s" % (old_id, new_id)
             for old_id, new_id in diff.environments_paired.items()}
    lines += ["comparing %s: each side holds one environment" % pair for pair in pairs.values()]
    envs = diff.environments_compared
    both = ", ".join(pairs.get(e, e) for e in envs) if len(envs) <= 3 \
        else "%d environments in both" % len(envs)
    lines.append("compared: %d cell%s that ran in both (%s)" % (*_plural(diff.compared), both))
    if diff.cells_not_compared:
        lines.append("not compared: %s" % _not_compared(diff))
    for side in ("OLD", "NEW"):
        cases = [c for c, s in diff.cases_not_run.items() if s == side]
        if cases:
            lines.append("not compared: case%s only in %s's catalog, not run in %s: %s" % (
                "s" if len(cases) != 1 else "", side, side, ", ".join(cases)))
    lines.append("summary: %d added, %d deleted, %d changed, %d unchanged cells%s; "
                 "%d/%d cases added/removed" % (
                     len(diff.cells_added), len(diff.cells_removed), len(diff.cells_changed),
                     diff.cells_unchanged, ", %d differ where the case's code changed (K)" %
                     len(diff.cells_case_changed) if diff.cells_case_changed else "",
                     len(diff.cases_added), len(diff.cases_removed)))
    lines += ["A case %s" % name for name in diff.cases_added]
    lines += ["D case %s" % name for name in diff.cases_removed]
    new_cases, old_cases = set(diff.cases_added), set(diff.cases_removed)
    lines += ["A cell %s %s [%s]" % key for key in diff.cells_added if key[0] not in new_cases]
    lines += ["D cell %s %s [%s]" % key for key in diff.cells_removed if key[0] not in old_cases]
    for case, why in diff.cases_code_changed.items():
        lines.append("K case %s: %s" % (case, why))
    for c in diff.cells_case_changed:
        lines.append("K cell %s %s [%s]: %s (case changed: not compared)" % (
            c.case, c.environment, c.method, _change(c)))
    for c in diff.cells_changed:
        lines.append("C cell %s %s [%s]: %s" % (c.case, c.environment, c.method, _change(c)))
    if diff.unknown_code:
        lines.append("note: %d changed cell%s ran at different commits (old %s; new %s) whose "
                     "results files record no case code digest (results format before 1.4): "
                     "a change there may be the case's own" % (
                         diff.unknown_code, "s" if diff.unknown_code != 1 else "",
                         _short(diff.commits_old), _short(diff.commits_new)))
    if diff.empty:
        lines.append("no differences in the %d compared cell%s" % _plural(diff.compared))
    return "\n".join(lines)


def _plural(n: int) -> Tuple[int, str]:
    return n, "" if n == 1 else "s"


def _not_compared(diff: MatrixDiff) -> str:
    """Cells that ran in one only, by why: "334 cells not run in NEW: -k x", "3764 cells (3430 in
    environments only in OLD (linux-cpython-3.10, …); 334 not run in NEW: -k x)"."""
    counts: Dict[str, int] = {}
    for *_key, why in diff.cells_not_compared:
        counts[why] = counts.get(why, 0) + 1
    parts = []
    for why, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if why.startswith("environment only in "):
            side = why.rsplit(" ", 1)[1]
            envs = diff.environments_removed if side == "OLD" else diff.environments_added
            parts.append("%d in environment%s only in %s (%s)" % (
                n, "s" if len(envs) != 1 else "", side, ", ".join(envs)))
        else:
            parts.append("%d %s" % (n, why))
    total = "%d cell%s" % _plural(len(diff.cells_not_compared))
    if len(parts) == 1:
        return "%s %s" % (total, parts[0].split(" ", 1)[1])
    return "%s (%s)" % (total, "; ".join(parts))


def _side(outcome: Optional[str], error_type: Optional[str], hung_at: str) -> str:
    if outcome == ERROR:
        return "error %s" % (error_type or "?")
    return str(outcome) + (HANG_QUOTE + hung_at if hung_at else "")


def _warned(kinds: Sequence[str]) -> str:
    return " + %s" % ", ".join(kinds) if kinds else ""


def _change(c: CellChange) -> str:
    """``ok 1 -> ok 2``, ``error AttributeError -> error PicklingError``, ``ok 1 -> ok 1 +
    DeprecationWarning`` (the page's form); two objects as only their keys that differ (the
    cell panel's rule): ``ok, keys that differ: lambda: AttributeError -> PicklingError``."""
    warned = c.old_warnings != c.new_warnings
    if c.old_outcome == c.new_outcome == OK:
        keys = "" if warned else key_changes(c.old_observed, c.new_observed, "->",
                                             noise_aware_equal, svg.brief)
        if keys:
            return "ok, keys that differ: %s" % keys
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


def _short(commits: Sequence[str]) -> str:
    return ", ".join(case_code.short_commit(c) for c in commits) or "unknown"
