"""Expectation rules two case modules take from one source (guest code, like the cases)."""

from __future__ import annotations

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import ok, on
from harness.guest.docs import NEWS_3138, NEWS_3141

if TYPE_CHECKING:
    from typing import Any, Callable, List

    from harness.guest.catalog import Expect

#: Where forkserver's main-module values come from: the changelogs say only that the server
#: preloads __main__ from 3.13.8 / 3.14.1 (before, a bug kept it from doing so).
MAIN_FROM_SOURCE = ("Lib/multiprocessing/forkserver.py main() (the server imports __main__) and "
                    "spawn.py _fixup_main_from_path (a child skips a __main__ already loaded)")


def forkserver_main_rules(value: Callable[[bool], Any]) -> List[Expect]:
    """The forkserver rules of a case counting where __main__'s top level runs, ``value(True)``
    where the server preloads __main__ (3.13.8+, 3.14.1+: gh-126631), ``value(False)`` where
    each child imports it as spawn's do. Marked as from the implementation: the docs do not say
    whether the server or each child imports the main module."""
    return [
        on("forkserver", ok(value(True)), python=">=3.14.1", source=NEWS_3141,
           from_source=MAIN_FROM_SOURCE),
        on("forkserver", ok(value(False)), python=">=3.14,<3.14.1", source=NEWS_3141,
           from_source=MAIN_FROM_SOURCE, note="before the fix: the server did not preload"),
        on("forkserver", ok(value(True)), python=">=3.13.8,<3.14", source=NEWS_3138,
           from_source=MAIN_FROM_SOURCE),
        on("forkserver", ok(value(False)), python="<3.13.8", source=NEWS_3138,
           from_source=MAIN_FROM_SOURCE, note="before the fix: the server did not preload"),
    ]
