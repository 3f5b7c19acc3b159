"""The HTML page and summary.md: escaping, safe links, strict CSP, charts, sections, size,
and the golden summary."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest

from harness import loading, merge, model, render, summary
from harness.documents import CellMeta, MatrixDoc, ResultsDoc
from tests.unit.report_synth import case_doc, cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "report_summary.golden.md"
EVIL = "<script>alert(1)</script>"
CLAIMS = [{"id": "fork_everywhere", "claim": "fork <b>is</b> everywhere", "section": "Intro",
           "checks": [{"case": "methods.a", "methods": ["fork"], "holds": {"equals": "yes"}}]}]


def _matrix(*docs: ResultsDoc, claims: Any = ()) -> MatrixDoc:
    loaded = [loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)]
    return merge.merge(loaded, now=NOW, claims=claims)


def _evil_matrix() -> MatrixDoc:
    evil_case = case_doc("methods.a", title=EVIL, doc=EVIL, code=EVIL,
                         source="javascript:alert(2)", sources=["javascript:alert(2)"])
    observe = lambda c, m: cell(c, m, observed=EVIL, verdict="unexpected",  # noqa: E731
                                warnings=[{"category": EVIL, "message": EVIL}])
    return _matrix(results_doc(observe=observe, case_docs=[evil_case]), claims=CLAIMS)


def test_text_from_results_is_escaped_everywhere() -> None:
    """A case output of <script> appears as text; the page holds exactly one script: ours."""
    html = render.render_html(_evil_matrix())
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert len(re.findall(r"<script>", html)) == 1
    # The only other script element is the panel's data: a JSON block the browser never runs,
    # whose text cannot close it ("<" is escaped inside).
    blocks = re.findall(r'<script type="application/json" id="cell-data">(.*?)</script>', html,
                        re.S)
    assert len(re.findall(r"<script", html)) == 2 and len(blocks) == 1
    assert "<" not in blocks[0] and "\\u003cscript\\u003e" in blocks[0]
    assert "fork &lt;b&gt;is&lt;/b&gt; everywhere" in html


def test_only_http_links_become_links() -> None:
    """A `javascript:` source stays text, never an href."""
    html = render.render_html(_evil_matrix())
    assert 'href="javascript:' not in html.lower()
    assert "javascript:alert(2)" in html
    ok = render.render_html(_matrix(results_doc()))
    assert '<a href="https://docs.python.org/3/x.html">' in ok


def test_strict_csp_allows_only_our_script_by_hash_and_loads_nothing_external() -> None:
    """CSP: default-src 'none', script by sha256 of the inline script; no external resource."""
    html = render.render_html(_matrix(results_doc()))
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy.split(
        "script-src")[1].split(";")[0]
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert "'sha256-%s'" % digest in policy
    assert not re.search(r'<(link|img|iframe|script)[^>]+(src|href)=', html)
    assert "matrix.json" in html and "matrix.schema.json" in html


def test_sections_and_statuses_render_with_symbols() -> None:
    """Every section is present; not-run cells say not run (never ok, never a pass mark)."""
    m = _matrix(results_doc(version="3.12.0", cases=["methods.a", "methods.b"]),
                results_doc(version="3.13.0", cases=["methods.a"]))
    html = render.render_html(m)
    for anchor in ("answers", "summary", "methods", "matrix-section", "findings", "changes",
                   "claims", "performance", "cases", "downloads"):
        assert 'id="%s"' % anchor in html
    row = re.search(r'<tr class="case-row" id="row-methods.b".*?</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r'<td(?! class="gap")(?: data-outcome="([^"]+)")?[^>]*>([^<]*)',
                       row.group(0))
    assert cells == [("", "ok")] * 3 + [("not-run", "·")] * 3  # a cell that returned: no attribute


def _perf_doc(version: str, unit: str = "ms") -> ResultsDoc:
    def observe(c: str, m: str) -> CellMeta:
        base = {"fork": 2.0, "forkserver": 8.0, "spawn": 40.0}[m]
        if c == "performance.start_latency":
            value: Any = {"median": base, "q1": base * .9, "q3": base * 1.1, "unit": unit,
                          "n": 20}
        else:
            value = {"points": [{"median": base * k, "unit": unit, "iqr": 1.0,
                                 "parent_objects_mb": mb} for k, mb in ((1, 0), (3, 1000))]}
        return cell(c, m, observed=value)
    return results_doc(version=version, observe=observe, cases=[
        "performance.start_latency", "performance.latency_vs_memory"])


def test_performance_charts_are_inline_svg_with_units_and_spread() -> None:
    """Measurements with median/unit become SVG bar and line charts, text escaped."""
    html = render.render_html(_matrix(_perf_doc("3.12.0", unit="<ms>"), _perf_doc("3.13.0")))
    section = html.split('id="performance"')[1].split('id="cases"')[0]
    assert section.count("<svg") == 4  # per unit: bars for start_latency, lines for the sweep
    assert "<ms>" not in section and "&lt;ms&gt;" in section
    assert "IQR" in section and "parent_objects_mb" in section


def test_no_measurements_degrades_to_a_note() -> None:
    """Without performance data the section says so instead of failing."""
    html = render.render_html(_matrix(results_doc()))
    assert "No performance measurements" in html and "<svg" not in html


def _big(envs: int, cases: int, verdict: str = "as-expected") -> MatrixDoc:
    names = ["%s.case_%03d" % (("methods", "inheritance", "deadlock", "pickling")[i % 4], i)
             for i in range(cases)]
    docs: List[ResultsDoc] = []
    for i in range(envs):
        os_name = ("linux", "macos", "windows")[i % 3]
        version = "3.%d.0" % (8 + i // 3 % 10)
        observe = lambda c, m: cell(c, m, observed={"value": c[-3:], "method": m},  # noqa: E731
                                    verdict=verdict)
        docs.append(results_doc(version=version, os_name=os_name,
                                impl="cpython" if i < 30 else "pypy", cases=names,
                                observe=observe, free_threading=i // 3 >= 10))
    return _matrix(*docs)


def test_page_for_30_environments_by_100_cases_is_under_3_mb() -> None:
    """30 environments × 100 cases × 3 methods: the page stays under 3 MB."""
    m = _big(30, 100, verdict="unexpected")
    assert len(m["environments"]) == 30
    size = len(render.render_html(m).encode("utf-8"))
    print("page bytes: %d" % size)
    assert size < 3 * 1024 * 1024
    md = summary.render_summary(m)
    assert len(md.encode("utf-8")) < 1024 * 1024


def test_summary_escapes_markdown_and_html() -> None:
    """Result text in summary.md cannot inject HTML or break a table."""
    md = summary.render_summary(_evil_matrix())
    assert EVIL not in md and "&lt;script&gt;" in md
    assert summary.md("a|b") == "a\\|b"


def _golden_matrix() -> MatrixDoc:
    def observe(version: str) -> Any:
        def inner(c: str, m: str) -> CellMeta:
            if c == "methods.a":
                return cell(c, m, observed="yes" if m == "fork" else "no")
            if version.startswith("3.13") and m == "spawn":
                return cell(c, m, outcome="timeout", verdict="unexpected",
                            expected={"outcome": "ok", "methods": ["spawn"]})
            return cell(c, m, observed=[1, 2])
        return inner
    return _matrix(results_doc(version="3.12.1", cases=["methods.a", "deadlock.b"],
                               observe=observe("3.12"), commit="0123456789abcdef"),
                   results_doc(version="3.13.0", cases=["methods.a", "deadlock.b"],
                               observe=observe("3.13"), commit="0123456789abcdef",
                               default="forkserver"),
                   claims=CLAIMS)


def test_summary_matches_golden_file() -> None:
    """summary.md for a fixed matrix equals the committed golden file
    (regenerate with UPDATE_GOLDEN=1 after an intended change, and review the diff)."""
    text = summary.render_summary(_golden_matrix())
    if os.environ.get("UPDATE_GOLDEN"):
        # Under CI a rewrite would compare the file with itself: the test could not fail.
        assert not os.environ.get("CI"), "UPDATE_GOLDEN is refused under CI"
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil.example",
                                 "https://x.example/\" onmouseover=\"a"])
def test_safe_url_rejects_non_http(url: str) -> None:
    """Only plain http(s) URLs are links."""
    from harness.model import safe_url

    assert safe_url(url) is None


def test_the_cell_count_is_not_read_as_cases_times_environments_times_three() -> None:
    """A case runs under the methods it names: 2 cases (one of them fork-only) × 1 environment
    are 4 cells, not 2 × 1 × 3 (the page said "2 cases × 1 environment × methods = 4 cells")."""
    doc = results_doc(cases=["methods.a", "methods.b"])
    doc["tests"] = [t for t in doc["tests"] if "methods.b[" not in t["nodeid"] or
                    t["metadata"]["method"] == "fork"]
    html = " ".join(re.sub(r"<[^>]+>", "", render.render_html(_matrix(doc))).split())
    assert "4 cells: 2 cases × 1 environment × the start methods each case runs under (4 " \
        "with data, 0 not run)" in html
    assert "× methods =" not in html


def test_counts_of_one_are_singular() -> None:
    """One differing cell in one case reads "1 cell in 1 case", never "1 cells"/"1 cases"."""
    observe = lambda c, m: cell(c, m, observed=2, verdict="unexpected" if m == "fork"  # noqa: E731
                                else "as-expected")
    html = render.render_html(_matrix(results_doc(observe=observe)))
    text = re.sub(r"<[^>]+>", "", html)
    assert "1 finding in all" in text
    assert "1 case with a cell that differs from the docs (1 cell)" in text
    assert "Differs from the docs: 1 cell in 1 case" in text
    assert not re.search(r"\b1 (cell|case)s\b", text)
    markdown = summary.render_summary(_matrix(results_doc(observe=observe)))
    assert "3 cells: 1 case × 1 environment × the methods each case runs under" in markdown
    assert "differs from the docs: 1 cell in 1 case" in markdown
    assert not re.search(r"\b1 (cell|case|environment)s\b", markdown)


def test_a_group_elsewhere_in_few_environments_reads_all_but() -> None:
    """A case section names a group's environments: "all N environments", "all but <the
    few others>" when only a few (fewer than half) are elsewhere, else the list."""
    versions = ("3.9.1", "3.10.1", "3.11.1", "3.12.1", "3.13.1")
    docs = [results_doc(version=v, methods=("spawn",), observe=lambda c, m, v=v: cell(
        c, m, observed=2 if v == "3.13.1" else 1)) for v in versions]
    from harness import model

    ((_category, (case,)),) = model.build(_matrix(*docs)).categories
    where = sorted(g.where for g in case.groups)
    assert where == ["spawn: Linux 3.13", "spawn: all but Linux 3.13"], where
    same = model.build(_matrix(*[results_doc(version=v, methods=("spawn",)) for v in versions]))
    assert [g.where for g in same.categories[0][1][0].groups] == ["spawn: all 5 environments"]


