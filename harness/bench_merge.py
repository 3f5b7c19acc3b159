"""The merge part of ``nox -s bench``: synthetic results files, load + merge + render timings
for 40 (a full CI run), 100 and 1,000 of them, and the merge targets (40 files under 1 s,
linear growth). A synthetic file holds the real catalog (every case's entry, code and docs
included) and one cell per case and method, so it weighs what a real results file does.

Host-only code; ``harness.bench`` runs it after the matrix and prints :func:`merge_lines`.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import random
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from harness.guest import catalog as case_catalog
from harness.guest import words
from harness.guest.words import CATEGORIES

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["SIZES", "merge_linearity", "merge_lines", "merge_targets", "synthetic_results",
           "time_merge_and_render"]

#: Results files of a full CI run (OS x interpreter legs), and their load + merge target (wall s).
CI_FILES = 40
MERGE_TARGET_S = 1.0
#: The file counts the bench merges, smallest first.
SIZES = (CI_FILES, 100, 1000)
#: 1,000 files may cost this many times 100 files and still count as linear (10, plus 20 %).
LINEAR_RATIO_MAX = 12.0


@functools.lru_cache(maxsize=None)
def catalog_entries() -> Tuple[Tuple[Dict[str, Any], Tuple[str, ...]], ...]:
    """The catalog as a results file holds it (``harness.cases``), each case with the methods
    it runs under (one cell each). Each category module registers its whole category."""
    for category in CATEGORIES:
        importlib.import_module("cases." + category)
    return tuple((case.to_dict(), tuple(case.methods)) for case in case_catalog.all_cases())


def _environment(index: int) -> Dict[str, Any]:
    systems = words.OPERATING_SYSTEMS
    versions = [(words.CPYTHON, f"3.{minor}.{1 + index % 7}") for minor in range(8, 15)]
    versions += [(words.PYPY, f"3.{minor}.1") for minor in (9, 10, 11)]
    impl, version = versions[index % len(versions)]
    system = systems[(index // len(versions)) % len(systems)]
    methods = [words.SPAWN] if system == words.WINDOWS else [words.FORK, words.SPAWN,
                                                              words.FORKSERVER]  # Linux's order
    stamp = f"2026-01-{1 + index % 28:02d}T{index % 24:02d}:00:00+00:00"
    return {"os": system, "implementation": impl, "python_version": version,
            "python_full_version": version, "free_threading": False, "gil_enabled": True,
            "arch": "x86_64", "available_methods": methods, "default_method": methods[0],
            "executor_default_method": methods[0], "cpu_count": 4, "harness_version": "0.1.0",
            "git_commit": "%040x" % (index // 50), "timestamp": stamp, "ci": None,
            "is_ci": False, "executable": "/usr/bin/python3", "root": None,
            "platform": system, "sys_platform": system, "start_method_before_use": None}


def _cell(entry: Dict[str, Any], method: str, available: bool,
          rng: random.Random) -> Dict[str, Any]:
    """One cell's metadata: mostly what the case's first expectation says, some errors and
    timeouts with what a real cell of each carries (error, stderr, detail)."""
    rule = entry["expect"][0] if entry["expect"] else None
    roll = rng.random()
    outcome = words.OK if roll < 0.8 else (words.ERROR if roll < 0.94 else words.TIMEOUT)
    if not available:
        outcome = words.UNAVAILABLE
    observed = None
    if outcome == words.OK:
        observed = rule["value"] if rule and "value" in rule else {"synthetic": 1}
    verdict = (words.NO_EXPECTATION if rule is None or outcome == words.TIMEOUT
               else words.AS_EXPECTED if roll < 0.9 else words.UNEXPECTED)
    return {"case": entry["id"], "method": method, "category": entry["category"],
            "outcome": outcome, "observed": observed, "expected": rule, "verdict": verdict,
            "duration_s": rng.random(), "wall_s": rng.random(), "warnings": [],
            "detail": "no result within the hard timeout; process tree killed"
            if outcome == words.TIMEOUT else "",
            "stdout": "", "stderr": "Traceback (most recent call last):\n  ...\n" * 2
            if outcome != words.OK else "", "returncode": 0,
            "error": {"type": "BrokenProcessPool", "where": "parent", "message":
                      "A process in the process pool was terminated abruptly while the "
                      "future was running or pending."} if outcome == words.ERROR else None}


def _synthetic_doc(index: int, entries: Sequence[Tuple[Dict[str, Any], Tuple[str, ...]]],
                   rng: random.Random) -> Dict[str, Any]:
    """A results file as pytest-json-report writes it: per-test stages and the collectors'
    listing too, which the loader parses but does not use."""
    env = _environment(index)
    tests = []
    for entry, methods in entries:
        for method in methods:
            nodeid = f"{entry['module'].replace('.', '/')}.py::{entry['id']}[{method}]"
            stage = {"duration": rng.random() / 1000, "outcome": "passed"}
            tests.append({"nodeid": nodeid, "lineno": None, "outcome": "passed",
                          "keywords": [f"{entry['id']}[{method}]", "x.py", "cases", ""],
                          "setup": stage, "call": stage, "teardown": stage,
                          "metadata": _cell(entry, method, method in env["available_methods"],
                                            rng)})
    collectors = [{"nodeid": "cases", "outcome": "passed",
                   "result": [{"nodeid": t["nodeid"], "type": "CaseItem", "lineno": None}
                              for t in tests]}]
    return {"created": 0.0, "duration": 1.0, "exitcode": 0, "root": "/synthetic",
            "environment": {}, "summary": {"total": len(tests)}, "collectors": collectors,
            "tests": tests,
            "harness": {"schema_version": "1.1", "environment": env,
                        "cases": [entry for entry, _methods in entries]}}


def synthetic_results(folder: Path, files: int, seed: int = 0) -> List[str]:
    """Write ``files`` synthetic results files (the catalog's cases x 3 methods each)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    entries = catalog_entries()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(files):
        path = folder / f"synthetic-{index:04d}.json"
        path.write_text(json.dumps(_synthetic_doc(index, entries, rng)), encoding="utf-8")
        paths.append(str(path))
    return paths


def time_merge_and_render(paths: Sequence[str]) -> Dict[str, Any]:
    """Seconds for ``load_results`` (read + validate), ``merge`` and ``render_html``, with the
    CPU seconds of load + merge and the load average beside the wall (a busy machine inflates
    the wall, much less the CPU time)."""
    from harness import loading, merge, render

    cpu = time.process_time()
    started = time.perf_counter()
    loaded, rejected = loading.load_results(paths)
    loaded_at = time.perf_counter()
    matrix = merge.merge(loaded, rejected)
    merged_at = time.perf_counter()
    result: Dict[str, Any] = {"files": len(paths), "rejected": len(rejected),
                              "load_s": round(loaded_at - started, 3),
                              "merge_s": round(merged_at - loaded_at, 3),
                              "load_merge_s": round(merged_at - started, 3),
                              "load_merge_cpu_s": round(time.process_time() - cpu, 3),
                              "load_average": round(os.getloadavg()[0], 1)
                              if hasattr(os, "getloadavg") else None,
                              "cells": len(matrix.get("results", []))}
    try:
        html = render.render_html(matrix)
        result["render_s"] = round(time.perf_counter() - merged_at, 3)
        result["html_bytes"] = len(html.encode("utf-8"))
    except Exception as exc:  # noqa: BLE001 - a render failure is reported, not fatal
        result["render_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    return result


def merge_linearity(merges: Dict[str, Any]) -> Optional[float]:
    """CPU seconds of load + merge for 1,000 synthetic files over those for 100 (10: linear).

    CPU time, not wall: on a shared machine the wall of a 0.2 s run says more about the other
    processes than about the merge.
    """
    small = merges.get("100", {}).get("load_merge_cpu_s")
    large = merges.get("1000", {}).get("load_merge_cpu_s")
    if not small or large is None:
        return None
    return round(float(large) / float(small), 2)


def merge_targets(merges: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The merge speed targets as ``{"target", "measured", "met"}`` rows."""
    ci_run = merges.get(str(CI_FILES), {}).get("load_merge_s")
    linearity = merge_linearity(merges)
    return [
        {"target": f"load + merge of {CI_FILES} results files (a CI run) <= "
                   f"{MERGE_TARGET_S:g} s", "measured": ci_run,
         "met": ci_run is not None and ci_run <= MERGE_TARGET_S},
        {"target": "load + merge grows linearly: 1,000 files <= "
                   f"{LINEAR_RATIO_MAX:g}x the CPU time of 100", "measured": linearity,
         "met": linearity is not None and linearity <= LINEAR_RATIO_MAX},
    ]


def merge_lines(merges: Dict[str, Any]) -> List[str]:
    """The merge rows of the bench table."""
    lines = [
        "merge {} files: load {}s, merge {}s (load + merge {}s wall, {}s CPU, load average "
        "{}), render {}s ({} cells)".format(
            size, m.get("load_s"), m.get("merge_s"), m.get("load_merge_s"),
            m.get("load_merge_cpu_s"), m.get("load_average"),
            m.get("render_s", m.get("render_error")), m.get("cells"))
        for size, m in merges.items()]
    linearity = merge_linearity(merges)
    if linearity is not None:
        lines.append(f"merge linearity: 1,000 files take {linearity}x the load + merge CPU time "
                     "of 100 (10x is linear)")
    return lines
