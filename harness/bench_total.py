"""``nox -s bench``'s arithmetic: the totals over the interpreters' rows, the targets they are
judged by, and the printed table. Host-only code.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from harness.bench_merge import merge_lines, merge_targets
from harness.guest.words import FORKSERVER, SPAWN

__all__ = ["table", "targets", "total"]


#: The targets about the whole matrix: a ``-k`` selection measures none of them.
WHOLE_MATRIX = ("matrix on all interpreters", "full matrix", "proposed (#24): full matrix",
                "--quick in under a third")


def targets(total: Dict[str, Any], rows: List[Dict[str, Any]],
            merges: Optional[Dict[str, Any]] = None, selection: str = "") -> List[Dict[str, Any]]:
    """The targets and what the rows measured of each; with ``selection`` (``-k``) the
    whole-matrix ones are not measured, saying why (a latency-only bench read "full matrix
    <= 1.15x its bound: met" from 99 start_latency runs)."""
    found = _targets(total, rows, merges)
    if selection:
        for t in found:
            if t["target"].startswith(WHOLE_MATRIX):
                t.update(measured=None, met=False,
                         why="a -k %s selection, not the full matrix" % selection)
    return found


def _targets(total: Dict[str, Any], rows: List[Dict[str, Any]],
             merges: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    ratio = total.get("ratio")
    hangs = [t for row in rows for t in row.get("timeouts", [])]
    worst_timeout = max((t["ratio"] for t in hangs if t["ratio"] is not None), default=None)
    bound, quick = total.get("wall_vs_bound"), total.get("quick_vs_full")
    spans = [row["deadlock_span"]["ratio"] for row in rows
             if row.get("deadlock_span", {}).get("ratio") is not None]
    checks = [row["latency_check"][m]["within_25pct"] for row in rows
              for m in (SPAWN, FORKSERVER) if m in row.get("latency_check", {})]
    return [
        {"target": "cost per case run <= 1.5x the hand-run floor", "measured": ratio,
         "met": ratio is not None and ratio <= 1.5},
        {"target": "stretch: cost per case run <= 1.0x the floor", "measured": ratio,
         "met": ratio is not None and ratio <= 1.0},
        {"target": "matrix on all interpreters <= 90 s besides performance sampling",
         "measured": total.get("wall_minus_perf_s"),
         "met": total.get("wall_minus_perf_s", 1e9) <= 90},
        {"target": "full matrix <= 1.15x its bound (non-perf runs x floor / cores + "
                   "sampling)", "measured": bound, "met": bound is not None and bound <= 1.15},
        {"target": "proposed (#24): full matrix <= 1.15x its CPU bound (--quick runs' CPU / "
                   "cores + sampling)", "measured": total.get("wall_vs_cpu_bound"),
         "met": total.get("wall_vs_cpu_bound") is not None and total["wall_vs_cpu_bound"] <= 1.15},
        {"target": "--quick in under a third of the full wall", "measured": quick,
         "met": quick is not None and quick < 1 / 3},
        {"target": "each timeout within 1.5x its limit", "measured": worst_timeout,
         "met": worst_timeout is not None and worst_timeout <= 1.5},
        {"target": "deadlock cases of one interpreter <= 2x the longest timeout",
         "measured": max(spans) if spans else None, "met": bool(spans) and max(spans) <= 2.0},
        {"target": "start_latency within +-25% of an independent measurement (spawn, "
                   "forkserver)", "measured": f"{sum(checks)}/{len(checks)}",
         "met": bool(checks) and all(checks)},
        *(merge_targets(merges) if merges else []),
    ]


def total(rows: List[Dict[str, Any]], cores: int) -> Dict[str, Any]:
    good = [r for r in rows if "case_runs" in r]
    wall = sum(r["wall_s"] for r in good)
    perf = sum(r["perf_sampling_s"] for r in good)
    runs = sum(r["case_runs"] for r in good)
    other = runs - sum(r["perf_case_runs"] for r in good)
    total: Dict[str, Any] = {"wall_s": round(wall, 2), "case_runs": runs,
                             "non_perf_case_runs": other, "perf_sampling_s": round(perf, 2),
                             "wall_minus_perf_s": round(wall - perf, 2), "cores": cores}
    if good and all("floor" in r for r in good):
        # The physical bound: every non-performance run at its interpreter's hand-run floor,
        # spread over the cores, plus the performance protocol's own sampling (serial).
        floor_s = sum((r["case_runs"] - r["perf_case_runs"]) * r["floor"]["mean_ms"] / 1000.0
                      for r in good)
        total["bound_s"] = round(floor_s / cores + perf, 2)
        total["wall_vs_bound"] = round(wall / total["bound_s"], 3) if total["bound_s"] else None
    if good and all("quick_wall_s" in r for r in good):
        total["quick_wall_s"] = round(sum(r["quick_wall_s"] for r in good), 2)
        total["quick_vs_full"] = round(total["quick_wall_s"] / wall, 3) if wall else None
        busy = [(r["quick_wall_s"], r["quick_cpu_busy"]) for r in good
                if r.get("quick_cpu_busy") is not None]
        if busy:  # weighted by wall: the share of the quick runs' core-seconds that was used
            total["quick_cpu_busy"] = round(sum(w * b for w, b in busy) / sum(w for w, _ in busy),
                                            3)
        if all("quick_cpu_s" in r for r in good):
            # The CPU bound: the non-performance cells' own CPU (the --quick runs' trees, harness
            # included) spread over the cores, plus the performance cells alone, one at a time.
            total["cpu_bound_s"] = round(sum(r["quick_cpu_s"] for r in good) / cores + perf, 2)
            total["wall_vs_cpu_bound"] = round(wall / total["cpu_bound_s"], 3) \
                if total["cpu_bound_s"] else None
    if other:
        total["cost_per_case_run_ms"] = round((wall - perf) * cores / other * 1000.0, 2)
        # The floor, weighted like the cost: by each interpreter's non-performance runs.
        weights = [(r["case_runs"] - r["perf_case_runs"], r["floor"]["mean_ms"]) for r in good]
        total["floor_ms"] = round(sum(w * f for w, f in weights) / other, 2)
        total["ratio"] = round(total["cost_per_case_run_ms"] / total["floor_ms"], 3)
    return total


def table(rows: List[Dict[str, Any]], total: Dict[str, Any], merges: Dict[str, Any],
           targets: List[Dict[str, Any]]) -> str:
    head = ("session", "wall s", "runs", "perf runs", "perf s", "cost/run ms", "floor ms",
            "ratio", "latency case/indep (spawn, fs)")
    lines = [head]
    for r in rows:
        if "case_runs" not in r:
            lines.append((r["session"], r.get("error", "?"), "", "", "", "", "", "", ""))
            continue
        check = r.get("latency_check", {})
        lines.append((r["session"], "{:.1f}".format(r["wall_s"]), str(r["case_runs"]),
                      str(r["perf_case_runs"]), "{:.1f}".format(r["perf_sampling_s"]),
                      str(r.get("cost_per_case_run_ms")), str(r["floor"]["mean_ms"]),
                      str(r.get("ratio")), ", ".join(
                          "{} {}".format(m, check[m]["ratio"]) for m in (SPAWN, FORKSERVER)
                          if m in check)))
    lines.append(("TOTAL", str(total["wall_s"]), str(total["case_runs"]),
                  str(total["case_runs"] - total["non_perf_case_runs"]),
                  str(total["perf_sampling_s"]), str(total.get("cost_per_case_run_ms")),
                  str(total.get("floor_ms")), str(total.get("ratio")), ""))
    widths = [max(len(str(row[i])) for row in lines) for i in range(len(head))]
    text = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    text += merge_lines(merges)
    for t in targets:
        mark = "met" if t["met"] else "not measured" if t["measured"] is None else "NOT met"
        text.append("[{}] {}: {}".format(mark, t["target"], t.get("why") or t["measured"]))
    return "\n".join(text)


