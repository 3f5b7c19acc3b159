"""Find the Python interpreters on this machine: PATH, pyenv's versions folder, and any named
explicitly (``--python`` or ``HARNESS_PYTHONS``). Nothing is ever downloaded.

Each candidate is asked about itself in a short subprocess; duplicates (same real path) are
dropped, broken or too-old interpreters are reported with the reason.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from harness import owned
from harness.cli_types import python_path
from harness.guest.words import CPYTHON, IMPL_NAMES, IMPLEMENTATIONS
from harness.results import session_name
from harness.text import shorten

__all__ = [
    "PLACES",
    "Interpreter",
    "Rejected",
    "candidate_paths",
    "discover",
    "inspect_interpreter",
    "pyenv_roots",
    "rejected_name",
    "root_interpreters",
]

#: Environment variable naming extra interpreters (os.pathsep-separated paths).
ENV_VAR = "HARNESS_PYTHONS"
#: Where ``candidate_paths`` looks, in its order (besides paths given with --python): what an
#: interpreter "not found" was not found in.
PLACES = ("$" + ENV_VAR, "pyenv", "PATH")
_NAME = re.compile(r"^(python|pypy)(3(\.\d+)?t?)?(\.exe)?$")
_QUERY = (
    "import sys, sysconfig, json; method = ''\n"
    # The default start method, as check_exec learns it: the first of all methods; unknown
    # where multiprocessing fails to import (check's nicety, not a reason to reject it).
    "try:\n    method = __import__('multiprocessing').get_all_start_methods()[0]\n"
    "except Exception:\n    pass\n"
    "json.dump({'implementation': sys.implementation.name, "
    "'version': list(sys.version_info[:3]), 'releaselevel': sys.version_info.releaselevel, "
    "'free_threading': bool(sysconfig.get_config_var('Py_GIL_DISABLED')), "
    "'executable': sys.executable, 'default_method': method}, sys.stdout)"
)
MINIMUM = (3, 8)
#: How long an interpreter may take to say what it is (a cold start on a loaded machine).
ANSWER_S = 10


@dataclasses.dataclass(frozen=True)
class Interpreter:
    """A usable interpreter and what it says of itself."""

    path: str
    real_path: str
    implementation: str
    version: Tuple[int, int, int]
    free_threading: bool
    origin: str
    #: Command prefix that starts it (a chroot wrapper for interpreters inside a root).
    command: Tuple[str, ...] = ()
    #: Its default start method ("" when it did not say).
    default_method: str = ""

    @property
    def short_version(self) -> str:
        return "%d.%d" % self.version[:2]

    @property
    def session_name(self) -> str:
        """What nox calls it: ``3.12``, ``3.13t``, ``pypy3.9``."""
        return session_name(self.implementation, self.short_version, self.free_threading)

    def argv(self) -> List[str]:
        return list(self.command) if self.command else [self.path]


@dataclasses.dataclass(frozen=True)
class Rejected:
    """A candidate that is not usable, and why."""

    path: str
    reason: str
    #: What it said it is, where it answered (a name like ``3.7`` is compared with these).
    version: Tuple[int, ...] = ()
    implementation: str = ""


def rejected_name(rejected: Rejected) -> Optional[str]:
    """The session name a rejected candidate stood for: by its file's name (``python3.14t``,
    ``pypy3.10``: a broken one says nothing of itself), else by what it said it is; None when
    neither tells (``python3``)."""
    found = _NAME.match(os.path.basename(rejected.path.rsplit(":", 1)[-1]))
    if found and found.group(3):
        return session_name(found.group(1), found.group(2)[:-1] if found.group(2).endswith(
            "t") else found.group(2), found.group(2).endswith("t"))
    if len(rejected.version) >= 2 and rejected.implementation:
        return session_name(rejected.implementation, "%d.%d" % rejected.version[:2])
    return None


def pyenv_roots(environ: Optional[Mapping[str, str]] = None) -> List[Path]:
    """``$PYENV_ROOT``, ``pyenv root`` and ``~/.pyenv``, those that exist, without repeats."""
    env = os.environ if environ is None else environ
    found: List[Path] = []
    if env.get("PYENV_ROOT"):
        found.append(Path(env["PYENV_ROOT"]))
    try:
        out = subprocess.run(
            ["pyenv", "root"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            timeout=10, check=True,
        )
        found.append(Path(out.stdout.decode().strip()))
    except (OSError, subprocess.SubprocessError):
        pass
    found.append(Path(env.get("HOME", str(Path.home()))) / ".pyenv")
    unique: List[Path] = []
    for root in found:
        try:  # a $PYENV_ROOT this user may not read (sudo kept it) is no pyenv root here
            usable = root.is_dir() and root.resolve() not in [u.resolve() for u in unique]
        except OSError:
            usable = False
        if usable:
            unique.append(root)
    return unique


def candidate_paths(
    explicit: Sequence[str] = (),
    environ: Optional[Dict[str, str]] = None,
    roots: Optional[Sequence[Path]] = None,
) -> List[Tuple[str, str]]:
    """(path, origin) pairs to inspect: explicit first, then pyenv versions, then PATH
    (``PLACES``).

    pyenv's ``shims`` folder is skipped: its ``python3.X`` shims fail outside a pyenv-managed
    shell; the real binaries are under ``versions/*/bin``.
    """
    env = os.environ if environ is None else environ
    # absolute: a case starts it from a folder of its own (python_path)
    pairs: List[Tuple[str, str]] = [(python_path(path), "explicit") for path in explicit]
    pairs += [(python_path(p), "explicit") for p in env.get(ENV_VAR, "").split(os.pathsep) if p]
    for root in pyenv_roots(env) if roots is None else roots:
        for path in sorted(glob.glob(str(root / "versions" / "*" / "bin" / "*"))):
            if _NAME.match(os.path.basename(path)):
                pairs.append((path, "pyenv"))
    for folder in env.get("PATH", "").split(os.pathsep):
        if not folder or os.path.basename(folder.rstrip("/\\")) == "shims":
            continue
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        pairs += [(os.path.join(folder, n), "PATH") for n in names if _NAME.match(n)]
    return pairs


def inspect_interpreter(path: str, origin: str = "explicit",
                        command: Sequence[str] = ()) -> "Interpreter | Rejected":
    """Ask one interpreter what it is (``ANSWER_S`` limit)."""
    argv = list(command) if command else [path]
    try:  # grep -I -c … reads stdin; a hanging wrapper's children die with it (owned)
        status, stdout, stderr = owned.ask(argv + ["-I", "-c", _QUERY], ANSWER_S,
                                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return Rejected(path, "did not answer within %d s" % ANSWER_S)
    except (OSError, subprocess.SubprocessError) as exc:
        return Rejected(path, "cannot run: %s" % exc)
    if status != 0 and _QUERY.partition(";")[0].encode() in stderr:
        # It took the code for a file name (ls: "cannot access 'import sys, …'"): not a
        # broken Python, and its message would only quote the probe's code back.
        return Rejected(path, "not a Python interpreter (it did not run Python code, exit %d)"
                        % status)
    if status != 0:
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return Rejected(path, "not a working Python 3 (exit %d: %s)" % (status,
                                                                           shorten(tail[0], 200)))
    try:
        info = json.loads(stdout.decode("utf-8"))
        version = tuple(int(v) for v in info["version"])
    except (ValueError, KeyError, TypeError):
        return Rejected(path, "did not answer like a Python interpreter")
    if version[:2] < MINIMUM:
        return Rejected(path, "Python %s is older than %d.%d" % (
            ".".join(map(str, version)), MINIMUM[0], MINIMUM[1]), version,
            str(info.get("implementation", "")))
    if info["implementation"] not in IMPLEMENTATIONS:
        return Rejected(path, "unsupported implementation %s" % info["implementation"],
                        version, str(info["implementation"]))
    real = os.path.realpath(info.get("executable") or path) if not command else path
    return Interpreter(path=path, real_path=real, implementation=info["implementation"],
                       version=(version[0], version[1], version[2]),
                       free_threading=bool(info["free_threading"]), origin=origin,
                       command=tuple(command), default_method=str(info.get("default_method") or ""))


def root_interpreters(
    root_dir: Optional[Path] = None,
) -> Tuple[List[Interpreter], List[Rejected]]:
    """The interpreters of the provisioned Debian root (``python -m harness provision``),
    CPython first, by version.

    Each is started through the root's wrapper (``Interpreter.command``), has origin
    ``root`` and a ``path`` like ``/root/.cache/.../sid-root:/usr/bin/python3.14``. No root
    (or no finished one): nothing found, nothing rejected.
    """
    from harness import chroot, provision

    root = provision.default_root_dir() if root_dir is None else root_dir
    marker = provision.read_marker(root)
    if marker is None:
        return [], []
    found: List[Interpreter] = []
    rejected: List[Rejected] = []
    for program in sorted(marker.get("interpreters") or {}):
        label = f"{root}:{program}"
        if hasattr(os, "geteuid") and os.geteuid() != 0:
            rejected.append(Rejected(label, "runs in a chroot with private mounts: needs root"))
            continue
        result = inspect_interpreter(label, "root", command=chroot.command(str(root), program))
        if isinstance(result, Rejected):
            rejected.append(result)
        else:
            found.append(result)
    found.sort(key=lambda i: (i.implementation != CPYTHON, i.version, i.free_threading))
    return found, rejected


def discover(
    explicit: Sequence[str] = (),
    environ: Optional[Dict[str, str]] = None,
    roots: Optional[Sequence[Path]] = None,
    extra: Iterable[Interpreter] = (),
) -> Tuple[List[Interpreter], List[Rejected]]:
    """Every usable interpreter (one per real path and per session name), plus the rejects.

    When two different binaries give the same session name (``3.12`` from pyenv and from
    PATH), the first found wins: explicit, then pyenv, then PATH; the other is listed among
    the rejects with the way to use it (its path), so that it is not silently gone.
    """
    found: List[Interpreter] = list(extra)
    rejected: List[Rejected] = []
    seen_real = {interp.real_path for interp in found}
    for path, origin in candidate_paths(explicit, environ, roots):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            if origin == "explicit":
                rejected.append(Rejected(path, "no executable file at this path"))
            continue
        real = os.path.realpath(path)
        if real in seen_real:
            continue
        seen_real.add(real)
        result = inspect_interpreter(path, origin)
        if isinstance(result, Rejected):
            rejected.append(result)
            continue
        if result.real_path in seen_real and result.real_path != real:
            continue
        seen_real.add(result.real_path)
        found.append(result)
    unique: Dict[str, Interpreter] = {}
    for interp in found:  # a root's interpreters never stand in for the host's (or v.v.)
        kept = unique.setdefault(
            interp.session_name + (" (root)" if interp.origin == "root" else ""), interp)
        if kept is not interp:
            rejected.append(Rejected(interp.path, "%s: the name %s goes to %s at %s, found first; "
                                     "name this path with --python to use it" % (
                                         _release(interp), interp.session_name,
                                         _release(kept), kept.path),
                                     interp.version, interp.implementation))
    ordered = sorted(unique.values(), key=lambda i: (i.implementation != CPYTHON,
                                                     i.version, i.free_threading))
    return ordered, rejected


def _release(interp: Interpreter) -> str:
    """``CPython 3.11.2``: what an interpreter is, to the patch release."""
    return "%s %s" % (IMPL_NAMES.get(interp.implementation, interp.implementation),
                      ".".join(map(str, interp.version)))


def main_table(interpreters: Sequence[Interpreter], rejected: Sequence[Rejected]) -> str:
    """The ``python -m harness interpreters`` table."""
    rows = [("session", "implementation", "version", "free-threading", "origin", "path")]
    for i in interpreters:
        rows.append((i.session_name, i.implementation, ".".join(map(str, i.version)),
                     "yes" if i.free_threading else "no", i.origin,
                     " ".join(i.command) if i.command else i.path))
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for rej in rejected:
        lines.append("rejected: %s (%s)" % (rej.path, rej.reason))
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - convenience
    interps, rejects = discover()
    sys.stdout.write(main_table(interps, rejects) + "\n")
