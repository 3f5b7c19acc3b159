"""The examples an Answers line names are chosen by a stated rule (``picks.RULE``) from the data:
a change line's largest kind of change first, the "no longer fork" line's CPython cases before a
PyPy-only one — never the first ids in alphabetical or catalog order."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from harness import answers, cellview, loading, merge, model, picks, summary, text
from harness.documents import CellMeta, MatrixCell, MatrixDoc, ResultsDoc
from tests.unit.report_synth import Observe, cell, matrix_cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _matrix(*docs: ResultsDoc) -> MatrixDoc:
    return merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)],
                       now=NOW)


def _error(case: str, method: str, kind: str) -> CellMeta:
    return cell(case, method, outcome="error", error={"type": kind, "message": "m"})


#: Made-up cases (alphabetical order puts the lone ones first): three change an error type the
#: same way at "3.14", one changes a value, one changes its available order.
PICKLE = ["pickling.x_closure", "pickling.y_lambda", "pickling.z_local"]
CASES = ["api.a_socket", "methods.b_available", *PICKLE]


def _three_fourteen(version: str) -> Observe:
    new = version.startswith("3.14")

    def observe(case: str, method: str) -> CellMeta:
        if case in PICKLE:
            return _error(case, method, "PicklingError" if new else "AttributeError")
        if case == "api.a_socket":
            return cell(case, method, observed={"client": "refused" if new else "no-challenge"})
        return cell(case, method, observed=["forkserver", "fork"] if new else ["fork", "spawn"])
    return observe


def _changed_line(report: model.Report) -> answers.Answer:
    (line,) = [a for a in report.answer_lines if a.text.startswith("Changed")]
    return line


def test_a_change_line_names_its_largest_kind_of_change_first() -> None:
    matrix = _matrix(*(results_doc(version=v, cases=CASES, observe=_three_fourteen(v))
                       for v in ("3.13.1", "3.14.1")))
    line = _changed_line(model.build(matrix))
    assert line.count == 5
    first = line.examples[0]
    assert (first.kind, first.count) == ("AttributeError → PicklingError", 3)
    assert first.case in PICKLE
    assert first.text == "3 cases: AttributeError → PicklingError, e.g. Title of %s" % first.case
    # the others, one case each, name what changed after their title
    assert [e.text for e in line.examples[1:]] == [
        "Title of api.a_socket — no-challenge → refused",
        "Title of methods.b_available — now forkserver, fork (was fork, spawn)"]
    assert not line.example_text.endswith("…")  # the three examples cover all five cases
    text = summary.render_summary(matrix)
    assert "3 cases: AttributeError → PicklingError, e.g. Title of pickling" in text


def test_kinds_read_error_types_values_by_key_and_warnings() -> None:
    def c(**kw: Any) -> MatrixCell:
        return matrix_cell("c.a", "fork", **kw)
    assert picks.kinds(c(outcome="error", error={"type": "EOFError", "message": "m"}), c(observed={
        "error": "x"})) == {"now works (was EOFError)"}
    assert picks.kinds(c(observed={"error": "EOFError", "n": 1}),
                       c(observed={"error": "ConnectionResetError", "n": 1})) == {
        "EOFError → ConnectionResetError"}  # a name changes alone: the same as an error's
    # a JSON key is the case's own name, no word of the page (review r7 #5): the line says the
    # value changed, "Changes between versions" says which key and how
    assert picks.kinds(c(observed={"exitcode": 1}), c(observed={"exitcode": None})) == {
        picks.VALUE_CHANGED}
    assert picks.kinds(c(observed={"own_ran": False}), c(observed={"own_ran": True})) == {
        picks.VALUE_CHANGED}
    assert "own" not in picks.VALUE_CHANGED and "_" not in picks.VALUE_CHANGED
    assert picks.kinds(c(observed=["fork", "spawn"]), c(observed=["forkserver"])) == {
        "now forkserver (was fork, spawn)"}
    assert picks.kinds(c(outcome="error", error={"type": "EOFError", "message": "m"}),
                       c(outcome="timeout")) == {"now hangs (was EOFError)"}
    assert picks.kinds(c(), c(warnings=[{"category": "DeprecationWarning", "message": ""}])) == {
        "now warns (DeprecationWarning)"}
    assert picks.kinds(c(warnings=[{"category": "DeprecationWarning", "message": ""}]), c()) == {
        "no longer warns (DeprecationWarning)"}
    # a key one side lacks reads as in "Changes between versions" and `harness diff`
    assert picks.kinds(c(observed={"n": 1}), c(observed={"n": 1, "lambda": "PicklingError"})) \
        == {picks.VALUE_CHANGED}
    long = "x" * 100  # cut where the cell panel's keys are cut
    (kind,) = picks.kinds(c(observed={"v": long}), c(observed={"v": long + "y"}))
    assert kind == "%s → %s" % ((text.shorten(long, text.KEY_VALUE_LIMIT),) * 2)


def test_a_child_that_died_reads_in_words_not_as_the_harness_type() -> None:
    """ChildDied is the harness's own type for a child that ended without a result (review r7
    #4): a change line says the child crashed, with its signal when its exit code gives one."""
    def died(code: object) -> MatrixCell:
        return matrix_cell("c.a", "fork", outcome="error", error={
            "type": "ChildDied", "where": "child",
            "message": "child exited with code %s before sending a result" % code})
    after = matrix_cell("c.a", "fork", outcome="error", error={"type": "RuntimeError",
                                                                "message": "m"})
    assert picks.kinds(died(-11), after) == {"the child crashed (SIGSEGV) → RuntimeError"}
    assert picks.kinds(died(-9), after) == {"the child was killed (SIGKILL) → RuntimeError"}
    assert picks.kinds(died(1), after) == {
        "the child exited with code 1 without a result → RuntimeError"}
    # a signal whose name differs between systems (SIGBUS: 7 on Linux, 10 on macOS) by number
    assert picks.kinds(died(-7), after) == {"the child was killed by signal 7 → RuntimeError"}
    assert picks.kinds(died(None), after) == {"the child died without a result → RuntimeError"}
    assert picks.kinds(after, died(-11)) == {"RuntimeError → the child crashed (SIGSEGV)"}
    # the cell panel says it in the same words (cellview.error_words), a plain error as before
    assert cellview.behaviour(died(-11))["said"] == "the child crashed (SIGSEGV)"
    assert "said" not in cellview.behaviour(after)


