"""The closed vocabularies shared by every part of the harness (defined once, here).

Runs inside the interpreter under test: standard library only, Python 3.8 syntax.
"""

from __future__ import annotations

import enum
from typing import Final, Literal

__all__ = [
    "CATEGORIES",
    "START_METHODS",
    "Category",
    "Outcome",
    "StartMethod",
    "Verdict",
]

StartMethod = Literal["fork", "forkserver", "spawn"]
#: Every start method multiprocessing knows, in a fixed display order.
START_METHODS: Final = ("fork", "forkserver", "spawn")

Category = Literal["methods", "inheritance", "deadlock", "pickling", "performance", "api",
                   "realworld"]
CATEGORIES: Final = ("methods", "inheritance", "deadlock", "pickling", "performance", "api",
                     "realworld")


class Outcome(str, enum.Enum):
    """What happened when one case ran under one start method."""

    #: The case returned; ``observed`` holds the JSON value it returned.
    OK = "ok"
    #: An exception escaped the case (raised in the parent, or re-raised from the child).
    ERROR = "error"
    #: The case did not finish within its hard timeout (a hang, e.g. a deadlock).
    TIMEOUT = "timeout"
    #: The case parent died without a result: killed by a signal, or exited with no exception.
    CRASH = "crash"
    #: The start method (or a facility the case needs) does not exist on this platform.
    UNAVAILABLE = "unavailable"


class Verdict(str, enum.Enum):
    """How an outcome compares with what the documentation says should happen."""

    AS_EXPECTED = "as-expected"
    UNEXPECTED = "unexpected"
    NO_EXPECTATION = "no-expectation"
