"""The shapes of the two JSON documents, typed: a results file and the merged ``matrix.json``.

These mirror what ``schema/*.json`` publishes, for the type checker only (the schema is what
validates). Host side; the view (``harness.model``) reads the matrix through them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple, TypedDict

__all__ = [
    "CaseEntry",
    "CellKey",
    "CellFields",
    "CellMeta",
    "Environment",
    "HarnessPart",
    "MatrixCell",
    "MatrixDoc",
    "MatrixEnvironment",
    "NotRunEnvironment",
    "NotSelected",
    "Observation",
    "RejectedFile",
    "ResultsDoc",
    "RunRecord",
    "TestRecord",
    "cells_by_key",
    "error_field",
]


class _CaseRequired(TypedDict):
    id: str
    category: str
    title: str
    source: str


class CaseEntry(_CaseRequired, total=False):
    """A catalog entry as the case was run (``harness.cases`` of a results file)."""

    doc: str
    sources: List[str]
    covers: List[int]
    claims: List[str]
    methods: List[str]
    expect: List[Dict[str, Any]]
    timeout_s: float
    code: str
    module: str
    code_digest: str  # results format 1.4
    breaks: List[str]  # results format 1.7 (matrix 1.6)
    labels: Dict[str, str]  # results format 1.7 (matrix 1.6): a returned key -> its words


class _EnvironmentRequired(TypedDict):
    os: str
    implementation: str
    python_version: str
    available_methods: List[str]
    default_method: Optional[str]


class NotSelected(TypedDict):
    """The cells pytest's selection left out of a run, and the selection as given."""

    by: str
    cells: List[str]


class Environment(_EnvironmentRequired, total=False):
    """What the probe found about one interpreter (``harness.environment``)."""

    id: str
    sys_platform: str
    arch: Optional[str]
    python_full_version: str
    free_threading: bool
    gil_enabled: Optional[bool]
    executor_default_method: Optional[str]
    start_method_before_use: Optional[str]
    cpu_count: Optional[int]
    harness_version: str
    git_commit: Optional[str]
    ci: Optional[Dict[str, Any]]
    timestamp: str
    root: Optional[str]
    executable: str
    left_out: Dict[str, str]  # category -> why this run left it out ("quick")
    not_selected: NotSelected  # cells -k/-m/--methods/--deselect left out
    interrupted: bool  # results format 1.5: the run is partial (a signal, a closed output …)
    partial_cause: str  # results format 1.6: why ("SIGTERM", "output closed", "2 cells missing")


class HarnessPart(TypedDict):
    """The key this tool adds to a pytest-json-report document."""

    schema_version: str
    environment: Environment
    cases: List[CaseEntry]


class _CellMetaRequired(TypedDict):
    case: str
    method: str
    outcome: str
    verdict: str
    duration_s: float
    warnings: List[Dict[str, Any]]


class CellMeta(_CellMetaRequired, total=False):
    """One cell as the plugin recorded it (a test's ``metadata``)."""

    category: str
    observed: Any
    expected: Optional[Dict[str, Any]]
    wall_s: Optional[float]
    error: Optional[Dict[str, Any]]
    detail: Optional[str]
    stdout: str
    stderr: str
    returncode: Optional[int]


class TestRecord(TypedDict, total=False):
    """One pytest-json-report test record (only ``metadata`` is read)."""

    nodeid: str
    outcome: str
    metadata: CellMeta


class ResultsDoc(TypedDict, total=False):
    """A results file: pytest-json-report plus ``harness``."""

    created: float
    duration: float
    exitcode: int
    summary: Dict[str, Any]
    harness: HarnessPart
    tests: List[TestRecord]


class _RunRequired(TypedDict):
    file: str
    git_commit: Optional[str]
    timestamp: Optional[str]
    ci: Optional[Dict[str, Any]]
    run_url: Optional[str]
    runner: str
    python_full_version: Any
    executable: Any
    root: Any


class RunRecord(_RunRequired, total=False):
    """One results file that fed an environment's column."""

    #: case id -> ``code_digest`` as that file recorded it (matrix format 1.3; absent for
    #: files before results format 1.4).
    case_digests: Dict[str, str]
    #: Why the file is partial ("SIGTERM", "output closed": matrix format 1.4, results 1.6).
    partial_cause: str


class MatrixEnvironment(Environment, total=False):
    """An environment's column: the probe's facts, its id and the runs that fed it."""

    runs: List[RunRecord]
    not_run: bool
    minor_id: str  # the minor-level id (matrix format 1.2)
    version_label: str  # 3.13, or 3.13.18 when patch releases are apart


class CellFields(TypedDict):
    """What a merged cell and each of its observations have in common."""

    outcome: Optional[str]
    observed: Any
    expected: Optional[Dict[str, Any]]
    verdict: Optional[str]
    duration_s: Optional[float]
    wall_s: Optional[float]
    warnings: List[Dict[str, Any]]
    error: Optional[Dict[str, Any]]
    detail: Optional[str]


class Observation(CellFields):
    """One run's view of a cell (several of them on a flaky cell)."""

    source_file: str
    git_commit: Optional[str]
    runner: str


class _MatrixCellRequired(CellFields):
    case: str
    environment: str
    method: str
    category: str
    status: str
    flaky: bool
    sources: List[str]


class MatrixCell(_MatrixCellRequired, total=False):
    """One merged cell: (case, environment, method)."""

    runs: int
    observations: List[Observation]
    #: Its runs disagree but ran different case code (matrix format 1.4): why they are not
    #: compared, ``case_code.changed_text``; the cell is not flaky.
    code_changed: str


class RejectedFile(TypedDict):
    path: str
    problem: str


class NotRunEnvironment(TypedDict):
    """An environment the run looked for and did not run, and why (matrix format 1.4)."""

    id: str
    reason: str


class _MatrixDocRequired(TypedDict):

    schema_version: str
    generated_at: str
    commits: List[str]
    environments: List[MatrixEnvironment]
    cases: List[CaseEntry]
    case_methods: Dict[str, List[str]]
    results: List[MatrixCell]
    claims: List[Dict[str, Any]]
    rejected_files: List[RejectedFile]


class MatrixDoc(_MatrixDocRequired, total=False):
    """``matrix.json``: everything the page is built from."""

    not_run_environments: List[NotRunEnvironment]  # only when there is one (1.4)


#: A matrix cell's address: (case id, environment id, start method).
CellKey = Tuple[str, str, str]


def cells_by_key(matrix: MatrixDoc) -> Dict[CellKey, MatrixCell]:
    """Every cell of ``matrix`` (run or not) by its :data:`CellKey`."""
    return {(c["case"], c["environment"], c["method"]): c for c in matrix.get("results", [])}


def error_field(cell: Mapping[str, Any], key: str) -> str:
    """A field of a cell's error, ``type`` (``PicklingError``) or ``message``; "" when the cell
    records no error or no such field."""
    return str((cell.get("error") or {}).get(key) or "")
