"""harness/bench_merge.py: the merge targets and the linearity ratio are computed as stated."""

from __future__ import annotations

from typing import Any, Dict

from harness import bench_merge


def _merges(small_cpu: float, large_cpu: float, ci_wall: float) -> Dict[str, Any]:
    return {"40": {"load_s": 0.1, "merge_s": 0.1, "load_merge_s": ci_wall,
                   "load_merge_cpu_s": 0.1, "cells": 4},
            "100": {"load_s": 0.1, "merge_s": 0.1, "load_merge_s": 0.2,
                    "load_merge_cpu_s": small_cpu, "cells": 10},
            "1000": {"load_s": 1.0, "merge_s": 0.5, "load_merge_s": 3.0,
                     "load_merge_cpu_s": large_cpu, "cells": 100}}


def test_linearity_is_the_cpu_ratio_of_1000_to_100_files() -> None:
    """1,000 files over 100 files, in CPU seconds of load + merge."""
    assert bench_merge.merge_linearity(_merges(0.2, 2.1, 3.0)) == 10.5
    assert bench_merge.merge_linearity({"1000": {"load_merge_cpu_s": 2.0}}) is None
    assert bench_merge.merge_linearity(_merges(0.0, 2.0, 2.0)) is None


def test_targets_judge_a_ci_run_against_1s_and_linearity_against_12x() -> None:
    """Met: 40 files in 0.9 s wall and 11x; not met: 1.1 s and 13x; missing data never met."""
    met = {t["target"]: t["met"] for t in bench_merge.merge_targets(_merges(0.2, 2.2, 0.9))}
    assert list(met.values()) == [True, True]
    missed = bench_merge.merge_targets(_merges(0.2, 2.6, 1.1))
    assert [(t["measured"], t["met"]) for t in missed] == [(1.1, False), (13.0, False)]
    assert [t["met"] for t in bench_merge.merge_targets({})] == [False, False]


def test_table_lines_show_every_size_and_the_ratio() -> None:
    """One line per size (wall and CPU) and one for the linearity ratio."""
    lines = bench_merge.merge_lines(_merges(0.2, 2.1, 0.5))
    assert len(lines) == 4
    assert lines[2].startswith("merge 1000 files:") and "3.0s wall, 2.1s CPU" in lines[2]
    assert lines[3].startswith("merge linearity: 1,000 files take 10.5x")
