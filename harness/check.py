"""``python -m harness check TARGET``: run the user's own code under every start method on
every interpreter, isolated and time-limited like catalog cases, and diagnose what breaks.

Diagnoses are derived from what was observed (outcomes, error text, child reports, warnings),
each with a one-line fix and a documentation link.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness import discovery
from harness.guest.words import START_METHODS
from harness.runner import CaseRun, run_case
from harness.vocab import Outcome

__all__ = ["Diagnosis", "check", "diagnose", "format_table", "parse_target"]

CHECK_EXEC = Path(__file__).resolve().parent / "guest" / "check_exec.py"
ROOT = Path(__file__).resolve().parent.parent
DOCS = "https://docs.python.org/3/library/multiprocessing.html"
DEFAULT_TIMEOUT = 10.0


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """One cause found, where it was seen, and what to do about it."""

    code: str
    message: str
    fix: str
    link: str
    cells: Tuple[str, ...]

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


class TargetError(ValueError):
    """The TARGET argument does not name something we can run."""


def parse_target(target: str, cwd: Path) -> str:
    """Validate ``module:callable`` / ``script.py[:callable]``; return it normalised."""
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


def _run_one(interp: discovery.Interpreter, target: str, method: str, args: Sequence[Any],
             cwd: Path, timeout: float) -> CaseRun:
    program = [str(CHECK_EXEC), str(ROOT), str(cwd), target, method, json.dumps(list(args))]
    return run_case(target, method, timeout, interpreter=interp.argv(), program=program,
                    env=dict(os.environ))


def check(target: str, interpreters: Sequence[discovery.Interpreter], args: Sequence[Any] = (),
          cwd: Optional[Path] = None, timeout: float = DEFAULT_TIMEOUT,
          jobs: int = 0) -> Dict[Tuple[str, str], CaseRun]:
    """Run ``target`` under every method on every interpreter: {(session, method): run}."""
    here = cwd or Path.cwd()
    normalised = parse_target(target, here)
    work = [(i, m) for i in interpreters for m in START_METHODS]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        futures = {(i.session_name, m): pool.submit(_run_one, i, normalised, m, args, here,
                                                    timeout) for i, m in work}
        return {key: future.result() for key, future in futures.items()}


def _text(run: CaseRun) -> str:
    error = run.error or {}
    return " ".join([str(error.get("type", "")), str(error.get("message", "")), run.stderr])


_PICKLE = re.compile(r"(?i)pickl|can't get local object|local object")
_MAIN_ATTR = re.compile(r"Can't get attribute '([^']+)' on <module '__(mp_)?main__'")
_NAME = re.compile(r"(?:pickle|pickling) (?:local object )?'?([^'\s:]+)'?|<(function|class) "
                   r"([^ >]+)")


def diagnose(runs: Mapping[Tuple[str, str], CaseRun]) -> List[Diagnosis]:
    """Causes found in ``runs``, keyed by (interpreter, method)."""
    defaults = {interp: run.observed.get("default_method") for (interp, _), run in runs.items()
                if isinstance(run.observed, dict) and run.observed.get("default_method")}
    found: Dict[str, Tuple[str, str, str, List[str]]] = {}

    def add(code: str, message: str, fix: str, link: str, cell: str) -> None:
        found.setdefault(code, (message, fix, link, []))[3].append(cell)

    by_interp: Dict[str, Dict[str, CaseRun]] = {}
    for (interp, method), run in sorted(runs.items()):
        by_interp.setdefault(interp, {})[method] = run
        cell = "%s[%s]" % (interp, method)
        text = _text(run)
        error = run.error or {}
        observed = run.observed if isinstance(run.observed, dict) else {}
        main_attr = _MAIN_ATTR.search(text)
        if main_attr:
            add("defined-in-main", "the target '%s' is defined in __main__ (a -c command, stdin "
                "or an interactive session), which a %s child cannot import" % (
                    main_attr.group(1), method),
                "move the function into an importable module (a .py file)",
                DOCS + "#using-a-pool-of-workers", cell)
        elif run.outcome is Outcome.ERROR and error.get("where") == "parent" and \
                _PICKLE.search(str(error.get("type", "")) + str(error.get("message", ""))):
            name = _NAME.search(str(error.get("message", "")))
            what = next((g for g in (name.groups() if name else ()) if g and g not in (
                "function", "class")), "an object")
            add("not-picklable", "%s must be pickled to reach a %s child, and cannot be "
                "(%s: %s)" % (what, method, error.get("type"), str(error.get("message"))[:120]),
                "define targets and arguments at module level and pass only picklable data "
                "(or request fork explicitly where it exists)",
                DOCS + "#the-spawn-and-forkserver-start-methods", cell)
        if "bootstrapping phase" in text:
            add("missing-main-guard", "the main module starts processes when it is imported; "
                "a %s child re-imports it and fails" % method,
                'put the code that starts processes under `if __name__ == "__main__":`',
                DOCS + "#the-spawn-and-forkserver-start-methods", cell)
        if observed.get("globals_differ"):
            add("global-differs", "the child saw different values of module globals %s than "
                "the parent had at start()" % ", ".join(observed["globals_differ"]),
                "pass the values as arguments (or through an initializer) instead of relying "
                "on globals set after import", DOCS + "#the-spawn-and-forkserver-start-methods",
                cell)
        threads = any("multi-threaded" in w.get("message", "") for w in run.warnings)
        if method == "fork" and (threads or observed.get("threads_at_start", 1) > 1):
            add("threads-at-fork", "other threads were running when the fork child started "
                "(Python 3.12+ warns: DeprecationWarning)", "start processes before starting "
                "threads, or use the forkserver or spawn method",
                "https://docs.python.org/3/library/os.html#os.fork", cell)
    for interp, cells in sorted(by_interp.items()):
        fork = cells.get("fork")
        others = [cells[m] for m in ("spawn", "forkserver") if m in cells and
                  cells[m].outcome is not Outcome.UNAVAILABLE]
        if fork is None or not others:
            continue
        if fork.outcome is Outcome.TIMEOUT and all(r.outcome is Outcome.OK for r in others):
            add("hangs-only-under-fork", "it hangs only under fork: typically a lock (or other "
                "state) held by another thread is copied locked into the child",
                "use the forkserver or spawn method, or make sure no thread holds locks at "
                "start()", DOCS + "#contexts-and-start-methods", "%s[fork]" % interp)
        if fork.outcome is Outcome.OK and any(r.outcome is not Outcome.OK for r in others) \
                and defaults.get(interp) == "fork":
            add("works-only-with-fork-default", "it works here only because the default start "
                "method is fork; it breaks where the default is not (Linux from Python 3.14: "
                "forkserver; macOS and Windows: spawn)", "fix the causes above, or request "
                "fork explicitly with multiprocessing.get_context('fork') where it exists",
                "https://docs.python.org/3.14/whatsnew/3.14.html"
                "#whatsnew314-multiprocessing-start-method", "%s[fork]" % interp)
    return [Diagnosis(code, m, f, link, tuple(cells)) for code, (m, f, link, cells)
            in found.items()]


def _cell_text(run: Optional[CaseRun]) -> str:
    if run is None:
        return "-"
    if run.outcome is Outcome.ERROR and run.error:
        head = "%s: %s" % (run.error.get("type"), run.error.get("message", ""))
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
