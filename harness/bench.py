"""``nox -s bench``: how much the harness costs compared with running each cell by hand.

Runs the full catalog on every local interpreter (``python -m harness run``, one interpreter
after the other, as the nox matrix sessions do), then — in the same run, on the same
interpreters — the hand-run floor (``python -I floor.py METHOD``: one no-op child, median over
runs, mean over methods) and an independent start-latency measurement to check
``performance.start_latency`` against; times merging 40, 100 and 1,000 synthetic results files and
rendering the report; prints a table and writes ``reports/bench.json``. The full matrix is set
against its physical bound (every non-performance run at its interpreter's hand-run floor over
the cores, plus the performance sampling) and against its CPU bound (the ``--quick`` runs' CPU
over the cores, plus the sampling), and each interpreter's ``--quick`` run against it. The
matrix runs share one results folder, as in ``nox -s matrix``.
Host-only code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from harness import bench_total, pageload, results
from harness.bench_floor import independent_latency, measure_floor
from harness.bench_merge import (
    SIZES,
    synthetic_results,
    time_merge_and_render,
)
from harness.exits import EXIT_FAILED, EXIT_OK
from harness.guest.words import DEADLOCK, OK, PERFORMANCE, START_METHODS, TIMEOUT
from harness.results import REPORTS, ROOT

__all__ = ["main", "synthetic_results", "time_merge_and_render"]

#: The matrix runs' results folder inside the bench's work folder (--results-dir).
RESULTS_FOLDER = "results"


def latency_check(interpreter: Sequence[str], methods: Sequence[str], workdir: Path,
                  in_matrix: Dict[str, Any], rounds: int) -> Dict[str, Any]:
    """``performance.start_latency`` against the independent script, in ``rounds`` alternating
    rounds (the case alone, then the script right after it; 9 by default), comparing the
    medians over the rounds: a load change on this shared machine then moves both sides, not
    one. Every round's pair and the value from the full matrix run are kept."""
    pairs: Dict[str, List[Tuple[float, float]]] = {m: [] for m in methods}
    for number in range(rounds):
        out = workdir / f"round-{number}"
        _matrix_run(interpreter, out, ["-k", "performance.start_latency and not first"])
        files = sorted(out.glob("*.json"))
        ours = _start_latency(_cells(_results_doc(files[0]))) if files else {}
        theirs = independent_latency(interpreter, methods)
        for method in methods:
            if ours.get(method) and theirs.get(method):
                pairs[method].append((float(ours[method]), theirs[method]))
    found: Dict[str, Any] = {}
    for method, measured in pairs.items():
        if not measured:
            continue
        case_ms = statistics.median(p[0] for p in measured)
        independent_ms = statistics.median(p[1] for p in measured)
        ratio = case_ms / independent_ms
        found[method] = {"case_ms": round(case_ms, 3), "independent_ms": round(independent_ms, 3),
                         "ratio": round(ratio, 3), "within_25pct": abs(ratio - 1) <= 0.25,
                         "rounds": [{"case_ms": a, "independent_ms": b} for a, b in measured],
                         "in_matrix_ms": in_matrix.get(method)}
    return found


def _cells(doc: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [t["metadata"] for t in doc.get("tests", []) if t.get("metadata")]


def _start_latency(cells: List[Dict[str, Any]]) -> Dict[str, Any]:
    """``performance.start_latency``'s median per method (ms), from the cells that have one."""
    return {c["method"]: c["observed"].get("median") for c in cells
            if c.get("case") == "performance.start_latency" and c.get("outcome") == OK
            and isinstance(c.get("observed"), dict)}


def _results_doc(results_file: Path) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads(results_file.read_text(encoding="utf-8"))
    return data


def summarize_run(results_file: Path, wall_s: float, cores: int) -> Dict[str, Any]:
    """Case runs, performance sampling time and cost per case run from one results file."""
    doc = _results_doc(results_file)
    cells = _cells(doc)
    timeouts = {c["id"]: c.get("timeout_s") for c in doc["harness"]["cases"]}
    perf = [c for c in cells if c.get("category") == PERFORMANCE]
    perf_s = sum(float(c.get("wall_s") or 0.0) for c in perf)
    others = len(cells) - len(perf)
    timeout_cells = []
    for cell in cells:
        if cell.get("outcome") == TIMEOUT:
            limit = timeouts.get(cell["case"])
            timeout_cells.append({
                "cell": "{}[{}]".format(cell["case"], cell["method"]), "timeout_s": limit,
                "wall_s": round(float(cell.get("wall_s") or 0.0), 2),
                "ratio": round(float(cell.get("wall_s") or 0.0) / limit, 2) if limit else None})
    return {
        "environment": doc["harness"]["environment"].get("id"),
        "available_methods": doc["harness"]["environment"].get("available_methods"),
        "wall_s": round(wall_s, 2),
        "case_runs": len(cells),
        "perf_case_runs": len(perf),
        "perf_sampling_s": round(perf_s, 2),
        "cost_per_case_run_ms": round((wall_s - perf_s) * cores / others * 1000.0, 2)
        if others else None,
        "outcomes": {o: sum(1 for c in cells if c.get("outcome") == o)
                     for o in sorted({str(c.get("outcome")) for c in cells})},
        "timeouts": timeout_cells,
        "case_start_latency_ms": _start_latency(perf),
    }


def cpu_jiffies() -> Optional[Tuple[int, int]]:
    """(busy, total) jiffies of the whole machine from /proc/stat (None without it)."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = sum(fields[3:5])  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: Optional[Tuple[int, int]], after: Optional[Tuple[int, int]]) -> Optional[
        float]:
    """The machine's CPU busy share between two ``cpu_jiffies`` readings (everyone's work: on a
    shared machine other jobs fill the cores too)."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]), 3)


