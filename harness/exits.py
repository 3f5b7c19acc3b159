"""How every command ends: its exit status and its one-line ``harness: error: …``.

The one home of both, for ``python -m harness``'s subcommands and the maintainers' tools
(``harness.bench``, ``harness.pageload``, ``harness.boundary``). It imports only ``sys``, so any
host module may import it without a cycle. ``harness/chroot.py`` keeps its own (125, like
chroot(1)): it runs as a script (``python -I -S``), where no package can be imported.
"""

from __future__ import annotations

import sys

__all__ = ["EXIT_DEAD_OUTPUT", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PARTIAL",
           "EXIT_USAGE", "error", "error_line"]

#: Success; the command ran but something is wrong (a bad input file, a harness failure);
#: usage error (bad arguments, argparse's own 2; a path that does not exist).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: verify-leg: a run that proves nothing whole but is its interpreter's and sound as far as it
#: went (the workflow uploads it; it withholds a file that exits 1).
EXIT_PARTIAL = 3
#: Ctrl-C, SIGTERM or SIGHUP: 128 + SIGINT, so that what follows (nox, a script) stops.
EXIT_INTERRUPTED = 130
#: The output's reader left (`| head -1`): 128 + SIGPIPE, what a shell reports for a Unix tool
#: that SIGPIPE ended (`set -o pipefail` sees it), quietly: no BrokenPipeError traceback.
EXIT_DEAD_OUTPUT = 141


def error_line(message: str) -> str:
    """The one error line every command ends with: ``harness: error: MESSAGE``."""
    return "harness: error: %s" % message


def error(message: str, status: int = EXIT_FAILED) -> int:
    """Say :func:`error_line` on stderr; ``status`` back, for ``return error(…)``."""
    sys.stderr.write(error_line(message) + "\n")
    return status
