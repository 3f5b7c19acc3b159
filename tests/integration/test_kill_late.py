"""A stop signal that lands after pytest stopped running cells — after the last one, or after
-x stopped the run early — while the run gathers and writes its results: no finished cell is
lost (a first Ctrl-C there lost the whole run). Each signal is sent by a pytest plugin at a
hook, so nothing depends on timing."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Tuple

import pytest

from harness import loading
from tests.integration.test_kill import _stem, make_root, start_run, wait_gone
from tests.integration.waits import bound

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc"),
]


_LATE_CTRL_C = '''
import os
import signal

import pytest

AT = os.environ["CTRL_C_AT"]


def _ctrl_c(point):
    if point == AT:
        signal.raise_signal(signal.SIGINT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    yield
    if nextitem is None:
        _ctrl_c("after the last cell")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    _ctrl_c("finishing")


@pytest.hookimpl(tryfirst=True)
def pytest_json_modifyreport(json_report):
    _ctrl_c("gathering the results")
'''


def _ctrl_c_at(tmp_path: Path, plugin: str, at: str, k: str,
               *pytest_args: str) -> Tuple[Path, Path, str]:
    """A run of ``k`` with a pytest ``plugin`` (its source) that presses Ctrl-C ``at`` one of its
    points, over a results folder holding an earlier run's file; it exits 130 without a
    traceback. Returns the project copy, that earlier file and the run's output."""
    root = make_root(tmp_path)
    (root / "ctrl_c_at.py").write_text(plugin)
    results = tmp_path / "results"
    results.mkdir()
    earlier = results / _stem()
    earlier.write_text('{"an earlier run": true}')
    proc = start_run(root, results, k, dict(os.environ, CTRL_C_AT=at),
                     [*pytest_args, "-p", "ctrl_c_at"])
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 130 and "Traceback" not in out, out
    return root, earlier, out


@pytest.mark.parametrize("at", ["after the last cell", "finishing", "gathering the results"])
def test_a_ctrl_c_after_the_last_cell_loses_no_cell(tmp_path: Path, at: str) -> None:
    """Every cell had finished when the Ctrl-C came: the run writes its complete file, which
    replaces the earlier one like any complete run's, and exits 130. A Ctrl-C while the run
    gathered its results lost all its cells; one just after the last cell filed them as
    partial under interrupted/."""
    root, earlier, out = _ctrl_c_at(tmp_path, _LATE_CTRL_C, at, "returns_value")
    results = earlier.parent
    # pytest-json-report's own tryfirst sessionfinish writes the file before the plugin's
    assert ("harness: SIGINT after the results file was written: exiting" if at == "finishing"
            else "harness: SIGINT after every cell had finished") in out, out
    assert "results written to %s (complete: every cell had finished before SIGINT)" % (
        earlier) in out, out
    assert wait_gone(root, bound(2.0)) == []
    assert not (results / "interrupted").exists()
    loaded, rejected = loading.load_results([str(f) for f in results.glob("*.json")])
    assert rejected == [] and [item.path for item in loaded] == [str(earlier)]
    assert "interrupted" not in loaded[0].harness["environment"]
    assert sorted((case, method, observation["outcome"])
                  for case, method, _category, observation in loaded[0].cells) == [
        ("faults.returns_value", m, "ok") for m in ("fork", "forkserver", "spawn")]


#: A pytest plugin for a run under -x: its first cell fails (so pytest runs no more), and
#: Ctrl-C comes at one point after that, while other cells still hang (no timing: the point
#: is the same under load).
_STOPPED_EARLY_CTRL_C = '''
import os
import signal

import pytest

AT = os.environ["CTRL_C_AT"]
FAILED = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if call.when == "call" and not FAILED:
        FAILED.append(item.name)
        report.outcome = "failed"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session):
    if AT == "finishing":
        signal.raise_signal(signal.SIGINT)


@pytest.hookimpl(tryfirst=True)
def pytest_json_modifyreport(json_report):
    if AT == "gathering the results":
        signal.raise_signal(signal.SIGINT)
'''


@pytest.mark.parametrize("at", ["finishing", "gathering the results"])
def test_a_ctrl_c_after_x_stopped_the_run_loses_no_finished_cell(tmp_path: Path,
                                                                 at: str) -> None:
    """-x stopped pytest after its first cell (exit3's: items come by name) while the
    ignores_sigterm cells still hang. A Ctrl-C while the run gathered its results lost every
    cell (raised inside the json-report hook); now the finished cells are written, partial
    for the cells -x left out (not for the signal, which stopped nothing), the hanging ones
    are stopped, and the run exits 130."""
    root, earlier, out = _ctrl_c_at(tmp_path, _STOPPED_EARLY_CTRL_C, at,
                                    "exit3 or ignores_sigterm", "-x")
    assert ("harness: SIGINT after the results file was written: exiting" if at == "finishing"
            else "harness: SIGINT after pytest had stopped early: writing the results") in out, out
    assert wait_gone(root, bound(2.0)) == []
    assert earlier.read_text() == '{"an earlier run": true}'
    (partial,) = (earlier.parent / "interrupted").glob(earlier.stem + ".*.json")
    loaded, rejected = loading.load_results([str(partial)])
    assert rejected == [], out
    environment = loaded[0].harness["environment"]
    assert environment.get("interrupted") is True
    missing = environment.get("partial_cause")
    assert missing in ["%d cells missing" % n for n in (3, 4, 5)], missing
    assert "results written to %s (partial: %s; it holds the " % (partial, missing) in out, out
    cells = {(case, method) for case, method, _category, _observation in loaded[0].cells}
    assert ("faults.exit3", "fork") in cells
    assert not any(case == "faults.ignores_sigterm" for case, _method in cells)
