"""The last lines of ``nox -s matrix``: which interpreters the report covers, and what it does
not cover with the way to get it (the Debian root here, CI for macOS, Windows, free-threaded
builds); and why each interpreter it looked for did not run, for the report's slots
(``not_run_here``). Host-side only; pure functions of the matrix document, what discovery found
and the root's state.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from harness import discovery, notrun, provision
from harness.guest.probe import os_name
from harness.guest.words import CPYTHON, IMPL_NAMES, LINUX, MACOS, OS_NAMES, PYPY, WINDOWS
from harness.results import (
    env_id,
    minor_version,
    session_identity,
    session_name,
    version_label,
)

if TYPE_CHECKING:
    from harness.discovery import Interpreter, Rejected

__all__ = ["coverage_lines", "not_run_here"]

#: Why an interpreter the run looked for has no data (the report's slot: "not run — …").
NOT_FOUND = "not found (%s)" % ", ".join(discovery.PLACES)
BROKEN = "found but broken: %s"
IN_ROOT = "in the Debian root (%s)"
#: Found here, and no results file from it: true of a session not run (`nox -s matrix-3.12`
#: ran others) and of one that crashed before writing its file.
IDLE = "found here; no results file from it"


def _label(env: Mapping[str, Any]) -> str:
    return version_label(env) + ("t" if env.get("free_threading") else "")


def _session(env: Mapping[str, Any]) -> str:
    """The nox name of the column's minor version: ``3.13``, ``3.14t``, ``pypy3.11``."""
    return session_name(env.get("implementation"), minor_version(env), env.get("free_threading"))


def _from_root(env: Mapping[str, Any]) -> bool:
    return any(run.get("root") for run in env.get("runs") or ())


def _covered(envs: Sequence[Mapping[str, Any]]) -> str:
    groups: Dict[str, List[str]] = {}
    for env in envs:
        key = "%s %s" % (OS_NAMES.get(str(env.get("os")), env.get("os")),
                         IMPL_NAMES.get(str(env.get("implementation")), env.get("implementation")))
        groups.setdefault(key, []).append(_label(env) + (" (root)" if _from_root(env) else ""))
    return "; ".join("%s %s" % (key, ", ".join(labels)) for key, labels in groups.items())


def _root_hint(root_dir: Path, environ: Mapping[str, str], ran_root: bool) -> Optional[str]:
    """Why the Debian root's interpreters are not all in the report, and what to run."""
    if not sys.platform.startswith("linux") or environ.get("CI"):
        return None
    wanted = provision.Config.from_env(environ).interpreters
    names = ", ".join(os.path.basename(p) for p in wanted)
    marker = provision.read_marker(root_dir)
    have = set((marker or {}).get("interpreters") or {})
    if marker is None:
        return "not here: %s of the Debian root: `nox -s provision`, then `nox -s matrix`, " \
               "both as root (README: More interpreters from a Debian root)" % names
    if not set(wanted) <= have:
        return "not here: %s of the Debian root (it predates them): `nox -s provision`, as " \
               "root, adds them in place" % ", ".join(os.path.basename(p) for p in wanted
                                                 if p not in have)
    if environ.get("HARNESS_NO_ROOT"):
        return "not run: the Debian root's %s (HARNESS_NO_ROOT is set)" % names
    if not ran_root:
        return "not run: the Debian root's %s (`nox -s matrix` runs them, as root)" % names
    return None


def coverage_lines(matrix: Mapping[str, Any], known: Sequence[str], found: Sequence[str] = (),
                   root_dir: Optional[Path] = None,
                   environ: Optional[Mapping[str, str]] = None) -> List[str]:
    """Two or three lines: what the report covers (and, after a partial run, how little of it
    ran), and what it does not with how to get it.

    ``known`` are the interpreter names CI legs ask for (``3.13t``, ``pypy3.10``...),
    ``found`` those discovery found on this host (their nox session names).
    """
    env_vars = os.environ if environ is None else environ
    envs = [e for e in matrix.get("environments") or () if not e.get("not_run")]
    sessions = {_session(e) for e in envs}
    idle = [name for name in found if name not in sessions]
    gaps = notrun.of_matrix(matrix)
    lines = ["covered: %d interpreter%s: %s%s%s" % (
        len(envs), "" if len(envs) == 1 else "s", _covered(envs) or "none",
        " (found here but not in this report: %s: not run, or its session failed — nox's "
        "summary says which; `nox` runs them all)"
        % ", ".join(idle) if idle else "",
        " — but %s (%s)" % (gaps.ran, gaps.why) if gaps.partial else "")]
    root = provision.default_root_dir(env_vars) if root_dir is None else root_dir
    hint = _root_hint(root, env_vars, any(_from_root(e) for e in envs))
    if hint:
        lines.append(hint)
    systems = {str(e.get("os")) for e in envs}
    absent = [OS_NAMES[name] for name in (MACOS, WINDOWS, LINUX) if name not in systems]
    here = sessions | set(found) | _root_sessions(root)
    missing = absent + [k for k in known if k not in here]
    if missing:
        lines.append("not on this machine: %s — GitHub Actions runs them "
                     "(.github/workflows/matrix.yml)" % ", ".join(missing))
    return lines


def _root_sessions(root_dir: Path) -> Set[str]:
    """What the root gives or will give (named in the root line, not again as CI only)."""
    return {k for k in provision.SESSIONS if not k.startswith(PYPY)} | {
        name for name in _root_names(root_dir) if name.startswith(PYPY)}


def not_run_here(looked_for: Sequence[str], found: Sequence[Interpreter],
                 rejected: Sequence[Rejected], root_dir: Optional[Path] = None,
                 environ: Optional[Mapping[str, str]] = None) -> List[Tuple[str, str]]:
    """(environment id, why) for each interpreter ``looked_for`` (nox session names), should it
    have no data: found here (not run this time, or crashed), in the Debian root, found but
    broken (its one-line reason), or not found where discovery looks. For ``harness report
    --not-run``: the report keeps those that have no data."""
    env_vars = os.environ if environ is None else environ
    have = {i.session_name for i in found}
    in_root = _root_names(provision.default_root_dir(env_vars) if root_dir is None else root_dir)
    broken: Dict[str, str] = {}
    for item in rejected:
        broken.setdefault(discovery.rejected_name(item) or "", item.reason)
    here = {"os": os_name(sys.platform), "arch": platform.machine()}
    out = []
    for name in dict.fromkeys(looked_for):
        if name in have:
            why = IDLE
        elif name in in_root:
            why = IN_ROOT % ("HARNESS_NO_ROOT is set" if env_vars.get("HARNESS_NO_ROOT")
                             else "`nox -s matrix` runs it, as root")
        else:
            why = BROKEN % broken[name] if name in broken else NOT_FOUND
        implementation, minor, free_threading = session_identity(name)
        out.append((env_id(dict(here, implementation=implementation, python_version=minor,
                                free_threading=free_threading)), why))
    return out


def _root_names(root_dir: Path) -> Set[str]:
    """The session names of the interpreters the provisioned root holds (none without one)."""
    if not sys.platform.startswith("linux"):
        return set()
    marker = provision.read_marker(root_dir) or {}
    return {session_name(PYPY if PYPY in program else CPYTHON, minor_version(info, "version"))
            for program, info in (marker.get("interpreters") or {}).items()
            if isinstance(info, dict) and info.get("version")}
