"""Read and validate results files, one after another, into what the merge reads.

The only part of the report chain that reads results files: each file is read by
``results.read_json`` (size-checked, decoded, strictly parsed: no NaN) and validated with the
shipped JSON Schema (``results.validate_results``); a bad file becomes one :class:`Rejected`
line and never stops the rest. ``harness.merge`` merges the
:class:`Loaded` ones.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union, cast

from harness import results
from harness.causes import harness_reason, is_harness_error
from harness.documents import (
    CaseEntry,
    CellMeta,
    Environment,
    HarnessPart,
    Observation,
    ResultsDoc,
    RunRecord,
)
from harness.guest.words import COMMIT_ID
from harness.text import shorten

__all__ = ["CellRun", "Loaded", "Rejected", "load_results", "run_record", "run_time",
           "shown_paths"]


class CellRun(NamedTuple):
    """One cell as one results file saw it."""

    case: str
    method: str
    category: Optional[str]
    observation: Observation


@dataclasses.dataclass(frozen=True)
class Loaded:
    """A results file that passed validation, reduced to what the merge reads: its ``harness``
    part and one :data:`CellRun` per cell, the observation already in ``matrix.json``'s shape
    (pytest-json-report's per-stage records are dropped, so many files need little memory).
    """

    path: str
    harness: HarnessPart
    cells: List[CellRun]
    #: ``case[method]`` -> why, for each cell the harness could not run: no observation of the
    #: case, so the merge reads it as not run (``causes.harness_reason``), never as its error.
    failed: Dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_doc(cls, path: str, doc: ResultsDoc) -> "Loaded":
        """From a valid results document (``results.validate_results`` found no problem)."""
        harness = doc["harness"]
        run = run_record(path, harness["environment"])
        metas = [test["metadata"] for test in doc["tests"]]
        return cls(path, harness, [CellRun(meta["case"], meta["method"], meta.get("category"),
                                           _observation(meta, path, run))
                                   for meta in metas if not is_harness_error(meta)],
                   {results.cell_name(meta["case"], meta["method"]): harness_reason(meta)
                    for meta in metas if is_harness_error(meta)})


@dataclasses.dataclass(frozen=True)
class Rejected:
    """A file that could not be used, and the one-line reason."""

    path: str
    problem: str

    def line(self) -> str:
        return "%s: %s" % (self.path, self.problem)


def load_results(paths: Sequence[str]) -> Tuple[List[Loaded], List[Rejected]]:
    """Read and validate each file, one after another; never raises for a bad file."""
    loaded: List[Loaded] = []
    rejected: List[Rejected] = []
    for path in paths:
        item = _load_one(path)
        if isinstance(item, Loaded):
            loaded.append(item)
        else:
            rejected.append(item)
    return loaded, rejected


def _load_one(name: str) -> Union[Loaded, Rejected]:
    """One file read and validated: ``Loaded`` with the parts the merge reads, or why not."""
    try:
        doc = results.read_json(Path(name))
    except results.BadFile as exc:
        return Rejected(name, str(exc))
    dropped = _drop_bad_digests(doc)
    problems = results.validate_results(doc)
    if problems:
        return Rejected(name, "not a valid results file: %s" % results.first_problem(problems))
    stamp = doc["harness"]["environment"].get("timestamp")
    if stamp is not None and run_time(stamp) is None:
        sys.stderr.write("harness: warning: %s: environment.timestamp %s is not an ISO 8601 "
                         "time: this run counts as the oldest of its column\n" % (
                             name, shorten(repr(stamp), 40)))
    commit = doc["harness"]["environment"].get("git_commit")
    if commit is not None and not re.fullmatch(COMMIT_ID, commit):  # git's stderr mixed in
        doc["harness"]["environment"]["git_commit"] = None  # not the page's commit: no label
        sys.stderr.write("harness: warning: %s: environment.git_commit %s is not a commit id: "
                         "read as none (its cells are kept)\n" % (name, shorten(repr(commit), 40)))
    if dropped:
        sys.stderr.write("harness: warning: %s: %s is not a string: dropped (%s compare%s as "
                         "'unknown': the case's code may have changed)\n" % (
                             name, dropped[0], "that case" if len(dropped) == 1 else
                             "%d cases" % len(dropped), "s" if len(dropped) == 1 else ""))
    return Loaded.from_doc(name, doc)


def _drop_bad_digests(doc: Any) -> List[str]:
    """Remove each ``harness.cases[].code_digest`` that is not a string, and say where with its
    value: derived metadata that is bad costs that case's digest, not the file's cells (the
    schema, the one validator, then checks the rest as it is)."""
    harness = doc.get("harness") if isinstance(doc, dict) else None
    cases = harness.get("cases") if isinstance(harness, dict) else None
    dropped = []
    for i, case in enumerate(cases if isinstance(cases, list) else ()):
        if isinstance(case, dict) and "code_digest" in case \
                and not isinstance(case["code_digest"], str):
            dropped.append("harness.cases[%d].code_digest %s" % (
                i, shorten(repr(case.pop("code_digest")), 40)))
    return dropped


def _text_or_none(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _observation(meta: CellMeta, source: str, run: RunRecord) -> Observation:
    """One run's view of a cell; shapes the results schema leaves open are normalised here
    (an ``error`` or ``expected`` that is not an object becomes null; warnings keep objects)."""
    get = cast("Mapping[str, Any]", meta).get  # once per run of a flaky cell: no helper calls
    warnings, expected, error, detail = get("warnings"), get("expected"), get("error"), get(
        "detail")
    return {"outcome": get("outcome"), "observed": get("observed"),
            "expected": expected if isinstance(expected, dict) else None,
            "verdict": get("verdict"), "duration_s": get("duration_s"), "wall_s": get("wall_s"),
            "warnings": [w for w in warnings if isinstance(w, dict)] if warnings else [],
            "error": error if isinstance(error, dict) else None,
            "detail": detail if isinstance(detail, str) else None,
            "source_file": source, "git_commit": run["git_commit"], "runner": run["runner"]}


def _runner(env: Environment) -> str:
    """Who ran it: the CI job and image, or the local host's executable."""
    ci = _ci(env)
    if ci:
        parts = [ci.get("github_repository"), ci.get("github_job"), ci.get("image_os"),
                 ci.get("image_version")]
        return " ".join(str(p) for p in parts if p) or "CI"
    root = env.get("root")
    return "local%s" % (" chroot %s" % root if root else "")


def _ci(env: Environment) -> Dict[str, Any]:
    raw = env.get("ci")
    return raw if isinstance(raw, dict) else {}


def run_record(path: str, env: Environment, cases: Sequence[CaseEntry] = ()) -> RunRecord:
    """Where one results file came from: its file, commit, time, runner and CI run link, and
    the code digest of each of its ``cases`` that has one (results format 1.4)."""
    ci = _ci(env)
    url = None
    if ci.get("github_repository") and ci.get("github_run_id"):
        url = "https://github.com/%s/actions/runs/%s" % (ci["github_repository"],
                                                          ci["github_run_id"])
    run: RunRecord = {
        "file": path, "git_commit": _text_or_none(env.get("git_commit")),
        "timestamp": _text_or_none(env.get("timestamp")), "ci": ci or None, "run_url": url,
        "runner": _runner(env), "python_full_version": env.get("python_full_version"),
        "executable": env.get("executable"), "root": env.get("root")}
    digests = {case["id"]: case["code_digest"] for case in cases
               if isinstance(case.get("code_digest"), str) and case.get("code_digest")}
    if digests:
        run["case_digests"] = digests
    return run


def run_time(stamp: Any) -> Optional[str]:
    """A run's ``timestamp`` in UTC, comparable as text ("2026-01-02T03:00:00+00:00"); None
    when it is not an ISO 8601 time with an offset (such a run counts as the oldest)."""
    if not isinstance(stamp, str):
        return None
    try:  # "Z": fromisoformat reads it only from 3.11 on
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00", 1) if stamp.endswith("Z")
                                      else stamp)
    except ValueError:
        return None
    return when.astimezone(timezone.utc).isoformat() if when.tzinfo is not None else None


