"""The frames of an error a user reads as their own code, picked in the interpreter that raised
it (``python -m harness check``'s guest side; standard library only, Python 3.8 syntax)."""

from __future__ import annotations

import os

from . import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Dict, List

__all__ = ["FRAME", "FRAMES", "HARNESS", "user_frames"]

#: The harness's own folder: its frames (this wrapper, the executor) are not the user's.
HARNESS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "")
#: How many of the innermost user frames an error keeps.
FRAMES = 8
#: A frame of a printed traceback (a pattern, compiled where it is used: ``re`` is not
#: imported before an error needs it).
FRAME = (r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>.+)\n'
         r'(?:    (?P<code>\S.*)\n)?')


def user_frames(exc: BaseException) -> List[Dict[str, Any]]:
    """The frames of ``exc``'s traceback a user reads as their own code (the innermost
    ``FRAMES``): neither the harness's (the child wrapper, the executor, runpy) nor the
    standard library's (multiprocessing, pickle); installed packages' frames stay. An error a
    Pool or executor worker raised goes on with the worker's frames (the text of its traceback,
    the re-raised error's cause: pool's RemoteTraceback, concurrent.futures' _RemoteTraceback)."""
    import re
    import traceback

    stdlib = os.path.join(os.path.dirname(os.path.abspath(os.__file__)), "")

    def mine(filename: str) -> bool:
        path = os.path.abspath(filename)
        return not (path.startswith(HARNESS) or filename.startswith("<frozen ") or (
            path.startswith(stdlib) and "-packages" + os.sep not in path))

    frames = [{"file": frame.filename, "line": frame.lineno, "function": frame.name,
               "code": (frame.line or "")[:200]}
              for frame in traceback.extract_tb(exc.__traceback__) if mine(frame.filename)]
    remote = getattr(exc.__cause__, "tb", None)
    if isinstance(remote, str):
        frames += [{"file": m.group("file"), "line": int(m.group("line")),
                    "function": m.group("function"), "code": (m.group("code") or "")[:200]}
                   for m in re.finditer(FRAME, remote, re.M) if mine(m.group("file"))]
    return frames[-FRAMES:]
