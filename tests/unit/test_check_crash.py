"""A child that dies of a fatal signal leaves faulthandler's dump on stderr (check enables it
in the children it watches): a crash inside a multiprocessing Queue or lock of a non-fork child
is the context mix of gh-77377 on Pythons that do not refuse it; a hang quotes the dump's error
and innermost frame, not its last frame."""

from __future__ import annotations

from harness.check_diagnose import diagnose
from harness.check_where import format_hangs
from harness.results import HANG_QUOTE
from harness.runner import CaseRun
from harness.vocab import Outcome

#: CPython 3.8's dump, as the spawn child of tests/fixtures/check/queue_other_context.py wrote
#: it; PyPy 3.9 writes "Stack (most recent call first, approximate line numbers):" instead.
DUMP = """Fatal Python error: Segmentation fault

Current thread 0x00007fd00c228b80 (most recent call first):
  File "/usr/lib/python3.8/multiprocessing/queues.py", line 83 in put
  File "/home/u/queue_other_context.py", line 11 in work
  File "/usr/lib/python3.8/multiprocessing/process.py", line 108 in run
  File "<string>", line 1 in <module>
"""
PYPY = DUMP.replace("Current thread 0x00007fd00c228b80 (most recent call first):",
                    "Stack (most recent call first, approximate line numbers):")


def _hang(stderr: str, method: str = "fork") -> CaseRun:
    last = stderr.rstrip("\n").splitlines()[-1].strip()
    return CaseRun(case="t", method=method, outcome=Outcome.TIMEOUT, stderr=stderr,
                   detail="no result within the hard timeout; process tree killed" +
                   HANG_QUOTE + last)


def test_a_crash_in_a_queue_is_the_context_mix() -> None:
    for dump in (DUMP, PYPY):
        found = diagnose({("3.8", "fork"): _hang(dump)})
        assert [d.code for d in found] == ["context-mixed"]
        assert "segmentation fault in Queue.put" in found[0].message


def test_a_crash_elsewhere_is_not() -> None:
    """The innermost frame is the user's (a C extension crashed): no cause is claimed."""
    user = DUMP.replace('  File "/usr/lib/python3.8/multiprocessing/queues.py", line 83 in put\n',
                        "")
    assert diagnose({("3.8", "fork"): _hang(user)}) == []


def test_a_hang_quotes_the_fatal_error_and_where() -> None:
    text = format_hangs({("3.8", "fork"): _hang(DUMP)}, ["3.8"])
    assert text.splitlines()[1] == ("  3.8[fork]: Fatal Python error: Segmentation fault (a "
                                    "process died in multiprocessing/queues.py:83 in put)")
