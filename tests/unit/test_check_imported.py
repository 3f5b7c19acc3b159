"""What check says of a program's imports: where a process was started at import, read from the
traceback of a child that re-ran the main script, the main module or a module it imports
(review r10 F-K); the module a script whose relative import failed is (F-C)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.check_diagnose import diagnose
from harness.runner import CaseRun
from harness.vocab import Outcome

_HEAD = '''Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "/py/lib/python3.12/multiprocessing/spawn.py", line 122, in spawn_main
    exitcode = _main(fd, parent_sentinel)
  File "/py/lib/python3.12/multiprocessing/spawn.py", line 297, in _fixup_main_from_path
    main_content = runpy.run_path(main_path,
  File "<frozen runpy>", line 286, in run_path
  File "<frozen runpy>", line 88, in _run_code
  File "/home/u/proj/app.py", line 1, in <module>
    import fastlib
'''
_LIBRARY = '''  File "/home/u/proj/fastlib/__init__.py", line 4, in <module>
    _POOL = make_pool()
  File "/home/u/proj/fastlib/__init__.py", line 2, in make_pool
    return mp.Pool(2)
'''
_TAIL = '''  File "/py/lib/python3.12/multiprocessing/context.py", line 119, in Pool
    return Pool(processes, initializer, initargs, maxtasksperchild,
  File "/py/lib/python3.12/multiprocessing/spawn.py", line 140, in _check_not_importing_main
    raise RuntimeError(\'\'\'
RuntimeError:
        An attempt has been made to start a new process before the
        current process has finished its bootstrapping phase.
'''


def _diagnosed(stderr: str) -> Any:
    run = CaseRun(case="app.py", method="spawn", outcome=Outcome.TIMEOUT, stderr=stderr)
    return {d.code: d for d in diagnose({("3.12", "spawn"): run})}


def test_a_module_the_main_script_imports_is_named_with_its_line() -> None:
    found = _diagnosed(_HEAD + _LIBRARY + _TAIL)
    assert "missing-main-guard" not in found, found
    cause = found["starts-processes-at-import"]
    assert cause.message.startswith("fastlib/__init__.py:4 starts processes when it is "
                                    "imported"), cause.message
    assert "lazily" in cause.fix and "__main__" in cause.fix


def test_childrens_interleaved_tracebacks_name_the_module_whichever_comes_first() -> None:
    """Two children's tracebacks on one stderr, the second's header cutting the first short of
    the module's frame (a flaky integration run, review r12): the module is named, and the
    main module's missing guard is not."""
    found = _diagnosed(_HEAD + _HEAD + _LIBRARY + _TAIL + _LIBRARY + _TAIL)
    assert "missing-main-guard" not in found, found
    assert found["starts-processes-at-import"].message.startswith(
        "fastlib/__init__.py:4 starts"), found


def test_the_main_script_starting_them_itself_misses_its_guard() -> None:
    """The last module-level frame is the main script's (through a function of its own)."""
    main = _HEAD.replace("line 1, in <module>\n    import fastlib", "line 7, in <module>\n"
                         "    pool = make_pool()") + (
        '  File "/home/u/proj/app.py", line 3, in make_pool\n    return mp.Pool(2)\n')
    found = _diagnosed(main + _TAIL)
    assert "missing-main-guard" in found and "starts-processes-at-import" not in found, found


def test_a_library_outside_the_scripts_folder_is_named_by_its_path() -> None:
    found = _diagnosed(_HEAD + _LIBRARY.replace("/home/u/proj/fastlib", "/venv/site/fastlib")
                       + _TAIL)
    assert found["starts-processes-at-import"].message.startswith(
        "/venv/site/fastlib/__init__.py:4 starts"), found


def test_only_the_last_line_of_the_error_left_is_the_main_modules() -> None:
    """A hang whose stderr kept no frames: the main module's missing guard, as before."""
    found = _diagnosed(_TAIL)
    assert "missing-main-guard" in found and "starts-processes-at-import" not in found


