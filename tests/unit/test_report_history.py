"""Change points derived from data: behaviour changes across versions, start-method table
changes, and differences between platforms."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest

from harness import changetext, history, loading, merge, model
from harness.documents import CellMeta, MatrixDoc, ResultsDoc
from tests.unit.report_synth import case_doc, cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _matrix(*docs: ResultsDoc) -> MatrixDoc:
    loaded = [loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)]
    return merge.merge(loaded, now=NOW)


def _observer(by_method: Dict[str, Any]) -> Any:
    return lambda c, m: cell(c, m, observed=by_method.get(m, "same"))


def test_change_found_at_the_first_version_with_new_behaviour() -> None:
    """Walking 3.12 → 3.13 → 3.14, a forkserver change at 3.14 is one change point."""
    same = _observer({})
    m = _matrix(results_doc(version="3.12.1", observe=same),
                results_doc(version="3.13.0", observe=same),
                results_doc(version="3.14.0", observe=_observer({"forkserver": "new"})))
    changes = history.walk(m)[0]
    assert len(changes) == 1
    ch = changes[0]
    assert (ch.series, ch.methods, ch.since, ch.before_version) == (
        "linux-cpython", ("forkserver",), "3.14", "3.13")
    assert ch.after == 'ok "new"' and ch.before == 'ok "same"' and not ch.gap
    # the columns ran 3.13.0 and 3.14.0: the data places the change between them (review r16 #4)
    assert changetext.change_text(ch).startswith(
        "since Linux 3.14.0 (or earlier: 3.13.0 → 3.14.0 observed): forkserver")


def test_versions_sort_numerically_and_same_change_groups_methods() -> None:
    """3.9 comes before 3.10; a change in fork and spawn at once is reported once."""
    m = _matrix(results_doc(version="3.10.0", observe=_observer({"fork": 2, "spawn": 2})),
                results_doc(version="3.9.0", observe=_observer({"fork": 1, "spawn": 1})))
    changes = history.walk(m)[0]
    assert [(c.since, c.methods) for c in changes] == [("3.10", ("fork", "spawn"))]


def test_gap_in_versions_is_marked_and_not_run_is_not_a_change() -> None:
    """A version with no data is skipped (the change is marked as spanning a gap)."""
    m = _matrix(results_doc(version="3.8.0", cases=["methods.a", "methods.b"]),
                results_doc(version="3.9.0", cases=["methods.b"]),
                results_doc(version="3.10.0", cases=["methods.a", "methods.b"],
                            observe=lambda c, mm: cell(c, mm, observed=5 if c ==
                                                       "methods.a" else "same")))
    changes = [c for c in history.walk(m)[0] if c.case == "methods.a"]
    assert len(changes) == 1 and changes[0].gap and changes[0].before_version == "3.8"


def test_warning_appearing_is_a_change() -> None:
    """A DeprecationWarning that appears from one version on is a change point."""
    warn = [{"category": "DeprecationWarning", "message": "fork with threads"}]
    m = _matrix(results_doc(version="3.11.0"),
                results_doc(version="3.12.0", observe=lambda c, mm: cell(
                    c, mm, warnings=warn if mm == "fork" else [])))
    (ch,) = history.walk(m)[0]
    assert ch.since == "3.12" and ch.after.endswith("+ DeprecationWarning")


def test_performance_numbers_are_not_changes_but_outcomes_are() -> None:
    """Performance cells change only when the outcome does."""
    def perf(v: float, outcome: str = "ok") -> Any:
        return lambda c, mm: cell(c, mm, outcome=outcome, observed={"median": v, "unit": "ms"})
    case = ["performance.x"]
    m = _matrix(results_doc(version="3.11.0", cases=case, observe=perf(1)),
                results_doc(version="3.12.0", cases=case, observe=perf(7)))
    assert history.walk(m)[0] == []
    m = _matrix(results_doc(version="3.11.0", cases=case, observe=perf(1)),
                results_doc(version="3.12.0", cases=case, observe=perf(7, "timeout")))
    assert len(history.walk(m)[0]) == 1


def test_free_threaded_builds_are_their_own_series() -> None:
    """3.13t is not compared with 3.13 as if it were the next version."""
    m = _matrix(results_doc(version="3.13.0"),
                results_doc(version="3.13.0", free_threading=True, observe=_observer(
                    {"fork": "ft"})))
    assert history.walk(m)[0] == []
    assert {history.series_key(e) for e in m["environments"]} == {
        "linux-cpython", "linux-cpython-t"}


def test_method_table_changes_derived_from_probes() -> None:
    """Default and available-methods changes walking versions ("since 3.14: default ...")."""
    m = _matrix(results_doc(version="3.13.0"),
                results_doc(version="3.14.0", default="forkserver",
                            available=("forkserver", "fork", "spawn")))
    changes = history.method_changes(m)
    assert [(c.since, c.what, c.before, c.after) for c in changes] == [
        ("3.14", "available", "fork, spawn, forkserver", "forkserver, fork, spawn"),
        ("3.14", "default", "fork", "forkserver"),
        ("3.14", "ProcessPoolExecutor default", "fork", "forkserver")]


def test_platform_differences_at_the_same_version() -> None:
    """PyPy 3.9 and CPython 3.9 observing different values is a platform difference."""
    m = _matrix(results_doc(version="3.9.1", observe=_observer({})),
                results_doc(version="3.9.16", impl="pypy", observe=_observer({"spawn": "p"})))
    diffs = history.platform_differences(m)
    assert [(d.case, d.version, d.method) for d in diffs] == [("methods.a", "3.9", "spawn")]


def test_a_change_that_coincides_with_another_system_says_so() -> None:
    """3.13 on the host, 3.14 in the Debian root: the change point, its text and the Answers
    line say the system changed too (the C library or the build may be the cause)."""
    from harness import answers

    host = results_doc(version="3.13.0", observe=_observer({}))
    rooted = results_doc(version="3.14.0", observe=_observer({"forkserver": "new"}))
    rooted["harness"]["environment"]["root"] = "debootstrap sid minbase root sid-root"
    (ch,) = history.walk(_matrix(host, rooted))[0]
    assert ch.moved == "the host → the Debian root"
    assert changetext.change_text(ch).endswith("; also ran on another system: the host → the "
                                            "Debian root)")
    (line,) = [a for a in answers.fails_only_lines([], [ch]) if a.text.startswith("Changed")]
    # in the reader's words, not the harness's ("the Debian root"): review r3; the systems in
    # the folded note, and doubt only where the docs do not predict the change (review r16 #6)
    assert line.text == "Changed between Linux 3.13.0 and 3.14.0 (3.13.1+ not run; 1 may come " \
        "from the other system)"
    assert line.note == ("Linux 3.14.0 ran as Debian's build in a chroot, 3.13.0 on the host "
                         "system: the docs predict none of these changes: they may come from "
                         "the system (its C library, its build of Python).")
    # the cells as their stated expectations say: the docs predict it, no doubt is cast
    (told,) = [a for a in model.build(_matrix(host, rooted)).answer_lines
               if a.text.startswith("Changed")]
    assert told.text == "Changed between Linux 3.13.0 and 3.14.0 (3.13.1+ not run)"
    assert told.note.endswith("3.13.0 on the host system: the docs predict every change here.")
    same_system = copy.deepcopy(host)
    same_system["harness"]["environment"]["python_version"] = "3.14.0"
    same_system["tests"] = rooted["tests"]
    (plain,) = history.walk(_matrix(host, same_system))[0]
    assert plain.moved == "" and "another system" not in changetext.change_text(plain)


def test_where_a_column_ran_counts_every_run() -> None:
    """A column fed by a host run and a root run of the same release ran on both systems."""
    root = "debootstrap sid minbase root sid-root"
    assert history.system_name({"root": None, "runs": [{"root": None}]}) == "the host"
    assert history.system_name({"root": None, "runs": [{"root": None}, {"root": root}]}) == \
        "the Debian root and the host"
    assert history.system_name({"root": root}) == "the Debian root"  # no runs recorded


def _versions(digests: Any, commits: Any = ("abc123", "abc123")) -> MatrixDoc:
    """3.12 then 3.13 with ``observed`` 1 then 2 under fork, each file of its own commit and
    case code digest (None: a file from before results format 1.4)."""
    docs: List[ResultsDoc] = []
    for version, digest, commit, value in zip(("3.12.1", "3.13.0"), digests, commits, (1, 2)):
        extra = {"code_digest": digest} if digest else {}
        docs.append(results_doc(version=version, commit=commit, case_docs=[
            case_doc("methods.a", **extra)], observe=lambda c, m, v=value: cell(
                c, m, observed=v if m == "fork" else 0)))
    return _matrix(*docs)


def test_a_difference_where_the_case_code_changed_is_not_a_change_of_python() -> None:
    """Digests that differ between the two versions' runs: no change point, no Answers line;
    the difference is listed apart, naming the commits."""
    changes, apart = history.walk(_versions(("aaaaaaaaaaaa", "bbbbbbbbbbbb"),
                                            ("1111111111111111", "2222222222222222")))
    assert changes == []
    (code,) = apart
    assert (code.case, code.series, code.methods, code.before_version, code.since) == (
        "methods.a", "linux-cpython", ("fork",), "3.12", "3.13")
    assert changetext.code_change_text(code) == (
        "Linux 3.12 → Linux 3.13: fork: the case's code changed between these runs "
        "(commits 111111111111 → 222222222222)")
    # one commit, two digests: an edit that was never committed still counts
    (_, (same_commit,)) = history.walk(_versions(("aaaaaaaaaaaa", "bbbbbbbbbbbb")))
    assert same_commit.why.endswith("(commit abc123: an uncommitted edit)")


def test_the_same_case_code_from_two_commits_is_compared() -> None:
    """Equal digests: the commits differ, the case did not; a plain change point."""
    (ch,) = history.walk(_versions(("aaaaaaaaaaaa", "aaaaaaaaaaaa"),
                                                ("1111", "2222")))[0]
    assert ch.code == "" and changetext.change_text(ch) == (
        "since Linux 3.13.0 (or earlier: 3.12.1 → 3.13.0 observed): fork: ok 2 (was ok 1 in 3.12)")


def test_old_files_of_two_commits_say_the_case_may_have_changed() -> None:
    """No digests (results before 1.4) and two commits: still a change point, hedged; one
    commit: the same code, no hedge."""
    (ch,) = history.walk(_versions((None, "aaaaaaaaaaaa"), ("1111", "2222")))[0]
    assert changetext.change_text(ch).endswith(
        "(was ok 1 in 3.12; runs of commits 1111 → 2222 record no case code digest: the case "
        "itself may have changed)")
    (plain,) = history.walk(_versions((None, None)))[0]
    assert plain.code == ""


def test_the_page_lists_code_changes_apart_escaped() -> None:
    """The page's "Changes between versions" shows no change point for the case; one line
    (details) counts what was not compared and why, every text escaped."""
    from harness import render

    evil = "<img src=x onerror=alert(1)>"
    html = render.render_html(_versions(("aaaaaaaaaaaa", "bbbbbbbbbbbb"), (evil, "2222")))
    section = html[html.index('<section id="changes">'):]
    section = section[:section.index("</section>")]
    assert "No behaviour changes between the versions in this report" in section
    assert "since 3.13" not in html and evil not in html
    assert ('<summary>Not compared: 1 difference in 1 case whose own code changed between the '
            'two runs (a change of the case, not of Python)</summary>') in section
    assert ("Linux 3.12 → Linux 3.13: fork: the case&#39;s code changed between these "
            "runs (commits &lt;img src=x o → 2222)") in section
    plain = render.render_html(_versions(("aaaaaaaaaaaa", "aaaaaaaaaaaa")))
    assert 'id="changes-not-compared"' not in plain and "since Linux 3.13" in plain


def test_one_columns_runs_of_two_case_versions_are_not_compared_nor_flaky() -> None:
    """Two runs of one column that disagree but ran different case code: the page and
    summary.md count the cell in the "Not compared" line (no ≈ flaky mark), and its tooltip
    says why."""
    from harness import render, summary

    def coded(digest: str, commit: str, value: int) -> ResultsDoc:
        return results_doc(case_docs=[case_doc("methods.a", code_digest=digest)], commit=commit,
                           observe=lambda c, m: cell(c, m, observed=value if m == "fork" else 0))

    m = _matrix(coded("aaaaaaaaaaaa", "1111", 1), coded("bbbbbbbbbbbb", "2222", 2))
    html = render.render_html(m)
    why = "the case&#39;s code changed between these runs (commits 1111 → 2222)"
    assert "Linux 3.12: fork: " + why in html
    assert ('title="runs not compared: %s; the cell shows the newest run and decides no claim"'
            % why) in html
    assert "≈ flaky: runs disagree: <strong>0</strong>" in html
    text = summary.render_summary(m)
    assert "not compared: 1 difference in 1 case whose own code changed" in text
    assert "| flaky: runs disagree | 0 |" in text


def test_finding_counts_say_how_many_cells_ran_two_versions_of_the_case() -> None:
    """Review r5: an edited case's newer run that differs from its expectation raises the
    finding counts. They keep it (the cell's face, its ✗, is the newest run's: the counts
    agree with the marks) and say how many of the cells ran two versions of the case, apart
    for the docs' expectations and the inferred ones, on the page and in summary.md."""
    from harness import model, render, summary

    stated = {"outcome": "ok", "value": 1}
    guessed = {"outcome": "ok", "value": 1, "inferred": True}

    def coded(digest: str, commit: str, hour: int, newer: bool) -> ResultsDoc:
        def observe(c: str, m: str, /) -> CellMeta:
            if m == "fork":  # differs in both runs, alike: no change of the case shows here
                return cell(c, m, observed=9, verdict="unexpected", expected=stated)
            changed = newer and m in ("spawn", "forkserver")
            return cell(c, m, observed=2 if changed else 1, expected=guessed if m == "spawn"
                        else stated, verdict="unexpected" if changed else "as-expected")
        return results_doc(case_docs=[case_doc("methods.a", code_digest=digest)], commit=commit,
                           timestamp="2026-01-01T0%d:00:00+00:00" % hour, observe=observe)

    m = _matrix(coded("bbbbbbbbbbbb", "2222", 1, True), coded("aaaaaaaaaaaa", "1111", 0, False))
    r = model.build(m)
    assert (r.unexpected_cells, r.inferred_cells) == (3, 1)
    assert (r.stated_changed, r.inferred_changed) == (1, 1)
    each = "1 of these cells ran two versions of the case, each counted as its newest run"
    html = render.render_html(m)
    line = html[html.index('id="findings-count"'):]
    line = line[:line.index("</p>")]
    assert "1 case with a cell that differs from the docs (2 cells, %s)" % each in line
    assert "differs from an inferred expectation (1 cell, %s)" % each in line
    assert "in 1 case</strong> (%s)" % each in html  # the Summary's line
    text = summary.render_summary(m)
    assert "differs from the docs: 2 cells in 1 case (%s)" % each in text
    plain = model.build(_matrix(coded("aaaaaaaaaaaa", "1111", 1, True),
                                coded("aaaaaaaaaaaa", "1111", 0, False)))
    assert (plain.stated_changed, plain.inferred_changed) == (0, 0)  # flaky: not an edit


