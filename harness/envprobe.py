"""The host's side of the environment probe: run ``harness/guest/probe.py`` in the interpreter
under test, once per run, and turn what it prints into the run's ``environment`` (its id and
command added). Any failure is one ``pytest.UsageError`` line (exit 2). Python 3.8 syntax.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from harness import owned, results
from harness.guest import probe
from harness.results import ROOT
from harness.runner import case_environ
from harness.text import shorten

__all__ = ["PROBE", "PROBE_S", "environment"]

PROBE = Path(__file__).resolve().parent / "guest" / "probe.py"
#: How long the environment probe may take (it starts each start method's process once).
PROBE_S = 120
#: What the probe records from the environment (cases get only the allow-listed environment):
#: the commit (no git inside a Debian root), and where a root interpreter ran.
_PROBE_ENV = ("HARNESS_GIT_COMMIT", "HARNESS_ROOT_NAME", "HARNESS_HOST_KERNEL", "CI",
              *(name for _, name in probe.CI_VARIABLES))


def environment(interpreter: List[str]) -> Dict[str, Any]:
    """What ``interpreter``'s environment is (``harness/guest/probe.py``), asked in a session of
    its own (``owned``: a wrapper that hangs leaves nothing running); any failure is one line
    and exit 2 (a banner before the JSON was a 34-line INTERNALERROR)."""
    given = {k: os.environ[k] for k in _PROBE_ENV if os.environ.get(k)}
    # Unset (a run not started by nox): the host's git, as a Debian root has none.
    commit = given.get("HARNESS_GIT_COMMIT") or probe.git_commit()
    if commit:
        given["HARNESS_GIT_COMMIT"] = commit
    try:
        status, stdout, stderr = owned.ask(
            interpreter + ["-I", str(PROBE)], PROBE_S, cwd=str(ROOT), env=case_environ(given))
    except subprocess.TimeoutExpired:
        raise pytest.UsageError("the environment probe of %r did not answer within %d s" % (
            interpreter, PROBE_S)) from None
    except OSError as exc:
        raise pytest.UsageError("the environment probe of %r cannot run: %s" % (
            interpreter, exc.strerror or exc)) from None
    if status != 0:
        raise pytest.UsageError("the environment probe failed with %r: %s" % (
            interpreter, stderr.decode("utf-8", "replace").strip()[-500:]))
    try:
        data: Dict[str, Any] = json.loads(stdout.decode("utf-8"))
        data["id"] = results.env_id(data)
    except (ValueError, TypeError, KeyError, AttributeError):  # not JSON, or not its object
        first = stdout.decode("utf-8", "replace").strip().splitlines()[:1] or ["nothing"]
        raise pytest.UsageError("the environment probe of %r printed no JSON object, but: %s" % (
            interpreter, shorten(first[0], 200))) from None
    data["interpreter_command"] = interpreter
    return data