def _relative(case: str, where: str = "") -> Any:
    """The relative import's error, raised in ``where`` (default: the script ``case`` itself)."""
    frame = {"file": os.path.abspath(where or case.partition(":")[0]), "line": 1,
             "function": "<module>", "code": "from . import x"}
    run = CaseRun(case=case, method="spawn", outcome=Outcome.ERROR, error={
        "type": "ImportError", "where": "parent", "traceback": [frame],
        "message": "attempted relative import with no known parent package"})
    return {d.code: d for d in diagnose({("3.12", "spawn"): run})}


def test_a_script_inside_a_package_is_named_as_its_module(tmp_path: Any,
                                                           monkeypatch: Any) -> None:
    """The module name goes up the folders holding ``__init__.py``; the folder to check it
    from is the one above them."""
    (tmp_path / "src" / "shipit" / "jobs").mkdir(parents=True)
    for folder in ("src/shipit", "src/shipit/jobs"):
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "src" / "shipit" / "jobs" / "run.py").write_text("from . import x\n")
    monkeypatch.chdir(tmp_path)
    cause = _relative("src/shipit/jobs/run.py")["relative-import-in-script"]
    assert "the module shipit.jobs.run (from the folder src)" in cause.message, cause.message
    monkeypatch.chdir(tmp_path / "src")
    cause = _relative("shipit/jobs/run.py:main")["relative-import-in-script"]
    assert "the module shipit.jobs.run (from this folder)" in cause.message, cause.message


def test_a_relative_import_in_a_module_the_script_imports_is_not_the_scripts(
        tmp_path: Any, monkeypatch: Any) -> None:
    """``import utils`` in app/main.py, ``from . import consts`` in utils.py (review r12 F3):
    run as the module app.main the script would not find ``utils``; the import to fix is
    utils.py's."""
    (tmp_path / "app").mkdir()
    for name in ("__init__.py", "main.py", "utils.py"):
        (tmp_path / "app" / name).write_text("")
    monkeypatch.chdir(tmp_path)
    assert "relative-import-in-script" not in _relative("app/main.py", "app/utils.py")
    assert "relative-import-in-script" in _relative("app/main.py")


def test_a_callable_targets_relative_import_is_not_a_scripts() -> None:
    assert "relative-import-in-script" not in _relative("shipit.main:main")


def test_a_scripts_callable_that_cannot_load_for_its_relative_import_says_its_module(
        tmp_path: Any, monkeypatch: Any) -> None:
    """``check shipit/main.py:main`` is a usage error (the callable cannot be loaded): its line
    names the target to give instead."""
    from harness import check

    (tmp_path / "shipit").mkdir()
    (tmp_path / "shipit" / "__init__.py").write_text("")
    monkeypatch.chdir(tmp_path)
    error = {"type": "ImportError", "where": "parent",
             "message": "attempted relative import with no known parent package",
             "traceback": [{"file": str(tmp_path / "shipit" / "main.py"), "line": 1,
                            "function": "<module>", "code": "from . import jobs"}]}
    runs = {("3.12", m): CaseRun(case="shipit/main.py:main", method=m, outcome=Outcome.ERROR,
                                 error=error, observed={"start_attempts": 0})
            for m in ("fork", "spawn")}
    assert check.load_failure(runs, "shipit/main.py:main") == (
        "ImportError: attempted relative import with no known parent package; a script has "
        "no package: check it as a module, `shipit.main:main` (from this folder)")


_UNPICKLING = '''Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "/py/lib/python3.12/multiprocessing/spawn.py", line 122, in spawn_main
    exitcode = _main(fd, parent_sentinel)
  File "/py/lib/python3.12/multiprocessing/spawn.py", line 132, in _main
    self = reduction.pickle.load(from_parent)
  File "%s/jobs.py", line 9, in <module>
    _POOL = make_pool()
  File "%s/jobs.py", line 2, in make_pool
    return mp.Pool(2)
'''


def test_the_targets_module_starting_processes_at_import_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that fails loading its process (its target's module starts processes at import,
    a guarded main script, or a conftest.py: review r20 F1b): that module is named, beside the
    working folder, not the main module's missing guard."""
    monkeypatch.chdir(tmp_path)
    found = _diagnosed(_UNPICKLING % (tmp_path, tmp_path) + _TAIL)
    assert "missing-main-guard" not in found, found
    assert found["starts-processes-at-import"].message.startswith(
        "jobs.py:9 starts processes when it is imported"), found
