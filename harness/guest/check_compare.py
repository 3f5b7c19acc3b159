"""What the parent has at ``start()`` and what the child has instead: the snapshot
``check_watch`` takes in the parent and the differences the child reports (runs inside the
interpreter under test; standard library only, Python 3.8 syntax).

Globals are compared for every module of the user's own (under their folders, outside the
standard library and site-packages) that the child has loaded: the target's module and any
other (``mylib.work.CONFIG`` read by a target in ``__main__``). Of a module imported while the
watch was on (``ImportRecord``), only the globals the parent changed after importing it are
compared: one its import makes differently in each process (a pid, a time) is no finding. So
is the main module's, recorded before its main block (``check_main``); one without a main block
is compared whole, as is the target's module when its import was not recorded (imported
before the watch, or by another import hook, as pytest imports test modules); other modules
without a record are not compared. A Pool's or
ProcessPoolExecutor's worker's target is multiprocessing's: the user's module its task
functions come from is often imported only when the first task is unpickled, and its
initializer (the documented way to give workers state) runs before its first task, so those
workers compare globals once their first task arrives (``after_first_task``). Only differences
are reported, never values.
"""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING
from .check_digest import SIMPLE, digest
from .check_frames import HARNESS

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Tuple

__all__ = ["ImportRecord", "after_first_task", "describe", "differences", "globals_differ",
           "record", "same", "snapshot", "user_modules"]

_CONTAINERS = (dict, list, tuple, set, frozenset)
_ENV_IGNORED = ("PYTEST_", "COLUMNS", "LINES")
#: The most globals compared per module (a generated module of constants is not the point).
_PER_MODULE = 500
#: The workers whose task functions arrive after start(): (module, function) -> the position of
#: the queue their tasks come from among the target's arguments.
_TASK_QUEUES = {("multiprocessing.pool", "worker"): 0,
                ("concurrent.futures.process", "_process_worker"): 0}


def describe(value: Any) -> str:
    mock = sys.modules.get("unittest.mock")
    if mock is not None and isinstance(value, mock.NonCallableMock):
        return "mock %s" % type(value).__name__
    module = getattr(value, "__module__", "?")
    return "%s.%s" % ("__main__" if module == "__mp_main__" else module,
                      getattr(value, "__qualname__", type(value).__name__))


def user_modules(user_dir: str) -> List[Tuple[str, Any]]:
    """Modules under ``user_dir`` (folders joined by ``os.pathsep``: the working folder and
    the script's own), outside the standard library, site-packages and the harness's folder
    (by path: a user's ``harness_cfg`` is theirs)."""
    return [(name, module) for name, module in list(sys.modules.items())
            if _mine(getattr(module, "__file__", None), user_dir)
            and not name.startswith(_OWN)]


def _values(module: Any) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """A module's simple globals by value and its container globals by digest."""
    simple: Dict[str, Any] = {}
    containers: Dict[str, str] = {}
    for key, value in list(vars(module).items())[:_PER_MODULE]:
        if key.startswith("__"):
            continue
        if isinstance(value, SIMPLE):
            simple[key] = value
        elif isinstance(value, _CONTAINERS):
            containers[key] = digest(value)
    return simple, containers


#: The guest's own package as this run imports it (check_exec's alias, linked in a temporary
#: folder that a user's working folder may hold): never the user's.
_OWN = __name__.rpartition(".")[0] + "."
#: A user module's globals as its import left them, by module name (``ImportRecord``).
IMPORTED: Dict[str, Tuple[Dict[str, Any], Dict[str, str]]] = {}


class ImportRecord:
    """A meta path finder put first on ``sys.meta_path``: it asks the finders after it, and the
    loader of a module of the user's records its globals once the module has run
    (``IMPORTED``). A finder it cannot ask on the user's behalf (no ``find_spec``) ends its
    search: the import goes on without it."""

    def __init__(self, user_dir: str) -> None:
        self.user_dir = user_dir
        self.busy = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if self.busy:  # an import made while finding: the finders after this one do it
            return None
        self.busy = True
        try:
            spec = None
            # Those after it: the import system asked those before it (pytest's hook) already.
            after = [i for i, f in enumerate(sys.meta_path) if f is self][:1]
            for finder in sys.meta_path[after[0] + 1 if after else 0:]:
                find = getattr(finder, "find_spec", None)
                if find is None:
                    return None
                spec = find(name, path, target)
                if spec is not None:
                    break
        finally:
            self.busy = False
        loader: Any = getattr(spec, "loader", None)
        if spec is not None and _mine(getattr(spec, "origin", None), self.user_dir) and \
                hasattr(loader, "exec_module"):
            # FileFinder makes a loader for each module: its own exec_module is wrapped (once:
            # a zipimporter serves a whole archive).
            try:
                if not hasattr(loader.exec_module, _RECORDS):
                    loader.exec_module = _recording(loader.exec_module)
            except Exception:  # noqa: BLE001, S110 - a loader without a __dict__: no record
                pass
        return spec