def _matrix_run(interpreter: Sequence[str], results_dir: Path, extra: Sequence[str]) -> float:
    return _timed_run(interpreter, results_dir, extra)[0]


def _timed_run(interpreter: Sequence[str], results_dir: Path,
               extra: Sequence[str]) -> Tuple[float, float]:
    """Wall and CPU seconds (the run's whole tree: runner, shepherds, cases, every process the
    shepherds reaped) of one ``harness run``."""
    command = [sys.executable, "-m", "harness", "run", "--python", shlex.join(interpreter),
               "--results-dir", str(results_dir), *extra]
    started, before = time.perf_counter(), os.times()
    subprocess.run(command, cwd=str(ROOT), stdout=subprocess.DEVNULL, check=False)
    after = os.times()
    cpu = (after.children_user - before.children_user) + \
        (after.children_system - before.children_system)
    return time.perf_counter() - started, cpu


def _stamps(folder: Path) -> Dict[Path, int]:
    """The results files in ``folder`` and their modification times (ns)."""
    return {p: p.stat().st_mtime_ns for p in sorted(folder.glob("*.json"))}


def deadlock_span(interpreter: Sequence[str], workdir: Path) -> Dict[str, Any]:
    """Wall of the deadlock cases alone (``-k deadlock``) minus a run that selects nothing
    (interpreter probe, collection, pytest start-up)."""
    with_cases = _matrix_run(interpreter, workdir / "deadlock", ["-k", "deadlock"])
    empty = _matrix_run(interpreter, workdir / "empty", ["-k", "no_case_is_named_this"])
    files = sorted((workdir / "deadlock").glob("*.json"))
    longest = 0.0
    if files:
        doc = _results_doc(files[0])
        longest = max((float(c.get("timeout_s") or 0) for c in doc["harness"]["cases"]
                       if c.get("category") == DEADLOCK), default=0.0)
    span = with_cases - empty
    return {"span_s": round(span, 2), "longest_timeout_s": longest,
            "ratio": round(span / longest, 2) if longest else None}


# --------------------------------------------------------------------------- the benchmark


def _row_name(interp: Any) -> str:
    """The root's 3.13 and the host's share a session name: each gets a folder and row."""
    return str(interp.session_name) + ("-root" if interp.origin == "root" else "")


