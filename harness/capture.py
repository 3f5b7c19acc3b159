"""What a case's processes write: each pipe drained in a thread keeping only its head and tail
(:class:`Capture`), and the last line that says something, safe to quote (:func:`last_line`).

Host code, used by ``harness.runner`` in the pytest process.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from harness.text import shorten

__all__ = ["CUT_MARK", "LAST_LINE_CHARS", "OUTPUT_LIMIT", "Capture", "last_line"]

#: How much of a case's stdout/stderr is kept (head and tail) in the result.
OUTPUT_LIMIT = 4000
#: A timed-out cell's detail quotes the last line its processes wrote to stderr, this long
#: (after ``results.HANG_QUOTE``).
LAST_LINE_CHARS = 200
#: What replaces the middle of a stream longer than OUTPUT_LIMIT.
CUT_MARK = "[... %d bytes cut by the harness ...]"


class Capture(threading.Thread):
    """Drain one pipe, keeping only its head and tail: a case printing 100 MB costs no memory."""

    def __init__(self, stream: Any, limit: int = OUTPUT_LIMIT) -> None:
        super().__init__(name="case-output", daemon=True)
        self.stream = stream
        self.half = limit // 2
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.lock = threading.Lock()  # text() may be read while the pipe is still drained

    def run(self) -> None:
        read = getattr(self.stream, "read1", self.stream.read)
        try:
            while True:
                chunk = read(65536)
                if not chunk:
                    break
                with self.lock:
                    self._keep(chunk)
        except (OSError, ValueError):
            pass
        finally:
            try:
                self.stream.close()
            except OSError:
                pass

    def _keep(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > 4 * self.half:
                del self.tail[:-self.half]

    def settled_text(self, quiet: float = 0.01, most: int = 5) -> str:
        """``text()`` once the pipe has been quiet for ``quiet`` s (at most ``most`` waits): a
        line written just before the deadline is still in the pipe, not yet read."""
        for _ in range(most):
            seen = self.total
            time.sleep(quiet)
            if self.total == seen:
                break
        return self.text()

    def text(self) -> str:
        with self.lock:
            head, tail, total = bytes(self.head), bytes(self.tail), self.total
        tail = tail[-self.half:] if total > 2 * self.half else tail
        cut = total - len(head) - len(tail)
        if cut <= 0:
            return (head + tail).decode("utf-8", "replace")
        marker = "\n" + CUT_MARK % cut + "\n"
        return head.decode("utf-8", "replace") + marker + tail.decode("utf-8", "replace")


#: Terminal escape sequences (CSI, OSC, two-character): a quoted line must not drive a terminal.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)?")
_CUT = re.compile(re.escape(CUT_MARK).replace("%d", r"\d+"))


def last_line(text: str) -> str:
    """The last line of a captured stream that says something, shortened and safe to print:
    escape sequences dropped, other control characters shown as ``\\xNN``, the harness's own
    cut marker and a character cut in half skipped (empty when no line says anything)."""
    for raw in reversed(text.splitlines()):
        line = " ".join(_ESCAPES.sub("", raw).split()).lstrip("\ufffd")
        if line and not _CUT.fullmatch(line):
            return shorten("".join(c if c.isprintable() else c.encode("unicode_escape").decode()
                                   for c in line), LAST_LINE_CHARS)
    return ""
