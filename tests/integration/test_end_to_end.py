"""A small real matrix on two local interpreters, then the report built from it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import jsonschema
import pytest

from harness import discovery, results

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

#: context_same_api: a documented-behaviour finding today (the terminal-findings test needs one).
SUBSET = ("methods or global_assigned_in_main or lock_held_by_thread_at_fork or "
          "context_same_api")


def _two_interpreters() -> List[discovery.Interpreter]:
    found, _ = discovery.discover()
    cpython = [i for i in found if i.implementation == "cpython"]
    others = [i for i in found if i not in cpython[:1]]
    if not cpython or not others:
        pytest.skip("needs two local interpreters")
    oldest = cpython[0]
    newest = next((i for i in reversed(found) if i.implementation == "pypy"), cpython[-1])
    if newest == oldest:
        pytest.skip("needs two different local interpreters")
    return [oldest, newest]


def _harness(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=str(cwd),
                          capture_output=True, text=True, timeout=600, check=False)


REAPER = Path(__file__).with_name("reaper.py")
LINUX = sys.platform.startswith("linux")


@pytest.fixture(scope="module")
def matrix_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e")
    for n, interp in enumerate(_two_interpreters()):
        args = ["run", "--python", interp.path, "--results-dir", str(out / "results"), "-k",
                SUBSET]
        if LINUX:  # run under a subreaper: every process of the run stays findable
            args = [str(REAPER), str(out / ("left-%d.json" % n)), "--", sys.executable, "-m",
                    "harness", *args]
        proc = subprocess.run([sys.executable, *args] if LINUX else
                              [sys.executable, "-m", "harness", *args], cwd=str(ROOT),
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        (out / ("terminal-%d.txt" % n)).write_text(proc.stdout)
        if LINUX:
            assert json.loads((out / ("left-%d.json" % n)).read_text())["returncode"] == 0
    proc = _harness("report", str(out / "results"), "-o", str(out / "site"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _cells(doc: Dict[str, Any]) -> Dict[Any, Any]:
    return {(c["case"], c["environment"], c["method"]): c for c in doc["results"]}


def test_one_results_file_per_interpreter_valid_against_schema(matrix_dir: Path) -> None:
    """Each interpreter wrote <env-id>.json, valid against the shipped JSON Schema."""
    files = sorted((matrix_dir / "results").glob("*.json"))
    assert len(files) == 2
    schema = results.load_schema()
    for path in files:
        doc = json.loads(path.read_text())
        jsonschema.validate(doc, schema)
        assert results.validate_results(doc) == []
        assert path.stem == doc["harness"]["environment"]["id"]


def test_methods_and_defaults_agree_with_the_interpreters(matrix_dir: Path) -> None:
    """The probe's methods/default equal what each interpreter says of itself."""
    doc = json.loads((matrix_dir / "site" / "matrix.json").read_text())
    for env in doc["environments"]:
        code = ("import multiprocessing as m, json; print(json.dumps("
                "[m.get_all_start_methods(), m.get_start_method()]))")
        exe = env["runs"][0]["executable"]
        out = subprocess.run([exe, "-c", code], capture_output=True, text=True, check=True)
        methods, default = json.loads(out.stdout)
        assert env["available_methods"] == methods
        assert env["default_method"] == default


def test_lock_held_at_fork_times_out_only_under_fork(matrix_dir: Path) -> None:
    """The anchor deadlock: timeout under fork (within 1.5x), ok under spawn and forkserver."""
    doc = json.loads((matrix_dir / "site" / "matrix.json").read_text())
    case = next(c for c in doc["cases"] if c["id"] == "deadlock.lock_held_by_thread_at_fork")
    for env in doc["environments"]:
        cells = _cells(doc)
        fork = cells[(case["id"], env["id"], "fork")]
        assert fork["outcome"] == "timeout"
        assert fork["wall_s"] <= 1.5 * case["timeout_s"]
        for method in ("spawn", "forkserver"):
            assert cells[(case["id"], env["id"], method)]["outcome"] == "ok"


