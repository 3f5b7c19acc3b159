"""When the plugin's cells run: every cell is started in the background before pytest walks
the items in order (CPU slots for the running ones, performance cases last and alone), and
whether nothing is left to stop for a late stop signal: every cell has finished, or pytest runs
no more (``finish``).

Runs in the harness's own interpreter (the plugin's), never in the interpreter under test.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable, Dict, List, Set, Tuple

from harness import results, stopping, waiting
from harness.causes import EVERY_CELL, RESULTS_WRITTEN, STOPPED_EARLY
from harness.guest.words import PERFORMANCE
from harness.runner import CaseRun, cancel_all, cancelled, run_case

if TYPE_CHECKING:
    from harness.plugin import CaseItem, _State

__all__ = ["finish", "start", "timed_out_before", "waits"]

#: How many cells may be started at once. Only ``--case-jobs`` of them hold a CPU slot; the
#: others were seen waiting (``harness.waiting``) or timed out last time (``timed_out_before``),
#: and wait out their hard timeouts alongside the CPU work. The slot is given
#: back for what a cell does, never for its expectation: a wrong "timeout" expectation must not
#: get less CPU and so confirm itself.
_HANGING_JOBS = 64


def start(state: "_State") -> Callable[[], None]:
    """Start every cell of ``state.items`` (``state.futures`` gets one future each). Returns the
    session's clean-up: cells nobody will read are cancelled, and the pools shut down."""
    items = state.items
    serial = ThreadPoolExecutor(max_workers=1, thread_name_prefix="perf")
    performance = [item for item in items if item.case.category == PERFORMANCE]
    rest = [item for item in items if item not in performance]
    timed_out = timed_out_before(state)
    # What timed out last time starts first, without a slot: its timeout overlaps the rest.
    rest.sort(key=lambda item: not waits(item, timed_out))
    slots = waiting.CpuSlots(state.jobs, cancelled)
    # --case-jobs 1: every cell one after another, deadlock cells included
    cells = ThreadPoolExecutor(max_workers=1 if state.jobs == 1 else _HANGING_JOBS,
                               thread_name_prefix="case")
    others: List["Future[CaseRun]"] = []
    for item in rest:
        if state.jobs == 1:
            future = cells.submit(item.run_cell, state)
        else:
            future = cells.submit(_run_watched, item, state, slots, waits(item, timed_out))
        state.futures[item.key] = future
        others.append(future)
    gate = threading.Event()

    def _after_others(item: "CaseItem") -> CaseRun:
        gate.wait()
        return item.run_cell(state)

    for item in performance:
        state.futures[item.key] = serial.submit(_after_others, item)

    def _open_gate() -> None:
        for future in others:
            future.exception()
        gate.set()

    threading.Thread(target=_open_gate, name="perf-gate", daemon=True).start()
    futures = list(state.futures.values())

    def _settled() -> str:
        if state.written is not None:
            return RESULTS_WRITTEN
        return state.finished or (EVERY_CELL if all(f.done() for f in futures) else "")

    unsettle = stopping.settle_when(_settled)

    def _shutdown() -> None:
        unsettle()
        cancel_all()  # cells nobody will read (interrupt, -x): kill running trees, skip the queue
        gate.set()
        for pool in (cells, serial):
            pool.shutdown(wait=True)
    return _shutdown


def finish(state: "_State") -> None:
    """pytest runs no more cells (its session is finishing; with -x or --maxfail before the
    last one): the ones it will never read are cancelled, and from now on a first stop signal
    is recorded, not raised, so that it cannot cost the cells that finished their results file
    (what was not reached stays partial, with its own cause)."""
    if all(future.done() for future in state.futures.values()):
        state.finished = EVERY_CELL
        return
    state.finished = STOPPED_EARLY  # cancelled cells end too: not "finished"
    cancel_all()


def _run_watched(item: "CaseItem", state: "_State", slots: waiting.CpuSlots,
                 waited_before: bool) -> CaseRun:
    """One cell under the slot rules: it holds a CPU slot until it is seen waiting."""
    give_back = _nothing if waited_before else slots.take()
    try:
        watch = waiting.Watch(item.case.timeout, give_back, waiting=waited_before)
        return run_case(item.case.id, item.method, item.case.timeout, state.interpreter,
                        watch=watch)
    finally:
        give_back()


def _nothing() -> None:
    pass


def waits(item: "CaseItem", timed_out: Set[Tuple[str, str]]) -> bool:
    """Whether a cell starts without a CPU slot, as already waiting: it timed out last time
    (``timed_out_before``; its expectation, whatever it is, plays no part)."""
    return (item.case.id, item.method) in timed_out


def timed_out_before(state: "_State") -> Set[Tuple[str, str]]:
    """The cells that timed out in the file this run writes (a root's ``-root`` file, never
    its host twin's). On the environment's first run (no usable file of its own), the cells
    that timed out in at least half of the folder's other results files of the same OS:
    ``nox -s matrix`` runs one interpreter after another there, and the cells that hang on one
    mostly hang on the next, so that only the first interpreter pays for the hangs that start
    late (an idle tail); one slow interpreter's timeouts, or another OS's, do not count."""
    stem = results.file_stem(state.environment)
    own = state.results_dir / ("%s.json" % stem)
    found = waiting.timed_out_in(own)
    if found is not None:
        return found
    seen: Dict[Tuple[str, str], int] = {}
    files = 0
    for path in sorted(state.results_dir.glob("%s-*.json" % stem.split("-")[0])):
        other = waiting.timed_out_in(path) if path != own else None
        if other is not None:
            files += 1
            for cell in other:
                seen[cell] = seen.get(cell, 0) + 1
    return {cell for cell, count in seen.items() if 2 * count >= files}
