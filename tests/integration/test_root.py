"""The Debian root's interpreters end to end: discovery, a real run through the chroot wrapper,
what the probe records, and that nothing stays mounted or running in the root afterwards — after
a normal run, a case that times out, a wrapper error and a Ctrl-C.

Needs a provisioned root (`python -m harness provision`, as root); skips otherwise.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from harness import chroot, discovery, provision, runner

ROOT = Path(__file__).resolve().parents[2]
ROOT_DIR = provision.default_root_dir()
MARKER = provision.read_marker(ROOT_DIR)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(MARKER is None, reason="no Debian root provisioned (harness provision)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="running in the root needs root"),
]
SUBSET = "methods"
_ASK = ("import json, multiprocessing as mp, sys; print(json.dumps({'methods': "
        "mp.get_all_start_methods(), 'default': mp.get_start_method(), 'os': open("
        "'/etc/os-release').read(), 'version': list(sys.version_info[:3])}))")


@pytest.fixture(autouse=True)
def _root_not_in_use() -> None:
    """The process table check cannot tell another run's processes from a leak of ours."""
    if chroot.processes_in_root(str(ROOT_DIR)):
        pytest.skip("another run is using the Debian root right now")


def _released() -> None:
    """The run left nothing behind: no mount under the root, no process inside it."""
    assert chroot.mounts_under(str(ROOT_DIR)) == []
    deadline = time.monotonic() + 5  # a SIGKILLed process may take a moment to be reaped
    while chroot.processes_in_root(str(ROOT_DIR)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert chroot.processes_in_root(str(ROOT_DIR)) == []


@pytest.fixture(scope="module")
def interpreters() -> Dict[str, discovery.Interpreter]:
    found, rejected = discovery.root_interpreters(ROOT_DIR)
    assert not rejected, rejected
    return {i.session_name: i for i in found}


def _ask(interp: discovery.Interpreter) -> Dict[str, object]:
    proc = subprocess.run([*interp.argv(), "-I", "-c", _ASK], capture_output=True, text=True,
                          timeout=60, check=True)
    answer: Dict[str, object] = json.loads(proc.stdout)
    return answer


def test_discovery_lists_every_interpreter_of_the_root(
        interpreters: Dict[str, discovery.Interpreter]) -> None:
    """CPython 3.13, 3.14, 3.15 and PyPy (`provision` upgrades an older root in place)."""
    programs = {i.command[-1] for i in interpreters.values()}
    assert set(provision.Config.from_env().interpreters) <= programs, "run harness provision"
    assert {"3.13", "3.14", "3.15"} <= set(interpreters)
    assert [i.version[:2] for i in interpreters.values() if i.implementation == "pypy"] == [
        (3, 11)]  # Debian sid's pypy3 8.0.1 implements Python 3.11
    for interp in interpreters.values():
        assert interp.origin == "root"
        assert interp.command[-1].startswith(("/usr/bin/python3.", "/usr/bin/pypy3"))
        seen = _ask(interp)
        assert "ID=debian" in str(seen["os"])  # it really runs in the root, not on the host
        assert tuple(seen["version"]) == interp.version  # type: ignore[arg-type]
    _released()


@pytest.fixture(scope="module")
def run_314(interpreters: Dict[str, discovery.Interpreter],
            tmp_path_factory: pytest.TempPathFactory) -> Dict[str, object]:
    out = tmp_path_factory.mktemp("root-run")
    interp = interpreters["3.14"]
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--python", shlex.join(interp.argv()),
         "--results-dir", str(out), "-k", SUBSET],
        cwd=str(ROOT), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"doc": json.loads((out / "linux-cpython-3.14-root.json").read_text()),
            "asked": _ask(interp)}


def test_results_record_the_root_and_agree_with_the_interpreter(run_314: Dict[str, Any]) -> None:
    env = run_314["doc"]["harness"]["environment"]
    asked = run_314["asked"]
    assert env["id"] == "linux-cpython-3.14"
    assert env["available_methods"] == asked["methods"]  # methods and their order
    assert env["default_method"] == asked["default"]
    assert env["root"] and "sid" in env["root"]
    assert env["os_release_file"]["ID"] == "debian"
    assert env["host_kernel"] == os.uname().release
    assert env["git_commit"] is None or len(env["git_commit"]) == 40


def test_every_selected_cell_ran_in_the_root(run_314: Dict[str, Any]) -> None:
    cells = {t["metadata"]["case"] + "[" + t["metadata"]["method"] + "]": t["metadata"]
             for t in run_314["doc"]["tests"]}
    for case in ("methods.available", "methods.default"):
        for method in ("fork", "spawn", "forkserver"):
            assert cells[f"{case}[{method}]"]["outcome"] == "ok", cells
    assert cells["methods.available[spawn]"]["observed"] == run_314["asked"]["methods"]
    assert cells["methods.default[spawn]"]["observed"]["default"] == run_314["asked"]["default"]
    _released()


def test_a_timed_out_case_leaves_nothing_in_the_root(
        interpreters: Dict[str, discovery.Interpreter]) -> None:
    run = runner.run_case("deadlock.lock_held_by_thread_at_fork", "fork", 3.0,
                          interpreters["3.15"].argv())
    assert run.outcome.value == "timeout"  # the runner killed the hung tree
    _released()


def test_a_wrapper_error_leaves_nothing_in_the_root() -> None:
    proc = subprocess.run(chroot.command(str(ROOT_DIR), "/usr/bin/no-such-python"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == chroot.EXIT_WRAPPER and "harness-root: error" in proc.stderr
    _released()


def test_ctrl_c_during_a_run_releases_the_root(
        interpreters: Dict[str, discovery.Interpreter], tmp_path: Path) -> None:
    interp = interpreters["3.14"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--python", shlex.join(interp.argv()),
         "--results-dir", str(tmp_path), "-k", "lock_held_by_thread_at_fork"],
        cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: List[int] = []
    deadline = time.monotonic() + 60
    while not seen and time.monotonic() < deadline and proc.poll() is None:
        seen = chroot.processes_in_root(str(ROOT_DIR))
        time.sleep(0.05)
    assert seen, "no process ever ran inside the root"
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    _released()


def test_the_bench_scripts_run_in_the_root(
        interpreters: Dict[str, discovery.Interpreter]) -> None:
    """The bench's hand-run floor and independent latency script run inside the root too (they
    once went to ``--results-dir``, which the root does not see)."""
    from harness.bench_floor import independent_latency, measure_floor

    argv = interpreters["3.14"].argv()
    assert measure_floor(argv, ["fork"], 1)["per_method_ms"]["fork"] > 0
    assert set(independent_latency(argv, ["fork"])) == {"fork"}
    _released()


def test_the_wrapper_run_into_the_root_imports_no_host_only_module() -> None:
    """A whole start of the wrapper (mounts, chroot, exec) without tempfile or typing: it
    runs once per cell in a root."""
    python, *wrapper = chroot.command(str(ROOT_DIR), "/bin/true")
    proc = subprocess.run([python, "-X", "importtime", *wrapper], capture_output=True,
                          text=True, timeout=60, check=True)
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert {"ctypes", "json"} <= imported  # the run path was taken (json: the root's name)
    assert not {"tempfile", "typing", "shutil", "random"} & imported
    _released()
