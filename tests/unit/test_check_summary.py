"""`check`'s last line and its cells say what the runs checked, and no more."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Tuple

from harness import check, check_pytest, check_tests
from harness.runner import CaseRun
from harness.vocab import Outcome


def _run(method: str, outcome: Outcome = Outcome.OK, started: int = 1,
         used: Optional[List[str]] = None, error: Optional[Dict[str, Any]] = None,
         **observed: Any) -> CaseRun:
    seen = dict(observed, processes_started=started, start_attempts=started,
                methods_used=[method] if used is None else used)
    return CaseRun(case="t", method=method, outcome=outcome, observed=seen, error=error)


def _summary(runs: Dict[Tuple[str, str], CaseRun]) -> str:
    return check.summary_line(runs, check.diagnose(runs), check.unchecked_cells(runs))


def test_every_method_exercised_and_ok() -> None:
    runs = {("3.12", m): _run(m) for m in ("fork", "spawn", "forkserver")}
    assert _summary(runs) == "no problem found: it works under every start method"
    assert "ran" not in check.format_table(runs, ["3.12"])


def test_a_method_the_program_chose_itself_is_named_not_checked() -> None:
    runs = {("3.12", m): _run(m, used=["fork"]) for m in ("fork", "spawn", "forkserver")}
    line = _summary(runs)
    assert line.startswith("no problem found under the methods that ran; not checked: "
                           "3.12[forkserver] (ran fork), 3.12[spawn] (ran fork)")
    assert "every start method" not in line
    assert "ok (ran fork)" in check.format_table(runs, ["3.12"])


def test_no_process_started_checks_nothing() -> None:
    runs = {("3.12", m): _run(m, started=0, used=[]) for m in ("fork", "spawn")}
    runs[("3.12", "forkserver")] = CaseRun("t", "forkserver", Outcome.UNAVAILABLE)
    assert _summary(runs).startswith("no process was started under any method")


def test_the_same_failure_everywhere_is_not_about_the_method() -> None:
    error = {"type": "SyntaxError", "message": "invalid syntax", "where": "parent"}
    runs = {("3.12", m): _run(m, Outcome.ERROR, started=0, used=[], error=error)
            for m in ("fork", "spawn", "forkserver")}
    assert _summary(runs).startswith("it fails the same way under every method (SyntaxError)")


def test_a_target_that_cannot_be_loaded_is_a_usage_error() -> None:
    error = {"type": "ModuleNotFoundError", "message": "No module named 'jobz'",
             "where": "parent"}
    runs = {("3.12", m): _run(m, Outcome.ERROR, started=0, used=[], error=error)
            for m in ("fork", "spawn")}
    assert check.load_failure(runs, "jobz:work") == "ModuleNotFoundError: No module named 'jobz'"
    assert check.load_failure(runs, "script.py") == ""  # a script's failure is its own
    runs[("3.12", "fork")] = _run("fork")
    assert check.load_failure(runs, "jobz:work") == ""


def test_works_only_with_fork_default_names_only_what_failed() -> None:
    """spawn passed, forkserver failed: the diagnosis names forkserver and where it is the
    default, not macOS and Windows (it said both whatever failed)."""
    error = {"type": "TypeError", "message": "boom", "where": "child"}
    runs = {("3.12", "fork"): _run("fork", default_method="fork"),
            ("3.12", "spawn"): _run("spawn"),
            ("3.12", "forkserver"): _run("forkserver", Outcome.ERROR, error=error)}
    diag = next(d for d in check.diagnose(runs) if d.code == "works-only-with-fork-default")
    assert "fails under forkserver" in diag.message and "Linux" in diag.message
    assert "macOS" not in diag.message
    assert diag.cells == ("3.12[forkserver]",)


def test_a_cell_quotes_an_error_without_addresses_or_the_follow_on() -> None:
    error = {"type": "PicklingError", "where": "parent",
             "message": "Can't pickle <function <lambda> at 0x7fc63652a0>: attribute lookup "
                        "failed", "also": "then in the parent: Empty"}
    text = check.format_table({("3.12", "spawn"): _run("spawn", Outcome.ERROR, error=error)},
                              ["3.12"])
    assert "0x7fc" not in text and "then in the parent" not in text


def test_pytest_says_when_no_test_ran_or_a_run_was_not_compared() -> None:
    tests = {"t.py::test_a": {"outcome": "passed", "error": ""}}
    nothing = {("3.12", m): _run(m) for m in ("fork", "spawn")}
    assert not check_tests.tests_ran(nothing)
    assert "no test ran under any method" in check_pytest.format_tests([], [], nothing)
    partly = {("3.12", "spawn"): _run("spawn", tests=tests,
                                      methods_by_test={"t.py::test_a": ["spawn"]}),
              ("3.12", "fork"): CaseRun("t", "fork", Outcome.TIMEOUT, detail="killed")}
    text = check_pytest.format_tests([], [], partly)
    # One run recorded the test: nothing compared, not "no test depends on the method".
    assert "no test ran under two methods of one interpreter: nothing was compared" in text
    partly[("3.12", "forkserver")] = _run("forkserver", tests=tests,
                                          methods_by_test={"t.py::test_a": ["forkserver"]})
    text = check_pytest.format_tests([], [], partly)
    assert "among the runs that finished (not compared: 3.12[fork])" in text


def test_a_failure_under_a_method_the_program_chose_is_not_everyones() -> None:
    """The program pins spawn and fails without a known cause: not "the same under every
    method" (only spawn ran), and the failing cells are failures, not "not checked"."""
    error = {"type": "RuntimeError", "message": "boom", "where": "parent"}
    runs = {("3.12", m): _run(m, Outcome.ERROR, used=["spawn"], error=error)
            for m in ("fork", "spawn", "forkserver")}
    line = _summary(runs)
    assert "every method" not in line and "not checked" not in line


