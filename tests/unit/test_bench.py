"""harness/bench.py: synthetic results are valid; the cost arithmetic is as the README says."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Dict, List

from harness import bench, bench_merge, bench_total, loading
from harness.guest import catalog


def test_synthetic_results_are_valid_and_hold_the_catalog(tmp_path: Path) -> None:
    """Every synthetic file passes validation and weighs what a real one does: the catalog's
    entries as the plugin writes them (code and docs included), one cell per case and method
    it runs under."""
    paths = bench_merge.synthetic_results(tmp_path, 4)
    loaded, rejected = loading.load_results(paths)
    assert rejected == []
    cases = catalog.all_cases()  # synthetic_results imported every case module
    assert len(cases) > 100
    cells = sorted((case.id, method) for case in cases for method in case.methods)
    for item in loaded:
        assert sorted((cell.case, cell.method) for cell in item.cells) == cells
        assert item.harness["cases"] == [case.to_dict() for case in cases]


def _results_file(tmp_path: Path, cells: List[Dict[str, Any]]) -> Path:
    doc = {"tests": [{"metadata": c} for c in cells],
           "harness": {"environment": {"id": "linux-cpython-3.12",
                                       "available_methods": ["fork", "spawn"]},
                       "cases": [{"id": "deadlock.x", "timeout_s": 3.0},
                                 {"id": "performance.start_latency", "timeout_s": 120.0},
                                 {"id": "methods.y", "timeout_s": 20.0}]}}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_summarize_run_subtracts_performance_sampling(tmp_path: Path) -> None:
    """cost = (wall - perf wall) x cores / non-performance runs; deadlock ratio = wall/timeout."""
    cells = [
        {"case": "methods.y", "method": "fork", "category": "methods", "outcome": "ok",
         "wall_s": 0.1},
        {"case": "deadlock.x", "method": "fork", "category": "deadlock", "outcome": "timeout",
         "wall_s": 3.6},
        {"case": "performance.start_latency", "method": "spawn", "category": "performance",
         "outcome": "ok", "wall_s": 4.0, "observed": {"median": 50.0}},
    ]
    row = bench.summarize_run(_results_file(tmp_path, cells), wall_s=10.0, cores=2)
    assert (row["case_runs"], row["perf_case_runs"], row["perf_sampling_s"]) == (3, 1, 4.0)
    assert row["cost_per_case_run_ms"] == (10.0 - 4.0) * 2 / 2 * 1000.0
    assert row["timeouts"] == [{"cell": "deadlock.x[fork]", "timeout_s": 3.0,
                                "wall_s": 3.6, "ratio": 1.2}]
    assert row["case_start_latency_ms"] == {"spawn": 50.0}


def test_total_weights_the_floor_by_runs_and_targets_judge_it() -> None:
    """The overall floor is weighted by non-performance runs; 1.5x is the target."""
    rows = [
        {"session": "a", "wall_s": 30.0, "perf_sampling_s": 10.0, "case_runs": 110,
         "perf_case_runs": 10, "floor": {"mean_ms": 100.0}},
        {"session": "b", "wall_s": 20.0, "perf_sampling_s": 0.0, "case_runs": 100,
         "perf_case_runs": 0, "floor": {"mean_ms": 400.0}},
    ]
    total = bench_total.total(rows, cores=2)
    assert total["wall_minus_perf_s"] == 40.0
    assert total["cost_per_case_run_ms"] == 400.0  # 40 s x 2 / 200 runs
    assert total["floor_ms"] == 250.0
    assert total["ratio"] == 1.6
    targets = {t["target"]: t["met"] for t in bench_total.targets(total, rows)}
    assert targets["cost per case run <= 1.5x the hand-run floor"] is False
    assert targets["matrix on all interpreters <= 90 s besides performance sampling"] is True


def test_the_bound_and_the_quick_ratio() -> None:
    """bound = sum(non-perf runs x floor) / cores + sampling; --quick against the full wall."""
    rows = [
        {"session": "a", "wall_s": 30.0, "perf_sampling_s": 10.0, "case_runs": 110,
         "perf_case_runs": 10, "floor": {"mean_ms": 100.0}, "quick_wall_s": 12.0,
         "quick_cpu_busy": 0.5},
        {"session": "b", "wall_s": 20.0, "perf_sampling_s": 0.0, "case_runs": 100,
         "perf_case_runs": 0, "floor": {"mean_ms": 400.0}, "quick_wall_s": 8.0,
         "quick_cpu_busy": 1.0},
    ]
    total = bench_total.total(rows, cores=2)
    assert total["quick_cpu_busy"] == round((12 * 0.5 + 8 * 1.0) / 20, 3)  # by wall
    assert total["bound_s"] == (100 * 0.1 + 100 * 0.4) / 2 + 10.0  # 35 s
    assert total["wall_vs_bound"] == round(50.0 / 35.0, 3)
    assert (total["quick_wall_s"], total["quick_vs_full"]) == (20.0, 0.4)
    targets = {t["target"]: t["met"] for t in bench_total.targets(total, rows)}
    assert targets["--quick in under a third of the full wall"] is False
    assert targets["full matrix <= 1.15x its bound (non-perf runs x floor / cores + "
                   "sampling)"] is False
    assert "cpu_bound_s" not in total  # no CPU measured: no CPU bound
    rows[0]["quick_cpu_s"], rows[1]["quick_cpu_s"] = 22.0, 16.0
    total = bench_total.total(rows, cores=2)
    assert total["cpu_bound_s"] == (22.0 + 16.0) / 2 + 10.0  # 29 s
    assert total["wall_vs_cpu_bound"] == round(50.0 / 29.0, 3)
    targets = {t["target"]: t["met"] for t in bench_total.targets(total, rows)}
    assert targets["proposed (#24): full matrix <= 1.15x its CPU bound (--quick runs' CPU / "
                   "cores + sampling)"] is False
    del rows[1]["quick_wall_s"]  # not measured: no ratio, never "met"
    assert "quick_vs_full" not in bench_total.total(rows, cores=2)


def test_a_selection_measures_no_whole_matrix_target() -> None:
    """`nox -s bench -- -k start_latency` ran 99 latency cells and read "[met] full matrix <=
    1.15x its bound" and "[met] matrix on all interpreters <= 90 s" from them."""
    rows = [{"session": "a", "wall_s": 8.0, "perf_sampling_s": 7.0, "case_runs": 9,
             "perf_case_runs": 9, "floor": {"mean_ms": 60.0}}]
    total = bench_total.total(rows, cores=2)
    whole = [t for t in bench_total.targets(total, rows, selection="start_latency")
             if t["target"].startswith(bench_total.WHOLE_MATRIX)]
    assert len(whole) == 4
    assert all(t["measured"] is None and t["met"] is False for t in whole)
    table = bench_total.table(rows, total, {}, whole)
    assert "[not measured] full matrix <= 1.15x its bound (non-perf runs x floor / cores + " \
        "sampling): a -k start_latency selection, not the full matrix" in table
    unselected = {t["target"]: t["met"] for t in bench_total.targets(total, rows)}
    assert unselected["matrix on all interpreters <= 90 s besides performance sampling"] is True