def test_every_text_shows_a_commit_by_one_length(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's commits (summary line, runs), summary.md and the change texts all cut a commit
    at ``case_code.COMMIT_CHARS``: one place."""
    from harness import case_code, render, summary

    monkeypatch.setattr(case_code, "COMMIT_CHARS", 6)
    matrix = _versions(("aaaaaaaaaaaa", "bbbbbbbbbbbb"), ("1234567890abcdef", "fedcba0987654321"))
    html = render.render_html(matrix)
    assert "<code>123456</code>" in html and "1234567" not in html
    assert "`123456`" in summary.render_summary(matrix)
    (code,) = history.walk(matrix)[1]
    assert "(commits 123456 → fedcba)" in changetext.code_change_text(code)


def test_summary_md_says_what_changes_between_versions_left_out() -> None:
    """summary.md's count of changes between versions says what it left out (the page's "Not
    compared" line), not a bare "0 cases"; with the same code it adds nothing."""
    from harness import summary

    text = summary.render_summary(_versions(("aaaaaaaaaaaa", "bbbbbbbbbbbb"), ("1111", "2222")))
    assert ("changes between versions: 0 cases (not compared: 1 difference in 1 case whose own "
            "code changed between the two runs (a change of the case, not of Python))") in text
    plain = summary.render_summary(_versions(("aaaaaaaaaaaa", "aaaaaaaaaaaa")))
    assert "changes between versions: 1 case ·" in plain and "not compared:" not in plain


def test_a_platform_difference_between_runs_of_different_case_code_says_so() -> None:
    """CPython and PyPy 3.9 differ, but their runs had different case code: the difference
    says it is not the platform's; with the same code it says nothing more."""
    def docs(digests: Any) -> MatrixDoc:
        return _matrix(*[results_doc(version=v, impl=impl, commit=commit, case_docs=[
            case_doc("methods.a", code_digest=d)], observe=_observer({"spawn": value}))
            for v, impl, commit, d, value in zip(("3.9.1", "3.9.16"), ("cpython", "pypy"),
                                                 ("1111", "2222"), digests, ("c", "p"))])

    (d,) = history.platform_differences(docs(("aaaaaaaaaaaa", "bbbbbbbbbbbb")))
    assert d.code == ("the case's code changed between these runs (commits 1111 → 2222): "
                      "not a platform difference")
    (same,) = history.platform_differences(docs(("aaaaaaaaaaaa", "aaaaaaaaaaaa")))
    assert same.code == ""


# The reviewer's case (a maintainer whose package broke on 3.14 with a PicklingError): six
# keys, two of which change. What is compared must stay visible however long the value is.
_ERRORS = {"generator": "TypeError", "lambda": "PicklingError",
           "local_class_instance": "AttributeError", "local_function": "AttributeError",
           "open_file": "TypeError", "threading_lock": "TypeError"}
_ERRORS_314 = dict(_ERRORS, local_class_instance="PicklingError", local_function="PicklingError")


def test_a_change_of_an_objects_keys_names_only_those_keys() -> None:
    """The change text shows the keys that differ, old → new (a cut from the start hid them:
    both sides read 'ok {"generator": "TypeError", "lambda": …')."""
    m = _matrix(results_doc(version="3.13.0", observe=_observer({"spawn": _ERRORS})),
                results_doc(version="3.14.0", observe=_observer({"spawn": _ERRORS_314})))
    (ch,) = history.walk(m)[0]
    assert ch.delta == ("local_class_instance: AttributeError → PicklingError; "
                        "local_function: AttributeError → PicklingError")
    assert changetext.change_text(ch) == (
        "since Linux 3.14.0 (or earlier: 3.13.0 → 3.14.0 observed): spawn: ok, keys that "
        "differ from 3.13: " + ch.delta)
    assert "generator" not in ch.before + ch.after


def test_a_platform_difference_of_an_object_shows_the_keys_that_differ() -> None:
    """PyPy's value differs from CPython's in two keys: each side shows those, ``…`` the rest."""
    pypy = dict(_ERRORS, generator="PicklingError", threading_lock="PicklingError")
    m = _matrix(results_doc(version="3.9.1", observe=_observer({"spawn": _ERRORS})),
                results_doc(version="3.9.16", impl="pypy", observe=_observer({"spawn": pypy})))
    (d,) = history.platform_differences(m)
    assert d.by_series == (
        ("linux-cpython", "ok {generator: TypeError, threading_lock: TypeError, …}"),
        ("linux-pypy", "ok {generator: PicklingError, threading_lock: PicklingError, …}"))


def test_long_values_that_are_not_objects_are_cut_where_they_differ() -> None:
    """Two long lists equal but for their last item: both texts end with their last items."""
    long = list(range(40))
    m = _matrix(results_doc(version="3.13.0", observe=_observer({"fork": long})),
                results_doc(version="3.14.0", observe=_observer({"fork": long[:-1] + [99]})))
    (ch,) = history.walk(m)[0]
    assert ch.before.startswith("ok …") and ch.before.endswith("38, 39]")
    assert ch.after.startswith("ok …") and ch.after.endswith("38, 99]")
    assert not ch.delta


def test_key_texts_tell_absent_keys_and_types_apart() -> None:
    """A key one side lacks reads ``(absent)``; ``1`` and ``"1"`` stay distinguishable."""
    from harness import text

    assert text.key_changes({"a": 1, "b": 2}, {"b": 2}) == "a: 1 → (absent)"
    assert text.key_changes({"a": 1}, {"a": "1"}) == 'a: 1 → "1"'
    assert text.key_changes({"a": 1}, {"a": 1}) is None and text.key_changes(1, 2) is None
    many = dict.fromkeys("abcdefgh", 0)
    assert str(text.key_changes(many, dict.fromkeys(many, 1), "->")).endswith(
        "f: 0 -> 1; and 2 more keys")


def _findings_line(*docs: ResultsDoc) -> str:
    from harness import render

    html = render.render_html(_matrix(*docs))
    line = html.split('<section id="findings">', 1)[1].split("<p", 1)[1].split("</p>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", "", line.split(">", 1)[1]).split())


