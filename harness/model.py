"""The report's view model: typed dataclasses built purely from a ``matrix.json`` dict.

Everything the page and ``summary.md`` show is decided here (order, grouping, answers, scope,
findings, change points, claim verdicts, charts); templates only lay it out. No I/O. A cell's
own view is ``harness.cellview``; a case's cells grouped by behaviour ``harness.groups``; the
target grid and the answers are ``harness.answers``; a case's docstring, links and rules in
words are ``harness.casetext``.
"""

from __future__ import annotations

import dataclasses
from typing import AbstractSet, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness import (
    answers,
    cellview,
    changetext,
    claimcheck,
    claimview,
    history,
    notrun,
    picks,
    svg,
)
from harness import groups as grouping
from harness.casetext import doc_parts, inferred, link_label, safe_url
from harness.documents import CaseEntry, MatrixCell, MatrixDoc
from harness.envview import EnvView, env_views
from harness.grid import Slot, file_name, scope_text, slots
from harness.groups import Group
from harness.guest import words
from harness.guest.words import OS_NAMES, PERFORMANCE
from harness.text import short

__all__ = ["CODES", "SYMBOLS", "CaseView", "EnvView", "Group", "Report", "build", "doc_parts",
           "link_label", "safe_url", "scope_text"]

#: Status → (short CSS code, symbol, label): the case sections group cells by it.
STATUS_INFO: Dict[str, Tuple[str, str, str]] = {
    words.AS_EXPECTED: ("ae", "✓", "as the docs say"),
    words.UNEXPECTED: ("ux", "✗", "differs from the docs"),
    words.TIMEOUT: ("to", "◷", "hang (no expectation)"),
    words.CRASH: ("cr", "☠", "crash (no expectation)"),
    words.UNAVAILABLE: ("na", "n/a", "unavailable"),
    words.NOT_RUN: ("nr", "·", "not run (no data)"),
    words.FLAKY: ("fl", "≈", "flaky (runs disagree)"),
    words.NO_EXPECTATION: ("ne", "?", "the docs say nothing"),
}
CODES = {k: v[0] for k, v in STATUS_INFO.items()}
SYMBOLS = {k: v[1] for k, v in STATUS_INFO.items()}
VERDICT_SYMBOLS = claimview.VERDICT_SYMBOLS


@dataclasses.dataclass(frozen=True)
class Link:
    text: str
    url: Optional[str]


@dataclasses.dataclass(frozen=True)
class CaseView:
    id: str
    anchor: str
    category: str
    title: str
    doc: Tuple[Tuple[str, bool], ...]  # (text, is_code)
    sources: Tuple[Link, ...]
    code: str
    claims: Tuple[str, ...]
    cells: Tuple[cellview.CellView, ...]
    groups: Tuple[Group, ...]
    changes: Tuple[str, ...]
    differences: Tuple[str, ...]
    differs_between: str  # what the series that disagree differ in: "implementations"
    unexpected_cells: int
    #: Of those, the cells whose expectation the docs do not state (``casetext.inferred``).
    unexpected_inferred: int
    #: Of the unexpected cells, those whose runs ran two versions of the case (``code_changed``;
    #: counted as their newest run, the cell's face), and of these the inferred ones.
    unexpected_changed: int
    inferred_changed: int
    finding: bool
    tags: Tuple[str, ...]  # behaviour filter tokens (answers.behaviour_tags)
    compared: Tuple[str, ...]  # the answer tags this row could have earned (answers.compared)
    search: str  # observed values and "hang" if it hangs; the script adds id, title, tags
    panel: Dict[str, Any]  # the panel's structured data for this row

    @property
    def short(self) -> str:
        """The id without its category (the row group above names it): a phone's row label."""
        prefix = self.category + "."
        return self.id[len(prefix):] if self.id.startswith(prefix) else self.id


@dataclasses.dataclass(frozen=True)
class Finding:
    case: CaseView
    unexpected: Tuple[Group, ...]  # the case's unexpected cells, grouped by behaviour


@dataclasses.dataclass(frozen=True)
class OsGroup:
    os: str
    name: str
    envs: Tuple[EnvView, ...]
    missing: Tuple[Slot, ...]  # grid slots of this OS with no data