def test_pytest_counts_only_tests_that_started_a_process_with_their_runs_method() -> None:
    tests = {"t.py::test_pool": {"outcome": "passed", "error": ""},
             "t.py::test_plain": {"outcome": "passed", "error": ""},
             "t.py::test_pinned": {"outcome": "passed", "error": ""}}
    runs = {("3.12", m): _run(m, tests=tests, methods_by_test={
        "t.py::test_pool": [m], "t.py::test_pinned": ["fork"]}) for m in ("spawn", "forkserver")}
    assert check_tests.exercised(runs) == (["t.py::test_pool"],
                                            ["t.py::test_pinned", "t.py::test_plain"])
    only_pinned = {k: _run(k[1], tests=tests, methods_by_test={"t.py::test_pinned": ["fork"]})
                   for k in runs}
    assert check_tests.exercised(only_pinned)[0] == []
    assert "nothing about start methods was checked" in check_pytest.format_tests(
        [], [], only_pinned)


def test_a_test_missing_from_a_run_cut_short_is_not_compared() -> None:
    """-x or pytest.exit() ends one method's run early: its missing tests are not "not run"
    against the other methods (that read as method-dependent)."""
    both = {"t.py::test_a": {"outcome": "failed", "error": "E"},
            "t.py::test_b": {"outcome": "passed", "error": ""}}
    cut = {"t.py::test_a": {"outcome": "passed", "error": ""}}
    runs = {("3.12", "fork"): _run("fork", tests=cut),
            ("3.12", "spawn"): _run("spawn", tests=both)}
    verdicts, _ = check_pytest.compare(runs)
    assert [v.test for v in verdicts] == ["t.py::test_a"]


def test_the_second_error_of_a_cell_is_shown() -> None:
    error = {"type": "TypeError", "where": "child",
             "message": "boom", "also": "then in the parent: Empty"}
    runs = {("3.12", "spawn"): _run("spawn", Outcome.ERROR, error=error)}
    assert "3.12[spawn]: then in the parent: Empty" in check.format_follow_ons(runs, ["3.12"])
    assert check.format_follow_ons({("3.12", "fork"): _run("fork")}, ["3.12"]) == ""


