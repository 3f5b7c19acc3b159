"""`check`'s watcher in the user's program: globals compared as text that is the same in every
interpreter for equal values, never at any cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

from harness.guest import check_compare, check_digest, check_frames, check_watch

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
sys.path.insert(0, %r)
from harness.guest import check_digest
class Foo: pass
Foo.__module__ = sys.argv[1]
values = [{"k%%d" %% i for i in range(50)}, {k: 1 for k in {"alpha", "beta", "gamma"}},
          {"cls": Foo}, frozenset({("a", 1), ("b", 2)}), [{"x", "y"}, ({"z"},)]]
print(json.dumps([check_digest.digest(v) for v in values]))
"""


def _digests(seed: str, main: str) -> List[Any]:
    out = subprocess.run([sys.executable, "-c", PROBE % str(ROOT), main], capture_output=True,
                         text=True, check=True, env=dict(os.environ, PYTHONHASHSEED=seed))
    return list(json.loads(out.stdout))


def test_equal_values_give_equal_text_in_any_interpreter() -> None:
    """Sets, dicts filled from sets and classes of the main script (``__main__`` in the
    parent, ``__mp_main__`` in a spawn child) read the same under other hash seeds."""
    parent = _digests("1", "__main__")
    assert parent == _digests("2", "__mp_main__")
    assert all(parent)


def test_big_or_deep_values_are_skipped() -> None:
    """Not compared ("") rather than turned into megabytes of text at every start()."""
    assert check_digest.digest([[0] * 1000] * 1000) == ""
    assert check_digest.digest([[[[0]]]]) == ""  # deeper than compared
    assert check_digest.digest({"k%d" % i for i in range(5000)}) == ""
    assert check_digest.digest("x" * 10 ** 6) == ""

    class Bad(str):
        def __repr__(self) -> str:
            raise RuntimeError("no repr here")
    assert check_digest.digest([Bad()]) == ""


def test_objects_in_a_container_compare_by_type_not_state() -> None:
    """A list of Process objects held in a global reads "started" in a fork child and
    "initial" in the parent's snapshot: start() itself changed it, so objects other than
    values, classes and functions are compared by their type."""
    import multiprocessing

    process = multiprocessing.Process(target=print)
    before = check_digest.digest([process, 1, print])
    process._popen = object()  # type: ignore[attr-defined]  # repr now says 'started'
    assert check_digest.digest([process, 1, print]) == before
    assert "multiprocessing.context.Process" in before and "1" in before


def _raise_here(value: str) -> None:
    int(value)


def test_the_child_wrapper_reports_the_users_frames_only(tmp_path: Any) -> None:
    """An error raised by the target is reported with the target's frames (the user's), not the
    harness's wrapper around it nor the standard library's frames under them."""
    import pytest

    from harness.guest import check_watch

    snap = {"globals": {}, "containers": {}, "objects": {}, "env": dict(os.environ),
            "cwd": os.getcwd(), "user_dir": str(tmp_path), "sys_path": [], "log_handlers": 0}
    with pytest.raises(ValueError):
        check_watch._child_wrapper(str(tmp_path), _raise_here, snap, ("x",), {})
    report = json.loads(next(tmp_path.glob("child-*.json")).read_text())
    assert [(f["function"], f["code"]) for f in report["error"]["traceback"]] == [
        ("_raise_here", "int(value)")]


def test_a_traceback_on_stderr_keeps_the_users_frames_only() -> None:
    """A child that died before its target ran left only stderr: the user's frames of its last
    traceback, without spawn's, runpy's (frozen) or the harness's."""
    from harness.check_where import HARNESS_DIR, stderr_frames

    stderr = (
        'Traceback (most recent call last):\n  File "/x/old.py", line 1, in <module>\n'
        "    old()\nValueError: old\n"
        'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
        '  File "/usr/lib/python3.12/multiprocessing/spawn.py", line 122, in spawn_main\n'
        "    exitcode = _main(fd, parent_sentinel)\n"
        '  File "<frozen runpy>", line 88, in _run_code\n'
        '  File "/usr/lib/pypy3.9/runpy.py", line 87, in _run_code\n'
        '  File "/opt/pypy/lib-python/3/runpy.py", line 87, in _run_code\n'
        '  File "%sguest/check_watch.py", line 200, in _child_wrapper\n'
        "    target(*args, **kwargs)\n"
        '  File "/home/me/proj/run.py", line 13, in <module>\n'
        '    multiprocessing.set_start_method("spawn")\n'
        '  File "/venv/lib/python3.12/site-packages/lib/x.py", line 5, in go\n'
        "    raise RuntimeError('context has already been set')\n"
        "RuntimeError: context has already been set\n" % HARNESS_DIR)
    assert stderr_frames(stderr) == [
        {"file": "/home/me/proj/run.py", "line": 13, "function": "<module>",
         "code": 'multiprocessing.set_start_method("spawn")'},
        {"file": "/venv/lib/python3.12/site-packages/lib/x.py", "line": 5, "function": "go",
         "code": "raise RuntimeError('context has already been set')"}]