@dataclasses.dataclass(frozen=True)
class Report:
    schema_version: str
    generated_at: str
    commits: Tuple[str, ...]
    run_times: Tuple[str, str]
    outcome_counts: Tuple[Tuple[str, str, int], ...]  # (outcome, label, cells)
    verdict_counts: Tuple[Tuple[str, str, int], ...]  # (verdict, label, cells)
    n_cases: int
    cells_total: int
    cells_with_data: int
    cells_not_run: int
    unexpected_cells: int
    #: Of those, against expectations the docs do not state (the page counts them apart).
    inferred_cells: int
    inferred_cases: int
    #: Of the unexpected cells (stated, inferred), those whose runs ran two versions of the case:
    #: the Findings line says them (a count that rose only because a case was edited).
    stated_changed: int
    inferred_changed: int
    #: Cells, and cases with a cell, that differ from what the docs state.
    stated_cells: int
    stated_cases: int
    #: Cells with data but no verdict: unavailable against a rule that expected them to run.
    not_compared: int
    #: Cells that agree with an expectation the docs do not state (counted apart from "as the
    #: docs say", as the inferred differences are).
    agree_inferred: int
    changed_cases: int
    #: Cases with a flaky cell, and with a difference between platforms at one version.
    flaky_cases: int
    platform_cases: int
    #: Whether the data can show a change between versions, and what its series at one version
    #: differ in ("implementations", or "": one environment can show neither, and the
    #: Findings line does not count them then).
    comparable: Tuple[bool, str]
    #: The cells that did not run and why: after a partial run every count says what it is over.
    not_run: notrun.NotRun
    envs: Tuple[EnvView, ...]
    grid: Tuple[Slot, ...]
    missing: Tuple[Slot, ...]
    slots_with_data: int
    defaults: Tuple[answers.DefaultCell, ...]
    answer_lines: Tuple[answers.Answer, ...]
    os_groups: Tuple[OsGroup, ...]
    methods: Tuple[str, ...]
    categories: Tuple[Tuple[str, Tuple[CaseView, ...]], ...]
    findings: Tuple[Finding, ...]
    changes: Tuple[Tuple[str, Tuple[str, ...]], ...]  # (case id, change texts)
    #: (case id, texts): differences between versions left out of ``changes`` because the
    #: case's own code changed between the two runs (``history.walk``).
    code_changes: Tuple[Tuple[str, Tuple[str, ...]], ...]
    claims: Tuple[claimview.ClaimView, ...]
    charts: Tuple[svg.Chart, ...]
    rejected: Tuple[Tuple[str, str], ...]
    panel: Dict[str, Any]  # the detail panel's JSON: {case id: {"b": [...], "c": [...]}}

    @property
    def matrix_columns(self) -> int:
        """The matrix's cell columns: every method of every environment, and one "no data"
        column per OS with a slot that has none."""
        return len(self.envs) * len(self.methods) + sum(1 for g in self.os_groups if g.missing)

    @property
    def verdict_parts(self) -> Tuple[Tuple[str, str, int, int], ...]:
        """Each verdict's cells as (verdict, label, against what the docs state, against an
        inferred expectation): the counts table and summary.md count the two apart."""
        apart = {words.UNEXPECTED: self.inferred_cells, words.AS_EXPECTED: self.agree_inferred}
        return tuple((k, label, n - apart.get(k, 0), apart.get(k, 0))
                     for k, label, n in self.verdict_counts)