def test_a_run_that_crashed_names_the_test_it_was_in() -> None:
    crashed = CaseRun("t", "spawn", Outcome.CRASH, detail="exited with code 3 without a result",
                      stderr="check: running t.py::test_a\ncheck: running t.py::test_exit\n")
    text = check_pytest.format_tests([], [], {("3.12", "spawn"): crashed})
    assert "exited with code 3 without a result (in t.py::test_exit)" in text


def test_each_error_is_shown_once_with_the_users_frames() -> None:
    """An error seen in several cells is shown once, with its cells and its frames (paths
    relative to the folder check ran in), numbered as the table refers to it; an error without
    the user's frames is listed too, without frames."""
    frames = [{"file": "/home/me/proj/jobs.py", "line": 5, "function": "work",
               "code": "raise ValueError(n)"}]
    error = {"type": "ValueError", "message": "bad 2", "where": "child", "traceback": frames}
    runs = {("3.12", m): _run(m, Outcome.ERROR, error=error) for m in ("fork", "spawn")}
    runs[("3.12", "forkserver")] = _run("forkserver", Outcome.ERROR, error={
        "type": "ChildFailed", "message": "exited", "where": "child"})
    assert check.format_tracebacks(runs, ["3.12"], "/home/me/proj").splitlines()[1:] == [
        "  [1] child ValueError: bad 2  in fork/spawn on 3.12",
        "      jobs.py:5 in work: raise ValueError(n)",
        "  [2] child ChildFailed: exited  in 3.12[forkserver]"]
    assert check.format_tracebacks({("3.12", "fork"): _run("fork")}, ["3.12"], "/") == ""


def test_processes_from_named_contexts_say_so_and_are_still_diagnosed() -> None:
    """A cell whose processes all came from contexts asked for by name checked no default: it
    says so, and what failed there is still diagnosed (it is the cell of that method)."""
    from harness.check_diagnose import diagnose

    lam = {"type": "PicklingError", "message": "Can't pickle <function <lambda>>",
           "where": "parent"}
    runs = {("3.12", "spawn"): _run("spawn", Outcome.ERROR, used=["fork", "spawn"], error=lam,
                                    explicit_only=True),
            ("3.12", "fork"): _run("fork", used=["fork", "spawn"], explicit_only=True),
            ("3.12", "forkserver"): _run("forkserver", used=["fork", "spawn"],
                                         explicit_only=True)}
    table = check.format_table(runs, ["3.12"])
    assert "ok (explicit context: fork/spawn)" in table
    assert "ok (ran fork/spawn)" in table
    assert [d.code for d in diagnose(runs)] == ["lambda-or-local-function"]
    assert "ok (explicit" not in check.format_table({("3.12", "fork"): _run("fork")}, ["3.12"])


def test_when_no_cell_checked_its_method_the_summary_says_so_once() -> None:
    """Every cell used only methods asked for by name: one sentence, not a list of every cell;
    not "a method it chose itself" (ProcessPoolExecutor(max_tasks_per_child=...) without an
    mp_context asks for spawn on the program's behalf, the concurrent.futures docs)."""
    runs = {(i, m): _run(m, used=["fork", "spawn"], explicit_only=True)
            for i in ("3.12", "3.14") for m in ("fork", "spawn", "forkserver")}
    assert _summary(runs) == (
        "no problem found under the methods that ran; no cell checked the method it made the "
        "default (--json lists why) — its processes start with a method asked for by name "
        "(set_start_method or get_context, by the program or a library it calls): nothing "
        "about start methods was compared")


