"""What the parent has at ``start()`` and what the child has instead: the snapshot
``check_watch`` takes in the parent and the differences the child reports (runs inside the
interpreter under test; standard library only, Python 3.8 syntax).

Globals are compared for every module of the user's own (under their folders, outside the
standard library and site-packages) that the child has loaded: the target's module and any
other (``mylib.work.CONFIG`` read by a target in ``__main__``). Of a module imported while the
watch was on (``check_record.record_imports``), only the globals the parent changed after
importing it are compared: one its import makes differently in each process (a pid, a time) is
no finding. So is the main module's, recorded before its main block (``check_main``); one
without a main block is compared whole, as is the target's module when its import was not
recorded (imported before the watch, or by another import hook, as pytest imports test
modules); other modules without a record are not compared. A Pool's or ProcessPoolExecutor's
worker's target is multiprocessing's: the user's module its task functions come from is often
imported only when the first task is unpickled, and its initializer (the documented way to give
workers state) runs before its first task, so those workers compare globals once their first
task arrives (``after_first_task``). Only differences are reported, never values.
"""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING
from .check_digest import SIMPLE, digest, is_a
from .check_objects import (
    attributes,
    by_attributes,
    containers_differ,
    describe,
    library,
    resource,
    resources_differ,
)
from .check_reach import code_names, reads

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Set, Tuple

__all__ = ["after_first_task", "child_reads", "differences", "globals_differ", "mine", "record",
           "same", "snapshot", "user_modules"]

_CONTAINERS = (dict, list, tuple, set, frozenset)
_ENV_IGNORED = ("PYTEST_", "COLUMNS", "LINES")
#: The most globals compared per module (a generated module of constants is not the point).
_PER_MODULE = 500
#: The workers whose task functions arrive after start(): (module, function) -> the position of
#: the queue their tasks come from among the target's arguments.
_TASK_QUEUES = {("multiprocessing.pool", "worker"): 0,
                ("concurrent.futures.process", "_process_worker"): 0}


def user_modules(user_dir: str) -> List[Tuple[str, Any]]:
    """Modules under ``user_dir`` (folders joined by ``os.pathsep``: the working folder and
    the script's own), outside the standard library, site-packages and the harness's folder
    (by path: a user's ``harness_cfg`` is theirs)."""
    return [(name, module) for name, module in _modules()
            if mine(getattr(module, "__file__", None), user_dir)
            and not name.startswith(_OWN)]


def _modules() -> List[Tuple[str, Any]]:
    """``sys.modules``' items, the main script once, as ``__main__``, though ``__mp_main__``
    names it too (``check_main``; a spawn child's own alias)."""
    main = sys.modules.get("__main__")
    return [(name, module) for name, module in list(sys.modules.items())
            if name != "__mp_main__" or module is not main]


def _values(module: Any) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """A module's simple globals by value, and by digest its container globals and each
    attribute of its settings objects (``OPTS.workers``: ``check_objects``)."""
    simple: Dict[str, Any] = {}
    containers: Dict[str, str] = {}
    for key, value in list(vars(module).items())[:_PER_MODULE]:
        if key.startswith("__"):
            continue
        if is_a(value, SIMPLE):
            simple[key] = value
        elif is_a(value, _CONTAINERS):
            containers[key] = digest(value)
        elif by_attributes(value):
            containers.update(("%s.%s" % (key, a), d)
                              for a, d in (attributes(value) or {}).items())
    return simple, containers


#: The guest's own package as this run imports it (check_exec's alias, linked in a temporary
#: folder that a user's working folder may hold): never the user's.
_OWN = __name__.rpartition(".")[0] + "."
#: A user module's globals as its import left them, by module name
#: (``check_record.record_imports``).
IMPORTED: Dict[str, Tuple[Dict[str, Any], Dict[str, str]]] = {}


def record(module: Any) -> None:
    """``module``'s globals as its import left them (the main module's: as its top level left
    them, before its main block; ``check_main``)."""
    IMPORTED[module.__name__] = _values(module)


