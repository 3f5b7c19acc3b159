"""Why a run is partial (``environment.partial_cause``, results format 1.6): the forms the
plugin writes ("SIGTERM", "output closed", "pytest exit status 3", "2 cells missing", "the
harness could not run 2 cells") and how a report or ``verify-leg`` reads them back, in one place
so that the reading knows every form; and why a cell the harness could not run holds no result.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from harness.guest.words import INTERRUPTED
from harness.text import shorten

__all__ = ["CANNOT_START", "EVERY_CELL", "HARNESS_COULD_NOT", "OUTPUT_CLOSED", "RESULTS_WRITTEN",
           "STOPPED_EARLY", "STOP_SIGNALS", "ended", "exit_status", "harness_failed",
           "harness_reason", "is_harness_error", "is_harness_reason", "missing",
           "nothing_written", "read", "words"]

#: The signals that stop a command as Ctrl-C does (``harness.stopping``; those a platform
#: lacks are skipped); a run one of them stopped has the signal's name as its cause. SIGBREAK:
#: Windows' Ctrl-Break, which the Actions runner sends 7.5 s after Ctrl-C on a cancelled step.
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
#: pytest ended with an INTERNALERROR writing to an output whose reader left (`| head -1`).
OUTPUT_CLOSED = "output closed"
#: Why a stop signal had nothing left to stop ("harness: SIGINT after every cell had
#: finished"; a complete run's line: "complete: every cell had finished before SIGINT").
EVERY_CELL = "every cell had finished"
#: … or pytest ran no more cells (-x, --maxfail): what it did not reach stays partial.
STOPPED_EARLY = "pytest had stopped early"
#: … or the results file is written already: nothing is left but to exit.
RESULTS_WRITTEN = "the results file was written"
#: How much of a cause read from a file is shown: the report repeats it in several places.
SHOWN = 120
#: How a cell the harness could not run reads (a cause, a not-run reason): it holds no result
#: of its case, so the run is partial and the cell not run.
HARNESS_COULD_NOT = "the harness could not"
#: The detail of a cell whose interpreter the harness could not start (``runner``).
CANNOT_START = HARNESS_COULD_NOT + " start the interpreter"


def exit_status(code: Any) -> str:
    """The cause when pytest's exit status says the run broke off: "pytest exit status 3"."""
    return "pytest exit status %s" % code


def missing(cells: int) -> str:
    """The cause when selected cells have no result and nothing else says why."""
    return "%d cell%s missing" % (cells, "" if cells == 1 else "s")


def harness_failed(cells: int, of: Optional[int] = None) -> str:
    """The cause when the harness could not run some cells, none missing: "the harness could
    not run 2 cells"; with ``of`` (the run's error line), "… 2 of the 60 cells"."""
    return "%s run %d%s cell%s" % (HARNESS_COULD_NOT, cells, " of the %d" % of if of else "",
                                   "" if of is None and cells == 1 else "s")


def is_harness_error(cell: Mapping[str, Any]) -> bool:
    """Whether the harness failed to run the cell (``runner.HARNESS_ERROR`` and the guest's own:
    an unknown case): its error's ``where`` is the harness."""
    error = cell.get("error")
    return isinstance(error, Mapping) and error.get("where") == "harness"


def harness_reason(cell: Mapping[str, Any]) -> str:
    """Why a cell the harness failed to run has no result, its not-run reason: its detail when
    that says so (:data:`CANNOT_START`), else "the harness could not run it: <what went wrong>"."""
    detail, error = cell.get("detail"), cell.get("error")
    detail = detail if isinstance(detail, str) else ""
    if detail.startswith(HARNESS_COULD_NOT):
        return shorten(detail, SHOWN)
    error = error if isinstance(error, Mapping) else {}
    said = detail or "%s: %s" % (error.get("type"), error.get("message"))
    return shorten("%s run it: %s" % (HARNESS_COULD_NOT, said), SHOWN)


def is_harness_reason(why: str) -> bool:
    """Whether a not-run reason (or a cause) is a harness failure's (:func:`harness_reason`)."""
    return why.startswith(HARNESS_COULD_NOT)


def read(value: Any) -> str:
    """A cause as read from a file, on one line and cut to :data:`SHOWN` characters; "" when
    the file says none (or not as text)."""
    return shorten(value, SHOWN) if isinstance(value, str) else ""


def words(cause: str) -> str:
    """A cause in words: "interrupted by SIGTERM", "output closed", "pytest exit status 3",
    "2 cells missing"; "interrupted" when the file does not say (format 1.5)."""
    if not cause:
        return INTERRUPTED
    return "%s by %s" % (INTERRUPTED, cause) if cause in STOP_SIGNALS else cause


def nothing_written(signal: str) -> str:
    """A run a stop signal ended before any cell finished, whenever it came (while the command
    started, pytest probed or collected, or cells ran): "interrupted by SIGTERM before any
    cell finished; no results file written"."""
    return "%s before any cell finished; no results file written" % words(signal)


def ended(cause: str) -> str:
    """How a partial run ended, after "Linux 3.14 was": "interrupted by SIGTERM", "cut short
    (output closed)"."""
    return words(cause) if not cause or cause in STOP_SIGNALS else "cut short (%s)" % cause