def _nonfork(version: str, impl: str) -> Observe:
    def observe(case: str, method: str) -> CellMeta:
        # "api.a_pypy_only" fails under spawn/forkserver only on PyPy; the others only on CPython
        fails = method != "fork" and (case == "api.a_pypy_only") == (impl == "pypy")
        return _error(case, method, "PicklingError") if fails else cell(case, method)
    return observe


def test_the_no_longer_fork_line_names_cpython_cases_before_a_pypy_only_quirk() -> None:
    """The PyPy-only case shows in two environments (two PyPys), each CPython case in one: CPython
    environments count first, so a count of environments alone would put it first."""
    cases = ["api.a_pypy_only", "api.b_cpython", "api.c_cpython"]
    matrix = _matrix(results_doc(version="3.14.1", cases=cases,
                                 observe=_nonfork("3.14", "cpython")),
                     *(results_doc(version=v, impl="pypy", cases=cases,
                                   observe=_nonfork(v, "pypy")) for v in ("3.9.1", "3.10.1")))
    (line,) = [a for a in model.build(matrix).answer_lines if a.link.endswith("nonfork-only")]
    assert line.count == 3
    assert [e.case for e in line.examples] == ["api.b_cpython", "api.c_cpython",
                                               "api.a_pypy_only"]
    # the count says how many of them only PyPy shows, and where (review r7 #6: PyPy 3.9's
    # ProcessPoolExecutor bug led "Break when you move off fork" unsaid)
    assert line.count_text == "3 cases (1 only on Linux PyPy 3.9, Linux PyPy 3.10)"
    assert "3 cases (1 only on Linux PyPy 3.9, Linux PyPy 3.10)" in summary.render_summary(matrix)


