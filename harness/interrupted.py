"""A partial run in the plugin (Ctrl-C, SIGTERM, SIGHUP; an output closed; pytest's exit
status; a cell missing): its main thread sees a signal while it waits for a cell; the session's
end keeps the cells that finished, never replaces a results file, and says where each file is
and why it is partial."""

from __future__ import annotations

import shlex
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping

from harness import causes, replaced, results, stopping
from harness.judge import judge
from harness.runner import CaseRun

if TYPE_CHECKING:
    from harness.plugin import _State

__all__ = ["cause", "finished_unreported", "result_of", "summary_lines",
           "target", "write"]

def result_of(future: "Future[CaseRun]") -> CaseRun:
    """``future.result()`` in short waits: a Ctrl-C delivered to a worker thread would not
    wake a main thread blocked on a lock; a timed wait sees it within 0.2 s."""
    while True:
        try:
            return future.result(timeout=0.2)
        except FuturesTimeout:
            continue


def cause(state: "_State", exitcode: Any, tests: List[Dict[str, Any]]) -> str:
    """Why the run is partial, "" when it is not: the stop signal ("SIGTERM"), "output
    closed", "pytest exit status 3", "2 cells missing", "the harness could not run 2 cells". A
    pytest exit status other than 0/1 is one (a `| head` whose reader left ended a run with
    exit 3 and replaced a complete file with 59 of 60 cells); a signal is one only if a selected
    cell has no result: a signal after the last cell leaves a complete run, written as one; a
    cell the harness could not run holds no result (an interpreter gone replaced a good file
    with 60 such cells). Such a run never replaces a results file."""
    done = {test.get("nodeid") for test in tests if test.get("metadata")}
    missing = sum(1 for item in state.items if item.nodeid not in done)
    if state.interrupted and missing:  # no name: a KeyboardInterrupt without our handler
        return stopping.stopped_by() or "SIGINT"
    if exitcode not in (0, 1) and not (state.interrupted and exitcode == 2):
        return causes.OUTPUT_CLOSED if state.output_closed else causes.exit_status(exitcode)
    if missing:
        return causes.missing(missing)
    failed = sum(1 for test in tests if causes.is_harness_error(test.get("metadata") or {}))
    return causes.harness_failed(failed) if failed else ""


def target(state: "_State", environment: Mapping[str, Any]) -> Path:
    """Where this run writes, decided once: ``<results dir>/<stem>.json``, unless a file is
    already there and the run is partial (a new ``interrupted/<stem>.<run time>.json``: a
    partial run never replaces a results file, nor an earlier partial one; one Ctrl-C replaced
    a 26-minute run's file with the few cells that had finished) or narrower (the earlier file
    first moved to ``replaced/``: :func:`replaced.keep_earlier`)."""
    path = state.results_dir / ("%s.json" % results.file_stem(state.environment))
    if not state.cause:
        path, state.aside = replaced.keep_earlier(path, environment)
        return path
    return _aside(state, path) if path.exists() or path.is_symlink() else path


def _aside(state: "_State", path: Path) -> Path:
    """A partial run's file when ``path`` holds another run's: kept, and a new name in
    ``interrupted/`` (or not-replacing/, said in ``kept_why``) for this one's."""
    state.kept = path
    place, state.kept_why = replaced.beside(path, replaced.INTERRUPTED_DIR, state.environment)
    return place


def write(state: "_State", path: Path, data: Any) -> Path:
    """The results file at :func:`target`'s ``path``, whole; a name beside the results folder's
    own (interrupted/, not-replacing/) is never written over: :func:`replaced.write_new`."""
    if path.parent == state.results_dir and not state.cause:  # a complete run replaces it
        results.atomic_write_json(path, data)
        state.pruned = replaced.prune(path, data, state.aside.kept_at if state.aside else None)
        return path
    if path.parent == state.results_dir:  # partial, no file there when chosen: still none
        try:
            results.atomic_write_json(path, data, new=True)
            return path
        except FileExistsError:  # another run wrote it meanwhile: kept, this one goes beside
            path = _aside(state, path)
    return replaced.write_new(path, data)


def finished_unreported(state: "_State", json_report: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Cells that finished in the background but whose item pytest never reached (Ctrl-C,
    -x): kept, so that an interrupted run loses no finished cell."""
    reported = {test.get("nodeid") for test in json_report.get("tests") or []}
    # A cell whose processes ended just before Ctrl-C may still be reading its result (CI lost
    # one so): the running ones end within a second, cancelled ones as their trees are killed.
    wait_futures([f for f in state.futures.values() if f.running()], timeout=1.0)
    extra: List[Dict[str, Any]] = []
    for item in state.items:
        future = state.futures.get(item.key)
        if item.nodeid in reported or future is None or not future.done() or \
                future.cancelled() or future.exception() is not None:
            continue
        cell = judge(item.case, future.result(), state.environment)
        extra.append({"nodeid": item.nodeid, "lineno": None, "keywords": [item.name],
                      "outcome": "passed", "metadata": cell,
                      "harness_note": "finished before the run was interrupted"})
    return extra


def summary_lines(state: "_State", selection: str = "") -> List[str]:
    """Where the results went, for the terminal summary, and why they are partial; complete
    ones after a late stop signal say so, and a file that could not be written says that."""
    signal = stopping.stopped_by() or ("SIGINT" if state.interrupted else "")
    if not signal and state.cause == causes.exit_status(5):  # no test: in the user's words
        return ["harness: %s selected no cell: nothing ran, no results file written" % (
            selection or "the selection")]
    if not signal and state.cause == causes.exit_status(2) and state.written is None:
        return ["harness: pytest stopped before any cell ran (its errors above): no results "
                "file written"]  # collection errors: pytest's Interrupted, not a signal
    status = "partial: %s" % causes.words(state.cause) if state.cause else \
        "complete: %s before %s" % (causes.EVERY_CELL, signal) if signal else ""
    if state.written is None and state.write_error:  # cells did finish: not "before any"
        return ["harness: no results file written%s: %s" % (
            " (%s)" % status if status else "", state.write_error)]
    if state.written is None:
        return ["harness: %s" % causes.nothing_written(state.cause or signal)] \
            if state.cause or signal else []
    if causes.is_harness_reason(state.cause):  # every cell reported: pytest's count is right
        status += "; the report shows those cells as not run, and why"
    elif state.cause:  # pytest's "7 passed" counts only the cells it reported before the stop
        status += "; it holds the %d of %d selected cells that finished, pytest's count " \
            "below only those it reported" % (state.cells_written, len(state.items))
    lines = ["harness: results written to %s%s" % (state.written,
                                                   " (%s)" % status if status else "")]
    if state.kept is not None:
        lines.append(  # -o: the default reports/ holds the full report
            "harness: %s kept as it was: a partial run never replaces a results file; this "
            "one's cells are in %s%s (`python -m harness report %s -o %s` shows them)" % (
                state.kept, state.written,
                " (%s)" % state.kept_why if state.kept_why else "",
                shlex.quote(str(state.written)), shlex.quote(str(state.written.parent / "report"))))
    if state.aside is not None:
        lines.append(replaced.line(state.aside, state.written))
    if state.pruned:
        lines.append(replaced.pruned_line(state.pruned))
    return lines
