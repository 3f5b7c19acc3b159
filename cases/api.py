"""The documented API around start methods: contexts, get_context, set_start_method, the
``ctx``/``context`` parameters of sharedctypes, managers and pools, ThreadPool, set_executable
and freeze_support.

The ``api`` category; ``cases/api_forkserver.py`` (fork server preload and authentication,
the resource tracker, frozen executables, ProcessPoolExecutor's max_tasks_per_child, os.fork
in a subinterpreter) is imported at the end so ``import cases.api``
registers the whole category. Cases that need a fresh interpreter (nothing fixed the global
start method yet) run a small script with ``ctx.run_script``.
"""

from __future__ import annotations

import sys

from cases._api import _FRESH_PROBE, _per_method
from cases._scripts import run_json
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import Context, Unavailable, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS, GUIDE_SPAWN

if TYPE_CHECKING:
    from typing import Any

GET_CONTEXT = DOCS + "#multiprocessing.get_context"
#: CPython bug: starting a spawn or forkserver child fixed the global start method (spawn.py's
#: get_preparation_data() called get_start_method() without allow_none); fixed in 3.13.12, 3.14.3.
GH_109263 = "https://github.com/python/cpython/issues/109263"


@case(
    "api.set_start_method_selects",
    title="The docs' set_start_method() example prints hello; get_start_method() then names it",
    source=CONTEXTS,
    covers=[21],
    expect=_per_method(lambda m: {"output": "hello", "method": m}),
)
def set_start_method_selects(ctx: Context) -> object:
    """The docs' example: set_start_method(method) under the main guard, a Queue and a Process;
    the child puts 'hello' and the parent prints it. After the call get_start_method() returns
    the method.

    Why it matters: this is the one documented way to choose the method for a whole program.
    Source: multiprocessing docs, Contexts and start methods (the set_start_method example).
    """
    return run_json(ctx, """
        import json, sys
        import multiprocessing as mp

        def foo(q):
            q.put('hello')

        if __name__ == '__main__':
            mp.set_start_method(sys.argv[1])
            q = mp.Queue()
            p = mp.Process(target=foo, args=(q,))
            p.start()
            output = q.get()
            p.join()
            print(json.dumps({"output": output, "method": mp.get_start_method()}))
    """)


@case(
    "api.context_same_api",
    title="A context object has every name of multiprocessing.__all__",
    source=[CONTEXTS, DOCS + "#multiprocessing.get_context"],
    covers=[22],
    expect=[on("*", ok([]))],
)
def context_same_api(ctx: Context) -> object:
    """"Context objects have the same API as the multiprocessing module": every public name the
    module exports (multiprocessing.__all__) is an attribute of the method's context. The case
    returns the names a context lacks.

    Why it matters: libraries are told to accept a context instead of using the module, which
    only works if everything reachable through the module is reachable through a context.
    Source: multiprocessing docs, Contexts and start methods; get_context().
    """
    import multiprocessing

    return sorted(name for name in multiprocessing.__all__ if not hasattr(ctx.mp, name))