def test_the_terminal_lists_exactly_the_cells_that_ran_and_differ(matrix_dir: Path) -> None:
    """The run's closing "findings" section names the results file's cells with an
    ``unexpected`` verdict that ran (not ``unavailable``) — each once, and nothing else."""
    found = 0
    for terminal in sorted(matrix_dir.glob("terminal-*.txt")):
        text = terminal.read_text()
        written = re.search(r"^harness: results written to (.+)$", text, re.M)
        assert written, text[-2000:]
        doc = json.loads(Path(written.group(1)).read_text())
        cells = [t["metadata"] for t in doc["tests"]]
        differ = sorted(results.cell_name(c["case"], c["method"]) for c in cells
                        if c["verdict"] == "unexpected" and c["outcome"] != "unavailable")
        section = text.split("findings (observed differs from the documentation)", 1)
        listed = [] if len(section) == 1 else sorted(
            line.split(": expected ", 1)[0] for line in section[1].splitlines()
            if ": expected " in line)
        assert listed == differ
        # nothing else: no pytest warning (importing pytest_jsonreport to see it was there put
        # a PytestAssertRewriteWarning in every run)
        assert "warnings summary" not in text, text[-2000:]
        found += len(differ)
    assert found, "no cell of SUBSET differs from its rule any more: add one that does"


def test_report_page_lists_environments_and_cells(matrix_dir: Path) -> None:
    """index.html names both environments and the anchor case."""
    html = (matrix_dir / "site" / "index.html").read_text()
    doc = json.loads((matrix_dir / "site" / "matrix.json").read_text())
    for env in doc["environments"]:
        assert env["id"] in html
    assert "deadlock.lock_held_by_thread_at_fork" in html


def _leftovers(report: Path) -> List[Dict[str, Any]]:
    left: List[Dict[str, Any]] = json.loads(report.read_text())["left"]
    return left


@pytest.mark.skipif(not LINUX, reason="needs Linux: a child subreaper (prctl) and /proc")
def test_no_process_of_the_run_is_left(matrix_dir: Path) -> None:
    """After each run nothing it started is alive: the run went under a child subreaper, so
    every descendant (even one whose parent died) is found by walking the reaper's tree."""
    reports = sorted(matrix_dir.glob("left-*.json"))
    assert len(reports) == 2
    for report in reports:
        assert _leftovers(report) == []


@pytest.mark.skipif(not LINUX, reason="needs Linux: a child subreaper (prctl) and /proc")
def test_the_leftover_check_finds_an_orphaned_grandchild(tmp_path: Path) -> None:
    """The check above can fail: a command that leaves an orphan behind is caught. The shell
    exits only once its child's command line reads ``sleep 300``: before the exec it is the
    shell's, during it briefly empty, and on a loaded machine the check can look then."""
    out = tmp_path / "left.json"
    script = ('sleep 300 & child=$!; until [ "$(tr "\\000" " " < /proc/$child/cmdline '
              '2>/dev/null)" = "sleep 300 " ]; do :; done; exit 0')
    subprocess.run([sys.executable, str(REAPER), str(out), "--", "sh", "-c", script],
                   check=True, timeout=60)
    assert [p["cmdline"] for p in _leftovers(out)] == ["sleep 300"]


