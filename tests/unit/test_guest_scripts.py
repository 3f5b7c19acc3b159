"""Guest modules that run as scripts (``python -I harness/guest/<name>.py``, from any folder)
import what they need: their own folder is on ``sys.path``, the project root is not, until
they put it there. A module-level ``from harness…`` above that line breaks every cell, every
probe or every ``check`` run (check_exec once did), while unit tests importing the module see
nothing wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

GUEST = Path(__file__).resolve().parents[2] / "harness" / "guest"


@pytest.mark.parametrize(("script", "args", "returncode", "says"), [
    ("probe.py", [], 0, ""),
    ("check_exec.py", [], 2, "usage: check_exec.py"),
    ("_shepherd.py", [], 2, "usage: _shepherd.py"),
    ("executor.py", [str(GUEST.parent.parent)], 2, "usage: executor.py"),
])
def test_a_guest_script_starts_from_any_folder(script: str, args: List[str], returncode: int,
                                               says: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-I", str(GUEST / script), *args], cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                          check=False, text=True)
    assert "Error" not in proc.stderr, proc.stderr
    assert (proc.returncode, says in proc.stderr) == (returncode, True), proc.stderr
