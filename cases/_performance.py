"""Shared by the performance case modules: one measured start and join, and the parent's RSS."""

from __future__ import annotations

from harness.guest import TYPE_CHECKING, measure
from harness.guest.catalog import Unavailable

if TYPE_CHECKING:
    from typing import Any, Tuple

__all__ = ["rss", "start_join"]


def start_join(mp: object, target: object = measure.noop, args: Tuple[Any, ...] = ()) -> None:
    proc = mp.Process(target=target, args=args)  # type: ignore[attr-defined]
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"the measured child exited with code {proc.exitcode}")


def rss() -> object:
    """This process's RSS in MB, or None where memory cannot be read (no /proc)."""
    try:
        return measure.memory_of()["rss"]
    except Unavailable:
        return None
