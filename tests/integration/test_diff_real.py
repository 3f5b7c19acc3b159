"""`harness diff` on real matrices built from the committed sample results files."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

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


def _with_code(doc: Dict[str, Any], commit: str, digests: Dict[str, str]) -> Dict[str, Any]:
    """The sample file as results format 1.4 from ``commit``, its cases' digests as given (a
    case not named keeps none)."""
    doc = copy.deepcopy(doc)
    doc["harness"]["schema_version"] = "1.4"
    doc["harness"]["environment"]["git_commit"] = commit
    for case in doc["harness"]["cases"]:
        if case["id"] in digests:
            case["code_digest"] = digests[case["id"]]
    return doc


def test_a_changed_case_is_reported_apart_and_old_files_get_a_note(tmp_path: Path) -> None:
    """The real sample run twice, the second time at another commit with one case's code
    changed and that case's first cell observing something else: the cell is "case changed"
    (K), not an observation change; without digests in the old file, the same difference is
    a change with a note that the case may have changed."""
    sample = json.loads((SAMPLE / "linux-cpython-3.8.json").read_text())
    changed = sample["tests"][0]["metadata"]
    every = {c["id"]: "a" * 12 for c in sample["harness"]["cases"]}
    old_dir, new_dir, older_dir = tmp_path / "old", tmp_path / "new", tmp_path / "older"
    for folder in (old_dir, new_dir, older_dir):
        folder.mkdir()
    (old_dir / "r.json").write_text(json.dumps(_with_code(sample, "1" * 40, every)))
    (older_dir / "r.json").write_text(json.dumps(sample))  # results 1.2: no digests
    new = _with_code(sample, "2" * 40, dict(every, **{changed["case"]: "b" * 12}))
    new["tests"][0]["metadata"]["outcome"] = "timeout" if changed["outcome"] != "timeout" \
        else "ok"
    (new_dir / "r.json").write_text(json.dumps(new))

    result = json.loads(_diff(old_dir, new_dir).stdout)
    assert result["cells_changed"] == []
    assert [(c["case"], c["method"], c["case_code"]) for c in result["cells_case_changed"]] == [
        (changed["case"], changed["method"], "changed")]
    assert list(result["cases_code_changed"]) == [changed["case"]]
    text = subprocess.run([sys.executable, "-m", "harness", "diff", str(old_dir), str(new_dir)],
                          cwd=str(ROOT), capture_output=True, text=True, timeout=120,
                          check=False).stdout
    assert "K cell %s linux-cpython-3.8 [%s]" % (changed["case"], changed["method"]) in text

    proc = subprocess.run([sys.executable, "-m", "harness", "diff", str(older_dir),
                           str(new_dir)], cwd=str(ROOT), capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "C cell %s linux-cpython-3.8 [%s]" % (changed["case"], changed["method"]) \
        in proc.stdout
    assert "note: 1 changed cell ran at different commits (old 6e6058609fa2; new %s)" % (
        "2" * 12) in proc.stdout