def _case_view(case: CaseEntry, cells: List[MatrixCell],
               envs: Sequence[EnvView], methods: Sequence[str],
               changes: Mapping[str, List[history.Change]],
               diffs: Mapping[str, List[history.PlatformDifference]],
               claim_ids: AbstractSet[str]) -> CaseView:
    cid = str(case["id"])
    lookup = {(c["environment"], c["method"]): c for c in cells}
    behaviours: List[Dict[str, Any]] = []
    breaks = case.get("breaks") or ()
    row = cellview.row_cells(cid, [e.id for e in envs], methods, lookup, behaviours,
                             picks.broken_cells(lookup, [e.id for e in envs], methods, breaks),
                             case.get("labels"))
    env_index = {e.id: e.index for e in envs}
    mine = changes.get(cid, [])
    tags = answers.behaviour_tags(lookup, [e.id for e in envs], methods,
                                  sorted({(ch.series, ch.since) for ch in mine}), breaks)
    unexpected = sum(1 for c in row if c.verdict == words.UNEXPECTED)
    changed = [c for c in cells if c.get("code_changed") and
               cellview.verdict_of(c) == words.UNEXPECTED]
    groups = tuple(grouping.groups(cid, sorted(cells, key=lambda c: (
        env_index.get(c["environment"], 0), c["method"])), case.get("category") == PERFORMANCE,
        {e.id: "%s %s" % (e.os_name, e.label) for e in envs}, {e.id: e.os_name for e in envs},
        CODES))
    sources = tuple(Link(link_label(str(u)) if safe_url(u) else str(u), safe_url(u))
                    for u in (case.get("sources") or [case.get("source", "")]) if u)
    title = str(case.get("title", ""))
    observed_text = " ".join(sorted({cellview.visible_text(c, "") for c in cells} | {
        short(c.get("observed"), 200) for c in cells if c.get("outcome") == words.OK}))[:2000]
    return CaseView(
        id=cid, anchor="case-" + cid, category=str(case.get("category")), title=title,
        doc=doc_parts(case.get("doc")), sources=sources, code=str(case.get("code", "")),
        claims=tuple(str(c) for c in case.get("claims", []) if c in claim_ids),  # no dead link
        cells=tuple(row),
        groups=groups, changes=tuple(changetext.change_text(ch) for ch in mine),
        differences=grouping.difference_lines(diffs.get(cid, [])),
        differs_between=grouping.differs_between(diffs.get(cid, [])),
        unexpected_cells=unexpected,
        unexpected_inferred=sum(len(g.cells) for g in groups
                                if g.status == words.UNEXPECTED and g.inferred),
        unexpected_changed=len(changed),
        inferred_changed=sum(1 for c in changed if inferred(c.get("expected"))),
        finding=bool(unexpected or any(c.verdict == words.FLAKY for c in row) or mine or
                     diffs.get(cid)),
        tags=tuple(tags), compared=tuple(answers.compared(lookup, [e.id for e in envs], methods)),
        # The page's script adds the row's id, title and tags (in the row already).
        search=" ".join([observed_text, *(
            ["hang"] if words.TIMEOUT in tags else [])]).lower(),  # "deadlock fork hang" finds it
        panel=cellview.panel_data([link.url for link in sources if link.url][:1], behaviours,
                                  row, case.get("labels")))


def _comparable(matrix: MatrixDoc) -> Tuple[bool, str]:
    versions, at_one_version = history.comparable(matrix)
    return versions, grouping.compared_between(at_one_version)