@case(
    "api.freeze_support_noop",
    title="freeze_support() in a program that is not frozen does nothing: set_start_method() "
          "still works after it",
    source=[DOCS + "#multiprocessing.freeze_support", GUIDE_SPAWN,
            "https://github.com/python/cpython/issues/140814"],
    covers=[41],
    expect=[on("*", ok({"returned": None, "method_after": None, "set_start_method": "ok",
                        "child": "hello"}))],
)
def freeze_support_noop(ctx: Context) -> object:
    """freeze_support() "has no effect" unless the start method is spawn and the program is
    frozen. A fresh script (not frozen) runs the docs' own example: freeze_support(), then
    set_start_method(method) under the main guard, then a child that says hello. No effect
    means it returns None, fixes no start method (get_start_method(allow_none=True) is still
    None), and set_start_method() then succeeds.

    Why it matters: the docs tell everyone to call it first thing under the guard. From 3.13.4
    and 3.14.0 (gh-80334) it fixed the default start method as a side effect, so the docs'
    example raised "RuntimeError: context has already been set" (gh-135726, gh-140814) on
    3.13.4-3.13.12 and 3.14.0-3.14.3; fixed in 3.13.13, 3.14.4 and 3.15.0a8 (gh-140814 in
    their changelogs; gh-144608). Source: multiprocessing docs, freeze_support(); Programming
    guidelines (the spawn and forkserver example); gh-140814.
    """
    return run_json(ctx, """
        import json, sys
        import multiprocessing as mp

        def foo(q):
            q.put('hello')

        if __name__ == '__main__':
            returned = mp.freeze_support()
            after = mp.get_start_method(allow_none=True)
            try:
                mp.set_start_method(sys.argv[1])
                chosen = "ok"
            except RuntimeError:
                chosen = "RuntimeError"
            q = mp.Queue()
            p = mp.Process(target=foo, args=(q,))
            p.start()
            output = q.get()
            p.join()
            print(json.dumps({"returned": returned, "method_after": after,
                              "set_start_method": chosen, "child": output}))
    """)


@case(
    "api.get_context_valueerror",
    title="get_context() with an unknown or unavailable method raises ValueError",
    source=GET_CONTEXT,
    covers=[44],
    expect=[
        on("*", ok({"bogus": "ValueError", "unavailable": {}}), os=("linux", "macos")),
        on("*", ok({"bogus": "ValueError",
                    "unavailable": {"fork": "ValueError", "forkserver": "ValueError"}}),
           os="windows"),
    ],
)
def get_context_valueerror(ctx: Context) -> object:
    """get_context(method) "will raise ValueError" if the method is not available on this
    platform: a made-up name, and on Windows fork and forkserver.

    Why it matters: portable code probes for a method with get_context() and must know which
    exception to catch. Source: multiprocessing docs, get_context().
    """
    import multiprocessing

    def attempt(name: str) -> str:
        try:
            multiprocessing.get_context(name)
        except Exception as exc:
            return type(exc).__name__
        return "returned"

    available = multiprocessing.get_all_start_methods()
    return {"bogus": attempt("smm-bogus-method"),
            "unavailable": {m: attempt(m) for m in ("fork", "forkserver", "spawn")
                            if m not in available}}


def _executable_child() -> str:
    return "ran"


@case(
    "api.set_executable_spawn",
    title="set_executable(path-like) chooses the program that starts spawn children",
    source=[DOCS + "#multiprocessing.set_executable", CONTEXTS],
    covers=[47],
    expect=[
        on("spawn", ok({"wrapper_started_child": True, "child": "ran"}), os=("linux", "macos")),
        on("fork", ok({"wrapper_started_child": False, "child": "ran"}), os=("linux", "macos"),
           inferred=True, note="fork calls os.fork() and runs no program"),
        # forkserver: the docs do not say which program launches the fork server.
    ],
)
def set_executable_spawn(ctx: Context) -> object:
    """set_executable() "sets the path of the Python interpreter to use when starting a child
    process"; it is used by spawn ("a fresh Python interpreter process"), accepts a path-like
    object since 3.11 (a str is passed before). The case points it at a shell wrapper that
    logs its arguments and execs Python: the child was started through it when a logged
    command line carries --multiprocessing-fork (the resource tracker, also started through
    it, does not). Fork calls os.fork() and runs no program (inferred: no wrapper line).

    Why it matters: embedded interpreters (uWSGI, Blender, a frozen app) have a sys.executable
    that is not Python, and set_executable() is the documented fix for their spawn children.
    POSIX-only here (the wrapper is a shell script). Source: multiprocessing docs,
    set_executable(); Contexts and start methods.
    """
    if sys.platform == "win32":
        raise Unavailable("the wrapper is a POSIX shell script")
    import pathlib
    import shlex

    log = pathlib.Path(ctx.tmpdir, "wrapper.log")
    log.write_text("")  # this run's lines only
    wrapper = pathlib.Path(ctx.tmpdir, "python-wrapper")
    wrapper.write_text("#!/bin/sh\necho \"$*\" >> %s\nexec %s \"$@\"\n" % (
        shlex.quote(str(log)), shlex.quote(sys.executable)))
    wrapper.chmod(0o755)
    ctx.mp.set_executable(wrapper if sys.version_info >= (3, 11) else str(wrapper))
    try:
        child = ctx.call_in_child(_executable_child)
    finally:
        ctx.mp.set_executable(sys.executable)
    lines = log.read_text().splitlines()
    return {"wrapper_started_child": any("--multiprocessing-fork" in line for line in lines),
            "child": child}


