"""`check`'s progress lines (``harness.check_live``): one as each run ends, and one naming a run
that has gone on for ``LONG`` seconds, said again each ``LONG`` seconds, never for a run that
has ended."""

from __future__ import annotations

from typing import List

from harness.check_live import Progress
from harness.runner import CaseRun
from harness.vocab import Outcome


def test_a_long_run_is_named_while_it_goes_on() -> None:
    said: List[str] = []
    now = [100.0]
    progress = Progress(said.append, 2, 300.0, long=30.0, clock=lambda: now[0])
    progress.started(("3.12", "fork"))
    now[0] = 129.0
    progress.waiting()
    assert said == []
    now[0] = 131.0
    progress.waiting()
    assert said == ["check: still running 3.12[fork] after 31 s (a hang is killed at 300 s, "
                    "--timeout)"]
    now[0] = 150.0
    progress.waiting()  # not again before another 30 s
    assert len(said) == 1
    now[0] = 162.0
    progress.waiting()
    assert said[-1].startswith("check: still running 3.12[fork] after 62 s")
    progress.ended(("3.12", "fork"), CaseRun(case="t", method="fork", outcome=Outcome.TIMEOUT,
                                            detail="hung"))
    assert said[-1] == "check: 1/2 3.12[fork] timeout in 62.0 s"  # its detail: in the text
    now[0] = 500.0
    progress.waiting()
    assert said[-1].startswith("check: 1/2")  # an ended run is not "still running"


def test_an_error_says_its_type() -> None:
    said: List[str] = []
    progress = Progress(said.append, 2, 10.0, clock=lambda: 0.0)
    progress.ended(("pypy3.9", "spawn"), CaseRun(
        case="t", method="spawn", outcome=Outcome.ERROR, error={"type": "PicklingError"}))
    progress.started(("pypy3.9", "fork"))
    progress.ended(("pypy3.9", "fork"), None)
    # Cut short by Ctrl-C: not counted as a run done ("1/2 ... interrupted" then "interrupted
    # before any run finished" contradicted each other).
    assert said == ["check: 1/2 pypy3.9[spawn] error (PicklingError)",
                    "check: pypy3.9[fork] interrupted after 0.0 s, not finished"]


def test_a_suites_run_says_how_its_tests_ended() -> None:
    """A suite's run is "ok" when pytest ran, whatever its tests did: its line counts them."""
    said: List[str] = []
    progress = Progress(said.append, 2, 300.0, clock=lambda: 0.0)
    tests = {"t::a": {"outcome": "passed"}, "t::b": {"outcome": "failed"},
             "t::c": {"outcome": "passed"}}
    progress.ended(("3.11", "fork"), CaseRun(case="--pytest", method="fork",
                                            outcome=Outcome.OK, observed={"tests": tests}))
    progress.ended(("3.11", "spawn"), CaseRun(case="--pytest", method="spawn",
                                             outcome=Outcome.CRASH, error={"type": "X"},
                                             observed={"tests": {"t::a": {"outcome": "passed"}}}))
    assert said == ["check: 1/2 3.11[fork] 1 failed, 2 passed",
                    "check: 2/2 3.11[spawn] crash (X) after 1 passed"]
