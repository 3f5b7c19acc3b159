"""The merge part of ``nox -s bench``: synthetic results files, load + merge + render timings
for 40 (a full CI run), 100 and 1,000 of them, and the merge targets (40 files under 1 s,
linear growth).

Host-only code; ``harness.bench`` runs it after the matrix and prints :func:`merge_lines`.
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from harness.guest import words
from harness.guest.words import CATEGORIES, START_METHODS

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["SIZES", "merge_linearity", "merge_lines", "merge_targets", "synthetic_results",
           "time_merge_and_render"]

#: Results files of a full CI run (OS x interpreter legs), and their load + merge target (wall s).
CI_FILES = 40
MERGE_TARGET_S = 1.0
#: The file counts the bench merges, smallest first.
SIZES = (CI_FILES, 100, 1000)
#: Cases per synthetic file: about the catalog's size, so a file weighs what a real one does.
CASES_PER_FILE = 90
#: 1,000 files may cost this many times 100 files and still count as linear (10, plus 20 %).
LINEAR_RATIO_MAX = 12.0


def _synthetic_doc(index: int, cases: int, rng: random.Random) -> Dict[str, Any]:
    systems = words.OPERATING_SYSTEMS
    versions = [(words.CPYTHON, f"3.{minor}.{1 + index % 7}") for minor in range(8, 15)]
    versions += [(words.PYPY, f"3.{minor}.1") for minor in (9, 10, 11)]
    impl, version = versions[index % len(versions)]
    system = systems[(index // len(versions)) % len(systems)]
    methods = [words.SPAWN] if system == words.WINDOWS else [words.FORK, words.SPAWN,
                                                              words.FORKSERVER]  # Linux's order
    stamp = f"2026-01-{1 + index % 28:02d}T{index % 24:02d}:00:00+00:00"
    env = {"os": system, "implementation": impl, "python_version": version,
           "python_full_version": version, "free_threading": False, "gil_enabled": True,
           "arch": "x86_64", "available_methods": methods, "default_method": methods[0],
           "executor_default_method": methods[0], "cpu_count": 4, "harness_version": "0.1.0",
           "git_commit": "%040x" % (index // 50), "timestamp": stamp, "ci": None,
           "is_ci": False, "executable": "/usr/bin/python3", "root": None,
           "platform": system, "sys_platform": system, "start_method_before_use": None}
    catalog = []
    tests = []
    for number in range(cases):
        category = CATEGORIES[number % len(CATEGORIES)]
        case_id = f"{category}.synthetic_{number:02d}"
        catalog.append({"id": case_id, "category": category, "title": f"Synthetic case {number}",
                        "doc": "A generated case for the merge benchmark.",
                        "source": "https://docs.python.org/3/library/multiprocessing.html",
                        "sources": ["https://docs.python.org/3/library/multiprocessing.html"],
                        "covers": [], "claims": [], "timeout_s": 20.0, "module": "cases.x",
                        "code": "def synthetic(ctx):\n    return 1\n",
                        "expect": [{"outcome": words.OK, "methods": ["*"], "value": 1}]})
        for method in START_METHODS:
            roll = rng.random()
            outcome = words.OK if roll < 0.85 else (words.ERROR if roll < 0.93 else words.TIMEOUT)
            if method not in methods:
                outcome = words.UNAVAILABLE
            observed = (1 if rng.random() < 0.9 else 2) if outcome == words.OK else None
            verdict = words.AS_EXPECTED if observed == 1 else words.UNEXPECTED
            meta: Dict[str, Any] = {"case": case_id, "method": method, "category": category,
                    "outcome": outcome, "observed": observed,
                    "expected": {"outcome": words.OK, "methods": ["*"], "value": 1},
                    "verdict": verdict, "duration_s": rng.random(), "wall_s": rng.random(),
                    "warnings": [], "detail": "", "stdout": "", "stderr": "", "returncode": 0,
                    "error": {"type": "ValueError", "message": "synthetic", "where": "child"}
                    if outcome == words.ERROR else None}
            tests.append({"nodeid": f"cases/{category}.py::{case_id}[{method}]",
                          "outcome": "passed", "metadata": meta})
    return {"created": 0.0, "duration": 1.0, "exitcode": 0, "root": "/synthetic",
            "environment": {}, "summary": {"total": len(tests)}, "tests": tests,
            "harness": {"schema_version": "1.1", "environment": env, "cases": catalog}}


def synthetic_results(folder: Path, files: int, cases: int = CASES_PER_FILE,
                      seed: int = 0) -> List[str]:
    """Write ``files`` synthetic results files (``cases`` cases x 3 methods each)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(files):
        path = folder / f"synthetic-{index:04d}.json"
        path.write_text(json.dumps(_synthetic_doc(index, cases, rng)), encoding="utf-8")
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
