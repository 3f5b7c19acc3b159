"""Run a program inside a provisioned root, with every mount private to that one run.

Usage (the command prefix of an interpreter that lives in a root)::

    python -I -S harness/chroot.py ROOT [--bind PATH]... -- /usr/bin/python3.14 ARGS...
    python -I -S harness/chroot.py --ns-only -- PROGRAM ARGS...

The wrapper enters a new *mount namespace* (``unshare(CLONE_NEWNS)``, propagation private),
mounts ``proc`` on ``ROOT/proc``, binds ``/dev`` on ``ROOT/dev``, puts a fresh tmpfs on
``ROOT/dev/shm`` (multiprocessing's semaphores live there), binds the project and the temp
folder at the same paths inside the root, then ``chroot``s, returns to the caller's working
directory and ``exec``s the program. The program keeps the wrapper's process id, so exit codes,
signals, sessions and the runner's process-tree kill behave exactly as for a host interpreter.

No mount is ever visible on the host: they belong to the namespace, which the kernel tears down
when its last process exits — on every exit path (normal exit, error, Ctrl-C, the runner's
SIGKILL on timeout). ``--ns-only`` only enters the private namespace (used around debootstrap,
which mounts ``proc``/``sys`` inside its target). It also exports ``HARNESS_ROOT_NAME`` and
``HARNESS_HOST_KERNEL`` so the probe records where the interpreter ran.

Also the host-side checks used after a run: :func:`mounts_under` and :func:`processes_in_root`.
Standard library only, Python 3.8 syntax (it is the first program of every run in a root).
It starts once per cell, so ``tempfile`` (with ``shutil`` and ``random``) is imported only where
the host side uses it and annotations are never evaluated (``typing`` alone cost ~3 ms a
start); ``json`` (and with it ``re``) stays, for the root's name the probe records.
"""

from __future__ import annotations

import ctypes
import os
import sys

TYPE_CHECKING = False  # run as a script: no package to import it from, and typing is not free
if TYPE_CHECKING:
    from typing import Sequence

__all__ = [
    "MARKER",
    "command",
    "mount_plan",
    "mounts_under",
    "processes_in_root",
    "root_name",
]

#: The provisioning record written at the top of a finished root (see harness/provision.py).
MARKER = ".start-method-matrix.json"
PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRAPPER = os.path.abspath(__file__)
EXIT_WRAPPER = 125  # like chroot(1) and env(1): the wrapper itself failed

_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18


def command(
    root: str, program: str, python: str = "", binds: Sequence[str] | None = None
) -> list[str]:
    """The command prefix that runs ``program`` (a path inside the root) in ``root``.

    ``binds`` default to this process's temp folder, where the runner makes each case's
    working folder (the case itself gets a private ``TMPDIR`` below it).
    """
    import tempfile

    prefix = [python or sys.executable, "-I", "-S", WRAPPER, os.path.abspath(root)]
    for path in (tempfile.gettempdir(),) if binds is None else binds:
        prefix += ["--bind", path]
    return [*prefix, "--", program]


def root_name(root: str) -> str:
    """What the probe records as ``root``: the suite and how the root was built."""
    import json

    try:
        with open(os.path.join(root, MARKER), encoding="utf-8") as handle:
            info = json.load(handle)
        return "debootstrap {} {} root {} (built {})".format(
            info.get("suite"), info.get("variant"), os.path.basename(root), info.get("built")
        )
    except (OSError, ValueError, AttributeError, RecursionError):
        # Not results.read_json: this script runs with -I -S, before any package is importable.
        return f"root {os.path.basename(root)}"


def _inside(root: str, path: str) -> str:
    """``path`` as a path under ``root``; refuse anything that resolves outside it."""
    target = os.path.join(root, path.lstrip("/"))
    real_root = os.path.realpath(root)
    real = os.path.realpath(target)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise OSError(f"{target} resolves outside the root ({real})")
    return real


def mount_plan(root: str, binds: Sequence[str] = ()) -> list[tuple[str, str, str, int, str]]:
    """(source, target, fstype, flags, data) for one run, in mount order.

    The project and each of ``binds`` (the runner's temp folder) are bound at the same paths
    inside the root: the runner passes the executor, the project root, the result file and the
    working folder as host paths.
    """
    plan = [
        ("proc", _inside(root, "/proc"), "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, ""),
        ("/dev", _inside(root, "/dev"), "", _MS_BIND | _MS_REC, ""),
        (
            "tmpfs",
            _inside(root, "/dev/shm"),
            "tmpfs",
            _MS_NOSUID | _MS_NODEV,
            "mode=1777",
        ),
    ]
    wanted: list[str] = []
    for path in (PROJECT, *binds):
        real = os.path.realpath(path)
        if os.path.isdir(real) and real != "/" and real not in wanted:
            wanted.append(real)
    wanted.sort(key=len)
    kept: list[str] = []  # drop a folder already inside another bound folder
    for path in wanted:
        if not any(path.startswith(k + os.sep) for k in kept):
            kept.append(path)
    for path in kept:
        plan.append((path, _inside(root, path), "", _MS_BIND | _MS_REC, ""))
    return plan


def _libc() -> "ctypes.CDLL":
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _private_namespace(libc: "ctypes.CDLL") -> None:
    _check(libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS) (needs root)")
    _check(
        libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None),
        "making / private in the new mount namespace",
    )


