"""The per-case shepherd also runs where the signal module is smaller (PyPy: no sigtimedwait).

`nox -s matrix-pypy3.9` runs pytest, and so the shepherd, on PyPy; before the fallback every
cell crashed with AttributeError.
"""

from __future__ import annotations

import signal
import time

import pytest

from harness import _shepherd


def test_wait_for_child_polls_without_sigtimedwait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without signal.sigtimedwait the wait is a short sleep, not an AttributeError."""
    monkeypatch.delattr(signal, "sigtimedwait", raising=False)
    started = time.monotonic()
    _shepherd._wait_for_child(0.05)
    assert 0.04 <= time.monotonic() - started < 1.0
