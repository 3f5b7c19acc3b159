"""The report's view model: typed dataclasses built purely from a ``matrix.json`` dict.

Everything the page and ``summary.md`` show is decided here (order, grouping, findings, change
points, claim verdicts, charts); templates only lay it out. No I/O.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Dict, List, Mapping, Optional, Tuple

from harness import claimcheck, history, svg
from harness.vocab import START_METHODS

__all__ = ["CODES", "SYMBOLS", "CaseView", "CellView", "EnvView", "Report", "build", "safe_url"]

#: Status → (short CSS code, symbol, label). Colour is never the only carrier: symbol + text.
STATUS_INFO: Dict[str, Tuple[str, str, str]] = {
    "as-expected": ("ae", "✓", "as expected"),
    "unexpected": ("ux", "✗", "unexpected (finding)"),
    "timeout": ("to", "◷", "timeout (hang)"),
    "crash": ("cr", "☠", "crash"),
    "unavailable": ("na", "–", "unavailable (N/A)"),
    "not-run": ("nr", "·", "not run (no data)"),
    "flaky": ("fl", "≈", "flaky (runs disagree)"),
    "no-expectation": ("ne", "?", "no expectation in the docs"),
}
CODES = {k: v[0] for k, v in STATUS_INFO.items()}
SYMBOLS = {k: v[1] for k, v in STATUS_INFO.items()}
OS_NAMES = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}
VERDICT_SYMBOLS = {"true": "✓ true", "false": "✗ false", "depends": "◐ depends",
                   "not-run": "· not run"}


def safe_url(url: Any) -> Optional[str]:
    """Only http(s) URLs become links (a ``javascript:`` source stays plain text)."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")) and \
            not any(ch in url for ch in "\"'<> \n\t"):
        return url
    return None


def short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True,
                                                          ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def expectation_text(rule: Optional[Mapping[str, Any]]) -> str:
    if not rule:
        return "no expectation"
    text = str(rule.get("outcome"))
    if "value" in rule:
        text += " " + short(rule["value"], 40)
    if rule.get("error_type"):
        text += " " + str(rule["error_type"])
    return text


@dataclasses.dataclass(frozen=True)
class Link:
    text: str
    url: Optional[str]


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
    notes: Tuple[str, ...]  # change points at this version ("since 3.14: default forkserver")
    runs: Tuple[RunView, ...]


@dataclasses.dataclass(frozen=True)
class CellView:
    anchor: str
    env: str
    env_index: int
    method: str
    status: str
    code: str
    symbol: str
    tip: str
    unexpected: bool


@dataclasses.dataclass(frozen=True)
class Group:
    """Cells of one case that behaved the same way."""

    status: str
    code: str
    text: str
    expected: str
    cells: Tuple[Tuple[str, str], ...]  # (anchor, "env method")
    detail: str


@dataclasses.dataclass(frozen=True)
class CaseView:
    id: str
    anchor: str
    category: str
    title: str
    doc: str
    sources: Tuple[Link, ...]
    code: str
    claims: Tuple[str, ...]
    cells: Tuple[CellView, ...]
    groups: Tuple[Group, ...]
    changes: Tuple[str, ...]
    differences: Tuple[str, ...]
    finding: bool
    search: str


@dataclasses.dataclass(frozen=True)
class Finding:
    case: CaseView
    unexpected: Tuple[Group, ...]  # the case's unexpected cells, grouped by behaviour


@dataclasses.dataclass(frozen=True)
class Report:
    schema_version: str
    generated_at: str
    commits: Tuple[str, ...]
    run_times: Tuple[str, str]
    counts: Tuple[Tuple[str, str, str, int], ...]  # (status, code, label, n)
    n_cases: int
    cells_total: int
    cells_with_data: int
    envs: Tuple[EnvView, ...]
    os_groups: Tuple[Tuple[str, str, Tuple[EnvView, ...]], ...]  # (os, name, envs)
    methods: Tuple[str, ...]
    categories: Tuple[Tuple[str, Tuple[CaseView, ...]], ...]
    findings: Tuple[Finding, ...]
    changes: Tuple[Tuple[str, Tuple[str, ...]], ...]  # (case id, change texts)
    claims: Tuple[claimcheck.ClaimResult, ...]
    charts: Tuple[svg.Chart, ...]
    rejected: Tuple[Tuple[str, str], ...]
    status_info: Tuple[Tuple[str, str, str, str], ...]  # (status, code, symbol, label)


def cell_anchor(case: str, env: str, method: str) -> str:
    return "x-%s~%s~%s" % (case, env, method)


