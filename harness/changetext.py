"""The words of change points (``history``'s data): "since Linux 3.14: …", the hedges where
versions between were not observed, "Linux PyPy 3.11" for a series at a version. Pure
functions; the page, summary.md and the answers read them."""

from __future__ import annotations

from typing import Sequence, Tuple

from harness.expect import parse_version
from harness.guest import words
from harness.history import Change, CodeChange, series_parts
from harness.results import interpreter_label

__all__ = ["change_text", "code_change_text", "not_compared_text", "release_gap",
           "releases_apart", "series_label", "since_hedge", "since_text", "unobserved_between"]


def series_label(series: str, version: str) -> str:
    """ "Linux PyPy 3.11", "Linux 3.14t", "macOS 3.15 (Intel)" for a series (``linux-pypy``,
    ``linux-cpython-t``, ``macos-cpython-x86_64``: ``history.series_key``) at a version."""
    parts = series_parts(series)
    label = "%s %s" % (words.OS_NAMES.get(parts.os, parts.os),
                       interpreter_label(parts.implementation, version, parts.free_threading))
    return label + (" (Intel)" if parts.arch == "x86_64" else "")


def unobserved_between(before: str, since: str) -> str:
    """ "3.9–3.11 not run", "3.10 not run", "3.13.1–3.13.17 not run" (patch releases), or
    "releases between not run" (a pre-release: its neighbours cannot be named)."""
    a, b = parse_version(before), parse_version(since)
    if len(a) >= 2 and len(b) >= 2 and a[0] == b[0] and b[1] - a[1] > 1:
        low, high = "%d.%d" % (a[0], a[1] + 1), "%d.%d" % (b[0], b[1] - 1)
        return "%s not run" % (low if low == high else low + "–" + high)
    plain = before == ".".join(map(str, a)) and since == ".".join(map(str, b))
    if plain and len(a) == len(b) == 3 and a[:2] == b[:2] and b[2] - a[2] > 1:
        low, high = "%d.%d.%d" % (a[0], a[1], a[2] + 1), "%d.%d.%d" % (b[0], b[1], b[2] - 1)
        return "%s not run" % (low if low == high else low + "–" + high)
    return "releases between not run"


def since_text(since: str, before: str) -> str:
    """``3.14``; or, when versions between the two were not observed, ``3.11 (or earlier: 3.9 →
    3.11 observed)`` (PyPy 3.10 not run) and ``3.13.18 (or earlier: 3.13.0 → 3.13.18
    observed)`` (patch releases apart): the data cannot say which version in between changed
    it."""
    hedge = since_hedge(since, before)
    return "%s (%s)" % (since, hedge) if hedge else since


def since_hedge(since: str, before: str) -> str:
    """ "or earlier: 3.9 → 3.11 observed" when versions between were not observed, else ""."""
    a, b = parse_version(before), parse_version(since)
    minor_gap = len(a) >= 2 and len(b) >= 2 and a[0] == b[0] and b[1] - a[1] > 1
    patch_gap = len(a) > 2 and len(b) > 2 and a[:2] == b[:2] and (
        b[2] - a[2] > 1 or before != ".".join(map(str, a)) or since != ".".join(map(str, b)))
    return "or earlier: %s → %s observed" % (before, since) if minor_gap or patch_gap else ""


def releases_apart(change: Change) -> bool:
    """The change lies between releases of two minor versions (3.13.0 → 3.14.10): later 3.13
    and earlier 3.14 releases were not run, and CPython ships changes in bugfix releases too
    (gh-126631 in 3.13.8), so "in 3.14" would be more than the data says (review r16 #4)."""
    return bool(change.before_release and change.since_release and release_gap(
        change.before_release, change.since_release))


