"""``python -m harness check --pytest ARGS``: which of the user's tests pass or fail depending
on the start method. Each method's run is one fresh pytest session with that method made the
default before any test module is imported (``check_exec``); this module compares the per-test
outcomes and diagnoses each method-dependent test from what its own run observed.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, Iterator, List, Mapping, Set, Tuple

from harness import check_collect
from harness.capture import last_line
from harness.check_diagnose import FORK_DEFAULT, JOINED_FLUSHING, RAN, diagnose
from harness.check_table import DEFAULT_MARK, LEGEND, defaults
from harness.check_tests import (
    ONLY_BEFORE,
    alone,
    compared,
    exercised,
    fails_nowhere,
    hung_test,
    idle_runs,
    last_started,
    not_checked,
    recorded,
    skipped_only,
    tests_of,
    tests_ran,
    users_stderr,
)
from harness.check_where import cells_text, grouped, table_order
from harness.guest.check_suite import read_progress
from harness.guest.check_watch import RUNNING
from harness.guest.words import INTERRUPTED, START_METHODS, TEST_FAILING, TEST_HUNG
from harness.results import HANG_QUOTE, hang_said
from harness.runner import CaseRun
from harness.vocab import Outcome

__all__ = ["INTERRUPTED_ERROR", "DependentTest", "compare", "cut_short",
           "failing_everywhere", "format_tests", "hung_everywhere", "rejected", "with_progress"]


@dataclasses.dataclass
class DependentTest:
    """One test whose outcome depends on the start method, on one interpreter."""

    test: str
    interpreter: str
    outcomes: Dict[str, str]  # method -> its outcome (words.TEST_OUTCOMES)
    errors: Dict[str, str]  # method -> the failure's first line
    diagnoses: List[Dict[str, Any]]
    reasons: Dict[str, str] = dataclasses.field(default_factory=dict)  # a skip's, an xfail's

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


#: The error type of a run Ctrl-C or SIGTERM cut short (``check._run_one``).
INTERRUPTED_ERROR = "Interrupted"


_PYTEST_ERROR = re.compile(r"^(?:ERROR|\S+: error|[\w.]*(?:Error|Exit)): .*$", re.M)
_BANNER = re.compile(r"^[! ]+", re.M)


_USAGE_PREFIX = re.compile(r"^pytest(?:\.main\(\))?: (?=error: )")


def _pytest_said(run: CaseRun) -> str:
    """pytest's own complaint: its last ``ERROR: ...`` line, else the last line it wrote."""
    stderr = users_stderr(run.stderr)
    stdout = _BANNER.sub("", run.stdout)  # "!!! _pytest.outcomes.Exit: why !!!" -> the reason
    found = _PYTEST_ERROR.findall(stderr) or _PYTEST_ERROR.findall(stdout)
    said = last_line(found[-1]).rstrip("! ") if found else last_line(stdout) or last_line(
        stderr)
    # pytest >= 9.2 names its parser "pytest.main()" when called as a function (check_exec)
    return _USAGE_PREFIX.sub("", said)


def _as_run(run: CaseRun, test: str, entry: Dict[str, Any]) -> CaseRun:
    """One test's result as a run, with only the observations of the processes it started; a
    run that hung in the test is the test's, with all a hang leaves (stderr, ``check_hang``'s
    notes), as script mode diagnoses it."""
    observed = dict(run.observed) if isinstance(run.observed, dict) else {}
    observed["children"] = [c for c in observed.get("children") or []
                            if isinstance(c, dict) and c.get("test") == test]
    if entry.get("outcome") == TEST_HUNG:  # what the run saw before is the finished tests'
        return dataclasses.replace(run, case=test, observed={
            k: v for k, v in observed.items() if k in (JOINED_FLUSHING, "children",
                                                         "default_method")})
    observed.pop("tests", None)
    error = entry.get("error") or ""
    kind, _, message = error.partition(": ")
    failed = entry.get("outcome") in TEST_FAILING
    return CaseRun(case=test, method=run.method,
                   outcome=Outcome.ERROR if failed else Outcome.OK, observed=observed,
                   error={"type": kind, "message": message} if failed else None,
                   stderr="")


