"""`check`'s table marks each interpreter's default start method, as the interpreter reported
it, says what running the program as it is does, and fits the terminal without losing an
error; `--pytest` says the works-only-with-fork-default summary once.

Expectations: the default is the first of ``get_all_start_methods()`` (the docs' "Contexts and
start methods"), fork on Linux up to 3.13 and forkserver from 3.14 (What's New in Python 3.14,
"multiprocessing"); here each run's ``default_method`` stands for what its interpreter said.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import pytest

from harness import check, check_pytest
from harness.runner import CaseRun
from harness.vocab import Outcome

METHODS = ("fork", "forkserver", "spawn")
LONG = ("CONFIG was never loaded in this worker process; call load_config() before starting "
        "any worker")


def _run(method: str, default: Optional[str], outcome: Outcome = Outcome.OK,
         error: Optional[Dict[str, Any]] = None) -> CaseRun:
    observed: Dict[str, Any] = {"start_attempts": 1, "methods_used": [method]}
    if default:
        observed["default_method"] = default
    return CaseRun(case="t", method=method, outcome=outcome, observed=observed, error=error)


def _fails_off_fork(default_of: Dict[str, str]) -> Dict[Tuple[str, str], CaseRun]:
    """Ok under fork, the same long error under forkserver and spawn, on each interpreter."""
    error = {"type": "RuntimeError", "message": LONG, "where": "child"}
    return {(i, m): _run(m, d, *(() if m == "fork" else (Outcome.ERROR, error)))
            for i, d in default_of.items() for m in METHODS}


def _row(table: str, interp: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(interp + " "))


def test_each_interpreters_default_is_marked_from_what_it_reported() -> None:
    """The mark follows the reported default, not the version: a "3.14" that reported fork
    (an interpreter whose default was changed) gets it on fork."""
    runs = _fails_off_fork({"3.12": "fork", "3.14": "forkserver", "odd 3.14": "fork"})
    table = check.format_table(runs, ["3.12", "3.14", "odd 3.14"])
    assert _row(table, "3.12").split()[1] == "ok*"
    assert "error*" in _row(table, "3.14") and "ok*" not in _row(table, "3.14")
    assert _row(table, "odd 3.14").split()[2] == "ok*"
    assert sum(line.count("*") for line in table.splitlines()[2:5]) == 3
    assert table.splitlines()[-1].startswith("* the interpreter's default start method")


def test_no_mark_and_no_legend_when_no_run_reported_a_default() -> None:
    runs = {("3.12", m): CaseRun(case="t", method=m, outcome=Outcome.TIMEOUT, detail="killed")
            for m in METHODS}
    table = check.format_table(runs, ["3.12"])
    assert "*" not in table
    assert check.as_it_is(runs, ["3.12"]) == (
        "default method not known on 3.12 (no run there reported it)")


def test_the_summary_says_where_it_fails_as_it_is() -> None:
    runs = _fails_off_fork({"3.12": "fork", "3.14": "forkserver"})
    assert check.as_it_is(runs, ["3.12", "3.14"]) == (
        "fails as it is on 3.14 (default forkserver: error [1]); works as it is on 3.12 "
        "(default fork)")
    # The number is the error's in the list below the table, as the narrowed table gives it.
    assert "error* [1]" in _row(check.format_table(runs, ["3.12", "3.14"], 40), "3.14")
    fine = {("3.14", m): _run(m, "forkserver") for m in METHODS}
    assert check.as_it_is(fine, ["3.14"]) == ""  # nothing failed: the summary says so


@pytest.mark.parametrize("width", [60, 80, 100])
def test_the_table_fits_the_width_and_every_error_is_listed_once(width: int) -> None:
    runs = _fails_off_fork({"3.12": "fork", "3.13 (root)": "fork", "3.14": "forkserver"})
    interps = ["3.12", "3.13 (root)", "3.14"]
    table = check.format_table(runs, interps, width=width, cwd="/")
    assert max(len(line) for line in table.splitlines()[:5]) <= width, table
    assert LONG not in table and table.count("[1]") == 6
    listed = check.format_tracebacks(runs, interps, "/")
    assert listed.count(LONG) == 1 and "  [1] child RuntimeError: " + LONG in listed
    assert "  in forkserver/spawn on 3.12, 3.13 (root) and 3.14" in listed


def test_the_note_of_what_a_cell_did_not_check_goes_below_a_narrow_table() -> None:
    """A script that raises SyntaxError starts no process: "error* [1] (no process started)"
    in every cell made the narrowest table 108 columns wide when 80 were promised (README,
    "The table fits your terminal"). The note gives way, said once below the table."""
    error = {"type": "SyntaxError", "message": "invalid syntax (syn.py, line 2)",
             "where": "parent"}
    runs = {(i, m): CaseRun(case="t", method=m, outcome=Outcome.ERROR, error=error,
                            observed={"start_attempts": 0, "default_method": "fork"})
            for i in ("3.11", "3.12") for m in METHODS}
    table = check.format_table(runs, ["3.11", "3.12"], width=80, cwd="/")
    assert max(len(line) for line in table.splitlines()) <= 80, table
    assert _row(table, "3.11").split()[1:] == ["error*", "[1]", "error", "[1]", "error", "[1]"]
    assert table.count("no process started") == 1
    assert table.splitlines()[-1] == "(no process started): every method on 3.11 and 3.12"
    wide = check.format_table(runs, ["3.11", "3.12"], width=None, cwd="/")
    assert wide.count("(no process started)") == 6  # where it fits, each cell says it


def test_a_table_that_fits_keeps_the_errors_text_and_without_a_width_too() -> None:
    runs = _fails_off_fork({"3.12": "fork"})
    assert "error (child RuntimeError: CONFIG" in check.format_table(runs, ["3.12"])
    assert "error (child RuntimeError: CONFIG" in check.format_table(runs, ["3.12"], 200, "/")


def test_the_width_is_the_terminals_and_columns_says_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "73")
    assert check.terminal_width() == 73
    monkeypatch.delenv("COLUMNS")
    assert check.terminal_width() > 0


def _verdict(test: str) -> check_pytest.DependentTest:
    fork_default = {"code": "works-only-with-fork-default", "message": "it works under fork",
                    "fix": "fix it", "links": ["https://docs.python.org/3.14/whatsnew/3.14.html"]}
    own = {"code": "global-differs", "message": "the child saw %s" % test, "fix": "pass it",
           "links": ["https://docs.python.org/3/library/multiprocessing.html"]}
    return check_pytest.DependentTest(
        test=test, interpreter="3.12", outcomes={"fork": "passed", "spawn": "failed"},
        errors={"spawn": "AssertionError"}, diagnoses=[own, fork_default])


def test_pytest_says_works_only_with_fork_default_once_with_its_tests() -> None:
    runs = {("3.12", m): _run(m, "fork") for m in ("fork", "spawn")}
    for run in runs.values():
        run.observed["tests"] = {"t::a": {"outcome": "passed"}}
    text = check_pytest.format_tests([_verdict("t::a"), _verdict("t::b")], [], runs)
    assert text.count("[works-only-with-fork-default]") == 1
    assert text.count("[global-differs]") == 2  # each test's own cause stays with it
    block = text[text.index("[works-only-with-fork-default]"):]
    assert "in 2 test(s):\n    t::a (3.12)\n    t::b (3.12)" in block
    assert "  fork*      passed" in text and "  spawn      failed" in text


def test_the_lines_below_the_table_fit_its_width_and_keep_links_whole() -> None:
    """Wrapped at spaces, each line going on further in than it starts; a link longer than the
    width is never broken (it runs past on a line of its own, to be copied whole)."""
    from harness.check_table import fit

    link = "https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods"
    text = "[cause] %s\n  fix: %s\n  see: %s\nshort" % (LONG, LONG, link)
    lines = fit(text, 50).splitlines()
    assert [line for line in lines if len(line) > 50] == ["      " + link]
    assert lines[1].startswith("    ") and not lines[1].startswith("     ")
    assert lines[-1] == "short"
    assert " ".join(fit(text, 50).split()) == " ".join(text.split())  # no word lost or cut
    assert fit(text, None) == text


def test_an_error_without_a_message_is_its_type_alone() -> None:
    """queue.Empty from get(timeout=...) has no message (review r10): the table and the list of
    errors read "Empty", not "Empty:"."""
    empty = {"type": "Empty", "message": "", "where": "parent"}
    runs = {("3.12", m): _run(m, "fork", Outcome.ERROR, empty) for m in METHODS}
    table = check.format_table(runs, ["3.12"], width=None, cwd="/")
    assert "error (Empty)" in table and "Empty:" not in table, table
    listed = check.format_tracebacks(runs, ["3.12"], "/")
    assert "  [1] Empty  in " in listed and "Empty:" not in listed, listed


def test_a_program_every_run_of_which_hit_the_limit_is_not_said_to_fail_as_it_is() -> None:
    """"fails as it is on 3.12 (default fork: timeout)" beside the last line's "a slow
    program, or a hang" contradicted it (review r13): such an interpreter is still running at
    the limit as it is; another one's timeout still fails."""
    runs = {(i, m): CaseRun(case="t", method=m, outcome=Outcome.TIMEOUT, detail="killed",
                            observed={"default_method": "fork"})
            for i in ("3.12", "3.13") for m in METHODS}
    slow = check.at_the_limit(runs, [])
    assert slow == ["3.12", "3.13"]
    assert check.as_it_is(runs, ["3.12", "3.13"], slow=slow[:1]) == (
        "fails as it is on 3.13 (default fork: timeout); still running at the limit as it is "
        "on 3.12 (default fork)")
