"""Turn a matrix document into the report files: ``index.html`` (jinja2, autoescaped, strict
undefined), ``summary.md``, and the JSON beside them.

``render_html`` is pure; ``write_report`` is the only part that writes files.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import jinja2
from markupsafe import Markup

from harness import (
    advice,
    answers,
    case_code,
    cellview,
    changetext,
    claimview,
    model,
    picks,
    results,
    summary,
)
from harness.documents import MatrixDoc
from harness.envview import EnvView
from harness.grid import Slot
from harness.guest import words
from harness.results import MATRIX_SCHEMA
from harness.text import word_parts

__all__ = ["SCRIPT_PARTS", "SYMBOLS", "PrintPart", "page_script", "print_parts", "print_zoom",
           "render_html", "write_report"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Printed, the matrix's row header and each column take this much (report.css's print widths
#: with padding and border), and a landscape page (A4 or Letter, 10 mm margins, less the body's
#: own margins) holds this much. Printed, the "no data" columns are left out (the note under
#: the matrix names those slots): only the data columns count.
PRINT_HEAD_PX, PRINT_COLUMN_PX, PRINT_PAGE_PX = 150, 27, 940
#: A matrix of few columns is printed larger, up to this: its compact print text (5.5 px)
#: at 12 px, 9 pt (at 1.5, one environment's matrix printed a third of the page at 8 px).
PRINT_MAX_ZOOM = 2.2
#: A matrix that would print smaller than this (CI's 36 environments: 0.3, unreadable) is
#: printed in parts instead: one table per OS, an OS of many environments split again.
PRINT_SPLIT_BELOW = 0.8

#: The page's script, one file per feature, joined in this order (a part uses what an earlier
#: one defined at load; functions and later listeners may use any part's).
SCRIPT_PARTS = ("report-page.js", "report-deferred.js", "report-filters.js", "report-grid.js",
                "report-panel.js", "report-claims.js", "report-start.js")

#: Symbols that carry a status without colour.
SYMBOLS = model.SYMBOLS


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The panel's JSON without the spaces after "," and ":" (CI: 40 kB of them).
    # Strict JSON: the page's JSON.parse throws on a NaN (loading refuses files that hold one).
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":"),
                                         "allow_nan": False}
    # A name that may break at its words only (with ``overflow-wrap: normal`` on the cell).
    env.filters["wordbreaks"] = lambda v: Markup("<wbr>").join(word_parts(str(v)))
    env.filters["not_compared"] = changetext.not_compared_text  # the page's and summary.md's words
    env.filters["short_commit"] = case_code.short_commit
    env.filters["of_them"] = case_code.of_them_text  # a count's code_changed cells
    env.globals["words"] = words  # the one vocabulary: the template spells none of its words
    return env


def page_script() -> str:
    """The page's one inline script: its parts in ``SCRIPT_PARTS`` order, in one function (they
    share its names; the page's are not globals)."""
    parts = "".join((TEMPLATES / name).read_text(encoding="utf-8") for name in SCRIPT_PARTS)
    return '"use strict";\n(function () {\n' + parts + "})();\n"


def script_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script and nothing else."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def render_html(matrix: MatrixDoc, report: Optional[model.Report] = None) -> str:
    """The self-contained report page for a matrix document (``report``: its ``model.build``,
    when the caller has it).

    The only script allowed by the page's Content-Security-Policy is the project's own, by
    hash: any ``<script>`` that reached the page from a result would not run even if it
    escaped escaping. ``svg`` markup comes from ``harness.svg``, which escapes every text.
    """
    report = model.build(matrix) if report is None else report
    script = page_script()
    if "</" in script:
        raise ValueError("the page's script (%s) must not contain '</'" % ", ".join(SCRIPT_PARTS))
    cols, rows = answers.default_table(report.defaults)
    return _environment().get_template("index.html.j2").render(
        r=report, symbols=model.SYMBOLS, verdicts=model.VERDICT_SYMBOLS,
        outcomes=cellview.OUTCOMES, marks=cellview.VERDICT_MARKS,
        unmarked=cellview.UNMARKED_VERDICT,
        inferred_parts=cellview.INFERRED_PARTS, scope_text=model.scope_text,
        default_cols=cols, default_rows=rows, safe_url=model.safe_url,
        default_lines=answers.default_lines(report.defaults),
        advice=advice.advice(report.defaults, {v.id for _c, cases in report.categories
                                               for v in cases}),
        borrowed_docs=answers.borrowed_docs(report.defaults),
        claim_tally=claimview.claim_tally(report.claims),
        claims_against=claimview.claims_against(report.claims),
        against_heading=claimview.against_heading(claimview.claims_against(report.claims)),
        claims_left_out=claimview.LEFT_OUT,
        link_label=model.link_label,
        doc_defaults={d.slot.key: d for d in report.defaults},
        missing_groups=_missing_groups(report.defaults),
        view_orders=answers.view_orders(report.answer_lines),
        since_options=answers.since_options(
            [t for _c, cases in report.categories for v in cases for t in v.tags]),
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),  # noqa: S704
        script=Markup(script), script_hash=script_hash(script),  # noqa: S704
        print_zoom=print_zoom(_printed_columns(report)), print_parts=print_parts(report),
        example_rule=picks.RULE,
        scope=summary.scope(report), slot_count=summary.slot_count(report),
        off_grid=answers.OFF_GRID if any(d is None for _o, ds in rows for d in ds) else None)


