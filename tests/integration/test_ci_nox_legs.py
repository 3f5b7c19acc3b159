"""Legs run through nox, as a runner runs them: a normal leg, one on the oldest CPython of
the matrix and one on PyPy pass, a leg whose interpreter is missing fails, and a leg whose
case executors all exit at once fails on the leg check. (The data path after the legs:
``test_ci_simulation.py``.)
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from harness import discovery
from tests.integration import ci_play
from tests.integration.ci_play import LINUX_LABEL, ROOT, SUBSET

pytestmark = pytest.mark.slow


# --- Legs through nox: the workflow's own leg steps, as a runner would run them ---------------
#
# Each leg gets a fresh copy of the checkout, a PATH that starts with the interpreter under
# test's folder (as setup-python leaves it) and then only system folders: the host nox runs as
# "$HOST_PYTHON" -m nox, off PATH, and HOME is empty, so no pyenv and no uv-managed Python is
# found. `CI=true` as on hosted runners (nox then fails on a missing interpreter).


def _leg_python(python_names: List[str]) -> discovery.Interpreter:
    """A local CPython of the workflow's matrix that is a whole installation (so that the
    all-crash leg can copy it), the newest such."""
    found, _ = discovery.discover()
    for interp in sorted(found, key=lambda i: [int(n) for n in i.short_version.split(".")],
                         reverse=True):
        prefix = Path(interp.real_path).parents[1]
        if (interp.session_name in python_names and interp.implementation == "cpython"
                and not interp.command and str(prefix) not in ("/usr", "/")
                and (prefix / "lib" / f"python{interp.short_version}" / "site.py").is_file()):
            return interp
    pytest.skip(f"needs a local CPython installation among {python_names}")


def _oldest_python(python_names: List[str]) -> "discovery.Interpreter | None":
    """The oldest local CPython (not free-threaded) that is a leg of the workflow's matrix."""
    found = [i for i in discovery.discover()[0] if i.session_name in python_names
             and i.implementation == "cpython" and not i.free_threading and not i.command]
    return min(found, key=lambda i: i.version) if found else None


def _local_pypy() -> "discovery.Interpreter | None":
    """A local PyPy that is a whole installation (not the Debian root's, run in a chroot)."""
    found = [i for i in discovery.discover()[0]
             if i.implementation == "pypy" and not i.command]
    return found[-1] if found else None


def _setup_python(interp: discovery.Interpreter, bindir: Path) -> Path:
    """A folder as setup-python leaves first on PATH: python, python3, pythonX.Y (for PyPy
    also pypy3 and pypyX.Y, the names nox looks for)."""
    bindir.mkdir(parents=True)
    names = ["python", "python3", f"python{interp.short_version}"]
    if interp.implementation == "pypy":
        names += ["pypy3", f"pypy{interp.short_version}"]
    for name in names:
        (bindir / name).symlink_to(interp.real_path)
    return bindir


def _broken_copy(interp: discovery.Interpreter, where: Path) -> Path:
    """A copy of ``interp``'s installation (hard links) whose case executors exit 3 at once:
    a sitecustomize module in its standard library (imported at every start, -I included)
    ends the process when the script is the harness's executor. Everything else (nox's
    discovery, uv, the harness itself) works."""
    prefix = Path(interp.real_path).parents[1]
    proc = subprocess.run(["cp", "-al", str(prefix), str(where)], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot hard-link a copy of {prefix}: {proc.stderr.strip()}")
    hook = where / "lib" / f"python{interp.short_version}" / "sitecustomize.py"
    if hook.exists():
        hook.unlink()  # never write through a hard link: that would change the original
    hook.write_text("import os, sys\nif sys.argv and sys.argv[0].endswith('executor.py'):\n"
                    "    os._exit(3)\n", encoding="utf-8")
    return where / "bin"


def _leg_env(doc: Dict[str, Any], leg: Dict[str, str], bindir: Path,
             home: Path) -> Dict[str, str]:
    job = doc["jobs"]["matrix"]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "PYENV", "NOX", "VIRTUAL_ENV", "HARNESS_"))}
    env.update({str(k): str(v) for k, v in doc.get("env", {}).items()})
    env.update({str(k): ci_play.expand(str(v), leg) for k, v in job["env"].items()})
    uv_cache = Path(os.environ.get("UV_CACHE_DIR", Path.home() / ".cache" / "uv"))
    env.update(CI="true", ImageOS="ubuntu24", HOME=str(home), HOST_PYTHON=sys.executable,
               UV_CACHE_DIR=str(uv_cache), PATH=os.pathsep.join([str(bindir), "/usr/bin", "/bin"]))
    return env