#: user_dir -> its folders: ``mine`` runs for every module at every start(), in every child
#: and on every import.
_FOLDERS: Dict[str, Tuple[str, ...]] = {}


def mine(path: Any, user_dir: str) -> bool:
    """``path`` is a file of the user's: under ``user_dir``, outside the standard library,
    site-packages and the harness's folder (by path: a user's ``harness_cfg`` is theirs)."""
    if user_dir not in _FOLDERS:
        _FOLDERS[user_dir] = tuple(os.path.join(d, "") for d in user_dir.split(os.pathsep) if d)
    path = os.path.abspath(path or "/")
    return path.startswith(_FOLDERS[user_dir]) and not library(path)


def _changed(name: str, module: Any, target: str) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """The globals of ``module`` compared in the child: those the parent changed since its
    import, or all of the target's own module when its import was not recorded."""
    if name not in IMPORTED:  # a main module without a main block (or a callable's script)
        return _values(module) if name in (target, "__main__") else ({}, {})
    simple, containers = _values(module)
    was_simple, was_containers = IMPORTED[name]
    missing = object()
    return ({k: v for k, v in simple.items() if not same(was_simple.get(k, missing), v)},
            {k: d for k, d in containers.items() if was_containers.get(k) != d})


def same(a: Any, b: Any) -> bool:
    """``a == b``, with two NaNs equal: ``MISSING = float("nan")`` is the same value in every
    process though NaN != NaN (containers compare by ``digest``'s text, where NaN is "nan")."""
    # NaN is the one float unequal to itself (``math`` is not imported for isnan).
    return bool(a == b) or (isinstance(a, float) and isinstance(b, float)
                            and a != a and b != b)  # noqa: PLR0124


def _main_name(name: str) -> str:
    return "__main__" if name == "__mp_main__" else name


def snapshot(module_name: str, user_dir: str, test: str) -> Dict[str, Any]:
    """What the parent has at start(): compared by the child before its target runs."""
    users = user_modules(user_dir)
    simple: Dict[str, Dict[str, Any]] = {}
    containers: Dict[str, Dict[str, str]] = {}
    objects: Dict[str, str] = {}  # "module:attr[.attr]" -> what it is
    resources: Dict[str, str] = {}  # "module:attr" -> a Queue's, a Lock's identity
    mock = sys.modules.get("unittest.mock")
    for name, mod in users:
        if _main_name(name) not in simple:  # __main__ and __mp_main__: one module
            simple[_main_name(name)], containers[_main_name(name)] = _changed(
                _main_name(name), mod, _main_name(module_name))
        for key, value in list(vars(mod).items()):
            if not key.startswith("__") and not is_a(value, SIMPLE + (type(sys),)):
                objects["%s:%s" % (name, key)] = describe(value)
                held = resource(value)
                if held:
                    resources["%s:%s" % (_main_name(name), key)] = held
            if mock is not None and is_a(value, type) and value.__module__ == name:
                for attr, inner in list(vars(value).items()):  # mock.patch.object(Class, ...)
                    if is_a(inner, mock.NonCallableMock):
                        objects["%s:%s.%s" % (name, key, attr)] = describe(inner)
    if mock is not None:  # mocks patched into any module, e.g. time.sleep
        for name, mod in _modules():
            try:
                for key, value in list(vars(mod).items()):
                    if is_a(value, mock.NonCallableMock):
                        objects["%s:%s" % (name, key)] = describe(value)
            except Exception:  # noqa: BLE001, S112 - an odd module object: nothing to compare
                continue
    logging = sys.modules.get("logging")
    # pytest's own capture handlers and its per-test variables are the harness of the tests,
    # not the program's configuration.
    handlers = [h for h in (logging.root.handlers if logging else ())
                if not type(h).__module__.startswith("_pytest")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_IGNORED)}
    return {"target_module": _main_name(module_name), "globals": simple,
            "containers": containers, "objects": objects, "resources": resources, "env": env,
            "cwd": os.getcwd(), "user_dir": user_dir,
            "sys_path": list(sys.path), "log_handlers": len(handlers), "test": test}


