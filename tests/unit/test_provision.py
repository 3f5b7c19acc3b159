"""Provisioning the Debian root: every skip reason (simulated), the lock, the cleanup of a failed,
hung or interrupted debootstrap, the safe removal of roots, upgrading a root in place. (The
chroot wrapper's plumbing: ``test_chroot.py``.)

The failure paths run a *fake* debootstrap (a small script) so they are fast and need no network.
Tests that mount or enter a mount namespace need root; they skip otherwise.
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from harness import chroot, cli, provision

ROOT = Path(__file__).resolve().parents[2]
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounts and namespaces need root")


class _Mirror(http.server.BaseHTTPRequestHandler):
    """A fake Debian mirror: 200 for dists/sid/Release, 404 for anything else."""

    def do_GET(self) -> None:
        if self.path.endswith("/dists/sid/Release"):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"Origin: Debian\n")
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def mirror() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Mirror)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/debian"
    server.shutdown()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed when this returns: connections are refused


def _fake_debootstrap(folder: Path, body: str) -> str:
    """An executable standing in for debootstrap; ``$4`` is the target (as for the real one)."""
    path = folder / "fake-debootstrap"
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return str(path)


def _drop(line: str) -> None:
    """Where a test that does not read them sends provision's lines."""


def _config(tmp_path: Path, **kwargs: object) -> provision.Config:
    values = {"root_dir": tmp_path / "cache" / "sid-root", "lock_wait_s": 2.0}
    values.update(kwargs)
    return provision.Config(**values)  # type: ignore[arg-type]


# ------------------------------------------------------------------ skips (one line, no crash)


def test_not_root_is_a_skip_before_anything_is_created(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provision, "_euid", lambda: 1000)
    cfg = _config(tmp_path)
    with pytest.raises(provision.Skip, match="not running as root"):
        provision.provision(cfg, out=_drop)
    assert not (tmp_path / "cache").exists()


def test_missing_debootstrap_says_how_to_install_it(tmp_path: Path) -> None:
    cfg = _config(tmp_path, debootstrap=str(tmp_path / "no-such-debootstrap"))
    with pytest.raises(provision.Skip, match=r"apt-get install debootstrap"):
        provision.preflight(cfg)


def test_short_disk_is_a_skip(tmp_path: Path) -> None:
    cfg = _config(tmp_path, debootstrap=sys.executable, min_free_bytes=1 << 62)
    with pytest.raises(provision.Skip, match=r"GiB free in .* needs"):
        provision.preflight(cfg)


def test_unreachable_mirror_is_a_skip(tmp_path: Path) -> None:
    mirror = f"http://127.0.0.1:{_closed_port()}/debian"
    cfg = _config(tmp_path, debootstrap=sys.executable, mirror=mirror, min_free_bytes=0)
    with pytest.raises(provision.Skip, match="cannot be reached"):
        provision.preflight(cfg)


def test_mirror_without_the_suite_is_a_skip(tmp_path: Path, mirror: str) -> None:
    cfg = _config(tmp_path, debootstrap=sys.executable, mirror=mirror, suite="nosuch",
                  min_free_bytes=0)
    with pytest.raises(provision.Skip, match="answered 404"):
        provision.preflight(cfg)


def test_reachable_mirror_passes_preflight(tmp_path: Path, mirror: str) -> None:
    cfg = _config(tmp_path, debootstrap=sys.executable, mirror=mirror, min_free_bytes=0)
    provision.preflight(cfg)  # no Skip


