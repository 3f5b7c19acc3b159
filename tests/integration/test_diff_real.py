"""`harness diff` on real matrices built from the committed sample results files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "reports" / "sample"


def _diff(old: Path, new: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "diff", str(old), str(new), "--json"],
                          cwd=str(ROOT), capture_output=True, text=True, timeout=120,
                          check=False)


def test_fewer_environments_and_a_changed_cell(tmp_path: Path) -> None:
    """OLD: only 3.8 with one cell's outcome altered; NEW: 3.8 and 3.12 as run. The diff names
    exactly the added environment, its cells, and the one changed cell."""
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    shutil.copytree(SAMPLE, new_dir)
    doc = json.loads((SAMPLE / "linux-cpython-3.8.json").read_text())
    changed = doc["tests"][0]["metadata"]
    original_outcome = changed["outcome"]
    changed["outcome"] = "timeout" if original_outcome != "timeout" else "ok"
    (old_dir / "linux-cpython-3.8.json").write_text(json.dumps(doc))

    proc = _diff(old_dir, new_dir)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    new_cells = json.loads((SAMPLE / "linux-cpython-3.12.json").read_text())["tests"]
    assert result["environments_added"] == ["linux-cpython-3.12"]
    assert result["environments_removed"] == []
    assert (result["cases_added"], result["cases_removed"]) == ([], [])
    assert len(result["cells_added"]) == len(new_cells)
    assert {tuple(c[1:2]) for c in result["cells_added"]} == {("linux-cpython-3.12",)}
    assert result["cells_removed"] == []
    assert [(c["case"], c["method"], c["old_outcome"], c["new_outcome"])
            for c in result["cells_changed"]] == [
        (changed["case"], changed["method"], changed["outcome"], original_outcome)]


def test_same_folder_has_no_difference() -> None:
    """The sample compared with itself: exit 0, nothing listed."""
    proc = _diff(SAMPLE, SAMPLE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["cells_changed"] == [] and result["cells_added"] == []
