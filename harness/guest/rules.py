"""Expectations as data: the rules a case declares (``on(methods, ok(value), python=...)``).

Guest code (see :mod:`harness.guest.catalog`, which re-exports every name here for the
``cases/`` modules): standard library only, Python 3.8 syntax; at module level it imports
only ``harness.guest`` (for ``TYPE_CHECKING``).
"""

from __future__ import annotations

from harness.guest import TYPE_CHECKING
from harness.guest.words import CRASH, ERROR, OK, TIMEOUT, UNAVAILABLE

if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Sequence, Tuple, Union

    Json = Any

__all__ = ["Expect", "crash", "error", "ok", "on", "timeout", "unavailable"]


class Expect:
    """One expectation rule: under ``methods`` (and the conditions), the outcome should be this.

    Rules are data (see ``to_dict``); a case lists them in order and the first rule whose
    method and conditions match an environment gives the expectation there.

    Where a rule comes from, beyond its case's docs sources (shown by the report):
    - ``inferred``: the docs do not state the value, but it follows from a start method's
      documented mechanism. The one policy, applied to every case: fork's child is a copy of
      the parent at start() ("effectively identical"), so it keeps what the parent holds,
      buffers and held locks included; forkserver's children are forked by a server started
      earlier, so state the parent changes after the server started (environment, cwd, umask,
      limits) does not reach them. A case the mechanism speaks to gets the inferred rule even
      where the implementation is known to do otherwise; the mismatch is then a finding.
    - ``from_source``: a detail the docs do not give, copied from CPython's source (the file
      is named): the report marks it "from the implementation, not the docs".
    - ``error()`` with no type: no source names the exception; the report says "any error"
      and shows the type observed. A child that died without a result (``ChildDied``) is a
      crash, not a raised error, and does not meet such a rule.
    """

    def __init__(
        self,
        outcome: str,
        value: Json = None,
        has_value: bool = False,
        error_type: Optional[str] = None,
        contains: Optional[str] = None,
        said: Optional[str] = None,
    ) -> None:
        self.outcome = outcome
        self.value = value
        self.has_value = has_value
        self.error_type = error_type
        self.contains = contains
        self.said = said
        self.methods: Tuple[str, ...] = ("*",)
        self.conditions: Dict[str, Any] = {}
        self.note: Optional[str] = None
        self.source: Optional[str] = None
        self.inferred = False
        self.from_source: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"outcome": self.outcome, "methods": list(self.methods)}
        if self.has_value:
            data["value"] = self.value
        if self.error_type is not None:
            data["error_type"] = self.error_type
        if self.contains is not None:
            data["contains"] = self.contains
        if self.said is not None:
            data["said"] = self.said
        if self.conditions:
            data["when"] = dict(self.conditions)
        if self.note:
            data["note"] = self.note
        if self.source:
            data["source"] = self.source
        if self.inferred:
            data["inferred"] = True
        if self.from_source:
            data["from_implementation"] = self.from_source
        return data


def ok(*value: Json) -> Expect:
    """The case returns normally; with an argument, the observed value must equal it."""
    if len(value) > 1:
        raise TypeError("ok() takes at most one value")
    return Expect(OK, value[0] if value else None, has_value=bool(value))


def error(error_type: Optional[str] = None, contains: Optional[str] = None) -> Expect:
    """An exception escapes: named ``error_type`` if given (any type if the docs name none),
    optionally with a message containing a text."""
    return Expect(ERROR, error_type=error_type, contains=contains)


def timeout(said: Optional[str] = None) -> Expect:
    """The case hangs until the runner's hard timeout; with ``said``, where the case says it
    blocks: the last line its processes wrote to stderr before the kill contains it (any
    other hang does not meet the rule)."""
    return Expect(TIMEOUT, said=said)


def crash() -> Expect:
    """The case parent dies (signal or exit without an exception)."""
    return Expect(CRASH)


def unavailable() -> Expect:
    """The method or facility does not exist on this platform."""
    return Expect(UNAVAILABLE)


def on(
    methods: Union[str, Sequence[str]],
    expect: Expect,
    python: Optional[str] = None,
    os: Optional[Union[str, Sequence[str]]] = None,
    impl: Optional[Union[str, Sequence[str]]] = None,
    free_threading: Optional[bool] = None,
    note: Optional[str] = None,
    source: Optional[str] = None,
    inferred: bool = False,
    from_source: Optional[str] = None,
) -> Expect:
    """Bind ``expect`` to start methods and optional conditions.

    ``python`` is a comma-separated list of comparisons (``">=3.12,<3.14"``); ``os`` is
    ``linux``/``macos``/``windows``; ``impl`` is ``cpython``/``pypy``. ``inferred`` and
    ``from_source`` say where the rule comes from (see ``Expect``).
    """
    rule = Expect(expect.outcome, expect.value, expect.has_value, expect.error_type,
                  expect.contains)
    rule.methods = (methods,) if isinstance(methods, str) else tuple(methods)
    if python is not None:
        rule.conditions["python"] = python
    if os is not None:
        rule.conditions["os"] = [os] if isinstance(os, str) else list(os)
    if impl is not None:
        rule.conditions["impl"] = [impl] if isinstance(impl, str) else list(impl)
    if free_threading is not None:
        rule.conditions["free_threading"] = free_threading
    rule.note = note
    rule.source = source
    rule.inferred = inferred
    rule.from_source = from_source
    return rule
