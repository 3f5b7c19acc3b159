"""Change points derived from the data: where behaviour changes walking Python versions in
order ("since 3.14: forkserver ..."), and where platforms disagree at the same version.

Like BCD's ``version_added``, nothing here is typed in: every point comes from two cells (or
two environment probes) that differ. Pure functions over the ``matrix.json`` dict.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness import case_code
from harness.documents import (
    CellFields,
    MatrixCell,
    MatrixDoc,
    MatrixEnvironment,
    cells_by_key,
    error_field,
)
from harness.expect import version_key
from harness.guest import words
from harness.merge import performance_cases, signature, warning_kinds
from harness.results import EnvParts, arch_suffix, version_label
from harness.results import minor_version as _minor
from harness.text import cut_apart, key_changes, keys_shown, short_json

__all__ = [
    "Change",
    "CodeChange",
    "MethodChange",
    "PlatformDifference",
    "apart",
    "comparable",
    "compared_at",
    "describe",
    "method_changes",
    "platform_differences",
    "release",
    "series_key",
    "series_parts",
    "system_name",
    "walk",
]


@dataclasses.dataclass(frozen=True)
class Change:
    """Between two consecutive versions with data, a case's behaviour under some methods
    changed on one OS × implementation."""

    case: str
    series: str  # "linux-cpython" (free-threaded builds are their own series: "linux-cpython-t")
    methods: Tuple[str, ...]
    since: str  # the first version showing the new behaviour
    before_version: str
    before: str
    after: str
    gap: bool  # versions in between had no data
    #: The two versions also ran on different systems ("the host → the Debian root"): the
    #: change may be the system's (its C library, its build of Python), not the version's.
    moved: str = ""
    #: The runs come from different commits and do not record the case's code (results before
    #: format 1.4): the hedge saying the case itself may have changed.
    code: str = ""
    #: Both sides returned an object: only its keys that differ, ``key: before → after; …``
    #: (then ``before``/``after`` show those keys alone).
    delta: str = ""
    #: The releases the two columns ran (``3.13.0``, ``3.14.10``; "" when not X.Y.Z): a column
    #: labelled ``3.14`` says nothing of the 3.13 and 3.14 releases not run (review r16 #4).
    before_release: str = ""
    since_release: str = ""
    #: ``delta`` says a key in the case's words (its ``labels``), not by its JSON name.
    labelled: bool = False


@dataclasses.dataclass(frozen=True)
class CodeChange:
    """Between two consecutive versions, a case's cells differ but so does its own code: the
    difference says nothing about Python and is not a :class:`Change`."""

    case: str
    series: str
    methods: Tuple[str, ...]
    since: str
    before_version: str
    why: str  # ``the case's code changed between these runs (commits X → Y)``


@dataclasses.dataclass(frozen=True)
class MethodChange:
    """A change in the start methods table: available list, default, executor default."""

    series: str
    since: str
    before_version: str
    what: str
    before: str
    after: str


@dataclasses.dataclass(frozen=True)
class PlatformDifference:
    """At one Python version, one case under one method behaves differently across series."""

    case: str
    version: str
    method: str
    by_series: Tuple[Tuple[str, str], ...]
    #: Why the difference may not be the platform's: the case's code differs between the runs
    #: (or may: different commits without digests); "" when they ran the same code.
    code: str = ""


def series_key(env: Mapping[str, Any]) -> str:
    """The line along which versions are walked: OS × implementation (× free-threading, × the
    Intel macOS leg): ``linux-cpython``, ``linux-cpython-t``, ``macos-cpython-x86_64``."""
    key = "%s-%s" % (env.get("os"), env.get("implementation"))
    return key + ("-t" if env.get("free_threading") else "") + arch_suffix(env)


def series_parts(key: str) -> EnvParts:
    """A ``series_key``'s parts (its version ""): ``macos-cpython-x86_64`` -> macos, cpython,
    not free-threaded, x86_64."""
    os_name, impl, *rest = key.split("-") + ["", ""]
    return EnvParts(os_name, impl, "", "t" in rest, "".join(p for p in rest if p != "t"))


def describe(cell: CellFields, performance: bool = False, limit: int = 80) -> str:
    """A short human text for a cell's behaviour (what a change point compares), its value
    shortened to ``limit``."""
    outcome = cell.get("outcome")
    if outcome == words.OK and not performance:
        return "ok %s" % short_json(cell.get("observed"), limit)
    if outcome == words.ERROR:
        return "error %s" % (error_field(cell, "type") or "?")
    return str(outcome)


def apart(cells: Sequence[CellFields], performance: bool = False,
          labels: Optional[Mapping[str, str]] = None) -> List[str]:
    """:func:`describe` for cells that behave differently, cut so that the difference shows:
    objects as only their keys that differ (``ok {local_function: AttributeError, …}``, the
    rule of the cell panel; a key the case gives words for as them: ``labels``), other long
    values from where they start to differ."""
    if performance or not all(c.get("outcome") == words.OK for c in cells):
        return [describe(c, performance) for c in cells]
    values = [c.get("observed") for c in cells]
    shown = keys_shown(values, labels) or cut_apart([short_json(v, 10 ** 6) for v in values],
                                                    77)
    return ["ok %s" % text for text in shown]


def _texts(cells: Sequence[CellFields], perf: bool,
           labels: Optional[Mapping[str, str]] = None) -> List[str]:
    """Each cell's :func:`apart` text with its warning kinds (``ok 1 + DeprecationWarning``)."""
    out = []
    for cell, text in zip(cells, apart(cells, perf, labels)):
        kinds = warning_kinds(cell)
        out.append(text + (" + %s" % ", ".join(kinds) if kinds else ""))
    return out


