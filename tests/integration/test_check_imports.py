"""The program check runs finds its modules as without check: a script's ``sys.path`` is its
folder, then PYTHONPATH's folders, then the interpreter's (review r10 F-F)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Sequence

import pytest

from tests.integration import check_run
from tests.integration.check_run import ROOT, TIMEOUT

pytestmark = pytest.mark.slow

_WORK = "def work(queue):\n    queue.put(42)\n"
_RUN = ("import multiprocessing\nimport sys\nfrom {module} import work\n\n"
        "if __name__ == '__main__':\n    print('PATH', repr(sys.path))\n"
        "    queue = multiprocessing.Queue()\n"
        "    process = multiprocessing.Process(target=work, args=(queue,))\n"
        "    process.start()\n    assert queue.get(timeout=30) == 42\n    process.join()\n")


def _project(tmp_path: Path, package: str, module: str) -> Path:
    """``PACKAGE/__init__.py`` (a folder path) holding ``work``, and ``scripts/run.py``
    importing it as MODULE."""
    folder = tmp_path / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(_WORK)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "run.py").write_text(_RUN.format(module=module))
    return tmp_path


def _check(cwd: Path, target: str, pythonpath: str, stdin: str = "",
           extra: Sequence[str] = ()) -> Dict[str, Any]:
    cmd = [sys.executable, "-m", "harness", "check", *target.split(" ", 1), "--json",
           "--timeout", str(TIMEOUT), "--python", check_run.newest()[0], *extra]
    env = {"PYTHONPATH": pythonpath, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, timeout=300,
                          env=env, check=False, input=stdin)
    doc: Dict[str, Any] = json.loads(proc.stdout)
    doc["exit"] = proc.returncode
    return doc


def _plain_path(cwd: Path, script: str, pythonpath: str) -> Any:
    """``sys.path`` as ``python SCRIPT`` has it, with the same PYTHONPATH."""
    proc = subprocess.run([check_run.newest()[0], "-s", script], cwd=str(cwd),
                          capture_output=True, text=True, timeout=60, check=True,
                          env={"PYTHONPATH": pythonpath, "PATH": "/usr/bin:/bin"})
    return _printed_path(proc.stdout)


def _printed_path(stdout: str) -> Any:
    line = next(line for line in stdout.splitlines() if line.startswith("PATH "))
    return eval(line[len("PATH "):])  # noqa: S307 - the repr of a list of str printed above


def test_pythonpath_reaches_the_program_as_without_check(tmp_path: Path) -> None:
    """``PYTHONPATH=src check scripts/run.py`` (a src layout): the program finds ``src``'s
    package and its sys.path is plain python's (check said ModuleNotFoundError under every
    method before: it runs the program with ``-I``)."""
    _project(tmp_path, "src/shipit", "shipit")
    pythonpath = os.pathsep.join((str(ROOT), "src"))
    doc = _check(tmp_path, "scripts/run.py", pythonpath)
    assert [r["outcome"] for r in doc["results"]] == ["ok"] * 3, doc["results"]
    plain = _plain_path(tmp_path, "scripts/run.py", pythonpath)
    for run in doc["results"]:  # check's own folder comes last, after the interpreter's
        assert _printed_path(run["stdout"])[:-1] == plain, run["method"]


def test_a_script_does_not_find_modules_of_the_working_folder(tmp_path: Path) -> None:
    """``python scripts/run.py`` cannot import a package that sits only in the working folder:
    check says so, not "works under every start method"."""
    _project(tmp_path, "mylib", "mylib")
    doc = _check(tmp_path, "scripts/run.py", str(ROOT))
    assert {r["outcome"] for r in doc["results"]} == {"error"}, doc["results"]
    assert {r["error"]["type"] for r in doc["results"]} == {"ModuleNotFoundError"}
    assert doc["exit"] == 1


def test_a_callable_finds_the_working_folder_first_as_python_m_does(tmp_path: Path) -> None:
    """``module:callable`` imports as ``python -m`` would: the working folder, then
    PYTHONPATH's folders."""
    _project(tmp_path, "mylib", "mylib")
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "other.py").write_text(_WORK)
    (tmp_path / "mylib" / "jobs.py").write_text(
        "import sys\n\ndef work(queue=None):\n    import other\n"
        "    assert sys.path[0] == %r, sys.path\n"
        "    assert sys.path[1] == %r, sys.path\n" % (str(tmp_path), str(tmp_path / "extra")))
    doc = _check(tmp_path, "mylib.jobs:work", os.pathsep.join(("extra", str(ROOT))))
    assert [r["outcome"] for r in doc["results"]] == ["ok"] * 3, doc["results"]


