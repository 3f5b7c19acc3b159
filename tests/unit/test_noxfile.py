"""noxfile.py: `nox -s matrix` runs every interpreter the machine has, the Debian root's too."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, List

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def noxfile() -> ModuleType:
    pytest.importorskip("nox")
    spec = importlib.util.spec_from_file_location("_noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("argv", "whole"), [
    ([], True),                                    # plain `nox`: the default tag
    (["-s", "matrix"], True),
    (["--session", "matrix", "--", "-k", "methods"], True),  # pytest's -k is not nox's
    (["-s", "matrix", "report"], True),
    (["-e", "matrix"], True),
    (["-s", "matrix-3.12"], False),
    (["-s", "matrix", "-p", "3.12"], False),
    (["-k", "3.12"], False),
    (["-s", "tests"], False),
    (["-t", "matrix"], True),                      # root sessions are queued by the tag already
])
def test_whole_matrix_follows_the_command_line(noxfile: ModuleType, argv: List[str],
                                               whole: bool) -> None:
    """Only a selection of the whole `matrix` session adds the root's interpreters."""
    assert noxfile.whole_matrix(argv) is whole


def test_the_root_sessions_exist(noxfile: ModuleType) -> None:
    """Every root interpreter the matrix session notifies is a session nox knows."""
    assert noxfile.ROOT_PYTHONS
    assert all(isinstance(v, str) for v in noxfile.ROOT_PYTHONS)
    assert "matrix" in sys.modules["nox"].registry.get()
    assert "matrix_root" in sys.modules["nox"].registry.get()


