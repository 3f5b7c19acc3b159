"""Real reports, continued: threads and event loops a fork child copies but cannot use, the
fork-with-threads warning, the fork server's stdout, and a module spawn cannot re-import.

Part of the ``realworld`` category (``cases/realworld.py`` imports this module).
"""

from __future__ import annotations

import os
import re
import sys
import threading

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import Context, Unavailable, case, ok, on
from harness.guest.docs import CONTEXTS, OS_FORK, POSIX_FORK

if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional



def _categories_when_starting(ctx: Context) -> List[str]:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ctx.call_in_child(int)
    return sorted({w.category.__name__ for w in caught})


@case(
    "realworld.idle_thread_pool_fork_warning",
    title="An idle ThreadPoolExecutor worker left alive: fork warns about threads (3.12+)",
    source=["https://github.com/python-trio/trio/issues/3355",
            "https://github.com/tox-dev/filelock/pull/585", OS_FORK],
    covers=[11],
    expect=[
        on("fork", ok(["DeprecationWarning"]), python=">=3.12", impl="cpython",
           os=("linux", "macos")),
        on("fork", ok([]), python="<3.12"),
        on(("spawn", "forkserver"), ok([])),
    ],
)
def idle_thread_pool_fork_warning(ctx: Context) -> object:
    """The parent ran one task on a ThreadPoolExecutor and kept the executor (its worker
    thread now idle), then starts a child. What broke: trio's and filelock's test suites
    failed under filterwarnings=error (trio#3355: on 3.15) — a thread cache or heartbeat
    thread, idle, was enough for os.fork() to raise "This process is multi-threaded, use of
    fork() may lead to deadlocks". An error filter raises it only from 3.15.0a1 (gh-135427);
    on 3.12-3.14 it silently drops the warning. Why: the warning counts threads, not what
    they do; spawn and forkserver start a fresh interpreter (the server itself is started by
    fork+exec). Fix: shut the pool down before forking, or use spawn/forkserver.

    Why it matters: a library's hidden thread turns every fork-based test into a warning,
    or a failure. Source: trio#3355, filelock#585 (reports); os docs, os.fork(); CPython
    changelog 3.15.0a1 (gh-135427).
    """
    from concurrent.futures import ThreadPoolExecutor

    executor = ThreadPoolExecutor(max_workers=1)
    try:
        executor.submit(int).result()
        return _categories_when_starting(ctx)
    finally:
        executor.shutdown(wait=True)


class Reaper:
    """Stands for psij-python's _ProcessReaper: a singleton with a background thread."""

    _instance: Optional["Reaper"] = None

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.stop.wait, name="smm-reaper", daemon=True)
        self.thread.start()

    @classmethod
    def get_instance(cls) -> "Reaper":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


def _reaper_state() -> Dict[str, bool]:
    inherited = Reaper._instance is not None
    reaper = Reaper.get_instance()
    alive = reaper.thread.is_alive()
    reaper.stop.set()
    return {"inherited_singleton": inherited, "its_thread_alive": alive}


@case(
    "realworld.singleton_thread_dead_after_fork",
    title="A singleton's background thread, started in the parent, in the child",
    source=["https://github.com/ExaWorks/psij-python/issues/387", POSIX_FORK],
    covers=[8, 2],
    expect=[
        on("fork", ok({"inherited_singleton": True, "its_thread_alive": False})),
        on(("spawn", "forkserver"), ok({"inherited_singleton": False,
                                        "its_thread_alive": True})),
    ],
)
def singleton_thread_dead_after_fork(ctx: Context) -> object:
    """The parent creates a singleton that runs a background thread; the child asks for the
    singleton. What broke: in psij-python a second job run from a fork child hung forever in
    job.wait() — the _ProcessReaper singleton was copied, but its thread was not running in
    the child, so nobody reported the job's exit. Why: fork copies memory but only the
    calling thread (POSIX); spawn and forkserver children create their own singleton and
    thread. Fix: reset singletons in an os.register_at_fork(after_in_child=...) hook, or use
    spawn/forkserver.

    Why it matters: any library with a worker thread (reapers, flushers, connection pools)
    hangs silently in fork children. Source: psij-python#387 (report); POSIX fork().
    """
    Reaper.get_instance()
    try:
        return ctx.call_in_child(_reaper_state)
    finally:
        if Reaper._instance is not None:
            Reaper._instance.stop.set()
            Reaper._instance.thread.join()
            Reaper._instance = None


PARENT_LOOP: Any = None


def _loop_is_inherited() -> bool:
    import asyncio
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # get_event_loop() deprecation warnings, 3.12-3.13
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return False
    return PARENT_LOOP is not None and loop is PARENT_LOOP


@case(
    "realworld.asyncio_loop_inherited",
    title="The parent's asyncio event loop, as get_event_loop() in the child",
    source=["https://github.com/omnilib/aiomultiprocess/issues/5",
            "https://github.com/python/cpython/issues/66285"],
    covers=[8],
    expect=[
        on("fork", ok(True), python="<3.12"),
        on("fork", ok(False), python=">=3.12", impl="cpython",
           note="gh-66285: an at-fork hook resets the loop in fork children"),
        on(("spawn", "forkserver"), ok(False)),
    ],
)
def asyncio_loop_inherited(ctx: Context) -> object:
    """The parent sets an asyncio event loop; the child calls asyncio.get_event_loop(). What
    broke: aiomultiprocess workers found "an existing event loop after forking" and failed
    to run their own. Why: before 3.12 a fork child inherits the parent's loop object,
    selector and wake-up file descriptors included, shared with the parent; 3.12 added an
    at-fork hook that resets the loop in the child (gh-66285). spawn and forkserver children
    never had it. Fix: create a new loop in the child (asyncio.run), never reuse one.

    Why it matters: a child driving the parent's selector steals the parent's events.
    Source: aiomultiprocess#5 (report); cpython gh-66285 (the 3.12 change).
    """
    import asyncio

    global PARENT_LOOP
    PARENT_LOOP = asyncio.new_event_loop()
    asyncio.set_event_loop(PARENT_LOOP)
    try:
        return ctx.call_in_child(_loop_is_inherited)
    finally:
        asyncio.set_event_loop(None)
        PARENT_LOOP.close()
        PARENT_LOOP = None


