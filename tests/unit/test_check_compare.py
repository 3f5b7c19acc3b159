"""What a child compares with its parent's snapshot (``harness.guest.check_compare``): the
globals of every module of the user's, not only the target's, and of a Pool's or executor's
worker again once its first task has arrived."""

from __future__ import annotations

import json
import sys
import types
from typing import Any, Dict, List

from harness.guest import check_compare, check_objects, check_record


def _module(monkeypatch: Any, name: str, path: str, **values: Any) -> Any:
    """A module of ``values``, each read by a function of it as a child's target would (Any:
    its attributes are the test's own)."""
    module = types.ModuleType(name)
    module.__file__ = path
    vars(module).update(values)
    exec("def read():\n    return [%s]\n" % ", ".join(values), vars(module))  # noqa: S102
    monkeypatch.setitem(sys.modules, name, module)
    return module


def _record(monkeypatch: Any, tmp_path: Any) -> None:
    """The watch's record of imports on, for this test only."""
    bootstrap = sys.modules["_frozen_importlib"]
    for name in ("_load_unlocked", "_exec"):  # put back as they are when the test ends
        monkeypatch.setattr(bootstrap, name, getattr(bootstrap, name))
    check_record.record_imports(str(tmp_path))


def _import(monkeypatch: Any, tmp_path: Any, name: str, source: str) -> Any:
    """``name`` imported from ``tmp_path`` while the watch's record of imports is on (Any: its
    attributes are those ``source`` defines)."""
    import importlib

    (tmp_path / (name + ".py")).write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    _record(monkeypatch, tmp_path)
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module(name)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def test_globals_of_every_user_module_are_compared(tmp_path: Any, monkeypatch: Any) -> None:
    """The target's module's changed global by its name, another user module's (changed after
    its import) with its module; an equal one, and a standard library module's global, are
    not reported."""
    main = _module(monkeypatch, "u_main", str(tmp_path / "u_main.py"), MODE="set", SAME=1)
    lib = _import(monkeypatch, tmp_path, "u_lib", "CONFIG = {'scale': 1}\nKEPT = [1, 2]\n"
                  "def scaled(x):\n    return x * CONFIG['scale']\n")
    lib.CONFIG["scale"] = 10  # configure(10) after import
    snap = check_compare.snapshot("u_main", str(tmp_path), "")
    assert "json" not in snap["globals"]  # the standard library is not the user's
    main.MODE, lib.CONFIG = "default", {"scale": 1}  # what a spawn child imports afresh
    done: List[str] = []
    assert check_compare.globals_differ(snap, done) == ["MODE", "u_lib.CONFIG"]
    assert check_compare.globals_differ(snap, done) == []  # each module once
    json.dumps(snap)  # it travels to the child as the Process's argument


def test_a_global_its_import_makes_differently_is_not_a_finding(
        tmp_path: Any, monkeypatch: Any) -> None:
    """A pid or a time taken at import differs in every spawn child without the parent having
    changed anything: not reported. A module imported before the watch (no record) is not
    compared unless it is the target's."""
    lib = _import(monkeypatch, tmp_path, "u_pid", "import os\nPID = os.getpid()\n")
    old = _module(monkeypatch, "u_old", str(tmp_path / "u_old.py"), CONFIG=10)
    snap = check_compare.snapshot("__main__", str(tmp_path), "")
    as_target = check_compare.snapshot("u_old", str(tmp_path), "")
    lib.PID, old.CONFIG = -1, 1  # as a child's own imports make them
    assert check_compare.globals_differ(snap, []) == []
    assert check_compare.globals_differ(as_target, []) == ["CONFIG"]


def test_the_main_script_is_one_module_under_its_two_names(tmp_path: Any,
                                                          monkeypatch: Any) -> None:
    """``__main__`` and ``__mp_main__`` name the script while check runs it: a function
    patched in it is one replaced object, not two."""
    from unittest import mock

    main = _module(monkeypatch, "__main__", str(tmp_path / "prog.py"), helper=mock.Mock())
    monkeypatch.setitem(sys.modules, "__mp_main__", main)
    objects = check_compare.snapshot("__main__", str(tmp_path), "")["objects"]
    assert [k for k in objects if k.endswith(":helper")] == ["__main__:helper"]


