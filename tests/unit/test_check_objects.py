"""The module globals that are objects (``harness.guest.check_objects``): read without acting
on the user's code (review r12 F1), and a multiprocessing object the parent passed to the
child, however deep in what it passed, is not one the child has its own of (review r12 F0)."""

from __future__ import annotations

import functools
import multiprocessing
import sys
import types
from typing import Any, ClassVar, Dict, List

from harness.guest import check_compare, check_objects


class SlotsConfig:
    """r12's /tmp/r12/slots_cfg.py: ``__slots__``, and a ``__getattr__`` that reads a dict (a
    KeyError, not an AttributeError, for a name it lacks: ``vars()`` asked it for
    ``__dict__``)."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data = {"n": 2}

    def __getattr__(self, key: str) -> Any:
        return self._data[key]


class Nowhere:
    """A class whose ``__module__`` is None (made at run time, e.g. by a code generator)."""


Nowhere.__module__ = None  # type: ignore[assignment]


def _module(monkeypatch: Any, path: str, **values: Any) -> Any:
    module = types.ModuleType("u_objects_r12")
    module.__file__ = path
    vars(module).update(values)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


def test_an_object_whose_getattr_raises_is_not_compared(tmp_path: Any,
                                                        monkeypatch: Any) -> None:
    """Its attributes are not read through its ``__getattr__`` (old: KeyError '__dict__' out
    of ``vars()``, under every method, in a program that works); the module is recorded and
    snapshotted, the object left out of the comparison."""
    config = SlotsConfig()
    monkeypatch.setattr(SlotsConfig, "__module__", "u_objects_r12")
    assert check_objects.attributes(config) is None
    module = _module(monkeypatch, str(tmp_path / "u_objects_r12.py"), CONFIG=config, MODE=1)
    monkeypatch.setattr(check_compare, "IMPORTED", {})
    check_compare.record(module)
    assert check_compare.IMPORTED["u_objects_r12"] == ({"MODE": 1}, {})
    snap = check_compare.snapshot("u_objects_r12", str(tmp_path), "")
    assert snap["containers"]["u_objects_r12"] == {}


def test_a_class_without_a_module_is_no_resource(tmp_path: Any, monkeypatch: Any) -> None:
    """Old: AttributeError ('NoneType' has no 'startswith') in every snapshot."""
    assert check_objects.resource(Nowhere()) is None
    _module(monkeypatch, str(tmp_path / "u_objects_r12.py"), THING=Nowhere())
    assert check_compare.snapshot("u_objects_r12", str(tmp_path), "")["resources"] == {}


class Worker:
    """A Process subclass's instance as the child has it: the parent's queue in ``self.q``."""

    def __init__(self, **fields: Any) -> None:
        vars(self).update(fields)

    def run(self) -> None:
        """What a target bound to the object is."""


def test_a_resource_passed_inside_an_argument_is_the_parents() -> None:
    """r12's sub_q3.py: ``Worker(RESULTS)`` keeps the queue as ``self.q``, and the watched
    child's argument is the process object itself; a Queue in a list, in a dict, in an
    object an argument holds, in a bound target's object: all passed. A parent's global the
    child did not get, or got too deep to look (4 levels below an argument), is its own."""
    ctx = multiprocessing.get_context("spawn")
    queue, lock, event, deep = ctx.Queue(), ctx.Lock(), ctx.Event(), ctx.Lock()
    resources: Dict[str, str] = {
        "__main__:%s" % name: check_objects.resource(value) or ""
        for name, value in (("RESULTS", queue), ("LOCK", lock), ("DONE", event),
                            ("DEEP", deep))}
    own = types.SimpleNamespace(RESULTS=ctx.Queue(), LOCK=ctx.Lock(), DONE=ctx.Event(),
                                DEEP=ctx.Lock())  # what a spawn child's import makes

    def differ(*passed: Any) -> Any:
        return check_objects.resources_differ(resources, passed, lambda name: own)

    everything = ["__main__.DEEP (Lock)", "__main__.DONE (Event)", "__main__.LOCK (Lock)",
                  "__main__.RESULTS (Queue)"]
    assert differ() == everything
    assert differ(Worker(q=queue)) == everything[:3]
    assert differ([lock], {"done": event}) == everything[:1] + everything[3:]
    assert differ(Worker(config=Worker(queue=queue, locks=[lock]))) == everything[:2]
    assert differ(Worker(a=Worker(b=Worker(c=[deep])))) == everything  # too deep
    assert differ(Worker(q=queue).run) == everything[:3]
    assert differ(None, (queue,)) == everything[:3]  # a Pool's initargs


def _work(results: Any, done: Any) -> None:
    """A target a partial binds its arguments to."""


def test_a_resource_bound_in_a_partial_is_the_parents() -> None:
    """``Process(target=partial(work, RESULTS))``, ``partial(work, done=DONE)``: the queue and
    the event are passed (old: a partial was read by its own ``__dict__``, empty, and both
    were named as objects the spawn child has its own of)."""
    ctx = multiprocessing.get_context("spawn")
    queue, event = ctx.Queue(), ctx.Event()
    resources = {"__main__:RESULTS": check_objects.resource(queue) or "",
                 "__main__:DONE": check_objects.resource(event) or ""}
    own = types.SimpleNamespace(RESULTS=ctx.Queue(), DONE=ctx.Event())
    passed = (functools.partial(_work, queue, done=event),)
    assert check_objects.resources_differ(resources, (), lambda name: own) == [
        "__main__.DONE (Event)", "__main__.RESULTS (Queue)"]
    assert check_objects.resources_differ(resources, passed, lambda name: own) == []


def test_an_object_global_the_child_has_as_none_is_named_none_and_marked_read(
        tmp_path: Any, monkeypatch: Any) -> None:
    """review r13 (sqlite_global.py): ``DB = None`` at module level, a connection in the main
    block: the child's None reads "None" (was "?.NoneType"), and the difference is marked read
    when a function of the user's names the global (``enrich`` uses ``DB``), not otherwise."""
    assert check_objects.describe(None) == "None"
    module = _module(monkeypatch, str(tmp_path / "u_objects_r12.py"))
    exec("def enrich(sku):\n    return DB.execute(sku)\n", vars(module))  # noqa: S102
    module.DB, module.UNUSED = SlotsConfig(), SlotsConfig()
    monkeypatch.setattr(SlotsConfig, "__module__", "u_objects_r12")
    snap = check_compare.snapshot("u_objects_r12", str(tmp_path), "")
    module.DB = module.UNUSED = None
    found = check_compare.differences(snap, [], with_globals=False)["objects_differ"]
    assert found == [
        {"name": "u_objects_r12.DB", "parent": "u_objects_r12.SlotsConfig", "child": "None",
         "read": True},
        {"name": "u_objects_r12.UNUSED", "parent": "u_objects_r12.SlotsConfig",
         "child": "None", "read": False}]


