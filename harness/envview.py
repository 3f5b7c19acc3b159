"""The report's columns: one :class:`EnvView` per environment of a ``matrix.json`` (its label,
its runs, the change points at its version, whether it behaves as the version before it).

Pure functions of the matrix dict, no I/O; ``harness.model`` orders the columns into OS groups.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Tuple

from harness import changetext, history, merge
from harness.casetext import safe_url
from harness.documents import MatrixDoc, MatrixEnvironment
from harness.guest import words
from harness.guest.words import OS_NAMES
from harness.results import column_labels, version_label

__all__ = ["EnvView", "RunView", "env_views"]


@dataclasses.dataclass(frozen=True)
class RunView:
    file: str
    commit: str
    timestamp: str
    runner: str
    url: Optional[str]


@dataclasses.dataclass(frozen=True)
class EnvView:
    id: str
    index: int
    os: str
    os_name: str
    series: str
    label: str
    python: str
    available: Tuple[str, ...]
    default: str
    executor_default: str
    newest: bool  # the newest version of its series (for "collapse versions")
    #: Every cell behaves as in the previous version of its series, with the same status: the
    #: "fold versions that behave the same" box may join the two columns.
    same_as_previous: bool
    no_data: bool  # an expected column (a CI leg) that produced no results file
    notes: Tuple[str, ...]  # change points at this version ("since 3.14: default forkserver")
    runs: Tuple[RunView, ...]



def _behaviour_by_env(matrix: MatrixDoc) -> Dict[str, Dict[Tuple[str, str], Tuple[Any, ...]]]:
    """Per environment, each cell's status and behaviour signature (as change points compare)."""
    perf = merge.performance_cases(matrix)
    out: Dict[str, Dict[Tuple[str, str], Tuple[Any, ...]]] = {}
    for cell in matrix["results"]:
        perf_case = cell["case"] in perf
        if cell.get("status") == words.FLAKY:  # what each run did, in any order
            what: Tuple[Any, ...] = tuple(sorted(repr(merge.signature(o, perf_case))
                                                 for o in cell.get("observations") or ()))
        elif cell.get("outcome") is None:
            what = ()
        else:
            what = merge.signature(cell, perf_case)
        out.setdefault(cell["environment"], {})[(cell["case"], cell["method"])] = (
            cell.get("status"), *what)
    return out


def env_views(matrix: MatrixDoc) -> List[EnvView]:
    """One view per environment, in the matrix's order."""
    notes: Dict[Tuple[str, str], List[str]] = {}
    for ch in history.method_changes(matrix):
        notes.setdefault((ch.series, ch.since), []).append(
            "since %s: %s %s (was %s)" % (changetext.since_text(ch.since, ch.before_version),
                                          ch.what, ch.after, ch.before))
    newest: Dict[str, str] = {}
    for env in matrix["environments"]:
        newest[history.series_key(env)] = env["id"]  # environments come sorted by version
    labels = column_labels(matrix["environments"])
    behaviour = _behaviour_by_env(matrix)
    last_of: Dict[str, MatrixEnvironment] = {}  # the previous version of each series
    out: List[EnvView] = []
    for i, env in enumerate(matrix["environments"]):
        series = history.series_key(env)
        previous = last_of.get(series)
        last_of[series] = env
        minor = version_label(env)
        runs = tuple(RunView(str(r.get("file", "")).replace("\\", "/").rsplit("/", 1)[-1],
                             str(r.get("git_commit") or "unknown"),
                             str(r.get("timestamp") or "?"), str(r.get("runner") or "?"),
                             safe_url(r.get("run_url"))) for r in env.get("runs", []))
        out.append(EnvView(
            id=env["id"], index=i, os=str(env.get("os")),
            os_name=OS_NAMES.get(str(env.get("os")), str(env.get("os"))), series=series,
            label=labels[env["id"]],
            python=str(env.get("python_version")),
            available=tuple(env.get("available_methods") or ()),
            default="not run: no results" if env.get("not_run") else str(
                env.get("default_method")),
            executor_default="not run" if env.get("not_run") else str(
                env.get("executor_default_method")),
            newest=newest[series] == env["id"], notes=tuple(notes.get((series, minor), [])),
            no_data=bool(env.get("not_run")),
            same_as_previous=previous is not None and behaviour.get(
                previous["id"], {}) == behaviour.get(env["id"], {}),
            runs=runs))
    return out