#: A module whose globals are read by every kind of code a child runs, but START: set and
#: read only by the main block (review r1), which a child does not run.
READERS = """import functools
START = None
NESTED = METHOD = PROPERTY = STATIC = TEXT = WRAPPED = 0
def outer():
    def inner():
        return [NESTED for _ in range(1)]
    return inner
class Job:
    def run(self):
        return METHOD
    @property
    def value(self):
        return PROPERTY
    @staticmethod
    def static():
        return STATIC, getattr(Job, "TEXT")
def wraps(function):
    @functools.wraps(function)
    def wrapper():
        return function()
    return wrapper
@wraps
def wrapped():
    return WRAPPED
"""


def test_a_global_no_code_of_the_users_names_is_not_a_finding(
        tmp_path: Any, monkeypatch: Any) -> None:
    """A global no function, method or class of the user's names (``START = time.time()``
    set and used in the main block) has another value in a spawn child, but no child reads
    it: no finding. One read by a nested function, a method, a property, a static method, by
    its name as text, or by a decorated function still is."""
    module = _import(monkeypatch, tmp_path, "u_readers", READERS)
    read = ["NESTED", "METHOD", "PROPERTY", "STATIC", "TEXT", "WRAPPED"]
    for name in read + ["START"]:
        setattr(module, name, 1)  # the parent's main block
    snap = check_compare.snapshot("__main__", str(tmp_path), "")
    for name in read + ["START"]:
        setattr(module, name, 0)  # a spawn child's own import
    assert check_compare.globals_differ(snap, []) == sorted("u_readers." + n for n in read)


def test_a_module_the_child_has_not_loaded_is_compared_once_it_is(
        tmp_path: Any, monkeypatch: Any) -> None:
    """A Pool worker's module of its tasks arrives with its first task: not compared before,
    compared after."""
    late = _import(monkeypatch, tmp_path, "u_late", "CONFIG = 1\n")
    late.CONFIG = 10
    snap = check_compare.snapshot("multiprocessing.pool", str(tmp_path), "")
    monkeypatch.delitem(sys.modules, "u_late")
    done: List[str] = []
    assert check_compare.globals_differ(snap, done) == []
    _module(monkeypatch, "u_late", str(tmp_path / "u_late.py"), CONFIG=1)
    assert check_compare.globals_differ(snap, done) == ["u_late.CONFIG"]