#: pytest's exit status for arguments it rejects (``pytest.ExitCode.USAGE_ERROR``).
_USAGE = 4


def rejected(runs: Mapping[Tuple[str, str], CaseRun]) -> bool:
    """pytest rejected its arguments in every run that ran (exit status 4, a usage error):
    check's usage error, not a finding."""
    ran = [r for r in runs.values() if r.outcome is not Outcome.UNAVAILABLE]
    return bool(ran) and all((r.error or {}).get("type") == "PytestExit" and (
        r.error or {}).get("message") == "pytest exited with code %d" % _USAGE for r in ran)


def with_progress(run: CaseRun, hang_dir: str) -> CaseRun:
    """A suite's run that did not finish (a hang, a crash, an interrupt): the tests it had
    finished, as ``check_suite`` wrote them one by one, with the methods each started (what
    the run had seen and its children reported are read as a script's: ``check._hang_notes``)."""
    if run.outcome is Outcome.OK or tests_of(run):
        return run
    finished = read_progress(hang_dir)[0]
    if not finished:
        return run
    observed = dict(run.observed if isinstance(run.observed, dict) else {})
    observed["tests"] = {e["test"]: dict({"outcome": str(e.get("outcome")), "error": str(
        e.get("error") or "")}, **{k: str(e[k]) for k in ("reason",) if e.get(k)})
        for e in finished}  # a skip's reason as check_suite wrote it
    observed["methods_by_test"] = {e["test"]: [str(m) for m in e.get("methods") or []]
                                   for e in finished if e.get("methods")}
    return dataclasses.replace(run, observed=observed)


def _by_interp(runs: Mapping[Tuple[str, str], CaseRun]) -> Dict[
        str, Dict[str, Tuple[CaseRun, Dict[str, Any]]]]:
    """The runs that recorded tests (or hung in one), per interpreter, in the table's order,
    each with its tests' entries (read once a run: ``recorded`` reads its stderr)."""
    by_interp: Dict[str, Dict[str, Tuple[CaseRun, Dict[str, Any]]]] = {}
    for interp, method in table_order(runs):
        run = runs[(interp, method)]
        entries = recorded(run) if run.outcome is not Outcome.UNAVAILABLE else {}
        if entries:
            by_interp.setdefault(interp, {})[method] = (run, entries)
    return by_interp


def _verdict(interp: str, test: str, methods: Mapping[str, CaseRun],
             entries: Mapping[str, Dict[str, Any]]) -> DependentTest:
    outcomes = {m: str(e.get("outcome")) for m, e in entries.items()}
    per_test = {(interp, m): _as_run(methods[m], test, e) for m, e in entries.items()}
    return DependentTest(
        test=test, interpreter=interp, outcomes=dict(sorted(outcomes.items())),
        errors={m: str(e.get("error") or "") for m, e in sorted(entries.items())
                if e.get("error")},
        diagnoses=[d.to_dict() for d in diagnose(per_test)],
        reasons={m: str(e["reason"]) for m, e in sorted(entries.items()) if e.get("reason")})


def _reached(runs: Mapping[Tuple[str, str], CaseRun], least: int = 2) -> Iterator[
        Tuple[str, str, Dict[str, CaseRun], Dict[str, Dict[str, Any]]]]:
    """(interpreter, test, its runs, the test's entry per method) of each test ``least`` or
    more methods of one interpreter reached, in the order of the table. Only the runs that
    reached the test: one cut short (-x, pytest.exit, a crash) says nothing about how the
    method treats it."""
    for interp, methods in _by_interp(runs).items():
        each = {m: found for m, (_run, found) in methods.items()}
        for test in sorted({t for found in each.values() for t in found}):
            entries = {m: found[test] for m, found in each.items() if test in found}
            if len(entries) >= least:
                yield interp, test, {m: run for m, (run, _found) in methods.items()}, entries


def _outcomes(entries: Mapping[str, Dict[str, Any]]) -> Set[str]:
    return {str(e.get("outcome")) for e in entries.values()}


