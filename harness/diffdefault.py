"""``harness diff`` across each side's default start method (review r16 #5, #8): what each
side's environment records (its default start method and ProcessPoolExecutor's, its release and
where it ran), each case's OLD default-method cell against NEW's where the defaults differ (code
that never names a method moved from one to the other: 3.12's fork, 3.14's forkserver), and the
lines that say it. Pure; ``diff`` calls it.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from harness import case_code
from harness.diffcell import CellChange, change_words
from harness.documents import CellKey, MatrixCell, MatrixEnvironment
from harness.history import system_name
from harness.results import interpreter_label

__all__ = ["Defaults", "at", "default_lines", "defaults", "section", "switched",
           "under_defaults", "where"]

#: An environment's two defaults on each side: ``{"old": "fork", "new": "forkserver",
#: "old_executor": "fork", "new_executor": "forkserver"}`` (None: not recorded).
Defaults = Dict[str, Optional[str]]
#: ``diff``'s comparison of OLD's cell with NEW's (at NEW's key), OLD's method: None when same.
Compare = Callable[[CellKey, MatrixCell, MatrixCell, Optional[str]], Optional[CellChange]]


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
                   by_env: Mapping[str, Defaults],
                   compare: Compare) -> Tuple[List[CellChange], int, int]:
    """Where the defaults differ, each case's OLD cell under OLD's default against NEW's under
    NEW's: (those that differ, how many cases are alike, how many ran under one side's default
    only)."""
    changes: List[CellChange] = []
    alike = apart = 0
    for env, d in switched(by_env).items():
        old_method, new_method = str(d["old"]), str(d["new"])
        for case in sorted({k[0] for k in old_cells if k[1:] == (env, old_method)}
                           | {k[0] for k in new_cells if k[1:] == (env, new_method)}):
            a, b = old_cells.get((case, env, old_method)), new_cells.get((case, env, new_method))
            if a is None or b is None:
                apart += 1
                continue
            change = compare((case, env, new_method), a, b, old_method)
            if change is None:
                alike += 1
            else:
                changes.append(change)
    return changes, alike, apart


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
            apart: int) -> List[str]:
    """Where the defaults differ: "under each side's default method (fork -> forkserver): 63 of
    109 cases differ: 12 ok -> error, …", each such case's line in that order (``C default``;
    ``K default``, last, when the case's code changed), then the method-by-method heading."""
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
    lines = [head]
    rank = {kind: i for i, kind in enumerate(order)}
    for c in sorted(changes, key=lambda c: (rank.get(_kind(c), len(rank)), c.case)):
        case_changed = c.case_code == case_code.CHANGED
        lines.append("%s default %s %s [%s -> %s]: %s%s" % (
            "K" if case_changed else "C", c.case, c.environment, c.old_method, c.method,
            change_words(c), " (case changed: not compared)" if case_changed else ""))
    return lines + ["method by method (each method's cell with the same method's):"]


def _kind(c: CellChange) -> Tuple[bool, str]:
    """(same outcome, "ok -> error"): what a change under the defaults is counted as."""
    return c.old_outcome == c.new_outcome, "%s -> %s" % (c.old_outcome, c.new_outcome)