def _missing_groups(defaults: Sequence[answers.DefaultCell]) -> Callable[
        [Sequence[Slot]], List[List[Slot]]]:
    """The start-methods table's rows for one OS's slots without data: the slots with the same
    reason and the same documented default share a row (35 such rows filled a phone screen)."""
    by_key = {d.slot.key: d for d in defaults}

    def groups(slots: Sequence[Slot]) -> List[List[Slot]]:
        out: Dict[Tuple[str, str, str, str], List[Slot]] = {}
        for s in slots:
            d = by_key[s.key]
            out.setdefault((s.reason, d.value, d.source, d.note), []).append(s)
        return list(out.values())
    return groups


def print_zoom(columns: int, head: int = PRINT_HEAD_PX, column: int = PRINT_COLUMN_PX,
               most: float = PRINT_MAX_ZOOM) -> float:
    """How much a printed table (the matrix by default) is scaled so that ``columns`` columns
    of ``column`` px after a ``head`` px head fit the page."""
    return min(most, round(PRINT_PAGE_PX / (head + columns * column), 3))


def _printed_columns(report: model.Report) -> int:
    """The matrix's columns on paper: its data columns (no "no data" column)."""
    return len(report.envs) * len(report.methods)


@dataclasses.dataclass(frozen=True)
class PrintPart:
    """One printed table of a matrix too wide for the page: some environments of one OS."""

    title: str  # "Linux", or "Linux, part 1 of 2"
    os: str
    envs: Tuple[EnvView, ...]
    cells: Tuple[int, ...]  # its columns: indexes into each CaseView.cells
    missing: Tuple[Slot, ...]  # the OS's slots without data (said under its last part)
    zoom: float


def print_parts(report: model.Report) -> List[PrintPart]:
    """The matrix's printed parts, or none when the whole matrix prints at a readable size."""
    if print_zoom(_printed_columns(report)) >= PRINT_SPLIT_BELOW:
        return []
    n = len(report.methods)
    most = max(1, int((PRINT_PAGE_PX / PRINT_SPLIT_BELOW - PRINT_HEAD_PX) // (PRINT_COLUMN_PX * n)))
    position = {e.id: i for i, e in enumerate(report.envs)}
    parts = []
    for g in report.os_groups:
        count = -(-len(g.envs) // most)
        size = -(-len(g.envs) // count) if count else 0
        for j in range(count):
            envs = g.envs[j * size:(j + 1) * size]
            cells = tuple(position[e.id] * n + m for e in envs for m in range(n))
            parts.append(PrintPart(
                g.name + (", part %d of %d" % (j + 1, count) if count > 1 else ""), g.os, envs,
                cells,
                g.missing if j == count - 1 else (), print_zoom(len(cells))))
    return parts


def write_report(matrix: MatrixDoc, out_dir: Path) -> model.Report:
    """Write ``matrix.json``, ``index.html``, ``summary.md`` and both JSON Schemas, each
    world-readable (a web server running as another user serves the folder); the Report they
    show. Both texts are rendered first: a render that fails leaves the folder as it was."""
    report = model.build(matrix)
    texts = (("index.html", render_html(matrix, report)),
             ("summary.md", summary.render_summary(matrix, report)))
    out_dir.mkdir(parents=True, exist_ok=True)
    results.atomic_write_json(out_dir / "matrix.json", matrix)
    results.atomic_write_json(out_dir / "results.schema.json", results.load_schema())
    results.atomic_write_json(out_dir / MATRIX_SCHEMA, results.load_schema(MATRIX_SCHEMA))
    for name, text in texts:
        results.atomic_write_text(out_dir / name, text)
    return report
