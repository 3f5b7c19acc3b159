"""The CI data path, run locally: legs -> artifacts -> download -> report, as the workflow does.

GitHub Actions cannot run here, so this test reads ``.github/workflows/matrix.yml`` and plays
its data path on two local interpreters: each "leg" writes its results file with
``python -m harness run``, the files are packed under the artifact names the upload step
computes (``results-<os>-<python>``), unpacked the way ``download-artifact`` does with
``pattern`` + ``merge-multiple`` (one flat folder), and then the workflow's own ``run:`` scripts
are executed verbatim: the leg identity check, the not-run listing, the report command and the
job summary.

Legs run through nox, as a runner runs them: ``test_ci_nox_legs.py``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from harness import discovery
from tests.integration import ci_play
from tests.integration.ci_play import LINUX_LABEL, ROOT, SUBSET

pytestmark = pytest.mark.slow

def _legs_to_play(python_names: List[str]) -> List[Tuple[str, discovery.Interpreter]]:
    """Two local interpreters that are legs of the workflow's matrix (by nox session name)."""
    found, _ = discovery.discover()
    usable: Dict[str, discovery.Interpreter] = {}
    for interp in found:
        if interp.session_name in python_names and not interp.command:
            usable.setdefault(interp.session_name, interp)
    if len(usable) < 2:
        pytest.skip(f"needs two local interpreters among {python_names}")
    names = sorted(usable, key=python_names.index)
    return [(names[0], usable[names[0]]), (names[-1], usable[names[-1]])]


#: The upload step's condition (tests/unit/test_workflow_data.py holds the workflow to it):
#: the check step's exit status, 0 (proven) or 3 (interrupted but sound).
UPLOAD_IF = ("${{ always() && (steps.check.outputs.status == '0' || "
             "steps.check.outputs.status == '3') }}")


def uploads(check_outputs: Dict[str, str]) -> bool:
    return check_outputs.get("status") in ("0", "3")


@pytest.fixture(scope="module")
def ci(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """Play the whole data path once; the tests below check what it left behind."""
    doc = ci_play.workflow()
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
    upload = ci_play.step(legs_job, uses="actions/upload-artifact")["with"]
    check = ci_play.step(legs_job, name="Check the run proves it tested this leg's interpreter")
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
        env = dict(base_env, LEG_PYTHON=python_name,
                   GITHUB_OUTPUT=str(tmp / f"check-output-{python_name}"))
        checks[python_name] = ci_play.run_step(check, workspace, env)
        if not uploads(ci_play.outputs(env)):
            continue
        # upload-artifact: the files the glob matches, relative to their common folder.
        matched = sorted(workspace.glob(upload["path"]))
        if matched:
            common = Path(os.path.commonpath([str(p.parent) for p in matched]))
            artifacts[ci_play.expand(upload["name"], leg)] = {
                str(p.relative_to(common)): p.read_bytes() for p in matched}
    # A leg's check must refuse a results file from another interpreter.
    first, last = played[0][0], played[-1][0]
    wrong_env = dict(base_env, LEG_PYTHON=last, GITHUB_OUTPUT=str(tmp / "check-output-wrong"))
    wrong = ci_play.run_step(check, tmp / "legs" / first, wrong_env)
    wrong_uploads = uploads(ci_play.outputs(wrong_env))

    report_job = doc["jobs"]["report"]
    job_env = dict(base_env, **{str(k): str(v) for k, v in report_job.get("env", {}).items()})
    job_env["RESULTS_DIR"] = str(tmp / job_env["RESULTS_DIR"])
    job_env["SITE_DIR"] = str(tmp / job_env["SITE_DIR"])
    job_env["GITHUB_STEP_SUMMARY"] = str(tmp / "step-summary.md")
    job_env["RUNNER_TEMP"] = str(tmp)
    # download-artifact with pattern + merge-multiple: every matching artifact into one folder.
    download = ci_play.step(report_job, uses="actions/download-artifact")["with"]
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
    not_run = ci_play.step(report_job, name="List legs without results (not run)")
    for label, step in (("not-run", not_run),
                        ("report", ci_play.step(report_job, ident="report")),
                        ("summary", ci_play.step(report_job, name="Write the job summary"))):
        steps[label] = ci_play.run_step(step, ROOT, job_env)
    return {"played": played, "artifacts": artifacts, "checks": checks, "wrong": wrong,
            "wrong_uploads": wrong_uploads,
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
    # ... and that file is withheld: it would replace the other leg's file in the download
    assert not ci["wrong_uploads"]


def test_the_upload_condition_is_the_one_played() -> None:
    upload = ci_play.step(ci_play.workflow()["jobs"]["matrix"], uses="actions/upload-artifact")
    assert upload["if"] == UPLOAD_IF


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
    (warning,) = re.findall(r"::warning::not run \((\d+) legs\): (.*)", proc.stdout)
    listed = set(warning[1].split(", "))
    assert int(warning[0]) == len(listed)  # one annotation: a step shows only 10
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


def test_the_step_summary_is_cut_at_a_character(tmp_path: Path) -> None:
    """A summary.md over the 1 MiB step-summary cap is cut where a character ends: the summary
    step run verbatim never leaves half of a UTF-8 character (a byte cut would)."""
    step = ci_play.step(ci_play.workflow()["jobs"]["report"], name="Write the job summary")
    site = tmp_path / "site"
    site.mkdir()
    (site / "summary.md").write_bytes(b"x" * 999_999 + "é and more".encode())
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    env = dict(os.environ, SITE_DIR=str(site), GITHUB_STEP_SUMMARY=str(tmp_path / "summary"),
               PATH=os.pathsep.join([str(bindir), os.environ.get("PATH", "")]))
    proc = ci_play.run_step(step, tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    written = (tmp_path / "summary").read_bytes()
    assert written == b"x" * 999_999  # valid UTF-8, within the cap
    written.decode("utf-8")
