"""``python -m harness check TARGET`` / ``--pytest ARGS``: run the user's own code (or test
suite) under every start method on every interpreter, isolated and time-limited like catalog
cases, and diagnose what breaks (``check_diagnose``).

A script's outcome is its own (exit status, uncaught exception, hang); processes the program
or a Pool/executor terminated on purpose are not failures (``check_exec``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness import discovery
from harness.check_diagnose import Diagnosis, diagnose
from harness.guest.words import START_METHODS
from harness.results import hang_said
from harness.runner import CaseRun, run_case
from harness.vocab import Outcome

__all__ = ["Diagnosis", "TargetError", "check", "diagnose", "format_hangs", "format_table",
           "parse_target", "select_interpreters"]

CHECK_EXEC = Path(__file__).resolve().parent / "guest" / "check_exec.py"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT = 10.0
PYTEST = "--pytest"


class TargetError(ValueError):
    """The TARGET argument does not name something we can run."""


def parse_target(target: str, cwd: Path) -> str:
    """Validate ``module:callable`` / ``script.py[:callable]``; return it normalised."""
    if target == PYTEST:
        return target
    where, sep, name = target.rpartition(":")
    if not sep:
        where, name = target, ""
    if where.endswith(".py"):
        path = (cwd / where).resolve()
        if not path.is_file():
            raise TargetError("%s: no such script" % where)
        where = os.path.relpath(path, cwd)
        if name and not name.isidentifier():
            raise TargetError("%r is not a valid callable name" % name)
        return where + (":" + name if name else "")
    if not name:
        raise TargetError("%r: use module:callable or path/to/script.py[:callable]" % target)
    if not all(part.isidentifier() for part in where.split(".")) or not name.isidentifier():
        raise TargetError("%r: use module:callable or path/to/script.py[:callable]" % target)
    return where + ":" + name


def select_interpreters(names: Optional[Sequence[str]],
                        pytest: bool = False) -> List[discovery.Interpreter]:
    """``--python`` names (as ``interpreters`` prints them: ``3.14``, ``pypy3.9``, a path, a
    root's ``ROOT:/usr/bin/python3.14``; also the full release, ``3.13.18``, and the label
    ``3.13 (root)`` where two share a name), else every interpreter found, the provisioned root's
    included. The interpreter running ``check`` comes first (with a venv, it has the user's
    dependencies); a test suite runs on it alone unless others are named."""
    found, _ = discovery.discover(explicit=[sys.executable])
    in_root, _ = discovery.root_interpreters()
    found = found + in_root
    if not names:
        if pytest:
            here = os.path.realpath(sys.executable)
            return [i for i in found if here in (i.path, i.real_path)][:1] or found[:1]
        return found
    chosen: List[discovery.Interpreter] = []
    for name in names:
        match = [i for i in found if name in (i.session_name, i.path, i.real_path,
                                              " ".join(i.command), label(i, found),
                                              _full_name(i))]
        if not match:
            checked = discovery.inspect_interpreter(name)
            if isinstance(checked, discovery.Rejected):
                raise ValueError("--python %s: %s (see `python -m harness interpreters`)" % (
                    name, checked.reason))
            match = [checked]
        if match[0] not in chosen:
            chosen.append(match[0])
    return chosen


def _full_name(interp: discovery.Interpreter) -> str:
    """``3.13.18``, ``pypy3.11.17``, ``3.14.0t``: tells two patch releases of one minor apart."""
    name = interp.session_name
    return name.replace(interp.short_version, "%d.%d.%d" % interp.version[:3], 1)


def label(interp: discovery.Interpreter, all_interps: Sequence[discovery.Interpreter]) -> str:
    """The session name, marked ``(root)`` when a host interpreter has the same one."""
    twin = any(o is not interp and o.session_name == interp.session_name for o in all_interps)
    return interp.session_name + (" (root)" if twin and interp.origin == "root" else "")


def _argv(interp: discovery.Interpreter, cwd: Path) -> List[str]:
    """A root's interpreter also needs the user's folder bound inside the root."""
    argv = interp.argv()
    if interp.origin == "root" and "--" in argv:
        at = argv.index("--")
        argv = argv[:at] + ["--bind", str(cwd), "--bind", tempfile.gettempdir()] + argv[at:]
    return argv


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)):[ ]?(.*)\n"
                             r"(?:\s*(\S.*))?", re.M)


def _refine(run: CaseRun) -> CaseRun:
    """A child that died before its target ran left only a traceback on stderr: name it."""
    error = run.error or {}
    if error.get("type") == "ChildFailed":
        lines = _EXCEPTION_LINE.findall(run.stderr)
        if lines:
            kind, message, following = lines[-1]
            message = message or following  # a message that starts on the next line
            return dataclasses.replace(run, error=dict(
                error, type=kind.rpartition(".")[2],
                message="%s (in a child, before its target ran)" % message))
    return run


def _run_one(interp: discovery.Interpreter, target: str, method: str, args: Sequence[Any],
             cwd: Path, timeout: float) -> CaseRun:
    program = [str(CHECK_EXEC), str(ROOT), str(cwd), target, method, json.dumps(list(args))]
    return _refine(run_case(target, method, timeout, interpreter=_argv(interp, cwd),
                            program=program, env=dict(os.environ)))


def check(target: str, interpreters: Sequence[discovery.Interpreter], args: Sequence[Any] = (),
          cwd: Optional[Path] = None, timeout: float = DEFAULT_TIMEOUT,
          jobs: int = 0) -> Dict[Tuple[str, str], CaseRun]:
    """Run ``target`` under every method on every interpreter: {(label, method): run}."""
    here = cwd or Path.cwd()
    normalised = parse_target(target, here)
    work = [(i, m) for i in interpreters for m in START_METHODS]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        futures = {(label(i, interpreters), m): pool.submit(_run_one, i, normalised, m, args,
                                                            here, timeout) for i, m in work}
        return {key: future.result() for key, future in futures.items()}


def _cell_text(run: Optional[CaseRun]) -> str:
    if run is None:
        return "-"
    if run.outcome is Outcome.ERROR and run.error:
        where = "child " if run.error.get("where") == "child" else ""
        head = "%s%s: %s" % (where, run.error.get("type"), run.error.get("message", ""))
        return "error (%s)" % (str(head).splitlines()[0][:60] if head else "?")
    if run.outcome is Outcome.CRASH:
        return "crash (%s)" % run.detail
    return str(run.outcome.value)


def format_table(runs: Mapping[Tuple[str, str], CaseRun],
                 interpreters: Sequence[str]) -> str:
    """Method × interpreter table of outcomes with the error head."""
    rows = [["interpreter", *START_METHODS]]
    rows += [[i, *(_cell_text(runs.get((i, m))) for m in START_METHODS)] for i in interpreters]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_hangs(runs: Mapping[Tuple[str, str], CaseRun],
                 interpreters: Sequence[str]) -> str:
    """Where each hang was, as far as its processes said: the last line they wrote to stderr
    before the kill ("" when no hang said anything)."""
    lines = ["%s[%s]: %s" % (i, m, hang_said(run.detail))
             for i in interpreters for m in START_METHODS
             for run in [runs.get((i, m))]
             if run is not None and run.outcome is Outcome.TIMEOUT and hang_said(run.detail)]
    if not lines:
        return ""
    return "\n".join(["where it hung (the last line written to stderr before the kill):"] +
                     ["  " + line for line in lines])


def format_diagnoses(diagnoses: Sequence[Diagnosis], indent: str = "") -> str:
    out = []
    for diag in diagnoses:
        out.append("%s[%s] %s\n%s  fix: %s\n%s  see: %s\n%s  seen in: %s" % (
            indent, diag.code, diag.message, indent, diag.fix, indent, diag.link, indent,
            ", ".join(diag.cells[:6]) + (" …" if len(diag.cells) > 6 else "")))
    return "\n".join(out)
