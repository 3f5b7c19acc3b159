"""The target grid every report is measured against: each OS × implementation × minor version
(× free-threading) the GitHub Actions matrix runs, plus any other environment a report holds,
and why a slot has no data (only what the inputs record). Pure functions over ``matrix.json``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from harness.documents import MatrixDoc, MatrixEnvironment
from harness.expect import version_key
from harness.guest.words import CPYTHON, LINUX, OPERATING_SYSTEMS, OS_NAMES, PYPY
from harness.merge import not_run_environment
from harness.results import interpreter_label, minor_version, parse_env_id

__all__ = ["CI_ONLY", "LEG_NO_FILE", "NOT_RUN_REASON", "NO_RESULTS", "OSES", "TARGET", "Slot",
           "file_name", "measured_text", "scope_text", "slot_count_text", "slot_of",
           "slot_order", "slots", "spans", "unmeasured_text"]

#: The target grid: what the GitHub Actions matrix (.github/workflows/matrix.yml) runs on each
#: OS — CPython 3.9–3.16 (3.16 a pre-release leg), free-threaded 3.14t and 3.15t, PyPy 3.10 and
#: 3.11. Environments a report holds beyond it (CPython 3.8, PyPy 3.9 from a local run) join it.
TARGET: Tuple[Tuple[str, str, bool], ...] = tuple(
    [(CPYTHON, "3.%d" % v, False) for v in range(9, 17)]
    + [(CPYTHON, "3.14", True), (CPYTHON, "3.15", True), (PYPY, "3.10", False),
       (PYPY, "3.11", False)])
OSES = OPERATING_SYSTEMS
#: Why an OS no local run reaches has no data (its slots' reason, after the OS's name).
CI_ONLY = "runs only in CI (GitHub Actions)"


@dataclasses.dataclass(frozen=True)
class Slot:
    """One OS × implementation × minor version (× free-threading) of the grid."""

    os: str
    impl: str
    minor: str
    ft: bool
    label: str  # "3.14t", "PyPy 3.10"
    envs: Tuple[str, ...]  # environment ids with data for it (two with patch releases)
    reason: str  # why there is no data ("" when there is)
    #: What the run that looked for it recorded ("not found (PATH, pyenv)"), "" if nothing.
    not_run: str = ""

    @property
    def key(self) -> str:
        return "%s-%s-%s%s" % (self.os, self.impl, self.minor, "t" if self.ft else "")

    def probe(self) -> Dict[str, Any]:
        """The slot as an environment, for expectation rules (``matches_env``)."""
        return {"os": self.os, "implementation": self.impl, "python_version": self.minor,
                "free_threading": self.ft}


#: Why a slot has no data when nothing recorded the cause.
NO_RESULTS = "no results file"
#: Why a slot has no data when the run that looked for it recorded why it did not run it
#: (``matrix.json``'s ``not_run_environments``: a local run's interpreters not found).
NOT_RUN_REASON = "not run — %s"
#: Why an expected CI leg's slot has no data: its file never reached the report, either way.
LEG_NO_FILE = "expected, but no results file reached the report (its CI leg failed before " \
    "writing it, or its leg check withheld it: see the leg's log)"


def file_name(path: str) -> str:
    """A file's name without the folders of the machine that built the report (either
    separator: a CI runner may be Windows)."""
    return re.split(r"[\\/]", path)[-1]


def _slot_of_name(name: str) -> Optional[Tuple[str, str, str, bool]]:
    """The grid slot a results file's name stands for (None for a name not of that form)."""
    stem = name[:-len(".json")] if name.endswith(".json") else ""  # as results.file_stem
    parts = parse_env_id(stem[:-len("-root")] if stem.endswith("-root") else stem)
    if parts is None or parts.version.count(".") != 1 or parts.arch not in ("", "x86_64"):
        return None
    return parts.os, parts.implementation, parts.version, parts.free_threading


def slot_of(env: MatrixEnvironment) -> Tuple[str, str, str, bool]:
    return (str(env.get("os")), str(env.get("implementation")),
            minor_version(env), bool(env.get("free_threading")))