def shown_paths(paths: Sequence[str], folder: Optional[str] = None) -> Dict[str, str]:
    """How ``matrix.json`` names each input file (1.4): its path inside the report ``folder``,
    else its last parts, as few as tell it from the other inputs (its name, mostly; more behind
    "…/"); never the folders of the machine that built the report (a CI runner's
    ``/home/runner/work/…``)."""
    out: Dict[str, str] = {}
    parts: Dict[str, List[str]] = {}
    base = os.path.abspath(folder) if folder else None
    for path in dict.fromkeys(paths):
        full = os.path.normpath(os.path.abspath(path))
        try:
            inside = os.path.relpath(full, base) if base else None
        except ValueError:  # another drive (Windows)
            inside = None
        if inside and not inside.startswith(os.pardir):
            out[path] = inside.replace(os.sep, "/")
        else:
            parts[path] = [p for p in re.split(r"[\\/]", full) if p]
    n = 1  # one Counter per path depth: linear in the inputs (a report may merge 1,000 files)
    while parts:
        counts = collections.Counter(tuple(mine[-n:]) for mine in parts.values())
        for path, mine in list(parts.items()):
            if counts[tuple(mine[-n:])] == 1:  # "…/": a tail, not a path in the report folder
                out[path] = "/".join(mine[-n:]) if n == 1 else "…/" + "/".join(mine[-n:])
            elif n >= len(mine):  # the same file named twice: no tail tells them apart
                out[path] = mine[-1]
            else:
                continue
            del parts[path]
        n += 1
    return out