def test_the_import_record_leaves_the_import_system_as_it_is(tmp_path: Any,
                                                              monkeypatch: Any) -> None:
    """No finder or path hook of the record's, no loader changed, installed once: a user's
    module imported (and reloaded) through the import system's own loaders is recorded."""
    import importlib
    import inspect

    finders, hooks = list(sys.meta_path), list(sys.path_hooks)
    plain = sys.modules["_frozen_importlib"]._load_unlocked
    _record(monkeypatch, tmp_path)
    load = sys.modules["_frozen_importlib"]._load_unlocked
    check_record.record_imports(str(tmp_path))  # the watch of a second run: not again
    assert sys.modules["_frozen_importlib"]._load_unlocked is load
    # as a program that looks at it sees it without check (review r4: __module__ None, the
    # signature (spec, *module), the code named "recorded")
    assert (load.__name__, load.__module__, load.__code__.co_name, load.__doc__) == (
        plain.__name__, plain.__module__, plain.__code__.co_name, plain.__doc__)
    assert inspect.signature(load) == inspect.signature(plain)
    assert (sys.meta_path, sys.path_hooks) == (finders, hooks)
    (tmp_path / "u_rec.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module: Any = importlib.import_module("u_rec")  # X is the source's
    monkeypatch.setitem(sys.modules, "u_rec", module)
    assert check_compare.IMPORTED.pop("u_rec") == ({"X": 1}, {})
    assert "exec_module" not in vars(module.__spec__.loader)
    module.X = 2
    importlib.reload(module)
    assert check_compare.IMPORTED.pop("u_rec") == ({"X": 1}, {})


def test_a_module_another_hook_loads_is_not_recorded(tmp_path: Any, monkeypatch: Any) -> None:
    """A finder first on sys.meta_path with its own loader (pytest's, for test modules): its
    modules are not recorded, and the record never asks it anything."""
    import importlib.machinery

    asked: List[str] = []

    class Hook:
        @staticmethod
        def find_spec(name: str, path: Any = None, target: Any = None) -> Any:
            asked.append(name)
            # A class of static methods is its own loader, as importlib's are (not a Loader).
            return importlib.machinery.ModuleSpec(
                name, Hook, origin=str(tmp_path / "a.py"),  # type: ignore[arg-type]
            ) if name == "u_hooked" else None

        @staticmethod
        def create_module(spec: Any) -> None:
            return None

        @staticmethod
        def exec_module(module: Any) -> None:
            module.X = 1

    _record(monkeypatch, tmp_path)
    monkeypatch.setattr(sys, "meta_path", [Hook, *sys.meta_path])
    monkeypatch.delitem(sys.modules, "u_hooked", raising=False)
    assert importlib.import_module("u_hooked").X == 1
    monkeypatch.delitem(sys.modules, "u_hooked")
    assert asked == ["u_hooked"]
    assert "u_hooked" not in check_compare.IMPORTED


def test_the_guests_own_modules_are_never_the_users(tmp_path: Any, monkeypatch: Any) -> None:
    """check's guest package, linked in a temporary folder a user's working folder (``/tmp``)
    may hold, is not the user's: its per-test variables would read as globals that differ."""
    own = check_compare.__name__.rpartition(".")[0]
    _module(monkeypatch, own + ".u_fake", str(tmp_path / "u_fake.py"))
    _module(monkeypatch, "u_theirs", str(tmp_path / "u_theirs.py"))
    assert [n for n, _ in check_compare.user_modules(str(tmp_path))] == ["u_theirs"]


class _Queue:
    def __init__(self) -> None:
        self.items: List[Any] = ["task 1", "task 2"]

    def get(self, block: bool = True) -> Any:
        return self.items.pop(0)


def test_a_pool_worker_compares_again_after_its_first_task_only() -> None:
    """pool.py binds ``inqueue.get`` once; concurrent.futures calls ``call_queue.get`` each
    time: either way the hook runs once, after the first task is taken, and hands it on."""
    import multiprocessing.pool
    from concurrent.futures import process

    # pool.worker is undocumented: typeshed leaves it out.
    for worker in (multiprocessing.pool.worker, process._process_worker):  # type: ignore[attr-defined]
        calls: List[str] = []
        queue = _Queue()
        check_compare.after_first_task(worker, (queue, None), calls.append)
        get = queue.get
        assert [get(), queue.get(block=True)] == ["task 1", "task 2"]
        assert calls == ["task 1"]  # the first task, whose functions the worker runs


def test_other_targets_are_left_alone() -> None:
    queue = _Queue()
    check_compare.after_first_task(print, (queue,), lambda task: None)
    assert "get" not in vars(queue)


def test_a_nan_global_is_the_same_value_in_parent_and_child(
        tmp_path: Any, monkeypatch: Any) -> None:
    """NaN != NaN, yet ``MISSING = float("nan")`` is the same value in every process: neither
    "changed after import" nor different in the child; another value still differs."""
    lib = _import(monkeypatch, tmp_path, "u_nan", "MISSING = float('nan')\nLIMIT = 1.5\n")
    main = _module(monkeypatch, "u_nmain", str(tmp_path / "u_nmain.py"), GAP=float("nan"))
    snap = check_compare.snapshot("u_nmain", str(tmp_path), "")
    assert snap["globals"]["u_nan"] == {}  # nothing changed after its import
    lib.MISSING, main.GAP = float("nan"), float("nan")  # a child's own NaN objects
    assert check_compare.globals_differ(snap, []) == []
    main.GAP = 0.0
    assert check_compare.globals_differ(snap, []) == ["GAP"]


class _Out:
    def __init__(self) -> None:
        self.items: List[Any] = []

    def put(self, item: Any) -> None:
        self.items.append(item)


def test_a_pool_workers_globals_are_compared_after_its_initializer(
        tmp_path: Any, monkeypatch: Any) -> None:
    """The documented fix, ``Pool(initializer=configure, initargs=(3,))``, sets in each worker
    what the parent set with ``configure(3)``: no finding. A worker whose initializer sets
    nothing still reports the global."""
    import multiprocessing.pool

    from harness.guest import check_watch

    settings = _import(monkeypatch, tmp_path, "u_settings",
                       "FACTOR = 1\ndef factor():\n    return FACTOR\n")
    settings.FACTOR = 3  # the parent's configure(3)
    snap = check_compare.snapshot("multiprocessing.pool", str(tmp_path), "")

    def configure(factor: int) -> None:
        settings.FACTOR = factor

    for initializer, expected in ((configure, []), (None, ["u_settings.FACTOR"])):
        settings.FACTOR = 1  # what a spawn worker's own import makes
        queue, out, report_dir = _Queue(), _Out(), tmp_path / str(expected)
        queue.items = [(0, 0, len, ("ab",), {}), None]
        report_dir.mkdir()
        check_watch._child_wrapper(str(report_dir),
                                   multiprocessing.pool.worker,  # type: ignore[attr-defined]  # typeshed lacks it
                                   snap,
                                   (queue, out, initializer, (3,)), {})
        report = json.loads(next(report_dir.glob("child-*.json")).read_text())
        assert out.items == [(0, 0, (True, 2))]
        assert report["globals_differ"] == expected


GENERATOR = """
import json, random, sys, types
sys.path.insert(0, sys.argv[1])
from harness.guest import check_compare
module = types.ModuleType("u_rng")
module.__file__ = sys.argv[2] + "/u_rng.py"
module.RNG = random.Random(1234)
sys.modules["u_rng"] = module
print(json.dumps(check_compare._random_states(sys.argv[2])))
"""


def test_a_generators_state_digest_is_equal_in_fresh_processes(tmp_path: Any) -> None:
    """Two processes that each build ``random.Random(1234)`` (spawn children) get one digest:
    ``hash(getstate())`` hashed its ``None`` by address before 3.12 (python/cpython#99540)."""
    import subprocess
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    digests = [json.loads(subprocess.run(
        [sys.executable, "-c", GENERATOR, root, str(tmp_path)], capture_output=True,
        text=True, check=True).stdout) for _ in range(2)]
    assert digests[0] == digests[1] and list(digests[0]) == ["u_rng.RNG"]


def test_the_wrapper_never_shadows_what_it_calls() -> None:
    """The wrapper's inner function takes the wrapped function's name: named `load` or `then`
    it shadowed its own closure and recursed (review r6)."""
    calls: List[Any] = []

    def then(spec: Any, loaded: Any) -> None:
        calls.append(loaded)

    for name in ("load", "then", "_load_unlocked"):
        def original(spec: Any, *module: Any) -> Any:
            return ("loaded", spec)
        original.__name__ = original.__qualname__ = name
        wrapped = check_record._recording(original, then)
        assert wrapped("s") == ("loaded", "s") and calls.pop() == ("loaded", "s"), name
        assert wrapped.__name__ == name


#: Settings objects the main block fills (review r10): a parsed argparse Namespace rebound, an
#: object of the user's class and a SimpleNamespace given new attribute values, a None global
#: given a Namespace. ``OTHER``, an object of a library's class, is not the user's: not read
#: through its attributes.
OBJECTS = """import argparse, json, types
class Settings:
    def __init__(self):
        self.threshold, self.dry_run = 10, False
SETTINGS = Settings()
OPTS = argparse.Namespace(threshold=10)
NS = types.SimpleNamespace(workers=2)
ARGS = None
OTHER = json.JSONDecoder()
def keep(x):
    return x >= SETTINGS.threshold + OPTS.threshold + NS.workers + ARGS.jobs + SETTINGS.dry_run
def other():
    return OTHER.strict
"""


def test_a_settings_objects_attributes_set_after_import_are_named(
        tmp_path: Any, monkeypatch: Any) -> None:
    """The commonest global set in the main block: each attribute some code of the user's
    reads and the parent changed is named (``SETTINGS.threshold``); a global that is another
    object in the child (None where the parent has a Namespace) by its own name. An attribute
    no code names (added by the main block) is not."""
    import argparse

    lib = _import(monkeypatch, tmp_path, "u_objects", OBJECTS)
    lib.SETTINGS.threshold, lib.SETTINGS.note = 5, "set by the main block, read by no code"
    lib.OPTS = argparse.Namespace(threshold=3)  # OPTS = ap.parse_args()
    lib.NS.workers = 4
    lib.ARGS = argparse.Namespace(jobs=2)
    lib.OTHER.strict = False
    snap = check_compare.snapshot("__main__", str(tmp_path), "")
    json.dumps(snap)
    fresh: Dict[str, Any] = {}  # what a spawn child's own import makes
    exec(compile(OBJECTS, "u_objects.py", "exec"), fresh)  # noqa: S102 - the test's own text
    for name in ("SETTINGS", "OPTS", "NS", "ARGS", "OTHER"):
        setattr(lib, name, fresh[name])
    assert check_compare.globals_differ(snap, []) == [
        "u_objects.ARGS", "u_objects.NS.workers", "u_objects.OPTS.threshold",
        "u_objects.SETTINGS.threshold"]


def test_an_objects_attributes_are_compared_cheaply() -> None:
    """An object of too many attributes is not compared; one too big to compare leaves only
    that attribute out."""
    big = types.SimpleNamespace(**{"a%d" % i: i for i in range(2000)})
    assert check_objects.attributes(big) == {}
    mixed = types.SimpleNamespace(small=1, huge="x" * 10 ** 6)
    assert check_objects.attributes(mixed) == {"small": "1", "huge": ""}
    assert check_objects.attributes(None) is None


def test_a_multiprocessing_object_in_a_global_is_named_when_the_child_has_its_own(
        tmp_path: Any, monkeypatch: Any) -> None:
    """``RESULTS = multiprocessing.Queue()`` at a module's top level, used by the children as a
    global (review r10): a spawn child's import makes its own queue, which the parent never
    reads. Named by the semaphore that identifies it in every process; the parent's own
    objects (a fork child's) are no finding, nor is a global no code of the user's names, nor
    one the parent passed to the child (its argument, or in a Pool's initargs)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # spawn's objects are named in every process
    lib = _module(monkeypatch, "u_res", str(tmp_path / "u_res.py"), RESULTS=ctx.Queue(),
                  DONE=ctx.Event(), COUNT=ctx.Value("i", 0))
    lib.UNREAD = ctx.Lock()
    snap = check_compare.snapshot("__main__", str(tmp_path), "")
    json.dumps(snap)
    assert check_compare.differences(snap, [])["resources_differ"] == []  # a fork child's
    passed = lib.RESULTS
    lib.RESULTS, lib.DONE, lib.UNREAD = ctx.Queue(), ctx.Event(), ctx.Lock()  # a spawn child's
    assert check_compare.differences(snap, [])["resources_differ"] == [
        "u_res.DONE (Event)", "u_res.RESULTS (Queue)"]
    assert check_compare.differences(snap, [], passed=(None, (passed,)))[
        "resources_differ"] == ["u_res.DONE (Event)"]
