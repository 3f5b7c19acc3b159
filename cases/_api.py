"""Shared by the ``api`` category's modules (``cases/api*.py``): the opening of the fresh
scripts that api.py's context cases run, the program api_forkserver.py runs in a
subinterpreter, and the helper that writes one expectation per start method.
"""

from __future__ import annotations

from harness.guest import TYPE_CHECKING
from harness.guest.catalog import ok, on
from harness.guest.words import START_METHODS

if TYPE_CHECKING:
    from typing import Any

__all__ = ["_FRESH_PROBE", "_SUBINTERP_CODE", "_per_method"]


def _per_method(value_for: Any, **conditions: Any) -> Any:
    """One ``on`` rule per start method, the expected value computed from the method name."""
    return [on(m, ok(value_for(m)), **conditions) for m in START_METHODS]


_FRESH_PROBE = """
    import json, sys
    import multiprocessing as mp
    VALUE = "import-time"

    def probe():
        return VALUE

    def default_is(name):
        return mp.get_start_method(allow_none=True) == name

    if __name__ == '__main__':
        method = sys.argv[1]
        default = mp.get_all_start_methods()[0]
        VALUE = "changed-in-main"
        out = {"fresh": mp.get_start_method(allow_none=True)}
"""


_SUBINTERP_CODE = """
import os
try:
    pid = os.fork()
except RuntimeError:
    outcome = "RuntimeError"
except BaseException as exc:
    outcome = type(exc).__name__
else:
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    outcome = "forked"
with open(%r, "w") as handle:
    handle.write(outcome)
"""
