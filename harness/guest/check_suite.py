"""What ``python -m harness check --pytest`` records of a suite while it runs, so that a run
killed before its end (a hang until the hard timeout, a crash, Ctrl-C or SIGTERM) still tells
what it did (runs inside the interpreter under test; standard library only, Python 3.8
syntax).

Each test's outcome is appended, as it finishes, to ``PROGRESS`` in the hang folder (which
outlives the run), with what the run saw so far written beside it (``check_seen``: its
children's reports are in that folder too), and the start of each test and of collection is
said on stderr. While pytest collects (imports conftest.py files and test modules),
faulthandler is set to dump every thread's stack shortly before the hard timeout: a hang
there is then named where it was, with no test to name it by.
"""

from __future__ import annotations

import os

from . import TYPE_CHECKING, check_watch
from .words import (
    INTERRUPTED,
    TEST_ERROR,
    TEST_FAILED,
    TEST_PASSED,
    TEST_SKIPPED,
    TEST_XFAILED,
    TEST_XPASSED,
)

if TYPE_CHECKING:
    from typing import Any, Dict, List, Tuple

__all__ = ["COLLECTED", "COLLECTING", "DUMP_AT", "PROGRESS", "Collector", "read_progress"]

#: The file of finished tests in the hang folder: one JSON object a line.
PROGRESS = "check-tests.jsonl"
#: What is written to stderr before pytest starts, and once it has collected the tests.
COLLECTING = "check: collecting the tests"
COLLECTED = "check: collected the tests"
#: The environment variable (set by ``check``, removed here before the user's code runs) of
#: the time (``time.time()``) a collection still going on dumps its stacks, shortly before
#: the hard timeout: a time, not a delay, so that a slow start does not push it past the kill.
DUMP_AT = "START_METHOD_MATRIX_CHECK_DUMP_AT"
#: A test's outcome so far that a failure or a skip of a later phase still decides.
_UNDECIDED = (TEST_PASSED, INTERRUPTED)


class Collector:
    """The pytest plugin of a check run: each test's outcome in ``tests``, and in the hang
    folder as soon as the test is over."""

    def __init__(self, tests: Dict[str, Any], watch: Any, hang_dir: str) -> None:
        self.tests, self.watch = tests, watch
        self.progress = os.path.join(hang_dir, PROGRESS) if hang_dir else ""
        self.err = -1  # a copy of stderr's descriptor: pytest's capture replaces fd 2
        at = os.environ.pop(DUMP_AT, "")
        try:
            self.err = os.dup(2)
            _say(self.err, COLLECTING)
            if at:
                import faulthandler
                import time

                faulthandler.dump_traceback_later(max(0.1, float(at) - time.time()),
                                                  file=self.err)
        except (OSError, ValueError, RuntimeError):  # no stderr, or no dump: nothing more said
            pass

    def close(self) -> None:
        """Pytest has returned: no dump any more, the copy of stderr closed."""
        self._collected(say=False)
        if self.err >= 0:
            os.close(self.err)
            self.err = -1

    def _collected(self, say: bool = True) -> None:
        try:
            import faulthandler

            faulthandler.cancel_dump_traceback_later()
        except (ImportError, RuntimeError):
            pass
        if say and self.err >= 0:
            _say(self.err, COLLECTED)

    def pytest_collection_finish(self, session: Any) -> None:
        self._collected()

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        check_watch.CURRENT_TEST[0] = nodeid
        # Outside pytest's capture: a test that hangs is named by the kill's quote.
        os.write(2, (check_watch.RUNNING + nodeid + "\n").encode("utf-8", "replace"))
        if self.progress:
            self._append({"started": nodeid})  # what an interrupt (no stderr kept) was in

    def pytest_runtest_logreport(self, report: Any) -> None:
        entry = self.tests.setdefault(report.nodeid, {"outcome": INTERRUPTED, "error": ""})
        if getattr(report, "wasxfail", None) is not None:  # xfail: failed as expected
            entry["outcome"] = TEST_XFAILED if report.skipped else TEST_XPASSED
            _reason(entry, str(report.wasxfail))
            return
        if report.when == "call" and entry["outcome"] == INTERRUPTED:
            entry["outcome"] = TEST_PASSED  # until a failure says otherwise
        if report.failed and entry["outcome"] in _UNDECIDED:
            entry["outcome"] = TEST_FAILED if report.when == "call" else TEST_ERROR
            entry["error"] = _first_error_line(str(report.longreprtext))
        elif report.skipped and report.when != "teardown" and entry["outcome"] in _UNDECIDED:
            entry["outcome"] = TEST_SKIPPED
            longrepr = report.longrepr  # (path, line, "Skipped: why") for a skip
            _reason(entry, str(longrepr[-1] if isinstance(longrepr, tuple) else longrepr))

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        """The test is over (its teardown too): its line goes to the hang folder now."""
        if not self.progress or nodeid not in self.tests:
            return
        methods = sorted({str(m) for m, test in self.watch.attempts if test == nodeid and m})
        self._append(dict(self.tests[nodeid], test=nodeid, methods=methods))
        self.watch.note()  # with what the run saw so far: the observations of a run killed later

    def _append(self, entry: Dict[str, Any]) -> None:
        """One line, in one write, appended: a kill leaves whole lines before it."""
        import json

        try:
            fd = os.open(self.progress, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, (json.dumps(entry) + "\n").encode("utf-8", "replace"))
            finally:
                os.close(fd)
        except OSError:
            pass


def _say(fd: int, line: str) -> None:
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
    except OSError:
        pass


def _reason(entry: Dict[str, Any], said: str) -> None:
    """A skip's or xfail's reason, as pytest gives it ("Skipped: needs fork"): the reason."""
    for prefix in ("Skipped: ", "reason: "):
        said = said[len(prefix):] if said.startswith(prefix) else said
    if said.strip():
        entry["reason"] = said.strip()[:300]


def _first_error_line(text: str) -> str:
    """The ``E   Type: message`` line of a pytest failure, else its last line."""
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("E "):
            return line[1:].strip()[:300]
    return (lines[-1].strip() if lines else "")[:300]


def read_progress(hang_dir: str) -> Tuple[List[Dict[str, Any]], str]:
    """The tests a run finished, in order, as ``Collector`` wrote them (a line cut by a kill,
    or not JSON, is left out), and the last test it started ("" when none)."""
    import json

    found: List[Dict[str, Any]] = []
    started = ""
    try:
        with open(os.path.join(hang_dir, PROGRESS), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return found, started
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("test"), str):
            found.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("started"), str):
            started = entry["started"]
    return found, started