@case(
    "api.sharedctypes_ctx",
    title="sharedctypes.Value(ctx=...) leaves the global method unset; ctx=None fixes it",
    source=DOCS + "#module-multiprocessing.sharedctypes",
    covers=[56, 36],
    expect=[on("*", ok({"fresh": None, "with_ctx": None, "child_saw": 1,
                        "without_ctx_sets_default": True}))],
)
def sharedctypes_ctx(ctx: Context) -> object:
    """sharedctypes.Value(..., ctx=c) uses the given context for its lock; ctx=None "uses the
    current context", which (Global start method section) fixes the global start method to
    the default. A fresh script: Value with the method's context, a child of that context
    increments it, then Value without ctx.

    Why it matters: a library that creates shared values without a ctx silently decides the
    application's start method. Source: multiprocessing docs, Shared ctypes objects; Global
    start method.
    """
    return run_json(ctx, _FRESH_PROBE, """
        from multiprocessing import sharedctypes

        def bump(v):
            with v.get_lock():
                v.value += 1

        if __name__ == '__main__':
            c = mp.get_context(method)
            v = sharedctypes.Value('i', 0, ctx=c)
            out["with_ctx"] = mp.get_start_method(allow_none=True)
            sharedctypes.Value('i', 0)
            out["without_ctx_sets_default"] = default_is(default)
            p = c.Process(target=bump, args=(v,))
            p.start()
            p.join()
            out["child_saw"] = v.value
            print(json.dumps(out))
    """)


@case(
    "api.manager_ctx",
    labels={
        "fresh": "the global start method before first use",
        "server_saw": "the main block's changed global, as the manager's server sees it",
        "with_ctx": "the global start method after using an explicit context",
        "without_ctx_sets_default": "ctx=None fixes the global start method to the default",
    },
    title="BaseManager(ctx=...) starts its server with that method; ctx=None fixes the global",
    source=[DOCS + "#multiprocessing.managers.BaseManager", GET_CONTEXT, GH_109263],
    covers=[57, 36],
    expect=[
        on("fork", ok({"fresh": None, "server_saw": "changed-in-main", "with_ctx": None,
                       "without_ctx_sets_default": True})),
        on(("spawn", "forkserver"), ok({"fresh": None, "server_saw": "import-time",
                                        "with_ctx": None, "without_ctx_sets_default": True})),
    ],
)
def manager_ctx(ctx: Context) -> object:
    """BaseManager(ctx=c) starts the manager's server process with context c; ctx=None uses
    get_context(), fixing the global start method. The server answers a registered call that
    returns a global the main block changed: the changed value only under fork (a copy of the
    parent), the import-time value under spawn (a fresh interpreter) and forkserver (forked
    from the fork server, which never ran the main block). With an explicit context the
    global method stays unset (``with_ctx`` None): get_context() fixes it only for
    method=None. CPython before 3.13.12 and 3.14.3, and PyPy, fix it to the default when they
    start any spawn or forkserver child (spawn.get_preparation_data() calls
    get_start_method() without allow_none; gh-109263), a finding the rule keeps.

    Why it matters: a manager started with the default context follows the platform default
    (forkserver on Linux from 3.14), so state set up in main is missing in its server.
    Source: multiprocessing docs, Managers (BaseManager ctx); get_context(); Global start
    method; gh-109263.
    """
    return run_json(ctx, _FRESH_PROBE, """
        from multiprocessing.managers import BaseManager

        class Manager(BaseManager):
            pass

        Manager.register("probe", callable=probe)

        if __name__ == '__main__':
            with Manager(ctx=mp.get_context(method)) as manager:
                out["server_saw"] = manager.probe()._getvalue()
            out["with_ctx"] = mp.get_start_method(allow_none=True)
            mp.set_start_method(None, force=True)  # documented reset, for the ctx=None check
            BaseManager()
            out["without_ctx_sets_default"] = default_is(default)
            print(json.dumps(out))
    """)


