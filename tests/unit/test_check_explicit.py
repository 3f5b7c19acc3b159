"""What `check`'s watcher counts as asking for the default context (a program that never does
reads "explicit context"), and how a dataclass inside a container global is compared."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.guest import check_digest

ROOT = Path(__file__).resolve().parents[2]
ASK = """
import json, sys
sys.path.append(sys.argv[2])
from harness.guest import check_watch
watch = check_watch.Watch(sys.argv[1], sys.argv[1], set())
watch.install()
import multiprocessing, multiprocessing.pool
seen = []
def look():
    seen.append([watch.default_asked, getattr(watch, "default_queried", None),
                 watch.method_queried])
multiprocessing.get_context("spawn").get_start_method()  # a named context's own name
look()
with multiprocessing.pool.ThreadPool(1) as pool:  # threads: no context of processes
    pool.map(abs, [1])
look()
multiprocessing.get_context().get_start_method()  # get_context() asks for the default
look()
watch.default_asked = watch.default_queried = False
multiprocessing.get_start_method()
look()
print(json.dumps(seen))
"""


def test_a_named_contexts_method_and_a_thread_pool_do_not_ask_for_the_default(
        tmp_path: Any) -> None:
    """``get_context("spawn").get_start_method()`` is that context's own name and a ThreadPool
    starts threads (Pool.__init__ asks for a context all the same): neither asks for the default,
    so a program that names its contexts still reads "explicit context"; ``get_context()`` and
    ``multiprocessing.get_start_method()`` ask for the default, and every asked name still
    counts for method-name-special-cased."""
    out = subprocess.run([sys.executable, "-c", ASK, str(tmp_path), str(ROOT)],
                         capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == [[False, False, True], [False, False, True],
                                      [True, False, True], [False, True, True]]


@dataclasses.dataclass
class Settings:
    out: str
    level: int = 1


def test_a_dataclass_in_a_container_compares_by_its_fields() -> None:
    """``CONFIG = {"run": Settings(...)}`` changed in the main block is a value a spawn child must
    see too: compared field by field (as its repr shows them), where a Process is by type."""
    one = check_digest.digest({"run": Settings("/tmp/a")})
    assert one == check_digest.digest({"run": Settings("/tmp/a")})
    assert one != check_digest.digest({"run": Settings("/tmp/b")})
    assert one != check_digest.digest({"run": Settings("/tmp/a", level=2)})
    assert "Settings(out='/tmp/a', level=1)" in one
    import multiprocessing

    process = multiprocessing.Process(target=print)
    inner = check_digest.digest([Settings(process)])  # type: ignore[arg-type]
    assert "0x" not in inner and "<multiprocessing.context.Process>" in inner
