"""``check --pytest``: a run that hung while pytest collected the tests (importing conftest.py
files and test modules), before any test started, named where it hung. ``check_suite`` has
faulthandler dump every thread's stack shortly before the hard timeout while collection goes
on; the main thread's innermost frames of the user's code say where. A process started then
that failed is no test's: said apart, with its cause, as a script's child failure is."""

from __future__ import annotations

import dataclasses
import linecache
from typing import Any, Callable, Dict, Iterable, List, Mapping, Tuple

from harness.check_diagnose import Diagnosis, diagnose
from harness.check_tests import before_tests, users_stderr
from harness.check_where import DUMP_FRAME, DUMP_THREAD, frame_text, is_users, table_order
from harness.guest.check_suite import COLLECTED, COLLECTING
from harness.guest.check_targets import BEFORE_TESTS
from harness.guest.check_watch import RUNNING
from harness.runner import CaseRun
from harness.vocab import Outcome

__all__ = ["COLLECTION", "before_causes", "before_notes", "collection_causes",
           "collection_hang", "dump_frames", "failed_before", "refined"]

#: The name a collection hang is diagnosed under (it has no test).
COLLECTION = "(collection)"
_TRACEBACK = "Traceback (most recent call last):"


def collection_hang(run: CaseRun) -> bool:
    """The run hung while pytest collected: it timed out after saying it was collecting,
    before saying it had collected and before any test started."""
    return run.outcome is Outcome.TIMEOUT and COLLECTING in run.stderr and \
        COLLECTED not in run.stderr and RUNNING not in run.stderr


def dump_frames(stderr: str, cwd: str = "") -> Tuple[List[str], bool]:
    """The user's frames of the main thread in the last stack dump on ``stderr``, innermost
    first (``conftest.py:14 in _warm_cache: proc.join()``), and whether their line numbers
    are approximate (PyPy's)."""
    headers = list(DUMP_THREAD.finditer(stderr))
    if not headers:
        return [], False
    blocks = [(m, stderr[m.end():headers[n + 1].start() if n + 1 < len(headers) else None])
              for n, m in enumerate(headers)]
    # The main thread runs the harness's script (check_exec); a thread the user started not.
    main = [b for b in blocks if "check_exec.py" in b[1]] or blocks[-1:]
    header, block = main[-1]
    frames = []
    for frame in DUMP_FRAME.finditer(block):
        path = frame.group("file")
        if not is_users(path, test_runner=True):
            continue
        line = int(frame.group("line"))
        # An approximate line (PyPy's: often the function's first) is not quoted as the code.
        code = "" if header.group("approx") else linecache.getline(path, line).strip()
        frames.append(frame_text({"file": path, "line": line, "code": code,
                                  "function": frame.group("function")}, cwd))
    return frames, bool(header.group("approx"))


def where(run: CaseRun, cwd: str = "", most: int = 3) -> str:
    """Where a collection hang was: its user's frames, innermost first ("" when the dump did
    not come, or held none)."""
    frames, approx = dump_frames(run.stderr, cwd)
    if not frames:
        return ""
    return " <- ".join(frames[:most]) + (" (approximate line numbers)" if approx else "")


def collection_causes(runs: Mapping[Tuple[str, str], CaseRun]) -> List[Diagnosis]:
    """The causes the collection hangs left evidence of (a queue joined before it was
    drained, a hang under fork only), per interpreter: each hung run diagnosed as a script's
    hang is, beside the interpreter's runs whose collection ended (as passed)."""
    by_interp: Dict[str, Dict[Tuple[str, str], CaseRun]] = {}
    for (interp, method), run in runs.items():
        if run.outcome is Outcome.UNAVAILABLE:
            continue
        cells = by_interp.setdefault(interp, {})
        if collection_hang(run):
            cells[(interp, method)] = dataclasses.replace(run, case=COLLECTION)
        elif COLLECTED in run.stderr or (isinstance(run.observed, dict)
                                         and run.observed.get("tests")):
            cells[(interp, method)] = CaseRun(case=COLLECTION, method=method,
                                              outcome=Outcome.OK)
    return _once(cells for cells in by_interp.values()
                 if any(r.outcome is Outcome.TIMEOUT for r in cells.values()))


