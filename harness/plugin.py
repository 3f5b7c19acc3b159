"""pytest plugin: collect ``cases/`` × start methods as items, run them through the runner
(in parallel, performance cases last and alone), judge them, and write the results file.

Enabled with ``-p harness.plugin``; ``nox -s matrix`` passes the options. Python 3.8 syntax.
"""

from __future__ import annotations

import collections
import importlib
import os
import shlex
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import pytest

from harness import envprobe, interrupted, replaced, results, scheduling, stopping
from harness.case_imports import Reach
from harness.causes import harness_failed, is_harness_error
from harness.exits import error, error_line
from harness.guest import catalog
from harness.guest.words import PERFORMANCE, START_METHODS
from harness.interrupted import finished_unreported as _finished_unreported  # tests patch it
from harness.judge import finding_line, judge
from harness.results import ROOT
from harness.runner import CaseRun, allow_runs, cancel_all, run_case

__all__ = ["CaseFile", "CaseItem", "parse_methods"]

CASES_DIR = ROOT / "cases"
#: The category ``--quick`` leaves out (its cells sample for seconds each, one at a time).
QUICK_LEAVES_OUT = PERFORMANCE


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "Start-Method Matrix")
    group.addoption("--interpreter", default=None,
                    help="command that starts the interpreter under test (default: this one)")
    group.addoption("--results-dir", default=str(results.RESULTS_DIR),
                    help="folder for the results file <env-id>.json (<env-id>-root.json in a root)")
    group.addoption("--case-jobs", type=int, default=None,
                    help="cases run at once (default: twice the CPU count; 1: every cell "
                         "one after another, deadlock cells included); performance cases "
                         "run alone")
    group.addoption("--methods", default=",".join(START_METHODS),
                    help="comma-separated start methods to run (default: all three)")
    group.addoption("--quick", action="store_true", default=False,
                    help="leave the performance cases out (the report shows them as "
                         "'not run (--quick)'); never the default")


def parse_methods(text: str) -> List[str]:
    """``--methods fork,spawn``: each name once, in the order given. A name that is not a start
    method (``Fork``, a typo) is a usage error, not a run that selects nothing."""
    methods: List[str] = []
    for name in (part.strip() for part in text.split(",")):
        if name and name not in START_METHODS:
            raise pytest.UsageError("--methods: %r is not a start method (%s)" % (
                name, ", ".join(START_METHODS)))
        methods += [name] if name and name not in methods else []
    if not methods:
        raise pytest.UsageError("--methods: name at least one start method (%s)" % (
            ", ".join(START_METHODS)))
    return methods


class _State:
    """Per-session harness state kept on the config."""

    def __init__(self, config: pytest.Config) -> None:
        option = config.getoption("--interpreter")
        self.interpreter: List[str] = shlex.split(option) if option else [sys.executable]
        self.results_dir = Path(config.getoption("--results-dir"))
        # Twice the cores: a cell also waits (children starting, pipes, joins, a case's own
        # timeout); with one cell per core 60 % of the CPU sat idle during a run.
        jobs = config.getoption("--case-jobs")
        if jobs is not None and jobs < 1:  # one usage line, not a semaphore's INTERNALERROR
            raise pytest.UsageError("--case-jobs must be 1 or more, not %d" % jobs)
        self.jobs = jobs or 2 * (os.cpu_count() or 1)
        self.methods = parse_methods(config.getoption("--methods"))
        self.quick = bool(config.getoption("--quick"))
        self.environment: Dict[str, Any] = {}
        self.cases: Dict[str, catalog.Case] = {}
        self.reach = Reach(CASES_DIR)
        self.catalog_errors: List[str] = []  # what to add where, for each module of those
        self.futures: Dict[str, "Future[CaseRun]"] = {}
        self.findings: List[str] = []
        self.harness_errors: List[str] = []  # "HarnessError: cannot run …", one a failed cell
        self.written: Optional[Path] = None
        self.write_error = ""  # why the results file could not be written (the error line)
        self.cells_written = 0  # pytest's own count stops at the cells it reported
        self.items: List["CaseItem"] = []
        self.deselected: List[str] = []  # "case[method]" left out by -k, --methods, --ignore …
        self.dropping = False  # while --quick's cells are reported deselected
        self.interrupted = False  # Ctrl-C, SIGTERM or SIGHUP stopped the run
        self.finished = ""  # pytest runs no more cells: why nothing is left to stop (``finish``)
        self.output_closed = False  # pytest ended on a write to an output whose reader left
        self.cause = ""  # why the run is partial (``interrupted.cause``); "" when complete
        self.kept: Optional[Path] = None  # the results file a partial run left as it was
        self.kept_why = ""  # why its cells are not in interrupted/ ("" when they are)
        self.aside: Optional[replaced.Aside] = None  # the file a narrower run replaced
        self.pruned: List[Path] = []  # earlier files set aside that this run ran again (removed)


