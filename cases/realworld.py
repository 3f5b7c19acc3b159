"""Behaviour real projects hit, reduced from their bug reports: what broke, why, and the fix.

The ``realworld`` category: each case cites the report(s) it comes from in ``sources`` and
takes its expectations from the report (what the project saw under each method) or from the
docs the report rests on; where neither says anything for a method, it has no rule, unless the
value follows from the method's documented mechanism (``inferred=True``) or is read from
CPython's source (``from_source=``), both shown as not the docs' (see ``Expect``). This
module holds what a spawn or forkserver child does not get from the parent's run-time set-up
(and what changed in a patch release); ``cases/realworld_fork.py`` (imported at the end)
holds what a fork child gets that it should not, and the fork server's own state.
"""

from __future__ import annotations

import os
import sys

from cases._pickling import start_fails
from cases._rules import forkserver_main_rules
from cases._scripts import run_json
from harness.guest import TYPE_CHECKING
from harness.guest.catalog import Context, Unavailable, case, ok, on
from harness.guest.docs import DOCS, GH_126631, GUIDE_SPAWN, NEWS_3138, NEWS_3141
from harness.guest.words import START_METHODS

if TYPE_CHECKING:
    from typing import Any, Dict

LOGGER = "smm.realworld.worker"
VERBOSE = 15


class Service:
    """Stands for a class a test suite mocks (moto's AWS client, Airflow's DagBag)."""

    def answer(self) -> int:
        return 1


def _service_answer() -> int:
    return Service().answer()


@case(
    "realworld.mock_patch_not_in_child",
    title="mock.patch applied in the parent: only fork children see the patched method",
    source=["https://github.com/pfnet/pfio/pull/375",
            "https://github.com/apache/airflow/pull/8794",
            "https://github.com/python/cpython/issues/135583"],
    covers=[2, 8],
    expect=[on("fork", ok(42)), on(("spawn", "forkserver"), ok(1))],
)
def mock_patch_not_in_child(ctx: Context) -> object:
    """A test patches a class with unittest.mock.patch.object and the code under test runs it
    in a child. What broke: pfio's tests (moto's mock_aws) failed on Python 3.14, Airflow's
    scheduler test on macOS with 3.8 — the child used the real method. Why: a patch is a
    change to the parent's memory; a fork child is a copy and sees it, a spawn or forkserver
    child imports the module afresh. Fix: patch inside the child (a Pool initializer or the
    target), or replace the mock with a real fake service (pfio started moto's server).

    Why it matters: tests that passed for years on Linux with fork start failing, or silently
    test the real thing, when the default becomes forkserver. Source: pfio#375, airflow#8794,
    cpython#135583 (reports); multiprocessing docs, Contexts and start methods.
    """
    from unittest import mock

    with mock.patch.object(Service, "answer", return_value=42):
        return ctx.call_in_child(_service_answer)


def _logging_state() -> Dict[str, Any]:
    import logging

    logger = logging.getLogger(LOGGER)
    return {"effective_level": logging.getLevelName(logger.getEffectiveLevel()),
            "handlers": len(logger.handlers),
            "custom_level": logging.getLevelName(VERBOSE)}


@case(
    "realworld.logging_config_not_in_child",
    title="Logging set up in the parent (level, handler, custom level name) in the child",
    source=["https://github.com/BlueBrain/Search/issues/278",
            "https://github.com/taskiq-python/taskiq/pull/435",
            "https://github.com/MIT-PSFC/disruption-py/pull/546",
            "https://docs.python.org/3/library/logging.html#logging.Logger.setLevel"],
    covers=[2, 8],
    expect=[
        on("fork", ok({"effective_level": "INFO", "handlers": 1, "custom_level": "VERBOSE"})),
        on(("spawn", "forkserver"), ok({"effective_level": "WARNING", "handlers": 0,
                                        "custom_level": "Level 15"})),
    ],
)
def logging_config_not_in_child(ctx: Context) -> object:
    """The parent configures a logger (level INFO, one handler) and registers a custom level
    name with logging.addLevelName. What broke: worker log messages vanished under spawn
    (BlueBrain Search, taskiq), and in disruption-py the custom VERBOSE level was missing in
    spawn/forkserver workers, so every physics result silently became NaN. Why: logging is
    configured by code that ran in the parent; a spawn or forkserver child starts with the
    default WARNING level and no handlers. Fix: configure logging in each child (a Pool
    initializer), or send records to the parent through a QueueHandler.

    Why it matters: missing logs make the next failure undiagnosable. Source: BlueBrain
    Search#278, taskiq#435, disruption-py#546 (reports); logging docs, Logger.setLevel (the
    root logger starts at WARNING).
    """
    import logging

    logger = logging.getLogger(LOGGER)
    handler = logging.NullHandler()
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    logging.addLevelName(VERBOSE, "VERBOSE")
    try:
        return ctx.call_in_child(_logging_state)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logging.addLevelName(VERBOSE, "Level %d" % VERBOSE)