def test_cells_group_only_when_their_values_are_the_same_in_full() -> None:
    """A case section shows values cut to ~80 characters; two environments whose values
    differ only past the cut are two groups, never one claiming they saw the same."""
    head = {"key_%02d" % i: "x" * 8 for i in range(12)}
    versions = ("3.11.1", "3.12.1")
    docs = [results_doc(version=v, methods=("spawn",), observe=lambda c, m, v=v: cell(
        c, m, observed=dict(head, with_ctx="fork" if v == "3.12.1" else None),
        verdict="unexpected")) for v in versions]
    from harness import model

    ((_category, (case,)),) = model.build(_matrix(*docs)).categories
    assert sorted(g.where for g in case.groups) == ["spawn: Linux 3.11", "spawn: Linux 3.12"]
    texts = sorted(g.text for g in case.groups)  # shown as far as they differ
    assert '"with_ctx": "fork"' in texts[0] and '"with_ctx": null' in texts[1], texts
    alone = model.build(_matrix(docs[0])).categories[0][1][0].groups
    assert len(alone[0].text) <= len("ok ") + 80  # the usual cut where nothing clashes


def test_cells_that_met_rules_differing_only_in_scope_are_one_group() -> None:
    """Rules with the same expectation for other methods or versions (``on(["fork"], ok(1),
    python=">=3.13")`` beside ``on(["spawn"], ok(1))``) read alike on the page: their cells are
    one group, not two rows that say the same thing (inheritance.atexit_handler showed two)."""
    def rule(method: str) -> Dict[str, Any]:
        if method == "spawn":
            return {"outcome": "ok", "value": 1, "methods": ["spawn"]}
        return {"outcome": "ok", "value": 1, "methods": ["fork"], "when": {"python": ">=3.8"},
                "note": "why", "source": "https://docs.python.org/3/library/multiprocessing.html"}
    doc = results_doc(methods=("fork", "spawn"), observe=lambda c, m: cell(
        c, m, observed=1, expected=rule(m)))
    from harness import model

    ((_category, (case,)),) = model.build(_matrix(doc)).categories
    assert [g.where for g in case.groups] == ["fork: Linux 3.12; spawn: Linux 3.12"]