def test_a_library_starting_processes_at_import_is_named_not_the_main_module() -> None:
    """The main script is guarded; the module it imports creates a Pool at import: check
    names that module's line and says to create the pool lazily (it blamed the main module's
    missing guard before)."""
    doc = check_run.check("library_pool_at_import.py", interpreters=check_run.newest())
    diag = next((d for d in doc["diagnoses"] if d["code"] == "starts-processes-at-import"),
                None)
    assert diag is not None, (check_run.codes(doc), doc["results"])
    assert "missing-main-guard" not in check_run.codes(doc)
    assert "checklib/eager_pool.py:6" in diag["message"], diag
    assert "lazily" in diag["fix"]
    assert {c.rpartition("[")[2].rstrip("]") for c in diag["cells"]} == {"spawn", "forkserver"}


def test_the_programs_stdin_is_empty_and_help_says_so(tmp_path: Path) -> None:
    """What is piped into check does not reach the program (review r10 F-L): ``check --help``
    and README say its stdin is empty, and it is."""
    (tmp_path / "filter.py").write_text(
        "import multiprocessing\nimport sys\n\nif __name__ == '__main__':\n"
        "    assert sys.stdin.read() == '', 'stdin had data'\n"
        "    process = multiprocessing.Process(target=print)\n"
        "    process.start()\n    process.join()\n")
    doc = _check(tmp_path, "filter.py", str(ROOT), stdin="1\n2\n")
    assert [r["outcome"] for r in doc["results"]] == ["ok"] * 3, doc["results"]
    helped = subprocess.run([sys.executable, "-m", "harness", "check", "--help"],
                            capture_output=True, text=True, check=True, timeout=60,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout
    assert "stdin is empty" in " ".join(helped.split())
    assert "stdin is empty" in " ".join((ROOT / "README.md").read_text().split())


def test_a_script_of_a_package_with_relative_imports_is_pointed_to_its_module(
        tmp_path: Path) -> None:
    """``check src/shipit/main.py`` of a module run with ``python -m shipit.main``: its relative
    import fails as a script under every method; check names the module to check instead
    (it said only "not a start-method problem" before: review r10 F-C)."""
    package = tmp_path / "src" / "shipit"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(_WORK)
    (package / "main.py").write_text(
        "import multiprocessing\nfrom . import work\n\n\ndef main():\n"
        "    queue = multiprocessing.Queue()\n"
        "    process = multiprocessing.Process(target=work, args=(queue,))\n"
        "    process.start()\n    assert queue.get(timeout=30) == 42\n    process.join()\n\n\n"
        "if __name__ == '__main__':\n    main()\n")
    doc = _check(tmp_path, "src/shipit/main.py", str(ROOT))
    assert {r["error"]["type"] for r in doc["results"]} == {"ImportError"}, doc["results"]
    diag = next(d for d in doc["diagnoses"] if d["code"] == "relative-import-in-script")
    assert "shipit.main" in diag["message"] and "src" in diag["message"], diag
    assert "python -m harness check -m package.module" in diag["fix"], diag


_SETTINGS = "DELIM = ','\n"
_SPLIT = "from . import settings\n\n\ndef split(line):\n    return line.split(settings.DELIM)\n"
_TOOL = ("import argparse\nimport multiprocessing\n\nfrom . import settings\n"
         "from .transform import split\n\nparser = argparse.ArgumentParser()\n"
         "parser.add_argument('--delim', default=',')\n"
         "settings.DELIM = parser.parse_args().delim\n\nif __name__ == '__main__':\n"
         "    with multiprocessing.Pool(2) as pool:\n"
         "        rows = pool.map(split, ['a;b;c', 'd;e;f'])\n"
         "    assert all(len(r) == 3 for r in rows), rows\n")


def test_a_package_run_with_python_m_is_checked_as_it_runs(tmp_path: Path) -> None:
    """``python -m etltool --delim ';'`` (review r13 F5: top-level argparse, relative imports,
    no callable): ``check -m etltool`` runs it as python does, and the global its top level
    sets before the Pool starts is compared: the forkserver/spawn workers split by ','."""
    package = tmp_path / "etltool"
    package.mkdir()
    for name, text in (("__init__", ""), ("settings", _SETTINGS), ("transform", _SPLIT),
                       ("__main__", _TOOL)):
        (package / (name + ".py")).write_text(text)
    doc = _check(tmp_path, "-m etltool", str(ROOT), extra=["--args", '["--delim", ";"]'])
    outcome = {r["method"]: r["outcome"] for r in doc["results"]}
    assert outcome == {"fork": "ok", "forkserver": "error", "spawn": "error"}, doc["results"]
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "etltool.settings.DELIM" in diag["message"], diag
    assert doc["target"] == "-m etltool" and doc["exit"] == 1
