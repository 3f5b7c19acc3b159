"""merge: the same files make the same matrix whatever order they are given in, and which run
of a column is the newest is read from each run's time in UTC (review r4)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Tuple

import pytest

from harness import loading, merge, results
from harness.documents import MatrixDoc, ResultsDoc
from tests.unit.report_synth import case_doc, cell, results_doc

NOW = datetime(2026, 1, 3, tzinfo=timezone.utc)
CASES = ["api.a", "api.b", "performance.p"]


def _both_ways(a: ResultsDoc, b: ResultsDoc) -> Tuple[MatrixDoc, MatrixDoc]:
    first = [loading.Loaded.from_doc("a.json", a), loading.Loaded.from_doc("b.json", b)]
    return merge.merge(first, now=NOW), merge.merge(first[::-1], now=NOW)


def _run(when: str, spawn: int, title: str, selection: str) -> ResultsDoc:
    doc = results_doc(cases=CASES[:2], timestamp=when, case_docs=[
        case_doc("api.a", title=title), case_doc("api.b"), case_doc("performance.p")],
        observe=lambda c, m: cell(c, m, observed=spawn if m == "spawn" else 1))
    doc["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    doc["harness"]["environment"]["not_selected"] = {"by": selection, "cells": []}
    return doc


def test_the_order_files_are_given_in_changes_nothing() -> None:
    """An older --quick run and a newer interrupted one of the same column: the column's fields,
    the case's entry, each missing cell's reason and each cell's face are the newest run's,
    whichever file comes first (they were the first file's)."""
    old = _run("2026-01-01T01:00:00+00:00", 1, "old title", "-k 'a or b'")
    old["harness"]["environment"]["left_out"] = {"performance": "quick"}
    new = _run("2026-01-01T02:00:00+00:00", 2, "new title", "-k 'b or a'")
    new["harness"]["environment"].update({"interrupted": True, "partial_cause": "SIGTERM"})
    ab, ba = _both_ways(old, new)
    assert ab == ba
    assert next(c for c in ab["cases"] if c["id"] == "api.a")["title"] == "new title"
    spawn = next(c for c in ab["results"] if (c["case"], c["method"]) == ("api.a", "spawn"))
    assert spawn["observed"] == 2
    perf = next(c for c in ab["results"] if c["case"] == "performance.p")
    assert perf["detail"] == "not run (interrupted)"  # the newest run's reason


@pytest.mark.parametrize("older, newer", [
    ("2026-01-01T03:00:00+02:00", "2026-01-01T02:00:00+00:00"),  # 01:00 UTC, an hour older
    ("yesterday", "2026-01-01T02:00:00Z"),  # not a time: the oldest
    ("2026-01-01T02:00:00", "2026-01-01T01:00:00+00:00"),  # no offset: not comparable
])
def test_the_newest_run_is_read_in_utc(older: str, newer: str) -> None:
    """Times compare in UTC, not as text; a run whose time is not an ISO 8601 time with an
    offset counts as the oldest (a "yesterday" made its run the face of every cell)."""
    ab, ba = _both_ways(_run(older, 1, "t", "-k x"), _run(newer, 2, "t", "-k x"))
    assert ab == ba
    spawn = next(c for c in ab["results"] if (c["case"], c["method"]) == ("api.a", "spawn"))
    assert spawn["observed"] == 2


def test_a_time_that_is_not_one_is_said_in_one_line(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "linux-cpython-3.12.json"
    path.write_text(json.dumps(_run("yesterday", 1, "t", "-k x")), encoding="utf-8")
    loaded, rejected = loading.load_results([str(path)])
    assert len(loaded) == 1 and rejected == []  # kept: only its place among runs is unknown
    err = capsys.readouterr().err
    assert err == ("harness: warning: %s: environment.timestamp 'yesterday' is not an ISO 8601 "
                   "time: this run counts as the oldest of its column\n" % path)