def test_flaky_cells_group_only_when_their_runs_saw_the_same() -> None:
    """A flaky group's line lists its first cell's runs: a cell whose runs saw other values
    is a group of its own, not listed under runs it did not have."""
    rule = {"outcome": "ok", "value": 1}
    docs = [results_doc(version=v, methods=("spawn",), observe=lambda c, m, x=x: cell(
        c, m, observed=x, expected=rule, verdict="as-expected" if x == 1 else "unexpected"))
        for v, x in (("3.11.1", 1), ("3.11.1", 2), ("3.12.1", 1), ("3.12.1", 3))]
    from harness import model

    ((_category, (case,)),) = model.build(_matrix(*docs)).categories
    assert sorted((g.where, g.detail) for g in case.groups) == [
        ("spawn: Linux 3.11", "runs: f0.json → ok 1; f1.json → ok 2"),
        ("spawn: Linux 3.12", "runs: f2.json → ok 1; f3.json → ok 3")]


def test_error_cells_group_only_when_their_messages_are_the_same() -> None:
    """A group shows one message under "error TypeError": cells whose messages differ
    ("cannot pickle '_io.TextIOWrapper' object" on 3.8-3.11, "... 'TextIOWrapper' instances"
    on 3.12+) are groups of their own, each under its own message."""
    msgs = {"3.11.1": "cannot pickle '_io.TextIOWrapper' object",
            "3.12.1": "cannot pickle 'TextIOWrapper' instances"}
    docs = [results_doc(version=v, methods=("spawn",), observe=lambda c, m, v=v: cell(
        c, m, outcome="error", expected={"outcome": "error"},
        error={"type": "TypeError", "message": msgs[v]})) for v in msgs]
    from harness import model

    ((_category, (case,)),) = model.build(_matrix(*docs)).categories
    assert sorted((g.where, g.detail) for g in case.groups) == [
        ("spawn: Linux 3.11", msgs["3.11.1"]), ("spawn: Linux 3.12", msgs["3.12.1"])]