def slot_order(key: Tuple[str, str, str, bool]) -> Tuple[Any, ...]:
    os_name, impl, minor, ft = key
    return (OSES.index(os_name) if os_name in OSES else 9, os_name, impl != CPYTHON, impl,
            ft, version_key(minor))


def slots(matrix: MatrixDoc) -> List[Slot]:
    """The target grid plus every environment in the report, in display order."""
    with_data: Dict[Tuple[str, str, str, bool], List[str]] = {}
    expected_only: Set[Tuple[str, str, str, bool]] = set()
    ci = any(r.get("ci") for e in matrix["environments"] for r in e.get("runs", []))
    for env in matrix["environments"]:
        key = slot_of(env)
        if env.get("not_run"):
            expected_only.add(key)
        else:
            with_data.setdefault(key, []).append(str(env["id"]))
    recorded: Dict[Tuple[str, str, str, bool], str] = {}
    for unrun in matrix.get("not_run_environments") or []:
        # A patch release looked for (linux-cpython-3.14.2) stands for its minor's slot, the
        # release named: the slot has no data, and that release is what the run missed.
        env = not_run_environment(str(unrun.get("id")))
        place = slot_of(env)
        if place not in with_data:
            release = env["python_version"]
            recorded.setdefault(place, ("%s: " % release if release != place[2] else "")
                                + str(unrun.get("reason")))
    keys = {(o, i, m, f) for o in OSES for i, m, f in TARGET} | set(with_data) | \
        expected_only | set(recorded)
    ran_os = {k[0] for k in with_data}
    rejected: Dict[Tuple[str, str, str, bool], List[str]] = {}
    for item in matrix.get("rejected_files") or []:
        name = file_name(str(item.get("path")))
        slot = _slot_of_name(name)
        if slot:
            rejected.setdefault(slot, []).append("%s: %s" % (name, item.get("problem")))
    out = []
    for key in sorted(keys, key=slot_order):
        os_name, impl, minor, ft = key
        reason = ""
        if key not in with_data:
            # Only what the inputs record: a rejected file, why the run that looked for it did
            # not run it, an expected CI leg; else nothing is guessed.
            if key in rejected:
                reason = "its results file was rejected (%s)" % "; ".join(rejected[key])
            elif key in recorded:
                reason = NOT_RUN_REASON % recorded[key]
            elif key in expected_only:
                reason = LEG_NO_FILE
            elif os_name != LINUX and os_name not in ran_os and not ci:
                reason = "%s %s" % (OS_NAMES.get(os_name, os_name), CI_ONLY)
            else:
                reason = NO_RESULTS
        out.append(Slot(os_name, impl, minor, ft, interpreter_label(impl, minor, ft),
                        tuple(with_data.get(key, ())), reason, recorded.get(key, "")))
    return out


def scope_text(missing: Sequence[Slot]) -> str:
    """ "macOS, Windows, Linux 3.14, 3.15" for the grid slots with no data."""
    parts = []
    for os_name in OSES + tuple(sorted({s.os for s in missing} - set(OSES))):
        mine = [s for s in missing if s.os == os_name]
        if not mine:
            continue
        name = OS_NAMES.get(os_name, os_name)
        # the OS's name alone when none of its target slots has data; a slot beyond the
        # target (3.8 not found here) is left out of that test: the OS is whole without it
        whole = set(TARGET) <= {(s.impl, s.minor, s.ft) for s in mine}
        parts.append(name if whole else "%s %s" % (name, ", ".join(s.label for s in mine)))
    return "; ".join(parts)