_RECORDS = "_check_records"  # marks a wrapped exec_module


def record(module: Any) -> None:
    """``module``'s globals as its import left them (the main module's: as its top level left
    them, before its main block; ``check_main``)."""
    IMPORTED[module.__name__] = _values(module)


def _recording(exec_module: Any) -> Any:
    def recorded(module: Any) -> None:
        exec_module(module)
        record(module)
    setattr(recorded, _RECORDS, True)
    return recorded


#: user_dir -> (its folders, the standard library's folder): ``_mine`` runs for every module
#: at every start(), in every child and on every import.
_FOLDERS: Dict[str, Tuple[Tuple[str, ...], str]] = {}


def _mine(path: Any, user_dir: str) -> bool:
    """``path`` is a file of the user's: under ``user_dir``, outside the standard library,
    site-packages and the harness's folder (by path: a user's ``harness_cfg`` is theirs)."""
    if user_dir not in _FOLDERS:
        _FOLDERS[user_dir] = (tuple(os.path.join(d, "") for d in user_dir.split(os.pathsep) if d),
                              os.path.join(os.path.dirname(os.path.abspath(os.__file__)), ""))
    prefixes, stdlib = _FOLDERS[user_dir]
    path = os.path.abspath(path or "/")
    return path.startswith(prefixes) and not path.startswith((stdlib, HARNESS)) and \
        "-packages" + os.sep not in path


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
    mock = sys.modules.get("unittest.mock")
    for name, mod in users:
        if _main_name(name) not in simple:  # __main__ and __mp_main__: one module
            simple[_main_name(name)], containers[_main_name(name)] = _changed(
                _main_name(name), mod, _main_name(module_name))
        for key, value in list(vars(mod).items()):
            if not key.startswith("__") and not isinstance(value, SIMPLE + (type(sys),)):
                objects["%s:%s" % (name, key)] = describe(value)
            if mock is not None and isinstance(value, type) and value.__module__ == name:
                for attr, inner in list(vars(value).items()):  # mock.patch.object(Class, ...)
                    if isinstance(inner, mock.NonCallableMock):
                        objects["%s:%s.%s" % (name, key, attr)] = describe(inner)
    if mock is not None:  # mocks patched into any module, e.g. time.sleep
        for name, mod in list(sys.modules.items()):
            try:
                for key, value in list(vars(mod).items()):
                    if isinstance(value, mock.NonCallableMock):
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
            "containers": containers, "objects": objects, "env": env,
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
        found.extend(prefix + k for k, d in snap["containers"].get(name, {}).items()
                     if d and hasattr(module, k) and digest(getattr(module, k)) != d)
    return sorted(found)


def differences(snap: Dict[str, Any], done: List[str],
                with_globals: bool = True) -> Dict[str, Any]:
    """What the child has otherwise than the parent had at start(); the globals only
    ``with_globals`` (a worker's are compared at its first task)."""
    missing = object()
    out: Dict[str, Any] = {"globals_differ": globals_differ(snap, done) if with_globals else []}
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
    out["objects_differ"] = objects[:20]
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


def _random_states(user_dir: str) -> Dict[str, int]:
    """A digest of each random generator the user's modules hold (equal = same draws). Not
    ``hash(getstate())``: its ``None`` (no gauss() drawn yet) hashes by address before 3.12,
    so equal states differed between spawn children."""
    import random

    states: Dict[str, int] = {}
    for name, module in user_modules(user_dir):
        for key, value in list(vars(module).items()):
            if isinstance(value, random.Random) and not key.startswith("__"):
                try:  # (version, 625 ints, gauss_next): by numbers only, equal in any process
                    version, numbers, gauss = value.getstate()
                    states["%s.%s" % (_main_name(name), key)] = hash(
                        (version, tuple(numbers), gauss if isinstance(gauss, float) else -1.0))
                except Exception:  # noqa: BLE001, S112 - SystemRandom, an own getstate(): none
                    continue
    return states


def after_first_task(target: Any, args: Tuple[Any, ...], then: Callable[[], None]) -> bool:
    """When ``target`` is a Pool's or ProcessPoolExecutor's worker: ``then()`` runs once, right
    after its first task is taken from its queue (after the worker's initializer; unpickled:
    the task function's module is imported), before the task runs; True. Anything else, or a
    queue that cannot be hooked: nothing; False."""
    at = _TASK_QUEUES.get((getattr(target, "__module__", ""),
                           getattr(target, "__name__", "")))
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
                then()
            except Exception:  # noqa: BLE001, S110 - observing must never break the worker
                pass
        return item

    try:
        queue.get = get  # the worker looks it up on the instance (pool.py binds it once)
    except Exception:  # noqa: BLE001 - a queue without a __dict__: compared at start only
        return False
    return True
