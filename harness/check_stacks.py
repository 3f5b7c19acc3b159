"""Where each process of a hung ``check`` run waited at the kill, read on the host: the Python
stack each armed process wrote when asked (``guest.check_stack``), in the user's terms.

At the time limit, before the kill, ``ask`` sends the signal only to the processes that armed
in this run, are still this process (same start time) and still catch it (``SigCgt``) with
check's handler: the default action of a real-time signal ends a process, and one that never
armed, or exec'd since, must end of the kill, as without check. The others are stopped first,
and each asked one stops itself once it wrote its stack: none of the program runs on.
"""

from __future__ import annotations

import dataclasses
import linecache
import os
import signal
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness import results
from harness.check_where import FRAME_RE, STDLIB_RE, cells_text, frame_text, is_users
from harness.guest import _procs
from harness.guest._files import write_json
from harness.guest.check_stack import ARMED, ASKING, STACK, THREAD
from harness.guest.check_targets import PYTEST
from harness.guest.words import START_METHODS
from harness.runner import CaseRun
from harness.vocab import Outcome

__all__ = ["ASKED", "BLOCKED", "NO_SIGNAL", "OWN", "REPLACED", "UNWATCHED", "ask",
           "format_stacks", "process_lines", "read", "with_stacks"]

#: What ``ask`` noted in the hang folder: the pids it asked and the other live processes.
ASKED = "stack-asked.json"
#: How long the asked processes get to write their stacks before the kill.
WAIT_S = 1.0
#: Why a process has no stack.
BLOCKED = "no stack: blocked in code signals do not interrupt (C code), or it did not answer " \
          "within %g s" % WAIT_S
UNWATCHED = "no stack: not a process check watches (not a Process target of yours, or not " \
            "at it yet)"
REPLACED = "no stack: it no longer handles the signal check asks with (exec'd, or its own handler)"
OWN = "no stack: it set its own handler for the signal check asks with (SIGRTMIN+5)"
NO_SIGNAL = "no stack: no real-time signals on this platform"
#: multiprocessing's own helpers: no user code waits there.
_HELPERS = (b"multiprocessing.resource_tracker", b"multiprocessing.forkserver")
_BOOTSTRAP = os.path.join("multiprocessing", "process.py")  # BaseProcess._bootstrap's


def _armed(hang_dir: Path) -> Dict[int, Dict[str, Any]]:
    found = {}
    for note in hang_dir.glob(ARMED.replace("%d", "*")):
        try:
            data = results.read_json(note)
            found[int(note.name.split("-")[-1].split(".")[0])] = dict(data)
        except (results.BadFile, ValueError, TypeError):
            continue
    return found