def test_summary_findings_that_differ_only_in_their_message_say_it() -> None:
    """summary.md's finding lines show no message: two groups of one error type apart only by
    their messages would read alike but for their cells, so each says its message."""
    msgs = {"3.11.1": "no attribute 'x'", "3.12.1": "no attribute 'y'"}
    docs = [results_doc(version=v, methods=("spawn",), observe=lambda c, m, v=v: cell(
        c, m, outcome="error", expected={"outcome": "ok"}, verdict="unexpected",
        error={"type": "AttributeError", "message": msgs[v]})) for v in msgs]
    text = summary.render_summary(_matrix(*docs))
    assert "observed error AttributeError (no attribute 'x'), expected ok — 1 cell" in text
    assert "observed error AttributeError (no attribute 'y'), expected ok — 1 cell" in text
    one = summary.render_summary(_matrix(docs[0]))
    assert "observed error AttributeError, expected ok — 1 cell" in one


def test_the_outcome_counts_add_up_to_the_cells() -> None:
    """The summary's "what happened" row counts cells only: a "—" slot (a case that does not
    run under a method) is not a cell, so the row adds up to the cell total."""
    from harness import cellview, model

    both = results_doc(cases=["methods.a"])
    one = results_doc(cases=["methods.b"], methods=("spawn",))
    one["harness"]["environment"]["python_version"] = "3.12.1"
    report = model.build(_matrix(both, one))
    assert cellview.NOT_APPLICABLE not in {k for k, _label, _n in report.outcome_counts}
    assert sum(n for _k, _label, n in report.outcome_counts) == report.cells_total == 4


