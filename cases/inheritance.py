"""What a child inherits from its parent under each start method.

Child targets live at module level: spawn and forkserver children import this module afresh.
"""

from __future__ import annotations

import importlib
import os
import sys

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import LONG_TIMEOUT, Context, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS, GUIDE_SPAWN

if TYPE_CHECKING:
    from typing import Optional

#: Import-time value; the article's example assigns a new one in the main block.
SHARED_VALUE = "import-time"


def _read_shared_value() -> str:
    return SHARED_VALUE


@case(
    "inheritance.global_assigned_in_main",
    title="A global assigned in the main block before start() is seen only by fork children",
    source=[GUIDE_SPAWN, CONTEXTS],
    covers=[2, 8, 14, 29],
    claims=["fork_copies_state", "spawn_fresh_interpreter", "forkserver_clean_state"],
    expect=[
        on("fork", ok("assigned-in-main")),
        on(("spawn", "forkserver"), ok("import-time")),
    ],
)
def global_assigned_in_main(ctx: Context) -> object:
    """A module global reassigned by the parent before start() is seen by a fork child; spawn
    and forkserver children import the module again and see its import-time value.

    Why it matters: the reference article's first example relies on this; it silently reads a
    stale value on macOS, Windows and (from 3.14) Linux, where fork is not the default.
    Source: multiprocessing docs, Programming guidelines > "Global variables".
    """
    global SHARED_VALUE
    SHARED_VALUE = "assigned-in-main"
    try:
        return ctx.call_in_child(_read_shared_value)
    finally:
        SHARED_VALUE = "import-time"


def _get_from_queue(queue: object) -> object:
    return queue.get(timeout=30)  # type: ignore[attr-defined]


@case(
    "inheritance.value_via_queue",
    title="A value sent through a Queue reaches the child under every method",
    source=[DOCS + "#exchanging-objects-between-processes", GUIDE_SPAWN, CONTEXTS],
    covers=[2, 14],
    claims=["spawn_needs_explicit_passing"],
    expect=[on("*", ok(42))],
)
def value_via_queue(ctx: Context) -> object:
    """A value put on a multiprocessing Queue before start() is received by the child, whatever
    the start method: passing data explicitly (pickled through a pipe) always works. It checks
    the half of docs statements #2 and #14 that says what does reach a spawn or forkserver
    child: "those resources necessary to run the process object's run() method", here the
    Queue passed as its argument (no numbered statement is about Queues themselves).

    Why it matters: it is the article's spawn example, and the portable way to give a child
    its input. Source: multiprocessing docs, Exchanging objects between processes; Contexts
    and start methods.
    """
    queue = ctx.mp.Queue()
    queue.put(42)
    try:
        return ctx.call_in_child(_get_from_queue, queue)
    finally:
        queue.close()
        queue.join_thread()


def _pids() -> object:
    import multiprocessing

    parent = multiprocessing.parent_process()
    return [os.getpid(), os.getppid(), parent.pid if parent is not None else None]


@case(
    "inheritance.forkserver_three_children",
    title="Three children: whose child is each, and do they share one OS parent?",
    source=[CONTEXTS, DOCS + "#multiprocessing.parent_process"],
    covers=[12, 40],
    claims=["forkserver_forks_from_server"],
    expect=[
        on("forkserver", ok({"children": 3, "distinct_pids": 3, "os_parent_is_us": False,
                             "one_os_parent": True, "parent_process_is_us": True})),
        on(("fork", "spawn"), ok({"children": 3, "distinct_pids": 3, "os_parent_is_us": True,
                                  "one_os_parent": True, "parent_process_is_us": True})),
    ],
)
def forkserver_three_children(ctx: Context) -> object:
    """Under forkserver, every child is forked by one server process, so os.getppid() in the
    children is the server's pid, not ours; multiprocessing.parent_process() still names us.
    Under fork and spawn the OS parent is the starting process itself.

    Why it matters: the article's forkserver example starts three children; a tool that kills
    or waits on os.getppid() acts on the server under forkserver.
    Source: multiprocessing docs, Contexts and start methods (forkserver); parent_process().
    """
    seen = [ctx.call_in_child(_pids) for _ in range(3)]
    me = os.getpid()
    return {
        "children": len(seen),
        "distinct_pids": len({pid for pid, _, _ in seen}),
        "os_parent_is_us": all(ppid == me for _, ppid, _ in seen),
        "one_os_parent": len({ppid for _, ppid, _ in seen}) == 1,
        "parent_process_is_us": all(parent == me for _, _, parent in seen),
    }