def _once(groups: Iterable[Mapping[Tuple[str, str], CaseRun]]) -> List[Diagnosis]:
    """The causes of each group of runs (one interpreter's) diagnosed together, each cause
    said once, with all its cells."""
    found: Dict[Tuple[str, str], Diagnosis] = {}
    for cells in groups:
        for diag in diagnose(cells):
            same = found.setdefault((diag.code, diag.message), diag)
            if same is not diag:
                found[(diag.code, diag.message)] = dataclasses.replace(
                    same, cells=same.cells + diag.cells)
    return list(found.values())


def _before_first_test(stderr: str) -> str:
    """What the run wrote to stderr before its first test started, without check's lines."""
    first = stderr.find(RUNNING)
    return users_stderr(stderr if first < 0 else stderr[:first])


def refined(run: CaseRun, refine: Callable[[CaseRun], CaseRun]) -> CaseRun:
    """A suite's child that failed before any test (``check_exec``: ``BEFORE_TESTS``), named
    by ``refine`` (``check._refine``) as a script's is, from what the run wrote to stderr
    before its first test: a subclass's child that exited 1 with no traceback did so on
    purpose, and is no failure."""
    before = before_tests(run)
    if not isinstance(before.get("failure"), dict):
        return run
    said = refine(dataclasses.replace(run, outcome=Outcome.ERROR, error=before["failure"],
                                      stderr=_before_first_test(run.stderr), observed={})).error
    kept = {k: v for k, v in before.items() if k != "failure"}
    observed = dict(run.observed if isinstance(run.observed, dict) else {}, **{
        BEFORE_TESTS: dict(kept, failure=said) if said else kept})
    return dataclasses.replace(run, observed=observed)


def failed_before(run: CaseRun) -> str:
    """What a child that failed before the run's first test said ("" when none did)."""
    failure = before_tests(run).get("failure")
    if not isinstance(failure, dict):
        return ""
    kind, said = str(failure.get("type") or ""), str(failure.get("message") or "")
    return said if kind == "ChildFailed" else ": ".join(filter(None, (kind, said)))


def before_notes(runs: Mapping[Tuple[str, str], CaseRun]) -> List[Tuple[str, str]]:
    """``(cell, note)`` of each run a child of which failed before any test: no test's
    outcome shows it (pytest's, which decides the run's, may be a pass)."""
    notes = []
    for key in table_order(runs):
        said = failed_before(runs[key])
        if said:
            hint = "" if _TRACEBACK in _before_first_test(runs[key].stderr) else \
                " (pytest's capture kept its traceback, if any: -s shows it)"
            notes.append(("%s[%s]" % key, "a process started while pytest collected, before "
                          "any test, failed (no test's outcome shows it): %s%s" % (said, hint)))
    return notes


def before_causes(runs: Mapping[Tuple[str, str], CaseRun]) -> List[Diagnosis]:
    """The causes the children that failed before any test showed, each run diagnosed as a
    script whose child failed so, said once with all the cells it was seen in."""
    by_interp: Dict[str, Dict[Tuple[str, str], CaseRun]] = {}
    for key in table_order(runs):
        failure = before_tests(runs[key]).get("failure")
        if isinstance(failure, dict):
            by_interp.setdefault(key[0], {})[key] = CaseRun(
                case=COLLECTION, method=key[1], outcome=Outcome.ERROR, error=failure,
                stderr=_before_first_test(runs[key].stderr))
    return _once(by_interp.values())


def collection_hangs(runs: Mapping[Tuple[str, str], CaseRun], cwd: str) -> List[Dict[str, Any]]:
    """The runs that hung while pytest collected, each with its user's frames (innermost
    first) and the causes the hangs left evidence of (``--json``)."""
    causes = [d.to_dict() for d in collection_causes(runs)]
    return [{"cell": "%s[%s]" % key, "frames": dump_frames(run.stderr, cwd)[0],
             "causes": [c for c in causes if "%s[%s]" % key in c["cells"]]}
            for key in table_order(runs) for run in [runs[key]] if collection_hang(run)]


def before_failures(runs: Mapping[Tuple[str, str], CaseRun]) -> List[Dict[str, Any]]:
    """Each run a child of which failed before any test: the failure, with the causes it
    showed (``--json``)."""
    causes = [d.to_dict() for d in before_causes(runs)]
    return [{"cell": "%s[%s]" % key, "error": before_tests(runs[key])["failure"],
             "causes": [c for c in causes if "%s[%s]" % key in c["cells"]]}
            for key in table_order(runs) if failed_before(runs[key])]
