"""The GitHub Actions workflow, checked statically: it cannot run here, so its shape is tested.

Parses ``.github/workflows/matrix.yml`` (and ``.github/dependabot.yml``) and asserts what the
issue asks for: the OS x Python matrix, SHA-pinned actions, minimal permissions, credentials not
persisted, a concurrency group, no ``${{ }}`` inside scripts, smoke legs and lint. The data path
legs -> report -> Pages: ``test_workflow_data.py``; tests/integration/test_ci_nox_legs.py and
test_ci_simulation.py then run it for real.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Set

import pytest

from tests.unit import workflow_doc as wf
from tests.unit.workflow_doc import ROOT, WORKFLOW

#: The vetted pin list, vendored: its header names its source and when it was copied.
PINS_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "actions-pins.md"
MANIFEST = ROOT / "tests" / "fixtures" / "python-versions-manifest.json"

#: Pinned images, one per OS family and arch (never *-latest, which moves to new images).
OSES = {"ubuntu-24.04", "macos-26", "windows-2025"}
#: What each pinned label is, as actions/python-versions' manifest names its builds.
LABEL_PLATFORM = {"ubuntu-24.04": "linux 24.04 x64", "ubuntu-26.04": "linux 26.04 x64",
                  "macos-26": "darwin - arm64", "macos-15-intel": "darwin - x64",
                  "windows-2025": "win32 - x64"}
PYTHONS = {"3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.14t", "3.15", "3.15t",
           "pypy3.10", "pypy3.11"}
#: The next CPython, a pre-release today: its legs may fail without failing the run.
PRERELEASE = "3.16"
#: The pins the workflow may use: the "recommended" column of the vetted pins list
#: (shared/reference/actions-pins.md), each read from the action's own tags.
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("043fb46d1a93c77aae656e7c1c64a875d1fc6a0a", "v7.0.1"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/upload-pages-artifact": ("fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0"),
    "actions/deploy-pages": ("cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
}
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$")


@pytest.fixture(scope="module")
def workflow() -> Dict[str, Any]:
    return wf.load()


def test_triggers_push_pr_dispatch_and_weekly(workflow: Dict[str, Any]) -> None:
    """Push to the default branch, pull_request, manual dispatch (with a smoke-only switch)
    and a weekly schedule start the workflow; docs-only changes do not."""
    triggers = wf.on(workflow)
    assert {"push", "pull_request", "workflow_dispatch", "schedule"} <= set(triggers)
    assert triggers["push"]["branches"] == ["main"]
    for event in ("push", "pull_request"):
        assert set(triggers[event]["paths-ignore"]) == {"**/*.md", "docs/**"}, event
    smoke = triggers["workflow_dispatch"]["inputs"]["smoke-only"]
    assert smoke["type"] == "boolean" and smoke["default"] is False
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    _minute, _hour, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*") and re.fullmatch(r"[0-6]", weekday), cron


def test_matrix_covers_three_oses_and_all_pythons(workflow: Dict[str, Any]) -> None:
    """Every OS runs every Python of the issue (3.15 and 3.15t included), plus Intel macOS."""
    strategy = workflow["jobs"]["matrix"]["strategy"]
    assert strategy["fail-fast"] is False
    legs = wf.legs(strategy["matrix"])
    for os_label in OSES:
        assert {leg["python"] for leg in legs if leg["os"] == os_label} >= PYTHONS, os_label
    assert any("intel" in leg["os"] for leg in legs), "no Intel macOS leg"
    assert all(isinstance(leg["python"], str) for leg in legs), "a version parsed as a float"
    names = [f"{leg['os']}-{leg['python']}" for leg in legs]
    assert len(names) == len(set(names)), "two legs would upload the same artifact name"


def test_only_prerelease_legs_may_fail(workflow: Dict[str, Any]) -> None:
    """3.16 legs are marked experimental; continue-on-error follows that flag only. 3.15 is a
    release: its legs fail the run like any other."""
    job = workflow["jobs"]["matrix"]
    assert "matrix.experimental" in str(job["continue-on-error"])
    for leg in wf.legs(job["strategy"]["matrix"]):
        assert bool(leg.get("experimental")) == (leg["python"] == PRERELEASE), leg
    assert {leg["os"] for leg in wf.legs(job["strategy"]["matrix"])
            if leg["python"] == PRERELEASE} == OSES
    setup = wf.step(workflow, "matrix", ident="leg")
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert setup["with"]["allow-prereleases"] is True


def test_every_job_has_a_timeout(workflow: Dict[str, Any]) -> None:
    """No job can hang for the 6-hour default."""
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), name
        assert 0 < job["timeout-minutes"] <= 75, name


def test_long_steps_time_out_inside_their_job(workflow: Dict[str, Any]) -> None:
    """A job that reaches its own timeout is cancelled, which continue-on-error does not
    absorb (a slow non-gating smoke leg would skip the whole matrix): each nox run has a step
    limit below its job's, so an overrun is a failed step and the upload still runs."""
    for name in ("smoke", "matrix"):
        job = workflow["jobs"][name]
        nox_runs = [st for st in job["steps"] if "-m nox --non-interactive" in str(st.get("run"))]
        assert nox_runs, name
        for st in nox_runs:
            assert 0 < st.get("timeout-minutes", 0) < job["timeout-minutes"], (name, st)
    # deploy-pages waits up to 10 minutes itself: the job must outlast it to hear why
    assert workflow["jobs"]["deploy"]["timeout-minutes"] > 10


