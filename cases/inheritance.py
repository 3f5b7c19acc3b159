"""What a child inherits from its parent under each start method.

Child targets live at module level: spawn and forkserver children import this module afresh.
"""

from __future__ import annotations

import os

from harness.catalog import Context, case, ok, on

DOCS = "https://docs.python.org/3/library/multiprocessing.html"
GUIDE_SPAWN = DOCS + "#the-spawn-and-forkserver-start-methods"
CONTEXTS = DOCS + "#contexts-and-start-methods"

#: Import-time value; the article's example assigns a new one in the main block.
SHARED_VALUE = "import-time"


def _read_shared_value() -> str:
    return SHARED_VALUE


@case(
    "inheritance.global_assigned_in_main",
    title="A global assigned in the main block before start() is seen only by fork children",
    source=[GUIDE_SPAWN, CONTEXTS],
    covers=[2, 8, 14, 29],
    claims=["fork_copies_state", "spawn_fresh_interpreter"],
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
    Source: multiprocessing docs, Programming guidelines › "Global variables".
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
    source=[DOCS + "#exchanging-objects-between-processes", GUIDE_SPAWN],
    covers=[27],
    claims=["spawn_needs_explicit_passing"],
    expect=[on("*", ok(42))],
)
def value_via_queue(ctx: Context) -> object:
    """A value put on a multiprocessing Queue before start() is received by the child, whatever
    the start method: passing data explicitly (pickled through a pipe) always works.

    Why it matters: it is the article's spawn example, and the portable way to give a child
    its input. Source: multiprocessing docs, Exchanging objects between processes.
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
