"""`check`'s watcher in the user's program: globals compared as text that is the same in every
interpreter for equal values, never at any cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.guest import check_watch

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
sys.path.insert(0, %r)
from harness.guest import check_watch
class Foo: pass
Foo.__module__ = sys.argv[1]
values = [{"k%%d" %% i for i in range(50)}, {k: 1 for k in {"alpha", "beta", "gamma"}},
          {"cls": Foo}, frozenset({("a", 1), ("b", 2)}), [{"x", "y"}, ({"z"},)]]
print(json.dumps([check_watch._digest(v) for v in values]))
"""


def _digests(seed: str, main: str) -> list:
    out = subprocess.run([sys.executable, "-c", PROBE % str(ROOT), main], capture_output=True,
                         text=True, check=True, env=dict(os.environ, PYTHONHASHSEED=seed))
    return list(json.loads(out.stdout))


def test_equal_values_give_equal_text_in_any_interpreter() -> None:
    """Sets, dicts filled from sets and classes of the main script (``__main__`` in the
    parent, ``__mp_main__`` in a spawn child) read the same under other hash seeds."""
    parent = _digests("1", "__main__")
    assert parent == _digests("2", "__mp_main__")
    assert all(parent)


def test_big_or_deep_values_are_skipped() -> None:
    """Not compared ("") rather than turned into megabytes of text at every start()."""
    assert check_watch._digest([[0] * 1000] * 1000) == ""
    assert check_watch._digest([[[[0]]]]) == ""  # deeper than compared
    assert check_watch._digest({"k%d" % i for i in range(5000)}) == ""
    assert check_watch._digest("x" * 10 ** 6) == ""

    class Bad:
        def __repr__(self) -> str:
            raise RuntimeError("no repr here")
    assert check_watch._digest([Bad()]) == ""
