"""Session-wide test setup."""

from __future__ import annotations

import os
import signal

# A shell starts background jobs with SIGINT ignored (`nohup .ci/run &`, a CI runner's
# non-interactive shell), an ignored signal stays ignored across exec, and Python then keeps it
# ignored instead of raising KeyboardInterrupt. The tests that press Ctrl-C on a run would then
# test nothing but that: give this process, and so every process it starts, the terminal's
# normal Ctrl-C.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# This machine sets PYTHONUNBUFFERED=1 for everyone; a fresh machine or a CI runner does not, and
# a block-buffered stdout behaves differently when its reader leaves or a signal ends a process
# (review r11: a test passed here only because of it). Every process the suite starts runs
# without it.
os.environ.pop("PYTHONUNBUFFERED", None)
