"""A hang whose last stderr line ends the message of a traceback that is not the last one
(review r13 #9: p22's 3.12[spawn] line quoted "section in https://docs..." where the
forkserver line quoted the RuntimeError it belongs to: the kill had cut off a later
worker's traceback before its error)."""

from __future__ import annotations

from harness.check_where import format_hangs
from harness.results import HANG_QUOTE
from harness.runner import CaseRun
from harness.vocab import Outcome

_HEAD = """Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "/usr/lib/python3.12/multiprocessing/spawn.py", line 140, in _check_not_importing_main
    raise RuntimeError('''
"""
_ERROR = """RuntimeError:
        An attempt has been made to start a new process before the
        current process has finished its bootstrapping phase.

        To fix this issue, refer to the "Safe importing of main module"
        section in https://docs.python.org/3/library/multiprocessing.html
"""
FIRST = ("RuntimeError: An attempt has been made to start a new process before the current "
         "process has finished its bootstrapping phase.")
LINK = "section in https://docs.python.org/3/library/multiprocessing.html"


def test_a_line_ending_an_earlier_traceback_quotes_that_ones_error() -> None:
    # A Pool re-spawning its workers: one worker's traceback complete, the next one's cut
    # off by the kill before its error, then the resource tracker's warning.
    stderr = _HEAD + _ERROR + "        \n" + _HEAD + (
        "/usr/lib/python3.12/multiprocessing/resource_tracker.py:254: UserWarning: leaked\n"
        "  warnings.warn('resource_tracker: There appear to be %d '\n")
    run = CaseRun(case="t", method="forkserver", outcome=Outcome.TIMEOUT, stderr=stderr,
                  detail="no result within the hard timeout; process tree killed" + HANG_QUOTE
                  + LINK)
    assert format_hangs({("3.12", "forkserver"): run}, ["3.12"]).splitlines()[1:] == [
        "  3.12[forkserver]: " + FIRST]
