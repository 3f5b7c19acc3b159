"""Synthetic results documents for the report tests (shape of a real results file, made-up
environments and values; never used as data about real behaviour)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Protocol, Sequence, Tuple, cast

from harness.documents import (
    CaseEntry,
    CellMeta,
    Environment,
    MatrixCell,
    MatrixDoc,
    ResultsDoc,
    TestRecord,
)

__all__ = ["CI_LEGS", "Observe", "case_doc", "cell", "ci_legs", "matrix_cell", "partial_cell",
           "partial_matrix", "results_doc", "timing"]

METHODS = ("fork", "forkserver", "spawn")


# Each builder returns the harness's type for what it builds (cast once, here): mypy checks
# every test's use of one against what the harness's functions take.


def case_doc(case_id: str, **extra: Any) -> CaseEntry:
    category = case_id.split(".", 1)[0]
    doc: Dict[str, Any] = {
        "id": case_id, "category": category, "title": "Title of %s" % case_id,
        "doc": "Why %s matters." % case_id, "source": "https://docs.python.org/3/x.html",
        "sources": ["https://docs.python.org/3/x.html"], "claims": [], "expect": [],
        "code": "def %s(ctx):\n    return 1\n" % case_id.split(".")[1]}
    doc.update(extra)
    return cast("CaseEntry", doc)


def cell(
        case_id: str, method: str, outcome: str = "ok", observed: Any = 1,
         verdict: str = "as-expected", expected: Optional[Dict[str, Any]] = None,
         **extra: Any) -> CellMeta:
    meta: Dict[str, Any] = {
        "case": case_id, "method": method, "category": case_id.split(".", 1)[0],
        "outcome": outcome, "observed": observed if outcome == "ok" else None,
        "expected": expected if expected is not None else {"outcome": outcome,
                                                           "methods": [method]},
        "verdict": verdict, "duration_s": 0.1, "wall_s": 0.2, "warnings": [],
        "error": None, "detail": ""}
    meta.update(extra)
    return cast("CellMeta", meta)


def matrix_cell(case_id: str, method: str, **kw: Any) -> MatrixCell:
    """``cell(...)`` given where the page takes a merged cell: only the fields the two share
    (outcome, observed, error ...; no environment or status), all the code under test reads."""
    return cast("MatrixCell", cell(case_id, method, **kw))


def partial_cell(**fields: Any) -> MatrixCell:
    """A merged cell with only ``fields``: the ones the code under test reads."""
    return cast("MatrixCell", fields)


def partial_matrix(**fields: Any) -> MatrixDoc:
    """A ``matrix.json`` with only ``fields``: the ones the code under test reads."""
    return cast("MatrixDoc", fields)


def timing(median: float, low: Optional[float] = None, high: Optional[float] = None,
           unstable: bool = False) -> Dict[str, Any]:
    """A performance point as ``measure.sample`` records it (the fields a claim reads): its
    median's 95 % interval ``[low, high]`` (±5 % unless given) and the ``unstable`` flag."""
    return {"unit": "ms", "median": median, "unstable": unstable,
            "ci95": [median * 0.95 if low is None else low, median * 1.05 if high is None
                     else high]}


class Observe(Protocol):
    """What a cell observes: ``observe(case_id, method)`` (a protocol, not a Callable: mypy
    infers a lambda with a bound default, ``lambda c, m, v=v: ...``, only against this)."""

    def __call__(self, case_id: str, method: str, /) -> CellMeta: ...


def results_doc(
        version: str = "3.12.1", os_name: str = "linux", impl: str = "cpython",
                cases: Sequence[str] = ("methods.a",), methods: Sequence[str] = METHODS,
                observe: Optional[Observe] = None, commit: str = "abc123" * 6 + "abcd",
                timestamp: str = "2026-01-01T00:00:00+00:00", free_threading: bool = False,
                available: Tuple[str, ...] = ("fork", "spawn", "forkserver"),
                default: str = "fork", case_docs: Optional[Sequence[CaseEntry]] = None,
                ) -> ResultsDoc:
    """One results file: every case × method, cells from ``observe(case, method)``."""
    tests: List[TestRecord] = []
    for case_id in cases:
        for method in methods:
            meta = observe(case_id, method) if observe else cell(case_id, method)
            tests.append({"nodeid": "cases/x.py::%s[%s]" % (case_id, method),
                          "outcome": "passed", "metadata": meta})
    env: Environment = {"os": os_name, "implementation": impl, "python_version": version,
                        "python_full_version": version + " (synthetic)",
                        "free_threading": free_threading, "available_methods": list(available),
                        "default_method": default, "executor_default_method": default,
                        "git_commit": commit, "timestamp": timestamp, "ci": None, "root": None,
                        "executable": "/usr/bin/python-synthetic",
                        # Apple silicon, as CI's macos-26
                        "arch": "arm64" if os_name == "macos" else "x86_64"}
    return {"created": 0, "duration": 1.0, "exitcode": 0, "summary": {},
            "harness": {"schema_version": "1.0", "environment": env,
                        "cases": list(case_docs) if case_docs is not None else
                        [case_doc(c) for c in cases]},
            "tests": tests}


#: CI's grid per OS (labels only): CPython 3.9-3.16, 3.14t, 3.15t, PyPy 3.10 and 3.11.
CI_LEGS = ["3.%d.1" % v for v in range(9, 17)] + ["3.14.1t", "3.15.1t", "pypy3.10.1",
                                                    "pypy3.11.1"]


def ci_legs() -> List[Dict[str, Any]]:
    """``results_doc`` keywords for each environment of a CI-sized report (3 OS × 12)."""
    return [{"os_name": o, "version": v.replace("pypy", "").rstrip("t"),
             "impl": "pypy" if "pypy" in v else "cpython", "free_threading": v.endswith("t")}
            for o in ("linux", "macos", "windows") for v in CI_LEGS]
