"""What ``check`` says while it runs, on stderr: one line as each run ends (which cell, its
outcome, how long it took, how many are done), and a line naming a run that has been going a
long time (a suite's default timeout is 300 s per method: without it a hung suite is silent
for a quarter of an hour). Written without ``--json``, or with it when stderr is a terminal;
``--json``'s stdout stays the document alone."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple

from harness.runner import CaseRun
from harness.text import shorten
from harness.vocab import Outcome

__all__ = ["LONG", "Progress", "tracked"]

#: Seconds a run goes on before a line says it is still running, and between such lines.
LONG = 30.0


class Progress:
    """Told when each run starts and ends (from the worker threads), and asked ``waiting()``
    by the thread that waits for them."""

    def __init__(self, write: Callable[[str], None], total: int, timeout: float,
                 long: float = LONG, clock: Callable[[], float] = time.monotonic) -> None:
        self.write, self.total, self.timeout = write, total, timeout
        self.long, self.clock = long, clock
        self.lock = threading.Lock()
        self.running: Dict[Tuple[str, str], float] = {}  # cell -> when it started
        self.said: Dict[Tuple[str, str], float] = {}  # cell -> when "still running" was said
        self.done = 0

    def started(self, key: Tuple[str, str]) -> None:
        with self.lock:
            self.running[key] = self.clock()

    def ended(self, key: Tuple[str, str], run: Optional[CaseRun]) -> None:
        with self.lock:
            began = self.running.pop(key, None)
            self.said.pop(key, None)
            took = self.clock() - began if began is not None else None
            if run is None:  # cut short: not one of the runs done (nothing of it is kept)
                self.write("check: %s[%s] interrupted%s, not finished" % (
                    key[0], key[1], " after %.1f s" % took if took is not None else ""))
                return
            self.done += 1
            self.write("check: %d/%d %s[%s] %s%s" % (self.done, self.total, key[0], key[1],
                                                    _outcome(run), " in %.1f s" % took
                                                    if took is not None else ""))

    def waiting(self) -> None:
        """A line for each run going on for ``long`` seconds since it started or since its
        last such line."""
        now = self.clock()
        with self.lock:
            for key, began in sorted(self.running.items()):
                if now - max(began, self.said.get(key, began)) >= self.long:
                    self.said[key] = now
                    self.write("check: still running %s[%s] after %d s (a hang is killed at "
                               "%d s, --timeout)" % (key[0], key[1], now - began, self.timeout))


def tracked(progress: Optional[Progress], key: Tuple[str, str],
            run_one: Callable[..., CaseRun], *args: Any) -> CaseRun:
    """``run_one(*args)``, told to ``progress`` as it starts and ends."""
    if progress is not None:
        progress.started(key)
    run = None
    try:
        run = run_one(*args)
        return run
    finally:
        if progress is not None:
            progress.ended(key, run)


def _outcome(run: CaseRun) -> str:
    """The run's outcome, its error's type; a suite's run, how its tests ended (its outcome
    is pytest's, "ok" whatever the tests did)."""
    observed = run.observed if isinstance(run.observed, dict) else {}
    tests = observed.get("tests")
    counts: Dict[str, int] = {}
    for entry in (tests.values() if isinstance(tests, dict) else ()):
        outcome = str(entry.get("outcome") if isinstance(entry, dict) else "")
        counts[outcome] = counts.get(outcome, 0) + 1
    said = ", ".join("%d %s" % (n, outcome) for outcome, n in sorted(counts.items()))
    if run.outcome is Outcome.OK:
        return said or "ok"
    error = run.error or {}
    kind = "" if run.outcome is Outcome.TIMEOUT else error.get("type") or run.detail
    return "%s%s%s" % (run.outcome.value, " (%s)" % shorten(str(kind), 60) if kind else "",
                       " after %s" % said if said else "")
