"""Parallel cells observe what serial cells observe: a slice of the real catalog (every
category but performance, cells that share /dev/shm, the environment, the forkserver and the
process table with their neighbours) run with the default workers and with ``--jobs 1`` gives
the same outcome and observed value in every cell."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, Tuple

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent

#: Quick cases from each non-performance category (none of them waits out a hang timeout).
SLICE = " or ".join([
    "methods.",
    "inheritance.module_global_mutated_after_import",
    "inheritance.environment_variable_set_after_forkserver_started",
    "inheritance.threads_in_child",
    "inheritance.open_file_descriptor",
    "inheritance.parent_pid",
    "pickling.lambda_target",
    "pickling.multiprocessing_lock_through_queue",
    "pickling.lock_from_other_context",
    "pickling.local_class_instance",
    "deadlock.queue_join_before_get_small",
    "deadlock.set_start_method_twice",
])


def _cells(results_dir: Path, jobs: str) -> Dict[str, Tuple[str, str]]:
    args = [sys.executable, "-m", "harness", "run", "--results-dir", str(results_dir),
            "-k", SLICE] + (["--jobs", jobs] if jobs else [])
    done = subprocess.run(args, cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    (results_file,) = results_dir.glob("*.json")
    doc = json.loads(results_file.read_text(encoding="utf-8"))
    return {test["metadata"]["case"] + "[" + test["metadata"]["method"] + "]":
            (test["metadata"]["outcome"], json.dumps(test["metadata"].get("observed"),
                                                     sort_keys=True))
            for test in doc["tests"]}


def test_parallel_and_serial_runs_observe_the_same(tmp_path: Path) -> None:
    parallel = _cells(tmp_path / "parallel", "")
    serial = _cells(tmp_path / "serial", "1")
    assert len(parallel) >= 30
    assert set(parallel) == set(serial)
    differing = {cell: (parallel[cell], serial[cell]) for cell in parallel
                 if parallel[cell] != serial[cell]}
    assert differing == {}
