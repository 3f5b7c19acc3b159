"""``summary.md``: the Markdown digest for ``$GITHUB_STEP_SUMMARY`` (hard cap 1 MiB per step).

Answers (defaults per OS × version, what fails only under which method, what changed),
scope, methods/defaults table, counts, findings, changes and claim verdicts; every text that
comes from a results file is escaped for Markdown *and* HTML (GitHub renders inline HTML
there). Pure.
"""

from __future__ import annotations

import collections
import re
from typing import Any, Dict, List, Optional, Tuple

from harness import advice, answers, case_code, cellview, changetext, claimview, grid, model
from harness.cellview import INFERRED_LABEL, INFERRED_PARTS
from harness.documents import MatrixDoc
from harness.grid import OSES, TARGET, Slot
from harness.guest import words
from harness.results import environment_names

__all__ = ["LIMIT_BYTES", "md", "render_summary", "scope", "slot_count"]

#: Stay well under GitHub's 1 MiB step-summary cap.
LIMIT_BYTES = 900 * 1024
MAX_ITEMS = 200
_SPECIAL = re.compile(r"([\\`*_\[\]{}#|!~])")


def md(text: Any) -> str:
    """Escape a text for one Markdown table cell or list item (no HTML, no markup, one line)."""
    value = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _SPECIAL.sub(r"\\\1", value)
    return " ".join(value.split())


def plural(n: int, word: str) -> str:
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def _of_them(n: int) -> str:
    """ " (3 of these cells ran two versions of the case, …)" after a count: the page's words."""
    return " (%s)" % case_code.of_them_text(n) if n else ""


def _cap(lines: List[str], items: List[str], what: str) -> None:
    lines.extend(items[:MAX_ITEMS])
    if len(items) > MAX_ITEMS:
        lines.append("- … %d more %s: see the HTML report" % (len(items) - MAX_ITEMS, what))


def scope(r: model.Report) -> Tuple[str, str]:
    """What the page and summary.md say first: (measured here, not measured), in plain words;
    the second says where the defaults table's italic values come from ("" when every slot
    has data)."""
    missing = grid.unmeasured_text(r.grid)
    docs = any(d.from_docs and d.value != "?" for d in r.defaults)
    return (grid.measured_text(r.grid) or "nothing",
            missing + (" — italic values there are the docs'" if missing and docs else ""))


def slot_count(r: model.Report) -> str:
    """The slot arithmetic behind the scope (the Summary's, on the page and in summary.md)."""
    return grid.slot_count_text(r.grid, r.slots_with_data, len(OSES) * len(TARGET),
                                answers.shared_slots(r.grid, {e.id: e.label for e in r.envs}))