# --------------------------------------------------------------------------- module state

#: A module-level setting; the cases below change it only in the parent, after import.
SETTINGS = {"debug": False}
#: A module nothing in the harness imports (checked absent from a fresh spawn child).
PARENT_ONLY_MODULE = "xml.dom.minidom"
#: The module preloaded into the fork server (stdlib, so the server can always import it).
PRELOAD_MODULE = "colorsys"
#: Large-object case: 200 MiB assigned to LARGE only in the parent.
LARGE_SIZE = 200 * 1024 * 1024
LARGE: Optional[bytearray] = None
RANDOM_SEED = 20240229


def _read_settings() -> object:
    return dict(SETTINGS)


def _has_module(name: str) -> bool:
    return name in sys.modules


def _describe_large() -> object:
    if LARGE is None:
        return None
    return {"size_mib": len(LARGE) // (1024 * 1024), "last_byte": LARGE[-1]}


def _draw_random() -> float:
    import random

    return random.random()


@case(
    "inheritance.module_global_mutated_after_import",
    title="A module-level setting mutated in place by the parent: only fork children see it",
    source=[GUIDE_SPAWN, CONTEXTS],
    covers=[2, 8, 14, 29],
    claims=["fork_copies_state", "spawn_fresh_interpreter", "forkserver_clean_state"],
    expect=[
        on("fork", ok({"debug": True})),
        on(("spawn", "forkserver"), ok({"debug": False})),
    ],
)
def module_global_mutated_after_import(ctx: Context) -> object:
    """A module-level dict of settings, mutated in place by the parent after import (the
    usual "configure the library, then start workers" pattern), is seen mutated by a fork
    child; spawn and forkserver children import the module again and see its import-time
    contents.

    Why it matters: configuration done at run time (logging levels, feature flags, a dict
    filled from the command line) silently does not reach spawn/forkserver workers.
    Source: multiprocessing docs, Contexts and start methods (fork: "effectively identical
    to the parent"; spawn: "fresh Python interpreter"); Programming guidelines > "Global
    variables".
    """
    SETTINGS["debug"] = True
    try:
        return ctx.call_in_child(_read_settings)
    finally:
        SETTINGS["debug"] = False


@case(
    "inheritance.module_imported_only_in_parent",
    title="A module imported only by the parent at run time is in a fork child's sys.modules",
    source=[CONTEXTS, GUIDE_SPAWN],
    covers=[2, 8, 14],
    claims=["fork_copies_state", "spawn_fresh_interpreter", "forkserver_clean_state"],
    expect=[
        on("fork", ok({"in_parent_before": False, "in_child": True})),
        on(("spawn", "forkserver"), ok({"in_parent_before": False, "in_child": False})),
    ],
)
def module_imported_only_in_parent(ctx: Context) -> object:
    """A module the parent imports at run time (here xml.dom.minidom, which nothing else in
    the harness imports) is already in a fork child's sys.modules; a spawn or forkserver
    child has only what importing the target's module pulls in.

    Why it matters: side effects of imports (monkey-patching, registries, C-library state)
    exist in fork children without an import there, and are missing under spawn/forkserver.
    Source: multiprocessing docs, Contexts and start methods (fork inherits all resources;
    spawn and forkserver inherit only what run() needs).
    """
    before = PARENT_ONLY_MODULE in sys.modules
    importlib.import_module(PARENT_ONLY_MODULE)
    return {"in_parent_before": before, "in_child": ctx.call_in_child(_has_module,
                                                                     PARENT_ONLY_MODULE)}


@case(
    "inheritance.random_state",
    title="After random.seed() in the parent, does a child repeat the parent's next number?",
    source=["https://bugs.python.org/issue16500", "https://github.com/python/cpython/pull/1715",
            DOCS + "#contexts-and-start-methods"],
    covers=[2, 8],
    expect=[
        # bpo-16500 (3.7): Lib/random.py re-seeds the global generator in every fork child.
        on("*", ok({"child_repeats_parent": False, "children_agree": False})),
    ],
)
def random_state(ctx: Context) -> object:
    """The parent seeds the global random generator; two children each draw one number.
    Under fork the child starts with a copy of the seeded state, but since 3.7 the random
    module re-seeds itself after fork (os.register_at_fork, bpo-16500); spawn and forkserver
    children seed a fresh generator. So no child repeats the parent's next number and two
    children do not agree, under any method.

    Why it matters: before 3.7 (and still for numpy's legacy global RNG) fork children
    produced identical "random" streams. Source: bpo-16500 / PR #1715 (random re-seeds at
    fork); multiprocessing docs, Contexts and start methods.
    """
    import random

    random.seed(RANDOM_SEED)
    state = random.getstate()
    parent_next = random.random()
    random.setstate(state)
    first = ctx.call_in_child(_draw_random)
    second = ctx.call_in_child(_draw_random)
    return {"child_repeats_parent": first == parent_next, "children_agree": first == second}


@case(
    "inheritance.large_object_without_transfer",
    title="A 200 MiB object reachable in the child without passing it: needs fork",
    source=[DOCS + "#all-start-methods", CONTEXTS],
    covers=[8, 33],
    timeout=LONG_TIMEOUT,
    expect=[
        on("fork", ok({"size_mib": 200, "last_byte": 7})),
        on(("spawn", "forkserver"), ok(None)),
    ],
)
def large_object_without_transfer(ctx: Context) -> object:
    """A 200 MiB bytearray assigned to a module global by the parent is readable by a fork
    child with no transfer at all (copy-on-write pages); spawn and forkserver children see
    the import-time None and would need it pickled through a pipe.

    Why it matters: "better to inherit than pickle" holds only under fork; switching to
    spawn/forkserver turns a free read into a 200 MiB copy (the performance catalog measures
    the cost). Source: multiprocessing docs, Programming guidelines > All start methods
    ("Better to inherit than pickle/unpickle", "Explicitly pass resources").
    """
    global LARGE
    LARGE = bytearray(LARGE_SIZE)
    LARGE[-1] = 7
    try:
        return ctx.call_in_child(_describe_large)
    finally:
        LARGE = None


@case(
    "inheritance.forkserver_preload",
    title="set_forkserver_preload(): the module is already imported in forkserver children only",
    source=[DOCS + "#multiprocessing.set_forkserver_preload", CONTEXTS],
    covers=[48, 51],
    expect=[
        on("forkserver", ok(True)),
        on(("fork", "spawn"), ok(False)),
    ],
)
def forkserver_preload(ctx: Context) -> object:
    """set_forkserver_preload([name]) before the first child makes the fork server import
    the module, so every forkserver child has it in sys.modules before importing it; the
    setting means nothing to fork and spawn children (the parent never imported it).

    Why it matters: preloading heavy imports is how forkserver start-up is made cheap.
    Source: multiprocessing docs, set_forkserver_preload() ("only meaningful when using the
    'forkserver' start method").
    """
    ctx.mp.set_forkserver_preload([PRELOAD_MODULE])
    return ctx.call_in_child(_has_module, PRELOAD_MODULE)


# The category spans several modules; the executor imports ``cases.inheritance`` only.
from cases import (  # noqa: E402,F401
    inheritance_fds,
    inheritance_lifecycle,
    inheritance_os,
    inheritance_process,
    inheritance_startup,
)
