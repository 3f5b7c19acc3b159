"""The environment probe of an interpreter command that misbehaves (a wrapper printing a
banner, one that hangs): one line naming the command and exit 2, nothing left running (review
r5: a 34-line INTERNALERROR traceback, exit 1; a hang leaked the wrapper's children)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import envprobe
from tests.unit.test_discovery import _script, hanging_wrapper

ROOT = Path(__file__).resolve().parents[2]


def test_a_probe_that_prints_no_json_is_one_line_and_exit_2(tmp_path: Path) -> None:
    junk = _script(tmp_path / "python3", 'case "$*" in *probe.py*) echo "Welcome banner";; '
                   'esac; exec "%s" "$@"' % sys.executable)
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--python", str(junk), "-k", "freeze",
         "--methods", "fork", "--results-dir", str(tmp_path / "results")],
        cwd=str(ROOT), capture_output=True, text=True, timeout=120, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "INTERNALERROR" not in out and "Traceback" not in out, out
    assert "the environment probe of %r printed no JSON object, but: Welcome banner" % (
        [str(junk)],) in out, out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")
def test_a_probe_that_hangs_is_stopped_with_its_children(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(envprobe, "PROBE_S", 1)
    with hanging_wrapper(tmp_path) as wrapper, pytest.raises(pytest.UsageError) as raised:
        envprobe.environment([str(wrapper)])
    assert str(raised.value) == "the environment probe of %r did not answer within 1 s" % (
        [str(wrapper)],)


def test_a_run_shows_no_pytest_warning_of_its_own(tmp_path: Path) -> None:
    """`run` imported the plugin module before pytest loaded it (to reset a flag), and every run
    ended in a "warnings summary": PytestAssertRewriteWarning, Module already imported."""
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--python", sys.executable, "-k", "freeze",
         "--methods", "fork", "--results-dir", str(tmp_path / "results")],
        cwd=str(tmp_path), env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=120, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "warnings summary" not in out and "PytestAssertRewriteWarning" not in out, out


@pytest.mark.parametrize("host_commit", ["ab" * 20, None], ids=["checkout", "no-checkout"])
def test_a_run_not_started_by_nox_records_the_hosts_commit(
        host_commit: "str | None", monkeypatch: pytest.MonkeyPatch) -> None:
    """Only nox passed HARNESS_GIT_COMMIT: `run --python <Debian root wrapper>` recorded commit
    "unknown", the root having no git (review r16 #9). The host's checkout fills it; without
    one (or without git) it stays unknown, no error. The wrapper here has no git on its PATH."""
    from harness.guest import probe

    monkeypatch.delenv("HARNESS_GIT_COMMIT", raising=False)
    monkeypatch.setattr(probe, "git_commit", lambda: host_commit)
    env = envprobe.environment(["env", "PATH=/nonexistent", sys.executable])
    assert env["git_commit"] == host_commit
