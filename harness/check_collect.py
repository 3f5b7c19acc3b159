"""``check --pytest``: a run that hung while pytest collected the tests (importing conftest.py
files and test modules), before any test started, named where it hung. ``check_suite`` has
faulthandler dump every thread's stack shortly before the hard timeout while collection goes
on; the main thread's innermost frames of the user's code say where."""

from __future__ import annotations

import dataclasses
import linecache
from typing import Dict, List, Mapping, Tuple

from harness.check_diagnose import Diagnosis, diagnose
from harness.check_where import DUMP_FRAME, DUMP_THREAD, frame_text, is_users
from harness.guest.check_suite import COLLECTED, COLLECTING
from harness.guest.check_watch import RUNNING
from harness.runner import CaseRun
from harness.vocab import Outcome

__all__ = ["COLLECTION", "collection_causes", "collection_hang", "dump_frames"]

#: The name a collection hang is diagnosed under (it has no test).
COLLECTION = "(collection)"


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
    found: Dict[Tuple[str, str], Diagnosis] = {}  # one cause said once, with all its cells
    for cells in by_interp.values():
        if any(r.outcome is Outcome.TIMEOUT for r in cells.values()):
            for diag in diagnose(cells):
                same = found.setdefault((diag.code, diag.message), diag)
                if same is not diag:
                    found[(diag.code, diag.message)] = dataclasses.replace(
                        same, cells=same.cells + diag.cells)
    return list(found.values())
