"""The page's pure parts: a cell's visible text per outcome, the behaviour filter tags, the target
grid and its reasons, documented defaults for what was not run, qualified claim verdicts, and
docstrings shown dedented with reST literals as code."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from harness import answers, cellview, changetext, history, loading, merge, model, render, summary
from harness.documents import CellMeta, MatrixDoc, ResultsDoc
from harness.grid import Slot
from tests.unit.report_synth import case_doc, cell, matrix_cell, partial_cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _matrix(*docs: ResultsDoc, claims: Any = ()) -> MatrixDoc:
    return merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)],
                       now=NOW, claims=claims)


def test_visible_text_says_what_happened() -> None:
    """ok / error type / hang N s / signal / n/a / not run / not part of the case all differ."""
    texts = {
        cellview.visible_text(matrix_cell("c.a", "fork"), ""),
        cellview.visible_text(matrix_cell("c.a", "fork", outcome="error",
                                   error={"type": "PicklingError", "message": "x"}), ""),
        cellview.visible_text(matrix_cell("c.a", "fork", outcome="timeout", wall_s=15.2), ""),
        cellview.visible_text(matrix_cell("c.a", "fork", outcome="crash",
                                   detail="killed by SIGSEGV"), ""),
        cellview.visible_text(matrix_cell("c.a", "fork", outcome="unavailable"), ""),
        cellview.visible_text(partial_cell(outcome=None), ""),
        cellview.visible_text(None, ""),
    }
    assert texts == {"ok", "PicklingError", "hang 15 s", "SIGSEGV", "n/a", "·", "—"}


def test_a_tooltip_cut_short_says_so() -> None:
    """A cell's tooltip quotes a long message only in part, and ends it with "…": cut silently,
    "it's not found as cases.pickling" read as the whole message."""
    message = "Can't pickle <function f.<locals>.g>: it's not found as cases.pickling." + "x" * 60
    error = matrix_cell("c.a", "fork", outcome="error", error={"type": "PicklingError",
                                                         "message": message})
    hang = matrix_cell("c.a", "spawn", outcome="crash", detail="killed: " + "y" * 400)
    views = cellview.row_cells("c.a", ["e"], ["fork", "spawn"],
                               {("e", "fork"): error, ("e", "spawn"): hang}, [])
    assert [(len(v.title), v.title[-1]) for v in views] == [(100, "…"), (300, "…")]
    assert views[0].title.startswith(message[:99])


def test_ok_cells_show_the_value_only_where_methods_differ() -> None:
    """Same value under every method: "ok"; different: the one differing key's short value."""
    same = [matrix_cell("c.a", m, observed={"x": 1}) for m in ("fork", "spawn")]
    assert cellview._ok_texts(same) == ["ok", "ok"]
    differ = [matrix_cell("c.a", m, observed={"x": 1, "level": m}) for m in ("fork", "spawn")]
    assert cellview._ok_texts(differ) == ["fork", "spawn"]
    letters = [matrix_cell("c.a", m, observed={"x": [1, m], "y": m}) for m in ("fork", "spawn")]
    assert cellview._ok_texts(letters) == ["ok A", "ok B"]
    lookup = {("e", c["method"]): c for c in letters}
    titles = [c.title for c in cellview.row_cells("c.a", ["e"], ["fork", "spawn"], lookup, [])]
    assert titles == ['ok A = {"x": [1, "fork"], "y": "fork"}',
                      'ok B = {"x": [1, "spawn"], "y": "spawn"}']  # readable without the script


def test_the_default_method_row_shows_the_default_not_ok() -> None:
    """methods.default returns the same value under every method: its cells' face is the
    default they observed ("fork"), not "ok"; their verdict is still theirs."""
    value = {"before_use": None, "default": "fork", "executor": "fork"}
    lookup = {("e", m): matrix_cell(cellview.DEFAULT_CASE, m, observed=value,
                             verdict="unexpected" if m == "spawn" else "as-expected")
              for m in ("fork", "forkserver", "spawn")}
    views = cellview.row_cells(cellview.DEFAULT_CASE, ["e"],
                               ["fork", "forkserver", "spawn"], lookup, [])
    assert [(v.text, v.outcome, v.verdict) for v in views] == [
        ("fork", "ok", "as-expected"), ("fork", "ok", "as-expected"),
        ("fork", "ok", "unexpected")]
    other = cellview.row_cells("c.a", ["e"], ["fork", "spawn"], lookup, [])
    assert [v.text for v in other] == ["ok", "ok"]  # any other case: as before


