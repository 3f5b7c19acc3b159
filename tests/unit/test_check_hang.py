"""What a hang notes before the kill (``guest/check_hang``) and how ``check`` reads it: the
queue-join deadlock is named only while a join() still waits for a child whose exit waits for
its queue's feeder thread."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

from harness import check, check_left
from harness.check_diagnose import JOINED_FLUSHING
from harness.guest.check_hang import JOIN_TERMINATED, JOIN_WAITS, JoinWatch
from harness.runner import CaseRun
from harness.vocab import Outcome


class _Proc:
    """A started process that exits when ``release`` is set."""

    name, pid, _popen = "Process-1", 4242, object()

    def __init__(self, pid: int = 4242, name: str = "Process-1") -> None:
        self.release = threading.Event()
        self.exitcode: Any = None
        self.pid, self.name = pid, name


def _join(proc: _Proc, timeout: Any = None) -> None:
    if proc.release.wait(timeout):
        proc.exitcode = 0


def _joining(tmp_path: Path, flushing: bool, terminated: Any = None, proc: Any = None,
             watch: Any = None, step: Any = None) -> Tuple[threading.Event, Any]:
    """A join() of a ``_Proc`` in a thread, until the returned event is set; ``terminated``:
    the pids the watch sent SIGTERM, and when; ``step``: joins of that timeout in a loop
    while the process is alive (``while p.is_alive(): p.join(0.5)``)."""
    reports, hangs = tmp_path / "reports", tmp_path / "hangs"
    reports.mkdir(exist_ok=True)
    hangs.mkdir(exist_ok=True)
    if flushing:
        (reports / ("flushing-%d" % _Proc.pid)).write_text("")
    watch = watch or JoinWatch(str(reports), str(hangs), terminated)
    proc = proc or _Proc()
    joined = watch.wrap(_join)

    def loop() -> None:
        while proc.exitcode is None:
            joined(proc, step)
    thread = threading.Thread(target=joined if step is None else loop,
                              args=(proc,) if step is None else ())
    thread.start()
    return proc.release, thread


def _notes(tmp_path: Path, name: str = JOIN_WAITS) -> List[Path]:
    return sorted((tmp_path / "hangs").glob(name.replace("%d", "*")))


def _wait_for(tmp_path: Path, count: int, name: str = JOIN_TERMINATED) -> List[Path]:
    deadline = time.monotonic() + 5
    while len(_notes(tmp_path, name)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return _notes(tmp_path, name)


def test_a_join_waiting_for_a_flushing_child_is_noted_until_it_returns(tmp_path: Path) -> None:
    release, thread = _joining(tmp_path, flushing=True)
    notes = _wait_for(tmp_path, 1, JOIN_WAITS)
    assert len(notes) == 1
    assert json.loads(notes[0].read_text()) == {"child": "the child Process-1"}
    release.set()
    thread.join(5)
    assert _notes(tmp_path) == []  # the join returned after all: no deadlock


def test_a_join_of_a_child_that_is_not_flushing_is_not_noted(tmp_path: Path) -> None:
    release, thread = _joining(tmp_path, flushing=False)
    time.sleep(1.0)  # five looks
    assert _notes(tmp_path) == []
    release.set()
    thread.join(5)


def test_a_process_sent_sigterm_still_alive_a_second_later_is_noted_until_it_ends(
        tmp_path: Path) -> None:
    """The evidence that a terminated process did not end of its SIGTERM (an inherited
    handler): a join() finding it still alive a second after it was sent, not before; none
    for another process."""
    notes = tmp_path / "hangs"
    release, thread = _joining(tmp_path, flushing=False,
                               terminated={_Proc.pid + 1: time.monotonic()})
    time.sleep(1.5)
    assert list(notes.iterdir()) == []
    release.set()
    thread.join(5)
    release, thread = _joining(tmp_path, flushing=False, terminated={_Proc.pid: time.monotonic()})
    time.sleep(0.6)
    assert list(notes.iterdir()) == []  # a SIGTERM still being handled: not yet
    assert [json.loads(n.read_text()) for n in _wait_for(tmp_path, 1)] == [
        {"child": "the child Process-1"}]
    release.set()
    thread.join(5)
    assert list(notes.iterdir()) == []  # it ended after all


def test_short_joins_in_a_loop_are_noted_as_one_long_join(tmp_path: Path) -> None:
    """``p.terminate(); while p.is_alive(): p.join(0.5)``: no single join waits a second, the
    time counts from the SIGTERM (review r19: the cause was missed); the note stays while the
    loop goes on, and goes when the process ends."""
    terminated = {_Proc.pid: time.monotonic()}
    release, thread = _joining(tmp_path, flushing=False, terminated=terminated, step=0.5)
    time.sleep(0.6)
    assert _notes(tmp_path, JOIN_TERMINATED) == []
    assert len(_wait_for(tmp_path, 1)) == 1
    time.sleep(0.6)  # another join(0.5) returned on its timeout: the process is alive
    assert len(_notes(tmp_path, JOIN_TERMINATED)) == 1
    release.set()
    thread.join(5)
    assert _notes(tmp_path, JOIN_TERMINATED) == [] and terminated == {}


def test_two_joins_keep_a_note_each(tmp_path: Path) -> None:
    """Two processes sent SIGTERM, each joined by its own thread: the one that ends does not
    remove the other's note (review r19: they shared one file)."""
    watch = JoinWatch(str(tmp_path / "reports"), str(tmp_path / "hangs"),
                      {4242: time.monotonic(), 4343: time.monotonic()})
    first, second = _Proc(4242, "Process-1"), _Proc(4343, "Process-2")
    joins = [_joining(tmp_path, flushing=False, proc=p, watch=watch) for p in (first, second)]
    assert len(_wait_for(tmp_path, 2)) == 2
    second.release.set()
    joins[1][1].join(5)
    assert [json.loads(n.read_text()) for n in _notes(tmp_path, JOIN_TERMINATED)] == [
        {"child": "the child Process-1"}]
    first.release.set()
    joins[0][1].join(5)
    assert _notes(tmp_path, JOIN_TERMINATED) == []