def test_a_row_is_found_by_how_it_behaves() -> None:
    """The row's search words (its data-s, to which the page's script adds the row's id, title
    and tags) hold its behaviour: a case that hangs under fork only is found by "fork-only" and
    "timeout" (its tags) and by "hang", not only by its id, title and values."""
    from harness import model

    observe = lambda c, m: cell(c, m, outcome="timeout" if m == "fork" else "ok")  # noqa: E731
    report = model.build(_matrix(results_doc(cases=["deadlock.x"], observe=observe)))
    (view,) = report.categories[0][1]
    assert "hang" in view.search.split()
    assert {"fork-only", "timeout"} <= set(view.tags)


def test_versions_fold_only_when_every_cell_behaves_the_same() -> None:
    """Two versions whose cells all read "ok" but return different values (fork's default
    "fork" in 3.13, "forkserver" in 3.14, both as the docs say) do not fold; equal ones do."""
    from harness import model

    def default(value: str) -> Any:
        return lambda c, m: cell(c, m, observed={"default": value})
    docs = [results_doc(version=v, observe=default(d)) for v, d in (
        ("3.12.1", "fork"), ("3.13.1", "fork"), ("3.14.1", "forkserver"))]
    envs = model.build(_matrix(*docs)).envs
    assert [e.same_as_previous for e in envs] == [False, True, False]
    html = render.render_html(_matrix(*docs))
    assert html.count('data-same="1"') == 1


def test_a_version_folds_with_the_previous_version_of_its_own_series() -> None:
    """Free-threaded builds and the Intel macOS leg are series of their own, each after the
    regular builds: 3.15 folds into 3.14 across the 3.14t column's old place, and Intel 3.15
    is never compared with Apple silicon's 3.15."""
    from harness import model

    docs = [results_doc(version="3.14.1"), results_doc(version="3.14.1", free_threading=True),
            results_doc(version="3.15.1"), results_doc(version="3.15.1", os_name="macos"),
            results_doc(version="3.16.1", os_name="macos")]
    intel = results_doc(version="3.15.1", os_name="macos")
    intel["harness"]["environment"]["arch"] = "x86_64"
    envs = model.build(_matrix(*docs, intel)).envs
    assert [(e.id, e.same_as_previous) for e in envs] == [
        ("linux-cpython-3.14", False), ("linux-cpython-3.15", True),
        ("linux-cpython-3.14t", False), ("macos-cpython-3.15", False),
        ("macos-cpython-3.16", True), ("macos-cpython-3.15-x86_64", False)]
    assert [e.label for e in envs][-1] == "3.15 Intel"


def test_a_case_links_only_claims_on_the_page() -> None:
    """A results file may name a claim the catalog no longer has: no link to nowhere."""
    case = case_doc("methods.a", claims=["fork_everywhere", "gone_claim"])
    html = render.render_html(_matrix(results_doc(case_docs=[case]), claims=CLAIMS))
    assert 'href="#claim-fork_everywhere"' in html and 'id="claim-fork_everywhere"' in html
    assert "#claim-gone_claim" not in html


def test_no_link_of_the_sample_page_points_nowhere() -> None:
    """Every in-page link of the page built from the checked-in sample names an element of it
    (a grouped "no data" row keeps an anchor for each of its versions; a claim link, a cell, an
    environment)."""
    import html as html_lib

    sample = Path(__file__).resolve().parents[2] / "reports" / "sample"
    loaded, rejected = loading.load_results(sorted(str(p) for p in sample.glob("*.json")))
    page = render.render_html(merge.merge(loaded, rejected, now=NOW))
    ids = {html_lib.unescape(i) for i in re.findall(r'\bid="([^"]+)"', page)}
    targets = {html_lib.unescape(t) for t in re.findall(r'href="#([^"]*)"', page)}
    assert len(targets) > 50
    assert sorted(t for t in targets if t not in ids and not t.startswith("view?")) == []