def test_the_filtered_view_of_a_line_is_in_its_examples_order_only_where_that_differs() -> None:
    """The page's Behaviour option of the line carries its order (the view lists the cases so:
    report-filters.js); a line whose order is the catalog's carries none (no bytes for it)."""
    from harness import render

    cases = ["api.a_pypy_only", "api.b_cpython", "api.c_cpython"]
    matrix = _matrix(results_doc(version="3.14.1", cases=cases,
                                 observe=_nonfork("3.14", "cpython")),
                     results_doc(version="3.9.1", impl="pypy", cases=cases,
                                 observe=_nonfork("3.9", "pypy")))
    html = render.render_html(matrix)
    assert '<option value="nonfork-only" data-order="api.b_cpython api.c_cpython ' \
        'api.a_pypy_only">' in html
    cpython_only = _matrix(results_doc(version="3.14.1", cases=cases[1:],
                                       observe=_nonfork("3.14", "cpython")))
    assert ' data-order="' not in render.render_html(cpython_only)


def test_a_report_without_cpython_says_no_only_on() -> None:
    """Every environment PyPy: "only on" would name every case; the count reads plainly."""
    cases = ["api.a_pypy_only", "api.b_cpython"]
    matrix = _matrix(results_doc(version="3.9.1", impl="pypy", cases=cases,
                                 observe=_nonfork("3.9", "pypy")))
    (line,) = [a for a in model.build(matrix).answer_lines if a.link.endswith("nonfork-only")]
    assert line.count_text == "1 case"


def test_the_rule_is_on_the_page() -> None:
    from harness import render

    matrix = _matrix(results_doc(version="3.14.1", cases=CASES))
    assert picks.RULE.replace('"', "&#34;") in render.render_html(matrix)


def test_methods_disagree_on_a_value_that_differs_past_the_describe_limit() -> None:
    """Two methods whose values differ only in a key far into a long object disagree: the
    filter tags compare whole behaviours, not describe()'s cut text (80 characters)."""
    shared = {"key_%02d" % i: "AttributeError" for i in range(8)}
    lookup = {("e", "fork"): cell("pickling.p", "fork", observed=dict(shared, zz="fork-value")),
              ("e", "spawn"): cell("pickling.p", "spawn", observed=dict(shared, zz="other"))}
    tags = picks.env_tags(lookup, "e", ["fork", "spawn"])  # type: ignore[arg-type]
    assert {"disagree", "fork-spawn"} <= tags


def _default_switch(version: str) -> Observe:
    """3.14 changes the default start method (one case), a case's keys and warnings (one), and
    an error type (three: ``_three_fourteen``'s)."""
    new = version.startswith("3.14")
    method = "forkserver" if new else "fork"
    default = {"before_use": None, "default": method, "executor": method}
    other = {"own_ran": new, "with_ctx": None if new else "fork"}
    warned = [{"category": "DeprecationWarning", "message": ""}] if new else []
    return lambda case, m: (
        cell(case, m, observed=default) if case == "methods.default"
        else cell(case, m, observed=other, warnings=warned) if case == "api.a_other"
        else _three_fourteen(version)(case, m))


def test_a_change_of_the_default_start_method_comes_first_and_in_words() -> None:
    """The default's change is one case against three of an error type: the largest group
    first would hide it behind "…" (Linux 3.14: 8 PicklingError cases, the default unnamed)."""
    cases = ["api.a_other", "methods.default", *PICKLE]
    matrix = _matrix(*(results_doc(version=v, cases=cases, observe=_default_switch(v))
                       for v in ("3.13.1", "3.14.1")))
    line = _changed_line(model.build(matrix))
    assert line.examples[0].text == ("the default start method is now forkserver (was fork), "
                                     "and ProcessPoolExecutor's")
    assert line.examples[1].text.startswith("3 cases: AttributeError → PicklingError, e.g. ")
    # what changed reads in words: no JSON key, list or bracket
    (other,) = [e for e in line.examples if e.case == "api.a_other"]
    for raw in ("own_ran", "with_ctx", "own ran", "with ctx", "true", "null", "[", '"',
                "+ Deprecation"):
        assert raw not in line.example_text, raw
    assert picks.VALUE_CHANGED in other.text or "now warns (DeprecationWarning)" in other.text
    assert picks.RULE.startswith("Examples: a \"Changed in\" line names a change of the "
                                 "default start method first")