def test_behaviour_tags_find_method_differences() -> None:
    """fork-only: fork hangs where the others return; nonfork-only the reverse."""
    hang = {("e", "fork"): matrix_cell("c.a", "fork", outcome="timeout"),
            ("e", "spawn"): matrix_cell("c.a", "spawn"),
            ("e", "forkserver"): matrix_cell("c.a", "forkserver")}
    tags = answers.behaviour_tags(hang, ["e"], ["fork", "forkserver", "spawn"],
                                  [("linux-cpython", "3.14")])
    assert tags == ["disagree", "fork-only", "fork-spawn", "since-linux-cpython-3.14", "timeout"]
    err = {("e", "fork"): matrix_cell("c.a", "fork"),
           ("e", "spawn"): matrix_cell("c.a", "spawn", outcome="error", error={"type": "E"})}
    assert "nonfork-only" in answers.behaviour_tags(err, ["e"], ["fork", "spawn"], [])
    same = {("e", m): matrix_cell("c.a", m) for m in ("fork", "spawn")}
    assert answers.behaviour_tags(same, ["e"], ["fork", "spawn"], []) == []


def test_documented_default_fills_what_was_not_run() -> None:
    """A slot without data shows the default the docs give (from the case's rules)."""
    rules = [{"methods": ["*"], "outcome": "ok", "when": {"os": ["macos"]},
              "value": {"default": "spawn"}, "source": "https://docs.python.org/3/x.html"},
             {"methods": ["*"], "outcome": "ok", "when": {"os": ["linux"], "python": ">=3.14"},
              "value": {"default": "forkserver"}}]
    doc = results_doc(version="3.12.1", cases=["methods.default"],
                      case_docs=[case_doc("methods.default", expect=rules)])
    r = model.build(_matrix(doc))
    by = {d.slot.key: d for d in r.defaults}
    assert (by["linux-cpython-3.12"].value, by["linux-cpython-3.12"].from_docs) == ("fork", False)
    assert (by["linux-cpython-3.14"].value, by["linux-cpython-3.14"].from_docs) == (
        "forkserver", True)
    assert by["macos-cpython-3.9"].value == "spawn" and by["macos-cpython-3.9"].from_docs
    assert by["macos-cpython-3.9"].source == "https://docs.python.org/3/x.html"


def test_a_documented_default_says_its_rules_condition() -> None:
    """A rule's note on the default (Linux 3.14.9+: spawn when no temporary directory is
    writable, gh-155717) is shown with the documented value of a slot not run, not dropped."""
    rules = [{"methods": ["*"], "outcome": "ok", "when": {"os": ["linux"], "python": ">=3.14"},
              "value": {"default": "forkserver"}, "note": "spawn without a writable tmp dir"}]
    doc = results_doc(version="3.12.1", cases=["methods.default"],
                      case_docs=[case_doc("methods.default", expect=rules)])
    matrix = _matrix(doc)
    by = {d.slot.key: d for d in model.build(matrix).defaults}
    assert by["linux-cpython-3.14"].note == "spawn without a writable tmp dir"
    assert by["linux-cpython-3.12"].note == ""
    text = " ".join(render.render_html(matrix).split())
    assert "the docs say the default is <em>forkserver</em> (docs — not run here: <a href=" \
        "\"https://docs.python.org/3/x.html\">x</a>); spawn without a writable tmp dir</td>" in text
    assert "the documented default (spawn without a writable tmp dir)" in text  # its tooltip


def test_a_claim_with_unrun_scope_is_never_plain_true() -> None:
    """True on Linux 3.12 alone, with macOS in its scope: qualified with what has no data."""
    claims = [{"id": "c", "claim": "fork default", "scope": {"os": ["linux", "macos"]},
               "checks": [{"case": "methods.a", "methods": ["fork"], "holds": {"equals": 1}}]}]
    r = model.build(_matrix(results_doc(version="3.12.1"), claims=claims))
    (claim,) = r.claims
    assert claim.result.overall in ("true", "partial")  # claimcheck's own word (#23: partial)
    assert claim.qualified and claim.label == "◑ true where run"
    assert claim.overall.startswith("◑ true where run on 1 of ") and "macOS" in claim.overall


def test_docstrings_are_dedented_with_literals_as_code() -> None:
    """inspect.cleandoc, and ``x`` becomes a code piece."""
    parts = model.doc_parts("First line uses ``fork``.\n\n    Indented ``spawn`` too.\n")
    assert parts == (("First line uses ", False), ("fork", True), (".\n\nIndented ", False),
                     ("spawn", True), (" too.", False))