def _child_module(name: str) -> Any:
    return sys.modules.get(name) or (sys.modules.get("__mp_main__") if name == "__main__"
                                     else None)


def globals_differ(snap: Dict[str, Any], done: List[str]) -> List[str]:
    """The globals the child has with other values than the parent had at start(), of the
    modules the child has loaded and not yet compared (added to ``done``): the target's
    module's by their names (``MODE``), another's with its module (``mylib.work.CONFIG``).
    Names the child does not have (made by the main block) are not compared: reading one
    fails visibly (NameError); a name it has with another value fails silently."""
    found: List[str] = []
    target = snap.get("target_module", "")
    for name in sorted(set(snap["globals"]) | set(snap["containers"])):
        module = _child_module(name)
        if module is None or name in done:
            continue
        done.append(name)
        prefix = "" if name == target else name + "."
        found.extend(prefix + k for k, v in snap["globals"].get(name, {}).items()
                     if not same(getattr(module, k, v), v))
        found.extend(prefix + k for k in containers_differ(module, snap["containers"].get(
            name, {})))
    return _read(found, snap.get("user_dir", ""))


def _read(found: List[str], user_dir: str) -> List[str]:
    """Of ``found`` (``mod.NAME``, ``NAME.attr``, ``mod.NAME (Queue)``), those whose last name
    some code of the user's names: only those can be read in the child."""
    try:
        named = _named(user_dir) if found else set()
    except Exception:  # noqa: BLE001 - an odd class or code object: every name is kept
        return sorted(found)
    return sorted(n for n in found if n.partition(" ")[0].rpartition(".")[2] in named)


def _named(user_dir: str) -> Set[str]:
    """The names the user's functions and classes (of the modules this process has loaded)
    use, and their strings (``getattr(config, "MODE")``): a global none of them names is
    never read in a child, which does not run the main block (``START = time.time()`` set and
    used there). Not seen: a read by another module's top level, or by a name made at run
    time. Only functions, methods, properties and classes are looked into: never a user's
    object, whose ``__getattr__`` could act."""
    import types

    names: Set[str] = set()
    codes: List[Any] = []
    values: List[Any] = [v for _, m in user_modules(user_dir) for v in list(vars(m).values())]
    classes: Set[int] = set()
    while values:
        value = values.pop()
        kind = type(value)
        if issubclass(kind, type) and id(value) not in classes:
            classes.add(id(value))
            values.extend(list(vars(value).values()))
        elif kind in (staticmethod, classmethod, types.MethodType):
            values.append(value.__func__)
        elif kind is property:
            values.extend(f for f in (value.fget, value.fset, value.fdel) if f is not None)
        elif kind is types.FunctionType:
            codes.append(value.__code__)
            values.extend(v for v in (vars(value).get("__wrapped__"),) if v is not None)
        else:  # a cache or another wrapper (functools.lru_cache): the function it wraps only
            try:
                own = object.__getattribute__(value, "__dict__")
            except Exception:  # noqa: BLE001, S112 - no __dict__: nothing wrapped
                continue
            wrapped = own.get("__wrapped__") if type(own) is dict else None
            values.extend([wrapped] if type(wrapped) is types.FunctionType else [])
    seen: Set[int] = set()
    for code in codes:  # with their nested functions, lambdas and comprehensions
        names |= code_names(code, seen)
    return names