def _catches(pid: int, number: int) -> bool:
    """``pid`` has a handler for signal ``number`` now (/proc/PID/status ``SigCgt``)."""
    try:
        with open("/proc/%d/status" % pid, encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (number - 1) & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def _helper(pid: int, command: bytes) -> bool:
    """multiprocessing's forkserver or resource tracker itself, where no user code waits; not a
    process the forkserver forked (its child, and their fork children), which keeps the
    forkserver's command line: its parent has that command line too."""
    return any(helper in command for helper in _HELPERS) and \
        _procs.cmdline(_procs.parent(pid)) != command


def ask(hang_dir: Path, members: Sequence[int]) -> None:
    """Before the kill: stop (SIGSTOP) the processes of ``members`` (the run's live processes)
    that are not asked, signal each armed one (which stops itself once it wrote its stack),
    wait until each wrote its stack or ``WAIT_S`` passed, and note what was asked. Nothing of
    the program runs on until the kill: a wait a signal ends would return."""
    armed = _armed(hang_dir)
    asking: List[int] = []
    others: Dict[str, str] = {}
    for pid in sorted(set(members)):
        if not _procs.alive(pid):
            continue
        note = armed.get(pid)
        if note is not None and note.get("start") == _procs.start_time(pid) and \
                isinstance(note.get("signal"), int) and not note.get("own") and \
                _catches(pid, note["signal"]):
            asking.append(pid)
            continue
        command = _procs.cmdline(pid)
        if not _procs.is_resource_tracker(pid):  # it unlinks what the killed tree leaked
            _procs.kill_pids([pid], signal.SIGSTOP)
        if not _helper(pid, command):  # its program's name: arguments may hold a password
            others[str(pid)] = os.path.basename(command.split(b"\0")[0].decode(
                "utf-8", "replace")) or "?"
    (hang_dir / ASKING).touch()  # the handler's sign that check asks, not the program
    asked = [pid for pid in asking if _procs.kill_pids([pid], armed[pid]["signal"])]
    end = time.monotonic() + WAIT_S
    while time.monotonic() < end and not all(
            (hang_dir / (STACK % pid)).exists() for pid in asked):
        time.sleep(0.02)
    write_json(str(hang_dir / ASKED), {"asked": asked, "others": others})


def _threads(text: str, test_runner: bool) -> List[Dict[str, Any]]:
    """The threads of a stack file, each with its frames (outermost first), the harness's (and
    with ``test_runner`` pytest's and pluggy's) left out."""
    threads: List[Dict[str, Any]] = []
    for block in text.split(THREAD)[1:]:
        name, _, body = block.partition("\n")
        frames: List[Dict[str, Any]] = [
            {"file": m.group("file"), "line": int(m.group("line")),
             "function": m.group("function")} for m in FRAME_RE.finditer(body)]
        # A child's life starts there: the frames outside are spawn's, or a fork child's
        # copy of its parent's stack at the fork.
        starts = [n for n, f in enumerate(frames) if f["function"] == "_bootstrap" and
                  f["file"].endswith(_BOOTSTRAP)]
        threads.append({"name": name, "frames": [
            f for f in frames[starts[-1] + 1 if starts else 0:]
            if is_users(f["file"], test_runner) or STDLIB_RE.search(f["file"])]})
    return threads


def read(hang_dir: Path, test_runner: bool = False) -> Optional[List[Dict[str, Any]]]:
    """Each process alive at the kill: ``pid``, ``role`` (parent, child, process), ``name``
    (a child's target, another process's program) and its ``threads`` (main first), or
    ``why`` it has none. None when nothing was asked (not a hang, or not Linux)."""
    try:
        asked = results.read_json(hang_dir / ASKED)
    except results.BadFile:
        return None
    armed = _armed(hang_dir)
    found: List[Dict[str, Any]] = []
    for pid in asked.get("asked") or ():
        note = armed.get(pid) or {}
        entry = {"pid": pid, "role": note.get("role", "process"), "name": note.get("name", "")}
        try:
            entry["threads"] = _threads((hang_dir / (STACK % pid)).read_text(
                encoding="utf-8", errors="replace"), test_runner)
        except OSError:
            entry["why"] = BLOCKED
        found.append(entry)
    for pid, command in sorted((asked.get("others") or {}).items()):
        note = armed.get(int(pid)) or {}
        found.append({"pid": int(pid), "role": note.get("role", "process"),
                      "name": note.get("name") or command,
                      "why": (OWN if note.get("own") else REPLACED) if note else UNWATCHED})
    order = {"parent": 0, "child": 1}
    return sorted(found, key=lambda e: (order.get(e["role"], 2), e["pid"]))


def _where(frames: Sequence[Mapping[str, Any]], cwd: str) -> str:
    """The innermost frame of the user's code and the call it waits in (``app.py:12 in worker
    -> multiprocessing/queues.py:103 in get``); with none of theirs, its outermost and
    innermost frames."""
    mine = [n for n, f in enumerate(frames) if is_users(str(f.get("file")))]
    if not frames:
        return ""
    if not mine:  # where it is (at exit: util.py in _exit_function) and what it waits in
        return " -> ".join(_frame(f, cwd) for f in (frames[0], frames[-1])[:len(frames)])
    at = mine[-1]
    if at + 1 < len(frames):
        return "%s -> %s" % (frame_text(dict(frames[at], code=""), cwd),
                             _frame(frames[at + 1], cwd))
    # In a call of C code (``lock.acquire()``): its line says which.
    code = linecache.getline(str(frames[at].get("file")), int(frames[at].get("line") or 0))
    return frame_text(dict(frames[at], code=code.strip()[:200]), cwd)


def _frame(frame: Mapping[str, Any], cwd: str) -> str:
    path = str(frame.get("file"))
    stdlib = STDLIB_RE.search(path)
    return frame_text(dict(frame, file=path[stdlib.end():]) if stdlib else frame, cwd)


def process_lines(stacks: Sequence[Mapping[str, Any]], cwd: str) -> List[str]:
    """One line per process (and per other thread in the user's code): who, then where."""
    lines = []
    for entry in stacks:
        who = str(entry.get("role")) + (" (%s)" % entry["name"] if entry.get("name") else "")
        if entry.get("why"):
            lines.append("%s: %s" % (who, entry["why"]))
            continue
        for n, thread in enumerate(entry.get("threads") or ()):
            frames = thread.get("frames") or []
            if n and not any(is_users(str(f.get("file"))) for f in frames):
                continue  # another thread with none of the user's code (a queue's feeder)
            where = _where(frames, cwd) or "no Python frame"
            lines.append("%s%s: %s" % (who, ", thread %s" % thread["name"] if n else "", where))
    return lines


def format_stacks(runs: Mapping[Tuple[str, str], CaseRun], interpreters: Sequence[str],
                  cwd: str) -> str:
    """Where each process of each hang waited at the kill, a line the same in several cells
    said once with its cells ("" when no hang has stacks)."""
    groups: Dict[str, List[str]] = {}
    for interp in interpreters:
        for method in START_METHODS:
            run = runs.get((interp, method))
            observed = run.observed if run is not None and isinstance(run.observed, dict) else {}
            if run is None or run.outcome is not Outcome.TIMEOUT or "stacks" not in observed:
                continue
            stacks = observed["stacks"]
            for line in [NO_SIGNAL] if stacks is None else process_lines(stacks, cwd) or [
                    "no process of it was alive at the kill"]:
                groups.setdefault(line, []).append("%s[%s]" % (interp, method))
    if not groups:
        return ""
    return "\n".join(["where each process waited at the kill (your code's innermost frame -> "
                      "the call it waits in):"] + ["  %s: %s" % (cells_text(cells), line)
                                                   for line, cells in groups.items()])


def with_stacks(run: CaseRun, hang_dir: Path) -> CaseRun:
    """A hung run with the stacks its processes wrote at the kill in ``observed["stacks"]``
    (None where none could be asked: no real-time signals)."""
    if run.outcome is not Outcome.TIMEOUT:
        return run
    observed = dict(run.observed) if isinstance(run.observed, dict) else {}
    stacks = read(hang_dir, test_runner=run.case == PYTEST)
    return dataclasses.replace(run, observed=dict(observed, stacks=stacks))