def test_docstring_paragraphs_are_unwrapped_and_kept_apart() -> None:
    """The source's line wrapping is not shown (the page keeps line breaks: on a phone each
    wrapped line broke again, ragged); blank lines, indented and list lines stay."""
    parts = model.doc_parts("The parent registers a handler\n    that runs in ``fork``\n"
                            "    children up to\n    3.12.\n\n    Why it matters:\n"
                            "    - a list item\n    2. another\n        indented code\n")
    text = "".join(t for t, _code in parts)
    assert text == ("The parent registers a handler that runs in fork children up to 3.12.\n\n"
                    "Why it matters:\n- a list item\n2. another\n    indented code")
    assert ("fork", True) in parts


def test_source_links_are_labelled_by_section() -> None:
    assert model.link_label("https://docs.python.org/3/library/multiprocessing.html"
                            "#contexts-and-start-methods") == \
        "multiprocessing › contexts and start methods"
    assert model.link_label("https://github.com/python/cpython/issues/1") == \
        "https://github.com/python/cpython/issues/1"


def test_changes_at_the_same_version_of_two_series_link_to_their_own_filter() -> None:
    """CPython 3.11 and PyPy 3.11 are different change points: each Answers line links to a
    filter that shows its own cases (one shared ``since-3.11`` token showed both)."""
    from harness import history

    changes = [history.Change("c.a", "linux-cpython", ("fork",), "3.11", "3.10", "x", "y", False),
               history.Change("c.b", "linux-pypy", ("fork",), "3.11", "3.9", "x", "y", False)]
    rows = [("c.a", "A", answers.behaviour_tags({}, [], [], [("linux-cpython", "3.11")])),
            ("c.b", "B", answers.behaviour_tags({}, [], [], [("linux-pypy", "3.11")]))]
    lines = {a.text: a for a in answers.fails_only_lines(rows, changes)}
    cpython = lines["Changed in Linux 3.11"]
    pypy = lines["Changed between Linux PyPy 3.9 and 3.11 (3.10 not run)"]  # no 3.10
    assert cpython.link != pypy.link
    for line, case in ((cpython, "c.a"), (pypy, "c.b")):
        token = line.link.split("b=", 1)[1]
        assert [cid for cid, _t, tags in rows if token in tags] == [case]
    assert answers.since_options([t for _c, _t, tags in rows for t in tags]) == [
        ("since-linux-cpython-3.11", "changed in Linux 3.11"),
        ("since-linux-pypy-3.11", "changed in Linux PyPy 3.11")]


def test_the_default_start_method_reads_as_one_line_per_os() -> None:
    """Runs of the same default are joined; measured and documented values are told apart."""
    def slot(os_name: str, minor: str) -> Slot:
        return Slot(os_name, "cpython", minor, False, minor, (), "")

    cells = [answers.DefaultCell(slot("linux", m), v, docs, "", ()) for m, v, docs in (
        ("3.12", "fork", False), ("3.13", "fork", False), ("3.14", "forkserver", False),
        ("3.16", "forkserver", True))]
    cells += [answers.DefaultCell(slot("macos", m), "spawn", True, "", ()) for m in ("3.9", "3.10")]
    cells += [answers.DefaultCell(slot("windows", "3.9"), "?", True, "", ()),
              answers.DefaultCell(Slot("linux", "cpython", "3.14", True, "3.14t", (), ""),
                                  "spawn", False, "", ())]  # free-threaded: the table's
    assert answers.default_lines(cells) == [
        ("Linux", "fork 3.12–3.13 → forkserver 3.14–3.16 (measured 3.12–3.14; 3.16 from the "
                  "docs)"),
        ("macOS", "spawn 3.9–3.10 (from the docs; not run here)"),
        ("Windows", "unknown 3.9 (3.9 not run, no documented value)")]
    two = [answers.DefaultCell(slot("linux", "3.12"), "fork", False, "", ()),
           answers.DefaultCell(slot("linux", "3.13"), "?", True, "", ()),
           answers.DefaultCell(slot("linux", "3.14"), "fork", False, "", ())]
    assert answers.default_lines(two) == [  # an unknown version is never joined into a run
        ("Linux", "fork 3.12 → unknown 3.13 → fork 3.14 (measured 3.12, 3.14; 3.13 not run, "
                  "no documented value)")]