def test_latency_check_compares_medians_over_alternating_rounds(
        tmp_path: Path, monkeypatch: Any) -> None:
    """Round by round: the case alone, then the script; the medians over rounds are compared
    (one wild round does not decide), and every pair is kept."""
    case_ms = iter([10.0, 30.0, 11.0])
    script_ms = iter([10.0, 10.0, 10.0])
    order: List[str] = []

    def fake_matrix_run(interpreter: Any, results_dir: Path, extra: Any) -> float:
        order.append("case")
        cell = {"case": "performance.start_latency", "method": "forkserver",
                "category": "performance", "outcome": "ok", "wall_s": 1.0,
                "observed": {"median": next(case_ms)}}
        results_dir.mkdir(parents=True)
        _results_file(results_dir, [cell])
        return 1.0

    def fake_independent(interpreter: Any, methods: Any) -> Dict[str, float]:
        order.append("script")
        return {"forkserver": next(script_ms)}

    monkeypatch.setattr(bench, "_matrix_run", fake_matrix_run)
    monkeypatch.setattr(bench, "independent_latency", fake_independent)
    found = bench.latency_check(["python"], ["forkserver"], tmp_path, {"forkserver": 12.0}, 3)
    assert order == ["case", "script"] * 3
    check = found["forkserver"]
    assert (check["case_ms"], check["independent_ms"], check["ratio"]) == (11.0, 10.0, 1.1)
    assert check["within_25pct"] is True
    assert [r["case_ms"] for r in check["rounds"]] == [10.0, 30.0, 11.0]
    assert check["in_matrix_ms"] == 12.0