def _hang(method: str, waits: Any = None) -> CaseRun:
    return CaseRun(case="t", method=method, outcome=Outcome.TIMEOUT,
                   observed={JOINED_FLUSHING: waits} if waits else None)


def test_a_hang_noted_everywhere_is_named_and_not_a_start_method_problem() -> None:
    runs: Dict[Tuple[str, str], CaseRun] = {
        ("3.12", m): _hang(m, ["the child Process-1"]) for m in ("fork", "spawn", "forkserver")}
    diagnoses = check.diagnose(runs)
    assert [d.code for d in diagnoses] == ["queue-joined-before-drained"]
    assert "the child Process-1" in diagnoses[0].message
    assert diagnoses[0].links[0].endswith("#all-start-methods")
    line = check.summary_line(runs, diagnoses, check.unchecked_cells(runs))
    assert line == ("it fails the same way under every method (timeout): not a start-method "
                    "problem; its cause is named above")
    plain = {key: _hang(key[1]) for key in runs}
    assert check.diagnose(plain) == []
    assert check.summary_line(plain, [], {}, timeout=10) == (
        "every run was still running at the 10 s limit (a slow program, or a hang under every "
        "method): rerun with a longer limit, e.g. --timeout 60")


def test_an_interpreter_whose_runs_all_hit_the_limit_is_said_apart() -> None:
    """A slow program (r10 F-D: 12 s against the 10 s default) was "it fails the same way
    under every method (timeout): not a start-method problem"; the other interpreter's runs
    are judged on their own."""
    runs: Dict[Tuple[str, str], CaseRun] = {
        ("3.12", m): _hang(m) for m in ("fork", "spawn", "forkserver")}
    runs.update({("3.13", m): CaseRun(case="t", method=m, outcome=Outcome.OK, observed={
        "start_attempts": 1, "processes_started": 1, "methods_used": [m]})
        for m in ("fork", "spawn", "forkserver")})
    assert check.summary_line(runs, [], {}, timeout=2.5) == (
        "no problem found in the runs that finished; every run on 3.12 was still running at "
        "the 2.5 s limit (a slow program, or a hang under every method): rerun with a longer "
        "limit, e.g. --timeout 15")


def test_notes_are_read_for_a_hang_only(tmp_path: Path) -> None:
    (tmp_path / (JOIN_WAITS % (7, 70))).write_text(json.dumps({"child": "the child P"}))
    (tmp_path / (JOIN_WAITS % (7, 71))).write_text("not json")
    hung = check_left.hang_notes(_hang("fork"), tmp_path)
    assert hung.observed == {JOINED_FLUSHING: ["the child P"]}
    ok = CaseRun(case="t", method="fork", outcome=Outcome.OK)
    assert check_left.hang_notes(ok, tmp_path).observed is None