def release_gap(before: str, since: str) -> str:
    """ "3.13.1+ and 3.14.0–3.14.9 not run" between two releases of different minor versions
    (``3.12.2+, 3.13 and 3.14.0 not run`` with one between): the releases after the first,
    the minor versions between, the releases before the second; "" within one minor version
    (``unobserved_between`` says it) or for versions not X.Y.Z."""
    a, b = parse_version(before), parse_version(since)
    if len(a) != 3 or len(b) != 3 or a[:2] == b[:2] or a[0] != b[0]:
        return ""
    parts = ["%d.%d.%d+" % (a[0], a[1], a[2] + 1)]
    if b[1] - a[1] > 1:
        low, high = "%d.%d" % (a[0], a[1] + 1), "%d.%d" % (b[0], b[1] - 1)
        parts.append(low if low == high else low + "–" + high)
    if b[2] > 0:
        parts.append("%d.%d.0" % b[:2] + ("" if b[2] == 1 else "–%d.%d.%d" % (b[0], b[1],
                                                                           b[2] - 1)))
    return "%s not run" % (parts[0] if len(parts) == 1 else
                           ", ".join(parts[:-1]) + " and " + parts[-1])


def _since_label(change: Change) -> str:
    """ "Linux 3.14"; "Linux 3.13.18 (or earlier: 3.13.0 → 3.13.18 observed)" (``since_text``);
    the releases when the labels hide them: "Linux 3.14.10 (or earlier: 3.13.0 → 3.14.10
    observed)"."""
    since, before = change.since, change.before_version
    if releases_apart(change):
        since, before = change.since_release, change.before_release
        return "%s (or earlier: %s → %s observed)" % (series_label(change.series, since),
                                                      before, since)
    hedge = since_hedge(since, before)
    label = series_label(change.series, since)
    return "%s (%s)" % (label, hedge) if hedge else label


def change_text(change: Change) -> str:
    """``since Linux 3.14: forkserver: ok "x" (was ok "y" in 3.13)`` (the page's labels, not the
    series key: review r7 #10); objects as their keys that differ: ``…: spawn: ok, keys that
    differ from 3.13: local_function: AttributeError → PicklingError``; a key the case gives
    words for as them: ``…: fork: ok, what differs from 3.12: the child's own atexit handlers
    run: now yes (was no)``."""
    gap = ", versions between not run" if change.gap else ""
    moved = "; also ran on another system: %s" % change.moved if change.moved else ""
    code = "; %s" % change.code if change.code else ""
    if change.delta:
        rest = (gap[2:] + moved + code).lstrip("; ")
        return "since %s: %s: ok, %s from %s: %s%s" % (
            _since_label(change), ", ".join(change.methods),
            "what differs" if change.labelled else "keys that differ", change.before_version,
            change.delta,
            " (%s)" % rest if rest else "")
    return "since %s: %s: %s (was %s in %s%s%s%s)" % (
        _since_label(change),
        ", ".join(change.methods), change.after, change.before, change.before_version, gap,
        moved, code)


def not_compared_text(code_changes: Sequence[Tuple[str, Sequence[str]]]) -> str:
    """What the "Not compared" line counts (the page's summary line, summary.md): ``2
    differences in 1 case whose own code changed between the two runs (…)``; "" for none."""
    if not code_changes:
        return ""
    n = sum(len(texts) for _case, texts in code_changes)
    return "%d difference%s in %d case%s whose own code changed between the two runs (a " \
        "change of the case, not of Python)" % (n, "" if n == 1 else "s", len(code_changes),
                                                "" if len(code_changes) == 1 else "s")


def code_change_text(change: CodeChange) -> str:
    """``Linux 3.12 → Linux 3.13: fork, spawn: the case's code changed between these runs
    (commits X → Y)``; ``Linux 3.13: …`` for the runs of one column (``code_changed``
    cells)."""
    label = series_label(change.series, change.since)
    versions = label if change.before_version == change.since else "%s → %s" % (
        series_label(change.series, change.before_version), label)
    return "%s: %s: %s" % (versions, ", ".join(change.methods), change.why)