def _write_marker(marker: bytes) -> None:
    os.write(1, marker)


@case(
    "realworld.stdout_redirected_after_server_start",
    title="fd 1 redirected to a file after the first child: where the next child writes",
    source=["https://github.com/spack/spack/pull/51663", CONTEXTS],
    covers=[12, 14],
    expect=[
        on(("fork", "spawn"), ok(True), os=("linux", "macos")),
        on("forkserver", ok(False), os=("linux", "macos"), inferred=True,
           note="the child writes to the fd 1 the fork server was started with"),
    ],
)
def stdout_redirected_after_server_start(ctx: Context) -> object:
    """After a first child, the parent points file descriptor 1 at a file (as pytest's
    fd-level capture does per test) and the next child writes to fd 1. What broke: Spack's
    tests on Python 3.14 lost the child's output: "there is no guarantee that stdout/stderr
    in the subprocess ... corresponds to the same file as the one in the parent". Why: a
    forkserver child is forked from the server, whose fd 1 is the one it was started with;
    fork and spawn children get the parent's current fd 1. Fix: pass the streams' file
    descriptors to the child explicitly (Spack's fix), or redirect inside the child.

    Why it matters: captured or redirected output of workers goes to the wrong place, only on
    3.14's default. POSIX-only. Source: spack#51663 (report); docs, Contexts and start methods.
    """
    if sys.platform == "win32":
        raise Unavailable("file descriptor redirection is POSIX-only here")
    ctx.call_in_child(int)
    path = os.path.join(ctx.tmpdir, "redirected-stdout.txt")
    marker = b"smm-child-output\n"
    sys.stdout.flush()
    saved = os.dup(1)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.dup2(target, 1)
        ctx.call_in_child(_write_marker, marker)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(target)
    with open(path, "rb") as handle:
        return marker in handle.read()


_TEST_MODULE = '''
def helper():
    print("ran", flush=True)
'''
_FROM_PATH_SCRIPT = """
    import importlib.util, json, re, sys, types
    import multiprocessing as mp

    if __name__ == '__main__':
        # Like pytest, register the module and a package for it that exists only here.
        package = types.ModuleType("smm_tests")
        package.__path__ = []
        name = "smm_tests.test_module"
        spec = importlib.util.spec_from_file_location(name, sys.argv[2])
        module = importlib.util.module_from_spec(spec)
        sys.modules["smm_tests"], sys.modules[name] = package, module
        spec.loader.exec_module(module)
        package.test_module = module
        process = mp.get_context(sys.argv[1]).Process(target=module.helper)
        process.start()
        process.join()
        print(json.dumps({"exitcode": process.exitcode}))
"""
_IMPORT_ERROR = re.compile(r"^(ModuleNotFoundError: .*)$", re.M)


@case(
    "realworld.module_loaded_from_path",
    breaks=("spawn", "forkserver"),  # the docstring: the child fails there
    title="A target from a module imported by file path (pytest --import-mode=importlib)",
    source=["https://github.com/pytest-dev/pytest/issues/12178",
            "https://github.com/jaraco/keyring/issues/673",
            "https://github.com/facebookresearch/fairchem/pull/746"],
    expect=[
        on("fork", ok({"exitcode": 0, "child_ran": True, "child_error": None})),
        on(("spawn", "forkserver"), ok({"exitcode": 1, "child_ran": False,
                                        "child_error": "ModuleNotFoundError: No module named "
                                                       "'smm_tests'"}),
           note="the child cannot import the target's module and exits with code 1"),
    ],
)
def module_loaded_from_path(ctx: Context) -> object:
    """A script imports a test module from its file path under a name that is not on
    sys.path (what pytest's --import-mode=importlib does) and starts a child on a function
    from it. What broke: keyring's and fairchem's multiprocessing tests failed with
    "ModuleNotFoundError: No module named 'tests'" and exit code 1 after switching to
    importlib mode. Why: spawn and forkserver pickle the function by module name and the
    child re-imports it, which fails; fork copies the loaded module. Fix: put process targets
    in an importable module (on sys.path), or use the default import mode. The child's
    ModuleNotFoundError is read from the script's stderr: any other death is not this one.

    Why it matters: the test passes alone on Linux ≤ 3.13 and fails on macOS, Windows and
    3.14. No numbered docs statement (the target pickles, by name; only the child's import of
    its module fails). Source: pytest#12178, keyring#673, fairchem#746 (reports).
    """
    folder = os.path.join(ctx.tmpdir, "not-on-sys-path")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "smm_test_module.py")
    with open(path, "w") as handle:
        handle.write(_TEST_MODULE)
    result = ctx.run_script(_FROM_PATH_SCRIPT, args=[path])
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError("script exit %s: %s" % (result.returncode,
                                                   result.last_error_line() or "no output"))
    import json

    errors = _IMPORT_ERROR.findall(result.stderr)
    return {"exitcode": json.loads(lines[-1])["exitcode"], "child_ran": "ran" in lines[:-1],
            "child_error": errors[-1] if errors else None}
