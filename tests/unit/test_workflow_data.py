"""The workflow's data path, checked statically: each leg runs the user's nox session and
uploads its results; the report job merges every leg, names the legs without results as the
harness names their files, and publishes to Pages from the default branch only; the pins it
installs cover what it imports. (Its shape and security: ``test_workflow.py``.)
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.unit import workflow_doc as wf
from tests.unit.workflow_doc import DEPENDABOT, ROOT, yaml


@pytest.fixture(scope="module")
def workflow() -> Dict[str, Any]:
    return wf.load()


def test_legs_run_the_users_nox_session_and_upload_what_the_check_accepts(
        workflow: Dict[str, Any]) -> None:
    """A leg runs `nox -s matrix-<python>` (a session the noxfile defines) as the step's own
    process (exec: the runner's SIGINT on a step timeout reaches only that process), checks
    what it wrote even after a failed or overrun nox step, and uploads it unless the check
    withheld it (another interpreter's file, or mostly broken cells)."""
    job = workflow["jobs"]["matrix"]
    assert job["env"]["LEG_PYTHON"] == "${{ matrix.python }}"
    assert job["env"]["HARNESS_NO_REPORT"] == "1"
    run = wf.step(workflow, "matrix", name="nox -s matrix-${{ matrix.python }}")["run"]
    assert run.startswith('exec "$HOST_PYTHON" -m nox') and '-s "matrix-$LEG_PYTHON"' in run
    check = wf.step(workflow, "matrix", name="Check the run proves it tested this leg's "
                                             "interpreter")
    assert check["id"] == "check" and check["if"] == "${{ !cancelled() }}"
    assert 'echo "status=$status" >> "$GITHUB_OUTPUT"' in check["run"]
    known = wf.noxfile_known_pythons()
    for leg in wf.legs(job["strategy"]["matrix"]):
        assert leg["python"] in known, f"nox has no session matrix-{leg['python']}"
    upload = wf.step(workflow, "matrix", uses="actions/upload-artifact")
    assert "steps.check.outputs.status" in upload["if"]  # the condition, played: test_ci_simulation
    # a withheld file is kept under a name the report's download pattern does not take
    kept = wf.step(workflow, "matrix", name="Keep a withheld results file apart")
    assert kept["if"] == "${{ always() && steps.check.outputs.status == '1' }}"
    pattern = wf.step(workflow, "report", uses="actions/download-artifact")["with"]["pattern"]
    assert kept["with"]["path"] == upload["with"]["path"]
    assert not fnmatch.fnmatchcase(kept["with"]["name"].replace("${{ matrix.os }}", "ubuntu-24.04")
                                   .replace("${{ matrix.python }}", "3.13"), pattern)
    assert upload["with"]["name"] == "results-${{ matrix.os }}-${{ matrix.python }}"
    assert upload["with"]["path"] == "reports/results/*.json"




def test_report_job_merges_every_leg_and_publishes(workflow: Dict[str, Any]) -> None:
    """The report runs after all legs (even failed), merges artifacts, writes the summary."""
    job = workflow["jobs"]["report"]
    assert job["needs"] == "matrix"
    assert job["if"] == "${{ !cancelled() && needs.matrix.result != 'skipped' }}"
    download = wf.step(workflow, "report", uses="actions/download-artifact")["with"]
    assert download["pattern"] == "results-*" and download["merge-multiple"] is True
    assert download["path"] == "${{ env.RESULTS_DIR }}"
    report = wf.step(workflow, "report", ident="report")
    assert report["run"].strip() == ('python -m harness report "$RESULTS_DIR" -o "$SITE_DIR" '
                                     '--expect-envs "$RUNNER_TEMP/expected-environments.txt"')
    summary = wf.step(workflow, "report", name="Write the job summary")["run"]
    assert '"$SITE_DIR/summary.md"' in summary and '"$GITHUB_STEP_SUMMARY"' in summary
    pages = wf.step(workflow, "report", uses="actions/upload-pages-artifact")
    assert pages["with"]["path"] == "${{ env.SITE_DIR }}"
    assert wf.step(workflow, "report", uses="actions/upload-artifact")["with"]["name"] == "report"


def test_deploy_only_from_the_default_branch(workflow: Dict[str, Any]) -> None:
    """deploy-pages runs in the github-pages environment, never for a pull request."""
    job = workflow["jobs"]["deploy"]
    assert job["needs"] == "report"
    assert job["environment"]["name"] == "github-pages"
    assert "default_branch" in job["if"] and "pull_request" in job["if"]
    # A failed leg must not stop the page: the condition checks the report job itself.
    assert "!cancelled()" in job["if"] and "needs.report.result == 'success'" in job["if"]
    assert "always()" not in job["if"]
    assert [s["uses"].split("@")[0] for s in job["steps"]] == ["actions/deploy-pages"]


def test_dependabot_updates_actions_and_pip_pins_with_a_cooldown() -> None:
    """Dependabot bumps the SHA pins and the pinned tools in requirements/, after a cooldown."""
    doc = yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))
    (entry,) = [u for u in doc["updates"] if u["package-ecosystem"] == "github-actions"]
    assert entry["cooldown"]["default-days"] >= 1
    (pip,) = [u for u in doc["updates"] if u["package-ecosystem"] == "pip"]
    assert pip["cooldown"]["default-days"] >= 1
    assert (ROOT / pip["directory"].lstrip("/") / "lint.txt").is_file()
    assert (ROOT / pip["directory"].lstrip("/") / "ci.txt").is_file()