def _warn_and_count() -> int:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.warn("smm-noisy-library-warning", UserWarning, stacklevel=1)
    return len(caught)


@case(
    "realworld.warnings_filter_not_in_child",
    title="warnings.filterwarnings('ignore') in the parent: does the child's warning show?",
    source=["https://github.com/joblib/joblib/issues/1591",
            "https://github.com/braindecode/braindecode/issues/662",
            "https://github.com/blue-yonder/tsfresh/pull/610"],
    covers=[2, 8],
    expect=[on("fork", ok(0)), on(("spawn", "forkserver"), ok(1))],
)
def warnings_filter_not_in_child(ctx: Context) -> object:
    """The parent silences a warning with warnings.filterwarnings('ignore', ...); the child
    triggers it. What broke: scikit-learn/joblib users and braindecode could not silence
    warnings from worker processes; tsfresh's filter failed on Windows. Why: filters added at
    run time live in the parent's warnings module; a spawn or forkserver child gets only the
    command-line -W options, not calls made later. Fix: set PYTHONWARNINGS in os.environ
    before starting workers (children inherit the environment), or filter in the child.

    Why it matters: hundreds of repeated warnings from workers bury the real output.
    Source: joblib#1591, braindecode#662, tsfresh#610 (reports).
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="smm-noisy-library-warning")
        return ctx.call_in_child(_warn_and_count)


class PipelineConfig:
    """Stands for spdl's PipelineConfig: a picklable object carrying a callable."""

    def __init__(self, func: Any) -> None:
        self.func = func


def _run_pipeline(config: PipelineConfig) -> Any:
    return config.func(21)


@case(
    "realworld.local_function_in_config",
    title="A config object carrying a function defined inside a test: only fork can start it",
    source=["https://github.com/facebookresearch/spdl/pull/1565", GUIDE_SPAWN],
    covers=[27],
    expect=[
        on("fork", ok(42)),
        start_fails(),
    ],
)
def local_function_in_config(ctx: Context) -> object:
    """A test defines a helper inside the test function and passes it, inside a config object,
    to a child. What broke: spdl's subprocess tests failed on Python 3.14 CI with "Can't
    pickle local object" once forkserver became the default. Why: under spawn and forkserver
    the Process and its arguments are pickled, and a function defined inside another function
    cannot be pickled by reference; fork never pickles them. Fix: move the helper to module
    level. (The only pickling case here: the catalog's pickling category has the rest.)

    Why it matters: this is the most common 3.14 test breakage; it hides in helper objects,
    not only in target=. Source: spdl#1565 (report); multiprocessing docs, Programming
    guidelines (picklability).
    """
    def double(value: int) -> int:
        return value * 2

    from cases._pickling import in_child  # errors of the child stay the child's

    return in_child(ctx, _run_pipeline, PipelineConfig(double))


_TOP_LEVEL_SCRIPT = """
    import json, os, sys
    import multiprocessing as mp

    LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "top-level.log")
    with open(LOG, "a") as handle:          # the app's top-level side effect
        handle.write("%d\\n" % os.getpid())

    def work():
        return None

    if __name__ == "__main__":
        p = mp.get_context(sys.argv[1]).Process(target=work)
        p.start()
        p.join()
        with open(LOG) as handle:
            pids = [int(line) for line in handle.read().split()]
        print(json.dumps({"parent": pids.count(os.getpid()), "child": pids.count(p.pid),
                          "elsewhere": len([x for x in pids if x not in (os.getpid(), p.pid)])}))
"""


def _runs(parent: int, child: int, elsewhere: int) -> Dict[str, int]:
    return {"parent": parent, "child": child, "elsewhere": elsewhere}


@case(
    "realworld.forkserver_runs_main_top_level",
    labels={
        "parent": "times the script's top level ran in the parent",
        "child": "times the script's top level ran in the child",
        "elsewhere": "times the script's top level ran in another process (the fork server)",
    },
    title="Where the main script's top-level code runs again: the child, or the fork server",
    source=["https://github.com/zauberzeug/nicegui/issues/6166", NEWS_3138, NEWS_3141,
            GH_126631, GUIDE_SPAWN],
    expect=[
        on("fork", ok(_runs(1, 0, 0))),
        on("spawn", ok(_runs(1, 1, 0))),
        *forkserver_main_rules(lambda preloaded: _runs(1, 0, 1) if preloaded else _runs(1, 1, 0)),
    ],
)
def forkserver_runs_main_top_level(ctx: Context) -> object:
    """A script's top-level code (outside the main guard) appends its pid to a file; the main
    block starts one child. What broke: NiceGUI apps hung on Python 3.14 on Linux — the fork
    server re-imported the app script and started a second web server. Why: the fork server
    always meant to preload __main__, but a renamed key (2013) made that dead code; 3.13.8
    and 3.14.1 fixed it (gh-126631), so the top level now runs once in the fork server and
    not in each child, where before it ran in every child like spawn. Fix: keep side effects
    under the main guard (NiceGUI removed '__main__' from the preload list).

    Why it matters: a patch release moved where module-level code runs; a side effect that
    ran harmlessly per child now runs in a long-lived server. The changelogs say only that the
    server now preloads __main__; that a child forked from it then skips the top level is
    CPython's spawn.py (its forkserver values are from the implementation, as in
    inheritance.main_reexecuted). No numbered docs statement says where forkserver runs it:
    #31 is checked as "once in the child", which forkserver stopped doing in 3.13.8 / 3.14.1.
    Source: nicegui#6166 (report); CPython changelogs 3.13.8 and 3.14.1 (gh-126631); docs,
    Safe importing of main module.
    """
    return run_json(ctx, _TOP_LEVEL_SCRIPT)