def _fails_everywhere(entries: Mapping[str, Dict[str, Any]]) -> bool:
    """The test failed under every method that reached it (not hung: ``hung_everywhere``)."""
    outcomes = _outcomes(entries)
    return len(outcomes) == 1 and not outcomes.isdisjoint(TEST_FAILING)


def compare(runs: Mapping[Tuple[str, str], CaseRun]) -> Tuple[List[DependentTest], List[str]]:
    """Method-dependent tests (per interpreter), and tests that fail (or hang) under every
    method."""
    verdicts: List[DependentTest] = []
    always: List[str] = []
    for interp, test, methods, entries in _reached(runs):
        outcomes = _outcomes(entries)
        if len(outcomes) > 1:
            verdicts.append(_verdict(interp, test, methods, entries))
        elif _fails_everywhere(entries):
            always.append("%s (%s)" % (test, interp))
    return verdicts, always


def failing_everywhere(runs: Mapping[Tuple[str, str], CaseRun]) -> List[DependentTest]:
    """Tests that failed (not hung: ``hung_everywhere``) under every method that reached them,
    each with the causes its own failures and processes show, by the rules script mode
    applies to a script's error (a pickling error is as much a cause under every method)."""
    return [_verdict(interp, test, methods, entries)
            for interp, test, methods, entries in _reached(runs) if _fails_everywhere(entries)]


def hung_everywhere(runs: Mapping[Tuple[str, str], CaseRun]) -> List[DependentTest]:
    """Tests that hung under every method that reached them, each with the causes its hangs
    left evidence of (``compare`` diagnoses a test that hung under some methods only)."""
    return [_verdict(interp, test, methods, entries)
            for interp, test, methods, entries in _reached(runs, least=1)
            if _outcomes(entries) == {TEST_HUNG}]


#: Where a method the suite chose itself comes from, most often.
_CHOSEN = (" (the suite asks for a method itself: set_start_method(..., force=True) in a "
           "conftest.py, or get_context)")


