"""What the parent sees of its children's lives: exit codes of terminated and killed
children, zombies until join(), the resource tracker.

Part of the ``inheritance`` category (``cases/inheritance.py`` imports this module).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import SHORT_TIMEOUT, Context, Unavailable, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS

if TYPE_CHECKING:
    from typing import Any

#: The fork server reaps its children on SIGCHLD (the same loop in 3.8 to 3.15).
FORKSERVER_PY = "https://github.com/python/cpython/blob/v3.12.1/Lib/multiprocessing/forkserver.py"


def _nothing() -> None:
    return None


def _wait_until_killed(conn: Any) -> None:
    conn.send("ready")
    conn.recv()  # nothing is ever sent: the parent kills this child


def _exitcode_name(code: Any) -> Any:
    import signal

    if isinstance(code, int) and code < 0:
        try:
            return "-" + signal.Signals(-code).name
        except ValueError:
            return code
    return code


@case(
    "inheritance.exitcode_signal",
    title="terminate() and kill(): the child's exitcode is minus the signal number",
    source=[DOCS + "#multiprocessing.Process.exitcode",
            DOCS + "#multiprocessing.Process.terminate"],
    covers=[39],
    expect=[on("*", ok({"terminate": "-SIGTERM", "kill": "-SIGKILL"}), os=("linux", "macos"))],
)
def exitcode_signal(ctx: Context) -> object:
    """A child that waits forever is stopped with terminate() (SIGTERM on POSIX), another
    with kill() (SIGKILL); Process.exitcode is -N for a child terminated by signal N, under
    every start method (for forkserver the server reports the status back).

    Why it matters: supervisors decide whether to restart a worker from its exit code.
    Source: multiprocessing docs, Process.exitcode, terminate(), kill() (3.7+).
    """
    codes = {}
    for how in ("terminate", "kill"):
        ours, theirs = ctx.mp.Pipe()
        process = ctx.mp.Process(target=_wait_until_killed, args=(theirs,))
        process.start()
        try:
            if not ours.poll(SHORT_TIMEOUT * 4):
                raise RuntimeError("child not ready within SHORT_TIMEOUT * 4")
            ours.recv()
            getattr(process, how)()
        finally:
            process.join(SHORT_TIMEOUT * 4)
            if process.exitcode is None:
                process.kill()
                process.join()
            ours.close()
            theirs.close()
        codes[how] = _exitcode_name(process.exitcode)
    return codes


def _proc_state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
    return "zombie" if state == "Z" else "alive"


def _wait_exited_unreaped(pid: int) -> None:
    """The sentinel closes while the child is still exiting: wait until it has exited,
    without reaping it. os.waitid(WNOWAIT) does that; PyPy lacks it, so there the loop spins
    (yielding the CPU, bounded) until /proc shows the exit. A forkserver child is the
    server's, not ours (ECHILD), and is already reaped when its sentinel fires."""
    if hasattr(os, "waitid"):
        with contextlib.suppress(ChildProcessError):
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        return
    deadline = time.monotonic() + SHORT_TIMEOUT * 4
    while _proc_state(pid) == "alive" and time.monotonic() < deadline:
        os.sched_yield()


@case(
    "inheritance.zombie_reaping",
    title="A finished, unjoined child is a zombie until active_children() joins it",
    source=[DOCS + "#all-start-methods", DOCS + "#multiprocessing.active_children",
            FORKSERVER_PY],
    covers=[34],
    expect=[on("*", ok({"before_join": "zombie", "after_active_children": "gone",
                        "exitcode": 0}), os="linux")],
)
def zombie_reaping(ctx: Context) -> object:
    """A child runs to completion; before anyone joins it, its /proc entry says zombie.
    multiprocessing.active_children() joins finished processes, after which the pid is gone
    and exitcode is 0. The docs state this for every start method on POSIX. Why forkserver
    differs: its child is the fork server's, not ours, and the server reaps it as soon as it
    exits (forkserver.py: on SIGCHLD, ``os.waitpid(-1, os.WNOHANG)``), so it is never a
    zombie of ours. The rule stays the docs'.

    Why it matters: long-running parents that never join accumulate zombies.
    Linux-only observation (/proc). Source: multiprocessing docs, Programming guidelines >
    All start methods > "Joining zombie processes"; active_children(); forkserver.py.
    """
    if not sys.platform.startswith("linux"):
        raise Unavailable("the zombie state is read from /proc (Linux)")
    import multiprocessing
    from multiprocessing.connection import wait

    process = ctx.mp.Process(target=_nothing)
    process.start()
    if not wait([process.sentinel], SHORT_TIMEOUT * 4):
        raise RuntimeError("child did not finish within SHORT_TIMEOUT * 4")
    _wait_exited_unreaped(process.pid)
    before = _proc_state(process.pid)
    multiprocessing.active_children()
    return {"before_join": before, "after_active_children": _proc_state(process.pid),
            "exitcode": process.exitcode}


@case(
    "inheritance.resource_tracker_started",
    title="Starting a child: is a resource tracker process running afterwards?",
    source=[CONTEXTS],
    covers=[19],
    expect=[
        on(("spawn", "forkserver"), ok(True), os=("linux", "macos")),
        on("fork", ok(False), os=("linux", "macos"), inferred=True,
           note="the docs name spawn and forkserver only; nothing here creates named resources"),
    ],
)
def resource_tracker_started(ctx: Context) -> object:
    """On POSIX, using spawn or forkserver also starts a resource tracker process (it unlinks
    leaked named semaphores and shared memory); a fork child that creates no named resource
    needs none. Checked through the tracker's recorded pid (private attribute) and a
    signal-0 probe that it is alive.

    Why it matters: an extra process appears in ps/containers and holds inherited fds; its
    "leaked shared_memory" warnings surprise users. Source: multiprocessing docs, Contexts
    and start methods (resource tracker paragraph).
    """
    if sys.platform == "win32":
        raise Unavailable("the resource tracker is POSIX-only")
    from multiprocessing import resource_tracker

    ctx.call_in_child(_nothing)
    pid = getattr(resource_tracker._resource_tracker, "_pid", None)
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
