"""Shared by the report's browser tests: the pages they open (the answers' page: a hang, an
error, a crash, a warning, an unexpected cell, 46 rows, two versions; a page whose case holds
a <script>) and how a test opens and closes one (no page error, nothing the strict CSP
blocked). Not a test module: the ones that use it import Chromium (tests.integration.chromium)
first, which skips them without it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, List

from harness import loading, merge, render
from harness.documents import CellMeta, ResultsDoc
from tests.integration.chromium import matrix_cell
from tests.unit.report_synth import case_doc, cell, results_doc

__all__ = ["CASES", "EVIL", "NOW", "answers_docs", "answers_report", "cell_in_view",
           "close_page", "evil_docs", "evil_page", "open_page", "write_page"]

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
CASES = ["methods.default", "deadlock.lock_held", "pickling.lambda_target", "methods.crashy",
         "inheritance.warns", "inheritance.config"] + [
             "methods.filler_%02d" % i for i in range(40)]  # more rows than one screen holds
#: The documented defaults (multiprocessing docs, "Contexts and start methods"): the fixture's
#: rules, as the real methods.default case states them.
DEFAULT_RULES = [
    {"methods": ["*"], "outcome": "ok", "when": {"os": ["windows", "macos"]},
     "value": {"default": "spawn"}},
    {"methods": ["*"], "outcome": "ok", "when": {"os": ["linux"], "python": ">=3.14"},
     "value": {"default": "forkserver"}},
    {"methods": ["*"], "outcome": "ok", "when": {"os": ["linux"], "python": "<3.14"},
     "value": {"default": "fork"}},
]
CSP_WATCH = """window.__csp = []; document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective));"""
EVIL = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"


def _observe(version: str) -> Any:
    def inner(c: str, m: str) -> CellMeta:
        if c == "methods.default":
            return cell(c, m, observed={"default": "fork"}, expected={
                "outcome": "ok", "value": {"default": "fork"}, "methods": ["*"]})
        if c == "deadlock.lock_held":
            if m == "fork":
                return cell(c, m, outcome="timeout", wall_s=15.04,
                            detail="no result within the hard timeout; process tree killed")
            return cell(c, m, observed=True)
        if c == "pickling.lambda_target":
            if m == "fork":
                return cell(c, m, observed="ran")
            return cell(c, m, outcome="error", error={
                "type": "PicklingError", "message": "Can't pickle <function <lambda>>"})
        if c == "methods.crashy" and m == "forkserver":
            return cell(c, m, outcome="crash", verdict="unexpected", detail="killed by SIGSEGV",
                        expected={"outcome": "ok", "methods": ["forkserver"]})
        if c == "inheritance.warns" and m == "fork" and version == "3.13.0":
            return cell(c, m, observed=42, warnings=[{
                "category": "DeprecationWarning",
                "message": "This process is multi-threaded, use of fork() may lead to deadlocks"}])
        if c == "inheritance.config":
            seen = {"level": "debug" if m == "fork" else "info", "name": "app"}
            if m == "spawn" and version == "3.13.0":
                return cell(c, m, observed=seen, verdict="unexpected", expected={
                    "outcome": "ok", "value": {"level": "debug", "name": "app"},
                    "methods": ["spawn"]})
            return cell(c, m, observed=seen)
        return cell(c, m, observed=42)
    return inner


def answers_docs() -> List[ResultsDoc]:
    cases = [case_doc(c, expect=DEFAULT_RULES if c == "methods.default" else []) for c in CASES]
    return [results_doc(version=v, cases=CASES, observe=_observe(v), case_docs=cases)
            for v in ("3.12.1", "3.13.0")]


def answers_report(out: Path) -> str:
    """The answers' page, written in ``out``: its URL."""
    return write_page(out, *answers_docs())


def open_page(browser: Any, url: str, width: int = 1280, height: int = 800, **kw: Any) -> Any:
    pg = browser.new_page(viewport={"width": width, "height": height}, **kw)
    pg.add_init_script(CSP_WATCH)
    errors: List[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    pg.goto(url)
    return pg


def close_page(pg: Any) -> None:
    assert pg.errors == []
    assert pg.evaluate("window.__csp") == []  # the strict CSP saw nothing to block
    pg.close()


def cell_in_view(pg: Any, case: str, env: str, method: str) -> Any:
    """``chromium.matrix_cell``, the matrix scrolled into view first."""
    # The matrix is painted when scrolled to (content-visibility): its visible text needs that.
    pg.evaluate("document.querySelector('.mwrap').scrollIntoView()")
    return matrix_cell(pg, case, env, method)


def write_page(tmp_path: Path, *docs: ResultsDoc) -> str:
    """The report of ``docs``, written in ``tmp_path``: its page's URL."""
    m = merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)],
                    now=NOW)
    render.write_report(m, tmp_path)
    return (tmp_path / "index.html").as_uri()


def evil_docs() -> List[ResultsDoc]:
    """Two versions of three cases, one of them (pickling.evil) with EVIL in every text."""
    evil = case_doc("pickling.evil", title=EVIL, doc=EVIL, code=EVIL,
                    sources=["javascript:window.__pwned=3"], source="javascript:x")

    def observe(c: str, m: str) -> CellMeta:
        if c == "pickling.evil":
            return cell(c, m, observed=EVIL, verdict="unexpected",
                        warnings=[{"category": EVIL, "message": EVIL}])
        return cell(c, m)
    cases = ["methods.a", "deadlock.b", "pickling.evil"]
    docs = [case_doc(c) for c in cases[:2]] + [evil]
    return [results_doc(version=v, cases=cases, observe=observe, case_docs=docs)
            for v in ("3.12.1", "3.13.0")]


def evil_page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    """The <script> case's page at 1280×800, two versions (a ``page`` fixture's body)."""
    url = write_page(tmp_path, *evil_docs())
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: List[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url)
    pg.url_base = url
    yield pg
    assert errors == []
    pg.close()