def differences(snap: Dict[str, Any], done: List[str], with_globals: bool = True,
                passed: Tuple[Any, ...] = ()) -> Dict[str, Any]:
    """What the child has otherwise than the parent had at start(); the globals only
    ``with_globals`` (a worker's are compared at its first task). ``passed``: the target and
    its arguments."""
    missing = object()
    out: Dict[str, Any] = {"globals_differ": globals_differ(snap, done) if with_globals else []}
    out["globals_read"] = child_reads(snap, out["globals_differ"], passed)
    objects = []
    for where, parent_desc in sorted(snap["objects"].items()):
        mod_name, _, path = where.partition(":")
        value: Any = _child_module(mod_name)
        for attr in path.split("."):
            value = getattr(value, attr, missing)
        if value is not missing:
            child_desc = describe(value)
            if child_desc != parent_desc:
                objects.append({"name": "%s.%s" % (mod_name, path), "parent": parent_desc,
                                "child": child_desc})
    # Marked when code of the user's names it: a global a run that failed may have read.
    read = set(_read([o["name"] for o in objects], snap["user_dir"]))
    out["objects_differ"] = [dict(o, read=o["name"] in read) for o in objects[:20]]
    out["resources_differ"] = _read(resources_differ(snap.get("resources", {}), passed,
                                                     _child_module), snap["user_dir"])[:20]
    out["env_differ"] = sorted(k for k in set(snap["env"]) | set(os.environ)
                               if not k.startswith(_ENV_IGNORED)
                               and snap["env"].get(k) != os.environ.get(k))[:20]
    out["cwd_differs"] = os.getcwd() != snap["cwd"]
    out["sys_path_missing"] = [p for p in snap["sys_path"] if p not in sys.path][:10]
    logging = sys.modules.get("logging")
    out["log_handlers_lost"] = snap["log_handlers"] > 0 and not (
        logging and logging.root.handlers)
    out["random"] = _random_states(snap["user_dir"])
    return out


def child_reads(snap: Dict[str, Any], found: List[str], roots: Any) -> List[str]:
    """Of ``found``, the globals the code this child runs (from ``roots``: its target, its
    arguments, a worker's first task) names (``check_reach``)."""
    return reads(found, roots, lambda path: mine(path, snap.get("user_dir", "")))


def _random_states(user_dir: str) -> Dict[str, int]:
    """A digest of each random generator the user's modules hold (equal = same draws). Not
    ``hash(getstate())``: its ``None`` (no gauss() drawn yet) hashes by address before 3.12,
    so equal states differed between spawn children."""
    import random

    states: Dict[str, int] = {}
    for name, module in user_modules(user_dir):
        for key, value in list(vars(module).items()):
            if is_a(value, random.Random) and not key.startswith("__"):
                try:  # (version, 625 ints, gauss_next): by numbers only, equal in any process
                    version, numbers, gauss = value.getstate()
                    states["%s.%s" % (_main_name(name), key)] = hash(
                        (version, tuple(numbers), gauss if isinstance(gauss, float) else -1.0))
                except Exception:  # noqa: BLE001, S112 - SystemRandom, an own getstate(): none
                    continue
    return states


def after_first_task(target: Any, args: Tuple[Any, ...], then: Callable[[Any], None]) -> bool:
    """When ``target`` is a Pool's or ProcessPoolExecutor's worker: ``then(task)`` runs once, right
    after its first task is taken from its queue (after the worker's initializer; unpickled:
    the task function's module is imported), before the task runs; True. Anything else, or a
    queue that cannot be hooked: nothing; False."""
    import types

    # Only a function's names: another callable's ``__getattr__`` (the user's) is never run.
    if type(target) is not types.FunctionType:
        return False
    at = _TASK_QUEUES.get((target.__module__, target.__name__))
    if at is None or len(args) <= at:
        return False
    queue = args[at]
    original = queue.get
    pending = [True]

    def get(*a: Any, **k: Any) -> Any:
        item = original(*a, **k)
        if pending:
            pending.pop()
            try:
                then(item)
            except Exception:  # noqa: BLE001, S110 - observing must never break the worker
                pass
        return item

    try:
        queue.get = get  # the worker looks it up on the instance (pool.py binds it once)
    except Exception:  # noqa: BLE001 - a queue without a __dict__: compared at start only
        return False
    return True
