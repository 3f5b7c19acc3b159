"""The report's words say what its data holds: a difference between CPython and PyPy is named
one between implementations (not platforms), the counts of environments and OS × Python slots
agree, a claim names where the docs say it is true, and a blank cell of the defaults table
says why."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any, Dict

from harness import loading, merge, model, render, summary
from harness.documents import CellMeta, MatrixDoc, ResultsDoc
from harness.grid import Slot
from tests.unit.report_synth import cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _matrix(*docs: ResultsDoc, claims: Any = ()) -> MatrixDoc:
    return merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)],
                       now=NOW, claims=claims)


def _failing_on(impl: str, os_name: str) -> Any:
    def observe(case: str, method: str) -> CellMeta:
        if method == "spawn" and (impl, os_name) != ("cpython", "linux"):
            return cell(case, method, outcome="error",
                        error={"type": "PicklingError", "message": "m"})
        return cell(case, method)
    return observe


def _differs(*others: Any) -> Dict[str, str]:
    matrix = _matrix(results_doc(version="3.11.1", observe=_failing_on("cpython", "linux")),
                     *(results_doc(version="3.11.1", impl=impl, os_name=os_name,
                                   observe=_failing_on(impl, os_name)) for impl, os_name in others))
    (finding,) = model.build(matrix).findings
    return {"heading": finding.case.differs_between, "line": finding.case.differences[0],
            "html": render.render_html(matrix), "md": summary.render_summary(matrix)}


def test_cpython_against_pypy_differs_between_implementations_not_platforms() -> None:
    found = _differs(("pypy", "linux"))
    assert found["heading"] == "implementations"
    assert found["line"] == "3.11 spawn: Linux 3.11 ok 1; Linux PyPy 3.11 error PicklingError"
    assert "Differs between implementations at the same Python version:" in found["html"]
    assert "between platforms" not in found["html"].lower()
    assert "differs between implementations at 3.11 spawn: Linux 3.11 ok 1" in found["md"]


def test_linux_against_macos_differs_between_operating_systems() -> None:
    assert _differs(("cpython", "macos"))["heading"] == "operating systems"
    assert _differs(("cpython", "macos"), ("pypy", "linux"))["heading"] == (
        "operating systems or implementations")


def test_both_oses_present_but_only_the_implementation_differs() -> None:
    """Linux and macOS agree, CPython and PyPy do not on either: implementations alone."""
    def observe(impl: str) -> Any:
        return _failing_on(impl, "linux")  # PyPy fails under spawn, CPython does not
    matrix = _matrix(*(results_doc(version="3.11.1", impl=impl, os_name=os_name,
                                   observe=observe(impl))
                       for impl in ("cpython", "pypy") for os_name in ("linux", "macos")))
    (finding,) = model.build(matrix).findings
    assert finding.case.differs_between == "implementations"


CLAIM = [{"id": "yes_everywhere", "claim": "fork says yes", "section": "Intro",
          "checks": [{"case": "methods.a", "methods": ["fork"], "holds": {"equals": "yes"}}]}]


def _two_patch_releases_and_38() -> MatrixDoc:
    yes = lambda c, m: cell(c, m, observed="yes")  # noqa: E731
    return _matrix(*(results_doc(version=v, observe=yes) for v in ("3.8.18", "3.13.0",
                                                                   "3.13.18")), claims=CLAIM)


def test_the_title_line_and_a_claim_count_the_same_slots_and_say_why_environments_differ() -> None:
    matrix = _two_patch_releases_and_38()
    html = render.render_html(matrix)
    # the arithmetic is the Summary's (the first lines say the scope in words: review r3)
    counts = html.split('<section id="summary">', 1)[1].split("</p>", 1)[0]
    # 3 environments in 2 slots of a grid of the 36 targets + Linux 3.8
    said = ("environments in 2 of 37 OS × Python slots: the 36 this project targets and 1 more "
            "that these results hold (Linux 3.8); Linux 3.13 is two environments: 3.13.0 and "
            "3.13.18.")
    assert "Data from <strong>3</strong> " + said in counts
    (view,) = model.build(matrix).claims
    assert view.coverage.startswith("on 2 of 37 OS × Python slots in its scope — no data: ")
    text = summary.render_summary(matrix)
    assert "Data from 3 " + said in text
    assert "on 2 of 37 OS × Python slots in its scope" in text


def test_a_default_cell_without_a_slot_says_why() -> None:
    """macOS and Windows have no 3.8 slot (not a target there; Linux 3.8 added the column)."""
    html = render.render_html(_two_patch_releases_and_38())
    table = html.split('<table class="defaults">', 1)[1].split("</table>", 1)[0]
    assert "<td></td>" not in table
    assert table.count('<td class="off-grid"') == 2  # macOS 3.8, Windows 3.8
    assert "—: not tested on this OS" in table
    text = summary.render_summary(_two_patch_releases_and_38())
    assert "| macOS | — | *?* |" in text  # no methods.default case: no documented value
    assert "—: not tested on this OS" in text


def test_documented_pypy_defaults_say_they_are_cpythons_docs() -> None:
    """The defaults table's documented values come from methods.default's rules, which state
    CPython's docs: a PyPy column's italic value says so, on the page and in summary.md."""
    from harness import answers

    def slot(impl: str) -> Slot:
        return Slot("macos", impl, "3.11", False, "x", (), "not run")

    cpython, pypy = (answers.DefaultCell(slot(i), "spawn", True, "#", ()) for i in
                     ("cpython", "pypy"))
    assert answers.borrowed_docs([cpython]) == ""
    assert "CPython's docs" in answers.borrowed_docs([cpython, pypy])
    unknown = dataclasses.replace(pypy, value="?")  # no documented value: nothing borrowed
    assert answers.borrowed_docs([cpython, unknown]) == ""
    assert answers.borrowed_docs([dataclasses.replace(pypy, from_docs=False)]) == ""


def test_the_scope_reads_in_words_before_the_answers() -> None:
    """What was measured and what was not, as version ranges per OS, in the page's first
    lines and in summary.md alike; no slot arithmetic there (review r3: seven phone lines of
    it came before the answers)."""
    matrix = _two_patch_releases_and_38()
    html = render.render_html(matrix)
    scope = html.split('<p class="scope" id="scope">', 1)[1].split("</p>", 1)[0]
    # "and" within a kind ("PyPy 3.9, 3.11" after CPython read as CPython 3.11), and an OS
    # only CI runs said to have no run here (review r7 #8: "(CI only)" read as CI's data)
    words = ("Linux — CPython 3.8 and 3.13", "Linux 3.9–3.12 and 3.14–3.16, 3.14t–3.15t, "
             "PyPy 3.10–3.11; macOS and Windows (no run in this report; the CI workflow runs "
             "them)")
    assert scope == ("<strong>Measured here</strong>: %s. <strong>Not measured</strong>: %s."
                     % words)
    assert "**Measured here**: %s. **Not measured**: %s." % words in \
        summary.render_summary(matrix)


def test_what_breaks_off_fork_comes_first_and_the_counting_note_is_folded_after_the_list() -> None:
    """A phone reader's question is what breaks when the default moves off fork: that line is
    the first answer, and the five-line note on how lines count is a <details> after the list
    (review r3: it pushed the answers down)."""
    matrix = _two_patch_releases_and_38()
    lines = model.build(matrix).answer_lines
    assert lines[0].link == "#view?b=nonfork-only"
    assert lines[0].text.startswith("Break when you move off fork")
    assert lines[1].link == "#view?b=fork-only"
    html = render.render_html(matrix)
    answers_part = html.split('<section id="answers"', 1)[1].split("</section>", 1)[0]
    after = answers_part.split('<ul class="answers">', 1)[1]
    before = answers_part.split('<ul class="answers">', 1)[0]
    assert "Cases counted when" not in before
    note = after.split("</ul>", 1)[1].split("</details>", 1)[0]
    assert note.lstrip().split("\n")[-1].startswith('<details class="muted small-note')
    assert "Cases counted when it happens in at least one environment" in note


def test_the_claims_line_heads_its_list_with_the_verdicts_it_holds() -> None:
    """ "false or only partly true:" before a list of partly true claims only said one was false
    (review r7 #7): the words come from the verdicts listed."""
    from typing import cast

    from harness import claimview
    from harness.guest import words

    def views(*verdicts: str) -> Any:
        return [cast("claimview.ClaimView", type("V", (), {"verdict": v})()) for v in verdicts]
    assert claimview.against_heading(views(words.DEPENDS, words.DEPENDS)) == "partly true"
    assert claimview.against_heading(views(words.FAILS)) == "false"
    assert claimview.against_heading(views(words.DEPENDS, words.FAILS)) == \
        "false or partly true"


def test_summary_sets_the_claims_against_apart_with_a_dash(monkeypatch: Any) -> None:
    """ "4 not run (partly true: …)" read as the list of the not-run claims (review r16 #10):
    summary.md says " — " as the page does."""
    from types import SimpleNamespace

    from harness import claimview
    from harness.guest import words

    against = SimpleNamespace(result=SimpleNamespace(claim="fork is the default."),
                              verdict=words.DEPENDS)
    monkeypatch.setattr(claimview, "claim_tally", lambda claims: [("not run", 4)])
    monkeypatch.setattr(claimview, "claims_against", lambda claims: [against])
    text = summary.render_summary(_matrix(results_doc()))
    assert "checked: 4 not run — partly true: fork is the default." in text
