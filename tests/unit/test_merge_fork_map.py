"""The merge's file loading shared with a forked helper (harness._fork_map): same results as
one by one, in order, whatever the helper does; the helper always reaped."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from harness import _fork_map, merge
from tests.unit.report_synth import results_doc

needs_fork = pytest.mark.skipif(not _fork_map._fork_is_safe(),
                                reason="fork_map runs everything in-process here")

PARENT = os.getpid()


def _tagged(job: int) -> Tuple[int, int]:
    """The job's value and the process that ran it; the parent is slow, so the helper gets
    jobs to do even on a busy machine."""
    if os.getpid() == PARENT:
        time.sleep(0.01)
    return job * 2, os.getpid()


def _decode(_job: int, value: Any) -> Tuple[int, int]:
    return (value[0], value[1])


def _identity(value: Any) -> Any:
    return value


def _helper_dies(job: int) -> Tuple[int, int]:
    if os.getpid() != PARENT and job < 30:
        os._exit(3)  # the helper starts at the back (job 39) and dies on reaching job 29
    return _tagged(job)


def _helper_stuck(job: int) -> Tuple[int, int]:
    if os.getpid() != PARENT:
        time.sleep(STUCK_S)  # the helper's first job (39) outlasts all the others
    return _tagged(job)


STUCK_S = 120.0


def _unsendable(value: Tuple[int, int]) -> Any:
    return object() if value[0] % 3 == 0 else value  # marshal cannot send an object()


@needs_fork
def test_helper_shares_the_jobs_and_results_keep_their_order() -> None:
    """Both processes run jobs; the list is [func(job) ...] in job order all the same."""
    out = _fork_map.fork_map(_tagged, list(range(40)), _identity, _decode)
    assert [value for value, _pid in out] == [job * 2 for job in range(40)]
    pids = {pid for _value, pid in out}
    assert PARENT in pids
    assert len(pids) == 2
    assert multiprocessing.active_children() == []


@needs_fork
def test_jobs_of_a_helper_that_dies_run_here() -> None:
    """A helper that exits mid-way loses nothing: its undelivered jobs run in this process."""
    out = _fork_map.fork_map(_helper_dies, list(range(40)), _identity, _decode)
    assert [value for value, _pid in out] == [job * 2 for job in range(40)]
    assert all(pid == PARENT for _value, pid in out[:30])
    assert any(pid != PARENT for _value, pid in out[30:])
    assert multiprocessing.active_children() == []


@needs_fork
def test_a_helper_still_busy_at_the_end_is_stopped_not_waited_for() -> None:
    """When no job is left to claim, the helper's unfinished job runs here and the helper is
    killed and reaped, however long its job would take."""
    started = time.monotonic()
    out = _fork_map.fork_map(_helper_stuck, list(range(40)), _identity, _decode)
    assert time.monotonic() - started < STUCK_S / 2
    assert out == [(job * 2, PARENT) for job in range(40)]
    assert multiprocessing.active_children() == []


@needs_fork
def test_results_the_helper_cannot_send_are_made_here() -> None:
    """A result marshal cannot carry is computed again here instead."""
    out = _fork_map.fork_map(_tagged, list(range(40)), _unsendable, _decode)
    assert [value for value, _pid in out] == [job * 2 for job in range(40)]
    assert all(pid == PARENT for value, pid in out if value % 3 == 0)


def _fails_here(job: int) -> int:
    if os.getpid() == PARENT and job == 3:
        raise RuntimeError("job 3 failed")
    return job


@needs_fork
def test_an_error_here_propagates_and_the_helper_is_reaped() -> None:
    """An exception in this process's share is raised, after the helper is stopped and
    reaped."""
    with pytest.raises(RuntimeError, match="job 3 failed"):
        _fork_map.fork_map(_fails_here, list(range(40)), _identity, lambda _j, v: int(v))
    assert multiprocessing.active_children() == []


def test_few_jobs_run_in_this_process() -> None:
    """Below MIN_JOBS nothing is forked."""
    jobs = list(range(_fork_map.MIN_JOBS - 1))
    out = _fork_map.fork_map(_tagged, jobs, _identity, _decode)
    assert out == [(job * 2, PARENT) for job in jobs]


def test_no_fork_where_it_is_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    """With other threads running (or off Linux, or in a daemonic process) every job runs
    here."""
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    out = _fork_map.fork_map(_tagged, list(range(12)), _identity, _decode)
    assert out == [(job * 2, PARENT) for job in range(12)]


def _results_files(folder: Path) -> List[str]:
    """Valid files and every kind of bad one, mixed."""
    paths = []
    for i in range(24):
        path = folder / ("r%02d.json" % i)
        doc = results_doc(commit="c%d" % i)
        if i % 6 == 1:
            path.write_text(json.dumps(doc)[:200])  # truncated
        elif i % 6 == 3:
            path.write_text("[1, 2]")  # not an object
        elif i % 6 == 5:
            doc["tests"][0]["metadata"]["outcome"] = "sideways"  # wrong schema
            path.write_text(json.dumps(doc))
        else:
            path.write_text(json.dumps(doc))
        paths.append(str(path))
    return [*paths, str(folder / "missing.json"), str(folder)]


def test_load_results_shared_equals_one_by_one(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """load_results gives the same documents and the same one-line rejections, in order,
    whether a helper shares the work or not."""
    paths = _results_files(tmp_path)
    loaded, rejected = merge.load_results(paths)
    monkeypatch.setattr(_fork_map, "_fork_is_safe", lambda: False)
    alone_loaded, alone_rejected = merge.load_results(paths)
    assert loaded == alone_loaded
    assert rejected == alone_rejected
    assert len(loaded) == 12
    assert [r.path for r in rejected] == [
        p for i, p in enumerate(paths) if i >= 24 or i % 6 in (1, 3, 5)]
    assert multiprocessing.active_children() == []
