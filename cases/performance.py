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

import gc
import sys
import time

from harness.guest import measure
from harness.guest.catalog import LONG_TIMEOUT, Context, Unavailable, case, ok, on, unavailable
from harness.guest.words import START_METHODS

DOCS = "https://docs.python.org/3/library/multiprocessing.html"
CONTEXTS = DOCS + "#contexts-and-start-methods"
POOL = DOCS + "#module-multiprocessing.pool"
PRELOAD = DOCS + "#multiprocessing.set_forkserver_preload"
SHM = "https://docs.python.org/3/library/multiprocessing.shared_memory.html"
EXCHANGE = DOCS + "#exchanging-objects-between-processes"
GC_FREEZE = "https://docs.python.org/3/library/gc.html#gc.freeze"
OS_FORK = "https://docs.python.org/3/library/os.html#os.fork"


def _start_join(mp: object, target: object = measure.noop, args: tuple = ()) -> None:
    proc = mp.Process(target=target, args=args)  # type: ignore[attr-defined]
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"the measured child exited with code {proc.exitcode}")


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
            medians[method] = measure.sample(lambda mp=mp: _start_join(mp))["median"]
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


# --------------------------------------------------------------------------- memory


def _rss() -> object:
    try:
        return measure.memory_of()["rss"]
    except Unavailable:
        return None


#: Parent sizes of the curve, in MB of live Python objects.
PARENT_SIZES_MB = (0, 256, 1000)
#: Size of one bytearray in the parent's payload (~1 KB: many objects, quick to build).
_CHUNK = 1000


@case(
    "performance.start_latency_vs_parent_memory",
    title="Start latency with the parent holding 0, 256 MB and 1 GB of live Python objects",
    source=[CONTEXTS, OS_FORK],
    timeout=LONG_TIMEOUT,
    expect=[on("*", ok())],
)
def start_latency_vs_parent_memory(ctx: Context) -> object:
    """Start + join of a no-op child while this parent holds 0, 256 MB and 1 GB (10**9 bytes)
    in ~1 KB bytearray objects. Each point is a ``start_latency`` point (one warm-up) with the
    parent's measured RSS (which shows the memory is really held). ``growth`` is the 1 GB
    median over the 0 MB median.

    Why it matters: fork copies the parent's page tables (and the kernel must tear them down
    again when the child exits), so its cost grows with the parent's size even though no data
    page is copied. spawn execs a new program: on CPython 3.10+ through vfork(), which copies
    no page tables, so its cost should not grow; CPython 3.8/3.9 and PyPy start the new
    program with a plain fork() + exec, which does copy them once. forkserver children are
    forked from the small server, so the parent's size should not matter.
    Source: os.fork and multiprocessing docs (Contexts and start methods).
    """
    mp = ctx.mp
    held = []
    points = []
    for size_mb in PARENT_SIZES_MB:
        while len(held) * _CHUNK < size_mb * measure.MB:
            # A new mutable object each time: PyPy's JIT may fold ``b"m" * _CHUNK`` into one
            # shared constant, which would hold no memory at all.
            held.append(bytearray(b"m") * _CHUNK)
        point = measure.sample(lambda: _start_join(mp), warmups=1)
        point["parent_objects_mb"] = size_mb
        point["parent_rss_mb"] = _rss()
        points.append(point)
    del held
    return {"points": points,
            "growth": round(points[-1]["median"] / points[0]["median"], 3)}


#: Objects in the inherited list of ``copy_on_read``: one small list (a GC-tracked container)
#: holding one int each, about 60 MB in all on 64-bit CPython.
COW_OBJECTS = 500000
#: Children per variant (memory readings barely vary: the median of three is plenty).
COW_REPEATS = 3
_INHERITED: list = []


def _build(count: int) -> list:
    return [[i + 1000] for i in range(count)]


def _touch_and_measure(conn: object, build: bool) -> None:
    """In the child: private memory before, after ``gc.collect()``, after reading every item."""
    global _INHERITED
    before = measure.memory_of()["uss"]
    if build:
        _INHERITED = _build(COW_OBJECTS)
    built = measure.memory_of()["uss"]
    gc.collect()
    after_gc = measure.memory_of()["uss"]
    total = 0
    for item in _INHERITED:
        total += item[0]
    after_read = measure.memory_of()["uss"]
    conn.send({"built": built - before, "gc": after_gc - built, "read": after_read - after_gc,  # type: ignore[attr-defined]
               "total": after_read - before, "checksum": total})
    conn.close()  # type: ignore[attr-defined]


def _cow_run(mp: object, build: bool) -> dict:
    reader, writer = mp.Pipe(duplex=False)  # type: ignore[attr-defined]
    proc = mp.Process(target=_touch_and_measure, args=(writer, build))  # type: ignore[attr-defined]
    proc.start()
    writer.close()
    try:
        data = reader.recv()
    finally:
        reader.close()
        proc.join()
    return data