def test_no_leg_step_can_run_its_job_into_the_job_limit(workflow: Dict[str, Any]) -> None:
    """Any step may hang (a setup-python download, pip): every leg step has its own limit and
    together they stay under the job's, so the job is never cancelled (review r1: only the
    nox steps had limits)."""
    for name in ("smoke", "matrix"):
        job = workflow["jobs"][name]
        limits = [st.get("timeout-minutes") for st in job["steps"]]
        assert all(isinstance(limit, int) and limit > 0 for limit in limits), (name, limits)
        assert sum(limits) < job["timeout-minutes"], (name, sum(limits))


def test_nox_is_the_steps_own_process(workflow: Dict[str, Any]) -> None:
    """On a step timeout the runner sends SIGINT, then SIGTERM, then SIGKILL to the step's
    shell alone (actions/runner ProcessInvoker): without exec bash waits, dies, and leaves nox
    and the harness running, so the upload finds nothing (review r1)."""
    for name in ("smoke", "matrix"):
        runs = [str(st["run"]) for st in workflow["jobs"][name]["steps"]
                if "-m nox --non-interactive" in str(st.get("run"))]
        assert runs and all(run.startswith('exec "$HOST_PYTHON" -m nox') for run in runs), runs


def test_uploads_survive_a_rerun(workflow: Dict[str, Any]) -> None:
    """Artifacts are immutable: "Re-run failed jobs" uploads again under the same name."""
    uploads = [st for job in workflow["jobs"].values() for st in job["steps"]
               if str(st.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(uploads) == 3  # results, withheld results, the report
    assert all(st["with"].get("overwrite") is True for st in uploads)


def test_a_rejected_results_file_does_not_withhold_the_page(workflow: Dict[str, Any]) -> None:
    """`harness report` exits 1 when it rejects a file but still writes the page of the valid
    rest: that page is published (with an annotation); with no page, the job fails."""
    job = workflow["jobs"]["report"]
    build = wf.step(workflow, "report", ident="report")
    assert build.get("continue-on-error") is True
    pages = [st for st in job["steps"]
             if str(st.get("uses", "")).startswith("actions/upload-pages-artifact@")]
    assert len(pages) == 1 and "hashFiles(" in pages[0]["if"] and "index.html" in pages[0]["if"]
    after = job["steps"][job["steps"].index(pages[0]) + 1:]
    guards = [str(st.get("if", "")) for st in after]
    assert any("steps.report.outcome == 'failure'" in g and "== ''" in g for g in guards)
    assert any("exit 1" in str(st.get("run")) for st in after)
    # Every step after the build runs on what was written, whatever failed before it: a bare
    # `if:` carries an implicit success(), and the summary step fails when nothing was written.
    later = job["steps"][job["steps"].index(build) + 1:]
    assert all(str(st.get("if", "")).startswith("${{ !cancelled() && ") and "hashFiles(" in
               str(st.get("if", "")) for st in later), [st.get("name") for st in later]


def test_forks_do_not_run_the_weekly_schedule(workflow: Dict[str, Any]) -> None:
    """Only a repository that opts in runs the weekly matrix (every other job needs these)."""
    for name in ("lint", "smoke"):
        cond = workflow["jobs"][name]["if"]
        assert "github.event_name != 'schedule'" in cond and "vars.MATRIX_WEEKLY" in cond


def test_the_weekly_job_count_said_is_the_workflows(workflow: Dict[str, Any]) -> None:
    """The README and the workflow's comment say how many jobs a weekly run starts where the
    repository opts in: every job once, a job with a strategy once per leg (review r20: they
    said 44; lint, 5 smoke legs, 38 matrix legs, report and deploy are 46)."""
    count = sum(len(wf.legs(job["strategy"]["matrix"])) if "strategy" in job else 1
                for job in workflow["jobs"].values())
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    comment = " ".join(line.strip().lstrip("#") for line in WORKFLOW.read_text(
        encoding="utf-8").splitlines() if line.strip().startswith("#"))
    assert re.findall(r"does not run (\d+) jobs every week", readme) == [str(count)]
    assert re.findall(r"would otherwise run (\d+) jobs every Monday", comment) == [str(count)]


def test_every_action_pinned_to_a_vetted_sha_with_version_comment() -> None:
    """Each `uses:` is owner/repo@<40 hex> followed by `# vX.Y.Z`, from the vetted pin list."""
    seen = 0
    for line in WORKFLOW.read_text(encoding="utf-8").splitlines():
        match = USES_LINE.match(line)
        if not match:
            continue
        seen += 1
        action, _, sha = match.group("ref").partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", sha), line
        assert action in PINS, f"{action} is not in the vetted pin list"
        assert (sha, (match.group("comment") or "").strip()) == PINS[action], line
    assert seen >= 6


def test_pins_agree_with_the_shared_pin_list() -> None:
    """The pins above are the recommended ones in shared/reference/actions-pins.md."""
    text = PINS_FILE.read_text(encoding="utf-8")
    recommended = text[text.index("## Recommended pins"):]
    for action, (sha, version) in PINS.items():
        assert f"`{action}@{sha} # {version}`" in recommended, action


def test_permissions_are_empty_at_top_and_minimal_per_job(workflow: Dict[str, Any]) -> None:
    """`permissions: {}` at the top; jobs read contents; only deploy may write (Pages, OIDC)."""
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict), f"{name} has no permissions block"
        if name == "deploy":
            assert granted == {"pages": "write", "id-token": "write"}
        else:
            assert granted == {"contents": "read"}, name


def test_checkout_never_persists_credentials(workflow: Dict[str, Any]) -> None:
    """Every checkout sets persist-credentials: false (zizmor's artipacked)."""
    checkouts = [s for _, s in wf.steps(workflow)
                 if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False


def test_concurrency_group_per_workflow_and_ref(workflow: Dict[str, Any]) -> None:
    """A newer push to the same ref supersedes a running PR run."""
    group = workflow["concurrency"]["group"]
    assert "github.workflow" in group and "github.ref" in group
    assert "cancel-in-progress" in workflow["concurrency"]


def test_no_expression_inside_run_scripts(workflow: Dict[str, Any]) -> None:
    """Values reach scripts through env:, never by `${{ }}` pasted into the script."""
    for job, step in wf.steps(workflow):
        assert "${{" not in str(step.get("run", "")), (job, step.get("name"))


def test_every_runner_label_is_pinned(workflow: Dict[str, Any]) -> None:
    """No job or leg runs on a moving *-latest label; every label is a known pinned image."""
    labels: Set[str] = set()
    for job in workflow["jobs"].values():
        if "matrix" in str(job["runs-on"]):
            labels.update(leg["os"] for leg in wf.legs(job["strategy"]["matrix"]))
        else:
            labels.add(job["runs-on"])
    assert labels, "no runs-on"
    assert not [label for label in labels if "latest" in label]
    assert labels <= set(LABEL_PLATFORM), labels - set(LABEL_PLATFORM)


def test_every_leg_python_has_a_build_for_its_image(workflow: Dict[str, Any]) -> None:
    """setup-python installs from actions/python-versions' manifest, matched to the image's
    OS version exactly: each CPython leg (pre-release legs aside) must have a build there. A
    vendored summary of the manifest; 3.9 is absent for Ubuntu 26.04, so the check can fail."""
    builds = json.loads(MANIFEST.read_text(encoding="utf-8"))["builds"]
    assert "3.9" not in builds[LABEL_PLATFORM["ubuntu-26.04"]]
    jobs = [workflow["jobs"]["matrix"], workflow["jobs"]["smoke"]]
    for leg in [leg for job in jobs for leg in wf.legs(job["strategy"]["matrix"])]:
        if leg["python"].startswith("pypy") or leg.get("experimental"):
            continue  # PyPy comes from PyPy's own downloads; pre-releases may be missing
        assert leg["python"] in builds[LABEL_PLATFORM[leg["os"]]], leg


def test_smoke_legs_load_the_noxfile_and_run_one_case_before_the_matrix(
        workflow: Dict[str, Any]) -> None:
    """A minute per leg on each OS (nox -l, one case through nox, the leg check); the full
    legs need it, so a broken noxfile or executor costs minutes, not the whole matrix."""
    job = workflow["jobs"]["smoke"]
    assert job["timeout-minutes"] <= 25
    legs = wf.legs(job["strategy"]["matrix"])
    assert {leg["os"] for leg in legs} == OSES
    runs = [str(step.get("run", "")) for step in job["steps"]]
    assert any(run.endswith("-m nox -l'") or run.endswith("-m nox -l") for run in runs), runs
    assert any('-s "matrix-$LEG_PYTHON" -- -k ' in run for run in runs), runs
    # its one case is the leg check's canary (a child started and answered): else every leg
    # would fail its check
    from harness.legcheck import CANARY

    assert any("-- -k %s" % CANARY.split(".", 1)[1] in run for run in runs), runs
    assert any("-m harness verify-leg reports/results" in run for run in runs), runs
    matrix = workflow["jobs"]["matrix"]
    assert matrix["needs"] == "smoke"
    assert "inputs.smoke-only" in matrix["if"]
    # Only the Linux 3.13 leg gates the matrix: a failure on macOS or Windows (or of a risky
    # interpreter) must not hold back every other OS's legs and the page.
    assert job["continue-on-error"] == "${{ !matrix.gates }}"
    assert [(leg["os"], leg["python"]) for leg in legs if leg.get("gates")] == [
        ("ubuntu-24.04", "3.13")]
    known = wf.noxfile_known_pythons()
    assert all(leg["python"] in known for leg in legs)


def test_lint_is_pinned_and_zizmor_runs_online_with_a_read_only_token(
        workflow: Dict[str, Any]) -> None:
    """Every lint tool has an exact version in requirements/lint.txt; CI gives zizmor the job's
    token (contents: read only) so its online audits run."""
    job = workflow["jobs"]["lint"]
    step = wf.step(workflow, "lint", name="nox -s lint")
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"  # noqa: S105 (an expression)
    assert job["permissions"] == {"contents": "read"}
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    group = re.search(r"^lint = \[(.*?)\]$", pyproject, re.M | re.S)
    assert group
    listed = re.sub(r"\{[^}]*\}", "", group.group(1))  # {include-group = "host"}
    tools = set(re.findall(r'"([A-Za-z][\w.-]*)"', listed))
    pins = dict(line.split("==") for line in
                (ROOT / "requirements" / "lint.txt").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#"))
    assert tools and tools <= set(pins), tools - set(pins)
    assert all(re.fullmatch(r"\d+(\.\d+)+", version) for version in pins.values()), pins
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert '"-c", str(LINT_PINS)' in noxfile and 'os.environ.get("GH_TOKEN")' in noxfile


def test_every_legs_session_exists_in_nox_list(workflow: Dict[str, Any]) -> None:
    """`nox -l` (the noxfile as nox loads it) lists matrix-<python> for every leg."""
    proc = subprocess.run([sys.executable, "-m", "nox", "-l", "--json"], cwd=str(ROOT),
                          capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, NO_COLOR="1"))
    assert proc.returncode == 0, proc.stderr
    sessions = {entry["session"] for entry in json.loads(proc.stdout)}
    jobs = [workflow["jobs"]["matrix"], workflow["jobs"]["smoke"]]
    for leg in [leg for job in jobs for leg in wf.legs(job["strategy"]["matrix"])]:
        assert f"matrix-{leg['python']}" in sessions, leg