QUERY = """
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.append(sys.argv[2])
from harness.guest import check_frames, check_watch
watch = check_watch.Watch(sys.argv[1], sys.argv[1], set())
watch.install()
import multiprocessing.spawn
multiprocessing.spawn.get_preparation_data("x")  # multiprocessing's own question
seen = [watch.method_queried]
import %s
seen.append(watch.method_queried)
print(json.dumps(seen))
"""


def test_a_user_module_named_like_multiprocessing_asking_the_method_is_seen(
        tmp_path: Any) -> None:
    """A program's own ``multiprocessing_utils`` (or ``concurrent_jobs``) that asks
    get_start_method() asks for the default: only multiprocessing's and concurrent.futures'
    own calls are theirs (a name prefix let the user's module pass for the standard
    library's, and the program read 'explicit context' in every cell)."""
    for name in ("multiprocessing_utils", "concurrent_jobs"):
        (tmp_path / (name + ".py")).write_text(
            "import multiprocessing\nmultiprocessing.get_start_method()\n")
        out = subprocess.run([sys.executable, "-c", QUERY % name, str(tmp_path), str(ROOT)],
                             capture_output=True, text=True, check=True)
        assert json.loads(out.stdout) == [False, True], name


def test_the_users_modules_are_told_from_the_harness_by_folder_not_name(
        tmp_path: Any, monkeypatch: Any) -> None:
    """A user's ``harness_cfg.py`` is theirs (its globals are compared); the harness's own
    modules are not, even when check runs from the folder that holds the harness."""
    import types

    mine = types.ModuleType("harness_cfg")
    mine.__file__ = str(tmp_path / "harness_cfg.py")
    monkeypatch.setitem(sys.modules, "harness_cfg", mine)
    names = [n for n, _ in check_compare.user_modules(os.pathsep.join([str(tmp_path),
                                                                       str(ROOT)]))]
    assert "harness_cfg" in names
    assert not [n for n in names if n.startswith("harness.")]


def test_standard_value_types_in_a_container_compare_by_value() -> None:
    """A Path, date or Decimal set in the main block (``CONFIG["out"] = Path(args.out)``) is a
    value a spawn child must see too: compared by value, where a Process is by type."""
    import datetime
    import decimal
    from copy import deepcopy as copy
    from pathlib import Path

    for one, other in ((Path("/tmp/default"), Path("/tmp/chosen")),
                       (datetime.date(2024, 1, 1), datetime.date(2025, 1, 1)),
                       (decimal.Decimal("1.5"), decimal.Decimal("2"))):
        assert check_digest.digest({"out": one}) != check_digest.digest({"out": other}), one
        assert check_digest.digest({"out": one}) == check_digest.digest({"out": copy(one)})


def test_a_pool_workers_error_goes_on_with_the_workers_frames() -> None:
    """Pool.map re-raises a worker's error in the parent with the worker's traceback as text
    (its cause, RemoteTraceback): the frames go on from ``pool.map(...)`` into the user's
    function that raised, not stop at the parent's call."""
    from multiprocessing.pool import (  # type: ignore[attr-defined]  # not in typeshed
        ExceptionWithTraceback,
    )

    try:
        _raise_here("x")
    except ValueError as exc:
        rebuild, args = ExceptionWithTraceback(exc, exc.__traceback__).__reduce__()
    remote = rebuild(*args).with_traceback(None)  # what the parent unpickles
    try:
        raise remote
    except ValueError as err:
        frames = check_frames.user_frames(err)
    assert [(f["function"], f["code"]) for f in frames] == [
        ("test_a_pool_workers_error_goes_on_with_the_workers_frames", "raise remote"),
        ("test_a_pool_workers_error_goes_on_with_the_workers_frames", '_raise_here("x")'),
        ("_raise_here", "int(value)")]


