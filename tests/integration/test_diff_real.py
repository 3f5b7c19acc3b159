"""`harness diff` on real matrices built from the committed sample results files."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from harness import discovery

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "reports" / "sample"


def _diff(old: Path, new: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "diff", str(old), str(new), "--json"],
                          cwd=str(ROOT), capture_output=True, text=True, timeout=120,
                          check=False)


def test_fewer_environments_and_a_changed_cell(tmp_path: Path) -> None:
    """OLD: only 3.8 with one cell's outcome altered; NEW: 3.8 and 3.12 as run. The diff names
    exactly the environment only NEW has, its cells as not compared, and the one changed
    cell."""
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
    assert result["cells_added"] == [] and result["cells_removed"] == []
    assert len(result["cells_not_compared"]) == len(new_cells)
    assert {(c[1], c[3]) for c in result["cells_not_compared"]} == {
        ("linux-cpython-3.12", "environment only in NEW")}
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


def _run(tree: Path, python: str, out: Path, commit: str,
         select: str = "methods.default or methods.available") -> None:
    proc = subprocess.run([sys.executable, "-m", "harness", "run", "--python", python,
                           "--results-dir", str(out), "-k", select], cwd=str(tree),
                          capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, HARNESS_GIT_COMMIT=commit))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_cells_a_real_selection_left_out_are_not_compared(tmp_path: Path) -> None:
    """Two real runs of one interpreter, the second with a narrower ``-k``: the cells only the
    first ran are not compared ("not run in NEW: -k …", one count), not deleted; the results
    folder's parent, read as a reports folder, is its results/."""
    _run(ROOT, sys.executable, tmp_path / "a", "1" * 40)
    _run(ROOT, sys.executable, tmp_path / "reports" / "results", "1" * 40, "methods.default")
    result = json.loads(_diff(tmp_path / "a", tmp_path / "reports").stdout)
    assert result["new"] == str(tmp_path / "reports" / "results")
    assert result["cells_removed"] == [] and result["cases_removed"] == []
    assert result["cells_changed"] == [] and result["cells_unchanged"] == 3
    assert {c[0] for c in result["cells_not_compared"]} == {"methods.available"}
    assert {c[3] for c in result["cells_not_compared"]} == {
        "not run in NEW: -k methods.default"}
    proc = subprocess.run([sys.executable, "-m", "harness", "diff", str(tmp_path / "a"),
                           str(tmp_path / "reports")], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "not compared: %d cells not run in NEW: -k methods.default" % len(
        result["cells_not_compared"]) in proc.stdout.splitlines()


@pytest.mark.slow
def test_a_case_edited_between_two_real_runs(tmp_path: Path) -> None:
    """Real runs: this tree, then a copy whose methods.default returns one more key (another
    commit). ``harness diff`` on one interpreter lists methods.default's cells as "case
    changed", methods.available unchanged; the report over an older interpreter's run of the
    copy and this tree's run does not call the edit a change between versions."""
    scratch = tmp_path / "tree"
    for part in ("harness", "cases"):
        shutil.copytree(ROOT / part, scratch / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", scratch)
    methods = scratch / "cases" / "methods.py"
    line = '    return {"before_use": before, "default": default_method, "executor": '
    assert line in methods.read_text()
    methods.write_text(methods.read_text().replace(line, line.replace("{", '{"edited": 1, ')))
    _run(ROOT, sys.executable, tmp_path / "a", "1" * 40)
    _run(scratch, sys.executable, tmp_path / "b", "2" * 40)

    result = json.loads(_diff(tmp_path / "a", tmp_path / "b").stdout)
    assert result["cells_changed"] == []
    assert {c["case"] for c in result["cells_case_changed"]} == {"methods.default"}
    assert list(result["cases_code_changed"]) == ["methods.default"]
    assert result["cells_unchanged"] == 3  # methods.available: same code, same observation

    found, _ = discovery.discover()
    other = [i for i in found if i.implementation == "cpython" and not i.command
             and i.version[:2] != tuple(sys.version_info[:2])]
    if not other:
        pytest.skip("needs a second local CPython for a change between versions")
    _run(scratch, other[0].path, tmp_path / "a", "2" * 40)
    proc = subprocess.run([sys.executable, "-m", "harness", "report", str(tmp_path / "a"), "-o",
                           str(tmp_path / "site")], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (tmp_path / "site" / "index.html").read_text()
    section = page[page.index('<section id="changes">'):]
    section = section[:section.index("</section>")]
    assert '<details id="changes-not-compared">' in section
    assert '<a href="#case-methods.default">methods.default</a>' in section
    assert "the case&#39;s code changed between these runs (commits " in section
    assert "methods.default" not in section.split("<details")[0]  # not a change point