def test_cli_prints_one_line_and_exits_1_on_a_skip(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DEBOOTSTRAP", str(tmp_path / "missing"))
    monkeypatch.setattr(provision, "_euid", lambda: 0)
    code = cli.main(["provision", "--root-dir", str(tmp_path / "cache" / "sid-root")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("harness: provision skipped: debootstrap")
    assert "Traceback" not in err


# ------------------------------------------------------------------ the lock


def test_second_run_waits_for_the_lock_then_gives_up(tmp_path: Path) -> None:
    cfg = _config(tmp_path, lock_wait_s=0.6)
    said: List[str] = []
    with provision._locked(cfg, said.append):
        started = time.monotonic()
        with pytest.raises(provision.ProvisionError, match="gave up waiting"), \
                provision._locked(cfg, said.append):
            pass
        assert time.monotonic() - started >= 0.5
    assert any(f"pid {os.getpid()}" in line for line in said)


def test_lock_is_handed_over_when_the_first_run_ends(tmp_path: Path) -> None:
    cfg = _config(tmp_path, lock_wait_s=10.0)
    order: List[str] = []
    inside = threading.Event()

    def first() -> None:
        with provision._locked(cfg, order.append):
            order.append("first in")
            inside.set()
            time.sleep(0.5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    with provision._locked(cfg, order.append):
        order.append("second in")
    thread.join()
    assert order.index("first out") < order.index("second in")


# ------------------------------------------------------------------ a failing debootstrap


def _no_mounts_no_processes(path: Path, *markers: str) -> None:
    assert chroot.mounts_under(str(path)) == []
    procs = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    for marker in markers:
        assert marker not in procs


@needs_root
def test_failed_debootstrap_leaves_no_mount_and_no_unfinished_root(tmp_path: Path,
                                                                   mirror: str) -> None:
    # like a real debootstrap dying half way: it mounted proc inside the target first
    fake = _fake_debootstrap(tmp_path, """\
        mkdir -p "$4/proc" "$4/debootstrap"
        mount -t proc proc "$4/proc" || exit 3
        echo "I: Retrieving something"
        echo "E: simulated failure" >> "$4/debootstrap/debootstrap.log"
        exit 1
        """)
    cfg = _config(tmp_path, debootstrap=fake, mirror=mirror, min_free_bytes=0)
    said: List[str] = []
    with pytest.raises(provision.ProvisionError, match="exit code 1"):
        provision.provision(cfg, out=said.append)
    assert not cfg.sibling(".new").exists() and not cfg.root_dir.exists()
    assert "simulated failure" in cfg.sibling(".debootstrap.log").read_text()
    _no_mounts_no_processes(tmp_path, fake)
    assert any("Retrieving something" in line for line in said)  # progress is passed on


@needs_root
def test_hung_debootstrap_is_killed_at_the_timeout(tmp_path: Path, mirror: str) -> None:
    fake = _fake_debootstrap(tmp_path, """\
        mkdir -p "$4/proc" && mount -t proc proc "$4/proc"
        sleep 3171 & sleep 3172
        """)
    cfg = _config(tmp_path, debootstrap=fake, mirror=mirror, min_free_bytes=0, timeout_s=2.0)
    with pytest.raises(provision.ProvisionError, match="did not finish within 2 s"):
        provision.provision(cfg, out=_drop)
    assert not cfg.sibling(".new").exists()
    _no_mounts_no_processes(tmp_path, fake, "sleep 3171", "sleep 3172")


@needs_root
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_provisioning_cleans_up(tmp_path: Path, mirror: str, signum: int) -> None:
    ready = tmp_path / "started"
    fake = _fake_debootstrap(tmp_path, f"""\
        mkdir -p "$4/proc" && mount -t proc proc "$4/proc"
        touch {ready}
        sleep 3173
        """)
    env = dict(os.environ, HARNESS_DEBOOTSTRAP=fake, HARNESS_ROOT_MIRROR=mirror)
    root = tmp_path / "cache" / "sid-root"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "provision", "--root-dir",
                             str(root)], cwd=str(ROOT), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready.exists(), proc.communicate()
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert "interrupted" in err and "Traceback" not in err
    assert not root.with_name("sid-root.new").exists()
    _no_mounts_no_processes(tmp_path, fake, "sleep 3173")


# ------------------------------------------------------------------ safe removal


def test_remove_refuses_anything_outside_the_cache(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    (tmp_path / "precious").mkdir()
    with pytest.raises(provision.ProvisionError, match="not a root of this cache"):
        provision.remove_root(tmp_path / "precious", cfg.root_dir, _drop)
    assert (tmp_path / "precious").exists()


@needs_root
def test_a_bind_mount_inside_a_root_is_unmounted_before_removal(tmp_path: Path) -> None:
    """rm --one-file-system alone would not protect a same-device bind mount: the mount table
    check does. The bound folder's contents must survive."""
    cfg = _config(tmp_path)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("keep")
    target = cfg.sibling(".new") / "work"
    target.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(precious), str(target)], check=True)
    try:
        provision.remove_root(cfg.sibling(".new"), cfg.root_dir, _drop)
    finally:
        if chroot.mounts_under(str(target)):
            subprocess.run(["umount", str(target)], check=False)
    assert (precious / "keep.txt").read_text() == "keep"
    assert not cfg.sibling(".new").exists()


@needs_root
def test_a_root_whose_mount_cannot_be_released_is_never_deleted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _config(tmp_path)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("keep")
    target = cfg.root_dir / "proc"
    target.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(precious), str(target)], check=True)
    bin_dir = tmp_path / "bin"  # an `umount` that always fails
    bin_dir.mkdir()
    (bin_dir / "umount").write_text("#!/bin/sh\nexit 32\n")
    (bin_dir / "umount").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    try:
        with pytest.raises(provision.ProvisionError, match=r"refusing to delete .* still in use"):
            provision.remove_root(cfg.root_dir, cfg.root_dir, _drop)
        assert (precious / "keep.txt").read_text() == "keep"
        assert target.is_dir()
    finally:
        subprocess.run(["/bin/umount", str(target)], check=False)
    assert chroot.mounts_under(str(tmp_path)) == []


# ------------------------------------------------------------------ upgrading in place