def format_tests(verdicts: List[DependentTest], always: List[str], runs: Mapping[
        Tuple[str, str], CaseRun], cwd: str = "", timeout: float = 300.0) -> str:
    """The human summary of ``--pytest`` (``timeout``: each run's limit, in seconds)."""
    found: List[Tuple[str, str]] = []  # (cell, what happened to the run), said once per text
    unfinished: List[str] = []
    killed: List[str] = []  # runs of which only the test they hung in is known
    partial: List[str] = []  # runs cut short, of which the tests they had finished are known
    unavailable = {k for k, run in runs.items() if run.outcome is Outcome.UNAVAILABLE}
    for interp, method in table_order(runs):
        run, cell = runs[(interp, method)], "%s[%s]" % (interp, method)
        if run.outcome is Outcome.UNAVAILABLE:
            found.append((cell, "not run (%s)" % run.detail))
        elif not tests_of(run) or run.outcome is not Outcome.OK:
            found.append((cell, _what_happened(run, cwd)))
            if not tests_of(run):
                (killed if hung_test(run) else unfinished).append(cell)
            elif run.outcome is not Outcome.OK:
                partial.append(cell)
    lines = [line.lstrip() for line in grouped(found + check_collect.before_notes(runs))]
    for said, diagnoses in (("the hang while pytest collected", check_collect.collection_causes(
            runs)), ("the failure before any test", check_collect.before_causes(runs))):
        lines.extend(["%s, its cause:" % said] if diagnoses else [])
        lines.extend("  [%s] %s\n    fix: %s\n    see: %s\n    seen in: %s" % (
            *_cause(d.to_dict()), cells_text(d.cells)) for d in diagnoses)
    unchecked = exercised(runs)[1]
    idle = idle_runs(runs)
    if not tests_ran(runs):
        lines.append("no test ran under any method: nothing was compared")
    elif all(key in idle for key in table_order(runs) if tests_of(runs[key])) and not any(
            hung_test(run) for run in runs.values()):
        # A hang leaves no record of the methods its test used: it is not "nothing checked".
        lines.append("no test started a process with its run's start method%s" % (
            ": " + ONLY_BEFORE + " (what they did is above), so no test's outcome says "
            "anything about start methods" if ONLY_BEFORE in idle.values() else " (none at "
            "all, or only with a method it chose itself): nothing about start methods was "
            "checked"))
    elif next(_reached(runs), None) is None and alone(runs):
        lines.append("%s: the only start method available there, so each test ran under it "
                     "alone: nothing to compare it with" % "; ".join(
                         "%s on %s" % (method, interp) for interp, method in alone(runs).items()))
    elif next(_reached(runs), None) is None:
        lines.append("no test ran under two methods of one interpreter: nothing was compared")
    elif not compared(runs, idle):
        lines.append("not checked: %s: no test started a process with its run's start method "
                     "there%s, so no interpreter's tests ran under two methods: nothing about "
                     "start methods was compared" % (not_checked(idle), _CHOSEN if any(
                         why.startswith(RAN) for why in idle.values()) else ""))
    elif not verdicts:
        aside = ["not checked: %s" % not_checked(idle)] if idle else []
        aside += ["not compared: %s" % ", ".join(unfinished)] if unfinished else []
        aside += ["of %s only the test it hung in is known" % ", ".join(killed)] if killed \
            else []
        aside += ["of %s only the tests finished before the run stopped are known"
                  % ", ".join(partial)] if partial else []
        among = " and ".join(why for why, said in (("finished", unfinished),
                                                   ("used their method", idle)) if said)
        lines.append("no test depends on the start method%s%s" % (
            " among the runs that " + among if among else "",
            " (%s)" % "; ".join(aside) if aside else ""))
    known = defaults(runs)
    # The summary of where it breaks is the same for many tests: said once, with its tests.
    once: Dict[Tuple[str, str, str, str], List[str]] = {}
    for verdict in verdicts:
        lines.append("%s  (%s)" % (verdict.test, verdict.interpreter))
        for method, outcome in verdict.outcomes.items():
            first = verdict.errors.get(method) or verdict.reasons.get(method, "")
            mark = DEFAULT_MARK if known.get(verdict.interpreter) == method else ""
            lines.append("  %-11s%s%s" % (method + mark, outcome, ("  " + first) if first
                                           else ""))
        for diag in verdict.diagnoses:
            cause = _cause(diag)
            if diag["code"] == FORK_DEFAULT:
                once.setdefault(cause, []).append("%s (%s)" % (verdict.test, verdict.interpreter))
                continue
            lines.append("  [%s] %s\n    fix: %s\n    see: %s" % cause)
    if any(DEFAULT_MARK in line for line in lines):
        lines.append(LEGEND)
    for (code, message, fix, links), tests in once.items():
        lines.append("[%s] %s\n  fix: %s\n  see: %s\n  in %d test(s):" % (
            code, message, fix, links, len(tests)))
        lines.extend(_at_most(tests, "    "))
    if idle and verdicts:
        lines.append("not checked: %s: no test started a process with its run's start method "
                     "there" % not_checked(idle))
    if unchecked and len(idle) < len([r for r in runs.values() if tests_of(r)]):
        lines.append("%d test(s) started no process with their run's method, so their "
                     "outcome says nothing about it (--json lists them)" % len(unchecked))
    if verdicts and not always and all(fails_nowhere(v.outcomes.values()) for v in verdicts) \
            and all(r.outcome in (Outcome.OK, Outcome.UNAVAILABLE) for r in runs.values()):
        lines.append(skipped_only([(v.test, v.interpreter, v.outcomes) for v in verdicts], known))
    if always:
        failing = failing_everywhere(runs)
        # Methods that never reached such a test (a run interrupted, cut short): not "every".
        missed = sorted({"%s[%s]" % (v.interpreter, m) for v in failing for m in START_METHODS
                         if m not in v.outcomes and (v.interpreter, m) not in unavailable})
        lines.append("failing under every start method %s: %d test(s)" % (
            "that reached them (not about the method; not reached in %s)" % ", ".join(missed)
            if missed else "(not about the method)", len(always)))
        diagnosed = {"%s (%s)" % (v.test, v.interpreter): v.diagnoses for v in failing}
        for line in _at_most(always):  # each test with the causes its failures show
            lines.append(line)
            lines.extend("    [%s] %s\n      fix: %s\n      see: %s" % _cause(d)
                         for d in diagnosed.get(line.strip(), ()))
    for hung in hung_everywhere(runs):  # with no cause: maybe only slow, as a script's runs
        causes = ["  [%s] %s\n    fix: %s\n    see: %s" % _cause(d) for d in hung.diagnoses]
        lines.append("%s  (%s) %s %s: %s" % (
            hung.test, hung.interpreter, "hung under" if causes else "was still running at "
            "the %g s limit under" % timeout, "/".join(hung.outcomes), "its cause:" if causes
            else "no cause recognised (a slow test, or a hang under every method; its run's "
            "last lines on stderr are in --json): rerun with a longer limit, e.g. --timeout "
            "%g" % (6 * timeout)))
        lines.extend(causes)
    stopped = cut_short(runs)
    if stopped and (verdicts or always):  # else the line "no test depends ..." says it
        lines.append("partial: %s did not finish; each test above is compared among the runs "
                     "that finished it" % ", ".join(
                         "%s (%s)" % (cells_text(cells), why) for why, cells in stopped.items()))
    return "\n".join(lines)