def test_a_measured_default_keeps_the_condition_its_rule_states() -> None:
    """Review r16: Linux 3.14+'s forkserver default needs a writable temporary directory
    (spawn without one from 3.14.9, gh-155717). The docs-only cells said so; a measured 3.14
    cell said only "measured", so the ten-second answer dropped the condition."""
    import importlib

    from harness.guest import catalog

    importlib.import_module("cases.methods")
    entry = next(c.to_dict() for c in catalog.all_cases() if c.id == "methods.default")
    matrix: Any = {"environments": [
        {"id": "linux-cpython-3.13", "default_method": "fork", "python_version": "3.13.0"},
        {"id": "linux-cpython-3.14", "default_method": "forkserver", "python_version": "3.14.10"}],
        "cases": [entry]}
    grid = [Slot("linux", "cpython", minor, False, minor, ("linux-cpython-" + minor,), "")
            for minor in ("3.13", "3.14")]
    defaults = answers.default_grid(matrix, grid)
    assert [d.note for d in defaults] == ["", entry["expect"][1]["note"]]
    assert "writable temporary directory" in defaults[1].note
    assert answers.default_lines(defaults) == [(
        "Linux", "fork 3.13 → forkserver 3.14 (measured) — " + defaults[1].note)]


def test_a_group_of_changes_is_hedged_from_its_earliest_version() -> None:
    """One case last seen at 3.9, another at 3.10, both changed at 3.11: the line hedges from
    3.9 "for some" (comparing versions as numbers: "3.10" sorts after "3.9"); a system move
    counts the cases whose change the docs do not predict (none known without the matrix)."""
    from harness import history

    def change(case: str, before: str, moved: str = "") -> history.Change:
        return history.Change(case, "linux-pypy", ("fork",), "3.11", before, "x", "y", False,
                              moved)
    lines = answers.fails_only_lines([], [change("c.a", "3.9", "the host → the Debian root"),
                                          change("c.b", "3.10")])
    (line,) = [a for a in lines if a.text.startswith("Changed")]
    assert line.text == ("Changed in Linux PyPy 3.11 (or earlier for some: 3.9 → 3.11 observed; "
                         "1 may come from the other system)")
    assert changetext.series_label("macos-cpython-x86_64", "3.15") == "macOS 3.15 (Intel)"
    assert changetext.series_label("linux-cpython-t", "3.14") == "Linux 3.14t"


def test_the_hedge_is_kept_when_only_a_later_before_version_needs_it() -> None:
    """Changed at 3.13.18, one case last seen at 3.12 (no gap), another at 3.13.0 (patch
    releases apart): the line still hedges, "for some"."""
    from harness import history

    changes = [history.Change(c, "linux-cpython", ("fork",), "3.13.18", before, "x", "y", False)
               for c, before in (("c.a", "3.12"), ("c.b", "3.13.0"))]
    (line,) = [a for a in answers.fails_only_lines([], changes) if a.text.startswith("Changed")]
    assert line.text == "Changed in Linux 3.13.18 (or earlier for some: 3.13.0 → 3.13.18 observed)"


def test_cells_against_an_inferred_expectation_are_not_counted_as_differing_from_the_docs(
) -> None:
    """A headline never says "differs from the docs" of a cell whose expectation the docs do
    not state (inferred from their mechanism): the page, its summary and the finding's heading
    count those apart."""
    from harness import summary

    stated = {"outcome": "ok", "methods": ["*"], "value": 2}
    guessed = dict(stated, inferred=True)

    def observe(case_id: str, method: str) -> CellMeta:
        if method != "spawn":
            return cell(case_id, method)
        rule = guessed if case_id == "inheritance.b" else stated
        return cell(case_id, method, observed=1, verdict="unexpected", expected=rule)

    matrix = _matrix(results_doc(cases=("methods.a", "inheritance.b"), observe=observe))
    report = model.build(matrix)
    assert (report.unexpected_cells, report.inferred_cells, report.stated_cases,
            report.inferred_cases) == (2, 1, 1, 1)
    text = " ".join(render.render_html(matrix).split())
    assert "Differs from the docs: 1 cell in 1 case</strong> · from an inferred expectation " \
           "(one the docs do not state): 1 cell in 1 case" in text
    assert "<div>Differs from an inferred expectation (1 cell):</div>" in text
    assert "<div>Differs from the docs (1 cell):</div>" in text
    assert "from an inferred expectation: <strong>1</strong>" in text  # the counts table
    md = summary.render_summary(matrix)
    assert "differs from the docs: 1 cell in 1 case · from an inferred expectation (one the " \
           "docs do not state): 1 cell in 1 case" in md
    assert "| differs from the docs | 1 |\n| differs from an inferred expectation (one the " \
           "docs do not state) | 1 |" in md
    assert "  - differs from an inferred expectation (one the docs do not state): observed ok 1" \
           in md and "  - differs from the docs: observed ok 1" in md


