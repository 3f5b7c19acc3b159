"""What starting a child costs under each start method: time, memory, and moving data.

Every number is measured with the protocol in ``harness/guest/measure.py`` (warm-ups, then
samples until 20, or 1 s, or the median's 95 % interval within ±10 %, at least 5 and at most 4 s
per point; median and interquartile range, an ``unstable`` flag, raw samples and the stop reason
kept, explicit units: ``ms``, ``MB`` = 10**6 bytes, ``MB/s``). The documentation makes one
qualitative performance claim (spawn is "rather slow compared with fork or forkserver"):
``performance.spawn_slower`` checks it as booleans computed within one run; every other case
expects ``ok()`` (any value), since timings vary from run to run and machine to machine.

The plugin runs these cases one at a time after every other case. Child targets that are timed
(``noop``, ``identity``, ``wait_for_parent``) live in ``harness.guest.measure``, which imports
almost nothing, so a spawn child pays what a hand-written script's child pays, not the
catalog's imports.
"""

from __future__ import annotations

import time

from cases._performance import rss as _rss
from cases._performance import start_join as _start_join
from harness.guest import measure
from harness.guest.catalog import LONG_TIMEOUT, Context, Unavailable, case, ok, on, unavailable
from harness.guest.docs import CONTEXTS, DOCS
from harness.guest.words import START_METHODS

POOL = DOCS + "#module-multiprocessing.pool"
PRELOAD = DOCS + "#multiprocessing.set_forkserver_preload"


# --------------------------------------------------------------------------- start latency


@case(
    "performance.start_latency",
    title="Start + join of a no-op child: median and spread per method (after warm-up)",
    source=[CONTEXTS, "https://github.com/python/cpython/issues/117378"],
    timeout=LONG_TIMEOUT,
    expect=[on("*", ok())],
)
def start_latency(ctx: Context) -> object:
    """Time ``Process(target=noop).start(); join()`` in this (fresh, lean) parent, after two
    warm-up starts, so the forkserver's own launch is excluded (it is measured by
    ``performance.first_start_latency``). Returns one point: median/q1/q3/IQR in ms, the
    ``unstable`` flag and the raw samples.

    The no-op is the builtin ``int`` (returns 0): a spawn or forkserver child finds it without
    importing anything, as a script's child finds a no-op in the script it runs again. A no-op
    in a harness module would be imported by every child: ``set_forkserver_preload`` cannot
    help where the fork server ignores the parent's ``sys.path`` (before 3.12.8/3.13.1,
    gh-117378: the preload fails silently), which cost ~4 ms per child on PyPy 3.9.

    Why it matters: start cost decides whether a process per task is affordable. The docs call
    spawn "rather slow compared with fork or forkserver" without a number; this gives one.
    Source: multiprocessing docs, Contexts and start methods.
    """
    mp = ctx.mp
    return measure.sample(lambda: _start_join(mp, int))


FIRST_START_SCRIPT = """
import sys
import time
import multiprocessing


def noop():
    pass


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    times = []
    for _ in range(2):
        started = time.perf_counter()
        proc = ctx.Process(target=noop)
        proc.start()
        proc.join()
        times.append((time.perf_counter() - started) * 1000.0)
    print(times[0], times[1])
"""


@case(
    "performance.first_start_latency",
    title="The first start in a fresh parent (for forkserver: launching the server too)",
    source=[CONTEXTS],
    timeout=LONG_TIMEOUT,
    expect=[on("*", ok())],
)
def first_start_latency(ctx: Context) -> object:
    """Start + join of the first no-op child in a fresh main program (a new interpreter per
    sample), and of the second child in the same program. Under forkserver the first start
    also launches the server (lazily, on first use); under fork and spawn it pays one-time
    imports only. Returns ``first`` and ``second`` points in ms.

    Why it matters: a short script that starts one child pays the first-start cost, which
    the steady-state ``performance.start_latency`` excludes.
    Source: multiprocessing docs, Contexts and start methods (the server is started on use).
    """
    seconds = []

    def one() -> float:
        result = ctx.run_script(FIRST_START_SCRIPT, name="first_start.py")
        if result.returncode != 0:
            raise RuntimeError(f"first-start script failed: {result.stderr[-300:]}")
        first, second = (float(v) for v in result.stdout.split())
        seconds.append(second)
        return first

    first = measure.sample(one, warmups=1)
    return {"first": first, "second": measure.summarize(seconds[1:], "ms")}


