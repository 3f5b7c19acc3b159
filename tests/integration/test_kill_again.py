"""Ctrl-C of a real ``harness run`` over a results folder that already has its file, twice:
each interrupted run's finished cells are kept under their own name, never over an earlier
partial file, and a file named ``interrupted`` in the way costs no cell (review r5)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

from harness import loading
from tests.integration.test_kill import (
    _stem,
    make_root,
    processes_of,
    start_run,
    wait_gone,
    wait_quick_cells_finished,
)
from tests.integration.waits import any_ignores_sigterm, bound, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc"),
]


def _interrupted_run(root: Path, results: Path) -> str:
    """One run stopped by SIGINT once its quick cells finished (the hanging ones still run):
    it exits 130; returns its output."""
    proc = start_run(root, results, "ignores_sigterm or returns_value")
    wait_quick_cells_finished(root, proc)
    wait_until(lambda: any_ignores_sigterm(processes_of(root)), 60,
               "a case process ignoring SIGTERM")
    proc.send_signal(signal.SIGINT)
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 130 and "Traceback" not in out, out
    assert wait_gone(root, bound(2.0)) == []
    return out


def _partial_cells(path: Path) -> List[str]:
    loaded, rejected = loading.load_results([str(path)])
    assert rejected == [] and loaded[0].harness["environment"].get("interrupted") is True
    return sorted("%s[%s]" % (case, method) for case, method, _c, _o in loaded[0].cells)


def _over_a_complete_file(tmp_path: Path) -> Tuple[Path, Path, Path]:
    """A project copy, and a results folder holding a complete run's file: the three paths."""
    root = make_root(tmp_path)
    results = tmp_path / "results"
    results.mkdir()
    complete = results / _stem()
    complete.write_text('{"complete": true}')
    return root, results, complete


def test_a_second_interrupted_run_keeps_the_first_ones_cells(tmp_path: Path) -> None:
    root, results, complete = _over_a_complete_file(tmp_path)
    _interrupted_run(root, results)
    (first,) = (results / "interrupted").iterdir()
    before = first.read_bytes()
    out = _interrupted_run(root, results)
    assert first.read_bytes() == before  # it was written over
    (second,) = set((results / "interrupted").iterdir()) - {first}
    assert "harness: %s kept as it was: a partial run never replaces a results file; this " \
        "one's cells are in %s (" % (complete, second) in out, out
    assert _partial_cells(first) == _partial_cells(second) == [
        "faults.returns_value[%s]" % m for m in ("fork", "forkserver", "spawn")]
    assert complete.read_text() == '{"complete": true}'


def test_a_file_named_interrupted_costs_no_cell(tmp_path: Path) -> None:
    root, results, complete = _over_a_complete_file(tmp_path)
    (results / "interrupted").write_text("in the way")
    out = _interrupted_run(root, results)
    (kept,) = (results / "not-replacing").iterdir()
    assert "cannot write" not in out and "(%s: not a folder)" % (
        results / "interrupted") in out, out
    assert len(_partial_cells(kept)) == 3
    assert (results / "interrupted").read_text() == "in the way"
    assert complete.read_text() == '{"complete": true}'