def test_a_join_starts_no_thread_and_keeps_its_timeout(tmp_path: Path) -> None:
    """A process started after a join must not find a thread of the watch (3.12+ warns about
    a fork with other threads alive, and check names threads-at-fork); a join(timeout) still
    returns after its timeout."""
    (tmp_path / "reports").mkdir()
    watch = JoinWatch(str(tmp_path / "reports"), str(tmp_path))
    before = threading.active_count()
    started = time.monotonic()
    proc = _Proc()
    watch.wrap(_join)(proc, 0.5)
    assert 0.45 <= time.monotonic() - started < 2 and proc.exitcode is None
    assert threading.active_count() == before
    proc.release.set()
    watch.wrap(_join)(proc)
    assert proc.exitcode == 0


def test_a_hang_folder_left_by_a_killed_check_is_swept_by_the_next_run() -> None:
    """Named as the runner's own folders (``smm-case-<pid>-``): ``leftovers.sweep_stale``
    removes those of a dead pid."""
    import os
    import shutil

    from harness import leftovers

    made = Path(check._hang_dir())
    try:
        name = made.name
        assert name.startswith(leftovers.TMP_PREFIX)
        assert name[len(leftovers.TMP_PREFIX):].split("-", 1)[0] == str(os.getpid())
    finally:
        shutil.rmtree(made)


def _pytest_run(method: str, outcome: Outcome, stderr: str = "", **observed: Any) -> CaseRun:
    return CaseRun(case="--pytest", method=method, outcome=outcome, stderr=stderr,
                   observed=observed or None, detail="no result within the hard timeout"
                   if outcome is Outcome.TIMEOUT else "")


def _hung_in(test: str, also: str = "") -> str:
    from harness.guest.check_watch import RUNNING

    return "%stest_a.py::test_ok\n%s%s\n%s" % (RUNNING, RUNNING, test, also)


def test_a_pytest_hang_is_diagnosed_in_the_test_it_hung_in() -> None:
    """--pytest: a run killed in a test is that test's outcome ("hung"), diagnosed from what
    the hang left, as script mode does: the queue-join note under every method, the
    comparison when only fork hung, spawn's bootstrapping error on stderr."""
    from harness import check_pytest

    test = "test_q.py::test_join_before_get"
    note = {JOINED_FLUSHING: ["the child Process-2"]}
    runs = {("3.12", m): _pytest_run(m, Outcome.TIMEOUT, _hung_in(test), **note)
            for m in ("fork", "spawn", "forkserver")}
    verdicts, always = check_pytest.compare(runs)
    assert verdicts == [] and always == []  # listed once, as hung (not also as failing)
    [hung] = check_pytest.hung_everywhere(runs)
    assert [d["code"] for d in hung.diagnoses] == ["queue-joined-before-drained"]
    text = check_pytest.format_tests(verdicts, always, runs)
    assert "%s  (3.12) hung under fork/forkserver/spawn: its cause:" % test in text
    assert "[queue-joined-before-drained] a process waits in join() for the child Process-2" \
        in text
    assert "nothing about start methods was checked" not in text
    assert "no test depends on the start method (of 3.12[fork], 3.12[forkserver], 3.12[spawn] " \
        "only the test it hung in is known)" in text  # not "among the runs that finished"

    passed: Dict[str, Any] = {"tests": {test: {"outcome": "passed", "error": ""}},
                              "default_method": "fork"}
    runs = {("3.12", "fork"): _pytest_run("fork", Outcome.TIMEOUT, _hung_in(test)),
            ("3.12", "spawn"): _pytest_run("spawn", Outcome.OK, **passed),
            ("3.12", "forkserver"): _pytest_run("forkserver", Outcome.OK, **passed)}
    [verdict], _ = check_pytest.compare(runs)
    assert verdict.outcomes == {"fork": "hung", "forkserver": "passed", "spawn": "passed"}
    assert [d["code"] for d in verdict.diagnoses] == ["hangs-only-under-fork"]
    assert check_pytest.hung_everywhere(runs) == []

    bootstrap = ("RuntimeError: \n        An attempt has been made to start a new process "
                 "before the\n        current process has finished its bootstrapping phase.")
    runs = {("3.12", m): _pytest_run(m, Outcome.TIMEOUT, _hung_in(test, bootstrap))
            for m in ("spawn", "forkserver")}
    [hung] = check_pytest.hung_everywhere(runs)
    assert [d["code"] for d in hung.diagnoses] == ["missing-main-guard"]