def spans(indexes: Sequence[int], versions: Sequence[str], last: str = ", ") -> str:
    """ "3.9–3.11, 3.14" for positions in an ordered list of versions (``last``: what joins the
    last two, " and ")."""
    runs: List[List[int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return _joined([versions[a] if a == b else "%s–%s" % (versions[a], versions[b])
                    for a, b in runs], last)


def _joined(texts: Sequence[str], last: str = " and ") -> str:
    """ "a, b and c" (``last`` between the last two)."""
    return last.join(t for t in (", ".join(texts[:-1]), texts[-1]) if t) if texts else ""


def _kinds(grid: Sequence[Slot], os_name: str, measured: bool) -> List[str]:
    """One OS's slots with data (``measured``) or without, as ranges per kind of interpreter:
    ["CPython 3.8–3.15", "PyPy 3.9 and 3.11"] (a range spans neighbours in the grid; "and"
    within a kind: "CPython 3.8–3.15, PyPy 3.9, 3.11" read as CPython 3.11)."""
    out = []
    for impl, ft in ((CPYTHON, False), (CPYTHON, True), (PYPY, False)):
        mine = [s for s in grid if (s.os, s.impl, s.ft) == (os_name, impl, ft)]
        hits = [i for i, s in enumerate(mine) if bool(s.envs) == measured]
        if hits:
            prefix = "PyPy " if impl == PYPY else "CPython " if measured and not ft else ""
            out.append(prefix + spans(hits, [s.label.replace("PyPy ", "") for s in mine],
                                      " and "))
    return out


def measured_text(grid: Sequence[Slot]) -> str:
    """ "Linux — CPython 3.8–3.15, PyPy 3.9 and 3.11": the slots with data, per OS ("" for
    none). The scope a reader meets first, on the page and in summary.md."""
    return "; ".join("%s — %s" % (OS_NAMES.get(o, o), ", ".join(_kinds(grid, o, True)))
                     for o in dict.fromkeys(s.os for s in grid) if _kinds(grid, o, True))


#: After an OS that only the CI workflow runs, in the scope's "Not measured".
NOT_HERE_CI = " (no run in this report; the CI workflow runs them)"


def unmeasured_text(grid: Sequence[Slot]) -> str:
    """ "Linux 3.16, 3.14t and 3.15t, PyPy 3.10; macOS and Windows (no run in this report; the CI
    workflow runs them)": the slots with no
    data, an OS without any by its name alone ("" when every slot has data)."""
    parts: List[Tuple[str, Optional[str]]] = []  # (text, why an OS has no data at all)
    for os_name in dict.fromkeys(s.os for s in grid):
        name = OS_NAMES.get(os_name, os_name)
        mine = [s for s in grid if s.os == os_name]
        if any(s.envs for s in mine):
            if any(not s.envs for s in mine):
                parts.append(("%s %s" % (name, ", ".join(_kinds(grid, os_name, False))), None))
            continue
        # no data of theirs is on the page: "(CI only)" read as if CI's were
        why = NOT_HERE_CI if all(s.reason.endswith(CI_ONLY) for s in mine) else ""
        if parts and parts[-1][1] == why:  # "macOS and Windows (no run in this report; …)"
            parts[-1] = (parts[-1][0].replace(" and ", ", ") + " and " + name, why)
        else:
            parts.append((name, why))
    return "; ".join(text + (why or "") for text, why in parts)


def _named(slots: Sequence[Slot]) -> str:
    """ "Linux 3.8 and PyPy 3.9": slots per OS, each OS named once."""
    return "; ".join("%s %s" % (OS_NAMES.get(o, o), _joined([s.label for s in slots
                                                              if s.os == o]))
                     for o in dict.fromkeys(s.os for s in slots))


def slot_count_text(grid: Sequence[Slot], with_data: int, target: int, shared: str) -> str:
    """ "10 of 38 OS × Python slots: the 36 this project targets and 2 more that these results
    hold (Linux 3.8 and PyPy 3.9); Linux 3.13 is two environments: …" (``shared``:
    ``answers.shared_slots``): the arithmetic behind the scope, for the Summary."""
    beyond = [s for s in grid if s.os not in OSES or (s.impl, s.minor, s.ft) not in TARGET]
    extra, looked = [s for s in beyond if s.envs], [s for s in beyond if not s.envs]
    # named: "2 more" left a reader to guess which (review r7 #9)
    more = " and ".join(t for t in (
        "%d more that these results hold (%s)" % (len(extra), _named(extra)) if extra else "",
        "%d more this run looked for and did not run (%s)" % (len(looked), _named(looked))
        if looked else "") if t)
    return "%d of %d OS × Python slots%s%s" % (
        with_data, len(grid),
        ": the %d this project targets and %s" % (target, more) if more
        else " this project targets", "; " + shared if shared else "")
