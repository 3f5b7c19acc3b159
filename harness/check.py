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
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness import causes, check_left, check_tests, discovery, leftovers, runner, stopping
from harness.capture import last_line
from harness.check_collect import refined
from harness.check_diagnose import (
    NO_PROCESS,
    Diagnosis,
    diagnose,
    not_exercised,
)
from harness.check_live import Progress, tracked
from harness.check_match import script_in_package
from harness.check_pytest import INTERRUPTED_ERROR, with_progress
from harness.check_stacks import ask as ask_stacks
from harness.check_stacks import with_stacks
from harness.check_table import as_it_is, format_table, terminal_width
from harness.check_verdict import (
    at_the_limit,
    format_diagnoses,
    format_follow_ons,
    format_outputs,
    nothing_checked,
    outputs_differ,
    silently_differs,
    summary_line,
    unchecked_cells,
)
from harness.check_where import (
    format_hangs,
    format_tracebacks,
    last_exception,
    process_error,
    readable_detail,
    stderr_frames,
    table_order,
)
from harness.guest import check_suite
from harness.guest.check_exec import BEFORE_TARGET
from harness.guest.check_targets import MODULE, PYTEST, as_main
from harness.guest.words import START_METHODS
from harness.results import ROOT, session_name
from harness.runner import CaseRun, run_case
from harness.vocab import Outcome

__all__ = ["MODULE", "NO_PROCESS", "PYTEST", "Diagnosis", "Interrupted", "TargetError", "as_it_is",
           "at_the_limit",
           "check", "diagnose",
           "format_diagnoses",
           "format_follow_ons", "format_outputs",
           "format_hangs", "format_table", "format_tracebacks", "load_failure", "not_exercised",
           "nothing_checked", "outputs_differ", "parse_target", "readable_detail",
           "select_interpreters",
           "silently_differs", "summary_line", "table_order", "terminal_width", "unchecked_cells"]

CHECK_EXEC = Path(__file__).resolve().parent / "guest" / "check_exec.py"
DEFAULT_TIMEOUT = 10.0
_POLL = 1.0  # seconds between looks at the runs going on (``Progress.waiting``)


class TargetError(ValueError):
    """The TARGET argument does not name something we can run."""


def parse_target(target: str, cwd: Path) -> str:
    """Validate ``module:callable`` / ``script.py[:callable]`` / ``-m module``; return it as
    it is run."""
    if target == PYTEST:
        return target
    if target.startswith(MODULE):
        name = target[len(MODULE):].strip()
        if not name or not all(part.isidentifier() for part in name.split(".")):
            raise TargetError("-m %r: give a module name, as to `python -m` (pkg or pkg.mod)"
                              % name)
        return MODULE + name
    where, sep, name = target.rpartition(":")
    if not sep:
        where, name = target, ""
    if where.endswith(".py"):
        if not (cwd / where).is_file():  # as given: a link stays the script's name, as in python
            raise TargetError("%s: no such script" % where)
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
    found, left_out = discovery.discover(explicit=[sys.executable])
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
        if not match and os.sep not in name and not shutil.which(name):
            raise ValueError("--python %s: %s" % (name, _not_found(name, found, left_out)))
        if not match:
            checked = discovery.inspect_interpreter(name)
            if isinstance(checked, discovery.Rejected):
                raise ValueError("--python %s: %s (see `python -m harness interpreters`)" % (
                    name, checked.reason))
            match = [checked]
        if match[0] not in chosen:
            chosen.append(match[0])
    return chosen


def _not_found(name: str, found: Sequence[discovery.Interpreter],
               left_out: Sequence[discovery.Rejected]) -> str:
    """Why a name matches no interpreter: one was found but left out (too old), or none is
    called that (the names there are)."""
    for rejected in left_out:
        if _called(name, rejected):
            return "found at %s but left out: %s" % (rejected.path, rejected.reason)
    return "no interpreter of that name here (found: %s; a path works too)" % ", ".join(
        label(i, found) for i in found)


