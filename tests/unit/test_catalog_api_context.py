"""api.manager_ctx and api.pool_context record ``with_ctx``, the global start method after a
child was started through an explicit spawn context. These run the cases' own scripts on this
interpreter twice: as they are, and with CPython's gh-109263 fix applied by hand (spawn's
preparation data reads the method with ``allow_none=True``, as 3.13.12 and 3.14.3 do). With the
fix the global must stay unset: the cases' own probing fixes nothing, so a ``"fork"`` they record
comes from CPython, not from the case."""

from __future__ import annotations

import inspect
import multiprocessing
import os
import sys
from multiprocessing import spawn
from pathlib import Path
from typing import Any

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import cases.api  # noqa: E402
from cases import _scripts  # noqa: E402
from harness.guest import catalog  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="spawn is the only method on Windows"),
]
#: Put before a case's script: spawn.py's own name for get_start_method, made non-fixing.
GH_109263_FIX = """
    import multiprocessing as _mp, multiprocessing.spawn as _spawn
    _spawn.get_start_method = lambda allow_none=False: _mp.get_start_method(allow_none=True)
"""
#: This interpreter already carries the fix (3.13.12+, 3.14.3+).
FIXED_HERE = "allow_none=True" in inspect.getsource(spawn.get_preparation_data)


def _run(case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fix: bool) -> Any:
    if fix:
        monkeypatch.setattr(cases.api, "run_json", lambda ctx, *parts, **kw: _scripts.run_json(
            ctx, GH_109263_FIX, *parts, **kw))
    case = {c.id: c for c in catalog.all_cases()}[case_id]
    return case.func(catalog.Context("spawn", str(tmp_path)))


@pytest.mark.parametrize("case_id", ["api.manager_ctx", "api.pool_context"])
def test_the_case_leaves_the_global_unset_where_cpython_does(
        case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(case_id, tmp_path, monkeypatch, fix=True)["with_ctx"] is None


@pytest.mark.parametrize("case_id", ["api.manager_ctx", "api.pool_context"])
def test_an_unfixed_cpython_fixes_the_global_to_the_default(
        case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same script on this interpreter as it is: the default method where spawn.py calls
    get_start_method() without allow_none (CPython ≤ 3.13.11, ≤ 3.14.2, PyPy)."""
    expected = None if FIXED_HERE else multiprocessing.get_all_start_methods()[0]
    assert _run(case_id, tmp_path, monkeypatch, fix=False)["with_ctx"] == expected
