"""``python -m harness diff OLD NEW``: what changed between two matrices (or result folders).

Pure comparison of two matrix documents, grouped like wpt.fyi's diff: **A**dded, **D**eleted,
**C**hanged, **U**nchanged. A cell changed where two runs of it would disagree
(``merge.disagree``: outcome, error type, warning kinds, value, where a hang hung); a
performance case's numbers (``median``/``iqr`` summaries) count as changed only beyond their
spread (``noise``). A cell whose case's own code changed between the two runs
(``case_code``) is not an observation change: it is listed apart, as **K** (case changed).
Only cells that ran in both are compared: one that ran on one side only (the other's selection,
``--quick``, no data, ``unavailable`` there, an environment only one side has) is counted as not
compared, with why.
Two sides that hold one environment each (3.12's run, 3.13's) are compared with each other.
Cells are compared method by method (fork with fork); where the two sides' default start
methods differ, each case's default-method cells are compared too (``diffdefault``). A cell's
words, and one line for the methods that changed alike, are ``diffcell``'s. What each side
reads (a matrix.json, results files, a reports folder) is ``inputs``'s.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from harness import case_code, diffdefault, notrun
from harness.causes import harness_reason, is_harness_error, is_harness_reason
from harness.diffcell import CellChange, by_methods, change_of, same
from harness.documents import (
    CellKey,
    MatrixCell,
    MatrixDoc,
    MatrixEnvironment,
    cells_by_key,
)
from harness.guest.words import NOT_RUN, UNAVAILABLE
from harness.merge import performance_cases
from harness.picks import breaks_of, labels_of

__all__ = ["JSON_VERSION", "CellChange", "MatrixDiff", "diff_matrices", "format_diff",
           "nothing_compared"]

Key = CellKey
#: The version of ``--json``'s document: 1.1 added ``default_methods``,
#: ``cells_changed_under_default`` (and its counts), ``environments_where`` and each change's
#: ``old_method``; the document before had no version.
JSON_VERSION = "1.1"


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
    #: Per environment compared (NEW's id): the release and system each side ran on, [OLD's,
    #: NEW's] ("3.14.10, the Debian root"; "" when the environment records no version).
    environments_where: Dict[str, List[str]] = dataclasses.field(default_factory=dict)
    #: Per environment compared: the start methods it compared method by method.
    methods_compared: Dict[str, List[str]] = dataclasses.field(default_factory=dict)
    #: Per environment compared: each side's default start method and ProcessPoolExecutor's,
    #: ``{"old": "fork", "new": "forkserver", "old_executor": …, "new_executor": …}``.
    default_methods: Dict[str, Dict[str, Optional[str]]] = dataclasses.field(
        default_factory=dict)
    #: Where the two defaults differ, each case's OLD default-method cell against NEW's: those
    #: that differ (``old_method`` is OLD's; ``case_code`` CHANGED: the case's code changed).
    cells_changed_under_default: List[CellChange] = dataclasses.field(default_factory=list)
    cases_unchanged_under_default: int = 0
    #: Cases that ran under one side's default method only: not compared so.
    cases_not_compared_under_default: int = 0
    #: Cases whose cell under a side's default the harness could not run (NEW's when both):
    #: ``cells_not_compared``'s form, not counted above.
    cells_not_compared_under_default: List[Tuple[str, str, str, str]] = dataclasses.field(
        default_factory=list)
    #: Each case's words for the keys of its value (NEW's catalog, else OLD's: results format
    #: 1.7): the text's change lines say them; ``--json`` keeps the raw keys, without them.
    labels: Dict[str, Dict[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing compared differs (environments one side lacks are scope: not compared)."""
        return not (self.cases_added or self.cases_removed or self.cells_added
                    or self.cells_removed or self.cells_changed or self.cells_case_changed
                    or self.cells_changed_under_default)

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
        data["cells_not_compared_under_default"] = [
            list(k) for k in self.cells_not_compared_under_default]
        del data["labels"]  # words, not data: the results files' catalog holds them
        data["nothing_compared"] = self.nothing_compared
        data["schema_version"] = JSON_VERSION
        return data



def _ran(cell: Optional[MatrixCell]) -> bool:
    """A cell with a result of its case: not one the harness failed to run (a matrix.json built
    before the merge read those as not run holds them as errors), nor an ``unavailable`` one
    (the method, or what the case needs, does not exist there: it did not run, as verify-leg
    counts it)."""
    return cell is not None and cell.get("status") != NOT_RUN and \
        cell.get("outcome") not in (None, UNAVAILABLE) and not is_harness_error(cell)


def _why(cell: MatrixCell) -> str:
    if cell.get("outcome") == UNAVAILABLE:  # "unavailable (fork is not a start method on win32)"
        return "%s (%s)" % (UNAVAILABLE, cell["detail"]) if cell.get("detail") else UNAVAILABLE
    why = harness_reason(cell) if is_harness_error(cell) else notrun.reason(cell)
    return notrun.QUICK_SAID if why == notrun.QUICK else why