def _called(name: str, rejected: discovery.Rejected) -> bool:
    """``name`` is what the interpreter discovery left out would be called: ``3.7``,
    ``3.7.16``, ``pypy3.9`` (its version, not its reason's text: "Python 3.7.17 is older
    than 3.8" is no 3.8)."""
    if len(rejected.version) < 2:
        return False
    short = "%d.%d" % rejected.version[:2]
    session = session_name(rejected.implementation, short, False)
    return name in (session, session.replace(short, ".".join(map(str, rejected.version)), 1))


def _full_name(interp: discovery.Interpreter) -> str:
    """``3.13.18``, ``pypy3.11.17``, ``3.14.0t``: tells two patch releases of one minor apart."""
    name = interp.session_name
    return name.replace(interp.short_version, "%d.%d.%d" % interp.version[:3], 1)


def label(interp: discovery.Interpreter, all_interps: Sequence[discovery.Interpreter]) -> str:
    """The session name, unique among ``all_interps``: a root's twin of a host interpreter is
    marked ``(root)``, other twins show their full release (``3.11.2``), then their path."""
    twins = [o for o in all_interps if o is not interp and o.session_name == interp.session_name]
    if not twins:
        return interp.session_name
    if all((o.origin == "root") != (interp.origin == "root") for o in twins):
        return interp.session_name + (" (root)" if interp.origin == "root" else "")
    name = _full_name(interp)
    if any(_full_name(o) == name for o in twins):
        return "%s (%s)" % (name, interp.path)
    return name


def _argv(interp: discovery.Interpreter, cwd: Path) -> List[str]:
    """A root's interpreter also needs the user's folder bound inside the root."""
    argv = interp.argv()
    if interp.origin == "root" and "--" in argv:
        at = argv.index("--")
        argv = argv[:at] + ["--bind", str(cwd), "--bind", tempfile.gettempdir()] + argv[at:]
    return argv


def _refine(run: CaseRun) -> CaseRun:
    """A child that failed where no wrapper saw it (before its target ran, or a ``Process``
    subclass that pickles itself) left only a traceback on stderr: name it by its error; a
    child that exited without one (``sys.exit(2)``, argparse's usage error) by stderr's last
    line. A subclass's child that printed no traceback exited by sys.exit(1): on purpose, as
    a watched child's ``sys.exit`` is (the parent's own error, if any, is the outcome)."""
    error = dict(run.error or {})
    instead = error.pop("instead", None)
    if error.get("type") != "ChildFailed":
        return run
    message = str(error.get("message", ""))
    stderr = check_tests.users_stderr(run.stderr)  # check_suite's own lines are not the program's
    if error.get("process"):  # what multiprocessing printed as that process died
        kind, said, frames = process_error(stderr, str(error["process"]))
        if kind:
            return dataclasses.replace(run, error=dict(error, type=kind, message=said,
                                                       traceback=frames))
        if not _BOOTSTRAP_FAILED.search(stderr):
            return dataclasses.replace(run, error=instead, outcome=Outcome.ERROR) if instead \
                else dataclasses.replace(run, error=None, outcome=Outcome.OK)
    if message.endswith(BEFORE_TARGET) or error.get("process"):
        kind, said = last_exception(stderr)  # its message whole, however many lines
        if kind:
            return dataclasses.replace(run, error=dict(
                error, type=kind, message="%s (in a child, %s)" % (said, BEFORE_TARGET),
                traceback=stderr_frames(stderr)))
    last = last_line(stderr)
    if last:
        return dataclasses.replace(run, error=dict(
            error, message="%s (stderr's last line: %s)" % (message, last)))
    return dataclasses.replace(run, error=error)


