"""``python -m harness``: the command-line interface."""

from __future__ import annotations

import os
import sys

# ``python -m`` puts the working folder first on sys.path: a user's ``glob.py`` or ``json.py``
# there would shadow the standard library in the host (their code runs in other interpreters).
# Kept only when it is the folder this package is imported from (a source checkout).
_HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != os.getcwd()
               or os.path.abspath(p or os.curdir) == _HOME]

from harness.cli import main  # noqa: E402 - after the path is safe

sys.exit(main())