@case(
    "api.pool_context",
    labels={
        "fresh": "the global start method before first use",
        "worker_saw": "the main block's changed global, as a worker sees it",
        "with_ctx": "the global start method after using an explicit context",
        "without_ctx_sets_default": "context=None fixes the global start method to the default",
    },
    title="Pool(context=...) starts workers with that method; context=None fixes the global",
    source=[DOCS + "#multiprocessing.pool.Pool", GET_CONTEXT, GH_109263],
    covers=[58, 36],
    expect=[
        on("fork", ok({"fresh": None, "worker_saw": "changed-in-main", "with_ctx": None,
                       "without_ctx_sets_default": True})),
        on(("spawn", "forkserver"), ok({"fresh": None, "worker_saw": "import-time",
                                        "with_ctx": None, "without_ctx_sets_default": True})),
    ],
)
def pool_context(ctx: Context) -> object:
    """multiprocessing.pool.Pool(context=c) starts its workers with c; with context=None it
    uses the current context, fixing the global start method. A worker returns a global the
    main block changed: the new value only under fork. The context=None check uses Pool(0),
    which takes its context and then raises ValueError before starting a worker: on CPython
    before 3.13.12 and 3.14.3, and PyPy, starting a spawn or forkserver child fixes the global
    by itself (gh-109263), which would make the check pass whatever Pool did with
    context=None. The same bug makes ``with_ctx`` the default method there instead of None
    (see api.manager_ctx), a finding the rule keeps.

    Why it matters: the same as for managers — a pool made without a context follows the
    platform default and may not see state the program set up. Source: multiprocessing docs,
    Process pools (Pool context); get_context(); Global start method; gh-109263.
    """
    return run_json(ctx, _FRESH_PROBE, """
        from multiprocessing.pool import Pool

        if __name__ == '__main__':
            with Pool(1, context=mp.get_context(method)) as pool:
                out["worker_saw"] = pool.apply(probe)
            out["with_ctx"] = mp.get_start_method(allow_none=True)
            mp.set_start_method(None, force=True)  # documented reset, for the context=None check
            try:  # Pool(0) takes its context, then refuses before a worker could fix the global
                Pool(0)
            except ValueError:
                pass
            out["without_ctx_sets_default"] = default_is(default)
            print(json.dumps(out))
    """)


@case(
    "api.threadpool_no_context",
    title="ThreadPool rejects the context and maxtasksperchild arguments",
    source=DOCS + "#multiprocessing.pool.ThreadPool",
    covers=[59],
    expect=[on("*", ok({"context": "TypeError", "maxtasksperchild": "TypeError"}))],
)
def threadpool_no_context(ctx: Context) -> object:
    """ThreadPool "shares the same interface as Pool" except that maxtasksperchild and
    context "cannot be provided": its signature has no such parameters, so passing either
    raises TypeError (Python's rule for an unexpected keyword argument).

    Why it matters: code that swaps Pool for ThreadPool while keeping its arguments fails at
    construction. Source: multiprocessing docs, multiprocessing.pool.ThreadPool.
    """
    from multiprocessing.pool import ThreadPool

    def attempt(**kwargs: Any) -> str:
        try:
            pool = ThreadPool(1, **kwargs)
        except Exception as exc:
            return type(exc).__name__
        pool.terminate()
        return "accepted"

    return {"context": attempt(context=ctx.mp), "maxtasksperchild": attempt(maxtasksperchild=1)}


import cases.api_forkserver  # noqa: E402,F401 - registers the rest of the category