def _not_run_in(side: str, cell: MatrixCell) -> str:
    return "not run in %s: %s" % (side, _why(cell))


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
    if not paired:  # one environment on both sides: a cell that ran and is now unavailable
        for key in set(old_cells) ^ set(new_cells):  # (or back) changed there (review r22 F4)
            for cells, every in ((old_cells, old_all), (new_cells, new_all)):
                cell = every.get(key)
                if key not in cells and cell is not None and cell.get("outcome") == UNAVAILABLE:
                    cells[key] = cell
    not_compared: List[Tuple[str, str, str, str]] = []
    for key in sorted(set(old_cells) ^ set(new_cells)):
        side, other, other_all, envs = ("OLD", "NEW", new_all, new_envs) \
            if key in old_cells else ("NEW", "OLD", old_all, old_envs)
        if key[1] not in envs:
            not_compared.append((*key, "environment only in %s" % side))
        elif key in other_all:
            not_compared.append((*key, _not_run_in(other, other_all[key])))
    back = {new_id: old_id for old_id, new_id in renamed.items()}
    old_columns = {e["id"]: e for e in old.get("environments", [])}
    new_columns = {e["id"]: e for e in new.get("environments", [])}
    performance = performance_cases(old) | performance_cases(new)
    changed: List[CellChange] = []
    case_changed: List[CellChange] = []
    code_changed: Dict[str, str] = {}
    unchanged = 0

    def compare(key: Key, a: MatrixCell, b: MatrixCell,
                old_method: Optional[str]) -> Optional[CellChange]:
        sides = (case_code.side(old_columns.get(back.get(key[1], key[1]), _NO_COLUMN), a),
                 case_code.side(new_columns.get(key[1], _NO_COLUMN), b))
        code = case_code.relation(*sides)
        if code == case_code.CHANGED:
            code_changed.setdefault(key[0], case_code.changed_text(*sides))
        return None if same(a, b, key[0] in performance) else change_of(key, a, b, code,
                                                                         old_method)

    both = sorted(set(old_cells) & set(new_cells))
    for key in both:
        change = compare(key, old_cells[key], new_cells[key], None)
        if change is None:
            unchanged += 1
        else:
            (case_changed if change.case_code == case_code.CHANGED else changed).append(change)
    compared = sorted(old_envs & new_envs)
    columns = {env: (old_columns.get(back.get(env, env), _NO_COLUMN), new_columns[env])
               for env in compared}
    defaults = {env: diffdefault.defaults(*sides) for env, sides in columns.items()}
    # a cell the harness could not run (the merge holds it as not run, an older matrix as an
    # error): not "run under one side's default only", it says why
    failed = {(side, key): _not_run_in(side, cell)
              for side, cells in (("OLD", old_all), ("NEW", new_all))
              for key, cell in cells.items() if not _ran(cell) and is_harness_reason(_why(cell))}
    # each case's methods where its value is the program failing: NEW's catalog's word
    breaks = {c: m for c, m in breaks_of(old).items() if c not in new_cases}
    by_default = diffdefault.under_defaults(old_cells, new_cells, defaults, compare,
                                            {**breaks, **breaks_of(new)}, failed)
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
        environments_compared=compared,
        environments_paired=paired,
        environments_where={env: [diffdefault.where(side) for side in sides]
                             for env, sides in columns.items()},
        methods_compared={env: sorted({k[2] for k in both if k[1] == env}) for env in compared},
        default_methods=defaults,
        cells_changed_under_default=by_default.changes,
        cases_unchanged_under_default=by_default.alike,
        cases_not_compared_under_default=by_default.apart,
        cells_not_compared_under_default=by_default.not_run,
        cases_not_run=dict(sorted([(c, "NEW") for c in new_cases - old_cases - ran_new]
                                  + [(c, "OLD") for c in old_cases - new_cases - ran_old])),
        cells_changed=changed,
        cells_unchanged=unchanged,
        cells_case_changed=case_changed,
        cases_code_changed=dict(sorted(code_changed.items())),
        commits_old=list(old.get("commits", [])),
        commits_new=list(new.get("commits", [])),
        labels={**labels_of(old), **labels_of(new)},
    )


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
    lines += diffdefault.default_lines(diff.default_methods)
    pairs = {new_id: "%s -> %s" % (old_id, new_id)
             for old_id, new_id in diff.environments_paired.items()}
    for old_id, new_id in diff.environments_paired.items():
        old_at, new_at = ("%s (%s)" % (env, where) if where else env for env, where in zip(
            (old_id, new_id), diff.environments_where.get(new_id, ["", ""])))
        lines.append("comparing %s -> %s: each side holds one environment" % (old_at, new_at))
    envs = diff.environments_compared
    both = "; ".join(pairs.get(e) or diffdefault.at(e, diff.environments_where.get(e, []))
                     for e in envs) if len(envs) <= 3 else "%d environments in both" % len(envs)
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
    lines += diffdefault.section(diff.default_methods, diff.cells_changed_under_default,
                                 diff.cases_unchanged_under_default,
                                 diff.cases_not_compared_under_default,
                                 diff.cells_not_compared_under_default, diff.labels)
    for c, methods, said in by_methods(diff.cells_case_changed, _methods(diff), diff.labels):
        lines.append("K cell %s %s [%s]: %s (case changed: not compared)" % (
            c.case, c.environment, methods, said))
    for c, methods, said in by_methods(diff.cells_changed, _methods(diff), diff.labels):
        lines.append("C cell %s %s [%s]: %s" % (c.case, c.environment, methods, said))
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


def _methods(diff: MatrixDiff) -> Dict[str, Set[str]]:
    return {env: set(methods) for env, methods in diff.methods_compared.items()}


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


def _short(commits: Sequence[str]) -> str:
    return ", ".join(case_code.short_commit(c) for c in commits) or "unknown"
