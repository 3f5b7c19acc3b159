"""Merge loaded results files into the ``matrix.json`` document.

``merge`` is a pure function from the files ``harness.loading`` read and validated (a bad file
is a ``Rejected`` line there and never stops the rest) to the matrix.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple, cast

from harness import case_code, results
from harness.causes import read as read_cause
from harness.documents import (
    CaseEntry,
    MatrixCell,
    MatrixDoc,
    MatrixEnvironment,
    Observation,
    RunRecord,
    error_field,
)
from harness.expect import version_key
from harness.guest import words
from harness.guest.words import PERFORMANCE, START_METHODS
from harness.loading import Loaded, Rejected, run_record, run_time, shown_paths
from harness.notrun import RunGaps, why_missing
from harness.results import hang_said
from harness.text import value_key

__all__ = [
    "cell_status",
    "disagree",
    "env_sort_key",
    "merge",
    "minor_level",
    "performance_cases",
    "signature",
    "warning_kinds",
]

# The merged ``matrix.json`` format's versions, and what to do on a change:
# schema/matrix-formats.md.


def cell_status(cell: Mapping[str, Any]) -> str:
    """The one status word a reader sees for a merged cell."""
    if cell.get("flaky"):
        return words.FLAKY
    outcome = cell.get("outcome")
    if outcome is None:
        return words.NOT_RUN
    if outcome == words.UNAVAILABLE:
        return words.UNAVAILABLE
    if cell.get("verdict") == words.UNEXPECTED:
        return words.UNEXPECTED
    if outcome in (words.TIMEOUT, words.CRASH) and cell.get("verdict") != words.AS_EXPECTED:
        return str(outcome)
    return str(cell.get("verdict") or words.NO_EXPECTATION)


def _not_selected(left: Any) -> Dict[str, str]:
    """``case[method]`` -> "not selected: -k …" for the cells a run's selection left out (the
    list stays out of matrix.json: the cells' own detail says it)."""
    if not isinstance(left, dict) or not isinstance(left.get("cells"), list):
        return {}
    why = "not selected: %s" % left.get("by")
    return {str(name): why for name in left["cells"]}


def performance_cases(matrix: Mapping[str, Any]) -> Set[str]:
    """The ids of a matrix's performance cases (their cells are compared by outcome only)."""
    return {c["id"] for c in matrix["cases"] if c.get("category") == PERFORMANCE}


def signature(cell: Mapping[str, Any], performance: bool = False) -> Tuple[Any, ...]:
    """What two cells must share to behave the same, the one definition (two runs of a cell,
    two versions, two platforms, two methods): the outcome, the error type, the kinds of warning
    the run emitted and, except for performance cells (their numbers always differ between
    runs), the observed value.
    """
    same = (cell.get("outcome"), error_field(cell, "type"), warning_kinds(cell))
    return same if performance else (*same, value_key(cell.get("observed")))


def warning_kinds(cell: Mapping[str, Any]) -> Tuple[str, ...]:
    """The categories of the warnings a cell's run emitted, sorted (``DeprecationWarning``)."""
    return tuple(sorted({str(w.get("category")) for w in cell.get("warnings") or []}))


def _case(case: CaseEntry) -> CaseEntry:
    """A catalog entry with list/text fields of the right type (the schema requires only the
    id, category, title and source)."""
    clean: Dict[str, Any] = dict(case)
    for key in ("sources", "claims", "covers"):
        value = clean.get(key)
        clean[key] = [v for v in value if isinstance(v, (str, int))] if isinstance(
            value, list) else []
    for key in ("doc", "code"):
        clean[key] = clean[key] if isinstance(clean.get(key), str) else ""
    breaks = clean.pop("breaks", None)
    if isinstance(breaks, list) and breaks:
        clean["breaks"] = [m for m in breaks if isinstance(m, str)]
    labels = clean.pop("labels", None)
    if isinstance(labels, dict) and labels:
        clean["labels"] = {str(k): v for k, v in labels.items() if isinstance(v, str)}
    clean.pop("methods", None)  # the matrix says it in case_methods
    clean.pop("code_digest", None)  # each file's own, in runs[].case_digests (the first's is no
    # more the case's than any other's)
    if not isinstance(clean.get("expect"), list):
        clean["expect"] = []
    return cast("CaseEntry", clean)


def minor_level(ident: str) -> str:
    """An environment id at its minor version: linux-cpython-3.11.9 -> linux-cpython-3.11 (the
    t and an -arch suffix kept)."""
    parts = results.parse_env_id(ident)
    minor = ".".join(parts.version.split(".")[:2]) if parts else ""
    return parts._replace(version=minor).ident if parts else ident