def _env_label(env: Mapping[str, Any]) -> str:
    version = str(env.get("version_label") or ".".join(
        str(env.get("python_version", "?")).split(".")[:2]))
    version += "t" if env.get("free_threading") else ""
    impl = env.get("implementation")
    return version if impl == "cpython" else "%s %s" % ("PyPy" if impl == "pypy" else impl,
                                                         version)


def _tip(cell: Mapping[str, Any], env: str, method: str) -> str:
    status = cell.get("status", "not-run")
    parts = ["%s %s: %s" % (env, method, STATUS_INFO.get(status, ("", "", status))[2])]
    if cell.get("outcome") == "ok":
        measured = svg.brief(cell.get("observed")) if cell.get("category") == "performance" \
            else None
        parts.append("observed " + (short(measured, 160) if measured else
                                    short(cell.get("observed"))))
    elif cell.get("outcome") == "error":
        err = cell.get("error") or {}
        parts.append("error %s: %s" % (err.get("type"), short(err.get("message", ""), 50)))
    if cell.get("outcome") is not None:
        parts.append("expected " + expectation_text(cell.get("expected")))
        if isinstance(cell.get("duration_s"), (int, float)):
            parts.append("%.2f s" % cell["duration_s"])
    warnings = cell.get("warnings") or []
    if warnings:
        parts.append("warnings: " + short(", ".join(sorted({
            str(w.get("category")) for w in warnings if isinstance(w, dict)})), 60))
    if cell.get("observations"):
        parts.append("%d runs: %s" % (len(cell["observations"]), "; ".join(
            history.describe(o) for o in cell["observations"][:3])))
    return " · ".join(parts)


def _envs(matrix: Mapping[str, Any]) -> List[EnvView]:
    notes: Dict[Tuple[str, str], List[str]] = {}
    for ch in history.method_changes(matrix):
        notes.setdefault((ch.series, ch.since), []).append(
            "since %s: %s %s (was %s)" % (history.since_text(ch.since, ch.before_version),
                                          ch.what, ch.after, ch.before))
    newest: Dict[str, str] = {}
    for env in matrix["environments"]:
        newest[history.series_key(env)] = env["id"]  # environments come sorted by version
    out = []
    for i, env in enumerate(matrix["environments"]):
        series = history.series_key(env)
        minor = str(env.get("version_label") or ".".join(
            str(env.get("python_version", "?")).split(".")[:2]))
        runs = tuple(RunView(str(r.get("file", "")).replace("\\", "/").rsplit("/", 1)[-1],
                             str(r.get("git_commit") or "unknown"),
                             str(r.get("timestamp") or "?"), str(r.get("runner") or "?"),
                             safe_url(r.get("run_url"))) for r in env.get("runs", []))
        out.append(EnvView(
            id=env["id"], index=i, os=str(env.get("os")),
            os_name=OS_NAMES.get(str(env.get("os")), str(env.get("os"))), series=series,
            label=_env_label(env), python=str(env.get("python_version")),
            available=tuple(env.get("available_methods") or ()),
            default="not run: no results" if env.get("not_run") else str(
                env.get("default_method")),
            executor_default="not run" if env.get("not_run") else str(
                env.get("executor_default_method")),
            newest=newest[series] == env["id"], notes=tuple(notes.get((series, minor), [])),
            runs=runs))
    return out


def _groups(case_id: str, cells: List[Mapping[str, Any]], perf: bool) -> List[Group]:
    groups: Dict[Tuple[str, str, str], List[Mapping[str, Any]]] = {}
    for cell in cells:
        text = "not run" if cell.get("outcome") is None else history.describe(cell, perf)
        if perf and cell.get("outcome") == "ok":
            text = "ok: measured (per-cell values in the tooltips and the Performance charts)"
        key = (str(cell.get("status")), text, expectation_text(cell.get("expected"))
               if cell.get("outcome") is not None else "")
        groups.setdefault(key, []).append(cell)
    out = []
    for (status, text, expected), members in groups.items():
        first = members[0]
        err = first.get("error") or {}
        detail = str(err.get("message") or first.get("detail") or "")
        if first.get("observations"):
            detail = "runs: " + "; ".join("%s → %s" % (o.get("source_file"),
                                          history.describe(o)) for o in first["observations"])
        out.append(Group(status, CODES.get(status, "ne"), text, expected, tuple(
            (cell_anchor(case_id, c["environment"], c["method"]),
             "%s %s" % (c["environment"], c["method"])) for c in members), short(detail, 300)))
    return out


