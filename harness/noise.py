"""Whether two performance measurements agree within their noise: a ``{"median", "iqr"}``
summary (``guest/measure.py``) moves only when its median moves beyond both spreads and by
more than :data:`MIN_RELATIVE_CHANGE`. Pure; ``diff`` compares performance cells with it.
"""

from __future__ import annotations

from typing import Any, Mapping

from harness.text import same_value

__all__ = ["MIN_RELATIVE_CHANGE", "noise_aware_equal"]

#: A performance median must move by more than this fraction (and more than both IQRs).
MIN_RELATIVE_CHANGE = 0.10
_SUMMARY_NOISE_KEYS = frozenset({"samples", "q1", "q3", "iqr", "iqr_ratio", "min", "max", "n",
                                 "warmups", "unstable", "stop", "ci95"})


def noise_aware_equal(old: Any, new: Any) -> bool:
    """``same_value`` where ``{"median", "iqr"}`` summaries compare within their spread."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        if "median" in old and "median" in new and "iqr" in old and "iqr" in new:
            return _same_within_noise(old, new)
        if set(old) != set(new):
            return False
        return all(noise_aware_equal(old[k], new[k]) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(noise_aware_equal(a, b) for a, b in zip(old, new))
    return same_value(old, new)


def _same_within_noise(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    rest_old = {k: v for k, v in old.items() if k not in _SUMMARY_NOISE_KEYS and k != "median"}
    rest_new = {k: v for k, v in new.items() if k not in _SUMMARY_NOISE_KEYS and k != "median"}
    if not same_value(rest_old, rest_new):  # e.g. a different unit
        return False
    try:
        m_old, m_new = float(old["median"]), float(new["median"])
        spread = max(float(old["iqr"] or 0), float(new["iqr"] or 0))
    except (TypeError, ValueError):
        return same_value(old, new)
    delta = abs(m_new - m_old)
    return delta <= spread or delta <= MIN_RELATIVE_CHANGE * max(abs(m_old), abs(m_new))
