"""How `check` quotes what went wrong: an error's heading keeps its message's end, a hang whose
stderr kept only the end of spawn's RuntimeError quotes it from its start, and `--json`'s detail
reads as the text does."""

from __future__ import annotations

from harness.check import format_table
from harness.check_where import format_hangs, format_tracebacks, readable_detail
from harness.results import HANG_QUOTE
from harness.runner import CaseRun
from harness.vocab import Outcome

#: spawn's RuntimeError as check names it for a child that started a process while importing
#: the main module (check._refine: its first sentences, then where).
BOOTSTRAP = ("An attempt has been made to start a new process before the current process has "
             "finished its bootstrapping phase. (in a child, before its target ran)")
KILLED = "no result within the hard timeout; process tree killed"


def _failed() -> CaseRun:
    return CaseRun(case="t", method="spawn", outcome=Outcome.ERROR, error={
        "type": "RuntimeError", "where": "child", "message": BOOTSTRAP,
        "traceback": [{"file": "/home/u/jobs.py", "line": 8, "function": "<module>",
                       "code": "pool = multiprocessing.Pool(2)"}]})


def test_an_error_heading_keeps_the_start_and_the_end_of_its_message() -> None:
    text = format_tracebacks({("3.11", "spawn"): _failed()}, ["3.11"], "/home/u")
    heading = text.splitlines()[1]
    assert heading.startswith("  [1] child RuntimeError: An attempt has been made to start a new "
                              "process"), heading
    assert heading.endswith(" phase. (in a child, before its target ran)  in "
                            "3.11[spawn]"), heading
    assert " … " in heading and len(heading.partition("  in ")[0]) <= 126


def test_a_message_that_starts_with_a_line_break_is_quoted_from_its_words() -> None:
    """spawn's RuntimeError, raised where check's wrapper sees it, starts with a line break."""
    run = _failed()
    assert run.error is not None
    run.error["message"] = "\n        An attempt has been made to start a new process before the\n"
    assert "error (child RuntimeError: An attempt has been made" in format_table(
        {("3.11", "spawn"): run}, ["3.11"])  # not "RuntimeError: " and nothing


def _hang(stderr: str, said: str) -> CaseRun:
    return CaseRun(case="t", method="forkserver", outcome=Outcome.TIMEOUT, stderr=stderr,
                   detail=KILLED + HANG_QUOTE + said)


def test_a_hang_that_kept_only_the_end_of_spawns_error_quotes_its_start() -> None:
    """PyPy 3.9's forkserver under an unguarded Pool: stderr kept the first frames and the
    kill's warnings; the last line before the kill was the RuntimeError's last."""
    said = "is not going to be frozen to produce an executable."
    run = _hang('Traceback (most recent call last):\n  File "x.py", line 8, in <module>\n'
                "[... 9000 bytes cut by the harness ...]\nUserWarning: resource_tracker\n", said)
    quote = ("RuntimeError: An attempt has been made to start a new process before the current "
             "process has finished its bootstrapping phase. … " + said)
    assert format_hangs({("pypy3.9", "forkserver"): run}, ["pypy3.9"]).splitlines()[1] == (
        "  pypy3.9[forkserver]: " + quote)
    assert readable_detail(run) == KILLED + "; where it hung: " + quote


def test_json_detail_keeps_a_plain_last_line() -> None:
    run = _hang("parent: joining\n", "parent: joining")
    assert readable_detail(run) == run.detail
    ok = CaseRun(case="t", method="fork", outcome=Outcome.OK, detail="x")
    assert readable_detail(ok) == "x"