#: A child that died in multiprocessing's bootstrap (unpickling its process, re-running the
#: main script) before any ``run()``: no ``Process NAME:`` header on its traceback.
_BOOTSTRAP_FAILED = re.compile(r'multiprocessing/spawn\.py", line \d+, in _main$', re.M)


def _run_one(interp: discovery.Interpreter, target: str, method: str, args: Sequence[Any],
             cwd: Path, timeout: float) -> CaseRun:
    hang_dir = _hang_dir()
    env = dict(os.environ)
    if target == PYTEST:  # a collection that hangs dumps its stacks before the kill
        env[check_suite.DUMP_AT] = "%.3f" % (time.time() + timeout - min(2.0, timeout / 5))
    try:
        program = [str(CHECK_EXEC), str(ROOT), str(cwd), target, method,
                   json.dumps(list(args)), hang_dir]
        if target == PYTEST and runner.cancelled():
            raise runner.Cancelled("interrupted before %s[%s] started" % (target, method))
        try:
            run = with_stacks(run_case(
                target, method, timeout, interpreter=_argv(interp, cwd), program=program,
                env=env, before_kill=lambda pids: ask_stacks(Path(hang_dir), pids)),
                Path(hang_dir))
        except runner.Cancelled:  # Ctrl-C, SIGTERM: its tree is killed and reaped
            if target != PYTEST:
                raise
            started = check_suite.read_progress(hang_dir)[1]
            run = CaseRun(case=target, method=method, outcome=Outcome.ERROR, error={
                "type": INTERRUPTED_ERROR, "where": "parent", "message": "%s %s" % (
                    causes.words(stopping.stopped_by()),  # "interrupted by SIGTERM"
                    "in %s" % started if started else "before any test ran")})
        left = Path(hang_dir)
        return _with_default(refined(_refine(with_progress(
            check_left.hang_notes(_exited_later(run, target), left), hang_dir)), _refine), interp)
    finally:
        shutil.rmtree(hang_dir, ignore_errors=True)


#: What ended before the interpreter exited with another status (``_exited_later``).
_ENDED = {PYTEST: "the run exited with status %d after pytest returned"}


def _exited_later(run: CaseRun, target: str) -> CaseRun:
    """A run whose interpreter exited non-zero with another status than the program's end
    wrote (a non-daemon thread's ``os._exit(3)`` at shutdown, after the main block returned):
    that status is what python gives, and the failure. An error written before stays."""
    written = (run.observed if isinstance(run.observed, dict) else {}).get("exit_status")
    code = run.returncode
    if run.outcome is not Outcome.OK or not isinstance(written, int) or not isinstance(
            code, int) or code == 0 or code == written % 256:  # sys.exit(256) exits 0
        return run
    if code < 0:  # a signal at shutdown (a thread's os.kill(os.getpid(), SIGKILL); review r15)
        said = "killed by %s after %s" % (
            runner.signal_name(-code), "its main block" if as_main(target) else "its end")
        return dataclasses.replace(run, outcome=Outcome.CRASH, detail=said, error={
            "type": "ChildCrashed", "where": "parent", "message": said})
    said = _ENDED.get(target) or ("the %s exited with status %%d after its main block" % (
        "module" if target.startswith(MODULE) else "script") if as_main(target) else
                                  "the program exited with status %d after its target ended")
    return dataclasses.replace(run, outcome=Outcome.ERROR, error={
        "type": "SystemExit", "where": "parent", "message": said % code})


def _with_default(run: CaseRun, interp: discovery.Interpreter) -> CaseRun:
    """A run that did not report its interpreter's default start method (it hit the time
    limit, crashed) gets the one discovery asked the interpreter for: the table marks the
    default's cell however the runs ended."""
    observed = run.observed if isinstance(run.observed, dict) else {}
    if "default_method" in observed or not interp.default_method or \
            run.outcome is Outcome.UNAVAILABLE:
        return run
    return dataclasses.replace(run, observed=dict(observed, default_method=interp.default_method))


