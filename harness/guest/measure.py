"""The measurement protocol of the performance cases (after pyperf): warm-ups, then samples
until there are enough (or enough time has passed), summarised as median and interquartile
range with an ``unstable`` flag, raw samples kept; and memory readings from ``/proc``.

Runs inside the interpreter under test and is imported by spawn/forkserver children (the
``noop`` target lives here so that a child imports nothing heavier than a hand-written script
would): standard library only, Python 3.8 syntax, and no imports beyond ``os``/``sys``/``time``
at module level.
"""

from __future__ import annotations

import os
import sys
import time

from harness.guest import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Sequence, Union

    Number = Union[int, float]

__all__ = [
    "CI_HALF_WIDTH",
    "CI_LEVEL",
    "FLOOR_SAMPLES",
    "MAX_TIME_S",
    "MB",
    "MIN_SAMPLES",
    "MIN_TIME_S",
    "UNSTABLE_IQR_RATIO",
    "WARMUPS",
    "identity",
    "median_ci",
    "memory_of",
    "noop",
    "percentile",
    "sample",
    "summarize",
    "wait_for_parent",
]

#: Samples per point: stop at this many ...
MIN_SAMPLES = 20
#: ... or once this much time has been spent sampling (after at least ``FLOOR_SAMPLES``).
MIN_TIME_S = 1.0
#: Never fewer samples than this, however slow one sample is (an IQR needs a few).
FLOOR_SAMPLES = 5
#: Hard cap per point (at least one sample is always taken), so slow samples (PyPy's spawn on
#: a loaded machine: seconds each) cannot eat the case's timeout; ``n`` says what was taken.
MAX_TIME_S = 4.0
#: Adaptive stop: from ``FLOOR_SAMPLES`` on, sampling stops once the median's distribution-free
#: ``CI_LEVEL`` confidence interval (order statistics) lies within ±``CI_HALF_WIDTH`` of the
#: median; the budgets above stay as caps. Each point records why it stopped (``stop``).
CI_LEVEL = 0.95
CI_HALF_WIDTH = 0.10
#: Runs done and thrown away before sampling (imports, caches, the forkserver's own start).
WARMUPS = 2
#: A point whose IQR is wider than this fraction of its median is flagged ``unstable``.
UNSTABLE_IQR_RATIO = 0.25
#: One megabyte, as used in every ``MB`` and ``MB/s`` field: 10**6 bytes.
MB = 1000 * 1000


def noop() -> None:
    """A child target that does nothing (module-level, so spawn can import it cheaply)."""


def wait_for_parent(conn: Any) -> None:
    """An idle child: send our pid, then block until the parent says stop (``child_memory``)."""
    conn.send(os.getpid())
    conn.recv()
    conn.close()


def identity(value: Any) -> Any:
    """A trivial function for ``Pool.map`` (module-level and cheap to import, like ``noop``)."""
    return value


