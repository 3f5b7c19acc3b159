"""A contributor's new case module its category module does not import, in a real run: each of
its cells was an ``UnknownCase`` (the harness's error), the run partial, the reason only inside
each cell. The run now says so at collection, leaves those cases out, runs the rest as a
complete run, and exits 1."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTRA = '''from harness.guest.catalog import case


@case("api.something", title="t", source="https://docs.python.org/3/library/multiprocessing.html")
def something(ctx):
    """A contributor's new case."""
    return 1
'''


@pytest.mark.slow
def test_a_case_module_left_unimported_is_said_at_collection_and_the_rest_runs(
        tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for part in ("harness", "cases"):
        shutil.copytree(ROOT / part, tree / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree)
    (tree / "cases" / "api_extra.py").write_text(EXTRA, encoding="utf-8")
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, "-m", "harness", "run", "--results-dir", str(out),
                           "-k", "methods.default or api.something", "--methods", "fork"],
                          cwd=str(tree), capture_output=True, text=True, timeout=300,
                          check=False)
    line = ("harness: error: cases/api_extra.py registers api.something, but cases/api.py (the "
            "one module the executor imports for category api) does not import it: add `import "
            "cases.api_extra` at the end of cases/api.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [line]  # at collection
    assert line in proc.stdout.splitlines()  # and in the summary
    (written,) = out.glob("*.json")
    doc = json.loads(written.read_text(encoding="utf-8"))
    assert [test["nodeid"] for test in doc["tests"]] == ["cases/methods.py::methods.default[fork]"]
    assert "interrupted" not in doc["harness"]["environment"]
    assert "api.something" not in {case["id"] for case in doc["harness"]["cases"]}
