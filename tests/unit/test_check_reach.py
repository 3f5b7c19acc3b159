"""The names the code a child runs can read (``check_reach``): a global that differs in a
child is a silently wrong result only where that code names it (review r14: a flag only the
parent's show() reads, with pids printed, exited 1)."""

from __future__ import annotations

import functools
import sys
from typing import Any

from harness.guest.check_reach import reached, reads

_SOURCE = '''
import os
VERBOSE = False
TABLE = {}

def helper(x):
    return TABLE.get(x)

def work(x):
    return helper(x), os.getpid()

def show(res):
    if VERBOSE:
        print(res)

class Job:
    def run(self):
        return self.step()

    def step(self):
        return VERBOSE
'''


def _load(monkeypatch: Any, tmp_path: Any, name: str = "u_reach", source: str = _SOURCE) -> Any:
    import importlib

    (tmp_path / ("%s.py" % name)).write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module(name)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def test_a_pool_task_reaches_the_functions_it_calls_not_the_parents(
        monkeypatch: Any, tmp_path: Any) -> None:
    """pool.map's task (job, i, mapstar, ((work, chunk),), {}): work and the helper it calls
    name TABLE; only show(), which the parent calls, names VERBOSE."""
    mod = _load(monkeypatch, tmp_path)

    def mine(path: str) -> bool:
        return path.startswith(str(tmp_path))

    task: Any = (0, 0, print, ((mod.work, [1, 2]),), {})
    names = reached(("worker", task), mine)
    assert {"TABLE", "helper", "getpid"} <= names and "VERBOSE" not in names
    assert reads(["__main__.VERBOSE", "TABLE"], task, mine) == ["TABLE"]
    # An executor's task: a partial of multiprocessing's function with the user's.
    assert reads(["VERBOSE"], functools.partial(print, mod.show), mine) == ["VERBOSE"]


def test_a_process_subclass_reaches_its_methods(monkeypatch: Any, tmp_path: Any) -> None:
    """A Process subclass's run() calls self.step(), which reads VERBOSE: its class's
    methods are followed from the object."""
    mod = _load(monkeypatch, tmp_path)
    assert reads(["u_reach.VERBOSE"], (mod.Job.run, mod.Job()),
                 lambda path: path.startswith(str(tmp_path))) == ["u_reach.VERBOSE"]
    assert reads(["VERBOSE"], (print, 3), lambda path: True) == []


_HIDDEN = '''
import functools
UNIT = 1
SCALE = 1
CACHED = 1
DECORATED = 1

def handle_dist(x):
    return x * UNIT

HANDLERS = {"dist": handle_dist}

def dispatch(x):
    return HANDLERS["dist"](x)

class Scaler:
    def apply(self, x):
        return x * SCALE

scaler = Scaler()

def scaled(x):
    return scaler.apply(x)

@functools.lru_cache(maxsize=None)
def lookup(x):
    return x * CACHED

def cached(x):
    return lookup(x)

def logged(f):
    @functools.wraps(f)
    def wrapper(*args):
        return f(*args)
    return wrapper

@logged
def decorated(x):
    return x * DECORATED
'''


def test_functions_held_by_globals_closures_and_caches_are_followed(
        monkeypatch: Any, tmp_path: Any) -> None:
    """A global read through a dispatch dict, a module-level instance's method, an lru_cache
    or a decorator's closure is read (review r15: each exited 0 with its output wrong)."""
    mod = _load(monkeypatch, tmp_path, "u_hidden", _HIDDEN)

    def mine(path: str) -> bool:
        return path.startswith(str(tmp_path))

    for target, name in ((mod.dispatch, "UNIT"), (mod.scaled, "SCALE"),
                         (mod.cached, "CACHED"), (mod.decorated, "DECORATED")):
        assert reads([name], (target, ()), mine) == [name], target


def test_an_attribute_of_the_same_name_is_no_read_of_a_global(
        monkeypatch: Any, tmp_path: Any) -> None:
    """The child calls logging.basicConfig(level=logging.DEBUG); the parent alone reads a DEBUG
    flag: the attribute is no read of the global (review r15: exit 1 on a correct program
    printing its pid). A string naming it (getattr(mod, "DEBUG")) still counts."""
    mod = _load(monkeypatch, tmp_path, "u_attr", (
        "import logging\nDEBUG = False\n\ndef work(x):\n"
        "    logging.basicConfig(level=logging.DEBUG)\n    return x\n\n"
        "def named(x):\n    return getattr(x, 'DEBUG')\n\n"
        "def flag(x):\n    return DEBUG\n"))

    def mine(path: str) -> bool:
        return path.startswith(str(tmp_path))

    assert reads(["DEBUG"], (mod.work, ()), mine) == []
    assert reads(["DEBUG"], (mod.named, ()), mine) == ["DEBUG"]
    assert reads(["DEBUG"], (mod.flag, ()), mine) == ["DEBUG"]
    assert reads(["u_attr.DEBUG"], (mod.work, ()), mine) == ["u_attr.DEBUG"]  # a module's
