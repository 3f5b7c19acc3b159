"""Start the executor for one (case, method) in a fresh interpreter, enforce the hard timeout,
kill the whole process tree, and classify what happened into one closed outcome.

Runs in the pytest process (any interpreter ≥ 3.8); never imports the case into itself.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from harness import leftovers, psgroup, results, strays, waiting
from harness.capture import Capture, last_line
from harness.causes import CANNOT_START
from harness.guest import _procs
from harness.results import HANG_QUOTE, NO_RESULT, ROOT
from harness.text import shorten
from harness.vocab import Outcome

__all__ = [
    "CANNOT_START",
    "HARNESS_ERROR",
    "PROCESS_LIMIT",
    "CaseRun",
    "Cancelled",
    "allow_runs",
    "cancel_all",
    "cancelled",
    "case_environ",
    "kill_tree",
    "run_case",
    "signal_name",
]

EXECUTOR = Path(__file__).resolve().parent / "guest" / "executor.py"
SHEPHERD = Path(__file__).resolve().parent / "guest" / "_shepherd.py"
#: A cell the harness could not run: its error's type (the detail when no executor started is
#: ``causes.CANNOT_START``: the report reads the cell as not run, and why).
HARNESS_ERROR = "HarnessError"
#: Grace period after the hard timeout for the kill to take effect.
KILL_GRACE = 5.0


def _process_limit() -> int:
    try:
        return max(16, int(os.environ.get("HARNESS_PROCESS_LIMIT", "256")))
    except ValueError:
        return 256


#: Most processes one case may have at once (a pids cgroup where writable, else a watchdog).
PROCESS_LIMIT = _process_limit()
_MAX_TMPDIR = 48
_CANCEL = threading.Event()
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "SystemDrive", "TEMP", "TMP",
             "TMPDIR", "USERPROFILE", "COMSPEC", "PATHEXT", "WINDIR", "HARNESS_TIMEOUT_SCALE",
             "HARNESS_SHEPHERD_DEBUG",
             # platform.machine() on Windows before 3.12 (and PyPy) reads only these: without
             # them the probe records an empty arch.
             "PROCESSOR_ARCHITECTURE", "PROCESSOR_ARCHITEW6432")


@dataclasses.dataclass(frozen=True)
class CaseRun:
    """What one executor run produced, before any expectation is applied."""

    case: str
    method: str
    outcome: Outcome
    observed: Any = None
    error: Optional[Dict[str, Any]] = None
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


def kill_tree(proc: "subprocess.Popen[bytes]") -> None:
    """Kill ``proc``, its process group, its session and every descendant still alive."""
    if sys.platform == "win32":
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(proc.pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        proc.kill()
        return
    if not sys.platform.startswith("linux"):  # no /proc: ps lists the group, trackers last
        psgroup.kill_group(proc.pid)
        try:
            proc.kill()
        except OSError:
            pass
        return
    for _ in range(20):  # repeat: a fork loop may add processes between two passes
        table = _procs.proc_table()
        victims = set(_procs.descendants(proc.pid, table)) if table else set()
        victims.update(pid for pid, (_, sid, state) in table.items()
                       if sid == proc.pid and state != "Z" and pid != proc.pid)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.kill()
        except OSError:
            pass
        if not victims:
            break
        _procs.kill_pids(victims)


def cancelled() -> bool:
    """Whether ``cancel_all`` was called (and not undone)."""
    return _CANCEL.is_set()


def cancel_all() -> None:
    """Stop every running case now (Ctrl-C): their trees are killed, ``run_case`` raises."""
    _CANCEL.set()


def allow_runs() -> None:
    """Undo ``cancel_all`` (a new session in the same process)."""
    _CANCEL.clear()


class Cancelled(Exception):
    """``run_case`` was stopped by ``cancel_all`` (an interrupt), not by the case."""


def signal_name(number: int) -> str:
    """``SIGKILL``, or ``signal 64`` for a number the signal module does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return "signal %d" % number