class LazyProxy:
    """Django's LazySettings' shape: any lookup of its own, ``__class__`` included, loads the
    settings (here: raises, as an unconfigured project's do)."""

    looked_up: ClassVar[List[str]] = []

    def __getattribute__(self, name: str) -> Any:
        LazyProxy.looked_up.append(name)
        raise RuntimeError("settings are not configured")


def test_checks_bookkeeping_never_asks_a_proxy_anything(tmp_path: Any,
                                                        monkeypatch: Any) -> None:
    """isinstance() asks an object that is not of the class for its ``__class__``: a lazy
    settings proxy ran its loading, or raised, inside check's record, snapshot and descriptions
    (review r15). Every check is by the object's own type."""
    from harness.guest import check_digest

    LazyProxy.looked_up.clear()
    proxy = LazyProxy()
    monkeypatch.setattr(LazyProxy, "__module__", "u_objects_r15")
    module = _module(monkeypatch, str(tmp_path / "u_objects_r15.py"), settings=proxy, MODE=1)
    monkeypatch.setattr(check_compare, "IMPORTED", {})
    check_compare.record(module)
    check_compare.snapshot("u_objects_r15", str(tmp_path), "")
    assert check_objects.describe(proxy) == "u_objects_r15.LazyProxy"
    assert check_objects.by_attributes(proxy) in (True, False)
    assert check_objects.resource(proxy) is None
    check_digest.digest({"s": proxy})
    assert LazyProxy.looked_up == []


def test_a_global_read_only_through_a_cached_function_is_named(tmp_path: Any,
                                                               monkeypatch: Any) -> None:
    """``@functools.lru_cache`` makes a wrapper object, not a function: the global only the
    cached function reads (SCALE, set in the main block) was taken as read by no code of the
    user's and dropped, so the run said nothing (review r15)."""
    import functools

    source = "SCALE = 1\n\ndef factor():\n    return SCALE\n"
    code: Dict[str, Any] = {}
    exec(compile(source, str(tmp_path / "u_cached_r15.py"), "exec"), code)  # noqa: S102
    module = _module(monkeypatch, str(tmp_path / "u_cached_r15.py"), SCALE=10,
                     factor=functools.lru_cache(maxsize=None)(code["factor"]))
    assert check_compare._read(["SCALE"], str(tmp_path)) == ["SCALE"], module