def test_a_line_the_same_in_many_cells_is_said_once() -> None:
    """A hang or a parent's follow-on error the same in every cell: one line naming the cells
    (six lines of "then in the parent: Empty" said nothing more than one)."""
    from harness.results import HANG_QUOTE

    killed = "no result within the hard timeout; process tree killed" + HANG_QUOTE
    hangs = {("3.12", m): CaseRun(case="t", method=m, outcome=Outcome.TIMEOUT,
                                  detail=killed + ("joining" if m != "spawn" else "other"))
             for m in ("fork", "forkserver", "spawn")}
    assert check.format_hangs(hangs, ["3.12"]).splitlines()[1:] == [
        "  fork/forkserver on 3.12: joining", "  3.12[spawn]: other"]
    error = {"type": "TypeError", "message": "x", "where": "child",
             "also": "then in the parent: Empty"}
    runs = {(i, m): _run(m, Outcome.ERROR, error=error) for i in ("3.8", "3.12")
            for m in ("spawn", "forkserver")}
    assert check.format_follow_ons(runs, ["3.8", "3.12"]).splitlines()[1:] == [
        "  forkserver/spawn on 3.8 and 3.12: then in the parent: Empty"]


def test_the_summary_names_failures_no_cause_explains() -> None:
    """A cause found on one interpreter does not explain another's hangs (a
    ProcessPoolExecutor given a local function hangs on 3.8 and raises on 3.12): the last line
    names the cells no cause explains instead of saying nothing about them, and which globals
    are not compared, not only a change after start() (review r10: the limit named was not
    what happened)."""
    local = {"type": "AttributeError", "where": "parent",
             "message": "Can't pickle local object 'main.<locals>.offset'"}
    runs = {("3.8", m): CaseRun(case="t", method=m, outcome=Outcome.TIMEOUT, detail="killed")
            for m in ("fork", "spawn")}
    runs.update({("3.12", m): _run(m, Outcome.ERROR, error=local) for m in ("fork", "spawn")})
    assert _summary(runs) == (
        "No known cause recognised for fork/spawn on 3.8: read the errors and hangs listed "
        "after the table (not compared with the child: globals other than numbers, text, "
        "containers and settings objects (argparse or simple namespaces, your classes' "
        "objects), a module imported before check's watch, what a spawn or forkserver "
        "child's own processes see, and a change the parent made after start())")


def test_a_program_that_works_with_a_warning_is_not_called_problem_free() -> None:
    """Every cell ok but a cause found (logging not configured in the children): the last line
    does not say "no problem found" under it."""
    lost = [{"log_handlers_lost": True}]
    runs = {("3.12", m): _run(m, children=lost if m != "fork" else [])
            for m in ("fork", "spawn", "forkserver")}
    assert _summary(runs) == "nothing failed under any start method, but read the causes above"


def test_pytest_runs_not_run_for_one_reason_are_said_once() -> None:
    """pytest missing in an interpreter: one line for its three runs, cells named as
    everywhere else (`3.12[fork]`, not `3.12 [fork]`)."""
    missing = {("3.12", m): CaseRun("t", m, Outcome.UNAVAILABLE, detail="pytest is not "
                                    "installed in this interpreter")
               for m in ("fork", "forkserver", "spawn")}
    assert check_pytest.format_tests([], [], missing).splitlines()[0] == (
        "every method on 3.12: not run (pytest is not installed in this "
        "interpreter)")


def test_a_cell_that_ran_the_method_a_cause_explains_is_explained() -> None:
    """The program sets spawn itself and sends a lambda: the fork and forkserver cells ran
    spawn and failed as the spawn cell did, whose cause is named; the last line does not call
    them 'no known cause recognised'. A cell that ran a method no cause explains still is."""
    local = {"type": "AttributeError", "where": "parent",
             "message": "Can't pickle local object 'main.<locals>.<lambda>'"}
    runs = {("3.12", m): _run(m, Outcome.ERROR, used=["spawn"], error=local)
            for m in ("fork", "spawn", "forkserver")}
    line = _summary(runs)
    assert "no known cause" not in line.lower(), line
    boom = {"type": "RuntimeError", "message": "boom", "where": "parent"}
    runs[("3.8", "fork")] = _run("fork", Outcome.ERROR, used=["spawn"], error=boom)
    runs[("3.8", "spawn")] = _run("spawn", Outcome.ERROR, used=["spawn"], error=boom)
    assert _summary(runs).startswith("No known cause recognised for fork/spawn on 3.8")


