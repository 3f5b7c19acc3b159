"""A ``check --pytest`` run's own records: the tests it finished, the test it hung in, the
methods each test started processes with, and whether the run exercised its method at all.
Each run is judged on its own: the fork run's use of fork says nothing of the spawn run's
tests, which ran fork too when a conftest.py forced it."""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Set, Tuple

from harness.check_diagnose import NO_PROCESS, RAN, default_where
from harness.check_where import cells_text, table_order
from harness.guest.check_suite import COLLECTED, COLLECTING
from harness.guest.check_targets import BEFORE_TESTS
from harness.guest.check_watch import RUNNING
from harness.guest.words import START_METHODS, TEST_FINE, TEST_HUNG, TEST_SKIPPED
from harness.runner import CaseRun
from harness.vocab import Outcome

__all__ = ["ONLY_BEFORE", "RUNNING_LINE", "alone", "before_tests", "compared", "exercised",
           "fails_nowhere", "hung_test", "idle_runs", "last_started", "not_checked", "recorded",
           "skipped_only", "tests_of", "tests_ran", "users_stderr"]

#: ``check_suite``'s line as a test starts, naming it.
RUNNING_LINE = re.compile(r"^%s(.*)$\n?" % re.escape(RUNNING), re.M)
#: Why a run whose tests started no process still started some (``idle_runs``).
ONLY_BEFORE = ("processes started only while pytest collected (conftest.py files, test "
               "modules' imports), not in the tests")
_MARKS = re.compile(r"^(?:%s|%s)$\n?" % (re.escape(COLLECTING), re.escape(COLLECTED)), re.M)


def users_stderr(stderr: str) -> str:
    """A run's stderr without ``check_suite``'s own lines (a test starting, the collection's
    start and end): what the user's program and pytest wrote."""
    return _MARKS.sub("", RUNNING_LINE.sub("", stderr))


def tests_of(run: CaseRun) -> Dict[str, Any]:
    """The tests the run finished: test -> its entry (outcome, error)."""
    observed = run.observed if isinstance(run.observed, dict) else {}
    tests = observed.get("tests")
    return tests if isinstance(tests, dict) else {}


def last_started(run: CaseRun) -> str:
    """The last test ``check_suite`` said the run started ("" when none)."""
    running = RUNNING_LINE.findall(run.stderr)
    return running[-1].strip() if running else ""


def hung_test(run: CaseRun) -> str:
    """The test a timed-out run was killed in: the last one ``check_suite`` said it started,
    unless the run had finished it ("" when the run did not time out or was in no test)."""
    test = last_started(run) if run.outcome is Outcome.TIMEOUT else ""
    return test if test not in tests_of(run) else ""


def recorded(run: CaseRun) -> Dict[str, Any]:
    """Each test's entry: the tests the run finished (all of them, or those a run cut short
    had finished, ``check_suite``), and the test a timed-out run hung in."""
    test = hung_test(run)
    return dict(tests_of(run), **{test: {"outcome": TEST_HUNG, "error": ""}}) if test \
        else tests_of(run)


def tests_ran(runs: Mapping[Tuple[str, str], CaseRun]) -> bool:
    """Whether any run recorded a test (pytest collected something and the run finished, or
    the run hung in a test)."""
    return any(recorded(run) for run in runs.values())


def before_tests(run: CaseRun) -> Dict[str, Any]:
    """The processes the run started before its first test (``started``: how many; the first
    that failed, ``failure``, as a script's child failure is said): ``check_exec``'s record."""
    observed = run.observed if isinstance(run.observed, dict) else {}
    before = observed.get(BEFORE_TESTS)
    return before if isinstance(before, dict) else {}


def _methods_by_test(run: CaseRun) -> Dict[str, Any]:
    observed = run.observed if isinstance(run.observed, dict) else {}
    by_test = observed.get("methods_by_test")
    return by_test if isinstance(by_test, dict) else {}


def exercised(runs: Mapping[Tuple[str, str], CaseRun]) -> Tuple[List[str], List[str]]:
    """Tests that started a process with their run's method (the method made the default) in
    every run that finished them, and tests that in some run did not (no process, or only a
    method chosen by the suite)."""
    checked: Set[str] = set()
    unchecked: Set[str] = set()
    for run in runs.values():
        by_test = _methods_by_test(run)
        for test in tests_of(run):
            (checked if run.method in (by_test.get(test) or ()) else unchecked).add(test)
    return sorted(checked - unchecked), sorted(unchecked)


