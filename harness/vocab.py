"""The host's typed view of the closed vocabularies spelled in ``harness.guest.words`` (import
the word tuples from there).

Host side (runner, plugin, expectations, report): the enums cost an ``enum`` import that the
guest room avoids.
"""

from __future__ import annotations

import enum

from harness.guest import words

__all__ = ["Outcome", "Verdict"]


class Outcome(str, enum.Enum):
    """What happened when one case ran under one start method."""

    #: The case returned; ``observed`` holds the JSON value it returned.
    OK = words.OK
    #: An exception escaped the case (raised in the parent, or re-raised from the child).
    ERROR = words.ERROR
    #: The case did not finish within its hard timeout (a hang, e.g. a deadlock).
    TIMEOUT = words.TIMEOUT
    #: The case parent died without a result: killed by a signal, or exited with no exception.
    CRASH = words.CRASH
    #: The start method (or a facility the case needs) does not exist on this platform.
    UNAVAILABLE = words.UNAVAILABLE


class Verdict(str, enum.Enum):
    """How an outcome compares with what the documentation says should happen."""

    AS_EXPECTED = words.AS_EXPECTED
    UNEXPECTED = words.UNEXPECTED
    NO_EXPECTATION = words.NO_EXPECTATION