def _delta(before: CellFields, after: CellFields, perf: bool,
           labels: Mapping[str, str]) -> Tuple[str, bool]:
    """``key: old → new; …`` when two ok cells returned objects that differ only in value (a
    key the case gives words for as ``label: now new (was old)``), and whether one did."""
    if perf or warning_kinds(before) != warning_kinds(after) or not all(
            c.get("outcome") == words.OK for c in (before, after)):
        return "", False
    old, new = before.get("observed"), after.get("observed")
    delta = key_changes(old, new, labels=labels) or ""
    return delta, bool(delta) and delta != (key_changes(old, new) or "")


def _by_series(matrix: MatrixDoc) -> Dict[str, List[MatrixEnvironment]]:
    series: Dict[str, List[MatrixEnvironment]] = {}
    for env in matrix["environments"]:
        if env.get("not_run"):  # an expected column that produced no data says nothing
            continue
        series.setdefault(series_key(env), []).append(env)
    for envs in series.values():
        envs.sort(key=lambda e: version_key(str(e.get("python_version", ""))))
    return series


def _usable(cell: MatrixCell) -> bool:
    return cell.get("status") not in (words.NOT_RUN, words.FLAKY) and \
        cell.get("outcome") is not None


def system_name(env: Mapping[str, Any]) -> str:
    """Where a column ran: "the host", the root it ran in ("the Debian root"), or both when
    its runs came from both (every run counts, not only the first file's probe)."""
    roots = {str(r.get("root") or "") for r in env.get("runs") or ()} or {
        str(env.get("root") or "")}
    names = sorted({"the host" if not root else "the Debian root" if "debootstrap" in root
                    else "a root (%s)" % root for root in roots})
    return " and ".join(names)


def release(env: Mapping[str, Any]) -> str:
    """The release a column ran, ``3.14.10``; "" when it is no plain X.Y.Z (a pre-release)."""
    version = str(env.get("python_version") or "")
    return version if re.fullmatch(r"\d+\.\d+\.\d+", version) else ""


def _moved(before: str, after: str) -> str:
    return "" if before == after else "%s → %s" % (before, after)


def walk(matrix: MatrixDoc) -> Tuple[List[Change], List[CodeChange]]:
    """For each case and series, walking versions in order, the points where behaviour
    changed (methods with the same change at the same version reported together); and the
    differences left out of them because the case's own code changed between the two runs
    (``case_code``)."""
    cells = cells_by_key(matrix)
    perf = performance_cases(matrix)
    methods_of = matrix.get("case_methods", {})
    systems = {env["id"]: system_name(env) for env in matrix["environments"]}
    out: List[Change] = []
    code_changed: List[CodeChange] = []
    for series, envs in sorted(_by_series(matrix).items()):
        for case in matrix["cases"]:
            found: Dict[Tuple[str, str, str, str, bool, str, str, Tuple[str, bool], str,
                              str], List[str]] = {}
            code_found: Dict[Tuple[str, str, str], List[str]] = {}
            labels = case.get("labels") or {}
            for method in methods_of.get(case["id"], ()):
                prev = None
                prev_env = None
                skipped = False
                for env in envs:
                    cell = cells.get((case["id"], env["id"], method))
                    if cell is None or not _usable(cell):
                        skipped = prev is not None or skipped
                        continue
                    is_perf = case["id"] in perf
                    if cell.get("code_changed"):  # its own runs ran two versions of the case
                        here = version_label(env)
                        code_found.setdefault((here, here, str(cell["code_changed"])),
                                              []).append(method)
                    # Not where a hang hung (merge.disagree's rule): a hang that quoted nothing
                    # (an older harness) would read as a change against every one that did.
                    if prev is not None and prev_env is not None and \
                            signature(prev, is_perf) != signature(cell, is_perf):
                        old, new = case_code.side(prev_env, prev), case_code.side(env, cell)
                        code = case_code.relation(old, new)
                        if code == case_code.CHANGED:
                            code_found.setdefault((version_label(env), version_label(prev_env),
                                                   case_code.changed_text(old, new)),
                                                  []).append(method)
                            prev, prev_env, skipped = cell, env, False
                            continue
                        before, after = _texts([prev, cell], is_perf)
                        key = (version_label(env), version_label(prev_env), before, after,
                               skipped, _moved(
                                   systems[prev_env["id"]], systems[env["id"]]),
                               case_code.unknown_text(old, new) if code == case_code.UNKNOWN
                               else "", _delta(prev, cell, is_perf, labels),
                               release(prev_env), release(env))
                        found.setdefault(key, []).append(method)
                    prev, prev_env, skipped = cell, env, False
            for (since, before_v, before, after, gap, moved, hedge, (delta, labelled),
                 old_release, new_release), methods in found.items():
                out.append(Change(case["id"], series, tuple(methods), since, before_v,
                                  before, after, gap, moved, hedge, delta, old_release,
                                  new_release, labelled))
            code_changed += [CodeChange(case["id"], series, tuple(methods), since, before_v, why)
                      for (since, before_v, why), methods in code_found.items()]
    out.sort(key=lambda c: (c.case, c.series, version_key(c.since), c.methods))
    code_changed.sort(key=lambda c: (c.case, c.series, version_key(c.since), c.methods))
    return out, code_changed


