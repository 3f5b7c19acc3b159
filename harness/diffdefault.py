"""``harness diff`` across each side's default start method (review r16 #5, #8): what each
side's environment records (its default start method and ProcessPoolExecutor's, its release and
where it ran), each case's OLD default-method cell against NEW's where the defaults differ (code
that never names a method moved from one to the other: 3.12's fork, 3.14's forkserver), and the
lines that say it. Pure; ``diff`` calls it.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from harness import case_code, picks
from harness.diffcell import CellChange, Labels, change_words
from harness.documents import CellKey, MatrixCell, MatrixEnvironment
from harness.history import system_name
from harness.results import interpreter_label

__all__ = ["Compared", "Defaults", "at", "default_lines", "defaults", "section", "switched",
           "under_defaults", "where"]

#: An environment's two defaults on each side: ``{"old": "fork", "new": "forkserver",
#: "old_executor": "fork", "new_executor": "forkserver"}`` (None: not recorded).
Defaults = Dict[str, Optional[str]]
#: ``diff``'s comparison of OLD's cell with NEW's (at NEW's key), OLD's method: None when same.
Compare = Callable[[CellKey, MatrixCell, MatrixCell, Optional[str]], Optional[CellChange]]
#: A cell the harness could not run: (case, environment, method, why: the method-by-method
#: line's words, "not run in NEW: the harness could not start the interpreter").
NotRun = Tuple[str, str, str, str]


class Compared(NamedTuple):
    """Each case's OLD default-method cell against NEW's."""

    changes: List[CellChange]
    alike: int
    #: Cases that ran under one side's default only.
    apart: int
    #: Cases whose cell under a side's default the harness could not run (NEW's when both).
    not_run: List[NotRun]


def defaults(old: MatrixEnvironment, new: MatrixEnvironment) -> Defaults:
    return {"old": old.get("default_method"), "new": new.get("default_method"),
            "old_executor": old.get("executor_default_method"),
            "new_executor": new.get("executor_default_method")}


def switched(by_env: Mapping[str, Defaults]) -> Dict[str, Defaults]:
    """The environments whose default start method differs between the two sides."""
    return {env: d for env, d in by_env.items() if d["old"] and d["new"] and d["old"] != d["new"]}


def where(env: MatrixEnvironment) -> str:
    """ "3.14.10, the Debian root": the release and where it ran (``history.system_name``, the
    report's words); "" when the environment records no version."""
    if not env.get("python_version"):
        return ""
    return "%s, %s" % (interpreter_label(env.get("implementation"), env["python_version"],
                                         env.get("free_threading")), system_name(env))


def at(env: str, sides: Sequence[str]) -> str:
    """ "linux-cpython-3.12: 3.12.1, the host" ("3.12.1, the host -> 3.12.4, the host" when the
    sides differ); the id alone when neither records a version."""
    if not any(sides):
        return env
    return "%s: %s" % (env, sides[0] if sides[0] == sides[-1] else " -> ".join(sides))


def under_defaults(old_cells: Mapping[CellKey, MatrixCell], new_cells: Mapping[CellKey, MatrixCell],
                   by_env: Mapping[str, Defaults], compare: Compare,
                   breaks: Mapping[str, Sequence[str]],
                   failed: Mapping[Tuple[str, CellKey], str]) -> Compared:
    """Where the defaults differ, each case's OLD cell under OLD's default against NEW's under
    NEW's (``*_cells``: those that ran). ``breaks``: each case's methods where its value is the
    program failing (``picks.breaks_of``); ``failed``: ("OLD" or "NEW", key) -> why, for each
    cell the harness could not run."""
    changes: List[CellChange] = []
    not_run: List[NotRun] = []
    alike = apart = 0
    for env, d in switched(by_env).items():
        ends = {"OLD": (env, str(d["old"])), "NEW": (env, str(d["new"]))}
        cases = {k[0] for k in old_cells if k[1:] == ends["OLD"]} | \
            {k[0] for k in new_cells if k[1:] == ends["NEW"]} | \
            {k[0] for side, k in failed if k[1:] == ends[side]}
        for case in sorted(cases):
            old_key, new_key = (case, *ends["OLD"]), (case, *ends["NEW"])
            why = [(key, failed[(side, key)]) for side, key in (("NEW", new_key), ("OLD", old_key))
                   if (side, key) in failed]
            a, b = old_cells.get(old_key), new_cells.get(new_key)
            if why:
                not_run.append((*why[0][0], why[0][1]))
            elif a is None or b is None:
                apart += 1
            else:
                change = compare(new_key, a, b, old_key[2])
                if change is None:
                    alike += 1
                else:
                    changes.append(_failing(change, a, b, breaks.get(case, ())))
    return Compared(changes, alike, apart, not_run)


def _failing(change: CellChange, a: MatrixCell, b: MatrixCell,
             breaks: Sequence[str]) -> CellChange:
    """``change`` with the side whose value is the program failing, as the page counts it
    (``picks.broken``); none when the case's code changed (not compared)."""
    old_method = str(change.old_method)
    broke = picks.broken({old_method: a, change.method: b}, breaks)
    if not broke or change.case_code == case_code.CHANGED:
        return change
    return dataclasses.replace(change, program_failed="new" if change.method in broke else "old")


def default_lines(by_env: Mapping[str, Defaults]) -> List[str]:
    """ "default start method: fork -> forkserver; ProcessPoolExecutor's: fork -> forkserver"
    for each environment where either default differs (named when several are compared)."""
    lines = []
    for env, d in by_env.items():
        parts = ["default start method: %s -> %s" % (d["old"], d["new"])] \
            if env in switched(by_env) else []
        if d["old_executor"] and d["new_executor"] and d["old_executor"] != d["new_executor"]:
            parts.append("ProcessPoolExecutor's%s: %s -> %s" % (
                "" if parts else " default start method", d["old_executor"], d["new_executor"]))
        if parts:
            lines.append(("%s: " % env if len(by_env) > 1 else "") + "; ".join(parts))
    return lines


def section(by_env: Mapping[str, Defaults], changes: Sequence[CellChange], alike: int,
            apart: int, not_run: Sequence[NotRun], labels: Optional[Labels] = None) -> List[str]:
    """Where the defaults differ: "under each side's default method (fork -> forkserver): 63 of
    109 cases differ: 12 ok -> error, …", each such case's line in that order (``C default``;
    ``K default``, last, when the case's code changed), then the method-by-method heading.
    ``apart`` and ``not_run`` (by why) are counted as not compared."""
    moved = switched(by_env)
    if not moved:
        return []
    which = "; ".join(("%s: " % env if len(moved) > 1 else "") + "%s -> %s" % (
        d["old"], d["new"]) for env, d in moved.items())
    differ = [c for c in changes if c.case_code != case_code.CHANGED]
    kinds: Dict[Tuple[bool, str], int] = {}
    for c in differ:
        kinds[_kind(c)] = kinds.get(_kind(c), 0) + 1
    # outcome changes first (ok -> error), the largest first, then another value of the same
    order = sorted(kinds, key=lambda k: (k[0], -kinds[k], k[1]))
    n = len(differ) + alike
    head = "under each side's default method (%s): %d of %d case%s differ%s" % (
        which, len(differ), n, "" if n == 1 else "s", "s" if len(differ) == 1 else "")
    if kinds:
        head += ": " + ", ".join("%d %s" % (kinds[k], k[1]) for k in order)
    if apart:
        head += "; %d not compared (run under one side's default only)" % apart
    whys: Dict[str, int] = {}
    for *_key, why in not_run:
        whys[why] = whys.get(why, 0) + 1
    for why in sorted(whys, key=lambda w: (-whys[w], w)):
        head += "; %d not compared (%s)" % (whys[why], why)
    lines = [head]
    rank = {kind: i for i, kind in enumerate(order)}
    for c in sorted(changes, key=lambda c: (rank.get(_kind(c), len(rank)), c.case)):
        case_changed = c.case_code == case_code.CHANGED
        lines.append("%s default %s %s [%s -> %s]: %s%s%s" % (
            "K" if case_changed else "C", c.case, c.environment, c.old_method, c.method,
            change_words(c, labels), " (case changed: not compared)" if case_changed else "",
            " (the program failed under %s: the case's docs say it breaks there)" % (
                c.method if c.program_failed == "new" else c.old_method)
            if c.program_failed else ""))
    return lines + ["method by method (each method's cell with the same method's):"]


def _kind(c: CellChange) -> Tuple[bool, str]:
    """(same outcome, "ok -> error"): what a change under the defaults is counted as; a value
    that is the program failing is an outcome of its own ("ok -> ok but the program failed")."""
    old, new = (str(outcome) + (" but the program failed" if c.program_failed == side else "")
                for side, outcome in (("old", c.old_outcome), ("new", c.new_outcome)))
    return c.old_outcome == c.new_outcome and not c.program_failed, "%s -> %s" % (old, new)