def not_run_environment(ident: str) -> MatrixEnvironment:
    """A column for an environment that was expected but produced no results file.

    Only what the id itself says is filled in (``linux-cpython-3.14t``, ``macos-...-x86_64``);
    methods and defaults are unknown (null), and ``runs`` is empty.
    """
    parts = results.parse_env_id(ident) or results.EnvParts(ident, "", "", False, "")
    return {"id": ident, "minor_id": ident, "version_label": parts.version,
            "os": parts.os, "implementation": parts.implementation,
            "python_version": parts.version, "free_threading": parts.free_threading,
            "arch": parts.arch or None, "available_methods": [],
            "default_method": None, "executor_default_method": None, "runs": [],
            "not_run": True}


def merge(
    loaded: Sequence[Loaded], rejected: Sequence[Rejected] = (),
    now: Optional[datetime] = None, claims: Sequence[Dict[str, Any]] = (),
    expected_environments: Sequence[str] = (), folder: Optional[str] = None,
    not_run: Sequence[Tuple[str, str]] = (),
) -> MatrixDoc:
    """Merge loaded results documents into one matrix document (pure).

    ``expected_environments`` are environment ids that should have data (a CI leg each): one
    that produced no results file still gets a column, every cell of it ``not-run``.
    ``not_run`` are (id, why) for environments the run looked for and did not run (a local
    run's interpreters not found): those with no data are kept with their reason, for their
    grid slot (no column: nothing ran).

    Two files for one environment combine: a cell seen by both keeps every observation, and
    observations that disagree (outcome, observed value or error type; outcome only for
    performance cases) make the cell ``flaky``: never silently overwritten; unless those runs
    ran different case code (``case_code``): then the cell says so in ``code_changed``.
    ``claims`` (the article's checkable claims, ``cases.claims.CLAIMS``) are copied in so the
    page is built from ``matrix.json`` alone. Files are named as ``shown_paths`` names them
    (``folder``: the report's).
    """
    shown = shown_paths([item.path for item in loaded] + [r.path for r in rejected], folder)
    # Newest run first, whatever order the files came in: where runs of a column disagree on
    # something only one can say (the column's fields, a case's entry, why a cell is missing),
    # the newest says it, and the same files always make the same matrix.
    loaded = sorted(loaded, key=lambda item: _order(
        item.harness["environment"].get("timestamp"), shown[item.path]), reverse=True)
    rejected = sorted(rejected, key=lambda r: shown[r.path])
    environments: Dict[str, MatrixEnvironment] = {}
    cases: Dict[str, CaseEntry] = {}
    declared: Dict[str, List[str]] = {}  # case -> the methods its catalog entry names (1.3)
    releases: Dict[str, Set[str]] = {}  # minor-level id -> the patch releases seen under it
    for item in loaded:
        env_seen = item.harness["environment"]
        releases.setdefault(results.env_id(env_seen), set()).add(
            str(env_seen.get("python_version")))
    # Every run of a cell, newest first: (category, observation).
    fed: Dict[Tuple[str, str, str], List[Tuple[Optional[str], Observation]]] = {}
    runs_of: Dict[str, RunRecord] = {}  # each file's run (its code digests), by its path
    gaps: Dict[str, List[RunGaps]] = {}  # id -> what each of its runs left out, and why
    # case -> (when, commit) of each run whose catalog had it
    held: Dict[str, List[Tuple[Optional[str], Optional[str]]]] = {}
    for item in loaded:
        harness = item.harness
        env = cast("MatrixEnvironment", dict(harness["environment"]))
        left = _not_selected(env.pop("not_selected", None))
        stopped = env.pop("interrupted", None) is True
        cause = read_cause(env.pop("partial_cause", None))  # cut: the report repeats it
        minor_id = results.env_id(env)
        split = len(releases[minor_id]) > 1  # patch releases apart only when several are here
        ident = results.env_id(env, patch=True) if split else minor_id
        run = run_record(shown[item.path], env, harness["cases"])
        runs_of[item.path] = run
        if stopped and cause:
            run["partial_cause"] = cause
        if ident in environments:
            environments[ident]["runs"].append(run)
        else:
            env["id"], env["minor_id"], env["runs"] = ident, minor_id, [run]
            env["version_label"] = str(env.get("python_version")) if split else \
                results.minor_version(env)
            environments[ident] = env
        when = run_time(run.get("timestamp"))
        catalog = frozenset(str(case["id"]) for case in harness["cases"]) or None
        gaps.setdefault(ident, []).append(
            RunGaps(left, env.get("left_out") or {}, stopped, catalog, when, run["git_commit"],
                    item.failed))
        for case in harness["cases"]:
            held.setdefault(case["id"], []).append((when, run["git_commit"]))
            if case["id"] not in cases:
                cases[case["id"]] = _case(case)
                if isinstance(case.get("methods"), list) and case.get("methods"):
                    declared[case["id"]] = list(case["methods"])
        for case_id, method, category, observation in item.cells:
            key = (case_id, ident, method)
            runs_fed = fed.get(key)
            if runs_fed is None:
                fed[key] = [(category, observation)]
            else:
                runs_fed.append((category, observation))
    for column in environments.values():
        column["runs"].sort(key=_run_order)
    case_methods: Dict[str, List[str]] = {}
    for case_id, _ident, method in fed:
        known = case_methods.setdefault(case_id, [])
        if method not in known:
            known.append(method)
    # The methods a selection left out (-k 'fork', --methods spawn) are the case's too: their
    # cells read "not run (not selected: …)" instead of leaving the matrix, and a case no run
    # ran gets the cells its selection named, not all three; so are the harness's failures'.
    for runs in gaps.values():
        for name in (name for run in runs for name in (*run.not_selected, *run.failed)):
            case_id, _, method = name.rstrip("]").partition("[")
            known = case_methods.setdefault(case_id, []) if case_id in cases else []
            if method in START_METHODS and method not in known:
                known.append(method)
    # Every method a case's catalog entry names (1.3) is a cell of it, run or not: a case no
    # run ran, and one whose selection named some cells while --quick dropped the rest.
    for case_id, methods in declared.items():
        known = case_methods.setdefault(case_id, [])
        known += [m for m in methods if m in START_METHODS and m not in known]
    for known in case_methods.values():
        known.sort(key=_method_index)
    results_list = [_cell(key, runs_fed, shown, runs_of) for key, runs_fed in fed.items()]
    present = set(environments) | {e.get("minor_id") for e in environments.values()}
    for ident in expected_environments:  # a leg's minor-level id is met by any of its releases
        if ident not in present:
            environments[ident] = not_run_environment(ident)
    unrun: Dict[str, str] = {}
    for ident, reason in not_run:  # a release of a version that has data: that data is shown
        if ident not in present and minor_level(ident) not in present:
            unrun.setdefault(ident, reason)
    # A case with no data for an environment is listed as not run there: never a pass.
    for case_id in sorted(cases):
        for ident in environments:
            for method in case_methods.get(case_id, START_METHODS):
                if (case_id, ident, method) not in fed:
                    category = cases[case_id].get("category", case_id.split(".")[0])
                    why = why_missing(gaps.get(ident, ()), results.cell_name(case_id, method),
                                      category, held.get(case_id, ()))
                    results_list.append({
                        "case": case_id, "environment": ident, "method": method,
                        "category": category,
                        "outcome": None, "observed": None, "expected": None, "verdict": None,
                        "duration_s": None, "wall_s": None, "warnings": [], "error": None,
                        "detail": "not run (%s)" % why if why else None, "flaky": False,
                        "sources": [], "status": words.NOT_RUN})
    env_order = {k: i for i, k in enumerate(sorted(environments, key=env_sort_key))}
    results_list.sort(key=lambda c: (c["case"], env_order.get(c["environment"], 0),
                                     _method_index(c["method"])))
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    commits = sorted({str(r["git_commit"]) for e in environments.values() for r in e["runs"]
                      if r["git_commit"]})
    doc: MatrixDoc = {
        "schema_version": results.written_version(results.MATRIX_SCHEMA),
        "generated_at": stamp,
        "commits": commits,
        "environments": [environments[k] for k in sorted(environments, key=env_sort_key)],
        "cases": [cases[k] for k in sorted(cases)],
        "case_methods": {k: case_methods[k] for k in sorted(case_methods)},
        "results": results_list,
        "claims": [dict(c) for c in claims],
        "rejected_files": [{"path": shown[r.path], "problem": r.problem} for r in rejected],
    }
    if unrun:
        doc["not_run_environments"] = [{"id": k, "reason": unrun[k]}
                                       for k in sorted(unrun, key=env_sort_key)]
    return doc


