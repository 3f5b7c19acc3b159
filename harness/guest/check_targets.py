"""How ``check_exec`` runs each kind of TARGET in the user's program (runs inside the
interpreter under test; standard library only, Python 3.8 syntax): a script or a module
(``-m NAME``) as ``__main__``, a callable as one process's target, a pytest suite.
"""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING
from .words import ERROR, UNAVAILABLE

if TYPE_CHECKING:
    from typing import Any, Dict, List, NoReturn

__all__ = ["BEFORE_TESTS", "MODULE", "PYTEST", "as_main", "exited", "is_callable",
           "run_callable", "run_main", "run_pytest", "script_path", "write_at_hard_exit"]

PYTEST = "--pytest"
#: A suite's ``observed`` key: the processes started before its first test (while pytest
#: collected), which no test judges, and the first of them that failed.
BEFORE_TESTS = "before_tests"
#: ``-m NAME``: the module ``python -m NAME`` would run (``check -m NAME``).
MODULE = "-m "


def is_callable(target: str) -> bool:
    """``module:callable`` or ``script.py:callable``: started as one process's target, which is
    the program (its exit status the run's)."""
    return target != PYTEST and not as_main(target)


def as_main(target: str) -> bool:
    """A script or a ``-m`` module: run as ``__main__`` in the run's own process."""
    return target.startswith(MODULE) or target.endswith(".py")


def exited(code: Any, how: str = "", what: str = "script") -> Dict[str, Any]:
    """The result of a script (``what``) that ended with ``sys.exit(code)`` (or ``how``:
    ``os._exit``)."""
    if code in (None, 0) or (type(code) is int and os.name == "posix" and code % 256 == 0):
        return {}  # sys.exit(256): the status POSIX keeps, code & 0xFF, is 0 (review r15)
    said = isinstance(code, str)  # sys.exit("text"): status 1, the text printed
    return {"outcome": ERROR, "error": {
        "type": "SystemExit", "where": "parent", "message": "the %s exited with status %s%s"
        % (what, "1: %s" % code if said else code, " (%s)" % how if how else "")}}


def run_main(user_dir: str, target: str, args: List[Any]) -> Dict[str, Any]:
    """Run a script (``path.py``), or a module as ``python -m`` does (``-m NAME``), as
    ``__main__``; its ``sys.exit`` is its outcome."""
    from . import check_main

    module = target[len(MODULE):] if target.startswith(MODULE) else ""
    # As python has it: the script as given; ``-m``'s module file (set once it is found).
    sys.argv = ["-m" if module else target] + [str(a) for a in args]
    if not module:
        path = script_path(user_dir, target)
        sys.path.insert(0, os.path.dirname(os.path.realpath(path)))
    try:
        if module:
            check_main.run_module(module)
        else:
            check_main.run_script(path)
    except SystemExit as exc:
        result = exited(exc.code, what="module" if module else "script")
        if result:
            from .check_frames import user_frames

            result["error"]["traceback"] = user_frames(exc)
            result["status"] = exc.code if isinstance(exc.code, int) else 1
        return result
    return {}


def script_path(user_dir: str, where: str) -> str:
    """The script's path as its ``__file__`` and frames say it: absolute, through a symbolic
    link as given (python puts only ``sys.path[0]``, the folder, as the real one), without
    ``..`` unless that names another file (``lnk/../x.py``, the link's parent's)."""
    given = os.path.join(user_dir, where)
    plain = os.path.abspath(given)
    return plain if os.path.realpath(plain) == os.path.realpath(given) else given


