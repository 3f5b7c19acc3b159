"""Start the executor for one (case, method) in a fresh interpreter, enforce the hard timeout,
kill the whole process tree, and classify what happened into one closed outcome.

Runs in the pytest process (any interpreter ≥ 3.8); never imports the case into itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from harness.vocab import Outcome

__all__ = ["OUTPUT_LIMIT", "CaseRun", "kill_tree", "run_case"]

ROOT = Path(__file__).resolve().parent.parent
EXECUTOR = Path(__file__).resolve().parent / "executor.py"
#: How much of a case's stdout/stderr is kept (head and tail) in the result.
OUTPUT_LIMIT = 4000
#: Grace period after the hard timeout for the kill to take effect.
KILL_GRACE = 5.0
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "SystemDrive", "TEMP", "TMP",
             "TMPDIR", "USERPROFILE", "COMSPEC", "PATHEXT", "WINDIR", "HARNESS_TIMEOUT_SCALE")


@dataclasses.dataclass(frozen=True)
class CaseRun:
    """What one executor run produced, before any expectation is applied."""

    case: str
    method: str
    outcome: Outcome
    observed: Any = None
    error: Optional[Dict[str, str]] = None
    detail: str = ""
    warnings: List[Dict[str, str]] = dataclasses.field(default_factory=list)
    duration_s: float = 0.0
    wall_s: float = 0.0
    stdout: str = ""
    stderr: str = ""
    returncode: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        data = dataclasses.asdict(self)
        data["outcome"] = self.outcome.value
        return data


def case_environ(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """An allow-listed environment, the same for every case run."""
    env = {key: os.environ[key] for key in _ENV_KEEP if key in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    env["PYTHONHASHSEED"] = "0"
    if extra:
        env.update(extra)
    return env


def _read_limited(path: Path) -> str:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            if size <= OUTPUT_LIMIT:
                data = handle.read()
                return data.decode("utf-8", "replace")
            head = handle.read(OUTPUT_LIMIT // 2)
            handle.seek(size - OUTPUT_LIMIT // 2)
            tail = handle.read()
    except OSError:
        return ""
    marker = "\n[... %d bytes cut by the harness ...]\n" % (size - len(head) - len(tail))
    return head.decode("utf-8", "replace") + marker + tail.decode("utf-8", "replace")


def _descendants(pid: int) -> List[int]:
    """Every descendant of ``pid`` found in /proc (Linux); empty elsewhere."""
    children: Dict[int, List[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as handle:
                stat = handle.read().decode("ascii", "replace")
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found: List[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: "subprocess.Popen[bytes]") -> None:
    """Kill the executor, its process group and every descendant still alive."""
    if sys.platform == "win32":
        subprocess.run(  # noqa: S603, S607 - fixed arguments
            ["taskkill", "/F", "/T", "/PID", str(proc.pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        proc.kill()
        return
    victims = _descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        proc.kill()
    except OSError:
        pass


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "signal %d" % number


def _classify(
    case_id: str, method: str, returncode: Optional[int], timed_out: bool,
    payload: Optional[Dict[str, Any]], wall: float, stdout: str, stderr: str,
) -> CaseRun:
    base = {"case": case_id, "method": method, "wall_s": wall, "stdout": stdout,
            "stderr": stderr, "returncode": returncode}
    if timed_out:
        detail = "no result within the hard timeout; process tree killed"
        if payload is not None:
            detail = "the case returned but the interpreter did not exit; process tree killed"
        return CaseRun(outcome=Outcome.TIMEOUT, detail=detail,
                       warnings=(payload or {}).get("warnings", []), **base)
    if payload is None:
        if returncode is not None and returncode < 0:
            detail = "killed by %s" % _signal_name(-returncode)
        else:
            detail = "exited with code %s without a result" % returncode
        return CaseRun(outcome=Outcome.CRASH, detail=detail, **base)
    try:
        outcome = Outcome(payload.get("outcome"))
    except ValueError:
        return CaseRun(outcome=Outcome.ERROR, detail="executor wrote an unknown outcome",
                       error={"type": "HarnessError", "message": repr(payload)[:500],
                              "where": "harness"}, **base)
    return CaseRun(
        outcome=outcome,
        observed=payload.get("observed"),
        error=payload.get("error"),
        detail=str(payload.get("detail", "")),
        warnings=list(payload.get("warnings", [])),
        duration_s=float(payload.get("duration_s", 0.0)),
        **base,
    )


def run_case(
    case_id: str,
    method: str,
    timeout: float,
    interpreter: Sequence[str] = (sys.executable,),
    root: Path = ROOT,
    tmp_base: Optional[str] = None,
    program: Optional[Sequence[str]] = None,
    env: Optional[Dict[str, str]] = None,
) -> CaseRun:
    """Run one case under one method in a fresh ``interpreter`` and classify the result.

    ``interpreter`` is a command prefix (e.g. ``["/usr/bin/python3.12"]`` or a chroot wrapper);
    the executor path, project root and temp dir must be visible to it at the same paths.
    ``program`` replaces the executor and its arguments (``python -m harness check`` runs the
    user's code this way); the result path is always appended as the last argument, and
    ``env`` replaces the allow-listed case environment.
    """
    workdir = Path(tempfile.mkdtemp(prefix="smm-case-", dir=tmp_base))
    result_path = workdir / "result.json"
    casedir = workdir / "cwd"
    casedir.mkdir()
    tail = list(program) if program is not None else [str(EXECUTOR), str(root), case_id, method]
    command = list(interpreter) + ["-I", *tail, str(result_path)]
    popen_kwargs: Dict[str, Any] = {}
    if sys.platform == "win32":
        popen_kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        popen_kwargs["start_new_session"] = True
    started = time.monotonic()
    timed_out = False
    try:
        with open(workdir / "stdout", "wb") as out, open(workdir / "stderr", "wb") as err:
            proc = subprocess.Popen(  # noqa: S603 - explicit argument list, no shell
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                cwd=str(casedir), env=case_environ() if env is None else env,
                **popen_kwargs,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            except BaseException:
                kill_tree(proc)
                proc.wait()
                raise
            finally:
                kill_tree(proc)  # reap leftovers (forkservers, trackers, grandchildren)
                proc.wait(timeout=KILL_GRACE)
        wall = time.monotonic() - started
        payload: Optional[Dict[str, Any]] = None
        if result_path.exists():
            try:
                payload = json.loads(result_path.read_text(encoding="utf-8"))
            except ValueError:
                payload = None
        return _classify(case_id, method, proc.returncode, timed_out, payload, wall,
                         _read_limited(workdir / "stdout"), _read_limited(workdir / "stderr"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
