"""What a child inherits of the parent's threads and locks, and how the main module is re-run
(what the parent sees of its children's lives is in ``cases/inheritance_lifecycle.py``).

Part of the ``inheritance`` category (``cases/inheritance.py`` imports this module).
"""

from __future__ import annotations

import os
import re
import threading

from cases._rules import forkserver_main_rules
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import SHORT_TIMEOUT, Context, Unavailable, case, error, ok, on
from harness.guest.docs import CONTEXTS, GH_126631, GH_141860, GUIDE_SPAWN, OS_FORK, POSIX_FORK

if TYPE_CHECKING:
    from typing import Any, Dict, List

__all__ = ["MAIN_LOCK"]

IDLE_THREAD = "smm-idle-thread"

#: Held by the parent's main thread while a child starts.
MAIN_LOCK = threading.Lock()
#: Set in a child by an os.register_at_fork(after_in_child=...) hook.
FORK_HOOK_RAN = False
_HOOK_REGISTERED: List[bool] = []


def _nothing() -> None:
    return None


class _IdleThread:
    """A parent thread that waits on an Event until the case ends (never sleeps)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.stop.wait, args=(SHORT_TIMEOUT * 10,),
                                       name=IDLE_THREAD, daemon=True)

    def __enter__(self) -> "_IdleThread":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(SHORT_TIMEOUT)


def _thread_census() -> Dict[str, Any]:
    return {"active_count": threading.active_count(),
            "parent_thread_listed": any(t.name == IDLE_THREAD for t in threading.enumerate())}


@case(
    "inheritance.threads_in_child",
    title="The parent runs an extra thread: how many threads does the child have?",
    source=[CONTEXTS, OS_FORK, POSIX_FORK],
    covers=[2, 8, 13],
    expect=[on("*", ok({"active_count": 1, "parent_thread_listed": False}))],
)
def threads_in_child(ctx: Context) -> object:
    """With a second thread alive in the parent, every child has one thread: fork copies
    only the calling thread (POSIX: "a process shall be created with a single thread"),
    spawn starts a fresh interpreter, and the fork server is single-threaded.

    Why it matters: background threads (heartbeats, queue feeders, thread pools) do not
    exist in a fork child even though their objects and locks were copied.
    Source: POSIX fork(); os.fork docs; multiprocessing docs, Contexts and start methods.
    """
    with _IdleThread():
        return ctx.call_in_child(_thread_census)


def _main_lock_state() -> Dict[str, bool]:
    acquired = MAIN_LOCK.acquire(blocking=False)
    if acquired:
        MAIN_LOCK.release()
    return {"locked_in_child": not acquired}


@case(
    "inheritance.threading_lock_held_by_main_thread",
    title="A threading.Lock held by the parent's main thread at start(): locked in the child?",
    source=[CONTEXTS, OS_FORK],
    covers=[2, 8, 14],
    expect=[
        on("fork", ok({"locked_in_child": True})),
        on(("spawn", "forkserver"), ok({"locked_in_child": False})),
    ],
)
def threading_lock_held_by_main_thread(ctx: Context) -> object:
    """The parent's main thread holds a module-level threading.Lock while starting a child.
    A fork child is a copy, so the lock is held there too, by nobody who will release it (a
    blocking acquire would hang); spawn and forkserver children import the module and get a
    new, unlocked lock. The child only tries a non-blocking acquire.

    Why it matters: "with lock: start workers" patterns deadlock fork children that touch the
    same lock. Source: multiprocessing docs, Contexts and start methods; os.fork docs.
    """
    with MAIN_LOCK:
        return ctx.call_in_child(_main_lock_state)


FORK_WARNING = ("DeprecationWarning: This process (pid=N) is multi-threaded, use of fork() "
                "may lead to deadlocks in the child.")


@case(
    "inheritance.fork_with_threads_warning",
    title="3.12+: starting a fork child while another thread runs raises a DeprecationWarning",
    source=[OS_FORK, CONTEXTS, "https://github.com/python/cpython/issues/100228",
            "https://docs.python.org/3/whatsnew/3.12.html#deprecated"],
    covers=[11, 13, 65],
    expect=[
        # Message text from Modules/posixmodule.c (gh-100228), pid normalised to N.
        on("fork", ok([FORK_WARNING]), python=">=3.12",
           from_source="Modules/posixmodule.c (the warning's text; the docs give none)"),
        on("fork", ok([]), python="<3.12"),
        on(("spawn", "forkserver"), ok([])),
    ],
)
def fork_with_threads_warning(ctx: Context) -> object:
    """With a second thread alive, starting a fork child makes os.fork() warn (3.12+, when
    Python can count threads: Linux, macOS); spawn starts a new interpreter and the fork
    server is single-threaded, so no warning there. Returns the warnings seen, pid replaced
    by N.

    Why it matters: it announced the 3.14 default change. From 3.15 (gh-135427) an error filter
    (-W error, filterwarnings=error) turns it into an exception in the parent; on 3.12-3.14 such
    a filter silently drops it (3.15.0a1 changelog). Source: os.fork docs (versionchanged 3.12);
    multiprocessing docs, Contexts and start methods; gh-100228; gh-135427.
    """
    import warnings

    with _IdleThread(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ctx.call_in_child(_nothing)
    return [f"{w.category.__name__}: {re.sub(r'pid=[0-9]+', 'pid=N', str(w.message))}"
            for w in caught]


#: CPython 3.15.0a1: os.fork()'s threads warning raises under an error filter (changelog).
GH_135427 = "https://github.com/python/cpython/issues/135427"


@case(
    "inheritance.fork_warning_under_error_filter",
    title="Warnings as errors and a thread alive: a fork child fails to start from 3.15 only",
    source=[GH_135427, OS_FORK, CONTEXTS],
    covers=[11],
    expect=[
        on("fork", error("DeprecationWarning"), python=">=3.15", impl="cpython",
           os=("linux", "macos"), source=GH_135427),
        on("fork", ok("started"), python="<3.15", source=GH_135427,
           note="3.12-3.14: an error filter silently drops the warning; none before 3.12"),
        on(("spawn", "forkserver"), ok("started")),
    ],
)
def fork_warning_under_error_filter(ctx: Context) -> object:
    """With DeprecationWarning turned into an error (as -W error or pytest's
    filterwarnings=error do) and a second thread alive, the case starts a child. Under fork
    on 3.15+ the fork-with-threads warning is raised as an exception by start(); on 3.12-3.14
    the filter silently drops it and the child starts (CPython changelog 3.15.0a1,
    gh-135427: "Previously it was silently ignored"). Spawn and forkserver do not call
    os.fork() in this process, so they start either way. Returns "started".

    Why it matters: a test suite run with warnings as errors that passed on 3.12-3.14 fails
    on 3.15 as soon as a thread is alive when it forks; before 3.15 -W error did not surface
    the warning at all. Source: CPython changelog 3.15.0a1 (gh-135427); os.fork docs;
    multiprocessing docs, Contexts and start methods.
    """
    import warnings

    with _IdleThread(), warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        ctx.call_in_child(_nothing)
    return "started"


def _mark_fork_hook() -> None:
    global FORK_HOOK_RAN
    FORK_HOOK_RAN = True


def _fork_hook_ran() -> bool:
    return FORK_HOOK_RAN


@case(
    "inheritance.fork_uses_os_fork",
    title="os.register_at_fork() hooks run in fork children only",
    source=[CONTEXTS, "https://docs.python.org/3/library/os.html#os.register_at_fork"],
    covers=[7, 12],
    expect=[
        on("fork", ok(True)),
        on(("spawn", "forkserver"), ok(False), inferred=True,
           note="inferred: the server forks the child, not this process"),
    ],
)
def fork_uses_os_fork(ctx: Context) -> object:
    """The fork method creates the child with os.fork(), so an after_in_child hook registered
    by the parent runs in it; spawn children are new interpreters, and forkserver children
    are forked by the server, where the parent's hook was never registered.

    Why it matters: libraries re-initialise state at fork with these hooks (random, logging,
    thread pools); they do not run, and are not needed, under spawn and forkserver.
    POSIX-only (os.register_at_fork). Source: multiprocessing docs, Contexts and start
    methods ("The parent process uses os.fork()"); os.register_at_fork docs.
    """
    if not hasattr(os, "register_at_fork"):
        raise Unavailable("os.register_at_fork is POSIX-only")
    if not _HOOK_REGISTERED:
        os.register_at_fork(after_in_child=_mark_fork_hook)
        _HOOK_REGISTERED.append(True)
    return ctx.call_in_child(_fork_hook_ran)


UNGUARDED_SCRIPT = """
import multiprocessing
import sys

