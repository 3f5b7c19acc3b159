"""A timeout is a cause's doing only when that cause can make a run wait forever: threads at a
fork or a child's lost logging are said, but a program still running at the limit under every
method is still called slow (review r21: tqdm's examples/parallel_bars.py, 18 s a run, read
"fails as it is" at the 10 s default, its last stderr lines live progress bars)."""

from __future__ import annotations

from typing import Any, Dict, Tuple

from harness import check
from harness.check_causes import CAUSES
from harness.check_match import JOINED_FLUSHING
from harness.runner import CaseRun
from harness.vocab import Outcome

METHODS = ("fork", "forkserver", "spawn")


def _hung(method: str, **observed: Any) -> CaseRun:
    seen = dict(observed, start_attempts=4, processes_started=4, methods_used=[method],
                default_method="fork")
    return CaseRun(case="t", method=method, outcome=Outcome.TIMEOUT, observed=seen,
                   detail="killed at the time limit")


def _slow_everywhere() -> Dict[Tuple[str, str], CaseRun]:
    """A thread alive at the fork starts (tqdm's monitor), and a spawn child whose logging
    handlers the parent had: every run still going at the limit."""
    return {("3.12", "fork"): _hung("fork", threads_at_start=2),
            ("3.12", "forkserver"): _hung("forkserver"),
            ("3.12", "spawn"): _hung("spawn", children=[{"log_handlers_lost": True}])}


def test_causes_that_cannot_hang_leave_a_slow_program_slow() -> None:
    runs = _slow_everywhere()
    diagnoses = check.diagnose(runs)
    assert {"threads-at-fork", "logging-not-configured"} <= {d.code for d in diagnoses}
    assert check.at_the_limit(runs, diagnoses) == ["3.12"]
    line = check.summary_line(runs, diagnoses, check.unchecked_cells(runs), timeout=10)
    assert "every run was still running at the 10 s limit" in line, line
    assert "no known cause" not in line.lower(), line
    said = check.as_it_is(runs, ["3.12"], slow=check.at_the_limit(runs, diagnoses))
    assert "fails as it is" not in said and "still running at the limit" in said, said


def test_a_cause_that_hangs_still_explains_the_timeout() -> None:
    runs = _slow_everywhere()
    for method in METHODS:
        runs[("3.12", method)].observed[JOINED_FLUSHING] = ["worker (pid 7)"]
    diagnoses = check.diagnose(runs)
    assert "queue-joined-before-drained" in {d.code for d in diagnoses}
    assert check.at_the_limit(runs, diagnoses) == []


def test_which_causes_can_hang_is_said_by_each_cause() -> None:
    """The hang causes the README names are marked; differences a child saw are not."""
    hangs = {c.code for c in CAUSES if c.hangs}
    assert {"queue-joined-before-drained", "signal-handler-inherited",
            "exception-not-unpicklable", "missing-main-guard", "main-rerun-in-child"} <= hangs
    assert not hangs & {"logging-not-configured", "global-differs", "random-state-duplicated",
                        "patch-not-seen", "env-set-after-forkserver-start"}