def _names(requirements: List[str]) -> List[str]:
    return sorted({re.split(r"[<>=!~\[; ]", r.strip(), maxsplit=1)[0].lower()
                   for r in requirements if r.strip() and not r.lstrip().startswith("#")})


def test_ci_pins_every_package_the_report_job_imports() -> None:
    """The report job installs requirements/ci.txt alone and runs ``harness report``: every
    package of pyproject's ``host`` group beyond the interpreter's own ``matrix`` group must be
    pinned there (jsonschema was not, and the first run's report would have crashed), and the
    CLI's missing-package message names the same packages."""
    nox = pytest.importorskip("nox")
    from harness.cli import HOST_PACKAGES

    pyproject = nox.project.load_toml(str(ROOT / "pyproject.toml"))
    host = _names(nox.project.dependency_groups(pyproject, "host"))
    matrix = _names(nox.project.dependency_groups(pyproject, "matrix"))
    ci = _names((ROOT / "requirements" / "ci.txt").read_text(encoding="utf-8").splitlines())
    report_needs = [name for name in host if name not in matrix]
    assert report_needs == sorted(HOST_PACKAGES)
    assert set(report_needs) <= set(ci), sorted(set(report_needs) - set(ci))
    assert {"nox", "uv", "pyyaml"} <= set(ci)
    pins = [line for line in (ROOT / "requirements" / "ci.txt").read_text(
        encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", p) for p in pins), pins


def test_each_attempt_uploads_and_deploys_its_own_pages_artifact(
        workflow: Dict[str, Any]) -> None:
    """Artifacts outlive a run attempt: a second upload under the default name `github-pages`
    after "Re-run failed jobs" makes deploy-pages refuse to pick one. The report job names the
    artifact per attempt and says so in an output; deploy deploys exactly that name."""
    report, deploy = workflow["jobs"]["report"], workflow["jobs"]["deploy"]
    (upload,) = [s for s in report["steps"]
                 if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    name = upload["with"]["name"]
    assert "github.run_attempt" in name
    assert report["outputs"]["pages-artifact"] == name
    (step,) = deploy["steps"]
    assert step["with"]["artifact_name"] == "${{ needs.report.outputs.pages-artifact }}"
    assert "report" in ([deploy["needs"]] if isinstance(deploy["needs"], str) else deploy["needs"])


#: What a leg's probe records on each runner family: ``sys.platform`` ("linux", "darwin",
#: "win32": the sys.platform table of the sys docs) and ``platform.machine()`` for the image's
#: architecture (x86_64 on Linux and Intel macOS, arm64 on Apple silicon, AMD64 on Windows x64,
#: where it is PROCESSOR_ARCHITECTURE).
RUNNER_FACTS = {"ubuntu-24.04": ("linux", "x86_64"), "macos-26": ("darwin", "arm64"),
                "macos-15-intel": ("darwin", "x86_64"), "windows-2025": ("win32", "AMD64")}


def test_not_run_listing_names_each_leg_as_the_harness_names_its_results_file(
        workflow: Dict[str, Any], tmp_path: Path) -> None:
    """The report job's `shell: python` step derives each leg's environment id from its runner
    label (for --expect-envs and the not-run list); the leg's results file is named by
    harness.results.env_id from what its probe records. Were the two to differ for one OS, each
    of its legs would show twice: a "not run" column and the real one. The step runs verbatim
    (no results downloaded) and its ids are compared with the harness's for every leg."""
    from harness.guest.probe import os_name
    from harness.results import env_id, session_identity

    step = wf.step(workflow, "report", name="List legs without results (not run)")
    assert step["shell"] == "python"
    summary = tmp_path / "summary.md"
    env = dict(os.environ, RESULTS_DIR=str(tmp_path / "none"), RUNNER_TEMP=str(tmp_path),
               GITHUB_STEP_SUMMARY=str(summary))
    proc = subprocess.run([sys.executable, "-c", step["run"]], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    listed = (tmp_path / "expected-environments.txt").read_text(encoding="utf-8").split()
    legs = wf.legs(workflow["jobs"]["matrix"]["strategy"]["matrix"])
    harness_ids = []
    for leg in legs:
        platform, machine = RUNNER_FACTS[leg["os"]]
        implementation, minor, free_threading = session_identity(str(leg["python"]))
        harness_ids.append(env_id({
            "os": os_name(platform), "arch": machine, "implementation": implementation,
            "python_version": minor + ".0", "free_threading": free_threading}))
    assert listed == harness_ids
    assert len(set(listed)) == len(listed)  # one column per leg: no two legs share an id
    assert set(RUNNER_FACTS) >= {leg["os"] for leg in legs}
