"""Load results files (validating each) and merge them into the ``matrix.json`` document.

``load_results`` is the only part that reads files; ``merge`` is a pure function from loaded
documents to the matrix. A bad file becomes one ``Rejected`` line and never stops the rest.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from harness import results
from harness.vocab import START_METHODS

__all__ = ["MATRIX_SCHEMA_VERSION", "Loaded", "Rejected", "cell_status", "load_results", "merge"]

#: Version of the merged ``matrix.json`` format (see CHANGELOG.md on every change).
MATRIX_SCHEMA_VERSION = "1.0"
#: A results file larger than this is refused rather than read into memory.
MAX_FILE_BYTES = 256 * 1024 * 1024

STATUSES = ("as-expected", "unexpected", "timeout", "crash", "unavailable", "not-run", "flaky",
            "no-expectation")


@dataclasses.dataclass(frozen=True)
class Loaded:
    """A results file that passed validation."""

    path: str
    doc: Dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Rejected:
    """A file that could not be used, and the one-line reason."""

    path: str
    problem: str

    def line(self) -> str:
        return "%s: %s" % (self.path, self.problem)


def load_results(paths: Sequence[str]) -> Tuple[List[Loaded], List[Rejected]]:
    """Read and validate each file; never raises for a bad file."""
    loaded: List[Loaded] = []
    rejected: List[Rejected] = []
    for name in paths:
        path = Path(name)
        try:
            if path.is_dir():
                raise ValueError("is a folder, not a results file")
            size = path.stat().st_size
            if size == 0:
                raise ValueError("empty file")
            if size > MAX_FILE_BYTES:
                raise ValueError("%d bytes is larger than the %d-byte limit" % (
                    size, MAX_FILE_BYTES))
            text = path.read_bytes().decode("utf-8")
            doc = json.loads(text)
        except FileNotFoundError:
            rejected.append(Rejected(name, "no such file"))
            continue
        except UnicodeDecodeError as exc:
            rejected.append(Rejected(name, "not UTF-8 text (byte %d)" % exc.start))
            continue
        except json.JSONDecodeError as exc:
            rejected.append(Rejected(name, "not valid JSON (%s at line %d column %d)" % (
                exc.msg, exc.lineno, exc.colno)))
            continue
        except (OSError, ValueError) as exc:
            rejected.append(Rejected(name, str(exc).splitlines()[0] if str(exc) else
                                     type(exc).__name__))
            continue
        problems = results.validate_results(doc)
        if problems:
            more = " (and %d more problems)" % (len(problems) - 1) if len(problems) > 1 else ""
            rejected.append(Rejected(name, "not a valid results file: %s%s" % (problems[0],
                                                                                 more)))
            continue
        loaded.append(Loaded(name, doc))
    return loaded, rejected


def cell_status(cell: Dict[str, Any]) -> str:
    """The one status word a reader sees for a merged cell."""
    if cell.get("flaky"):
        return "flaky"
    outcome = cell.get("outcome")
    if outcome == "unavailable":
        return "unavailable"
    if cell.get("verdict") == "unexpected":
        return "unexpected"
    if outcome in ("timeout", "crash") and cell.get("verdict") != "as-expected":
        return str(outcome)
    return str(cell.get("verdict", "no-expectation"))


_CELL_KEYS = ("outcome", "observed", "expected", "verdict", "duration_s", "wall_s",
              "warnings", "error", "detail")


def _observation(meta: Dict[str, Any], source: str) -> Dict[str, Any]:
    cell = {key: meta.get(key) for key in _CELL_KEYS}
    cell["source_file"] = source
    return cell


def _same(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    return (a["outcome"], a["observed"], (a.get("error") or {}).get("type")) == (
        b["outcome"], b["observed"], (b.get("error") or {}).get("type"))


def merge(loaded: Sequence[Loaded], rejected: Sequence[Rejected] = (),
          now: Optional[datetime] = None) -> Dict[str, Any]:
    """Merge loaded results documents into one matrix document (pure)."""
    environments: Dict[str, Dict[str, Any]] = {}
    cases: Dict[str, Dict[str, Any]] = {}
    cells: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
    for item in loaded:
        harness = item.doc["harness"]
        env = dict(harness["environment"])
        ident = results.env_id(env)
        run = {"file": item.path, "git_commit": env.get("git_commit"),
               "timestamp": env.get("timestamp"), "ci": env.get("ci"),
               "python_full_version": env.get("python_full_version"),
               "executable": env.get("executable"), "root": env.get("root")}
        if ident in environments:
            environments[ident]["runs"].append(run)
        else:
            env["id"] = ident
            env["runs"] = [run]
            environments[ident] = env
        for case in harness["cases"]:
            cases.setdefault(case["id"], case)
        for test in item.doc["tests"]:
            meta = test["metadata"]
            key = (meta["case"], ident, meta["method"])
            new = _observation(meta, item.path)
            old = cells.get(key)
            if old is None:
                new["observations"] = [dict(new)]
                cells[key] = new
            else:
                old["observations"].append(new)
                if not _same(old, new):
                    old["flaky"] = True
    results_list: List[Dict[str, Any]] = []
    for (case_id, ident, method), cell in sorted(cells.items()):
        cell = dict(cell, case=case_id, environment=ident, method=method)
        if len(cell["observations"]) == 1:
            del cell["observations"]
        cell["status"] = cell_status(cell)
        results_list.append(cell)
    # Cells with no data for an environment are listed as not-run: never shown as a pass.
    for case_id in sorted(cases):
        for ident in sorted(environments):
            for method in START_METHODS:
                if (case_id, ident, method) not in cells:
                    results_list.append({"case": case_id, "environment": ident,
                                         "method": method, "outcome": None, "observed": None,
                                         "expected": None, "verdict": None, "duration_s": None,
                                         "warnings": [], "error": None, "detail": "",
                                         "wall_s": None, "status": "not-run"})
    results_list.sort(key=lambda c: (c["case"], c["environment"], START_METHODS.index(
        c["method"]) if c["method"] in START_METHODS else 99))
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    commits = sorted({r["git_commit"] for e in environments.values() for r in e["runs"]
                      if r.get("git_commit")})
    return {
        "schema_version": MATRIX_SCHEMA_VERSION,
        "generated_at": stamp,
        "commits": commits,
        "environments": [environments[k] for k in sorted(environments, key=_env_sort_key)],
        "cases": [cases[k] for k in sorted(cases)],
        "results": results_list,
        "rejected_files": [dataclasses.asdict(r) for r in rejected],
    }


def _env_sort_key(ident: str) -> Tuple[Any, ...]:
    os_name, impl, rest = (ident.split("-", 2) + ["", ""])[:3]
    version = rest.split("-")[0]
    numbers = tuple(int(p) for p in version.rstrip("t").split(".") if p.isdigit())
    return (os_name, impl != "cpython", impl, numbers, version.endswith("t"), ident)
