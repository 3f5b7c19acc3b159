"""The article's claims: verdicts per environment from mapped cells, and the claims data."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest

from cases.claims import CLAIMS
from harness import claimcheck, merge
from tests.unit.report_synth import cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
ARTICLE = Path("/work/shared/reference/article.txt")

CLAIM = {"id": "c", "claim": "x", "checks": [
    {"case": "methods.a", "methods": ["fork", "spawn"], "holds": {"equals": "yes"}}]}


def _verdicts(claims: List[Dict[str, Any]], *docs: Dict[str, Any]) -> Dict[str, str]:
    m = merge.merge([merge.Loaded.from_doc("f%d" % i, d) for i, d in enumerate(docs)], now=NOW,
                    claims=claims)
    (result,) = claimcheck.claim_verdicts(m)
    verdicts = {v.environment: v.verdict for v in result.per_environment}
    verdicts["overall"] = result.overall
    return verdicts


def _obs(values: Dict[str, Any]) -> Any:
    return lambda c, m: cell(c, m, observed=values.get(m, "no"))


def test_true_false_depends_and_overall() -> None:
    """All evidence holds → true; none → false; some → depends; overall mixes to depends."""
    v = _verdicts([CLAIM], results_doc(version="3.11.0", observe=_obs({"fork": "yes",
                                                                       "spawn": "yes"})),
                  results_doc(version="3.12.0", observe=_obs({})),
                  results_doc(version="3.13.0", observe=_obs({"fork": "yes"})))
    assert v == {"linux-cpython-3.11": "true", "linux-cpython-3.12": "false",
                 "linux-cpython-3.13": "depends", "overall": "depends"}


def test_no_data_is_not_run_never_true() -> None:
    """A claim whose cells were not run (or are unavailable/flaky) is `not-run`."""
    unavailable = lambda c, m: cell(c, m, outcome="unavailable")  # noqa: E731
    v = _verdicts([CLAIM], results_doc(version="3.11.0", cases=["methods.other"]),
                  results_doc(version="3.12.0", observe=unavailable))
    assert v == {"linux-cpython-3.11": "not-run", "linux-cpython-3.12": "not-run",
                 "overall": "not-run"}
    no_checks = {"id": "n", "claim": "y", "checks": []}
    assert _verdicts([no_checks], results_doc())["overall"] == "not-run"


def test_scope_and_when_conditions() -> None:
    """Out-of-scope environments get no verdict; per-OS checks apply only on their OS."""
    claim = {"id": "s", "claim": "z", "scope": {"os": ["linux"]}, "checks": [
        {"case": "methods.a", "methods": ["*"], "when": {"python": ">=3.12"},
         "holds": {"outcome": "ok"}}]}
    v = _verdicts([claim], results_doc(version="3.11.0"), results_doc(version="3.12.0"),
                  results_doc(version="3.12.0", os_name="windows"))
    assert v == {"linux-cpython-3.11": "not-run", "linux-cpython-3.12": "true",
                 "overall": "true"}


@pytest.mark.parametrize(("pred", "observed", "expected"), [
    ({"path": ["a"], "equals": 1}, {"a": 1}, True),
    ({"path": ["a"], "equals": 1}, {"b": 1}, False),
    ({"path": [0], "in": ["x", "y"]}, ["y"], True),
    ({"path": [], "contains": "fork"}, ["spawn"], False),
    ({"path": [], "excludes": "fork"}, ["spawn"], True),
    ({"path": [], "contains_all": ["a", "b"]}, ["b", "a", "c"], True),
    ({"not": {"equals": 3}}, 3, False),
    ({"any": [{"equals": 3}, {"equals": 4}]}, 4, True),
    ({"outcome": ["timeout"]}, 1, False),
])
def test_predicates(pred: Dict[str, Any], observed: Any, expected: bool) -> None:
    """Claim predicates are evaluated over the observed value."""
    c = {"case": "k.a", "environment": "e", "method": "fork", "outcome": "ok",
         "observed": observed}
    assert claimcheck.holds(pred, c, {}) is expected


def test_faster_than_compares_the_same_environment() -> None:
    """`faster_than` compares medians of two methods' cells; missing numbers → undecided."""
    fork = {"case": "p.x", "environment": "e", "method": "fork", "outcome": "ok",
            "observed": {"median": 1.0, "unit": "ms"}}
    spawn = dict(fork, method="spawn", observed={"median": 5.0, "unit": "ms"})
    cells = {("p.x", "e", "fork"): fork, ("p.x", "e", "spawn"): spawn}
    pred = {"faster_than": "spawn", "path": ["median"]}
    assert claimcheck.holds(pred, fork, cells) is True
    assert claimcheck.holds({"faster_than": "fork", "path": ["median"]}, spawn, cells) is False
    assert claimcheck.holds({"faster_than": "forkserver", "path": ["median"]}, fork,
                            cells) is None


def test_claims_data_is_well_formed_and_unique() -> None:
    """Every claim has a unique id, a paraphrase, and checks with a case and a predicate."""
    ids = [c["id"] for c in CLAIMS]
    assert len(ids) == len(set(ids)) >= 12
    for claim in CLAIMS:
        assert claim["claim"] and claim["section"]
        for check in claim["checks"]:
            assert "." in check["case"] and isinstance(check["holds"], dict)


@pytest.mark.skipif(not ARTICLE.exists(), reason="reference article not present")
def test_claims_are_paraphrased_not_copied() -> None:
    """No claim shares a run of 7 words with the article (paraphrase, not quotation)."""
    words = lambda t: re.findall(r"[a-z0-9']+", t.lower().replace("’", "'"))  # noqa: E731
    article = words(ARTICLE.read_text(encoding="utf-8"))
    grams = {tuple(article[i:i + 7]) for i in range(len(article) - 6)}
    for claim in CLAIMS:
        w = words(claim["claim"])
        copied = [" ".join(w[i:i + 7]) for i in range(len(w) - 6) if tuple(w[i:i + 7]) in grams]
        assert not copied, (claim["id"], copied)