def _classify(
    case_id: str, method: str, returncode: Optional[int], timed_out: bool,
    payload: Optional[Dict[str, Any]], wall: float, stdout: str, stderr: str,
    status: Optional[Dict[str, Any]] = None, limit: int = PROCESS_LIMIT, said: str = "",
    contained: bool = True,
) -> CaseRun:
    """The cell's outcome and detail; ``said``: the case's stderr up to its hard timeout;
    ``contained``: whether every process of a case that killed its shepherd was found dead."""
    shepherd_lost = status == {}
    status = status or {}
    base: Dict[str, Any] = {"case": case_id, "method": method, "wall_s": wall, "stdout": stdout,
            "stderr": stderr, "returncode": returncode}
    if status.get("cannot_start"):  # no executor ran: nothing of the case to classify
        return _harness_error(CANNOT_START, str(status["cannot_start"]), base)
    if status.get("limit_hit"):
        return CaseRun(outcome=Outcome.CRASH, detail="more than %d processes: the harness's "
                       "process limit was reached; process tree killed" % limit, **base)
    if timed_out:
        detail = NO_RESULT + "; process tree killed"
        if payload is not None:
            detail = "the case returned but the interpreter did not exit; process tree killed"
        last = last_line(said)
        if last:  # where the hang was, as far as the case's processes said
            detail += HANG_QUOTE + last
        return CaseRun(outcome=Outcome.TIMEOUT, detail=detail,
                       warnings=(payload or {}).get("warnings", []), **base)
    if payload is None:
        if shepherd_lost and returncode is not None and returncode < 0:
            detail = ("the harness's supervisor of the case was killed by %s (by the case?); %s"
                      % (signal_name(-returncode), "process tree killed" if contained else
                         "some of its processes may have survived the kill"))
        elif returncode is not None and returncode < 0:
            detail = "killed by %s" % signal_name(-returncode)
        else:
            detail = "exited with code %s without a result" % returncode
        return CaseRun(outcome=Outcome.CRASH, detail=detail, **base)
    try:
        outcome = Outcome(payload.get("outcome"))
    except ValueError:
        return _harness_error("executor wrote an unknown outcome", repr(payload), base)
    detail = str(payload.get("detail", ""))
    if status.get("leftovers"):
        note = "%d process(es) still running after the case ended were killed" % (
            status["leftovers"])
        commands = [str(c) for c in status.get("leftover_commands") or []]
        if commands:
            note += " (%s)" % "; ".join(commands)
        detail = "%s; %s" % (detail, note) if detail else note
    return CaseRun(
        outcome=outcome,
        observed=payload.get("observed"),
        error=payload.get("error"),
        detail=detail,
        warnings=list(payload.get("warnings", [])),
        duration_s=float(payload.get("duration_s", 0.0)),
        **base,
    )


def _harness_error(detail: str, message: str, base: Dict[str, Any]) -> CaseRun:
    """A cell the harness failed to run: an error of the harness's, never the case's outcome
    (the plugin fails the cell, and with it the run)."""
    return CaseRun(outcome=Outcome.ERROR, detail=detail, error={
        "type": HARNESS_ERROR, "message": shorten(message, 500), "where": "harness"}, **base)


def _read_json(path: Path) -> Optional[Dict[str, Any]]:
    """The object the case or its shepherd wrote, or None (none, or not a usable one)."""
    try:
        data = results.read_json(path)
    except results.BadFile:
        return None
    return data if isinstance(data, dict) else None