def test_cells_that_agree_with_an_inferred_expectation_are_not_counted_as_the_docs_say() -> None:
    """The agreeing side too: "as the docs say" counts only expectations the docs state."""
    from harness import summary

    stated = {"outcome": "ok", "methods": ["*"], "value": 1}
    guessed = dict(stated, inferred="read from the mechanism")
    observe = lambda c, m: cell(c, m, expected=guessed if m == "fork" else stated)  # noqa: E731
    matrix = _matrix(results_doc(observe=observe))
    report = model.build(matrix)
    assert report.agree_inferred == 1
    assert ("as-expected", "as the docs say", 3) in report.verdict_counts
    text = " ".join(render.render_html(matrix).split())
    assert "as the docs say: <strong>2</strong> · as an inferred expectation: <strong>1</strong>" \
        in text
    md = summary.render_summary(matrix)
    assert "| as the docs say | 2 |\n| as an inferred expectation (one the docs do not state) " \
           "| 1 |" in md


def test_an_unavailable_cell_never_differs_from_the_docs() -> None:
    """A cell that could not run (``unavailable``) against a rule expecting ``ok``: no ✗, not
    counted as differing (its status is ``unavailable`` and it has no finding line either); an
    unavailable cell the docs expect stays "as the docs say"."""
    from harness import cellview

    def observe(case_id: str, method: str) -> CellMeta:
        if method == "spawn":
            return cell(case_id, method, outcome="unavailable", verdict="unexpected",
                        expected={"outcome": "ok", "methods": ["*"]},
                        detail="no /dev/shm to look at")
        if method == "fork":
            return cell(case_id, method, outcome="unavailable")  # as expected
        return cell(case_id, method)

    matrix = _matrix(results_doc(cases=("api.a",), observe=observe))
    by_method = {c["method"]: c for c in matrix["results"]}
    assert by_method["spawn"]["status"] == "unavailable"
    assert cellview.verdict_of(by_method["spawn"]) == ""
    assert cellview.verdict_of(by_method["fork"]) == "as-expected"
    report = model.build(matrix)
    assert (report.unexpected_cells, report.stated_cases, len(report.findings)) == (0, 0, 0)
    page = " ".join(re.sub(r"<[^>]+>", "", render.render_html(matrix)).split())
    assert "Differs from the docs: 0 cells in 0 cases" in page
    # Both rows of the counts table cover every cell with data: this one as "not compared".
    assert report.not_compared == 1
    assert sum(n for _k, _l, n in report.outcome_counts) == report.cells_with_data == sum(
        n for _k, _l, n in report.verdict_counts) + report.not_compared
    from harness import summary

    assert "| not compared (nothing ran) | 1 |" in summary.render_summary(matrix)


def test_a_finding_on_an_object_shows_the_keys_that_differ_from_the_expectation() -> None:
    """An ok cell whose object differs from its rule's in one late key: the finding says that
    key (cut at 60-80 characters, the old text hid it), in the page's findings and summary.md;
    a group whose object matches keeps its full value."""
    long = {"fresh": None, "server_saw": "import-time", "without_ctx_sets_default": True}
    rule = {"methods": ["spawn"], "outcome": "ok", "value": dict(long, with_ctx=None)}

    def observe(case: str, method: str) -> CellMeta:
        seen = dict(long, with_ctx="fork" if method == "spawn" else None)
        return cell(case, method, observed=seen, expected=dict(rule, methods=[method]),
                    verdict="unexpected" if method == "spawn" else "as-expected")
    m = _matrix(results_doc(version="3.12.1", cases=["api.m"], observe=observe))
    (finding,) = model.build(m).findings
    (g,) = finding.unexpected
    assert (g.text, g.expected) == ("ok {with_ctx: fork, …}", "ok {with_ctx: null, …}")
    assert "observed ok \\{with\\_ctx: fork, …\\}, expected ok \\{with\\_ctx: null, …\\}" in \
        summary.render_summary(m)
    same = [x for x in finding.case.groups if x.status == "as-expected"]
    assert same and all(x.text.startswith('ok {"fresh": null, "server_saw"') for x in same)
