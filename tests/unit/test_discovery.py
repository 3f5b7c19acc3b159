"""Discovery: pyenv trees, PATH, explicit interpreters, duplicates and broken candidates."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from harness import discovery
from harness.guest import _procs


def _link(target: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def fake_pyenv(tmp_path: Path) -> Path:
    """A pyenv root whose versions/X/bin/python3 links to the interpreter running the tests."""
    root = tmp_path / "pyenv"
    _link(sys.executable, root / "versions" / "9.9.9" / "bin" / "python3")
    _script(root / "shims" / "python3.11", "echo 'pyenv: python3.11: command not found'; exit 127")
    return root


def test_pyenv_versions_found_and_shims_skipped(fake_pyenv: Path) -> None:
    """A python under versions/*/bin is found; the shims folder on PATH is ignored."""
    env = {"PATH": str(fake_pyenv / "shims"), "HOME": "/nonexistent"}
    found, rejected = discovery.discover(environ=env, roots=[fake_pyenv])
    assert [i.origin for i in found] == ["pyenv"]
    assert found[0].version[:2] == sys.version_info[:2]
    assert found[0].path == str(fake_pyenv / "versions" / "9.9.9" / "bin" / "python3")
    assert rejected == []


def test_duplicates_by_real_path_are_dropped(fake_pyenv: Path, tmp_path: Path) -> None:
    """The same binary reached through pyenv, PATH and an explicit link is listed once."""
    bindir = tmp_path / "bin"
    _link(sys.executable, bindir / "python3")
    _link(sys.executable, bindir / "python")
    env = {"PATH": str(bindir), "HOME": "/nonexistent"}
    found, _ = discovery.discover(explicit=[str(bindir / "python")], environ=env,
                                  roots=[fake_pyenv])
    assert len(found) == 1
    assert found[0].origin == "explicit"


def test_broken_and_python2_candidates_are_rejected_with_a_reason(tmp_path: Path) -> None:
    """A crashing binary and a Python-2-like binary are rejected, each with a reason."""
    bindir = tmp_path / "bin"
    _script(bindir / "python3", "exit 3")
    _script(bindir / "python2", "echo 'Unknown option: -I' >&2; exit 2")
    env = {"PATH": str(bindir), "HOME": "/nonexistent"}
    found, rejected = discovery.discover(explicit=[str(bindir / "python2")], environ=env,
                                         roots=[])
    assert found == []
    reasons = {Path(r.path).name: r.reason for r in rejected}
    assert "not a working Python 3 (exit 3" in reasons["python3"]
    assert "Unknown option" in reasons["python2"]


def test_explicit_missing_path_is_rejected(tmp_path: Path) -> None:
    """An explicitly named interpreter that does not exist is reported, not ignored."""
    missing = str(tmp_path / "nope" / "python3")
    found, rejected = discovery.discover(explicit=[missing], environ={"PATH": ""}, roots=[])
    assert found == []
    assert rejected == [discovery.Rejected(missing, "no executable file at this path")]


def test_env_var_names_extra_interpreters(tmp_path: Path) -> None:
    """HARNESS_PYTHONS adds interpreters (os.pathsep-separated)."""
    link = _link(sys.executable, tmp_path / "custom" / "python3")
    pairs = discovery.candidate_paths(environ={discovery.ENV_VAR: str(link), "PATH": ""},
                                      roots=[])
    assert pairs == [(str(link), "explicit")]


def test_session_names() -> None:
    """nox session names follow nox's spelling: 3.12, 3.13t, pypy3.9."""
    base: Dict[str, Any] = {"path": "p", "real_path": "p", "origin": "PATH"}
    assert discovery.Interpreter(implementation="cpython", version=(3, 12, 1),
                                 free_threading=False, **base).session_name == "3.12"
    assert discovery.Interpreter(implementation="cpython", version=(3, 13, 0),
                                 free_threading=True, **base).session_name == "3.13t"
    assert discovery.Interpreter(implementation="pypy", version=(3, 9, 16),
                                 free_threading=False, **base).session_name == "pypy3.9"


def test_pyenv_roots_from_env(tmp_path: Path) -> None:
    """$PYENV_ROOT is honoured when it exists."""
    (tmp_path / "versions").mkdir()
    roots = discovery.pyenv_roots({"PYENV_ROOT": str(tmp_path), "HOME": "/nonexistent",
                                   "PATH": os.environ.get("PATH", "")})
    assert tmp_path.resolve() in [r.resolve() for r in roots]


def _fake_python(path: Path, version: str) -> Path:
    """A script that answers discovery's question as CPython ``version`` at ``path``."""
    parts = ", ".join(version.split("."))
    return _script(path, "echo '{\"implementation\": \"cpython\", \"version\": [%s], "
                         "\"releaselevel\": \"final\", \"free_threading\": false, "
                         "\"executable\": \"%s\"}'" % (parts, path))


def test_a_second_binary_of_one_session_name_is_listed_not_dropped(tmp_path: Path) -> None:
    """pyenv's 3.11.7 and PATH's 3.11.2 are both `3.11`: the first found is used, the other is
    a reject that names its release, the one used and how to pick it (it was silently gone)."""
    pyenv = tmp_path / "pyenv"
    first = _fake_python(pyenv / "versions" / "3.11.7" / "bin" / "python3.11", "3.11.7")
    second = _fake_python(tmp_path / "bin" / "python3", "3.11.2")
    found, rejected = discovery.discover(environ={"PATH": str(second.parent),
                                                  "HOME": "/nonexistent"}, roots=[pyenv])
    assert [(i.path, i.version) for i in found] == [(str(first), (3, 11, 7))]
    assert rejected == [discovery.Rejected(
        str(second), "CPython 3.11.2: the name 3.11 goes to CPython 3.11.7 at %s, found first; "
        "name this path with --python to use it" % first, (3, 11, 2), "cpython")]


def test_an_unreadable_pyenv_root_is_no_root_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A $PYENV_ROOT this user may not look into (sudo kept root's) is skipped, not raised."""
    locked = tmp_path / "locked" / "pyenv"

    def refuse(self: Path) -> bool:
        if str(self).startswith(str(locked)):
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    original = Path.is_dir
    monkeypatch.setattr(Path, "is_dir", refuse)
    roots = discovery.pyenv_roots({"PYENV_ROOT": str(locked), "HOME": "/nonexistent",
                                   "PATH": ""})
    assert locked not in roots



@contextlib.contextmanager
def hanging_wrapper(tmp_path: Path) -> Iterator[Path]:
    """An interpreter command that never answers: a shell script whose child sleeps. After the
    block, neither it nor anything of its session is left (an old timeout killed only the
    script, and its sleep went on under init)."""
    wrapper = _script(tmp_path / "python3", 'echo $$ > "%s"; sh -c \'echo $$ > "%s"; '
                      'exec sleep 300\'' % (tmp_path / "wrapper.pid", tmp_path / "sleep.pid"))
    try:
        yield wrapper
        session = int((tmp_path / "wrapper.pid").read_text())
        sleeper = int((tmp_path / "sleep.pid").read_text())
        deadline = time.monotonic() + 5
        while _alive(sleeper) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(sleeper)
        assert [pid for pid, (_, sid, state) in _procs.proc_table().items()
                if sid == session and state != "Z"] == []
    finally:
        pidfile = tmp_path / "sleep.pid"
        sleeper = int(pidfile.read_text() or 0) if pidfile.exists() else 0
        if sleeper and _alive(sleeper):
            os.kill(sleeper, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Running (a zombie has ended: its parent reaps it)."""
    return pid in {p for p, (_, _, state) in _procs.proc_table().items() if state != "Z"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")
def test_a_wrapper_that_hangs_leaves_no_process_and_one_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Review r5: the line also quoted the query's whole code; now it is short."""
    monkeypatch.setattr(discovery, "ANSWER_S", 1, raising=False)
    with hanging_wrapper(tmp_path) as wrapper:
        rejected = discovery.inspect_interpreter(str(wrapper))
    assert rejected == discovery.Rejected(str(wrapper), "did not answer within 1 s")


def test_an_interpreters_default_start_method_is_known_from_discovery() -> None:
    """``check`` marks the default method's cell even when no run reported it (every run hit
    the time limit: r10 F-D): discovery asks the interpreter, as ``check_exec`` does."""
    import multiprocessing

    found = discovery.inspect_interpreter(sys.executable)
    assert isinstance(found, discovery.Interpreter)
    assert found.default_method == multiprocessing.get_all_start_methods()[0]


def test_an_interpreter_whose_multiprocessing_fails_to_import_is_still_usable(
        tmp_path: Path) -> None:
    """Review r12 L3: the default start method is a nicety of check's; an interpreter without
    a working multiprocessing is found, its default method unknown (""). The wrapper runs
    the query with ``import multiprocessing`` failing (ModuleNotFoundError)."""
    run = "import sys; sys.modules['multiprocessing'] = None; exec(sys.argv[1])"
    wrapper = _script(tmp_path / "python3", 'exec "%s" -I -c "%s" "$3"' % (sys.executable, run))
    found = discovery.inspect_interpreter(str(wrapper))
    assert isinstance(found, discovery.Interpreter), found
    assert found.default_method == ""
