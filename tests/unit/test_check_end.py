"""How check ends the user's program (review r21): the interpreter's own exit steps in its
order (a Manager and an executor kept in globals are stopped by them, after the program's own
atexit handler), a closed ``Process`` never looked at again, and a child still running after
the program ended reported at the deadline instead of waiting for the hard timeout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from harness.check_stacks import format_stacks, with_stacks
from harness.guest.check_exit import STILL_RUNNING
from harness.guest.check_suite import DUMP_AT
from harness.runner import CaseRun
from harness.vocab import Outcome

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "check"
_LIMIT = 30.0  # seconds any of these runs may take (each ends in about one)


def _guest(tmp_path: Path, script: str, method: str,
           deadline: float = 0.0) -> Tuple[Dict[str, Any], "subprocess.CompletedProcess[str]",
                                           float]:
    """Run check's guest on a fixture (its own session: whatever it leaves is killed) and
    return its result, the process and the seconds it took."""
    hang = tmp_path / "hang"
    hang.mkdir()
    result = tmp_path / "result.json"
    env = dict(os.environ, **({DUMP_AT: "%.3f" % deadline} if deadline else {}))
    env.pop("PYTHONPATH", None)
    out, err = tmp_path / "stdout", tmp_path / "stderr"  # files: a child left holds no pipe
    started = time.monotonic()
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-I", str(ROOT / "harness" / "guest" / "check_exec.py"),
             str(ROOT), str(FIXTURES), script, method, "[]", str(hang), str(result)],
            stdout=stdout, stderr=stderr, env=env, start_new_session=True)
    try:
        proc.wait(timeout=_LIMIT)
    except subprocess.TimeoutExpired:
        pass
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the session: a child left running too
        except OSError:
            pass
        proc.wait()
    took = time.monotonic() - started
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out.read_text(),
                                       err.read_text())
    assert result.exists(), (took, done.stderr)
    return json.loads(result.read_text()), done, took


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_manager_and_an_executor_in_globals_end_as_the_interpreters_exit_ends_them(
        tmp_path: Path, method: str) -> None:
    """Only the interpreter's exit stops them (concurrent.futures' exit hook, multiprocessing's
    finalizers): check waited for their processes first, for ever. The program's own atexit
    handler still runs first, while the Manager serves."""
    result, proc, took = _guest(tmp_path, "left_for_exit.py", method)
    assert (result["outcome"], proc.returncode) == ("ok", 0), (result, proc.stderr)
    assert proc.stdout == "at exit: {'square': 49}\n", proc.stderr
    assert result["observed"]["exitcodes"] == [0, 0], result
    assert took < _LIMIT / 2, took


def test_a_closed_process_is_never_looked_at_again(tmp_path: Path) -> None:
    """``Process.close()`` after the join (review r21): check's own join or exit code of it
    raised ValueError, a crash of every run; its exit code is kept as it was closed."""
    result, proc, _ = _guest(tmp_path, "closed_process.py", "spawn")
    assert (result["outcome"], proc.returncode) == ("ok", 0), (result, proc.stderr)
    assert result["observed"]["exitcodes"] == [0], result
    assert "Traceback" not in proc.stderr, proc.stderr


def test_a_child_still_running_after_the_program_ended_is_said_at_the_deadline(
        tmp_path: Path) -> None:
    """A child that never ends, never joined: the interpreter's exit would wait for it for
    ever. At the deadline the run says which child, with what it saw, and exits."""
    result, _, took = _guest(tmp_path, "child_outlives_program.py", "fork",
                             deadline=time.time() + 2.0)
    assert result["outcome"] == "timeout", result
    assert result["detail"] == STILL_RUNNING + "forever", result
    assert result["observed"]["processes_started"] == 1, result
    assert took < _LIMIT / 2, took


def test_a_child_still_running_is_where_the_run_waited() -> None:
    """The host shows that run's detail where a killed hang's stacks go (it was not killed:
    there are none to ask)."""
    run = CaseRun(case="p.py", method="fork", outcome=Outcome.TIMEOUT, observed={},
                  detail=STILL_RUNNING + "forever; 1 process(es) still running after the case "
                  "ended were killed")
    text = format_stacks({("3.12", "fork"): with_stacks(run, Path("/nonexistent"))}, ["3.12"],
                         "/tmp")
    assert text.splitlines()[1] == "  3.12[fork]: parent: " + STILL_RUNNING + "forever", text