def _cow_variant(mp: object, build: bool) -> dict:
    runs = [_cow_run(mp, build) for _ in range(COW_REPEATS)]
    expected = sum(i + 1000 for i in range(COW_OBJECTS))
    if any(run["checksum"] != expected for run in runs):
        raise RuntimeError("the child did not read the whole list")
    return {key: measure.summarize([run[key] for run in runs], "MB")
            for key in ("built", "gc", "read", "total")}


@case(
    "performance.copy_on_read",
    title="A fork child that only reads inherited Python objects: how much becomes private",
    source=[GC_FREEZE, CONTEXTS],
    timeout=LONG_TIMEOUT,
    expect=[on("*", ok())],
)
def copy_on_read(ctx: Context) -> object:
    """Under fork the parent builds 500,000 small lists (~60 MB) and the child only reads
    them: it reports its private memory (USS, /proc/self/smaps_rollup) growth after a
    ``gc.collect()`` and after reading every item, without and with ``gc.freeze()`` in the
    parent just before start(). Refcount updates write to every object read, and a collection
    writes to every tracked object it visits, so "pages are only copied when modified" holds
    only in the kernel's sense: reading Python objects modifies them. ``gc.freeze()`` moves
    the objects out of the collector's reach (the ``gc`` step), not out of refcounting.
    ``parent_data_mb`` is the growth of the parent's USS when building the list.

    spawn and forkserver children inherit nothing: there the child builds the same list
    itself (``inherited: false``) and the value shows the private memory that costs: what
    fork's sharing saves, or not. ``gc.freeze()`` is irrelevant there.
    Source: gc.freeze docs; multiprocessing docs, Contexts and start methods; the article's
    "pages are only copied when modified" claim.
    """
    global _INHERITED
    mp = ctx.mp
    before = measure.memory_of()["uss"]  # raises Unavailable without /proc
    if ctx.method != "fork":
        return {"inherited": False, "own_copy": _cow_variant(mp, build=True)}
    _INHERITED = _build(COW_OBJECTS)
    result = {"inherited": True,
              "parent_data_mb": round(measure.memory_of()["uss"] - before, 1)}
    try:
        result["no_freeze"] = _cow_variant(mp, build=False)
        if hasattr(gc, "freeze"):
            gc.freeze()
            try:
                result["gc_freeze"] = _cow_variant(mp, build=False)
            finally:
                gc.unfreeze()
        else:
            result["gc_freeze"] = f"gc.freeze() does not exist on {sys.implementation.name}"
    finally:
        _INHERITED = []
    return result


@case(
    "performance.child_memory",
    title="Resident (RSS) and unique (USS) memory of an idle child, per method",
    source=[CONTEXTS],
    timeout=LONG_TIMEOUT,
    expect=[on("*", ok())],
)
def child_memory(ctx: Context) -> object:
    """Five idle children, one at a time: once a child has started and reported ready, the
    parent reads its /proc/<pid>/smaps_rollup. ``rss`` counts pages shared with the parent
    (fork) or with the server (forkserver); ``uss`` is what the child alone holds (freed when it
    exits); ``pss`` splits shared pages among sharers. MB, median of five.

    Why it matters: "fork is memory-efficient" is about USS; spawn children are whole
    interpreters of their own. Source: multiprocessing docs, Contexts and start methods.
    """
    mp = ctx.mp
    parent = measure.memory_of()
    readings = []
    for _ in range(5):
        reader, writer = mp.Pipe()
        proc = mp.Process(target=measure.wait_for_parent, args=(writer,))
        proc.start()
        try:
            pid = reader.recv()
            readings.append(measure.memory_of(pid))
            reader.send("stop")
        finally:
            reader.close()
            writer.close()
            proc.join()
    result = {key: measure.summarize([r[key] for r in readings], "MB")
              for key in ("rss", "uss", "pss")}
    result["parent_rss_mb"] = parent["rss"]
    return result


# --------------------------------------------------------------------------- moving data

#: Payload sizes of ``transfer_throughput`` in MB (10**6 bytes).
TRANSFER_SIZES_MB = (1, 10, 100)
#: Points not started within this many seconds of the case's start are reported as skipped
#: (PyPy copies memoryviews slowly: 100 MB can take 10 s per sample on a loaded machine).
TRANSFER_BUDGET_S = 60.0