def _hang_dir() -> str:
    """A folder for what a hang notes before the kill (``check_hang``) and the tests a suite
    finished (``check_suite``), which outlives the run's own folder; named as the runner names
    its own, so that what a killed check left behind is swept by the next run
    (``leftovers.sweep_stale``)."""
    return tempfile.mkdtemp(prefix="%s%d-hang-" % (leftovers.TMP_PREFIX, os.getpid()))


def check(target: str, interpreters: Sequence[discovery.Interpreter], args: Sequence[Any] = (),
          cwd: Optional[Path] = None, timeout: float = DEFAULT_TIMEOUT, jobs: int = 1,
          progress: Optional[Progress] = None) -> Dict[Tuple[str, str], CaseRun]:
    """Run ``target`` under every method on every interpreter: {(label, method): run}.

    One run at a time unless ``jobs`` says otherwise: two runs of one program at once share
    its fixed ports, files and shared-memory names, and could fail only because they met.
    Ctrl-C kills the running trees (``runner.cancel_all``) and drops the queued runs; the runs
    that had finished come back in ``Interrupted``.
    """
    here = cwd or Path.cwd()
    normalised = parse_target(target, here)
    work = [(i, m) for i in interpreters for m in START_METHODS]
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    futures: Dict[Tuple[str, str], Any] = {}
    try:
        futures = {(label(i, interpreters), m): pool.submit(
            tracked, progress, (label(i, interpreters), m), _run_one, i, normalised, m, args,
            here, timeout) for i, m in work}
        pending = set(futures.values())
        while pending:
            pending = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED).not_done
            if progress is not None:
                progress.waiting()
        return {key: future.result() for key, future in futures.items()}
    except BaseException as exc:
        runner.cancel_all()
        for future in futures.values():
            future.cancel()
        if not isinstance(exc, KeyboardInterrupt):
            raise
        pool.shutdown(wait=True)  # the running trees are killed: their runs come back
        ended = {key: f for key, f in futures.items() if not f.cancelled()
                 and f.exception() is None}
        raise Interrupted({key: f.result() for key, f in ended.items()},
                          [key for key in futures if key not in ended]) from None
    finally:
        pool.shutdown(wait=True)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped ``check``: ``runs`` are the runs that finished (with
    ``--pytest``, also those cut short, with the tests they had finished), ``not_run`` the
    cells never started or, for a script, cut short."""

    def __init__(self, runs: Dict[Tuple[str, str], CaseRun],
                 not_run: List[Tuple[str, str]]) -> None:
        super().__init__("interrupted")
        self.runs, self.not_run = runs, not_run


#: Errors of loading a ``module:callable`` target: the same under every method, a typo.
_LOAD_ERRORS = ("ModuleNotFoundError", "ImportError", "AttributeError")


def load_failure(runs: Mapping[Tuple[str, str], CaseRun], target: str) -> str:
    """``Type: message`` when a callable target could not be loaded in any run (every run
    failed in the parent, before any process started, with an import or attribute error)."""
    if target == PYTEST or target.endswith(".py"):
        return ""
    ran = [r for r in runs.values() if r.outcome is not Outcome.UNAVAILABLE]
    errors = [r.error or {} for r in ran]
    if not ran or any(r.outcome is not Outcome.ERROR or not_exercised(r, r.method) != NO_PROCESS
                      for r in ran):
        return ""
    if any(e.get("where") != "parent" or e.get("type") not in _LOAD_ERRORS for e in errors):
        return ""
    said = "%s: %s" % (errors[0].get("type"), str(errors[0].get("message", "")).splitlines()[0]
                       if errors[0].get("message") else "")
    module = script_in_package(ran[0], said, "")  # ``shipit.main (from the folder src)``
    if module:
        name, _, where = module.partition(" (")
        said += "; a script has no package: check it as a module, `%s:%s` (%s" % (
            name, target.rpartition(":")[2], where)
    return said