def test_busy_share_of_the_machine() -> None:
    """busy jiffies over all jiffies between two readings; nothing when unreadable."""
    assert bench.busy_share((100, 1000), (400, 1400)) == 0.75
    assert bench.busy_share(None, (1, 2)) is None
    assert bench.busy_share((5, 10), (5, 10)) is None
    reading = bench.cpu_jiffies()
    assert reading is None or 0 <= reading[0] <= reading[1]


def test_interpreters_share_one_results_folder_and_read_their_own_file(
        tmp_path: Path, monkeypatch: Any) -> None:
    """As in `nox -s matrix`, every interpreter's runs write to one folder (a first run takes
    the timeouts of those before it as history); each row reads the file its own run wrote,
    and records the run's CPU."""
    folders: List[Path] = []

    def fake_timed_run(interpreter: Any, results_dir: Path, extra: Any) -> Any:
        folders.append(results_dir)
        results_dir.mkdir(parents=True, exist_ok=True)
        name = interpreter[0]
        doc = {"tests": [{"metadata": {"case": "methods.y", "method": "fork", "outcome": "ok",
                                       "category": "methods", "wall_s": 0.1}}],
               "harness": {"environment": {"id": "linux-cpython-" + name},
                           "cases": [{"id": "methods.y", "timeout_s": 20.0}]}}
        (results_dir / ("linux-cpython-%s.json" % name)).write_text(json.dumps(doc))
        return 10.0, 15.0 if "--quick" in extra else 17.0

    monkeypatch.setattr(bench, "_timed_run", fake_timed_run)
    monkeypatch.setattr(bench, "latency_check", lambda *a: {})
    monkeypatch.setattr(bench, "measure_floor", lambda *a: {"mean_ms": 50.0})
    args = argparse.Namespace(k=None, no_quick=False, no_deadlock_span=True,
                              latency_rounds=1, floor_runs=1)
    rows = []
    for name in ("3.12", "3.13"):
        interp = argparse.Namespace(command=[name], path=name, session_name=name,
                                    origin="pyenv")
        rows.append(bench._bench_interpreter(interp, args, tmp_path, 2))
    assert set(folders) == {tmp_path / bench.RESULTS_FOLDER}
    assert [r["environment"] for r in rows] == ["linux-cpython-3.12", "linux-cpython-3.13"]
    assert [(r["cpu_s"], r["quick_cpu_s"]) for r in rows] == [(17.0, 15.0)] * 2


def test_a_target_nothing_measured_says_so_not_missed() -> None:
    """`--no-deadlock-span` printed "[NOT met] deadlock cases …: None"."""
    rows = [{"session": "a", "wall_s": 30.0, "perf_sampling_s": 10.0, "case_runs": 110,
             "perf_case_runs": 10, "floor": {"mean_ms": 100.0}}]
    total = bench_total.total(rows, cores=2)
    text = bench_total.table(rows, total, {}, bench_total.targets(total, rows))
    assert "[not measured] deadlock cases of one interpreter <= 2x the longest timeout: None" \
        in text
    assert "[NOT met] cost per case run <= 1.5x the hand-run floor" in text