@case(
    "performance.spawn_slower",
    title="spawn starts a child more slowly than fork and forkserver (one run, all methods)",
    source=[CONTEXTS],
    covers=[4],
    timeout=LONG_TIMEOUT,
    methods=("spawn",),
    expect=[
        on("spawn", unavailable(), os="windows",
           note="fork and forkserver do not exist on Windows: nothing to compare with"),
        on("spawn", ok({"spawn_slower_than_fork": True, "spawn_slower_than_forkserver": True})),
    ],
)
def spawn_slower(ctx: Context) -> object:
    """The docs: spawn "is rather slow compared with using fork or forkserver". Measured in
    one run (same parent, back to back, with the ``start_latency`` protocol): is the median
    start + join under spawn above the median under fork and under forkserver? Runs once per
    interpreter (as the spawn cell); the medians themselves are in ``start_latency``.

    Source: multiprocessing docs, Contexts and start methods (spawn).
    """
    import multiprocessing

    available = multiprocessing.get_all_start_methods()
    if "fork" not in available and "forkserver" not in available:
        raise Unavailable(f"only spawn exists here: {available}")
    medians = {}
    for method in START_METHODS:
        if method in available:
            mp = multiprocessing.get_context(method)

            def start_join(mp: object = mp) -> None:
                _start_join(mp)

            medians[method] = measure.sample(start_join)["median"]
    return {f"spawn_slower_than_{m}": medians["spawn"] > medians[m]
            for m in ("fork", "forkserver") if m in medians}


@case(
    "performance.pool_startup",
    title="A 4-worker Pool: create, map a trivial function, close, join",
    source=[POOL, CONTEXTS],
    timeout=LONG_TIMEOUT,
    expect=[on("*", ok())],
)
def pool_startup(ctx: Context) -> object:
    """Time ``Pool(4)``, ``map(identity, range(8))``, ``close()``, ``join()`` — the cost of a
    throw-away pool. Returns one point in ms (one warm-up).

    Why it matters: code that creates a Pool per call (a common pattern) pays four starts
    each time; under spawn that is four fresh interpreters.
    Source: multiprocessing docs, Process pools.
    """
    mp = ctx.mp

    def run() -> None:
        pool = mp.Pool(4)
        try:
            if pool.map(measure.identity, range(8)) != list(range(8)):
                raise RuntimeError("Pool.map returned a wrong result")
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()

    return measure.sample(run, warmups=1)


# --------------------------------------------------------------------------- heavy parent

#: Standard-library modules a "heavy" parent has imported (those missing here are skipped).
HEAVY_MODULES = (
    "argparse", "asyncio", "base64", "bz2", "calendar", "concurrent.futures", "configparser",
    "csv", "dataclasses", "datetime", "decimal", "difflib", "email.mime.multipart",
    "email.parser", "fractions", "ftplib", "gzip", "hashlib", "html.parser", "http.client",
    "http.cookiejar", "http.server", "imaplib", "inspect", "ipaddress", "json",
    "logging.handlers", "lzma", "mailbox", "pickletools", "plistlib", "poplib", "pydoc",
    "shutil", "smtplib", "socketserver", "sqlite3", "ssl", "statistics", "tarfile",
    "tempfile", "textwrap", "tomllib", "typing", "unittest", "urllib.request", "uuid",
    "wsgiref.simple_server", "xml.dom.minidom", "xml.etree.ElementTree", "xmlrpc.client",
    "zipfile",
)


def _import_heavy() -> int:
    """Import every available module of ``HEAVY_MODULES``; the number imported."""
    import importlib

    count = 0
    for name in HEAVY_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        count += 1
    return count


def _uses_heavy_modules() -> None:
    """A child that needs the parent's modules (imports them; free if already there)."""
    _import_heavy()


@case(
    "performance.import_heavy_parent",
    title="A parent that imported ~50 stdlib modules: start latency, and set_forkserver_preload",
    source=[CONTEXTS, PRELOAD],
    timeout=LONG_TIMEOUT,
    expect=[on("*", ok())],
)
def import_heavy_parent(ctx: Context) -> object:
    """This parent imports ~50 standard-library modules (``modules`` says how many exist
    here), then times start + join of a no-op child (``noop``) and of a child that needs the
    same modules (``uses_modules``: it imports them, which is free when they are inherited).
    Under forkserver the server is then stopped and restarted with
    ``set_forkserver_preload(HEAVY_MODULES)``, and both are timed again (``*_preloaded``).

    Why it matters: fork children inherit imported modules; spawn children import everything
    again; forkserver children import what the server has not, unless preloaded (the docs:
    preloading avoids each child importing them). Source: multiprocessing docs,
    set_forkserver_preload; Contexts and start methods.
    """
    mp = ctx.mp
    started = time.perf_counter()
    modules = _import_heavy()
    result = {"modules": modules,
              "parent_import_ms": round((time.perf_counter() - started) * 1000.0, 1),
              "parent_rss_mb": _rss()}
    result["noop"] = measure.sample(lambda: _start_join(mp), warmups=1)
    result["uses_modules"] = measure.sample(lambda: _start_join(mp, _uses_heavy_modules),
                                            warmups=1)
    if ctx.method == "forkserver":
        from multiprocessing import forkserver

        stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
        if stop is None:
            result["preloaded"] = "cannot restart the forkserver here (no ForkServer._stop)"
            return result
        stop()
        mp.set_forkserver_preload(list(HEAVY_MODULES))
        result["noop_preloaded"] = measure.sample(lambda: _start_join(mp), warmups=1)
        result["uses_modules_preloaded"] = measure.sample(
            lambda: _start_join(mp, _uses_heavy_modules), warmups=1)
    return result


import cases.performance_memory  # noqa: E402,F401 - registers the memory and transfer cases