def idle_runs(runs: Mapping[Tuple[str, str], CaseRun]) -> Dict[Tuple[str, str], str]:
    """The runs none of whose finished tests started a process with the run's method, and
    why (``ran fork``: a conftest.py's set_start_method("fork", force=True); ``no process
    started``, or only before the tests: ``ONLY_BEFORE``), in the table's order. A run that
    hung in a test is not judged: the hang left no record of the methods that test used."""
    found: Dict[Tuple[str, str], str] = {}
    for key in table_order(runs):
        run = runs[key]
        used = {m for test in tests_of(run) for m in _methods_by_test(run).get(test) or ()}
        if tests_of(run) and run.method not in used and not hung_test(run):
            found[key] = RAN + "/".join(m for m in START_METHODS if m in used) if used \
                else ONLY_BEFORE if before_tests(run).get("started") else NO_PROCESS
    return found


def compared(runs: Mapping[Tuple[str, str], CaseRun],
             idle: Mapping[Tuple[str, str], str], suite: bool = True) -> bool:
    """Some interpreter has two runs that recorded tests (any run, not ``suite``: a script's)
    and used their own methods (``idle``: ``idle_runs``, a script's ``unchecked_cells``), or
    used every method available there: on Windows spawn alone (``alone``), with nothing to
    compare it with."""
    used: Dict[str, int] = {}
    for key, run in runs.items():
        if run.outcome is not Outcome.UNAVAILABLE and (recorded(run) or not suite) and \
                key not in idle:
            used[key[0]] = used.get(key[0], 0) + 1
    return any(count >= 2 or key in alone(runs) for key, count in used.items())


def alone(runs: Mapping[Tuple[str, str], CaseRun]) -> Dict[str, str]:
    """The interpreters where one start method alone was available (Windows: spawn) -> it."""
    available: Dict[str, List[str]] = {}
    for (interp, method), run in runs.items():
        available.setdefault(interp, [])
        if run.outcome is not Outcome.UNAVAILABLE:
            available[interp].append(method)
    return {interp: methods[0] for interp, methods in available.items() if len(methods) == 1}


def not_checked(idle: Mapping[Tuple[str, str], str]) -> str:
    """``forkserver/spawn on 3.12 (ran fork)``: the idle runs, grouped by why."""
    whys: Dict[str, List[str]] = {}
    for key, why in idle.items():
        whys.setdefault(why, []).append("%s[%s]" % key)
    return "; ".join("%s (%s)" % (cells_text(cells), why) for why, cells in whys.items())


def fails_nowhere(outcomes: Iterable[str]) -> bool:
    """A method-dependent test's outcomes are all pytest's that are no failure: it is skipped
    (or xfailed) under some methods, and fails under none."""
    return set(outcomes) <= set(TEST_FINE)


def skipped_only(differ: Sequence[Tuple[str, str, Mapping[str, str]]],
                 known: Mapping[str, str]) -> str:
    """The last line when the tests that differ (test, interpreter, method -> outcome) fail
    nowhere: ``no test failed; 1 test(s) run only under fork: skipped as it is on 3.14
    (default forkserver)`` (``known``: each interpreter's default method)."""
    groups: Dict[str, Tuple[Set[str], Set[str], Set[str]]] = {}  # tests, as is, skipped under
    for test, interp, outcomes in differ:
        skipped = [m for m in START_METHODS if outcomes.get(m) == TEST_SKIPPED]
        said = "run only under %s" % "/".join(m for m in START_METHODS if m in outcomes and
                                                m not in skipped) if skipped else \
            "differ only as xfailed/xpassed"
        tests, as_is, under = groups.setdefault(said, (set(), set(), set()))
        tests.add(test)
        under.update(skipped)
        as_is.update(["%s (default %s)" % (interp, known[interp])] if known.get(
            interp) in skipped else [])
    return "no test failed; " + "; ".join("%d test(s) %s%s" % (len(tests), said, (
        ": skipped as it is on " + ", ".join(sorted(as_is))) if as_is else (
        ": skipped as it is where %s is the default (%s)" % (
            "/".join(sorted(under)), default_where(sorted(under)))) if under else "")
        for said, (tests, as_is, under) in groups.items())
