"""A correct program slower than check's time limit (r10 F-D): every run hits it, the table
still marks the default method (discovery knows it), and the last line says the runs were
still running at the limit, not "it fails the same way under every method"."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration import check_run
from tests.integration.check_run import FIXTURES, ROOT

pytestmark = pytest.mark.slow


def test_every_run_at_the_limit_is_said_plainly_with_the_default_marked() -> None:
    python = check_run.newest()[0]  # its default is fork
    proc = subprocess.run([sys.executable, "-m", "harness", "check", "slow_child.py",
                           "--timeout", "1", "--python", python], cwd=str(FIXTURES),
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    text = " ".join(proc.stdout.split())
    assert "timeout* timeout timeout" in text, proc.stdout
    assert "default method not known" not in text
    assert "fails as it is" not in text  # beside "a slow program" it contradicted it
    assert "still running at the limit as it is on" in text, proc.stdout
    assert text.endswith("every run was still running at the 1 s limit (a slow program, or a "
                         "hang under every method): rerun with a longer limit, e.g. --timeout "
                         "6"), proc.stdout
    assert proc.returncode == 1
