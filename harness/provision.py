"""``python -m harness provision``: create, upgrade or refresh the Debian unstable root that
holds the interpreters this machine does not have (CPython 3.13.18, 3.14, 3.15, PyPy 3.11), so
they get matrix columns here too.

The root is built by ``debootstrap --variant=minbase --include=<PACKAGES> sid`` into a cache
folder outside the repository (``HARNESS_ROOT_DIR``, default
``~/.cache/start-method-matrix/sid-root``). Runs are idempotent (a finished root is reused; a
root that lacks some of the packages gets them by ``apt-get install`` inside it, no rebuild),
serialised by a lock file next to the root, and every failure that is the machine's, not the
harness's (not root, no debootstrap, mirror unreachable, disk short) is a one-line skip.

Safety: debootstrap runs in a private mount namespace (its ``proc``/``sys`` mounts vanish with
it), a root is built in ``<name>.new`` and swapped in only when verified, and a root is only
ever deleted after its mount table and process table are empty, with
``rm -rf --one-file-system``. Host-side only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

from harness import chroot, results, root_exec, stopping
from harness.root_exec import Out, ProvisionError, ThisRun, release, remove_root

__all__ = [
    "Config",
    "ProvisionError",
    "Result",
    "Skip",
    "ThisRun",
    "default_root_dir",
    "preflight",
    "provision",
    "read_marker",
    "release",
    "remove",
    "remove_root",
]

SUITE = "sid"
MIRROR = "http://deb.debian.org/debian"
#: Debian's interpreter packages in the root, and the program each one brings. pypy3 is PyPy
#: 8.0.1 in sid (Python 3.11.17); python3.13 is 3.13.18, after the 3.13.8 fork server change
#: that the pyenv 3.13.0 of this machine predates.
PROGRAMS = {
    "python3.13": "/usr/bin/python3.13",
    "python3.14": "/usr/bin/python3.14",
    "python3.15": "/usr/bin/python3.15",
    "pypy3": "/usr/bin/pypy3",
}
PACKAGES = tuple(PROGRAMS)
#: ``nox -s matrix_root(<name>)`` -> the program it runs in the root.
SESSIONS = {name[len("python"):] if name.startswith("python") else name: program
            for name, program in PROGRAMS.items()}
#: apt-get options inside the root: the sid mirror's Release file carries a Valid-Until date
#: that a stale mirror lets pass (debootstrap does not check it either); no recommends, quiet.
_APT = ("-q", "-o", "Acquire::Check-Valid-Until=false")
VARIANT = "minbase"
#: Free space wanted before building: the root takes ~480 MB, the download ~150 MB more.
MIN_FREE_BYTES = 1 << 30
BUILD_TIMEOUT_S = 900.0
LOCK_WAIT_S = 1200.0
class Skip(Exception):
    """This machine cannot build the root; the message says why and what to do (one line)."""


@dataclasses.dataclass(frozen=True)
class Result:
    status: str  # "created", "refreshed", "upgraded", "up-to-date"
    message: str


def default_root_dir(environ: Optional[Mapping[str, str]] = None) -> Path:
    """``$HARNESS_ROOT_DIR``, else ``~/.cache/start-method-matrix/sid-root`` (XDG aware)."""
    env = os.environ if environ is None else environ
    if env.get("HARNESS_ROOT_DIR"):
        return Path(env["HARNESS_ROOT_DIR"]).expanduser().absolute()
    cache = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return (cache / "start-method-matrix" / "sid-root").absolute()


@dataclasses.dataclass(frozen=True)
class Config:
    """Where and how to build the root (every field can be changed for tests)."""

    root_dir: Path
    suite: str = SUITE
    mirror: str = MIRROR
    packages: Sequence[str] = PACKAGES
    debootstrap: str = "debootstrap"
    min_free_bytes: int = MIN_FREE_BYTES
    timeout_s: float = BUILD_TIMEOUT_S
    lock_wait_s: float = LOCK_WAIT_S

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, **overrides: Any) -> Config:
        env = os.environ if environ is None else environ
        values: Dict[str, Any] = {"root_dir": default_root_dir(env)}
        if env.get("HARNESS_ROOT_MIRROR"):
            values["mirror"] = env["HARNESS_ROOT_MIRROR"]
        if env.get("HARNESS_DEBOOTSTRAP"):
            values["debootstrap"] = env["HARNESS_DEBOOTSTRAP"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["root_dir"] = Path(values["root_dir"]).expanduser().absolute()
        return cls(**values)

    def sibling(self, suffix: str) -> Path:
        return self.root_dir.with_name(self.root_dir.name + suffix)

    @property
    def lock_path(self) -> Path:
        return self.sibling(".lock")

    @property
    def interpreters(self) -> List[str]:
        return [PROGRAMS.get(name, "/usr/bin/" + name) for name in self.packages
                if name in PROGRAMS or name.startswith(("python3.", "pypy3"))]


def _euid() -> int:
    return os.geteuid()


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def preflight(cfg: Config, build: bool = True, debootstrap: bool = True) -> None:
    """Raise :class:`Skip` when this machine cannot use (``build=False``) or build the root,
    cheapest check first; building also needs debootstrap (not for an in-place upgrade:
    ``debootstrap=False``), disk space and the mirror."""
    if not sys.platform.startswith("linux"):
        raise Skip(f"the Debian root needs Linux (this is {sys.platform})")
    if _euid() != 0:
        raise Skip(
            "not running as root (debootstrap, chroot and mount namespaces need it): "
            f"run `sudo {Path(sys.executable).name} -m harness provision`"
        )
    if not build:
        return
    if debootstrap and shutil.which(cfg.debootstrap) is None:
        raise Skip(
            f"debootstrap not found ({cfg.debootstrap}): install it with "
            "`apt-get install debootstrap`"
        )
    where = _existing_parent(cfg.root_dir.parent)
    free = shutil.disk_usage(str(where)).free
    if free < cfg.min_free_bytes:
        raise Skip(
            f"only {free / 2.0**30:.2f} GiB free in {where}, the root needs "
            f"{cfg.min_free_bytes / 2.0**30:.2f} GiB: free some space or set "
            "HARNESS_ROOT_DIR"
        )
    url = f"{cfg.mirror.rstrip('/')}/dists/{cfg.suite}/Release"
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310
            response.read(64)
    except urllib.error.HTTPError as exc:
        raise Skip(
            f"the Debian mirror answered {exc.code} for {url}: check HARNESS_ROOT_MIRROR"
        ) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Skip(
            f"the Debian mirror cannot be reached ({url}: {reason}): check the "
            "network or set HARNESS_ROOT_MIRROR"
        ) from None


def read_marker(root_dir: Path) -> Optional[Dict[str, Any]]:
    """The provisioning record of a finished root, or None."""
    try:
        data = results.read_json(root_dir / chroot.MARKER)
    except results.BadFile:
        return None
    return data if isinstance(data, dict) else None


@contextlib.contextmanager
def _locked(cfg: Config, out: Out) -> Iterator[None]:
    """Hold the provisioning lock (``<root>.lock``); wait for another run to finish."""
    import fcntl  # POSIX only: imported here so that Windows can import this module (nox -l)

    cfg.lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(cfg.lock_path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            out(f"another provisioning run (pid {holder}) holds {cfg.lock_path}: waiting for it")
            deadline = time.monotonic() + cfg.lock_wait_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise ProvisionError(
                            f"gave up waiting {cfg.lock_wait_s:.0f} s for {cfg.lock_path}"
                        ) from None
                    time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _run_debootstrap(cfg: Config, target: Path, out: Out) -> None:
    command = [
        sys.executable,
        "-I",
        "-S",
        chroot.WRAPPER,
        "--ns-only",
        "--",
        cfg.debootstrap,
        "--variant=" + VARIANT,
        "--include=" + ",".join(cfg.packages),
        cfg.suite,
        str(target),
        cfg.mirror,
    ]
    out("running " + " ".join(command[5:]))
    started = time.monotonic()
    code = root_exec.run_logged(command, "debootstrap", cfg.timeout_s, out,
                       env=dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8"))
    if code != 0:
        log = target / "debootstrap" / "debootstrap.log"
        hint = ""
        if log.exists():  # the unfinished root is deleted: keep its log next to it
            kept = cfg.sibling(".debootstrap.log")
            shutil.copyfile(str(log), str(kept))
            hint = f" (log: {kept})"
        raise ProvisionError(f"debootstrap failed with exit code {code}{hint}")
    out(f"debootstrap finished in {time.monotonic() - started:.0f} s")


def _build(cfg: Config, out: Out) -> Dict[str, Any]:
    staging = cfg.sibling(".new")
    if staging.exists():
        remove_root(staging, cfg.root_dir, out, kill=True)
    try:
        _run_debootstrap(cfg, staging, out)
        found = root_exec.verify(cfg.interpreters, staging, out)
        marker = {
            "suite": cfg.suite,
            "variant": VARIANT,
            "mirror": cfg.mirror,
            "packages": list(cfg.packages),
            "interpreters": found,
            "built": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        results.atomic_write_json(staging / chroot.MARKER, marker)
    except BaseException:
        out(f"cleaning up the unfinished root {staging}")
        remove_root(staging, cfg.root_dir, out, kill=True)
        raise
    retired = cfg.sibling(".old")
    if retired.exists():
        try:
            remove_root(retired, cfg.root_dir, out)
        except ProvisionError:
            remove_root(staging, cfg.root_dir, out, kill=True)
            raise
    if cfg.root_dir.exists():
        cfg.root_dir.rename(retired)
    staging.rename(cfg.root_dir)
    if retired.exists():
        try:
            remove_root(retired, cfg.root_dir, out)
        except ProvisionError as exc:
            out(f"left the previous root in place: {exc}")
    return marker


def _ready(cfg: Config) -> Optional[Dict[str, Any]]:
    marker = read_marker(cfg.root_dir)
    if marker is None or marker.get("suite") != cfg.suite:
        return None
    if not set(cfg.interpreters) <= set(marker.get("interpreters") or {}):
        return None
    if not all((cfg.root_dir / p.lstrip("/")).exists() for p in cfg.interpreters):
        return None
    return marker


def _missing(cfg: Config) -> List[str]:
    """The packages a finished root of this suite lacks (all of them: no usable root)."""
    marker = read_marker(cfg.root_dir)
    if marker is None or marker.get("suite") != cfg.suite or not (
            cfg.root_dir / "usr" / "bin" / "apt-get").exists():
        return list(cfg.packages)
    have = marker.get("interpreters") or {}
    return [name for name in cfg.packages
            if PROGRAMS.get(name) not in have
            or not (cfg.root_dir / PROGRAMS.get(name, "/").lstrip("/")).exists()]


def _upgrade(cfg: Config, missing: Sequence[str], out: Out) -> Dict[str, Any]:
    """Install ``missing`` packages into the existing root with its own apt-get (in a private
    mount namespace, like every run), verify every interpreter, rewrite the marker."""
    script = "apt-get update {0} && apt-get install -y {0} --no-install-recommends {1} && " \
             "apt-get clean".format(" ".join(_APT), " ".join(missing))
    command = [*chroot.command(str(cfg.root_dir), "/usr/bin/env", binds=()),
               "DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
               "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "sh", "-c", script]
    out("installing {} into {} (apt-get inside the root)".format(", ".join(missing),
                                                                 cfg.root_dir))
    started = time.monotonic()
    code = root_exec.run_logged(command, "apt-get", cfg.timeout_s, out, cwd="/")
    if code != 0:
        raise ProvisionError(f"apt-get in the root failed with exit code {code}")
    found = root_exec.verify(cfg.interpreters, cfg.root_dir, out)
    marker = dict(read_marker(cfg.root_dir) or {})
    marker.update({"packages": list(cfg.packages), "interpreters": found,
                   "upgraded": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    results.atomic_write_json(cfg.root_dir / chroot.MARKER, marker)  # never half a marker
    out(f"apt-get finished in {time.monotonic() - started:.0f} s")
    return marker


def provision(cfg: Config, refresh: bool = False, out: Out = print) -> Result:
    """Create the root, or reuse a finished one (``refresh`` rebuilds it). Raises
    :class:`Skip` when this machine cannot, :class:`ProvisionError` when building failed,
    KeyboardInterrupt on Ctrl-C/SIGTERM/SIGHUP — always after releasing what it started; a
    later signal waits for that (``stopping``: the same handlers as every command, which
    ``nox -s provision`` does not go through)."""
    preflight(cfg, build=False)
    previous: Dict[int, Any] = {}
    try:
        previous = stopping.install()  # inside: a signal right after it still restores
        with _locked(cfg, out):
            marker = _ready(cfg)
            if marker is not None and not refresh:
                try:
                    root_exec.verify(cfg.interpreters, cfg.root_dir, out)
                except ProvisionError as exc:
                    out(f"the existing root does not work ({exc}): rebuilding it")
                else:
                    return Result(
                        "up-to-date",
                        "{} is ready (built {})".format(cfg.root_dir, marker.get("built")),
                    )
            missing = _missing(cfg)
            if not refresh and missing and len(missing) < len(cfg.packages):
                preflight(cfg, build=True, debootstrap=False)
                try:
                    marker = _upgrade(cfg, missing, out)
                except ProvisionError as exc:
                    out(f"upgrading the root in place failed ({exc}): rebuilding it")
                else:
                    return Result("upgraded", "{} is ready (built {}, upgraded {})".format(
                        cfg.root_dir, marker.get("built"), marker["upgraded"]))
            preflight(cfg, build=True)
            out(f"building the Debian {cfg.suite} root in {cfg.root_dir} (about 30 s and 480 MB)")
            existed = cfg.root_dir.exists()
            marker = _build(cfg, out)
            return Result(
                "refreshed" if existed else "created",
                "{} is ready (built {})".format(cfg.root_dir, marker["built"]),
            )
    finally:
        stopping.restore(previous)


def remove(cfg: Config, out: Out = print) -> None:
    """Delete the root and any unfinished sibling, under the lock, never while in use."""
    if _euid() != 0:
        raise Skip("not running as root: the root's files belong to root")
    with _locked(cfg, out):
        for path in (cfg.sibling(".new"), cfg.sibling(".old"), cfg.root_dir):
            remove_root(path, cfg.root_dir, out)
