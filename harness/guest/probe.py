"""Describe the interpreter it runs in: OS, implementation, version, start methods, defaults, CI.

Run as ``python -I probe.py`` in a fresh interpreter under test; prints one JSON object.
Small best-effort collectors: a fact that cannot be read is ``None``, never an exception.
Standard library only, Python 3.8 syntax.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import sysconfig
from datetime import datetime, timezone
from typing import Any, Dict, Optional

if __name__ == "__main__":  # run as a script: the project root goes on sys.path first
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from harness.guest.words import COMMIT_ID, LINUX, MACOS, WINDOWS

__all__ = ["collect", "git_commit", "os_name"]

COMMIT = re.compile(COMMIT_ID)  # fullmatch: "$" would let a final newline through


def os_name(platform_name: str) -> str:
    """``sys.platform`` → the OS word used in environment ids."""
    if platform_name.startswith("linux"):
        return LINUX
    if platform_name == "darwin":
        return MACOS
    if platform_name in ("win32", "cygwin"):
        return WINDOWS
    return platform_name


def collect_python() -> Dict[str, Any]:
    gil_enabled = getattr(sys, "_is_gil_enabled", None)
    version = ".".join(str(part) for part in sys.version_info[:3])
    if sys.version_info.releaselevel != "final":
        version += sys.version_info.releaselevel[0] + str(sys.version_info.serial)
    return {
        "implementation": sys.implementation.name,
        "python_version": version,
        "python_full_version": sys.version,
        "executable": sys.executable,
        "free_threading": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": gil_enabled() if gil_enabled is not None else True,
    }


def collect_platform() -> Dict[str, Any]:
    return {
        "os": os_name(sys.platform),
        "sys_platform": sys.platform,
        "os_release": platform.release(),
        "platform": platform.platform(),
        "arch": platform.machine(),
        "os_release_file": _os_release(),
    }


def _os_release() -> object:
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            pairs = (line.rstrip("\n").split("=", 1) for line in handle if "=" in line)
            return {key: value.strip('"') for key, value in pairs}
    except OSError:
        return None


def collect_multiprocessing() -> Dict[str, Any]:
    import multiprocessing

    info: Dict[str, Any] = {
        "start_method_before_use": multiprocessing.get_start_method(allow_none=True),
        "available_methods": multiprocessing.get_all_start_methods(),
        "cpu_count": os.cpu_count(),
    }
    info["default_method"] = multiprocessing.get_context().get_start_method()
    try:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(max_workers=1)
        context = getattr(executor, "_mp_context", None)
        info["executor_default_method"] = context.get_start_method() if context else None
        executor.shutdown(wait=True)
    except Exception:  # noqa: BLE001 - best effort
        info["executor_default_method"] = None
    return info


#: The CI run's identity (result key, environment variable). The plugin passes these, and
#: ``CI``, through its allow-listed environment, or a CI run would record none of them.
CI_VARIABLES = (
    ("github_run_id", "GITHUB_RUN_ID"),
    ("github_run_attempt", "GITHUB_RUN_ATTEMPT"),
    ("github_repository", "GITHUB_REPOSITORY"),
    ("github_sha", "GITHUB_SHA"),
    ("github_job", "GITHUB_JOB"),
    ("runner_os", "RUNNER_OS"),
    ("runner_arch", "RUNNER_ARCH"),
    ("image_os", "ImageOS"),
    ("image_version", "ImageVersion"),
)


def collect_run() -> Dict[str, Any]:
    env = os.environ
    ci = {key: env.get(name) for key, name in CI_VARIABLES if env.get(name)}
    given = env.get("HARNESS_GIT_COMMIT", "")
    return {
        "ci": ci or None,
        "is_ci": bool(env.get("CI")),
        "git_commit": given if COMMIT.fullmatch(given) else git_commit(),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "root": env.get("HARNESS_ROOT_NAME") or None,
        "host_kernel": env.get("HARNESS_HOST_KERNEL") or platform.release(),
    }


def git_commit() -> Optional[str]:
    """This checkout's HEAD commit, or None (no git, not a checkout, or not a commit id)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run(
            ["git", "-C", here, "rev-parse", "HEAD"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=5, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.decode("ascii", "replace").strip()
    return commit if COMMIT.fullmatch(commit) else None


def collect() -> Dict[str, Any]:
    info: Dict[str, Any] = {}
    for collector in (collect_python, collect_platform, collect_multiprocessing, collect_run):
        try:
            info.update(collector())
        except Exception as exc:  # noqa: BLE001 - a missing fact must not stop the probe
            info.setdefault("probe_errors", []).append("%s: %r" % (collector.__name__, exc))
    return info


if __name__ == "__main__":
    from harness import __version__

    data = collect()
    data["harness_version"] = __version__
    json.dump(data, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
