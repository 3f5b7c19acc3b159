"""Parallel cells observe what serial cells observe: a slice of the real catalog (every
category but performance, cells that share /dev/shm, the environment, the forkserver and the
process table with their neighbours) run with the default workers and with ``--jobs 1`` gives
the same outcome and observed value in every cell. The slice holds a cell expected to hang
(fork with a lock held by a thread): it runs in the CPU pool when there is no history, in the
waiting pool when the previous results say it timed out, and alone in the serial run; all
three must agree."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, Tuple

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent

#: Quick cases from each non-performance category, and one whose fork cell is expected to
#: wait out its hang timeout.
SLICE = " or ".join([
    "deadlock.lock_held_by_thread_at_fork",
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
    # The same folder again: its results file is now the history, so the cell that timed out
    # is scheduled in the waiting pool (the first run had no history: CPU pool).
    again = _cells(tmp_path / "parallel", "")
    serial = _cells(tmp_path / "serial", "1")
    assert len(parallel) >= 30
    assert parallel["deadlock.lock_held_by_thread_at_fork[fork]"][0] == "timeout"
    assert set(parallel) == set(serial) == set(again)
    differing = {cell: (parallel[cell], again[cell], serial[cell]) for cell in parallel
                 if not parallel[cell] == again[cell] == serial[cell]}
    assert differing == {}


def test_the_pool_follows_history_not_expectations(tmp_path: Path) -> None:
    """Only cells that timed out in the previous results of the same environment (on its first
    run: of the other environments in the folder) are scheduled as waiting; an expectation of
    ``timeout`` alone changes nothing."""
    from harness import scheduling
    from harness.guest import catalog

    env = {"os": "linux", "implementation": "cpython", "python_version": "3.12.4"}
    state = SimpleNamespace(results_dir=tmp_path, environment=env)
    assert scheduling.timed_out_before(state) == set()  # type: ignore[arg-type]
    (tmp_path / "linux-cpython-3.12.json").write_text(json.dumps({"tests": [
        {"metadata": {"case": "deadlock.a", "method": "fork", "outcome": "timeout"}},
        {"metadata": {"case": "deadlock.a", "method": "spawn", "outcome": "ok"}}]}))
    timed_out = scheduling.timed_out_before(state)  # type: ignore[arg-type]
    assert timed_out == {("deadlock.a", "fork")}
    expected_to_hang = catalog.Case(lambda ctx: None, "deadlock.b", "t", [], [
        catalog.on("fork", catalog.timeout())], [], 15.0, [], ["fork"])
    item = SimpleNamespace(case=expected_to_hang, method="fork")
    assert not scheduling.waits(item, timed_out)  # type: ignore[arg-type]
    assert scheduling.waits(item, timed_out | {("deadlock.b", "fork")})  # type: ignore[arg-type]
    # The Debian root's 3.12 is another environment. On its first run (no file of its own) the
    # other environments' files stand in: the cells that hang on one mostly hang on the next.
    root = SimpleNamespace(results_dir=tmp_path, environment={**env, "root": "sid"})
    (tmp_path / "linux-pypy-3.9.json").write_text(json.dumps({"tests": [
        {"metadata": {"case": "pickling.b", "method": "spawn", "outcome": "timeout"}}]}))
    (tmp_path / "notes.json").write_text("{not json")  # unusable: no hint, no error
    assert scheduling.timed_out_before(root) == {  # type: ignore[arg-type]
        ("deadlock.a", "fork"), ("pickling.b", "spawn")}
    # Another OS's file does not count; a cell counts when it timed out in at least half of
    # the others (one slow interpreter's timeouts do not make every first run wait).
    (tmp_path / "macos-cpython-3.12.json").write_text(json.dumps({"tests": [
        {"metadata": {"case": "deadlock.m", "method": "fork", "outcome": "timeout"}}]}))
    (tmp_path / "linux-cpython-3.13.json").write_text(json.dumps({"tests": [
        {"metadata": {"case": "deadlock.a", "method": "fork", "outcome": "timeout"}}]}))
    assert scheduling.timed_out_before(root) == {  # type: ignore[arg-type]
        ("deadlock.a", "fork")}
    (tmp_path / "linux-cpython-3.13.json").unlink()
    # Once it has its own file, that alone counts, even with no timeout in it.
    (tmp_path / "linux-cpython-3.12-root.json").write_text(json.dumps({"tests": [
        {"metadata": {"case": "deadlock.c", "method": "spawn", "outcome": "timeout"}}]}))
    assert scheduling.timed_out_before(root) == {("deadlock.c", "spawn")}  # type: ignore[arg-type]
    assert scheduling.timed_out_before(state) == timed_out  # type: ignore[arg-type]
    (tmp_path / "linux-cpython-3.12-root.json").write_text(json.dumps({"tests": [
        {"metadata": {"case": "deadlock.c", "method": "spawn", "outcome": "ok"}}]}))
    assert scheduling.timed_out_before(root) == set()  # type: ignore[arg-type]
    # An unusable file of its own is no history: the others' files stand in.
    (tmp_path / "linux-cpython-3.12.json").write_text("{not json")
    assert scheduling.timed_out_before(state) == {("pickling.b", "spawn")}  # type: ignore[arg-type]
