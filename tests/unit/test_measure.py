"""The measurement protocol (harness/guest/measure.py): quantiles, summaries, the stopping rule,
and /proc memory readings."""

from __future__ import annotations

import itertools
import os
import sys
from typing import Iterator, List

import pytest

from harness.guest import measure
from harness.guest.catalog import Unavailable


def test_percentile_interpolates_like_numpy() -> None:
    """Quartiles of 1..4 are 1.75 / 2.5 / 3.25 (linear interpolation, numpy's default)."""
    values = [4, 1, 3, 2]
    assert [measure.percentile(values, f) for f in (0.25, 0.5, 0.75)] == [1.75, 2.5, 3.25]
    assert measure.percentile([7], 0.9) == 7.0


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_percentile_rejects_fractions_outside_0_1(bad: float) -> None:
    """A fraction outside 0..1 is an error, not an extrapolation."""
    with pytest.raises(ValueError, match="fraction"):
        measure.percentile([1, 2], bad)


def test_summarize_reports_median_iqr_and_keeps_raw_samples() -> None:
    """The summary carries unit, median, quartiles, IQR ratio, n and the raw samples."""
    samples = [10.0, 11.0, 12.0, 13.0, 14.0]
    point = measure.summarize(samples, "ms", warmups=2)
    assert point["unit"] == "ms"
    assert (point["median"], point["q1"], point["q3"], point["iqr"]) == (12.0, 11.0, 13.0, 2.0)
    assert point["iqr_ratio"] == pytest.approx(2.0 / 12.0, rel=1e-3)
    assert point["unstable"] is False
    assert (point["n"], point["warmups"], point["min"], point["max"]) == (5, 2, 10.0, 14.0)
    assert point["samples"] == samples


def test_summarize_flags_a_wide_spread_as_unstable() -> None:
    """IQR wider than UNSTABLE_IQR_RATIO of the median sets ``unstable``."""
    point = measure.summarize([1.0, 1.0, 10.0, 20.0, 20.0], "ms")
    assert point["iqr_ratio"] > measure.UNSTABLE_IQR_RATIO
    assert point["unstable"] is True


def test_summarize_refuses_no_samples() -> None:
    """An empty point is an error, never a zero."""
    with pytest.raises(ValueError, match="no samples"):
        measure.summarize([], "ms")


def _fake_clock(step: float) -> Iterator[float]:
    return (i * step for i in itertools.count())


def test_sample_stops_at_min_samples_when_runs_are_fast() -> None:
    """Fast runs: warm-ups are discarded, then exactly ``min_samples`` samples are kept."""
    calls: List[int] = []
    clock = _fake_clock(0.0001)
    spread = itertools.cycle([1.0, 2.0, 4.0, 8.0])  # the median never gets within ±10 %

    def run() -> float:
        calls.append(1)
        return next(spread)

    point = measure.sample(run, warmups=3, min_samples=20, clock=lambda: next(clock))
    assert point["n"] == 20 and point["stop"] == "min_samples"
    assert len(calls) == 23
    assert point["warmups"] == 3


def test_median_ci_is_the_order_statistic_interval() -> None:
    """Distribution-free 95 % intervals of the median (the textbook table: n = 6 → x(1)..x(6),
    n = 20 → x(6)..x(15)); too few values give none."""
    assert measure.median_ci([1.0, 2.0, 3.0, 4.0, 5.0]) is None  # 1 - 2/32 < 95 %
    assert measure.median_ci([6.0, 1.0, 5.0, 2.0, 4.0, 3.0]) == [1.0, 6.0]
    values = [float(v) for v in range(1, 21)]
    assert measure.median_ci(values) == [6.0, 15.0]
    assert measure.median_ci(values, level=0.5) == [8.0, 13.0]  # 2 P(B <= 8) = 0.503
    big = measure.median_ci([float(v) for v in range(2000)])
    assert big is not None and 900 < big[0] < 1000 < big[1] < 1100


def test_sample_stops_early_once_the_median_is_known_within_ten_percent() -> None:
    """Tight samples stop at the first n with an interval (6 at 95 %), not at 20; the point
    says so. Samples just outside ±10 % keep going."""
    tight = itertools.cycle([100.0, 101.0, 99.0, 102.0, 98.0, 100.0])
    point = measure.sample(lambda: next(tight), warmups=0, min_samples=20, min_time=100.0)
    assert point["n"] == 6 and point["stop"] == "ci"
    assert point["ci95"] == [98.0, 102.0]
    loose = itertools.cycle([100.0, 89.0, 111.0, 100.0, 100.0, 100.0])
    point = measure.sample(lambda: next(loose), warmups=0, min_samples=20, min_time=100.0)
    assert point["n"] > 6 and point["stop"] in ("ci", "min_samples")


def test_the_budgets_stay_caps_and_say_which_one_stopped() -> None:
    """A point that never gets tight stops at max_time (after one sample at least)."""
    clock = _fake_clock(2.5)  # 5 s per sample
    wide = itertools.cycle([1.0, 10.0])
    point = measure.sample(lambda: next(wide), warmups=0, min_samples=20, min_time=1.0,
                           floor=5, max_time=4.0, clock=lambda: next(clock))
    assert point["n"] == 1 and point["stop"] == "max_time" and point["ci95"] is None


def test_sample_stops_after_min_time_with_the_floor_reached() -> None:
    """Slow runs (0.3 s each): stop once 1 s has passed, but never below the floor of 5."""
    clock = _fake_clock(0.15)  # two clock reads per sample: 0.3 s per run
    point = measure.sample(lambda: None, warmups=0, min_samples=20, min_time=1.0, floor=5,
                           clock=lambda: next(clock))
    assert point["n"] == 5 and point["stop"] == "min_time"
    assert point["median"] == pytest.approx(150.0)  # (after - before) in ms


def test_sample_uses_a_returned_number_and_converts_it() -> None:
    """A run that returns a number gives that sample; ``convert`` maps it (ms → MB/s)."""
    values = iter([10.0, 20.0, 40.0, 20.0, 20.0])
    point = measure.sample(lambda: next(values), warmups=0, min_samples=5,
                           convert=lambda ms: 100 / (ms / 1000.0))
    assert point["samples"] == [10000.0, 5000.0, 2500.0, 5000.0, 5000.0]
    assert point["median"] == 5000.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_memory_of_self_sees_an_allocation() -> None:
    """USS grows by roughly the size of a fresh 50 MB buffer that is written to."""
    before = measure.memory_of()
    block = bytearray(50 * measure.MB)
    block[:: 4096] = b"x" * len(range(0, len(block), 4096))
    after = measure.memory_of(os.getpid())
    assert set(before) == {"rss", "pss", "uss", "private_dirty", "shared"}
    assert 40 <= after["uss"] - before["uss"] <= 70
    assert after["rss"] >= after["uss"]
    del block


def test_memory_of_a_missing_process_is_unavailable() -> None:
    """No /proc entry (or no /proc at all) is a clear Unavailable, not an OSError."""
    with pytest.raises(Unavailable):
        measure.memory_of(2**22 + 12345)


def test_parse_kb_sums_the_known_fields() -> None:
    """smaps blocks are summed field by field; unknown lines are ignored."""
    text = "Rss:  100 kB\nPss: 50 kB\nPrivate_Dirty: 10 kB\nVmFlags: rd wr\nRss: 24 kB\n"
    assert measure._parse_kb(text) == {"Rss": 124, "Pss": 50, "Private_Dirty": 10}
