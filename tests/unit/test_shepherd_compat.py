"""The per-case shepherd also runs where the signal module is smaller (PyPy: no sigtimedwait),
without ``posix_spawnp``, and writes its status as JSON without importing ``json``.

`nox -s matrix-pypy3.9` runs pytest, and so the shepherd, on PyPy; before the fallback every
cell crashed with AttributeError.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict

import pytest

from harness.guest import _procs, _shepherd

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux shepherd")


def test_wait_for_child_polls_without_sigtimedwait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without signal.sigtimedwait the wait is a short sleep, not an AttributeError."""
    monkeypatch.delattr(_shepherd.signal, "sigtimedwait", raising=False)
    started = time.monotonic()
    _shepherd._wait_for_child(0.05)
    assert 0.04 <= time.monotonic() - started < 1.0


@pytest.mark.parametrize("value", [
    {"returncode": 0, "stopped": False, "limit_hit": True, "leftovers": 2, "killed": 0},
    {"returncode": None, "leftover_commands": ["python -c 'x\\\"y'", "tab\there\nnl",
                                                "\x00\x1f\x7f", "caf\u00e9 \U0001f600"]},
    {"returncode": -9, "leftover_commands": []},
])
def test_status_json_reads_back(value: Dict[str, Any]) -> None:
    """The hand-written encoder gives JSON that ``json`` reads back as the same value."""
    assert json.loads(_shepherd._json(value)) == value


def test_status_json_refuses_other_types() -> None:
    with pytest.raises(TypeError):
        _shepherd._json({"x": 1.5})


@pytest.mark.parametrize("spawn", [True, False], ids=["posix_spawnp", "fork-exec"])
def test_start_runs_the_command_in_its_own_session(spawn: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of starting the executor give it its own session and the exit status."""
    if not spawn:
        monkeypatch.delattr(os, "posix_spawnp", raising=False)
    pid = _shepherd._start(["sh", "-c", 'test "$(ps -o sid= -p $$)" -eq $$ && exit 3'])
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 3


@pytest.mark.parametrize("spawn", [True, False], ids=["posix_spawnp", "fork-exec"])
def test_start_raises_for_a_program_that_cannot_start(spawn: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways raise the exec's error: the fork fallback's child exited 127, which read as
    the case's own exit (a "crash" cell), not the harness's failure to start it."""
    if not spawn:
        monkeypatch.delattr(os, "posix_spawnp", raising=False)
    with pytest.raises(FileNotFoundError):
        _shepherd._start(["/nonexistent/python"])


def test_a_command_that_cannot_start_is_the_harnesss_failure_in_the_status(
        tmp_path: "os.PathLike[str]") -> None:
    """A relative interpreter path started from the case's folder raised FileNotFoundError in
    the shepherd, which died: the runner saw "exited with code 1 without a result", a crash of
    the case (review r16 #1). Now the shepherd ends as usual and its status says why."""
    import subprocess

    status_path = os.path.join(str(tmp_path), "status.json")
    done = subprocess.run([sys.executable, "-I", "-S", _shepherd.__file__, str(os.getpid()),
                           status_path, "16", "-", "--", ".venv/bin/python", "-I", "x.py"],
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=60,
                          check=False)
    assert (done.returncode, done.stderr) == (0, "")
    with open(status_path, encoding="utf-8") as handle:
        assert json.load(handle) == {"returncode": None, "cannot_start": (
            "cannot run .venv/bin/python (from the case's own folder): No such file or "
            "directory")}


def test_shepherd_python_is_a_cpython(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under PyPy the shepherd runs on a CPython found as python3 (it starts faster)."""
    monkeypatch.setattr(_procs, "_SHEPHERD_PYTHON", [])
    monkeypatch.setattr(sys.implementation, "name", "pypy")
    chosen = _procs.shepherd_python()
    probe = "import sys; print(sys.implementation.name)"
    import subprocess

    out = subprocess.run([chosen, "-I", "-S", "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "cpython"


def test_shepherd_python_skips_pyenv_shims(tmp_path: "os.PathLike[str]",
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``shims`` folder first on PATH is skipped (a bash script per case run); a real
    python3 after it is chosen."""
    shims = os.path.join(str(tmp_path), "shims")
    real = os.path.join(str(tmp_path), "bin")
    for folder in (shims, real):
        os.mkdir(folder)
        path = os.path.join(folder, "python3")
        os.symlink(sys.executable if folder == real else "/bin/sh", path)
    monkeypatch.setenv("PATH", os.pathsep.join([shims, real]))
    assert _procs.python3_on_path() == [os.path.join(real, "python3")]
    monkeypatch.setattr(_procs, "_SHEPHERD_PYTHON", [])
    monkeypatch.setattr(sys.implementation, "name", "pypy")
    assert _procs.shepherd_python() == os.path.join(real, "python3")