def disagree(a: Mapping[str, Any], b: Mapping[str, Any], perf: bool) -> bool:
    """Two runs of one cell (and a cell of two matrices: ``harness diff``) differ in their
    ``signature`` or, both hangs that said where, in where they hung (at a held lock vs
    elsewhere: two behaviours, which a claim's ``hang_at`` tells apart). A hang that quotes
    nothing (an older harness, a case that wrote nothing) is not counted against one that
    does: a pairwise rule, which is why it is not part of the signature (history groups cells
    by it)."""
    if signature(a, perf) != signature(b, perf):
        return True
    said = [hang_said(str(c.get("detail") or "")) for c in (a, b)
            if c.get("outcome") == words.TIMEOUT]
    return len(said) == 2 and all(said) and said[0] != said[1]


def _run_order(run: RunRecord) -> Tuple[str, str]:
    """Oldest run first (``_order``)."""
    return _order(run.get("timestamp"), str(run["file"]))


def _order(stamp: Any, shown_name: str) -> Tuple[str, str]:
    """A run's place among runs, oldest first: by when it ran (in UTC; no time or a bad one:
    oldest), then by the file's shown name. Not by commit: without the repository two hashes
    have no order."""
    return run_time(stamp) or "", shown_name


def _runs_differ(case: str, observations: Sequence[Observation], perf: bool,
                 runs_of: Mapping[str, RunRecord]) -> Tuple[bool, str]:
    """(flaky, why not compared) for a cell's runs, taken in pairs: two that disagree are
    flakiness when they ran the same case code (or nothing says otherwise), else
    ``case_code.changed_text``: a change of the case, not of its behaviour."""
    flaky, changed = False, ""
    for a, b in itertools.combinations(observations, 2):
        if not disagree(a, b, perf):
            continue
        sides = [case_code.side({"runs": [runs_of[o["source_file"]]]}, {"case": case})
                 for o in (a, b)]
        if case_code.relation(*sides) == case_code.CHANGED:
            changed = changed or case_code.changed_text(*sides)
        else:
            flaky = True
    return flaky, changed