def test_the_report_session_ends_the_run_with_the_page(
        noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """After nox's session summary (21 lines for `nox -s matrix`, which pushed the report's
    own line off a 24-line screen) the last line names the page and summary.md: printed at
    exit, after everything nox writes."""
    at_exit: List[Any] = []
    ran: List[Any] = []
    monkeypatch.setattr(noxfile.atexit, "register", lambda *call: at_exit.append(call))
    monkeypatch.setattr(noxfile.glob, "glob", lambda pattern: ["linux-cpython-3.12.json"])
    monkeypatch.setattr(noxfile, "_say_coverage", lambda session: None)
    session = SimpleNamespace(posargs=[], install=lambda *a: None,
                              run=lambda *a, **k: ran.append(a), error=pytest.fail)
    noxfile.report(session)
    assert ran and ran[0][:4] == ("python", "-m", "harness", "report")
    ((say, line),) = at_exit
    say(line)
    reports = ROOT / "reports"
    assert capsys.readouterr().err == "nox > the report: %s (open it in a browser; in short: " \
                                      "%s)\n" % (reports / "index.html", reports / "summary.md")


def test_the_report_session_says_what_it_looked_for_and_did_not_run(
        noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The interpreters the noxfile looked for and did not find reach `harness report` as
    --not-run, each with why, so that their slots say "not run — why" (not silently absent);
    one with a results file is not passed (the report noted each such, every run: r1 #7)."""
    from harness import discovery
    from harness.guest.probe import os_name

    ran: List[Any] = []
    monkeypatch.setenv("HARNESS_ROOT_DIR", str(tmp_path / "no-root"))
    monkeypatch.setattr(noxfile, "PYTHONS", ["3.12", "3.13", "3.14", "3.15t"])
    monkeypatch.setattr(noxfile, "FOUND", [discovery.Interpreter(
        "/p/python3.%d" % minor, "/p/python3.%d" % minor, "cpython", (3, minor, 1), False,
        "pyenv") for minor in (12, 13)])
    monkeypatch.setattr(noxfile, "REJECTED", [discovery.Rejected(
        "/p/python3.15t", "not a working Python 3 (exit 127: pyenv: version not installed)")])
    monkeypatch.setattr(noxfile.atexit, "register", lambda *call: None)
    here = os_name(sys.platform)
    monkeypatch.setattr(noxfile.glob, "glob", lambda pattern: [
        "/r/%s-cpython-3.12.json" % here, "/r/%s-cpython-3.14-root.json" % here])
    monkeypatch.setattr(noxfile, "_say_coverage", lambda session: None)
    session = SimpleNamespace(posargs=[], install=lambda *a: None,
                              run=lambda *a, **k: ran.append(a), error=pytest.fail)
    noxfile.report(session)
    assert [a for a in ran[0] if a.startswith("--not-run")] == [
        "--not-run=%s-cpython-3.13=found here; no results file from it" % here,
        "--not-run=%s-cpython-3.15t=found but broken: not a working Python 3 (exit 127: "
        "pyenv: version not installed)" % here]


def test_a_matrix_run_that_stops_before_the_report_says_the_page_is_old(
        noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C (or one interpreter's failed run) ends `nox -s matrix` before its report session:
    the page on disk is an older run's, and the last line says so (review r2: nothing did)."""
    at_exit: List[Any] = []
    monkeypatch.delenv("HARNESS_NO_REPORT", raising=False)
    monkeypatch.setattr(noxfile, "_RUN", {"report_reached": False, "hint_registered": False})
    monkeypatch.setattr(noxfile.atexit, "register", lambda *call: at_exit.append(call))
    monkeypatch.setattr(noxfile, "_git_commit", lambda: "0" * 40)

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    session = SimpleNamespace(posargs=[], install=lambda *a: None, run=interrupted)
    with pytest.raises(KeyboardInterrupt):
        noxfile.matrix(session)
    ((say,),) = at_exit
    say()
    assert capsys.readouterr().err.startswith("nox > the report was not rebuilt (the run "
                                              "stopped before it): `nox -s report` builds it")
    noxfile._RUN["report_reached"] = True  # the report session ran: its own lines say it
    say()
    assert capsys.readouterr().err == ""


def test_the_commit_given_to_the_run_is_git_s_answer_not_its_warnings(
        noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """nox's session.run(silent=True) returns stdout and stderr together: a git warning (here
    `git tag HEAD`'s "refname is ambiguous") must not become the page's commit (review r2 F13)."""
    sha = "6e6058609fa2026204c8ac8f5303fa82060a5bbc"
    git = tmp_path / "git"
    git.write_text("#!/bin/sh\necho \"warning: refname 'HEAD' is ambiguous.\" >&2\necho %s\n" % sha)
    git.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, os.environ["PATH"]))
    monkeypatch.setenv("HARNESS_NO_REPORT", "1")
    monkeypatch.setattr(noxfile, "whole_matrix", lambda argv: False)
    envs: List[Any] = []

    def run(*args: str, env: Any = None, silent: bool = False, **kwargs: Any) -> Any:
        if args[0] != "git":
            envs.append(env)
            return None
        both = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        return both.stdout.decode() if silent else None  # as nox does

    noxfile.matrix(SimpleNamespace(posargs=[], install=lambda *a: None, run=run))
    assert [env["HARNESS_GIT_COMMIT"] for env in envs] == [sha]



def test_the_tests_session_runs_what_its_arguments_name() -> None:
    """`nox -s tests -- FILE` runs that file (the session passed `tests` too, and so ran the
    whole suite; review r11): a run naming no test gets pyproject's testpaths."""
    source = (ROOT / "noxfile.py").read_text()
    body = source[source.index("def tests("):source.index("\n@nox.session", source.index(
        "def tests("))]
    assert '"pytest", *session.posargs)' in body and '"tests"' not in body
    assert 'testpaths = ["tests"]' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_the_tests_session_skips_off_linux_with_why(
        noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch, platform: str) -> None:
    """The suite needs Linux (/proc, /dev/shm, fork, POSIX signals): on macOS and Windows the
    session said nothing of it, installed and ran, and failed test after test."""
    done: List[Any] = []

    def skip(reason: str) -> None:
        raise pytest.skip.Exception(reason)  # as nox's session.skip ends the session

    monkeypatch.setattr(sys, "platform", platform)
    session = SimpleNamespace(posargs=[], install=lambda *a: done.append(a), skip=skip,
                              run=lambda *a, **k: done.append(a))
    with pytest.raises(pytest.skip.Exception) as skipped:
        noxfile.tests(session)
    assert done == []
    assert "run on Linux only" in str(skipped.value) and platform in str(skipped.value)


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_the_root_sessions_skip_off_linux_with_why(
        noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch, platform: str) -> None:
    """debootstrap, chroot and mount namespaces are Linux's: on macOS and Windows the root's
    sessions said "(`nox -s provision`, as root)", a hint that cannot work there (review r20)."""
    def skip(reason: str) -> None:
        raise pytest.skip.Exception(reason)

    monkeypatch.delenv("HARNESS_NO_ROOT", raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    with pytest.raises(pytest.skip.Exception) as skipped:
        noxfile.matrix_root(SimpleNamespace(skip=skip), "3.13")
    assert str(skipped.value) == (
        f"the Debian root's interpreters run on Linux only, not on {platform}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the root is Linux's")
def test_a_root_session_releases_only_its_own_run(
        noxfile: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """The root is shared (another terminal's `harness check`, another user's run): the session
    releases it with a mark of its own run, made before the run starts, so that only its own
    processes are killed (review r20 F3: every process in the root was)."""
    from harness import provision

    found = SimpleNamespace(path="/root:/usr/bin/python3.13", argv=lambda: ["python3.13"])
    monkeypatch.setattr(noxfile.discovery, "root_interpreters", lambda root: ([found], []))
    monkeypatch.setattr(noxfile, "_git_commit", lambda: "0" * 40)
    monkeypatch.setenv("HARNESS_NO_REPORT", "1")
    monkeypatch.delenv("HARNESS_NO_ROOT", raising=False)
    events: List[Any] = []

    def release(root: Path, out: Any, *kill: Any) -> List[str]:
        events.append(kill)
        return []

    monkeypatch.setattr(provision, "release", release)
    session = SimpleNamespace(posargs=[], install=lambda *a: None, log=events.append,
                              run=lambda *a, **k: events.append(provision.ThisRun.now()))
    noxfile.matrix_root(session, "3.13")
    started, (mark,) = events
    assert isinstance(mark, provision.ThisRun)
    assert mark.pid == os.getpid() and mark.since <= started.since