def _checkout(where: Path) -> Path:
    shutil.copytree(ROOT, where, ignore=shutil.ignore_patterns(
        ".git", ".nox", "reports", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"))
    return where


def _play_leg(doc: Dict[str, Any], tmp: Path, label: str, python: str,
              bindir: Path) -> Dict[str, subprocess.CompletedProcess[str]]:
    """The leg's steps after setup: the smoke job's (nox -l, one case, the check) and the
    matrix job's nox step on the same slice, then its check step, all verbatim."""
    leg = {"os": LINUX_LABEL, "python": python}
    workspace = _checkout(tmp / label / "checkout")
    (tmp / label / "home").mkdir()
    env = _leg_env(doc, leg, bindir, tmp / label / "home")
    matrix_job, smoke_job = doc["jobs"]["matrix"], doc["jobs"]["smoke"]
    nox_step = dict(ci_play.step(matrix_job, name="nox -s matrix-${{ matrix.python }}"))
    nox_step["run"] = nox_step["run"].rstrip() + f" -- -k {SUBSET}"  # a small slice
    steps = [("list", ci_play.step(smoke_job, name="nox -l (load the noxfile)")),
             ("smoke", ci_play.step(smoke_job, name="One case through nox")),
             ("nox", nox_step),
             ("check", ci_play.step(matrix_job, name="Check the run proves it tested this leg's "
                                               "interpreter"))]
    done = {}
    for name, step in steps:
        if name == "nox":
            shutil.rmtree(workspace / "reports", ignore_errors=True)  # the smoke's file
        done[name] = ci_play.run_step(step, workspace, env)
    return done


@pytest.fixture(scope="module")
def nox_legs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """A normal leg, a leg whose interpreter is missing and a leg whose executors all crash,
    played at once."""
    doc = ci_play.workflow()
    tmp = tmp_path_factory.mktemp("nox-legs")
    pythons = [str(p) for p in doc["jobs"]["matrix"]["strategy"]["matrix"]["python"]]
    interp = _leg_python(pythons)
    normal_bin = _setup_python(interp, tmp / "setup-python" / "bin")
    crash_bin = _broken_copy(interp, tmp / "broken-python")
    missing = next(p for p in reversed(pythons) if not p.startswith("pypy")
                   and not any(i.session_name == p for i in discovery.discover()[0]))
    empty_bin = tmp / "empty" / "bin"
    empty_bin.mkdir(parents=True)
    legs = {"normal": (interp.session_name, normal_bin),
            "crash": (interp.session_name, crash_bin),
            "missing": (missing, empty_bin)}
    # The harness itself (cli, plugin, runner) runs inside the leg's venv, on the interpreter
    # under test: the oldest CPython of the matrix too, not only the newest found here.
    oldest = _oldest_python(pythons)
    if oldest is not None and oldest.session_name != interp.session_name:
        oldest_bin = _setup_python(oldest, tmp / "setup-python-oldest" / "bin")
        legs["oldest"] = (oldest.session_name, oldest_bin)
    # Under PyPy too: the harness's plugin runs in the leg's venv, on PyPy (whose os module
    # lacks names CPython has: os.O_ACCMODE ended every PyPy session at its start once).
    pypy = _local_pypy()
    if pypy is not None:
        legs["pypy"] = (pypy.session_name, _setup_python(pypy, tmp / "setup-pypy" / "bin"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(legs)) as pool:
        futures = {label: pool.submit(_play_leg, doc, tmp, label, python, bindir)
                   for label, (python, bindir) in legs.items()}
        played = {label: future.result(timeout=1200) for label, future in futures.items()}
    return {"played": played, "legs": legs, "tmp": tmp}


def _log(proc: subprocess.CompletedProcess[str]) -> str:
    return (proc.stdout + proc.stderr)[-4000:]


def test_a_normal_leg_passes_through_nox(nox_legs: Dict[str, Any]) -> None:
    """nox loads the noxfile, runs matrix-X.Y on the interpreter first on PATH (not the host's
    and not pyenv's), and the leg check accepts what it wrote."""
    played = nox_legs["played"]["normal"]
    python, bindir = nox_legs["legs"]["normal"]
    for step in ("list", "smoke", "nox", "check"):
        assert played[step].returncode == 0, (step, _log(played[step]))
    assert f"matrix-{python}" in played["list"].stdout
    assert "proves its run" in played["check"].stdout
    results = nox_legs["tmp"] / "normal" / "checkout" / "reports" / "results"
    (path,) = results.glob("*.json")
    env = json.loads(path.read_text(encoding="utf-8"))["harness"]["environment"]
    assert env["is_ci"] is True  # CI=true reached the probe, and the runner's image
    assert env["ci"] == {"image_os": "ubuntu24"}
    assert ".nox" in env["executable"]  # nox's venv, made from the interpreter under test
    assert Path(env["executable"]).resolve() == (bindir / "python").resolve()


def test_a_leg_on_the_oldest_cpython_passes_through_nox(nox_legs: Dict[str, Any]) -> None:
    """The harness's own code runs in the leg's venv on the interpreter under test: on the
    oldest CPython of the matrix (3.9) it loads, runs the slice and passes the leg check."""
    if "oldest" not in nox_legs["played"]:
        pytest.skip("no local CPython of the matrix older than the normal leg's")
    played = nox_legs["played"]["oldest"]
    python, _ = nox_legs["legs"]["oldest"]
    for step in ("list", "smoke", "nox", "check"):
        assert played[step].returncode == 0, (step, _log(played[step]))
    results = nox_legs["tmp"] / "oldest" / "checkout" / "reports" / "results"
    (path,) = results.glob("*.json")
    env = json.loads(path.read_text(encoding="utf-8"))["harness"]["environment"]
    assert env["python_version"].startswith(python + "."), env["python_version"]


def test_a_pypy_leg_passes_through_nox(nox_legs: Dict[str, Any]) -> None:
    """On PyPy the harness's own code (cli, plugin, runner) runs in the leg's PyPy venv: it
    loads, runs the slice and passes the leg check."""
    if "pypy" not in nox_legs["played"]:
        pytest.skip("no local PyPy installation (apt install pypy3)")
    played = nox_legs["played"]["pypy"]
    for step in ("list", "smoke", "nox", "check"):
        assert played[step].returncode == 0, (step, _log(played[step]))
    results = nox_legs["tmp"] / "pypy" / "checkout" / "reports" / "results"
    (path,) = results.glob("*.json")
    env = json.loads(path.read_text(encoding="utf-8"))["harness"]["environment"]
    assert env["implementation"] == "pypy", env


def test_a_leg_whose_interpreter_is_missing_fails(nox_legs: Dict[str, Any]) -> None:
    """With CI=true nox fails the session instead of skipping it; the check fails too."""
    played = nox_legs["played"]["missing"]
    python, _ = nox_legs["legs"]["missing"]
    assert played["nox"].returncode != 0, _log(played["nox"])
    assert "not found" in _log(played["nox"]) and python in _log(played["nox"])
    assert played["check"].returncode != 0
    assert "reports/results: no such file or folder" in played["check"].stderr


def test_a_leg_whose_executors_all_crash_fails(nox_legs: Dict[str, Any]) -> None:
    """`harness run` exits 0 with every cell `crash` (crashes are findings); the leg check
    is what fails the leg."""
    played = nox_legs["played"]["crash"]
    assert played["nox"].returncode == 0, _log(played["nox"])
    results = nox_legs["tmp"] / "crash" / "checkout" / "reports" / "results"
    (path,) = results.glob("*.json")
    cells = [t["metadata"] for t in json.loads(path.read_text(encoding="utf-8"))["tests"]]
    assert cells and {c["outcome"] for c in cells} == {"crash"}
    assert played["check"].returncode != 0
    assert "no ok cell" in played["check"].stderr
    assert "cells that ran are crash or harness errors (100%" in played["check"].stderr
    assert played["smoke"].returncode == 0 and played["list"].returncode == 0


# --- A leg step that overruns its limit, cancelled as the runner cancels it -----------------
#
# actions/runner (src/Runner.Sdk/ProcessInvoker.cs) on a step timeout: SIGINT to the step's
# process alone, SIGTERM 7.5 s later, SIGKILL 2.5 s after that. The upload step runs right
# after: the finished cells must be on disk by then.

#: The canary (done in about a second) and a fork cell that hangs to its timeout: the cancel
#: lands while the run is surely still going.
CANCEL_SLICE = "global_assigned_in_main or lock_held_by_thread_at_fork"


def test_a_leg_cancelled_on_its_step_timeout_leaves_its_finished_cells(
        tmp_path: Path) -> None:
    """The cancelled nox step (exec: nox is the step's process) passes the SIGINT on and the
    harness writes the cells it finished as an interrupted run before the step is killed;
    the leg check then lets the upload publish it (exit 3). Without exec, bash swallowed the
    SIGINT, died of the SIGTERM, and left nox and the harness running with nothing written."""
    doc = ci_play.workflow()
    pythons = [str(p) for p in doc["jobs"]["matrix"]["strategy"]["matrix"]["python"]]
    interp = _leg_python(pythons)
    bindir = _setup_python(interp, tmp_path / "setup-python" / "bin")
    workspace = _checkout(tmp_path / "checkout")
    (tmp_path / "home").mkdir()
    (tmp_path / "scripts").mkdir()
    env = _leg_env(doc, {"os": LINUX_LABEL, "python": interp.session_name}, bindir,
                   tmp_path / "home")
    job = doc["jobs"]["matrix"]
    step = dict(ci_play.step(job, name="nox -s matrix-${{ matrix.python }}"))
    step["run"] = step["run"].rstrip() + f' -- -k "{CANCEL_SLICE}"'
    proc = ci_play.start_step(step, workspace, tmp_path / "scripts", env)
    results = workspace / "reports" / "results"
    seen = ""
    try:
        assert proc.stdout is not None
        # The harness's header line, then its progress: a "." as each cell finishes.
        while not seen.endswith(".") or "\nharness: linux" not in seen:
            char = proc.stdout.read(1)
            assert char, seen
            seen += char
        assert not list(results.glob("*.json")), "the run ended before the cancel"
        proc.send_signal(signal.SIGINT)
        for sig, grace in ((signal.SIGTERM, 7.5), (signal.SIGKILL, 2.5)):
            try:
                proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                proc.send_signal(sig)
        proc.wait(timeout=10)
        # The upload step starts now: what it finds is what the leg ships.
        files = list(results.glob("*.json"))
        assert len(files) == 1, seen + (proc.stdout.read() or "")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the old line's orphans: nox, the harness
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
    document = json.loads(files[0].read_text(encoding="utf-8"))
    assert document["harness"]["environment"]["interrupted"] is True
    outcomes = {(t["metadata"]["case"], t["metadata"]["method"]): t["metadata"]["outcome"]
                for t in document["tests"]}
    # at least the one cell whose "." was seen, and the cancelled fork hang is not among them
    assert "ok" in outcomes.values(), outcomes
    assert ("deadlock.lock_held_by_thread_at_fork", "fork") not in outcomes, outcomes
    check_env = dict(env, GITHUB_OUTPUT=str(tmp_path / "check-output"))
    check = ci_play.run_step(ci_play.step(job, ident="check"), workspace, check_env)
    assert check.returncode == 3, _log(check)
    assert ci_play.outputs(check_env) == {"status": "3"}