_FAKE_ROOT_RUN = '''\
import json, os, sys
root, program, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
if program == "/usr/bin/env":  # the apt-get run: record it, then "install" (or fail)
    with open(os.path.join(root, "apt.log"), "a") as log:
        log.write(json.dumps(rest) + "\\n")
    if os.path.exists(os.path.join(root, "apt-fails")):
        sys.exit(100)
    for name in ("python3.13", "pypy3"):
        if name in rest[-1]:
            open(os.path.join(root, "usr", "bin", name), "w").close()
    print("Setting up " + rest[-1].split()[-4])
    sys.exit(0)
if not os.path.exists(os.path.join(root, program.lstrip("/"))):
    sys.exit(127)
json.dump({"version": "3.11.17" if "pypy" in program else program[-4:] + ".1",
           "methods": ["fork", "spawn", "forkserver"], "default": "fork",
           "executor_default": "fork"}, sys.stdout)
'''


def _old_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> provision.Config:
    """A finished root as provisioned before python3.13 and pypy3 were added; the programs
    inside it are run by a fake stand-in for the chroot wrapper (nothing runs as root)."""
    cfg = _config(tmp_path, debootstrap="no-such-debootstrap")
    bin_dir = cfg.root_dir / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("apt-get", "python3.14", "python3.15"):
        (bin_dir / name).touch()
    marker = {"suite": "sid", "variant": "minbase", "built": "2026-01-01T00:00:00+00:00",
              "packages": ["python3.14", "python3.15"],
              "interpreters": {"/usr/bin/python3.14": {}, "/usr/bin/python3.15": {}}}
    (cfg.root_dir / chroot.MARKER).write_text(json.dumps(marker))
    fake = tmp_path / "fake_root_run.py"
    fake.write_text(_FAKE_ROOT_RUN)
    monkeypatch.setattr(provision, "_euid", lambda: 0)
    monkeypatch.setattr(chroot, "command", lambda root, program, python="",
                        binds=None: [sys.executable, str(fake), root, program])
    return cfg


def test_the_root_brings_every_interpreter_debian_has() -> None:
    assert provision.Config.from_env({"HARNESS_ROOT_DIR": "/x/sid-root"}).interpreters == [
        "/usr/bin/python3.13", "/usr/bin/python3.14", "/usr/bin/python3.15", "/usr/bin/pypy3"]
    assert list(provision.SESSIONS) == ["3.13", "3.14", "3.15", "pypy3"]


def test_an_old_root_is_upgraded_in_place_not_rebuilt(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      mirror: str) -> None:
    """Only the missing packages are installed by apt-get inside the root (no debootstrap:
    this config has none), then every interpreter is verified and recorded."""
    cfg = dataclasses.replace(_old_root(tmp_path, monkeypatch), mirror=mirror)
    assert provision._missing(cfg) == ["python3.13", "pypy3"]
    said: List[str] = []
    result = provision.provision(cfg, out=said.append)
    assert result.status == "upgraded", said
    (apt,) = [json.loads(line) for line in (cfg.root_dir / "apt.log").read_text().splitlines()]
    assert apt[-1].startswith("apt-get update -q -o Acquire::Check-Valid-Until=false && ")
    assert apt[-1].endswith("--no-install-recommends python3.13 pypy3 && apt-get clean")
    marker = provision.read_marker(cfg.root_dir)
    assert marker is not None and sorted(marker["interpreters"]) == [
        "/usr/bin/pypy3", "/usr/bin/python3.13", "/usr/bin/python3.14", "/usr/bin/python3.15"]
    assert marker["built"] == "2026-01-01T00:00:00+00:00" and marker["upgraded"]
    assert provision._missing(cfg) == []
    again = provision.provision(cfg, out=said.append)  # nothing to do the second time
    assert again.status == "up-to-date"
    assert len((cfg.root_dir / "apt.log").read_text().splitlines()) == 1


def test_a_failed_upgrade_falls_back_to_a_rebuild(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  mirror: str) -> None:
    """apt-get failing inside the root: one line, then the full build (which here skips: no
    debootstrap) — the old root is left as it was."""
    cfg = dataclasses.replace(_old_root(tmp_path, monkeypatch), mirror=mirror)
    (cfg.root_dir / "apt-fails").touch()
    said: List[str] = []
    with pytest.raises(provision.Skip, match="debootstrap not found"):
        provision.provision(cfg, out=said.append)
    assert any("upgrading the root in place failed (apt-get in the root failed with exit "
               "code 100): rebuilding it" in line for line in said), said
    assert provision._missing(cfg) == ["python3.13", "pypy3"]


def test_an_upgrade_interrupted_while_writing_the_marker_leaves_the_old_marker_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mirror: str) -> None:
    """The marker is what discovery reads to find the root's interpreters: rewritten in place,
    an interrupt mid-write left half a file, ``read_marker`` None, and no root interpreter
    found, silently. Written to a temp file and renamed, the old marker stays until the new
    one is whole (the interrupt here lands after the new text is written, before the rename)."""
    cfg = dataclasses.replace(_old_root(tmp_path, monkeypatch), mirror=mirror)
    old = provision.read_marker(cfg.root_dir)

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        provision._upgrade(cfg, provision._missing(cfg), out=lambda line: None)
    assert old is not None and provision.read_marker(cfg.root_dir) == old
    assert not [p.name for p in cfg.root_dir.iterdir() if p.name.startswith(chroot.MARKER)
                and p.name != chroot.MARKER]