def _enter(root: str, binds: Sequence[str]) -> None:
    if not os.path.isdir(os.path.join(root, "usr", "bin")):
        raise OSError(
            f"{root} is not a provisioned root (no usr/bin): run `python -m harness provision`"
        )
    cwd = os.getcwd()
    libc = _libc()
    plan = mount_plan(root, binds)
    _private_namespace(libc)
    for source, target, fstype, flags, data in plan:
        if not os.path.isdir(target):
            os.makedirs(target)
        _check(
            libc.mount(
                source.encode(),
                target.encode(),
                fstype.encode() if fstype else None,
                flags,
                data.encode() if data else None,
            ),
            f"mount {source} on {target}",
        )
    os.environ.setdefault("HARNESS_ROOT_NAME", root_name(root))
    os.environ.setdefault("HARNESS_HOST_KERNEL", os.uname().release)
    os.chroot(root)
    os.chdir(cwd if os.path.isdir(cwd) else "/")


def _parse(argv: list[str]) -> tuple[str | None, tuple[str, ...], list[str]]:
    if "--" not in argv:
        raise ValueError("missing -- before the program")
    split = argv.index("--")
    options, program = argv[:split], argv[split + 1 :]
    if not program:
        raise ValueError("no program after --")
    ns_only = "--ns-only" in options
    options = [o for o in options if o != "--ns-only"]
    binds: list[str] = []
    while "--bind" in options:
        at = options.index("--bind")
        if at + 1 >= len(options):
            raise ValueError("--bind needs a path")
        binds.append(options[at + 1])
        del options[at : at + 2]
    if ns_only and options:
        raise ValueError("--ns-only takes no root")
    if not ns_only and len(options) != 1:
        raise ValueError("expected exactly one ROOT")
    return (None if ns_only else os.path.abspath(options[0])), tuple(binds), program


def main(argv: list[str]) -> int:
    try:
        root, binds, program = _parse(argv[1:])
    except ValueError as exc:
        sys.stderr.write(
            f"harness-root: usage error: {exc}\nusage: chroot.py ROOT [--bind PATH]"
            "... -- PROGRAM ARGS... | chroot.py --ns-only -- PROGRAM ARGS...\n"
        )
        return 2
    try:
        if root is None:
            _private_namespace(_libc())
        else:
            _enter(root, binds)
        os.execvp(program[0], program)  # noqa: S606 - the point of the wrapper
    except OSError as exc:
        sys.stderr.write(f"harness-root: error: {exc}\n")
    return EXIT_WRAPPER


def _unescape(field: str) -> str:
    """/proc/self/mountinfo escapes space, tab, newline and backslash as octal (``\\040``)."""
    import re

    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mounts_under(path: str, mountinfo: str = "/proc/self/mountinfo") -> list[str]:
    """Mount points at or below ``path`` in this process's mount table, deepest first."""
    real = os.path.realpath(path)
    found: list[str] = []
    try:
        with open(mountinfo, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) < 5:
                    continue
                point = _unescape(fields[4])
                if point == real or point.startswith(real.rstrip("/") + "/"):
                    found.append(point)
    except OSError:
        return []
    return sorted(set(found), key=lambda p: (-p.count("/"), p))


def processes_in_root(path: str, proc: str = "/proc") -> list[int]:
    """Process ids whose root directory is ``path`` (or anything under it)."""
    try:
        wanted = os.stat(path)
    except OSError:
        return []
    real = os.path.realpath(path)
    found: list[int] = []
    for entry in os.listdir(proc):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        link = os.path.join(proc, entry, "root")
        try:
            seen = os.stat(link)
            target = os.readlink(link)
        except OSError:
            continue  # gone, or not ours to see
        same = (seen.st_dev, seen.st_ino) == (wanted.st_dev, wanted.st_ino)
        if same or target == real or target.startswith(real.rstrip("/") + "/"):
            found.append(int(entry))
    return sorted(found)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