def build(matrix: Mapping[str, Any]) -> Report:
    """The whole view model for one matrix document."""
    envs = _envs(matrix)
    env_index = {e.id: e.index for e in envs}
    methods = tuple(m for m in START_METHODS if any(
        m in ms for ms in matrix.get("case_methods", {}).values())) or START_METHODS
    by_case: Dict[str, List[Mapping[str, Any]]] = {}
    for cell in matrix["results"]:
        by_case.setdefault(cell["case"], []).append(cell)
    changes: Dict[str, List[str]] = {}
    for ch in history.behaviour_changes(matrix):
        changes.setdefault(ch.case, []).append(history.change_text(ch))
    diffs: Dict[str, List[str]] = {}
    for d in history.platform_differences(matrix):
        diffs.setdefault(d.case, []).append("%s %s: %s" % (d.version, d.method, "; ".join(
            "%s %s" % pair for pair in d.by_series)))
    categories: Dict[str, List[CaseView]] = {}
    findings: List[Finding] = []
    for case in matrix["cases"]:
        cid = case["id"]
        cells = by_case.get(cid, [])
        lookup = {(c["environment"], c["method"]): c for c in cells}
        row = []
        for env in envs:
            for m in methods:
                cell = lookup.get((env.id, m))
                status = str(cell.get("status")) if cell else "unavailable"
                tip = _tip(cell, env.id, m) if cell else "%s %s: not part of this case" % (
                    env.id, m)
                row.append(CellView(cell_anchor(cid, env.id, m), env.id, env.index, m, status,
                                    CODES.get(status, "ne"), SYMBOLS.get(status, "?"), tip,
                                    status == "unexpected"))
        unexpected = any(c.unexpected for c in row)
        flaky = any(c.status == "flaky" for c in row)
        sources = tuple(Link(str(u), safe_url(u)) for u in
                        (case.get("sources") or [case.get("source", "")]) if u)
        view = CaseView(
            id=cid, anchor="case-" + cid, category=str(case.get("category")),
            title=str(case.get("title", "")), doc=str(case.get("doc", "")), sources=sources,
            code=str(case.get("code", "")), claims=tuple(str(c) for c in case.get("claims", [])),
            cells=tuple(row), groups=tuple(_groups(cid, sorted(cells, key=lambda c: (
                env_index.get(c["environment"], 0), c["method"])),
                case.get("category") == "performance")),
            changes=tuple(changes.get(cid, [])), differences=tuple(diffs.get(cid, [])),
            finding=bool(unexpected or flaky or changes.get(cid) or diffs.get(cid)),
            search=" ".join([cid, str(case.get("title", ""))]).lower())
        categories.setdefault(view.category, []).append(view)
        if view.finding:
            findings.append(Finding(view, tuple(g for g in view.groups
                                                if g.status == "unexpected")))
    counts: Dict[str, int] = dict.fromkeys(STATUS_INFO, 0)
    for cell in matrix["results"]:
        counts[str(cell.get("status"))] = counts.get(str(cell.get("status")), 0) + 1
    stamps = sorted(str(r.get("timestamp")) for e in matrix["environments"]
                    for r in e.get("runs", []) if r.get("timestamp"))
    order = {c: i for i, c in enumerate(("methods", "inheritance", "deadlock", "pickling",
                                         "performance"))}
    os_groups: Dict[str, List[EnvView]] = {}
    for env in envs:
        os_groups.setdefault(env.os, []).append(env)
    return Report(
        schema_version=str(matrix.get("schema_version")),
        generated_at=str(matrix.get("generated_at")),
        commits=tuple(matrix.get("commits", [])),
        run_times=(stamps[0], stamps[-1]) if stamps else ("", ""),
        counts=tuple((s, CODES.get(s, "ne"), STATUS_INFO.get(s, ("", "", s))[2], n)
                     for s, n in counts.items()),
        n_cases=len(matrix["cases"]),
        cells_total=len(matrix["results"]),
        cells_with_data=sum(1 for c in matrix["results"] if c.get("outcome") is not None),
        envs=tuple(envs),
        os_groups=tuple((o, OS_NAMES.get(o, o), tuple(es)) for o, es in os_groups.items()),
        methods=methods,
        categories=tuple((k, tuple(v)) for k, v in sorted(
            categories.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))),
        findings=tuple(findings),
        changes=tuple((k, tuple(v)) for k, v in sorted(changes.items())),
        claims=tuple(claimcheck.claim_verdicts(matrix)),
        charts=tuple(svg.charts(matrix)),
        rejected=tuple((str(r.get("path")), str(r.get("problem")))
                       for r in matrix.get("rejected_files", [])),
        status_info=tuple((s, *info) for s, info in STATUS_INFO.items()),
    )
