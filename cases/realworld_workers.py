"""Real reports, continued: what a worker inherits by being a worker — a copied random
generator instance, and the daemon flag of a Pool worker.

Part of the ``realworld`` category (``cases/realworld.py`` imports this module).
"""

from __future__ import annotations

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import Context, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS

if TYPE_CHECKING:
    import random
    from typing import Any, Dict, Optional

RANDOM_DOCS = "https://docs.python.org/3/library/random.html#random.seed"
DAEMON_DOCS = DOCS + "#multiprocessing.Process.daemon"

#: Stands for a library's module-level generator (numpy's global RandomState in the report),
#: created in the parent the first time it is used.
_GENERATOR: Optional[random.Random] = None


def _generator() -> random.Random:
    global _GENERATOR
    if _GENERATOR is None:
        import random

        _GENERATOR = random.Random()  # seeded from os.urandom where available
    return _GENERATOR


def _draw() -> float:
    return _generator().random()


@case(
    "realworld.random_instance_copied_by_fork",
    title="A random.Random() instance made in the parent: do workers draw the same numbers?",
    source=["https://github.com/pytorch/pytorch/issues/5059",
            "https://github.com/facebookresearch/fairseq/issues/1383", RANDOM_DOCS, CONTEXTS],
    covers=[8, 2],
    expect=[
        on("fork", ok({"children_identical": True, "equals_parent_next": True})),
        on(("spawn", "forkserver"), ok({"children_identical": False,
                                        "equals_parent_next": False})),
    ],
)
def random_instance_copied_by_fork(ctx: Context) -> object:
    """The parent uses a generator instance (not the global ``random`` functions); two
    workers each draw one number from it. What broke: PyTorch DataLoader workers and fairseq
    data loaders produced the same "random" augmentation in every worker — numpy's global
    generator was copied into each fork child with its state. Why: fork copies the
    generator's state into every child; CPython re-seeds only the hidden instance behind
    the global ``random`` functions after fork (inheritance.random_state), never a
    ``Random()`` instance or another library's generator. spawn and forkserver children
    build a new instance, seeded from the OS. Fix: re-seed in each worker (a Pool
    initializer, DataLoader's worker_init_fn, os.register_at_fork(after_in_child=...)).

    Why it matters: silently duplicated samples, not an error. Source: pytorch#5059,
    fairseq#1383 (reports); random docs (seeding); docs, Contexts and start methods.
    """
    state = _generator().getstate()
    parent_next = _generator().random()
    _generator().setstate(state)
    first = ctx.call_in_child(_draw)
    second = ctx.call_in_child(_draw)
    return {"children_identical": first == second, "equals_parent_next": first == parent_next}


def _start_a_child(method: str) -> Dict[str, Any]:
    import multiprocessing

    proc = multiprocessing.get_context(method).Process(target=int)  # type: ignore[attr-defined]
    try:
        proc.start()
    except AssertionError:
        outcome = "AssertionError"
    else:
        proc.join()
        outcome = "started"
    return {"worker_is_daemon": multiprocessing.current_process().daemon, "start": outcome}


@case(
    "realworld.pool_worker_cannot_start_child",
    title="A Pool worker starts a process of its own (a Pool inside a Pool task)",
    source=["https://github.com/AllenInstitute/asap-modules/pull/125",
            "https://github.com/ThilinaRajapakse/simpletransformers/issues/1247",
            DAEMON_DOCS],
    expect=[on("*", ok({"worker_is_daemon": True, "start": "AssertionError"}),
               note="a daemonic process is not allowed to create child processes",
               from_source="Lib/multiprocessing/pool.py (workers are daemonic) and "
                           "process.py (an assert, gone under python -O); the reports quote "
                           "the AssertionError")],
)
def pool_worker_cannot_start_child(ctx: Context) -> object:
    """A task running in a multiprocessing Pool starts a child process (in the reports, a
    nested Pool). What broke: asap-modules' render-downsample module and simpletransformers
    run inside an Airflow task failed with "AssertionError: daemonic processes are not
    allowed to have children" from start(). Why: Pool workers are daemonic processes, and a
    daemonic process may not create children — under every start method, so switching
    method does not help. Fix: use a ThreadPool (or serial code) inside the worker
    (asap-modules' fix), or run the outer work in non-daemonic Processes.

    Why it matters: code that works when called directly fails once a caller runs it in a
    pool. No numbered docs statement (the rule is in Process.daemon's docs). Source:
    asap-modules#125, simpletransformers#1247 (reports); docs, Process.daemon.
    """
    with ctx.mp.Pool(1) as pool:
        return pool.apply(_start_a_child, (ctx.method,))