def compared_at(matrix: MatrixDoc) -> Dict[Tuple[str, str], int]:
    """(series, version) -> how many cases could show a change there: a cell of theirs ran at
    that version and, under the same method, at an earlier one of the series (a selection that
    left a case out on one side can never show, or hide, a change of it)."""
    cells = cells_by_key(matrix)
    methods_of = matrix.get("case_methods", {})
    out: Dict[Tuple[str, str], int] = {}
    for series, envs in _by_series(matrix).items():
        for i, env in enumerate(envs):
            out[(series, version_label(env))] = sum(1 for case in matrix["cases"] if any(
                _ran_in(cells, case["id"], env, method) and any(
                    _ran_in(cells, case["id"], before, method) for before in envs[:i])
                for method in methods_of.get(case["id"], ())))
    return out


def _ran_in(cells: Mapping[Tuple[str, str, str], MatrixCell], case: str,
            env: MatrixEnvironment, method: str) -> bool:
    cell = cells.get((case, env["id"], method))
    return cell is not None and _usable(cell)


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return "(unknown)" if value is None else str(value)


def method_changes(matrix: MatrixDoc) -> List[MethodChange]:
    """Changes in available methods and defaults, per series, walking versions in order."""
    fields = (("available_methods", "available"), ("default_method", "default"),
              ("executor_default_method", "ProcessPoolExecutor default"))
    out: List[MethodChange] = []
    for series, envs in sorted(_by_series(matrix).items()):
        for key, label in fields:
            for prev, env in zip(envs, envs[1:]):
                if prev.get(key) != env.get(key):
                    out.append(MethodChange(series, version_label(env), version_label(prev), label,
                                            _fmt(prev.get(key)), _fmt(env.get(key))))
    return out


def comparable(matrix: MatrixDoc) -> Tuple[bool, List[List[str]]]:
    """Whether this data can show a change between versions (a series with two environments),
    and the series that share a Python version (where a difference between them can show)."""
    by_series = _by_series(matrix)
    at: Dict[str, List[str]] = {}
    for series, envs in sorted(by_series.items()):
        for minor in dict.fromkeys(_minor(env) for env in envs):
            at.setdefault(minor, []).append(series)
    return (any(len(envs) > 1 for envs in by_series.values()),
            [series for series in at.values() if len(series) > 1])


def platform_differences(matrix: MatrixDoc) -> List[PlatformDifference]:
    """Cells that differ between series (OS/implementation) at the same Python version."""
    cells = matrix["results"]
    perf = performance_cases(matrix)
    labels = {c["id"]: c.get("labels") or {} for c in matrix["cases"]}
    envs = {e["id"]: e for e in matrix["environments"]}
    groups: Dict[Tuple[str, str, str], Dict[str, List[Tuple[MatrixEnvironment,
                                                          MatrixCell]]]] = {}
    for cell in cells:
        env = envs.get(cell["environment"])
        if env is None or not _usable(cell) or cell.get("outcome") == words.UNAVAILABLE:
            continue
        key = (cell["case"], _minor(env), cell["method"])
        # several patch releases of one series: the newest speaks for it (the differences
        # between them are behaviour changes, found above)
        groups.setdefault(key, {}).setdefault(series_key(env), []).append((env, cell))
    newest = {key: {s: max(pairs, key=lambda p: version_key(str(p[0].get("python_version",
                                                                             ""))))
                    for s, pairs in by.items()} for key, by in groups.items()}
    out: List[PlatformDifference] = []
    for (case_id, version, method), by in sorted(newest.items()):
        is_perf = case_id in perf
        if len(by) > 1 and len({signature(c, is_perf) for _e, c in by.values()}) > 1:
            code, why = case_code.across([case_code.side(e, c) for e, c in by.values()])
            ordered = sorted(by.items())
            out.append(PlatformDifference(case_id, version, method, tuple(zip(
                [s for s, _pair in ordered], _texts([c for _s, (_e, c) in ordered], is_perf,
                                                  labels.get(case_id)))),
                why + (": not a platform difference" if code == case_code.CHANGED else "")))
    return out
