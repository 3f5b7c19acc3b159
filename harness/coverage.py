"""The last lines of ``nox -s matrix``: which interpreters the report covers, and what it does
not cover with the way to get it (the Debian root here, CI for macOS, Windows, free-threaded
builds). Host-side only; a pure function of the matrix document and the root's state.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set

from harness import notrun, provision
from harness.guest.words import IMPL_NAMES, LINUX, MACOS, OS_NAMES, PYPY, WINDOWS
from harness.results import minor_version, session_name, version_label

__all__ = ["coverage_lines"]


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
        " (found here but not in this report: %s; `nox` runs them all)"
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
    names = {k for k in provision.SESSIONS if not k.startswith(PYPY)}
    marker = provision.read_marker(root_dir) or {}
    for program, info in (marker.get("interpreters") or {}).items():
        if PYPY in program and isinstance(info, dict) and info.get("version"):
            names.add(session_name(PYPY, minor_version(info, "version")))
    return names
