"""Which start methods exist here and which one is the default.

Sources: https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods
"""

from __future__ import annotations

import multiprocessing

from harness.guest.catalog import Context, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS, PROCESS_POOL, WHATSNEW_314

GH_155717 = "https://github.com/python/cpython/issues/155717"
#: The condition Linux's forkserver default has had since 3.14.9 / 3.15.1 (changelogs, gh-155717).
#: The cells do not record whether a temporary directory was writable.
NO_TEMP_DIR = ("from 3.14.9 and 3.15.1 the default is spawn instead when there is no writable "
               "temporary directory (gh-155717, changelog); these cells assume one")


@case(
    "methods.available",
    title="Start methods available, in the order get_all_start_methods() lists them",
    source=[DOCS + "#multiprocessing.get_all_start_methods", CONTEXTS, GH_155717],
    covers=[1, 5, 9, 15, 42],
    expect=[
        # Windows has spawn only; macOS lists spawn first since 3.8.4/3.9 (bpo-39244).
        on("*", ok(["spawn"]), os="windows"),
        on("*", ok(["spawn", "fork", "forkserver"]), os="macos", python=">=3.9",
           source="https://bugs.python.org/issue39244",
           from_source="Lib/multiprocessing/context.py (order of the non-default methods)"),
        # gh-84559: the default comes first; on Linux it is forkserver from 3.14.
        on("*", ok(["forkserver", "fork", "spawn"]), os="linux", python=">=3.14",
           source=WHATSNEW_314, note=NO_TEMP_DIR,
           from_source="Lib/multiprocessing/context.py (order of the non-default methods)"),
        on("*", ok(["fork", "spawn", "forkserver"]), os="linux", python="<3.14",
           from_source="Lib/multiprocessing/context.py (order of the non-default methods)"),
    ],
)
def available(ctx: Context) -> object:
    """get_all_start_methods() lists the supported start methods, the default first.

    Why it matters: code that hard-codes "fork" breaks on Windows, and code that takes the first
    entry gets a different method on Linux from 3.14 on. The list is the same whichever method a
    cell runs under: it describes the platform. From 3.14.9 / 3.15.1 Linux lists spawn first
    when there is no writable temporary directory (gh-155717): the rule assumes one.
    Source: multiprocessing docs, get_all_start_methods; whatsnew 3.14 (gh-84559); CPython
    changelogs 3.14.9 and 3.15.1 (gh-155717).
    """
    return multiprocessing.get_all_start_methods()


@case(
    "methods.default",
    labels={
        "before_use": "the global start method before first use",
        "default": "the default start method",
        "executor": "ProcessPoolExecutor's default start method",
    },
    title="The default start method, for multiprocessing and for ProcessPoolExecutor",
    source=[CONTEXTS, WHATSNEW_314, PROCESS_POOL, GH_155717],
    covers=[6, 10, 16, 17, 18, 60, 61],
    claims=["fork_default_unix"],
    expect=[
        on("*", ok({"before_use": None, "default": "spawn", "executor": "spawn"}),
           os=("windows", "macos")),
        on("*", ok({"before_use": None, "default": "forkserver", "executor": "forkserver"}),
           os="linux", python=">=3.14", source=WHATSNEW_314, note=NO_TEMP_DIR),
        on("*", ok({"before_use": None, "default": "fork", "executor": "fork"}),
           os="linux", python="<3.14"),
    ],
)
def default(ctx: Context) -> object:
    """The default start method is fork on Linux up to 3.13, forkserver from 3.14, and spawn on
    macOS (3.8+) and Windows; ProcessPoolExecutor uses the same default. From 3.14.9 and 3.15.1
    Linux's default is spawn when there is no writable temporary directory (a read-only file
    system; before, starting a process failed with OSError there): the Linux 3.14+ rule assumes
    a writable one, which the cell does not record.

    Why it matters: "fork is the default on Unix" is the most repeated claim about
    multiprocessing, and it stopped being true on macOS in 3.8 and on Linux in 3.14.
    get_start_method(allow_none=True) is None in a fresh interpreter: nothing is fixed until
    first use. Source: multiprocessing docs, Contexts and start methods; whatsnew 3.14; CPython
    changelogs 3.14.9 and 3.15.1 (gh-155717).
    """
    before = multiprocessing.get_start_method(allow_none=True)
    default_method = multiprocessing.get_context().get_start_method()
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(max_workers=1)
    try:
        executor_method = executor._mp_context.get_start_method()  # type: ignore[union-attr]
    finally:
        executor.shutdown(wait=True)
    return {"before_use": before, "default": default_method, "executor": executor_method}