def cut_short(runs: Mapping[Tuple[str, str], CaseRun]) -> Dict[str, List[str]]:
    """The runs that did not finish, by why (a hang killed at the timeout, a crash, Ctrl-C or
    SIGTERM), in the table's order: of each, only the tests it finished are known."""
    found: Dict[str, List[str]] = {}
    for key in table_order(runs):
        run = runs[key]
        why = INTERRUPTED if (run.error or {}).get("type") == INTERRUPTED_ERROR else \
            run.outcome.value if run.outcome in (Outcome.TIMEOUT, Outcome.CRASH) else ""
        if why:
            found.setdefault(why, []).append("%s[%s]" % key)
    return found


def _what_happened(run: CaseRun, cwd: str) -> str:
    """What became of a run that ran no test or did not end well: its outcome and why, the
    test it stopped in, and what of it is kept."""
    if check_collect.collection_hang(run):
        where = check_collect.where(run, cwd)
        return "timeout while pytest collected the tests (importing conftest.py files and test " \
               "modules), before any test started%s" % (
                   ": at " + where if where else " (no stack dump came before the kill)")
    error = run.error or {}
    said = _pytest_said(run) if run.outcome is Outcome.ERROR else ""
    what = error.get("message") or run.detail or "(nothing collected or selected)"
    last = last_started(run)
    # Finished, its teardown too: the hang came after it, though its start is the last mark.
    after = "it hung after its last test (%s) had finished: at pytest's session end or at the " \
        "program's exit (a session-finish hook or plugin, atexit, a child process still " \
        "running)" % last if run.outcome is Outcome.TIMEOUT and last in tests_of(run) else ""
    if hang_said(what).startswith(RUNNING):  # check's own marker: the test wrote nothing after
        what = "%s; %s" % (what.partition(HANG_QUOTE)[0], after + ", writing nothing to stderr "
                           "after it" if after else "in %s, which wrote nothing to stderr "
                           "before the kill" % hang_said(what)[len(RUNNING):].strip())
    elif after:
        what += "; " + after
    if run.outcome is Outcome.CRASH and last:  # which test the crash ended
        what += " (in %s)" % last
    cut_short = run.outcome in (Outcome.TIMEOUT, Outcome.CRASH) or error.get(
        "type") == INTERRUPTED_ERROR
    finished = len(tests_of(run)) if cut_short else 0
    if finished:
        what += "; the %d test(s) it finished before are kept" % finished
    outcome = "no test ran" if run.outcome is Outcome.OK else run.outcome.value
    return "%s %s%s" % (outcome, what, " (pytest: %s)" % said if said else "")


def _cause(diag: Mapping[str, Any]) -> Tuple[str, str, str, str]:
    return (str(diag["code"]), str(diag["message"]), str(diag["fix"]),
            " ".join(diag["links"]))


def _at_most(tests: List[str], indent: str = "  ", most: int = 20) -> List[str]:
    """One indented line per test, the first ``most`` of them."""
    return [indent + test for test in tests[:most]] + (
        [indent + "… and %d more (--json lists them all)" % (len(tests) - most)]
        if len(tests) > most else [])
