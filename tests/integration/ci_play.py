"""What the CI simulations share: the workflow file, a step of a job, ``${{ matrix.x }}``
expanded for one leg, and a step's script run verbatim with the shell it declares."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

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
    for step in job["steps"]:
        if ((uses and str(step.get("uses", "")).startswith(uses + "@"))
                or (ident and step.get("id") == ident) or (name and step.get("name") == name)):
            return step
    raise AssertionError(f"no step uses={uses!r} id={ident!r} name={name!r}")


def expand(template: str, leg: Dict[str, str]) -> str:
    """Substitute ``${{ matrix.x }}`` the way Actions does for one leg."""
    value = EXPRESSION.sub(lambda m: leg[m.group(1)], template)
    assert "${{" not in value, value
    return value


def run_step(step: Dict[str, Any], cwd: Path,
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