ASKED = """
import json, sys
sys.path.append(sys.argv[2])
import multiprocessing, multiprocessing.pool  # pool's copy of get_context, bound before
from harness.guest import check_frames, check_watch
watch = check_watch.Watch(sys.argv[1], sys.argv[1], set())
watch.install()
seen = []
for ask in (lambda: multiprocessing.get_context("spawn"), multiprocessing.get_context,
            multiprocessing.pool.get_context):
    watch.default_asked = False
    ask()
    seen.append(watch.default_asked)
print(json.dumps(seen))
"""


def test_asking_for_the_default_context_is_seen_through_copies_bound_before(
        tmp_path: Any) -> None:
    """multiprocessing.get_context() and pool.py's copy of it (``from . import get_context``,
    bound when the module was imported, before the watch) ask for the default; a context
    asked for by name does not."""
    out = subprocess.run([sys.executable, "-c", ASKED, str(tmp_path), str(ROOT)],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, True, True]


def test_a_block_buffered_stderr_is_made_line_buffered_on_any_version(monkeypatch: Any) -> None:
    """PyPy 3.9 run with -I (as check runs it) has a block-buffered stderr, as CPython 3.8 has:
    the line a hang wrote last stayed in the buffer the kill discarded; a line-buffered or
    write-through stderr (CPython 3.9+) is left as it is."""
    import io

    blocked = io.TextIOWrapper(io.BytesIO(), line_buffering=False, write_through=False)
    monkeypatch.setattr(sys, "stderr", blocked)
    check_watch.line_buffered_stderr()
    assert blocked.line_buffering
    through = io.TextIOWrapper(io.BytesIO(), line_buffering=False, write_through=True)
    monkeypatch.setattr(sys, "stderr", through)
    check_watch.line_buffered_stderr()
    assert not through.line_buffering


def test_a_program_reading_the_default_off_the_methods_list_asks_for_the_default(
        tmp_path: Any) -> None:
    """get_context(get_all_start_methods()[0]) follows the default (listed first: the
    documented way to learn it without fixing it; on 3.14 the one check made the default), so
    its cells are not "explicit context" and not "not checked"."""
    (tmp_path / "pick.py").write_text(
        "import multiprocessing\nmultiprocessing.get_all_start_methods()\n")
    out = subprocess.run([sys.executable, "-c", QUERY % "pick", str(tmp_path), str(ROOT)],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, True]


class _Options:
    """A callable target whose ``__getattr__`` looks its options up (review r14 F2/F3): any
    other name it is asked raises KeyError, which check's own look-ups must never cause."""

    def __init__(self) -> None:
        self.opts: Dict[str, Any] = {}
        self.asked: List[str] = []
        self.ran = False

    def __call__(self) -> None:
        self.ran = True

    def __getattr__(self, name: str) -> Any:
        self.asked.append(name)
        return self.opts[name]


def test_the_child_wrapper_never_asks_a_callable_targets_own_getattr(tmp_path: Any) -> None:
    """A fork child of ``Process(target=Task())`` runs the target: the wrapper does not look
    up ``__name__`` on it (its ``__getattr__`` raises KeyError), as python never does."""
    from harness.guest import check_watch

    snap = {"globals": {}, "containers": {}, "objects": {}, "env": dict(os.environ),
            "cwd": os.getcwd(), "user_dir": str(tmp_path), "sys_path": [], "log_handlers": 0}
    task = _Options()
    check_watch._child_wrapper(str(tmp_path), task, snap, (), {})
    assert task.ran and task.asked == [], task.asked
    report = json.loads(next(tmp_path.glob("child-*.json")).read_text())
    assert report["error"] is None and "watch_error" not in report, report


def test_a_failed_start_never_asks_a_callable_targets_own_getattr() -> None:
    """start() failed to pickle a lock the target holds (review r14 F2): explaining a bound
    method's object must not run the target's ``__getattr__``, whose KeyError would replace
    the TypeError the program would have raised."""
    from harness.guest.check_seen import held_by

    task = _Options()
    error = TypeError("cannot pickle '_thread.lock' object")
    assert held_by(task, error) == {} and task.asked == [], task.asked