def write_at_hard_exit(result_path: str, finish: Any) -> Any:
    """Make ``os._exit(status)`` in this process (not in a fork child, which inherits it) write
    the result ``finish`` makes of that status first, as ``sys.exit`` would: without it a
    script ending so (not to wait for its interpreter's shutdown) left no result at all.

    Returns what undoes it, once the program has ended: a later call (an ``atexit`` handler
    holding the replacement) must not rewrite the result the program's end gave."""
    real, parent, live = os._exit, os.getpid(), [True]

    def _exit(status: int) -> NoReturn:
        if os.getpid() == parent and live[0]:
            try:
                from ._files import write_json

                result = finish(dict(exited(status, "os._exit"), status=status))
                result.pop("status", None)  # the exit status itself says it
                write_json(result_path, result, default=repr)
            except BaseException:  # noqa: BLE001, S110 - the exit must happen whatever failed
                pass
        real(status)

    os._exit = _exit

    def undo() -> None:
        live[0] = False
        os._exit = real
    return undo


def run_callable(user_dir: str, target: str, method: str, args: List[Any]) -> Dict[str, Any]:
    import importlib
    import multiprocessing

    where, _, name = target.rpartition(":")
    # As an entry point sees it: its own name or file, not check's arguments.
    sys.argv = [where]
    if where.endswith(".py"):
        import types

        from .check_main import check_encoding

        path = script_path(user_dir, where)
        module = types.ModuleType("__mp_main__")
        module.__file__ = path
        with open(path, "rb") as handle:  # bytes: compile() honours a coding declaration
            source = handle.read()
        code = compile(source, path, "exec")
        check_encoding(source, path)
        sys.path.insert(0, os.path.dirname(os.path.realpath(path)))
        sys.modules["__main__"] = sys.modules["__mp_main__"] = module
        exec(code, module.__dict__)  # noqa: S102 - the user's own script, by request
    else:
        module = importlib.import_module(where)
        sys.argv = [getattr(module, "__file__", None) or where]  # as ``python -m`` has it
    try:
        function = getattr(module, name)
    except AttributeError:
        if not where.endswith(".py"):
            raise  # "module 'pkg.jobs' has no attribute 'nosuch'" names it already
        raise AttributeError("%s has no attribute %r" % (where, name)) from None
    context: Any = multiprocessing.get_context(method)
    proc = context.Process(target=function, args=tuple(args))
    proc.start()
    proc.join()
    return {}


def run_pytest(args: List[Any], tests: Dict[str, Any], watch: Any,
                hang_dir: str) -> Dict[str, Any]:
    try:
        import pytest  # boundary: the user's own (their suite runs on their pytest)
    except ImportError:
        return {"outcome": UNAVAILABLE, "detail": "pytest is not installed in this interpreter: "
                + _without_pytest(hang_dir)}
    from .check_suite import Collector

    collector = Collector(tests, watch, hang_dir)
    # As ``pytest ARGS`` has it: a usage error names pytest, not this script.
    sys.argv = ["pytest"] + [str(a) for a in args]
    try:
        code = pytest.main(sys.argv[1:] + ["-p", "no:cacheprovider"], plugins=[collector])
    finally:
        collector.close()
    if int(code) not in (0, 1, 5):  # 5: nothing collected; 2-4: pytest itself failed
        return {"outcome": ERROR, "error": {"type": "PytestExit", "where": "parent",
                                              "message": "pytest exited with code %d" % code},
                "status": int(code)}
    return {"status": int(code)}


def _without_pytest(hang_dir: str) -> str:
    """The way to a pytest this interpreter can import. A Debian root's (its wrapper names the
    root) is read-only: a pytest made for its version by the host's pip, in the host's temp
    folder (``check`` makes ``hang_dir`` there; the root sees it at the same path), is found
    through PYTHONPATH."""
    if not os.environ.get("HARNESS_ROOT_NAME"):
        return "pass --python the python of a virtual environment that has pytest"
    version = "%d.%d" % sys.version_info[:2]
    folder = os.path.join(os.path.dirname(hang_dir), "pytest-" + version) if hang_dir else \
        "DIR (under the temp folder or this folder: the root sees only those)"
    return ("the Debian root it is in is read-only; install pytest for %s (and your suite's "
            "plugins) with the host's pip into a folder the root sees: `python3 -m pip install "
            "--target %s --python-version %s --only-binary :all: pytest`, then run check with "
            "PYTHONPATH=%s" % (version, folder, version, folder.partition(" ")[0]))