def run_case(
    case_id: str,
    method: str,
    timeout: float,
    interpreter: Sequence[str] = (sys.executable,),
    root: Path = ROOT,
    tmp_base: Optional[str] = None,
    process_limit: Optional[int] = None,
    program: Optional[Sequence[str]] = None,
    env: Optional[Dict[str, str]] = None,
    watch: Optional[waiting.Watch] = None,
    before_kill: Optional[Callable[[List[int]], None]] = None,
) -> CaseRun:
    """Run one case under one method in a fresh ``interpreter`` and classify the result.

    ``interpreter`` is a command prefix (e.g. ``["/usr/bin/python3.12"]`` or a chroot wrapper);
    the executor path, project root and temp dir must be visible to it at the same paths.
    ``root`` is the folder holding ``cases/`` and ``harness/`` (a fixture catalog in tests).
    ``program`` replaces the executor and its arguments (``python -m harness check`` runs the
    user's code this way); the result path is always appended as the last argument, and
    ``env`` replaces the allow-listed case environment.
    ``process_limit`` overrides ``PROCESS_LIMIT`` (processes the case may have at once).
    ``watch`` (Linux) looks at the running tree: the slot and priority rules of ``waiting``.
    ``before_kill`` (Linux) is given the live pids of a run past its time limit, before the kill.
    Raises ``Cancelled`` (after killing the tree) when ``cancel_all`` is called meanwhile.
    """
    if _CANCEL.is_set():
        raise Cancelled("interrupted before %s[%s] started" % (case_id, method))
    linux = sys.platform.startswith("linux")
    limit = process_limit or PROCESS_LIMIT
    if linux:
        leftovers.sweep_stale()
    prefix = "%s%d-" % (leftovers.TMP_PREFIX, os.getpid())
    workdir = Path(tempfile.mkdtemp(prefix=prefix, dir=tmp_base))
    group: Optional[_procs.PidsCgroup] = None
    try:
        result_path = workdir / "result.json"
        status_path = workdir / "status.json"
        (workdir / "cwd").mkdir()
        (workdir / "tmp").mkdir()
        tail = list(program) if program is not None else [str(EXECUTOR), str(root), case_id,
                                                          method]
        command = [*interpreter, "-I", *tail, str(result_path)]
        popen_kwargs: Dict[str, Any] = {}
        if sys.platform == "win32":
            popen_kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        else:
            popen_kwargs["start_new_session"] = True
        if linux:
            group = _procs.PidsCgroup.create("%d-%s" % (os.getpid(), workdir.name), limit)
            command = [_procs.shepherd_python(), "-I", "-S", str(SHEPHERD), str(os.getpid()),
                       str(status_path), str(limit), group.path if group else "-",
                       "--"] + command
        shm_before = leftovers.snapshot(workdir) if linux else set()
        private_tmp = str(workdir / "tmp")
        # Temp files of the case die with its folder; but an AF_UNIX socket path (forkserver)
        # must stay short (108 bytes on Linux, 104 on macOS): keep TMPDIR if ours is long.
        env = dict(case_environ() if env is None else env)
        if len(private_tmp) <= _MAX_TMPDIR:
            env["TMPDIR"] = private_tmp
        started = time.monotonic()
        timed_out, said = False, ""
        try:
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=str(workdir / "cwd"), env=env, **popen_kwargs,
            )
        except OSError as exc:  # no shepherd (Linux) to say it: the same harness error
            return _harness_error(CANNOT_START, "cannot run %s (from the case's own folder): "
                                  "%s" % (command[0], exc.strerror or exc),
                                  {"case": case_id, "method": method})
        captures = [Capture(proc.stdout), Capture(proc.stderr)]
        for capture in captures:
            capture.start()
        try:
            if watch is not None and linux:  # without a cgroup: the shepherd's descendants
                tree = group.members if group is not None else (
                    lambda: [proc.pid, *_procs.descendants(proc.pid)])
                state = waiting.wait_watched(proc, started + timeout, _CANCEL, watch, tree)
            else:
                state = _procs.wait_exit(proc, started + timeout, _CANCEL)
            timed_out = state == _procs.TIMED_OUT
            # What the case said before the kill: the kill itself makes resource trackers
            # warn about leaks, which must not read as where the case hung.
            said = captures[1].settled_text() if timed_out else ""
            if timed_out and linux and before_kill is not None:  # the shepherd is not the case
                before_kill([pid for pid in (group.members() if group is not None else
                                             _procs.descendants(proc.pid)) if pid != proc.pid])
        finally:
            _stop(proc, group)
            contained = True
            if linux and not status_path.exists():  # no report: the shepherd was killed
                contained = _contain(workdir, group)
            for capture in captures:
                capture.join(KILL_GRACE)
        wall = time.monotonic() - started
        if state == _procs.CANCELLED:
            raise Cancelled("interrupted while %s[%s] ran" % (case_id, method))
        status = (_read_json(status_path) or {}) if linux else None
        returncode = proc.returncode
        if status:
            returncode = status.get("returncode")
        payload = _read_json(result_path)
        run = _classify(case_id, method, returncode, timed_out, payload, wall,
                        captures[0].text(), captures[1].text(), status, limit, said,
                        contained)
        if linux and (timed_out or run.outcome == Outcome.CRASH or (status or {}).get("killed")):
            leftovers.sweep_shm(shm_before)
        return run
    finally:
        if group is not None:
            group.kill_all()
            group.remove()
        shutil.rmtree(workdir, ignore_errors=True)


def _contain(workdir: Path, group: Optional[_procs.PidsCgroup]) -> bool:
    """Kill what is left of a case whose shepherd was killed; True if none of it is alive.
    The cgroup holds every process of the case; without one, ``strays`` finds them."""
    if group is not None:
        group.kill_all()
        return not [pid for pid in group.members() if _procs.alive(pid)]
    return strays.kill_case(str(workdir), ended=time.time())  # it ends now: no pid reused yet


def _stop(proc: "subprocess.Popen[bytes]", group: Optional[_procs.PidsCgroup]) -> None:
    """Make sure nothing of the case survives: the shepherd's own clean-up first, then force."""
    if proc.poll() is None and sys.platform.startswith("linux") and SHEPHERD.name in " ".join(
            proc.args if isinstance(proc.args, list) else []):
        try:
            proc.send_signal(signal.SIGTERM)  # the shepherd kills the tree, trackers last
            proc.wait(timeout=KILL_GRACE)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if group is not None:
        group.kill_all()
    kill_tree(proc)
    try:
        proc.wait(timeout=KILL_GRACE)
    except subprocess.TimeoutExpired:
        pass