_STATE_KEY = pytest.StashKey[_State]()
#: The running config, for the json-report hook that is not given one.
_CONFIG: List[pytest.Config] = []


def _state(config: pytest.Config) -> _State:
    return config.stash[_STATE_KEY]


def pytest_configure(config: pytest.Config) -> None:
    allow_runs()
    config.stash[_STATE_KEY] = _State(config)
    _CONFIG[:] = [config]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def pytest_sessionstart(session: pytest.Session) -> None:
    state = _state(session.config)
    state.environment = envprobe.environment(state.interpreter)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        stopping.silence_dead_outputs()  # a reader gone already: the run goes on regardless
        reporter.write_line(_header(state.environment, state.methods))
        stopping.flush(session.config.get_terminal_writer())


def _header(env: Mapping[str, Any], methods: Sequence[str]) -> str:
    """The run's first line: the interpreter, the methods that run (of those it has, when
    --methods chose fewer) and its default."""
    available = list(env.get("available_methods") or ())
    run = [m for m in methods if m in available]
    notes = [] if sorted(run) == sorted(available) else ["of %s here" % ", ".join(available)]
    absent = [m for m in methods if m not in available]  # their cells say "unavailable"
    notes += ["%s: not available here" % ", ".join(absent)] if absent else []
    return "harness: %s (%s) methods: %s%s, default %s" % (
        env["id"], env.get("executable"), ", ".join(run) or "none",
        " (%s)" % "; ".join(notes) if notes else "", env.get("default_method"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional[pytest.File]:
    if file_path.suffix == ".py" and file_path.parent == CASES_DIR and \
            not file_path.name.startswith("_"):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    """A ``cases/<category>.py`` module: one item per (case, start method)."""

    def collect(self) -> Iterator[pytest.Item]:
        module = importlib.import_module("cases." + self.path.stem)
        state = _state(self.config)
        for case in catalog.all_cases():
            if case.module != module.__name__ or not state.reach.admits(case):
                continue
            state.cases[case.id] = case
            case.code_digest()  # now, before any cell runs: of the code that ran (~2 ms a case)
            for method in START_METHODS:
                name = results.cell_name(case.id, method)
                if method in case.methods and method not in state.methods:
                    state.deselected.append(name)  # --methods
                elif method in case.methods:
                    yield CaseItem.from_parent(self, name=name, case=case, method=method)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The run records the whole catalog, not only the cases of the files it collected: the
    cells of the rest (--ignore, a file path) are recorded as not selected, so the report reads
    a partial run, not a catalog that lacked those cases ("case newer than this run")."""
    state = _state(session.config)
    for case in catalog.whole(CASES_DIR):
        if case.id not in state.cases and state.reach.admits(case):
            state.cases[case.id] = case
            case.code_digest()  # as collected cases do, before any cell runs
            state.deselected += [results.cell_name(case.id, m) for m in case.methods]
    state.catalog_errors = state.reach.lines(state.reach.missed)
    for line in state.catalog_errors:  # now, before any cell runs; again in the summary
        error(line)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """--quick drops its category after -k/-m/--deselect: a cell both leave out reads "not
    selected" (it would not run without --quick either), the rest "not run (--quick)"."""
    state = _state(config)
    dropped = [item for item in items if state.quick and isinstance(item, CaseItem) and
               item.case.category == QUICK_LEAVES_OUT]
    items[:] = [item for item in items if item not in dropped]
    state.dropping = True  # pytest's summary counts them as deselected; not_selected does not
    config.hook.pytest_deselected(items=dropped)
    state.dropping = False


class CaseItem(pytest.Item):
    """One cell: one case under one start method, run in a fresh interpreter."""

    def __init__(self, *, case: catalog.Case, method: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.method = method
        self.cell: Dict[str, Any] = {}

    @property
    def key(self) -> str:
        return results.cell_name(self.case.id, self.method)

    def runtest(self) -> None:
        state = _state(self.config)
        future = state.futures.get(self.key)
        run = interrupted.result_of(future) if future is not None else self.run_cell(state)
        self.cell = judge(self.case, run, state.environment)
        finding = finding_line(self.key, self.cell)
        if finding:
            state.findings.append(finding)
        if is_harness_error(self.cell):
            error = self.cell["error"]
            state.harness_errors.append("%s: %s" % (error.get("type"), error.get("message")))
            raise HarnessFailure(state.harness_errors[-1])

    def run_cell(self, state: _State) -> CaseRun:
        return run_case(self.case.id, self.method, self.case.timeout, state.interpreter)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> Any:
        return self.path, None, self.key


class HarnessFailure(Exception):
    """The harness itself could not run a case (not an outcome of the case)."""


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Start every cell in the background before pytest walks the items in order."""
    if session.config.option.collectonly or not session.items:
        return
    state = _state(session.config)
    state.items = [item for item in session.items if isinstance(item, CaseItem)]
    session.config.add_cleanup(scheduling.start(state))


@pytest.hookimpl(optionalhook=True)
def pytest_json_runtest_metadata(item: pytest.Item, call: pytest.CallInfo[None]) -> Dict[str, Any]:
    if call.when != "call" or not isinstance(item, CaseItem) or not item.cell:
        return {}
    return dict(item.cell)


def pytest_deselected(items: List[pytest.Item]) -> None:
    if _CONFIG:
        state = _state(_CONFIG[0])
        if not state.dropping:  # --quick's are "not run (--quick)", not "not selected"
            state.deselected += [i.name for i in items if isinstance(i, CaseItem)]


def _selection(config: pytest.Config) -> str:
    """How the user narrowed the run: ``-k 'pickling and fork'``, ``-m …``, ``--methods …``,
    ``--deselect``, ``--ignore``, the paths given (``cases/methods.py``)."""
    methods = config.getoption("--methods")
    parts = ["%s %s" % (flag, shlex.quote(value)) for flag, value in (
        ("-k", config.option.keyword), ("-m", config.option.markexpr),
        ("--methods", "" if set(parse_methods(methods)) >= set(START_METHODS) else methods))
        if value]
    parts += ["--deselect %s" % shlex.quote(n) for n in getattr(config.option, "deselect", None)
              or ()]
    parts += ["%s %s" % (flag, shlex.quote(p)) for flag, name in (
        ("--ignore", "ignore"), ("--ignore-glob", "ignore_glob"))
        for p in getattr(config.option, name, None) or ()]
    # Paths in cases/ narrow the run only without cases/ (or above) beside them: `run` gives it.
    paths = [Path(arg.partition("::")[0]).resolve() for arg in config.args]
    if not any(path == CASES_DIR or path in CASES_DIR.parents for path in paths):
        parts += [shlex.quote(arg) for arg, path in zip(config.args, paths)
                  if CASES_DIR in path.parents]
    return " ".join(parts) or "pytest's selection"


@pytest.hookimpl(optionalhook=True)
def pytest_json_modifyreport(json_report: Dict[str, Any]) -> None:
    config = _CONFIG[0] if _CONFIG else None
    if config is None:
        return
    state = _state(config)
    environment = dict(state.environment)
    if state.quick:  # the merge labels these cells "not run (--quick)", never a gap in silence
        environment["left_out"] = {QUICK_LEAVES_OUT: "quick"}
    if state.deselected:  # and these "not run (not selected: -k …)"
        environment["not_selected"] = {"by": _selection(config),
                                       "cells": sorted(set(state.deselected))}
    tests = (json_report.get("tests") or []) + _finished_unreported(state, json_report)
    state.cause = interrupted.cause(state, json_report.get("exitcode"), tests)
    if state.cause:  # the cells it never reached: "not run (interrupted)"
        environment["interrupted"] = True
        environment["partial_cause"] = state.cause
    json_report["harness"] = {
        "schema_version": results.written_version(results.RESULTS_SCHEMA),
        "environment": environment,
        "cases": [state.cases[key].to_dict() for key in sorted(state.cases)],
    }
    if not any(test.get("metadata") for test in tests):
        return  # nothing ran (collection only, or interrupted before the first cell)
    json_report["tests"] = [test for test in tests if test.get("metadata")]
    target = interrupted.target(state, environment)
    try:
        target = interrupted.write(state, target, json_report)
    except (OSError, ValueError) as exc:  # a full disk; a NaN (strict JSON): one line
        state.write_error = "%s: cannot write the results file (%s)" % (
            target, getattr(exc, "strerror", None) or exc)
        error(state.write_error)
        replaced.undo(state.aside)
        state.aside = None
        return
    state.written = target
    state.cells_written = len(json_report["tests"])


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = _state(config)
    if state.findings:
        terminalreporter.section("findings (observed differs from the documentation)")
        for line in state.findings:
            terminalreporter.write_line(line)
    for line in state.catalog_errors:  # a long run's first lines are far above
        terminalreporter.write_line(error_line(line))
    stopping.SUMMARISED[:] = [True]
    for line in interrupted.summary_lines(state, _selection(config) if not state.items else ""):
        terminalreporter.write_line(line)
    if state.harness_errors:  # the run's one line for them (exit 1), not a finding each
        said = collections.Counter(state.harness_errors).most_common()
        terminalreporter.write_line(error_line(
            "%s, so they hold no result of the cases: %s%s" % (
                harness_failed(len(state.harness_errors), len(state.items)), said[0][0],
                " (and %d other errors, above)" % (len(state.harness_errors) - said[0][1])
                if len(said) > 1 else "")))


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo: Any) -> None:
    """Ctrl-C: stop every running case now (their process trees are killed and reaped), and
    remember it for the results file: pytest's own exit status misses a second signal that
    lands in its interrupt hooks."""
    if _CONFIG and (stopping.stopped_by() or not excinfo.errisinstance(pytest.Session.Interrupted)):
        _state(_CONFIG[0]).interrupted = True  # not pytest's Interrupted (collection errors)
    cancel_all()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Before pytest writes a cell's line: an output whose reader left (`| head -1`, a killed
    `| tee`) goes to /dev/null, so the run goes on and writes its file (an INTERNALERROR and
    exit 3 ended it)."""
    stopping.silence_dead_outputs()


@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish() -> None:
    """A cell's mark is in the log when the cell ends (``stopping.flush``)."""
    if _CONFIG:
        stopping.flush(_CONFIG[0].get_terminal_writer())


@pytest.hookimpl(tryfirst=True)
def pytest_internalerror(excinfo: Any) -> Optional[bool]:
    """A reader that left between that check and a write: no INTERNALERROR traceback to a dead
    output; the run ends with exit 3 and its file is partial, "output closed"."""
    if not stopping.dead_output(excinfo.value):
        return None  # pytest's lines
    if _CONFIG:
        _state(_CONFIG[0]).output_closed = True
    return True


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> Iterator[None]:
    """Before every other plugin's own hook (pytest-json-report's gathers and writes the
    results): pytest runs no more cells, so a stop signal from now on must not cost the
    finished ones (``scheduling.finish``). After them, before pytest's summary: a `| tee` that
    the same Ctrl-C ended is gone by now (EPIPE)."""
    state = _state(session.config)
    scheduling.finish(state)
    if state.catalog_errors and session.exitstatus == pytest.ExitCode.OK:  # exit 1; the
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # cells that ran are a complete run
    yield
    stopping.silence_dead_outputs()