def percentile(values: Sequence[Number], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) of ``values`` by linear interpolation (numpy's default).

    Written out rather than taken from ``statistics`` to keep this module's imports minimal.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0..1, not {fraction!r}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def median_ci(values: Sequence[Number], level: float = CI_LEVEL) -> Optional[List[float]]:
    """The distribution-free ``level`` confidence interval of the median: the order statistics
    ``[x(k), x(n+1-k)]`` with the largest ``k`` whose coverage ``1 - 2 P(B <= k-1)``,
    ``B ~ Binomial(n, 1/2)``, is at least ``level`` (exact for any continuous distribution).
    None when ``values`` are too few for any such interval (fewer than 6 at 95 %)."""
    n = len(values)
    alpha = 1.0 - level
    k = 0
    if n <= 1000:  # exact binomial tail (0.5**n stays a normal float up to n = 1022)
        pmf = 0.5 ** n
        cdf = 0.0
        for i in range(n // 2 + 1):
            cdf += pmf
            if 2.0 * cdf > alpha:
                break
            k = i + 1
            pmf = pmf * (n - i) / (i + 1)
    else:  # normal approximation, z = 1.96 for 95 %
        k = int(n / 2.0 - 1.96 * (n ** 0.5) / 2.0)
    if k < 1:
        return None
    ordered = sorted(values)
    return [float(ordered[k - 1]), float(ordered[n - k])]


def _ci_is_tight(values: Sequence[Number]) -> bool:
    interval = median_ci(values)
    if interval is None:
        return False
    median = percentile(values, 0.5)
    return median > 0 and interval[0] >= median * (1.0 - CI_HALF_WIDTH) and \
        interval[1] <= median * (1.0 + CI_HALF_WIDTH)


def _round(value: float) -> float:
    """Four significant digits: enough for noisy timings, small in the results file."""
    return float(f"{value:.4g}")


def summarize(samples: Sequence[Number], unit: str, warmups: int = 0) -> Dict[str, Any]:
    """Median, quartiles, IQR and the ``unstable`` flag of ``samples`` (raw samples kept)."""
    if not samples:
        raise ValueError("no samples to summarize")
    median = percentile(samples, 0.5)
    q1 = percentile(samples, 0.25)
    q3 = percentile(samples, 0.75)
    iqr = q3 - q1
    ratio = iqr / median if median else 0.0
    return {
        "unit": unit,
        "median": _round(median),
        "q1": _round(q1),
        "q3": _round(q3),
        "iqr": _round(iqr),
        "iqr_ratio": _round(ratio),
        "unstable": ratio > UNSTABLE_IQR_RATIO,
        "min": _round(min(samples)),
        "max": _round(max(samples)),
        "n": len(samples),
        "warmups": warmups,
        "samples": [_round(s) for s in samples],
    }


def sample(
    run: Callable[[], Optional[float]],
    *,
    unit: str = "ms",
    warmups: int = WARMUPS,
    min_samples: int = MIN_SAMPLES,
    min_time: float = MIN_TIME_S,
    floor: int = FLOOR_SAMPLES,
    max_time: float = MAX_TIME_S,
    convert: Optional[Callable[[float], float]] = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Dict[str, Any]:
    """Measure one point: ``warmups`` throw-away calls, then samples until ``min_samples``
    are taken, or ``min_time`` seconds have passed with at least ``floor`` samples, or
    ``max_time`` seconds have passed.

    ``run()`` is timed by default (one sample = its duration in ms). If it returns a number,
    that number is the sample instead (a run that times only part of itself, or a memory
    reading). ``convert`` maps each sample before summarising (ms → MB/s, say).
    Between ``floor`` and ``min_samples`` samples it also stops once the median is known well
    enough (``CI_HALF_WIDTH``). The point records ``stop`` (``min_samples``, ``ci``,
    ``min_time`` or ``max_time``) and ``ci95``, the median's interval (null when too few).
    """
    for _ in range(warmups):
        run()
    samples: List[float] = []
    started = clock()
    while True:
        before = clock()
        value = run()
        after = clock()
        samples.append(float(value) if value is not None else (after - before) * 1000.0)
        spent = after - started
        if len(samples) >= min_samples:
            stop = "min_samples"
        elif len(samples) >= floor and _ci_is_tight(samples):
            stop = "ci"
        elif len(samples) >= floor and spent >= min_time:
            stop = "min_time"
        elif spent >= max_time:
            stop = "max_time"
        else:
            continue
        break
    if convert is not None:
        samples = [convert(s) for s in samples]
    point = summarize(samples, unit, warmups)
    interval = median_ci(samples)
    point["stop"] = stop
    point["ci95"] = [_round(v) for v in interval] if interval is not None else None
    return point


# --------------------------------------------------------------------------- memory

_FIELDS = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty",
           "Swap")


def _unavailable(why: str) -> Exception:
    from harness.guest.catalog import Unavailable  # only on this path: catalog imports more

    return Unavailable(why)


def _parse_kb(text: str) -> Dict[str, int]:
    totals: Dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB" and parts[0].endswith(":"):
            key = parts[0][:-1]
            if key in _FIELDS:
                totals[key] = totals.get(key, 0) + int(parts[1])
    return totals


def memory_of(pid: Union[int, str] = "self") -> Dict[str, float]:
    """Memory of a process in MB from ``/proc/<pid>/smaps_rollup`` (or summed ``smaps``).

    ``rss`` resident, ``pss`` proportional, ``uss`` unique (Private_Clean + Private_Dirty:
    what the process would free on exit), ``private_dirty``, ``shared``. Raises
    ``harness.guest.catalog.Unavailable`` where the platform has no such source (macOS, Windows,
    or a kernel without smaps).
    """
    if not sys.platform.startswith("linux"):
        raise _unavailable(f"no /proc/<pid>/smaps on {sys.platform}: per-process USS/PSS "
                           "are not measured there")
    text = None
    for name in ("smaps_rollup", "smaps"):
        try:
            with open(f"/proc/{pid}/{name}") as handle:
                text = handle.read()
            break
        except OSError:
            continue
    if text is None:
        raise _unavailable(f"/proc/{pid}/smaps_rollup and smaps cannot be read")
    kb = _parse_kb(text)
    if "Rss" not in kb:
        raise _unavailable(f"/proc/{pid}/smaps has no Rss lines")

    def mb(*keys: str) -> float:
        return _round(sum(kb.get(k, 0) for k in keys) * 1024.0 / MB)

    return {
        "rss": mb("Rss"),
        "pss": mb("Pss"),
        "uss": mb("Private_Clean", "Private_Dirty"),
        "private_dirty": mb("Private_Dirty"),
        "shared": mb("Shared_Clean", "Shared_Dirty"),
    }
