"""What the CI simulations share: the workflow file, a step of a job, ``${{ matrix.x }}``
expanded for one leg, and a step's script run verbatim with the shell it declares."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "matrix.yml"

#: A small subset: one case, three cells per interpreter.
SUBSET = "global_assigned_in_main"
#: The runner label a Linux leg runs on (this machine plays that leg).
LINUX_LABEL = "ubuntu-24.04"
EXPRESSION = re.compile(r"\$\{\{\s*matrix\.(\w+)\s*\}\}")


def workflow() -> Dict[str, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def step(job: Dict[str, Any], uses: str = "", ident: str = "", name: str = "") -> Dict[str, Any]:
    steps: List[Dict[str, Any]] = job["steps"]
    for step in steps:
        if ((uses and str(step.get("uses", "")).startswith(uses + "@"))
                or (ident and step.get("id") == ident) or (name and step.get("name") == name)):
            return step
    raise AssertionError(f"no step uses={uses!r} id={ident!r} name={name!r}")


def expand(template: str, leg: Dict[str, str]) -> str:
    """Substitute ``${{ matrix.x }}`` the way Actions does for one leg."""
    value = EXPRESSION.sub(lambda m: leg[m.group(1)], template)
    assert "${{" not in value, value
    return value


#: The runner's bash: the step's script is a file, `bash --noprofile --norc -eo pipefail {0}`
#: (docs: "Defaults: run: shell"), not `bash -c`, which would exec a lone command itself.
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]


def _script(step: Dict[str, Any], scripts: Path, env: Dict[str, str]) -> List[str]:
    """The command a runner starts for a step: its script in a file in ``scripts``, with the
    shell it declares (bash by default); GITHUB_OUTPUT a fresh file there when none is given."""
    shell = step.get("shell", "bash")
    env.setdefault("GITHUB_OUTPUT", str(scripts / "output"))
    if shell == "python":
        (scripts / "step.py").write_text(step["run"], encoding="utf-8")
        return [sys.executable, str(scripts / "step.py")]
    assert shell == "bash", shell
    (scripts / "step.sh").write_text(step["run"], encoding="utf-8")
    return [*BASH, str(scripts / "step.sh")]


def run_step(step: Dict[str, Any], cwd: Path,
             env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step's script verbatim as the runner does (see ``_script``)."""
    env = dict(env)
    with tempfile.TemporaryDirectory(prefix="step-") as scripts:
        return subprocess.run(_script(step, Path(scripts), env), cwd=str(cwd), env=env,
                              capture_output=True, text=True, timeout=600, check=False)


def start_step(step: Dict[str, Any], cwd: Path, scripts: Path,
               env: Dict[str, str]) -> subprocess.Popen[str]:
    """Start a step's script as ``run_step`` runs it (its files in ``scripts``), in a session
    of its own: a test can signal the step's process alone, as the runner does, and clean up
    the rest."""
    env = dict(env)
    return subprocess.Popen(_script(step, scripts, env), cwd=str(cwd), env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def outputs(env: Dict[str, str]) -> Dict[str, str]:
    """A step's outputs (``name=value`` lines it appended to GITHUB_OUTPUT)."""
    path = Path(env["GITHUB_OUTPUT"])
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)
