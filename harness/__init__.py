"""Start-Method Matrix: run multiprocessing start-method cases and report what really happens."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