def test_a_child_that_died_before_its_target_ran_is_named_by_its_whole_sentence() -> None:
    """The bootstrapping RuntimeError's message starts on the next line and runs over three:
    the error reads its first sentence whole, not "... start a new process before the"."""
    from harness.check import _refine

    stderr = ('Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
              "RuntimeError: \n"
              "        An attempt has been made to start a new process before the\n"
              "        current process has finished its bootstrapping phase.\n\n"
              "        This probably means that you are not using fork to start your\n")
    run = CaseRun(case="t", method="spawn", outcome=Outcome.ERROR, stderr=stderr, error={
        "type": "ChildFailed", "where": "child",
        "message": "a child exited with code 1 before its target ran"})
    error = _refine(run).error or {}
    assert error["type"] == "RuntimeError"
    assert error["message"] == (
        "An attempt has been made to start a new process before the current process has "
        "finished its bootstrapping phase. (in a child, before its target ran)")


def test_pytest_lists_runs_and_tests_in_the_order_of_the_table() -> None:
    """--pytest --python 3.8 --python 3.12: 3.8's runs and tests before 3.12's, as check's table
    and causes list them (sorted as text, 3.12 came first)."""
    missing = "pytest is not installed in this interpreter"
    runs = {(i, m): CaseRun("t", m, Outcome.UNAVAILABLE, detail=missing)
            for i in ("3.8", "3.12") for m in ("spawn", "fork")}
    assert check_pytest.format_tests([], [], runs).splitlines()[0].startswith(
        "fork/spawn on 3.8 and 3.12: not run")
    tests = {"t.py::a": {"outcome": "passed", "error": ""}}
    failed = {"t.py::a": {"outcome": "failed", "error": "boom"}}
    runs = {(i, m): _run(m, tests=failed if m == "spawn" else tests)
            for i in ("3.8", "3.12") for m in ("fork", "spawn")}
    verdicts, _ = check_pytest.compare(runs)
    assert [v.interpreter for v in verdicts] == ["3.8", "3.12"]


def test_works_only_with_the_fork_default_does_not_explain_why() -> None:
    """Fine under fork, an unknown error under spawn: works-only-with-fork-default says where
    it breaks, not why, so the last line still says no cause was recognised for spawn (there
    was no last line at all)."""
    error = {"type": "TypeError", "message": "boom", "where": "child"}
    runs = {("3.12", "fork"): _run("fork", default_method="fork"),
            ("3.12", "spawn"): _run("spawn", Outcome.ERROR, error=error)}
    assert [d.code for d in check.diagnose(runs)] == ["works-only-with-fork-default"]
    assert _summary(runs).startswith("No known cause recognised for 3.12[spawn]: read the "
                                     "errors and hangs listed after the table (")


def test_a_check_cut_short_speaks_of_the_runs_that_finished_only() -> None:
    runs = {("3.12", "fork"): _run("fork")}
    cut = [("3.12", "spawn"), ("3.12", "forkserver")]
    line = check.summary_line(runs, [], check.unchecked_cells(runs), cut)
    assert line == ("no problem found in the runs that finished "
                    "(interrupted: not run: 3.12[spawn], 3.12[forkserver])")


#: The pool's result handler dying of an exception it cannot rebuild, as CPython 3.13, 3.8 and
#: PyPy 3.9 (its pickle in Python: more frames) print it (under every method; gh-79492).
_LOADS = ("  File \"/py/lib/python3.13/multiprocessing/connection.py\", line 251, in recv\n"
          "    return _ForkingPickler.loads(buf.getbuffer())\n")
_UNPICKLING = {
    13: _LOADS + "           ~~~~~~~~~~~~~~~~~~~~~^^^^^^^^^^^^^^^^^\nTypeError: ValidationError."
                 "__init__() missing 1 required positional argument: 'reason'\n",
    8: _LOADS + "TypeError: __init__() missing 1 required positional argument: 'reason'\n",
    9: _LOADS + "".join('  File "/usr/lib/pypy3.9/pickle.py", line %d, in load\n    x()\n' % n
                        for n in range(4)) + "TypeError: __init__() takes 1 positional argument "
                                             "but 2 were given\n"}


