"""The CI data path, run locally: legs -> artifacts -> download -> report, as the workflow does.

GitHub Actions cannot run here, so this test reads ``.github/workflows/matrix.yml`` and plays
its data path on two local interpreters: each "leg" writes its results file with
``python -m harness run``, the files are packed under the artifact names the upload step
computes (``results-<os>-<python>``), unpacked the way ``download-artifact`` does with
``pattern`` + ``merge-multiple`` (one flat folder), and then the workflow's own ``run:`` scripts
are executed verbatim: the leg identity check, the not-run listing, the report command and the
job summary.

It also runs legs through nox, as a runner does (the section "Legs through nox" below): a normal
leg and one on the oldest CPython of the matrix pass, a leg whose interpreter is missing fails,
and a leg whose case executors all exit at once fails on the leg check.
"""

from __future__ import annotations

import concurrent.futures
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from harness import discovery

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "matrix.yml"
pytestmark = pytest.mark.slow

#: A small subset: one case, three cells per interpreter.
SUBSET = "global_assigned_in_main"
#: The runner label a Linux leg runs on (this machine plays that leg).
LINUX_LABEL = "ubuntu-24.04"
EXPRESSION = re.compile(r"\$\{\{\s*matrix\.(\w+)\s*\}\}")


def _workflow() -> Dict[str, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _step(job: Dict[str, Any], uses: str = "", ident: str = "", name: str = "") -> Dict[str, Any]:
    for step in job["steps"]:
        if ((uses and str(step.get("uses", "")).startswith(uses + "@"))
                or (ident and step.get("id") == ident) or (name and step.get("name") == name)):
            return step
    raise AssertionError(f"no step uses={uses!r} id={ident!r} name={name!r}")


def _expand(template: str, leg: Dict[str, str]) -> str:
    """Substitute ``${{ matrix.x }}`` the way Actions does for one leg."""
    value = EXPRESSION.sub(lambda m: leg[m.group(1)], template)
    assert "${{" not in value, value
    return value


def _run_step(step: Dict[str, Any], cwd: Path,
              env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step's script verbatim with the shell it declares (bash by default)."""
    shell = step.get("shell", "bash")
    if shell == "python":
        command = [sys.executable, "-c", step["run"]]
    else:
        assert shell == "bash", shell
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    return subprocess.run(command, cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def _legs_to_play(python_names: List[str]) -> List[Tuple[str, discovery.Interpreter]]:
    """Two local interpreters that are legs of the workflow's matrix (by nox session name)."""
    found, _ = discovery.discover()
    usable = {}
    for interp in found:
        if interp.session_name in python_names and not interp.command:
            usable.setdefault(interp.session_name, interp)
    if len(usable) < 2:
        pytest.skip(f"needs two local interpreters among {python_names}")
    names = sorted(usable, key=python_names.index)
    return [(names[0], usable[names[0]]), (names[-1], usable[names[-1]])]


@pytest.fixture(scope="module")
def ci(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """Play the whole data path once; the tests below check what it left behind."""
    doc = _workflow()
    tmp = tmp_path_factory.mktemp("ci")
    bindir = tmp / "bin"
    bindir.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    base_env.update({str(k): str(v) for k, v in doc.get("env", {}).items()})
    base_env["PATH"] = os.pathsep.join([str(bindir), base_env.get("PATH", "")])
    # The leg check runs `"$HOST_PYTHON" -m harness` from the checkout; here from the workspace.
    base_env["HOST_PYTHON"] = sys.executable
    base_env["PYTHONPATH"] = str(ROOT)

    legs_job = doc["jobs"]["matrix"]
    upload = _step(legs_job, uses="actions/upload-artifact")["with"]
    check = _step(legs_job, name="Check the run proves it tested this leg's interpreter")
    played = _legs_to_play([str(p) for p in legs_job["strategy"]["matrix"]["python"]])

    # The legs, in parallel: each writes reports/results/<env-id>.json in its own workspace.
    procs = []
    for python_name, interp in played:
        workspace = tmp / "legs" / python_name
        procs.append((python_name, workspace, subprocess.Popen(
            [sys.executable, "-m", "harness", "run", "--python", interp.path, "--results-dir",
             str(workspace / "reports" / "results"), "-k", SUBSET],
            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    artifacts: Dict[str, Dict[str, bytes]] = {}
    checks = {}
    for python_name, workspace, proc in procs:
        out, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0, out
        leg = {"os": LINUX_LABEL, "python": python_name}
        env = dict(base_env, LEG_OS=leg["os"], LEG_PYTHON=python_name)
        checks[python_name] = _run_step(check, workspace, env)
        # upload-artifact: the files the glob matches, relative to their common folder.
        matched = sorted(workspace.glob(upload["path"]))
        if matched:
            common = Path(os.path.commonpath([str(p.parent) for p in matched]))
            artifacts[_expand(upload["name"], leg)] = {
                str(p.relative_to(common)): p.read_bytes() for p in matched}
    # A leg's check must refuse a results file from another interpreter.
    first, last = played[0][0], played[-1][0]
    wrong = _run_step(check, tmp / "legs" / first,
                      dict(base_env, LEG_OS=LINUX_LABEL, LEG_PYTHON=last))

    report_job = doc["jobs"]["report"]
    job_env = dict(base_env, **{str(k): str(v) for k, v in report_job.get("env", {}).items()})
    job_env["RESULTS_DIR"] = str(tmp / job_env["RESULTS_DIR"])
    job_env["SITE_DIR"] = str(tmp / job_env["SITE_DIR"])
    job_env["GITHUB_STEP_SUMMARY"] = str(tmp / "step-summary.md")
    job_env["RUNNER_TEMP"] = str(tmp)
    # download-artifact with pattern + merge-multiple: every matching artifact into one folder.
    download = _step(report_job, uses="actions/download-artifact")["with"]
    assert download["merge-multiple"] is True
    results_dir = Path(job_env["RESULTS_DIR"])
    results_dir.mkdir()
    for name, files in sorted(artifacts.items()):
        if fnmatch.fnmatchcase(name, download["pattern"]):
            for relative, data in files.items():
                target = results_dir / relative
                assert not target.exists(), f"{name} would overwrite {relative}"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)

    steps = {}
    for label, step in (("not-run", _step(report_job, name="List legs without results (not run)")),
                        ("report", _step(report_job, ident="report")),
                        ("summary", _step(report_job, name="Write the job summary"))):
        steps[label] = _run_step(step, ROOT, job_env)
    return {"played": played, "artifacts": artifacts, "checks": checks, "wrong": wrong,
            "steps": steps, "env": job_env, "results_dir": results_dir,
            "site": Path(job_env["SITE_DIR"])}


def test_each_leg_uploads_its_file_under_its_artifact_name(ci: Dict[str, Any]) -> None:
    """Artifacts are named results-<os>-<python> and hold exactly that leg's results file."""
    names = sorted(ci["artifacts"])
    assert names == sorted(f"results-{LINUX_LABEL}-{p}" for p, _ in ci["played"])
    for files in ci["artifacts"].values():
        assert len(files) == 1 and next(iter(files)).endswith(".json")


def test_leg_check_accepts_its_own_file_and_refuses_another(ci: Dict[str, Any]) -> None:
    """The leg step that matches the results file to the leg's interpreter can fail."""
    for python_name, proc in ci["checks"].items():
        assert proc.returncode == 0, (python_name, proc.stdout, proc.stderr)
    assert ci["wrong"].returncode != 0
    assert "tested" in ci["wrong"].stderr


def test_download_lays_files_flat_by_environment(ci: Dict[str, Any]) -> None:
    """merge-multiple puts every leg's <env-id>.json side by side in RESULTS_DIR."""
    files = sorted(p.name for p in ci["results_dir"].iterdir())
    expected = sorted(f"linux-cpython-{p}.json" if not p.startswith("pypy")
                      else f"linux-pypy-{p[4:]}.json" for p, _ in ci["played"])
    assert files == expected


def test_report_command_builds_the_page_from_both_legs(ci: Dict[str, Any]) -> None:
    """The workflow's report step, run verbatim, writes index.html covering both legs."""
    proc = ci["steps"]["report"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (ci["site"] / "index.html").stat().st_size > 0
    matrix = json.loads((ci["site"] / "matrix.json").read_text(encoding="utf-8"))
    environments = {env["id"] for env in matrix["environments"] if not env.get("not_run")}
    assert {name[:-5] for name in os.listdir(ci["results_dir"])} == environments


def test_summary_md_reaches_the_step_summary(ci: Dict[str, Any]) -> None:
    """summary.md is written and appended to $GITHUB_STEP_SUMMARY by the summary step."""
    summary = ci["site"] / "summary.md"
    assert summary.exists(), "the report wrote no summary.md"
    proc = ci["steps"]["summary"]
    assert proc.returncode == 0, proc.stderr
    text = Path(ci["env"]["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.read_text(encoding="utf-8").strip() in text


def test_legs_that_produced_nothing_are_listed_as_not_run(ci: Dict[str, Any]) -> None:
    """Every workflow leg without a results file is named in the log and the summary."""
    proc = ci["steps"]["not-run"]
    assert proc.returncode == 0, proc.stderr
    played = {f"results-{LINUX_LABEL}-{p}" for p, _ in ci["played"]}
    listed = set(re.findall(r"::warning::not run: (\S+)", proc.stdout))
    assert "results-windows-2025-3.14t" in listed
    assert "results-macos-15-intel-3.15" in listed
    assert not played & listed
    summary = Path(ci["env"]["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "`results-windows-2025-pypy3.11` (windows-pypy-3.11)" in summary


def test_legs_that_produced_nothing_are_not_run_columns_in_the_report(
        ci: Dict[str, Any]) -> None:
    """The report gets a column for every leg; one without results has only not-run cells."""
    matrix = json.loads((ci["site"] / "matrix.json").read_text(encoding="utf-8"))
    envs = {env["id"]: env for env in matrix["environments"]}
    assert envs["windows-pypy-3.11"]["not_run"] is True
    assert envs["macos-cpython-3.15-x86_64"]["runs"] == []
    statuses = {c["status"] for c in matrix["results"] if c["environment"] == "windows-pypy-3.11"}
    assert statuses == {"not-run"}
    played = [env for env in envs.values() if not env.get("not_run")]
    assert played and all(env["runs"] for env in played)
    html = (ci["site"] / "index.html").read_text(encoding="utf-8")
    assert "windows-pypy-3.11" in html


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
    env.update({str(k): _expand(str(v), leg) for k, v in job["env"].items()})
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
    nox_step = dict(_step(matrix_job, name="nox -s matrix-${{ matrix.python }}"))
    nox_step["run"] = nox_step["run"].rstrip() + f" -- -k {SUBSET}"  # a small slice
    steps = [("list", _step(smoke_job, name="nox -l (load the noxfile)")),
             ("smoke", _step(smoke_job, name="One case through nox")),
             ("nox", nox_step),
             ("check", _step(matrix_job, name="Check the run proves it tested this leg's "
                                               "interpreter"))]
    done = {}
    for name, step in steps:
        if name == "nox":
            shutil.rmtree(workspace / "reports", ignore_errors=True)  # the smoke's file
        done[name] = _run_step(step, workspace, env)
    return done


@pytest.fixture(scope="module")
def nox_legs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """A normal leg, a leg whose interpreter is missing and a leg whose executors all crash,
    played at once."""
    doc = _workflow()
    tmp = tmp_path_factory.mktemp("nox-legs")
    pythons = [str(p) for p in doc["jobs"]["matrix"]["strategy"]["matrix"]["python"]]
    interp = _leg_python(pythons)
    normal_bin = tmp / "setup-python" / "bin"
    normal_bin.mkdir(parents=True)
    for name in ("python", "python3", f"python{interp.short_version}"):
        (normal_bin / name).symlink_to(interp.real_path)
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
        oldest_bin = tmp / "setup-python-oldest" / "bin"
        oldest_bin.mkdir(parents=True)
        for name in ("python", "python3", f"python{oldest.short_version}"):
            (oldest_bin / name).symlink_to(oldest.real_path)
        legs["oldest"] = (oldest.session_name, oldest_bin)
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


def test_a_leg_whose_interpreter_is_missing_fails(nox_legs: Dict[str, Any]) -> None:
    """With CI=true nox fails the session instead of skipping it; the check fails too."""
    played = nox_legs["played"]["missing"]
    python, _ = nox_legs["legs"]["missing"]
    assert played["nox"].returncode != 0, _log(played["nox"])
    assert "not found" in _log(played["nox"]) and python in _log(played["nox"])
    assert played["check"].returncode != 0
    assert "expected one results file, found 0" in played["check"].stderr


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