def _bench_interpreter(interp: Any, args: argparse.Namespace, work: Path,
                       cores: int) -> Dict[str, Any]:
    command = list(interp.command) if interp.command else [interp.path]
    name = _row_name(interp)
    # One folder for every interpreter, as `nox -s matrix` has: an interpreter's first run
    # takes the timeouts of those before it as its history (scheduling.timed_out_before).
    results_dir = work / RESULTS_FOLDER
    extra = ["-k", args.k] if args.k else []
    seen = _stamps(results_dir)
    before = cpu_jiffies()
    wall, cpu = _timed_run(command, results_dir, extra)
    busy = busy_share(before, cpu_jiffies())
    files = [p for p, stamp in _stamps(results_dir).items() if seen.get(p) != stamp]
    if not files:
        return {"session": name, "error": "no results file written"}
    row: Dict[str, Any] = {"session": name, "interpreter": shlex.join(command)}
    row.update(summarize_run(files[0], wall, cores))
    row["cpu_s"] = round(cpu, 2)
    row["cpu_busy"] = busy  # the performance phase keeps one core idle by design
    row["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if not args.no_quick:  # after the full run: its history is the quick run's, as for a user
        before = cpu_jiffies()
        quick_wall, quick_cpu = _timed_run(command, results_dir, [*extra, "--quick"])
        row["quick_wall_s"], row["quick_cpu_s"] = round(quick_wall, 2), round(quick_cpu, 2)
        # Non-performance cells only: how busy they keep the cores (1.0: no idle tail at all).
        row["quick_cpu_busy"] = busy_share(before, cpu_jiffies())
    methods = [m for m in START_METHODS if m in (row.get("available_methods") or START_METHODS)]
    row["latency_check"] = latency_check(command, methods, work / ("lat-" + name),
                                         row["case_start_latency_ms"], args.latency_rounds)
    row["floor"] = measure_floor(command, methods, args.floor_runs)
    if row.get("cost_per_case_run_ms"):
        row["ratio"] = round(row["cost_per_case_run_ms"] / row["floor"]["mean_ms"], 3)
    if not args.no_deadlock_span:
        row["deadlock_span"] = deadlock_span(command, work / ("dl-" + name))
    return row


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.bench", description=__doc__)
    parser.add_argument("--python", action="append", metavar="PATH",
                        help="only these interpreters (repeatable; default: all discovered)")
    parser.add_argument("-k", help="pytest -k expression for the matrix runs (default: all)")
    parser.add_argument("--floor-runs", type=int, default=10, help="runs per floor median")
    parser.add_argument("--latency-rounds", type=int, default=9, metavar="N",
                        help="alternating rounds of start_latency vs the independent script")
    parser.add_argument("--no-deadlock-span", action="store_true",
                        help="skip the separate deadlock-only runs")
    parser.add_argument("--no-quick", action="store_true",
                        help="skip the --quick run after each full run")
    parser.add_argument("--no-root", action="store_true",
                        help="leave out the Debian root's interpreters (default: included "
                             "when provisioned)")
    parser.add_argument("--skip-merge", action="store_true", help="skip merge/render timing")
    parser.add_argument("--skip-page-load", action="store_true",
                        help="skip timing the 30x100 report page in Chromium")
    parser.add_argument("-o", "--output", default=str(REPORTS / "bench.json"))
    parser.add_argument("--results-dir", help="keep the bench's files here, the matrix "
                                              "results in its results/ (default: a temporary "
                                              "folder)")
    args = parser.parse_args(argv)

    from harness import discovery

    interpreters, _rejected = discovery.discover(explicit=args.python or ())
    if args.python:
        wanted = {os.path.realpath(p) for p in args.python}
        interpreters = [i for i in interpreters if i.real_path in wanted or i.path in wanted]
    elif not args.no_root:  # the full local matrix, as plain `nox` runs it
        interpreters += discovery.root_interpreters()[0]
    cores = os.cpu_count() or 1
    started = time.perf_counter()
    rows: List[Dict[str, Any]] = []
    merges: Dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="smm-bench-") as tmp:
        work = Path(args.results_dir or tmp)
        for interp in interpreters:
            sys.stderr.write(f"bench: {_row_name(interp)} ...\n")
            if interp.origin == "root":  # POSIX-only: imported for the root's interpreters
                from harness import provision

                this_run = provision.ThisRun.now()  # the root is shared: kill only this run's
            try:
                rows.append(_bench_interpreter(interp, args, work, cores))
            finally:
                if interp.origin == "root":  # its mounts are private to each run: release
                    provision.release(provision.default_root_dir(), _log, this_run)
            _write(args.output, rows, merges, cores, started, partial=True, selection=args.k)
        if not args.skip_merge:
            for size in SIZES:
                paths = synthetic_results(work / f"synthetic-{size}", size)
                merges[str(size)] = time_merge_and_render(paths)
            real = [str(p) for p in sorted((work / RESULTS_FOLDER).glob("*.json"))]
            if real:
                merges["this run"] = time_merge_and_render(real)
        page = {"not_measured": "--skip-page-load"} if args.skip_page_load else \
            pageload.page_load(work / "pageload")
    report = _write(args.output, rows, merges, cores, started, partial=False, page_load=page,
                    selection=args.k)
    sys.stdout.write(bench_total.table(rows, report["total"], merges, report["targets"]) + "\n")
    sys.stdout.write(pageload.describe(page) + "\n")
    sys.stdout.write(f"bench: written to {args.output}\n")
    return EXIT_OK if rows and all("case_runs" in r for r in rows) else EXIT_FAILED


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")


def _write(output: str, rows: List[Dict[str, Any]], merges: Dict[str, Any], cores: int,
           started: float, *, partial: bool,
           page_load: Optional[Dict[str, Any]] = None, selection: str = "") -> Dict[str, Any]:
    """Write ``bench.json`` (also after each interpreter, marked ``partial``)."""
    total = bench_total.total(rows, cores)
    report = {"schema": "bench/1", "partial": partial,
              "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "host": {"platform": platform.platform(), "cores": cores,
                       "python": sys.version.split()[0]},
              "bench_wall_s": round(time.perf_counter() - started, 1),
              "interpreters": rows, "total": total, "merge_render": merges,
              "page_load": page_load or {"not_measured": "not yet"},
              "selection": selection or None,
              "targets": bench_total.targets(total, rows, merges, selection or "")
              + pageload.targets(page_load or {
                  "not_measured": "not yet"})}
    results.atomic_write_json(Path(output), report)
    return report


if __name__ == "__main__":
    sys.exit(main())