def _sink(kind: str, source: object, ack: object, shm_name: object) -> None:
    """In the child: receive payloads until told to stop, acknowledging each with its size."""
    segment = None
    if kind == "shared_memory":
        from multiprocessing import shared_memory

        segment = shared_memory.SharedMemory(name=shm_name)
    try:
        while True:
            if kind == "pipe":
                data = source.recv_bytes()  # type: ignore[attr-defined]
            elif kind == "queue":
                data = source.get()  # type: ignore[attr-defined]
            else:
                size = source.recv()  # type: ignore[attr-defined]
                data = bytes(segment.buf[:size]) if size else b""  # type: ignore[union-attr]
            if not data:
                break
            ack.send(len(data))  # type: ignore[attr-defined]
    finally:
        if segment is not None:
            segment.close()


def _send_one(kind: str, sender: object, segment: object, ack: object, payload: bytes) -> None:
    """Send ``payload`` by ``kind`` and wait for the child's acknowledgement (if ``ack``)."""
    size = len(payload)
    if kind == "pipe":
        sender.send_bytes(payload)  # type: ignore[attr-defined]
    elif kind == "queue":
        sender.put(payload)  # type: ignore[attr-defined]
    else:
        segment.buf[:size] = payload  # type: ignore[attr-defined]
        sender.send(size)  # type: ignore[attr-defined]
    if ack is not None and ack.recv() != size:  # type: ignore[attr-defined]
        raise RuntimeError("the child received a wrong number of bytes")


def _transfer(mp: object, kind: str, deadline: float) -> object:
    """One child receives every size through ``kind``; one point (MB/s) per size."""
    biggest = max(TRANSFER_SIZES_MB) * measure.MB
    segment = None
    if kind == "shared_memory":
        try:
            from multiprocessing import shared_memory
        except ImportError as exc:
            return {"unavailable": f"multiprocessing.shared_memory: {exc}"}
        segment = shared_memory.SharedMemory(create=True, size=biggest)
    ack_reader, ack_writer = mp.Pipe(duplex=False)  # type: ignore[attr-defined]
    if kind == "queue":
        channel = mp.Queue()  # type: ignore[attr-defined]
        source, sender = channel, channel
    else:
        source, sender = mp.Pipe(duplex=False)  # type: ignore[attr-defined]
    proc = mp.Process(target=_sink, args=(kind, source, ack_writer,  # type: ignore[attr-defined]
                                          segment.name if segment is not None else None))
    proc.start()
    points = {}
    rate = None  # MB/s of the previous size: predicts the next one
    try:
        for size_mb in TRANSFER_SIZES_MB:
            expected = size_mb / rate if rate else 0.0
            if time.perf_counter() + expected > deadline:
                points[f"{size_mb}_mb"] = {"skipped": "would not finish within the case's "
                                           f"{TRANSFER_BUDGET_S:.0f} s budget at {rate} MB/s"}
                continue
            size = size_mb * measure.MB
            payload = b"t" * size

            def send(payload: bytes = payload) -> None:
                _send_one(kind, sender, segment, ack_reader, payload)

            # One warm-up on the first size; the channel is warm for the larger ones.
            point = measure.sample(send, warmups=1 if size_mb == TRANSFER_SIZES_MB[0] else 0,
                                   convert=lambda ms, mb=size_mb: mb / (ms / 1000.0))
            point["unit"] = "MB/s"
            point["size_mb"] = size_mb
            points[f"{size_mb}_mb"] = point
            rate = point["min"]
            del payload
    finally:
        _send_one(kind, sender, segment, None, b"")  # tells the child to stop
        proc.join()
        if kind == "queue":
            channel.close()
            channel.join_thread()
        if segment is not None:
            segment.close()
            segment.unlink()
    return points


@case(
    "performance.transfer_throughput",
    title="Sending 1, 10 and 100 MB to a child via Queue, Pipe and shared_memory",
    source=[EXCHANGE, SHM],
    timeout=LONG_TIMEOUT,
    expect=[on("*", ok())],
)
def transfer_throughput(ctx: Context) -> object:
    """A running child receives a bytes payload and acknowledges it; a sample is the time from
    the parent's send to the acknowledgement, shown as MB/s (median, IQR, raw). ``pipe``:
    ``Connection.send_bytes``/``recv_bytes``; ``queue``: ``Queue.put``/``get`` (pickled, via
    the feeder thread); ``shared_memory``: the parent copies the payload into a segment created
    once beforehand (not timed) and the child copies it out into bytes. Every route ends with
    the child holding its own bytes copy. Points not started within TRANSFER_BUDGET_S of the
    case's start (predicted from the previous size's slowest rate) are reported as ``skipped``
    rather than run into the hard timeout (PyPy 3.9's Pipe moved ~1 MB/s here).

    Why it matters: once the child runs, the start method should not matter for moving data;
    the route does. Source: multiprocessing docs, Exchanging objects between processes;
    multiprocessing.shared_memory docs.
    """
    deadline = time.perf_counter() + TRANSFER_BUDGET_S
    return {kind: _transfer(ctx.mp, kind, deadline)
            for kind in ("pipe", "queue", "shared_memory")}


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
