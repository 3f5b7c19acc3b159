"""The chroot wrapper's plumbing: the mount table read back deepest first, the mount plan (the
project and the temporary folder bound at the same paths, nothing that escapes the root), the
command prefix, what the wrapper imports (it starts once per cell in a root) and its refusals.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from harness import chroot

ROOT = Path(__file__).resolve().parents[2]


def test_mountinfo_parsing_unescapes_and_orders_deepest_first(tmp_path: Path) -> None:
    info = tmp_path / "mountinfo"
    info.write_text(
        "22 1 0:5 / /r/a\\040b rw - tmpfs t rw\n"
        "23 22 0:6 / /r/a\\040b/proc rw - proc p rw\n"
        "24 1 0:7 / /rather rw - tmpfs t rw\n"
    )
    assert chroot.mounts_under("/r/a b", str(info)) == ["/r/a b/proc", "/r/a b"]
    assert chroot.mounts_under("/r", str(info)) == ["/r/a b/proc", "/r/a b"]  # not /rather


def test_mount_plan_binds_project_and_temp_at_the_same_paths(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "tmp").mkdir(parents=True)
    plan = chroot.mount_plan(str(root), ["/tmp", "/tmp/", "/"])
    targets = [target for _, target, _, _, _ in plan]
    assert targets[:3] == [str(root / "proc"), str(root / "dev"), str(root / "dev" / "shm")]
    sources = [source for source, _, _, _, _ in plan[3:]]
    tmp = os.path.realpath("/tmp")
    expected = [tmp] if str(ROOT).startswith(tmp + "/") else sorted({tmp, str(ROOT)}, key=len)
    assert sources == expected  # "/" never, a folder inside a bound one not twice
    for source, target, _, _, _ in plan[3:]:
        assert target == str(root) + source


def test_mount_plan_refuses_a_path_that_escapes_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "tmp").symlink_to(tmp_path)  # ROOT/tmp -> outside the root
    with pytest.raises(OSError, match="outside the root"):
        chroot.mount_plan(str(root), ["/tmp"])


def test_wrapper_command_prefix_shape(tmp_path: Path) -> None:
    cmd = chroot.command(str(tmp_path), "/usr/bin/python3.14", python="/py", binds=["/t"])
    assert cmd == ["/py", "-I", "-S", chroot.WRAPPER, str(tmp_path), "--bind", "/t", "--",
                   "/usr/bin/python3.14"]


def test_the_wrapper_imports_only_what_a_run_needs() -> None:
    """It starts once per cell in a root: tempfile (with shutil, random) and typing are
    host-side only (here its usage path; tests/integration/test_root.py runs it into a root)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-I", "-S", chroot.WRAPPER],
                          capture_output=True, text=True, timeout=30)
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "ctypes" in imported  # the measurement itself works
    assert not {"tempfile", "typing", "shutil", "random"} & imported


@pytest.mark.parametrize("argv", [[], ["root"], ["--", "x"], ["a", "b", "--", "x"],
                                  ["root", "--bind"], ["--ns-only", "root", "--", "x"]])
def test_wrapper_usage_errors_exit_2(argv: List[str]) -> None:
    proc = subprocess.run([sys.executable, chroot.WRAPPER, *argv], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2 and "usage error" in proc.stderr


def test_wrapper_refuses_a_folder_that_is_not_a_root(tmp_path: Path) -> None:
    proc = subprocess.run([*chroot.command(str(tmp_path), "/usr/bin/python3"), "-c", "1"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == chroot.EXIT_WRAPPER
    assert "not a provisioned root" in proc.stderr
