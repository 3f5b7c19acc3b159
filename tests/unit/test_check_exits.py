"""How a run's end is read (review r10): a child no wrapper watched that exited non-zero, its
error found on stderr by its process's name; a child's exit without a traceback quoted by
stderr's last line; ``os._exit`` in the program's own process writing the result first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

from harness.check import _refine
from harness.guest import check_exec
from harness.runner import CaseRun
from harness.vocab import Outcome

ROOT = Path(__file__).resolve().parents[2]


class _Proc:
    def __init__(self, pid: int, exitcode: Optional[int]) -> None:
        self.pid, self.exitcode, self.name = pid, exitcode, "Worker-%d" % pid


def _unwrapped(pid: int, code: Optional[int]) -> Dict[str, Any]:
    return {"process": _Proc(pid, code), "pid": pid, "wrapped": False}


def test_an_unwatched_child_that_exits_non_zero_failed() -> None:
    """A ``Process`` subclass that pickles itself runs no wrapper: exit status 1 (its run()
    raised) is a failure naming the process; 0, or a stop on purpose, is none."""
    check_exec._STOPPED.clear()
    failed = check_exec._child_failure([_unwrapped(20, 0), _unwrapped(21, 1)], {}, False)
    assert failed == {"type": "ChildFailed", "where": "child", "process": "Worker-21",
                      "message": "the child Worker-21 exited with code 1"}
    check_exec._STOPPED.add(21)
    assert check_exec._child_failure([_unwrapped(21, 1)], {}, False) is None
    check_exec._STOPPED.clear()


_STDERR = """parent: starting
Process Worker-1:
Traceback (most recent call last):
  File "/usr/lib/python3.12/multiprocessing/process.py", line 314, in _bootstrap
    self.run()
  File "/home/u/jobs.py", line 9, in run
    self.table[self.key]
KeyError: 'k'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/usr/lib/python3.12/multiprocessing/process.py", line 314, in _bootstrap
    self.run()
  File "/home/u/jobs.py", line 11, in run
    raise LookupError("no k in the table")
LookupError: no k in the table
parent: done
"""


def _failed(stderr: str, **error: Any) -> Dict[str, Any]:
    run = CaseRun(case="t", method="spawn", outcome=Outcome.ERROR, stderr=stderr,
                  error=dict({"type": "ChildFailed", "where": "child"}, **error))
    return _refine(run).error or {}


def test_an_unwatched_childs_error_is_read_from_its_traceback() -> None:
    """The last exception of the chain the process printed, with its user frames; another
    process's traceback later on stderr is not it."""
    other = ('\nTraceback (most recent call last):\n  File "/home/u/main.py", line 3, in '
             '<module>\nqueue.Empty\n')
    error = _failed(_STDERR + other, process="Worker-1",
                    message="the child Worker-1 exited with code 1")
    assert (error["type"], error["message"]) == ("LookupError", "no k in the table")
    assert [(f["function"], f["line"]) for f in error["traceback"]] == [("run", 11)]


def test_a_child_exit_without_traceback_quotes_stderrs_last_line() -> None:
    """``sys.exit(2)`` in a child, argparse's usage error in a callable's: the message says what
    the program last wrote on stderr (it was only in ``--json``'s stderr)."""
    usage = "usage: tool [-h] name\ntool: error: the following arguments are required: name\n"
    error = _failed(usage, message="the child exited with code 2")
    assert error["message"] == ("the child exited with code 2 (stderr's last line: tool: "
                                "error: the following arguments are required: name)")
    error = _failed("", process="Worker-3", message="the child Worker-3 exited with code 3")
    assert error["message"] == "the child Worker-3 exited with code 3"


_HARD_EXIT = """
import os, sys, json
sys.path.insert(0, %r)
from harness.guest import check_exec
path = sys.argv[1]
check_exec._write_at_hard_exit(path, lambda result: dict(result, finished=True))
child = os.fork()
if child == 0:
    os._exit(0)  # a fork child's exit: the parent's result is not written by it
os.waitpid(child, 0)
assert not os.path.exists(path)
os._exit(4)
"""


def test_os_exit_in_the_program_writes_its_status_first(tmp_path: Path) -> None:
    """``os._exit(4)`` in the program's process: the result says status 4, then the process
    exits 4; ``os._exit`` in a fork child of it writes nothing."""
    path = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, "-c", _HARD_EXIT % str(ROOT), str(path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 4, proc.stderr
    result = json.loads(path.read_text())
    assert result["finished"] and result["outcome"] == "error", result
    assert result["error"]["message"] == "the script exited with status 4 (os._exit)"