def test_a_rows_short_label_drops_only_its_own_category_and_is_escaped() -> None:
    """The phone's row label: the id without its category (`cwd_changed` under "inheritance"),
    breakable after each underscore; an id outside its category keeps it whole; text escaped."""
    cases = ["inheritance.cwd_changed", "methods.a_<b>"]
    docs = [case_doc(cases[0]), case_doc(cases[1], category="other")]
    html = render.render_html(_matrix(results_doc(cases=cases, case_docs=docs)))
    labels = re.findall(r'<span class="cs">(.*?)</span>', html)
    assert sorted(labels) == ["cwd_<wbr>changed", "methods.a_<wbr>&lt;b&gt;"]


def test_the_headline_numbers_are_the_report_s_and_both_texts_read_them() -> None:
    """Differing cells stated by the docs, cells not run and slots with data are counted once,
    in the model: the page and summary.md show the Report's numbers (each computed them)."""
    matrix = _golden_matrix()
    report = model.build(matrix)
    assert (report.stated_cells, report.cells_not_run, report.slots_with_data) == (
        report.unexpected_cells - report.inferred_cells,
        report.cells_total - report.cells_with_data, len(report.grid) - len(report.missing))
    told = dataclasses.replace(report, stated_cells=701, cells_not_run=702, slots_with_data=703)
    html = " ".join(re.sub(r"<[^>]+>", "", render.render_html(matrix, told)).split())
    markdown = summary.render_summary(matrix, told)
    for text in (html, markdown):
        assert "702 not run" in text and "701 cells in" in text and "703 of" in text, text[:600]


def test_the_report_is_built_once_and_a_failed_render_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """write_report builds the model once for both texts, and writes only when both rendered:
    a render failure left a new matrix.json beside the old page (review r2 F15)."""
    matrix = _golden_matrix()
    builds: List[MatrixDoc] = []
    build = model.build

    def counted(m: MatrixDoc) -> model.Report:
        builds.append(m)
        return build(m)

    monkeypatch.setattr(model, "build", counted)
    written = render.write_report(matrix, tmp_path / "ok")
    assert len(builds) == 1 and written.unexpected_cells == build(matrix).unexpected_cells
    assert sorted(p.name for p in (tmp_path / "ok").iterdir()) == [
        "index.html", "matrix.json", "matrix.schema.json", "results.schema.json", "summary.md"]

    def broken(*args: Any) -> str:
        raise RuntimeError("the template broke")

    monkeypatch.setattr(summary, "render_summary", broken)
    with pytest.raises(RuntimeError):
        render.write_report(matrix, tmp_path / "broken")
    assert list((tmp_path / "broken").glob("*")) == []


def test_a_stop_signal_while_the_report_is_written_lets_it_finish_then_exits_130(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    """A Ctrl-C between the report's files left a new matrix.json beside the old page (review
    r5 #2: `diff` reads matrix.json as what its page shows): the signal now waits for the
    five files, then the command exits 130."""
    import signal

    from harness import cli, results, stopping

    out = tmp_path / "site"
    sample = Path(__file__).resolve().parents[2] / "reports" / "sample"
    first = cli.main(["report", str(sample), "-o", str(out)])
    assert first == 0
    old_page = (out / "index.html").read_text(encoding="utf-8")
    write_json = results.atomic_write_json
    calls: List[Path] = []

    def interrupted(path: Path, doc: Any) -> None:
        calls.append(path)
        if len(calls) == 1:  # Ctrl-C lands right after the first file
            write_json(path, doc)
            os.kill(os.getpid(), signal.SIGINT)
            return
        write_json(path, doc)

    monkeypatch.setattr(results, "atomic_write_json", interrupted)
    monkeypatch.setattr(stopping, "_STOPPING", [])  # the command's stop state, not the tests'
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:  # a stopped command leaves its signals ignored, on its way out: not this process's
        status = cli.main(["report", str(sample / "linux-cpython-3.12.json"), "-o", str(out)])
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert status == 130, capfd.readouterr()
    new = json.loads((out / "matrix.json").read_text(encoding="utf-8"))
    page = (out / "index.html").read_text(encoding="utf-8")
    assert len(new["environments"]) == 1 and page != old_page
    assert "Data from <strong>1</strong> environment " in page
    err = capfd.readouterr().err
    assert "harness: SIGINT after the results were merged: writing the report's files, then " \
        "exiting" in err, err
