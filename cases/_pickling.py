"""Shared by ``cases.pickling``, ``cases.pickling_results`` and ``cases.pickling_objects``: the
docs links they cite and the error normalisation that keeps their cells comparable across runs
and platforms.
"""

from __future__ import annotations

import re

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import ChildDied, ChildError, error, on
from harness.guest.docs import CONTEXTS
from harness.guest.docs import DOCS as MP_DOCS

# Programming guidelines > The spawn and forkserver start methods > "More picklability".
from harness.guest.docs import GUIDE_SPAWN as MORE_PICKLABILITY

if TYPE_CHECKING:
    from typing import Any, Callable, NoReturn

    from harness.guest.catalog import Context

__all__ = [
    "CONTEXTS",
    "MORE_PICKLABILITY",
    "MP_DOCS",
    "NO_TYPE",
    "PICKLABLE",
    "PICKLE_DOCS",
    "PROCESS_NOTE",
    "in_child",
    "normalise",
    "raise_as",
    "start_fails",
]

PROCESS_NOTE = MP_DOCS + "#multiprocessing.Process"
PICKLE_DOCS = "https://docs.python.org/3/library/pickle.html"
PICKLABLE = PICKLE_DOCS + "#what-can-be-pickled-and-unpickled"

#: The note of an ``error()`` rule with no type: no cited source names the exception.
NO_TYPE = "no source names an exception type: any error (the report shows the type seen)"


def start_fails() -> Any:
    """spawn/forkserver ``start()`` fails: it pickles the process object in the parent. The
    pickle docs name PicklingError; which type CPython raises is checked once, in
    ``pickling.unpicklable_error_type`` (a finding: TypeError/AttributeError), so these rules
    name the cause instead: the error comes out of ``start()`` (not a child that died)."""
    return on(("spawn", "forkserver"), error(contains="start():"),
              note="start() fails in the parent (pickling the process object); the type is "
                   "checked in pickling.unpicklable_error_type")

_ADDRESS = re.compile(r"\s+at 0x[0-9a-fA-F]+")
_PID = re.compile(r"\b(pid|parent)=\d+")
_PATH = re.compile(r"(['\"(<\s])(/|[A-Za-z]:\\)[^'\")>\s]*[/\\]([^/\\'\")>\s]+)")


def normalise(text: str) -> str:
    """First line of an error message without addresses, pids and directories (max 200)."""
    lines = str(text).strip().splitlines()
    head = lines[0] if lines else ""
    head = _ADDRESS.sub("", head)
    head = _PID.sub(r"\1=N", head)
    head = _PATH.sub(r"\1\3", head)
    return head[:200]


def raise_as(type_name: str, message: str, where: str) -> NoReturn:
    """Raise an exception whose class name is ``type_name`` and whose message is normalised.

    The executor records ``type(exc).__name__`` and ``str(exc)``: the cell keeps the real
    exception type and a message that is the same in every run.
    """
    cls = type(type_name, (Exception,), {})
    raise cls(f"{where}: {normalise(message)}")


def start_failed(exc: BaseException) -> NoReturn:
    """``start()`` raised ``exc``: as a ``start(): ...`` error (what ``start_fails`` expects)
    only when it was raised while pickling the process object (under
    ``multiprocessing.reduction.dump``, where spawn and forkserver send it); any other failure
    (a socket path too long, a full disk) is raised as it is, so it cannot pass for that."""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "dump" and code.co_filename.endswith("reduction.py"):
            raise_as(type(exc).__name__, str(exc), "start()")
        tb = tb.tb_next
    raise exc


def in_child(ctx: Context, func: Callable[..., Any], *args: Any) -> Any:
    """``ctx.call_in_child`` with normalised errors (``start()`` in the parent, or the child)."""
    try:
        return ctx.call_in_child(func, *args)
    except ChildError as exc:
        raise ChildError(exc.type_name, normalise(exc.message)) from None
    except ChildDied:
        raise
    except Exception as exc:
        start_failed(exc)