_SET_TWICE_SCRIPT = """
    import json, sys
    import multiprocessing as mp

    if __name__ == "__main__":
        mp.get_start_method()            # a library checks the method at import
        try:
            mp.set_start_method(sys.argv[1])   # the application chooses one
            first = "set"
        except RuntimeError as exc:
            first = "RuntimeError: %s" % exc
        mp.set_start_method(sys.argv[1], force=True)
        print(json.dumps({"set_start_method": first, "with_force": mp.get_start_method()}))
"""


@case(
    "realworld.start_method_already_set",
    title="set_start_method() after a library looked at the method raises RuntimeError",
    source=["https://github.com/lncrawl/lightnovel-crawler/issues/2774",
            "https://github.com/djgroen/FabSim3/issues/201",
            DOCS + "#multiprocessing.set_start_method"],
    covers=[45, 52, 53],
    expect=[on(m, ok({"set_start_method": "RuntimeError: context has already been set",
                      "with_force": m})) for m in START_METHODS],
)
def start_method_already_set(ctx: Context) -> object:
    """Something calls get_start_method() (or creates a Queue, a Lock, a Pool) before the
    application calls set_start_method(). What broke: lightnovel-crawler crashed at start
    with "RuntimeError: context has already been set" on 3.13/3.14; FabSim3 hit it when a
    module had already touched multiprocessing. Why: get_start_method() with allow_none False
    fixes the global method, and set_start_method() then raises unless force=True. Fix: use
    get_context(method) in libraries; applications pass force=True or set the method first.

    Why it matters: a library that merely inspects the method breaks every application that
    sets one. Source: lightnovel-crawler#2774, FabSim3#201 (reports); docs, get_start_method()
    and set_start_method().
    """
    return run_json(ctx, _SET_TWICE_SCRIPT, mode="command")


def _str_hash() -> int:
    return hash("start-method-matrix")


@case(
    "realworld.str_hash_differs",
    title="hash() of a str in the child equals the parent's only under fork",
    source=["https://github.com/qdrant/quaterion/issues/16",
            "https://github.com/dask/dask/issues/6640",
            "https://docs.python.org/3/using/cmdline.html#envvar-PYTHONHASHSEED"],
    covers=[2, 8, 14],
    expect=[
        on("fork", ok({"same_as_parent": True, "children_agree": True})),
        on("spawn", ok({"same_as_parent": False, "children_agree": False}), impl="cpython"),
        on("forkserver", ok({"same_as_parent": False, "children_agree": True}),
           impl="cpython", inferred=True, note="both children are forked from one server"),
    ],
)
def str_hash_differs(ctx: Context) -> object:
    """Two children return hash() of the same string. What broke: quaterion's cache keys
    (hash of str) did not match in DataLoader workers on macOS; dask.bag groupby gave wrong
    groups after dask switched to spawn. Why: str hashes are salted with a random seed per
    interpreter (PYTHONHASHSEED); a fork child keeps the parent's seed, a spawn child draws its
    own, forkserver children share the server's. Fix: a stable digest (hashlib) or a fixed
    PYTHONHASHSEED in the environment before the workers start.

    Why it matters: partitioning or caching by hash() silently splits equal keys across
    processes. CPython only (PyPy does not salt str hashes). Source: quaterion#16, dask#6640
    (reports); command-line docs, PYTHONHASHSEED.
    """
    seed = os.environ.get("PYTHONHASHSEED")
    if seed not in (None, "random") and not sys.flags.ignore_environment:
        raise Unavailable("PYTHONHASHSEED=%s fixes the seed in every process" % seed)
    first = ctx.call_in_child(_str_hash)
    second = ctx.call_in_child(_str_hash)
    return {"same_as_parent": first == _str_hash(), "children_agree": first == second}


from cases import realworld_fork, realworld_workers  # noqa: E402,F401 - register the rest of the category