def test_a_hang_of_an_exception_the_parent_cannot_unpickle_names_its_cause() -> None:
    """The hang under every method is not a start-method problem, and its cause is named
    with the exception's own words; the same TypeError raised by the program's own call (no
    unpickling before it) is not that cause."""
    runs = {("3.%d" % minor, m): CaseRun(
        "t", m, Outcome.TIMEOUT, stderr="Exception in thread Thread-3:\n" + text,
        observed={"processes_started": 1, "start_attempts": 1, "methods_used": [m]})
        for minor, text in _UNPICKLING.items() for m in ("fork", "spawn", "forkserver")}
    found = check.diagnose(runs)
    assert [d.code for d in found] == ["exception-not-unpicklable"]
    assert all(text.splitlines()[-1][len("TypeError: "):] in found[0].message
               for text in _UNPICKLING.values()), found[0].message
    assert "super().__init__" in found[0].fix and len(found[0].cells) == 9
    assert "79492" in " ".join(found[0].links)
    assert _summary(runs) == ("it fails the same way under every method (timeout): not a "
                              "start-method problem; its cause is named above")
    own = {k: CaseRun("t", k[1], Outcome.ERROR, stderr=_UNPICKLING[13].replace("loads", "make"))
           for k in runs}
    assert check.diagnose(own) == []


def _silent(stdout_of: Dict[str, str], read: bool = True) -> Dict[Tuple[str, str], CaseRun]:
    """Every run ok; the spawn child had another value of a global code of the user's names
    (``read``: code the child runs names it)."""
    runs = {}
    child = {"globals_differ": ["__main__.COUNTRY"],
             "globals_read": ["__main__.COUNTRY"] if read else []}
    for m in ("fork", "spawn"):
        run = _run(m, default_method="fork", children=[child] if m == "spawn" else [])
        runs[("3.12", m)] = dataclasses.replace(run, stdout=stdout_of[m])
    return runs


def test_a_global_that_differs_where_the_output_differs_too_fails_the_check() -> None:
    """review r13 (etl_cache_silent.py): a worker's lookup table empty under spawn, every row
    "??", nothing raised: the output differs from the default method's and the last line and
    the exit status (``silently_differs``) say so; the same difference with the same output
    (a global only parent-side code reads, review r10) stays a risk."""
    runs = _silent({"fork": "unknown countries: 0\n", "spawn": "unknown countries: 4\n"})
    assert check.silently_differs(runs, check.diagnose(runs)) == ["3.12"]
    assert _summary(runs) == ("nothing failed under any start method, but a child had other "
                              "globals than its parent that its code reads, and the output "
                              "differs (exit status 1): read the causes above")
    assert check.format_outputs(runs) == (
        "the output differs from the default method's (fork) under spawn on 3.12 (not a "
        "failure by itself: a pid or a time printed differs too)")
    same = _silent({"fork": "done\n", "spawn": "done\n"})
    assert check.silently_differs(same, check.diagnose(same)) == []
    assert check.format_outputs(same) == ""
    assert _summary(same) == "nothing failed under any start method, but read the causes above"


def test_a_global_only_the_parents_code_reads_with_a_pid_printed_is_no_failure() -> None:
    """review r14 (pidprint.py): a flag only the parent's show() reads differs in the workers,
    and the program prints pids: the output differs, but no code the child runs names the
    flag (no ``globals_read``): said, not a failure (exit 0)."""
    runs = _silent({"fork": "workers 2 4101\n", "spawn": "workers 2 4207\n"}, read=False)
    assert check.silently_differs(runs, check.diagnose(runs)) == []
    assert check.silently_differs(runs, check.diagnose(runs), read=False) == ["3.12"]
    assert _summary(runs) == ("nothing failed under any start method, but a child had other "
                              "globals than its parent and the output differs: a wrong "
                              "result if a child reads them (a pid, a time or an order "
                              "printed differs too): read the causes above")