def _cell(key: Tuple[str, str, str], runs_fed: List[Tuple[Optional[str], Observation]],
          shown: Mapping[str, str], runs_of: Mapping[str, RunRecord]) -> MatrixCell:
    """One merged cell from every run of it: the newest run's observation (``_run_order``:
    the order the files were fed says nothing), and every run's, oldest first, when they
    disagree (``flaky``: outcome, observed value or error type, where a hang hung; outcome
    only for performance cases; ``code_changed`` instead when the runs that disagree ran
    different case code)."""
    runs_fed = sorted(runs_fed, key=lambda fed: _run_order(runs_of[fed[1]["source_file"]]))
    category, first = runs_fed[-1]
    cell: Dict[str, Any] = dict(first)
    del cell["source_file"], cell["git_commit"], cell["runner"]
    category = cell["category"] = category or key[0].split(".", 1)[0]
    flaky, changed = False, ""
    if len(runs_fed) > 1:
        flaky, changed = _runs_differ(key[0], [o for _c, o in runs_fed],
                                      category == PERFORMANCE, runs_of)
    cell["case"], cell["environment"], cell["method"] = key
    if len(runs_fed) == 1:
        cell["sources"] = [shown[first["source_file"]]]
    else:
        cell["sources"] = sorted({shown[o["source_file"]] for _c, o in runs_fed})
        cell["runs"] = len(runs_fed)
    cell["flaky"] = flaky
    if changed and not flaky:
        cell["code_changed"] = changed
    if flaky or changed:
        cell["observations"] = [cast("Observation", dict(o, source_file=shown[o["source_file"]]))
                                for _c, o in runs_fed]
    cell["status"] = cell_status(cell)
    return cast("MatrixCell", cell)


def _method_index(method: str) -> int:
    return START_METHODS.index(method) if method in START_METHODS else len(START_METHODS)


def env_sort_key(ident: str) -> Tuple[Any, ...]:
    """Order environments by OS, CPython before PyPy, then each series (regular builds, then
    free-threaded, then the Intel macOS leg) by version (3.9 before 3.10, 3.13.8 before
    3.13.18, 3.15.0a5 before 3.15.0): a series' versions are side by side, as the target grid
    lists them, so walking and folding versions compare neighbours."""
    parts = results.parse_env_id(ident) or results.EnvParts(ident, "", "", False, "")
    key = version_key(parts.version)
    return (parts.os, parts.implementation != words.CPYTHON, parts.implementation,
            bool(parts.arch), parts.free_threading, parts.arch, key[0][:2], key, ident)