def test_report_keeps_good_files_and_names_bad_ones(matrix_dir: Path, tmp_path: Path) -> None:
    """Truncated, non-JSON and foreign files: one line each, report still built, exit 1."""
    good = sorted((matrix_dir / "results").glob("*.json"))[0]
    truncated = tmp_path / "truncated.json"
    truncated.write_text(good.read_text()[:500])
    not_json = tmp_path / "notes.json"
    not_json.write_text("hello, world\n")
    foreign = tmp_path / "other-tool.json"
    foreign.write_text(json.dumps({"created": 1, "tests": []}))
    proc = _harness("report", str(good), str(truncated), str(not_json), str(foreign),
                    "-o", str(tmp_path / "site"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("harness: error:")]
    assert len(lines) == 3
    for bad in (truncated, not_json, foreign):
        assert sum(str(bad) in line for line in lines) == 1
    doc = json.loads((tmp_path / "site" / "matrix.json").read_text())
    assert len(doc["environments"]) == 1
    # named without the folders of the machine that built the report (matrix format 1.4)
    assert {r["path"] for r in doc["rejected_files"]} == {truncated.name, not_json.name,
                                                        foreign.name}
    assert (tmp_path / "site" / "index.html").exists()


def test_quick_leaves_performance_cells_out_and_says_so(tmp_path: Path) -> None:
    """`harness run --quick`: the performance cells a -k selects are not run, the results file
    says why, and the page labels them "not run (--quick)" next to a full run's numbers; the
    performance cells -k or --methods left out read "not selected" (the reason that holds
    without --quick too)."""
    subset = "global_assigned_in_main or performance.start_latency"
    full = tmp_path / "full"
    assert _harness("run", "--results-dir", str(full), "-k", subset,
                    "--methods", "fork").returncode == 0
    quick = tmp_path / "quick"
    proc = _harness("run", "--quick", "--results-dir", str(quick), "-k", subset,
                    "--methods", "fork")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (doc_path,) = quick.glob("*.json")
    doc = json.loads(doc_path.read_text())
    assert doc["harness"]["environment"]["left_out"] == {"performance": "quick"}
    selection = doc["harness"]["environment"]["not_selected"]
    assert selection["by"] == "-k '%s' --methods fork" % subset
    assert "methods.available[fork]" in selection["cells"]
    assert "performance.start_latency[fork]" not in selection["cells"]
    assert "performance.start_latency[spawn]" in selection["cells"]  # --methods fork
    other_perf = {n for n in selection["cells"] if n.startswith("performance.") and
                  not n.startswith("performance.start_latency[")}
    assert other_perf  # -k left them out before --quick did
    cases = {t["metadata"]["case"] for t in doc["tests"]}
    assert cases == {"inheritance.global_assigned_in_main"}
    (full_doc,) = full.glob("*.json")
    assert "performance.start_latency" in {t["metadata"]["case"] for t in
                                           json.loads(full_doc.read_text())["tests"]}
    proc = _harness("report", str(doc_path), "-o", str(tmp_path / "site"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    matrix = json.loads((tmp_path / "site" / "matrix.json").read_text())
    ran = sum(1 for c in matrix["results"] if c["outcome"] is not None)
    assert "report: Partial run: only %d of %d cells ran (a selection: -k '%s' --methods fork " \
        "left " % (ran, len(matrix["results"]), subset) in proc.stdout  # not only cells
    quick_cells = sum(1 for c in matrix["results"] if c["detail"] == "not run (quick)")
    assert "; --quick left out %d performance cells)\n" % quick_cells in proc.stdout
    quick_left = {results.cell_name(c["case"], c["method"]) for c in matrix["results"]
                  if c["detail"] == "not run (quick)"}
    # -k's substring also picks start_latency_vs_parent_memory
    assert {"performance.start_latency[fork]",
            "performance.start_latency_vs_parent_memory[fork]"} <= quick_left
    assert not quick_left & set(selection["cells"])
    for c in matrix["results"]:
        if results.cell_name(c["case"], c["method"]) in selection["cells"]:
            assert c["detail"] == "not run (not selected: -k '%s' --methods fork)" % subset
    other = [c for c in matrix["results"] if c["case"] == "methods.available"]
    assert other and all(c["detail"] == "not run (not selected: -k '%s' --methods fork)"
                         % subset for c in other)
    assert "not run (--quick)" in (tmp_path / "site" / "index.html").read_text()


def test_a_selection_over_a_full_results_file_keeps_it_and_the_printed_command_shows_both(
        tmp_path: Path) -> None:
    """Review r5: `run -k …` over a complete file replaced its cells with the selection's and
    said only "results written". Now the earlier file is in replaced/, the terminal says so,
    and the command it prints reports both: the earlier cells and the newer one."""
    from tests.unit.report_synth import results_doc

    folder, subset = tmp_path / "results", "global_assigned_in_main"
    assert _harness("run", "--results-dir", str(folder), "-k", subset,
                    "--methods", "fork").returncode == 0
    (path,) = folder.glob("*.json")  # this interpreter's name: a full-looking file in its place
    env = json.loads(path.read_text())["harness"]["environment"]
    del env["not_selected"]
    full = results_doc(cases=("methods.a", "methods.b"))  # 6 cells
    env["timestamp"] = "2026-01-02T03:04:05+00:00"
    full["harness"]["environment"] = env
    full["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    path.write_text(json.dumps(full))
    earlier = path.read_text()
    proc = _harness("run", "--results-dir", str(folder), "-k", subset, "--methods", "fork")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kept = folder / "replaced" / ("%s.20260102T030405Z.json" % path.stem)
    assert kept.read_text() == earlier
    assert len(json.loads(path.read_text())["tests"]) == 1
    (line,) = [x for x in proc.stdout.splitlines() if "earlier" in x]
    assert line.startswith("harness: the earlier %s (6 cells) was moved to %s: `" % (
        path.name, kept)), line
    command = line.split("`")[1].split()
    assert command[:4] == ["python", "-m", "harness", "report"]
    proc = _harness(*command[3:], "-o", str(tmp_path / "site"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    matrix = json.loads((tmp_path / "site" / "matrix.json").read_text())
    assert len(matrix["environments"]) == 1
    ran = {(c["case"], c["method"]) for c in matrix["results"] if c["outcome"] is not None}
    assert ran == {("inheritance.%s" % subset, "fork")} | {
        (case, method) for case in ("methods.a", "methods.b")
        for method in ("fork", "forkserver", "spawn")}