def test_the_findings_line_counts_only_what_the_data_can_show() -> None:
    """One environment: the Findings line says how many findings in all and what each number
    counts, and names no change between versions nor platforms (it read "… changes between
    versions (0 cases) or platforms: 1 case", the total). Two versions of one platform: it
    counts the changes, still no platforms; CPython and PyPy at one version: it counts the cases
    that differ between implementations."""
    odd = lambda c, m: cell(c, m, observed="odd", verdict="unexpected")  # noqa: E731
    one = _findings_line(results_doc(observe=odd))
    assert one.startswith("1 finding in all"), one
    assert "1 case with a cell that differs from the docs (3 cells)" in one, one
    assert "platforms" not in one and "versions" not in one, one
    two = _findings_line(results_doc(version="3.12.1"),
                         results_doc(version="3.13.0", observe=_observer({"fork": "new"})))
    assert two.startswith("1 finding in all"), two
    assert "1 case whose behaviour changes between versions" in two and "platforms" not in two
    apart = _findings_line(results_doc(), results_doc(impl="pypy", observe=_observer(
        {"spawn": "other"})))
    assert "0 cases whose behaviour changes between versions" not in apart, apart
    assert apart.endswith("1 case whose behaviour differs between implementations at one "
                          "Python version."), apart  # CPython against PyPy: not "platforms"
    oses = _findings_line(results_doc(observe=odd), results_doc(os_name="macos", observe=odd))
    assert oses.endswith("0 cases whose behaviour differs between operating systems at one "
                         "Python version."), oses