def render_summary(matrix: MatrixDoc, report: Optional[model.Report] = None) -> str:
    """The Markdown summary of a matrix document (deterministic for the same input); ``report``:
    its ``model.build``, when the caller has it."""
    r = model.build(matrix) if report is None else report
    lines = ["# Start-Method Matrix", ""]
    commits = ", ".join("`%s`" % md(case_code.short_commit(c)) for c in r.commits) or "unknown"
    # Not "cases × environments × 3": a case runs under the methods it names.
    lines.append("%s: %s × %s × the methods each case runs under (%d with data, %d not run%s) · "
                 "differs from the docs: %s in %s%s · changes between versions: %s · built %s · "
                 "commit %s" % (
                     plural(r.cells_total, "cell"), plural(r.n_cases, "case"),
                     plural(len(r.envs), "environment"), r.cells_with_data, r.cells_not_run,
                     " — " + md(r.not_run.why) if r.not_run.partial else "",
                     plural(r.stated_cells, "cell"),
                     plural(r.stated_cases, "case") + _of_them(r.stated_changed),
                     " · %s: %s in %s" % (INFERRED_LABEL.replace("differs ", "", 1),
                                          plural(r.inferred_cells, "cell"),
                                          plural(r.inferred_cases, "case") +
                                          _of_them(r.inferred_changed))
                     if r.inferred_cells else "", plural(r.changed_cases, "case") + (
                         " (not compared: %s)" % md(changetext.not_compared_text(r.code_changes))
                         if r.code_changes else ""),
                     md(r.generated_at), commits))
    measured, unmeasured = scope(r)
    lines += ["", "**Measured here**: %s.%s" % (md(measured), " **Not measured**: %s." % md(
        unmeasured) if unmeasured else ""), "", "Data from %s in %s." % (
        plural(sum(1 for e in r.envs if not e.no_data), "environment"),  # expected legs: not data
        md(slot_count(r)))]
    unrun: Dict[str, List[Slot]] = {}  # what the run looked for and did not run, by why
    for slot in r.missing:
        if slot.not_run:
            unrun.setdefault(slot.reason, []).append(slot)
    lines[-1] += "".join(" %s: %s." % (md(model.scope_text(slots)), md(why))
                         for why, slots in unrun.items())
    if r.not_run.catalog_line:  # no partial run: said once, plainly, with the data's origin
        lines += ["", md(r.not_run.catalog_line)]
    if r.rejected:  # said up here: the list itself is at the end
        files = [name for name, _problem in r.rejected]
        lines += ["", "**%s rejected** (not used; why: [Rejected input files]"
                  "(#rejected-input-files) at the end): %s%s" % (
                      plural(len(files), "input file"), md(", ".join(files[:5])),
                      " …" if len(files) > 5 else "")]
    lines += ["", "## Answers", ""]
    if r.not_run.partial:
        lines += ["**%s**" % md(r.not_run.headline), ""]
    lines += ["Default start method of CPython (not free-threaded), in a fresh interpreter — PyPy "
              "and free-threaded builds are in the table:", ""]
    lines += ["- **%s**: %s" % (md(os_name), md(text)) for os_name, text in
              answers.default_lines(r.defaults)]
    tip = advice.advice(r.defaults, {v.id for _c, views in r.categories for v in views})
    if tip:  # what to do, each step linked to the docs that state it
        lines += ["", "**%s**: %s" % (md(tip.lead), "".join(
            "[%s](%s)%s" % (md(s.text), s.source, s.joint) for s, _cases in tip.steps))]
    cols, rows = answers.default_table(r.defaults)
    off_grid = any(d is None for _o, cells in rows for d in cells)
    borrowed = answers.borrowed_docs(r.defaults)
    lines += ["", "Per version (*italic*: docs, not run here%s%s):" % (
        "; %s" % md(borrowed) if borrowed else "",
        "; %s: %s" % answers.OFF_GRID if off_grid else ""), ""]
    lines += ["| OS | %s |" % " | ".join(md(c) for c in cols),
              "| --- |%s" % (" --- |" * len(cols))]
    for os_name, cells in rows:
        lines.append("| %s | %s |" % (md(os_name), " | ".join(
            answers.OFF_GRID[0] if d is None else (
                "*%s*" % md(d.value) if d.from_docs else md(d.value))
            for d in cells)))
    lines.append("")
    for a in r.answer_lines:
        lines.append("- %s: %s%s" % (md(a.text), md(a.count_text), (
            " (%s)" % md(a.example_text) if a.examples else "")))
    notes = [md(a.note) for a in r.answer_lines if a.note]  # the page's folded note
    tally = claimview.claim_tally(r.claims)
    if tally:
        against = claimview.claims_against(r.claims)
        lines.append("- A typical article's claims, checked: %s%s" % (
            ", ".join("%d %s" % (n, word) for word, n in tally),
            # " — " as the page: "4 not run (partly true: …)" read as the not-run claims
            " — %s: %s" % (claimview.against_heading(against),
                           md(" · ".join(c.result.claim for c in against)))
            if against else ""))
    if notes:
        lines += ["", " ".join(notes)]
    lines += ["", "## Start methods", "",
              "| OS | Python | available (in order) | default | ProcessPoolExecutor | "
              "change points | runs |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for env in r.envs:
        cut = r.not_run.interrupted_in(env.id)
        lines.append("| %s | %s (%s)%s | %s | **%s** | %s | %s | %d |" % (
            md(env.os_name), md(env.label), md(env.python), " **⚠ %s**" % md(cut) if cut else "",
            md(", ".join(env.available)),
            md(env.default), md(env.executor_default), md("; ".join(env.notes)) or "",
            len(env.runs)))
    lines += ["", "## Cells", "", "| what happened | cells |", "| --- | ---: |"]
    for _k, label, n in r.outcome_counts:
        lines.append("| %s | %d |" % (md(label), n))
    lines += ["", "| against the docs | cells |", "| --- | ---: |"]
    for k, label, n, inferred in r.verdict_parts:
        lines.append("| %s | %d |" % (md(label), n))
        if inferred:
            lines.append("| %s | %d |" % (md(INFERRED_PARTS[k][1]), inferred))
    if r.not_compared:
        lines.append("| not compared (nothing ran) | %d |" % r.not_compared)
    lines += ["", "## Findings", ""]
    items: List[str] = []
    for f in r.findings:
        parts = ["- **%s** (%s)" % (md(f.case.title), md(f.case.id))]
        alike = collections.Counter((g.text, g.expected) for g in f.unexpected[:10])
        for g in f.unexpected[:10]:
            labels = [label for _a, label in g.cells]
            # Groups that differ only in their message (the page shows it) say it here too.
            said = " (%s)" % g.detail if g.detail and alike[(g.text, g.expected)] > 1 else ""
            parts.append("  - %s: observed %s, expected %s — %d cell%s: %s%s" % (
                INFERRED_LABEL if g.inferred else cellview.VERDICT_MARKS[words.UNEXPECTED][1],
                md(g.text + said), md(g.expected), len(labels), "" if len(labels) == 1 else "s",
                md(", ".join(labels[:8])), " …" if len(labels) > 8 else ""))
        parts += ["  - %s" % md(t) for t in f.case.changes[:10]]
        parts += ["  - differs between %s at %s" % (md(f.case.differs_between), md(t))
                  for t in f.case.differences[:5]]
        items.append("\n".join(parts))
    _cap(lines, items or ["No findings."], "findings")
    lines += ["", "## The article's claims", ""] + (
        ["| claim | overall | per environment |", "| --- | --- | --- |"] if r.claims
        else [md(claimview.LEFT_OUT)])
    names = environment_names(matrix["environments"])
    for cv in r.claims:
        per = ", ".join("%s: %s%s" % (names.get(v.environment, v.environment),
                                      claimview.VERDICT_SYMBOLS.get(v.verdict, v.verdict),
                                      " (%s)" % v.why if v.why else "")
                        for v in cv.result.per_environment)  # the page's words
        lines.append("| %s | %s | %s |" % (md(cv.result.claim), md(cv.overall), md(per)))
    if r.rejected:
        lines += ["", "## Rejected input files", ""]
        _cap(lines, ["- %s: %s" % (md(p), md(problem)) for p, problem in r.rejected],
             "rejected files")
    lines.append("")
    text = "\n".join(lines)
    if len(text.encode("utf-8")) > LIMIT_BYTES:
        cut = text.encode("utf-8")[:LIMIT_BYTES].decode("utf-8", "ignore")
        text = cut[: cut.rfind("\n")] + "\n\n… summary cut at %d bytes: see the HTML report\n" % (
            LIMIT_BYTES)
    return text