def work():
    pass

context = multiprocessing.get_context(sys.argv[1])
process = context.Process(target=work)
process.start()
process.join()
print("child exitcode", process.exitcode)
"""


@case(
    "inheritance.missing_main_guard",
    labels={
        "script_exit": "the script's exit code",
        "child_exitcode": "the child's exit code",
        "error": "the last error on the script's stderr",
    },
    breaks=("spawn", "forkserver"),  # the docstring: the child fails there
    title="A script starts a process at top level without the __main__ guard",
    source=[GUIDE_SPAWN, GH_126631, GH_141860],
    covers=[30],
    expect=[
        on("fork", ok({"script_exit": 0, "child_exitcode": 0, "error": None})),
        on(("spawn", "forkserver"),
           ok({"script_exit": 0, "child_exitcode": 1, "error": "RuntimeError"})),
    ],
)
def missing_main_guard(ctx: Context) -> object:
    """A script that calls Process.start() at module level, with no
    `if __name__ == "__main__":` guard. spawn and forkserver children import the main module
    again, which calls start() during bootstrapping: the child fails with RuntimeError
    ("...before the current process has finished its bootstrapping phase") and exit code 1.
    A fork child does not re-import the main module and runs. Why forkserver differs on
    3.13.8+ and 3.14.1+: the fork server itself preloads ``__main__`` (gh-126631), so the
    unguarded start() runs in the server, which fails, and the parent loses its connection
    (EOFError, ConnectionResetError) before any child exists; 3.15 ignores preload errors by
    default (gh-141860), so the child fails as the docs say. The rule stays the docs'.

    Why it matters: scripts without the guard worked on Linux until 3.13 and break on 3.14,
    where forkserver became the default. Source: multiprocessing docs, Programming
    guidelines > The spawn and forkserver start methods > "Safe importing of main module";
    gh-126631, gh-141860.
    """
    result = ctx.run_script(UNGUARDED_SCRIPT)
    match = re.search(r"child exitcode (-?\d+)", result.stdout)
    line = result.last_error_line()
    return {"script_exit": result.returncode,
            "child_exitcode": int(match.group(1)) if match else None,
            "error": line.split(":", 1)[0] if line else None}


GUARDED_SCRIPT = """
import multiprocessing
import sys

