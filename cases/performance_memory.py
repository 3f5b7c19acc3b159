"""What a start method costs in memory and in moving data: the parent's size against start
latency, copy-on-read in fork children, an idle child's memory, and transfer throughput.
Measured as in ``cases.performance`` (protocol: ``harness/guest/measure.py``); registered by it.
"""

from __future__ import annotations

import gc
import sys
import time

from cases._performance import rss as _rss
from cases._performance import start_join as _start_join
from harness.guest import TYPE_CHECKING, measure
from harness.guest.catalog import LONG_TIMEOUT, Context, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS, OS_FORK

if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional

SHM = "https://docs.python.org/3/library/multiprocessing.shared_memory.html"
EXCHANGE = DOCS + "#exchanging-objects-between-processes"
GC_FREEZE = "https://docs.python.org/3/library/gc.html#gc.freeze"


# --------------------------------------------------------------------------- memory


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
    held: List[bytearray] = []
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
_INHERITED: List[List[int]] = []


def _build(count: int) -> List[List[int]]:
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


def _cow_run(mp: object, build: bool) -> Dict[str, Any]:
    reader, writer = mp.Pipe(duplex=False)  # type: ignore[attr-defined]
    proc = mp.Process(target=_touch_and_measure, args=(writer, build))  # type: ignore[attr-defined]
    proc.start()
    writer.close()
    try:
        data: Dict[str, Any] = reader.recv()
    finally:
        reader.close()
        proc.join()
    return data


def _cow_variant(mp: object, build: bool) -> Dict[str, Any]:
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
    result: Dict[str, Any] = {"inherited": True,
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
    title="Resident (RSS), unique (USS) and proportional (PSS) memory of an idle child",
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
    result: Dict[str, Any] = {key: measure.summarize([r[key] for r in readings], "MB")
                              for key in ("rss", "uss", "pss")}
    result["parent_rss_mb"] = parent["rss"]
    return result


# --------------------------------------------------------------------------- moving data

#: Payload sizes of ``transfer_throughput`` in MB (10**6 bytes).
TRANSFER_SIZES_MB = (1, 10, 100)
#: Points not started within this many seconds of the case's start are reported as skipped
#: (PyPy copies memoryviews slowly: 100 MB can take 10 s per sample on a loaded machine).
TRANSFER_BUDGET_S = 60.0


def _sink(kind: str, source: object, ack: object, shm_name: Optional[str]) -> None:
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
                data = bytes(segment.buf[:size]) if size else b""  # type: ignore[union-attr, index]
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

            def mb_per_s(ms: float, mb: int = size_mb) -> float:
                return mb / (ms / 1000.0)

            # One warm-up on the first size; the channel is warm for the larger ones.
            point = measure.sample(send, warmups=1 if size_mb == TRANSFER_SIZES_MB[0] else 0,
                                   convert=mb_per_s)
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
