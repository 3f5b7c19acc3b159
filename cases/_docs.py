"""Links cited by several case modules, spelled once, and the rules two modules take from one
source. A module's own links stay in the module."""

from __future__ import annotations

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import ok, on

if TYPE_CHECKING:
    from typing import Any, Callable, List

    from harness.guest.catalog import Expect

DOCS = "https://docs.python.org/3/library/multiprocessing.html"
CONTEXTS = DOCS + "#contexts-and-start-methods"
GUIDE_SPAWN = DOCS + "#the-spawn-and-forkserver-start-methods"
ALL_METHODS = DOCS + "#all-start-methods"
OS_FORK = "https://docs.python.org/3/library/os.html#os.fork"
POSIX_FORK = "https://pubs.opengroup.org/onlinepubs/9799919799/functions/fork.html"
FUTURES = "https://docs.python.org/3/library/concurrent.futures.html"
PROCESS_POOL = FUTURES + "#processpoolexecutor"
BROKEN_POOL = FUTURES + "#concurrent.futures.process.BrokenProcessPool"
#: The fork server preloads __main__ (fixed in 3.13.8 and 3.14.1, GH-135295).
GH_126631 = "https://github.com/python/cpython/issues/126631"
NEWS_3138 = "https://github.com/python/cpython/blob/v3.13.8/Misc/NEWS.d/3.13.8.rst"
NEWS_3141 = "https://github.com/python/cpython/blob/v3.14.1/Misc/NEWS.d/3.14.1.rst"
#: Where forkserver's main-module values come from: the changelogs say only that the server
#: preloads __main__ from 3.13.8 / 3.14.1 (before, a bug kept it from doing so).
MAIN_FROM_SOURCE = ("Lib/multiprocessing/forkserver.py main() (the server imports __main__) and "
                    "spawn.py _fixup_main_from_path (a child skips a __main__ already loaded)")
#: 3.15: set_forkserver_preload(on_error=...); errors preloading __main__ ignored by default.
GH_141860 = "https://github.com/python/cpython/issues/141860"
#: PyPy 3.9: ProcessPoolExecutor.submit() raises AttributeError under spawn/forkserver.
PYPY_3910 = "https://github.com/pypy/pypy/issues/3910"


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