print("top-level code ran", flush=True)

def work():
    pass

if __name__ == "__main__":
    context = multiprocessing.get_context(sys.argv[1])
    for _ in range(2):
        process = context.Process(target=work)
        process.start()
        process.join()
"""


@case(
    "inheritance.main_reexecuted",
    title="Top-level code of a guarded main script: how many times does it run for 2 children?",
    source=[GUIDE_SPAWN, "https://github.com/python/cpython/issues/98552", GH_126631],
    covers=[31],
    expect=[
        on("fork", ok(1)),
        on("spawn", ok(3)),
        # forkserver: the parent, plus the server (preloaded) or each child: from the source.
        *forkserver_main_rules(lambda preloaded: 2 if preloaded else 3),
    ],
)
def main_reexecuted(ctx: Context) -> object:
    """A guarded script prints a line at top level and starts two children. Spawn children
    import the main module (as __mp_main__), so the line is printed by the parent and by
    each child; fork children never re-import it. For forkserver the docs do not say; the
    rules come from the implementation (as in realworld.forkserver_runs_main_top_level): each
    child imports it, as under spawn, until 3.13.8 / 3.14.1, where the server preloads it
    (gh-126631) and prints once for all children. Those forkserver cells depart from #31 as
    checked ("once in the child") and count as inferred, not as what the docs say.

    Why it matters: expensive or side-effecting top-level code (loading a model, opening a
    database) runs again in every spawn worker. Source: multiprocessing docs, Programming
    guidelines > "Safe importing of main module"; gh-98552.
    """
    result = ctx.run_script(GUARDED_SCRIPT)
    if result.returncode != 0:
        raise RuntimeError(f"script failed: {result.last_error_line()}")
    return result.stdout.count("top-level code ran")
