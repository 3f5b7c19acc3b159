"""The hand-run floor of ``nox -s bench``: what one no-op child costs when a user runs it by hand
(``python -I floor.py METHOD``), and an independent start-latency script to check
``performance.start_latency`` against. Host-only code (the scripts run on the interpreter
under test).
"""

from __future__ import annotations

import shlex
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

from harness.runner import case_environ

__all__ = ["independent_latency", "measure_floor"]

FLOOR_SCRIPT = """\
import sys
import multiprocessing


def noop():
    pass


if __name__ == "__main__":
    proc = multiprocessing.get_context(sys.argv[1]).Process(target=noop)
    proc.start()
    proc.join()
    sys.exit(proc.exitcode)
"""

#: Independent check of performance.start_latency: start + join of a no-op, median of 30,
#: after one start that is not counted (it launches the forkserver).
LATENCY_SCRIPT = """\
import sys
import time
import multiprocessing


def noop():
    pass


def once(ctx):
    proc = ctx.Process(target=noop)
    proc.start()
    proc.join()


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    once(ctx)
    times = []
    for _ in range(30):
        started = time.perf_counter()
        once(ctx)
        times.append((time.perf_counter() - started) * 1000.0)
    times.sort()
    print((times[14] + times[15]) / 2.0)
"""


def _timed(command: Sequence[str], cwd: str, env: Optional[Dict[str, str]] = None,
           timeout: float = 120.0) -> float:
    started = time.perf_counter()
    proc = subprocess.run(list(command), cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=timeout, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed ({proc.returncode}): "
                           + proc.stderr.decode("utf-8", "replace")[-300:])
    return wall


def _script_dir() -> "tempfile.TemporaryDirectory[str]":
    """Where a script for the interpreter under test goes: the system temp folder, which the
    Debian root's wrapper binds (a ``--results-dir`` elsewhere is not seen inside the root)."""
    return tempfile.TemporaryDirectory(prefix="smm-bench-")


def measure_floor(interpreter: Sequence[str], methods: Sequence[str],
                  runs: int) -> Dict[str, Any]:
    """The hand-run floor: median wall of ``python -I floor.py METHOD`` per method, their mean,
    and a bare ``python -I -S -c pass`` for scale. Times in ms."""
    env = case_environ()
    per_method: Dict[str, float] = {}
    with _script_dir() as workdir:
        script = Path(workdir) / "floor.py"
        script.write_text(FLOOR_SCRIPT, encoding="utf-8")
        for method in methods:
            _timed([*interpreter, "-I", str(script), method], workdir, env)  # warm-up
            walls = [_timed([*interpreter, "-I", str(script), method], workdir, env)
                     for _ in range(runs)]
            per_method[method] = round(statistics.median(walls) * 1000.0, 2)
        bare = [_timed([*interpreter, "-I", "-S", "-c", "pass"], workdir, env)
                for _ in range(runs)]
    return {"per_method_ms": per_method,
            "mean_ms": round(statistics.mean(per_method.values()), 2),
            "bare_python_ms": round(statistics.median(bare) * 1000.0, 2), "runs": runs}


def independent_latency(interpreter: Sequence[str], methods: Sequence[str]) -> Dict[str, float]:
    """Median of 30 start + join of a no-op per method, from a standalone script (ms)."""
    found: Dict[str, float] = {}
    with _script_dir() as workdir:
        script = Path(workdir) / "latency.py"
        script.write_text(LATENCY_SCRIPT, encoding="utf-8")
        for method in methods:
            proc = subprocess.run([*interpreter, "-I", str(script), method], cwd=workdir,
                                  env=case_environ(), capture_output=True,
                                  timeout=300, check=False)
            if proc.returncode == 0:
                found[method] = round(float(proc.stdout.decode().split()[-1]), 3)
    return found