def build(matrix: MatrixDoc) -> Report:
    """The whole view model for one matrix document."""
    grid = slots(matrix)
    os_order = list(dict.fromkeys(s.os for s in grid))
    # The matrix's column order: OS as in the grid, then version (matrix.json's order).
    envs = sorted(env_views(matrix), key=lambda e: (os_order.index(e.os), e.index))
    methods = tuple(m for m in words.START_METHODS if any(
        m in ms for ms in matrix.get("case_methods", {}).values())) or words.START_METHODS
    by_case: Dict[str, List[MatrixCell]] = {}
    for cell in matrix["results"]:
        by_case.setdefault(cell["case"], []).append(cell)
    all_changes, code_changes = history.walk(matrix)
    changes: Dict[str, List[history.Change]] = {}
    for ch in all_changes:
        changes.setdefault(ch.case, []).append(ch)
    diffs: Dict[str, List[history.PlatformDifference]] = {}
    for d in history.platform_differences(matrix):
        diffs.setdefault(d.case, []).append(d)
    categories: Dict[str, List[CaseView]] = {}
    findings: List[Finding] = []
    claim_ids = {str(c["id"]) for c in matrix.get("claims", [])}
    for case in matrix["cases"]:
        view = _case_view(case, by_case.get(case["id"], []), envs, methods, changes, diffs,
                          claim_ids)
        categories.setdefault(view.category, []).append(view)
        if view.finding:
            findings.append(Finding(view, tuple(g for g in view.groups
                                                if g.status == words.UNEXPECTED)))
    order = {c: i for i, c in enumerate(words.CATEGORIES)}
    cats = sorted(categories.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    outcome_counts: Dict[str, int] = dict.fromkeys(  # "—" slots are not cells: not counted
        (k for k in cellview.OUTCOMES if k != cellview.NOT_APPLICABLE), 0)
    verdict_counts: Dict[str, int] = dict.fromkeys(cellview.VERDICT_MARKS, 0)
    not_compared = 0
    for cases in categories.values():
        for view in cases:
            for c in view.cells:
                if c.outcome == cellview.NOT_APPLICABLE:
                    continue
                outcome_counts[c.outcome] += 1
                if c.verdict:
                    verdict_counts[c.verdict] += 1
                elif c.outcome == words.UNAVAILABLE:
                    not_compared += 1
    stamps = sorted(str(r.get("timestamp")) for e in matrix["environments"]
                    for r in e.get("runs", []) if r.get("timestamp"))
    os_groups = []
    missing = tuple(s for s in grid if not s.envs)
    for os_name in os_order:
        os_groups.append(OsGroup(os_name, OS_NAMES.get(os_name, os_name), tuple(
            e for e in envs if e.os == os_name), tuple(s for s in missing if s.os == os_name)))
    claims_by_id = {c["id"]: c for c in matrix.get("claims", [])}
    all_views = [v for _k, vs in cats for v in vs]
    gaps = notrun.of_matrix(matrix)
    with_data = sum(1 for c in matrix["results"] if c.get("outcome") is not None)
    inferred_cells = sum(v.unexpected_inferred for v in all_views)
    over = None if not gaps.partial else {tag: sum(
        1 for v in all_views if tag in v.compared) for tag in answers.COMPARES}
    return Report(
        schema_version=str(matrix.get("schema_version")),
        generated_at=str(matrix.get("generated_at")),
        commits=tuple(matrix.get("commits", [])),
        run_times=(stamps[0], stamps[-1]) if stamps else ("", ""),
        outcome_counts=tuple((k, cellview.OUTCOMES[k][1], n) for k, n in outcome_counts.items()),
        verdict_counts=tuple((k, cellview.VERDICT_MARKS[k][1], n)
                             for k, n in verdict_counts.items()),
        n_cases=len(matrix["cases"]),
        cells_total=len(matrix["results"]), cells_with_data=with_data,
        cells_not_run=len(matrix["results"]) - with_data,
        unexpected_cells=verdict_counts[words.UNEXPECTED],
        inferred_cells=inferred_cells,
        agree_inferred=sum(len(g.cells) for v in all_views for g in v.groups
                           if g.status == words.AS_EXPECTED and g.inferred),
        inferred_cases=sum(1 for v in all_views if v.unexpected_inferred),
        stated_changed=sum(v.unexpected_changed - v.inferred_changed for v in all_views),
        inferred_changed=sum(v.inferred_changed for v in all_views),
        stated_cells=verdict_counts[words.UNEXPECTED] - inferred_cells,
        stated_cases=sum(1 for v in all_views if v.unexpected_cells > v.unexpected_inferred),
        not_compared=not_compared,
        changed_cases=len(changes), not_run=gaps,
        flaky_cases=sum(1 for v in all_views if any(c.verdict == words.FLAKY for c in v.cells)),
        platform_cases=len(diffs), comparable=_comparable(matrix),
        envs=tuple(envs), grid=tuple(grid), missing=missing,
        slots_with_data=len(grid) - len(missing),
        defaults=tuple(answers.default_grid(matrix, grid)),
        answer_lines=tuple(answers.fails_only_lines(
            [(v.id, v.title, v.tags) for v in all_views], all_changes, over,
            history.compared_at(matrix) if over is not None else None, matrix)),
        os_groups=tuple(os_groups),
        methods=methods,
        categories=tuple((k, tuple(v)) for k, v in cats),
        findings=tuple(findings),
        changes=tuple((k, tuple(changetext.change_text(ch) for ch in v))
                      for k, v in sorted(changes.items())),
        code_changes=tuple((cid, tuple(changetext.code_change_text(ch) for ch in code_changes
                                       if ch.case == cid))
                           for cid in sorted({ch.case for ch in code_changes})),
        claims=tuple(claimview.claim_view(r, claims_by_id.get(r.id, {}), grid, matrix)
                     for r in claimcheck.claim_verdicts(matrix)),
        charts=tuple(svg.charts(matrix)),
        rejected=tuple((file_name(str(r.get("path"))), str(r.get("problem")))
                       for r in matrix.get("rejected_files", [])),
        panel={cellview.PANEL_WORDS_KEY: cellview.PANEL_WORDS,
               **{v.id: v.panel for v in all_views}},
    )
