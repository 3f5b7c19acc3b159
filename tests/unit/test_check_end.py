"""How check ends the user's program (review r21): the interpreter's own exit steps in its
order (a Manager and an executor kept in globals are stopped by them, after the program's own
atexit handler), a closed ``Process`` never looked at again, and what the interpreter's exit
does kept as it does it (review r23)."""

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

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "check"
_LIMIT = 30.0  # seconds any of these runs may take (each ends in about one)


def _guest(tmp_path: Path, script: str, method: str, python: str = sys.executable
           ) -> Tuple[Dict[str, Any], "subprocess.CompletedProcess[str]", float]:
    """Run check's guest on a fixture (its own session: whatever it leaves is killed) and
    return its result, the process and the seconds it took."""
    hang = tmp_path / "hang"
    hang.mkdir()
    result = tmp_path / "result.json"
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    out, err = tmp_path / "stdout", tmp_path / "stderr"  # files: a child left holds no pipe
    started = time.monotonic()
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [python, "-I", str(ROOT / "harness" / "guest" / "check_exec.py"),
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


def test_a_thread_waiting_for_the_main_thread_to_end_sees_it_end(tmp_path: Path) -> None:
    """Review r23: check joined the threads while the main thread still counted as alive, so
    a thread waiting for it never ended (a timeout, where python exits 0)."""
    result, proc, took = _guest(tmp_path, "exit_waits_main.py", "fork")
    assert (result["outcome"], proc.returncode) == ("ok", 0), (result, proc.stderr)
    assert proc.stdout == "worker saw main end\n", proc.stderr
    assert took < _LIMIT / 2, took


def _oldest() -> str:
    """The oldest CPython pyenv holds (3.8/3.9: ``_run_exitfuncs`` re-raises), else this one."""
    found = sorted(Path(os.path.expanduser("~/.pyenv/versions")).glob("3.[89].*/bin/python3"))
    return str(found[0]) if found else sys.executable


@pytest.mark.parametrize("python", [sys.executable, _oldest()], ids=["this", "oldest"])
def test_an_atexit_handler_that_raises_changes_nothing(tmp_path: Path, python: str) -> None:
    """Review r23: on 3.8/3.9 the handler's error escaped check's exit steps: "error … status
    1", where python prints it and exits 0."""
    result, proc, _ = _guest(tmp_path, "atexit_raises.py", "spawn", python)
    assert (result["outcome"], proc.returncode) == ("ok", 0), (result, proc.stderr)
    assert "boom in atexit" in proc.stderr


def test_a_program_that_closed_its_stdout_ends_as_it_does(tmp_path: Path) -> None:
    """Review r23: flushing the closed stream raised, the result was never written: a crash."""
    result, proc, _ = _guest(tmp_path, "closes_stdout.py", "fork")
    assert result["outcome"] == "ok", (result, proc.stderr)
    assert proc.stdout == "bye\n"


def test_an_atexit_handlers_warning_reaches_stderr(tmp_path: Path) -> None:
    """Review r23: the exit steps ran inside check's recorded warnings: the warning vanished."""
    result, proc, _ = _guest(tmp_path, "warns_at_exit.py", "fork")
    assert result["outcome"] == "ok", (result, proc.stderr)
    assert "UserWarning: warned in atexit" in proc.stderr
