"""The article's claims against the catalog's counter-evidence (cases/claims.py): a failed
counter-evidence cell is no support, and the cells that test the article's own examples are
mapped."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from cases.claims import CLAIMS
from harness.documents import CellMeta
from tests.unit.report_synth import cell, results_doc
from tests.unit.test_report_claims import _results


def _claim(claim_id: str) -> Dict[str, Any]:
    return next(c for c in CLAIMS if c["id"] == claim_id)


#: What the claim's illustrating cells observe where it holds (spawn or forkserver).
_CLEAN = {"inheritance.global_assigned_in_main": "import-time",
          "inheritance.module_global_mutated_after_import": {"debug": False},
          "inheritance.module_imported_only_in_parent": {"in_child": False}}


@pytest.mark.parametrize("outcome", ["error", "crash", "timeout"])
@pytest.mark.parametrize("claim_id", ["spawn_fresh_interpreter", "forkserver_clean_state"])
def test_counter_evidence_that_failed_to_run_is_no_support(claim_id: str, outcome: str) -> None:
    """Every "arrives unpassed" cell raised, crashed or hung: the claim is not true there (it
    was, through `not`), nor refuted; those cells are named as undecided."""
    claim = dict(_claim(claim_id), scope={"os": ["linux"]})  # no gap for macOS/Windows data
    method = "spawn" if claim_id.startswith("spawn") else "forkserver"

    def observe(case_id: str, m: str) -> CellMeta:
        if case_id in _CLEAN:
            return cell(case_id, m, observed=_CLEAN[case_id])
        return cell(case_id, m, outcome=outcome, error={"type": "OSError", "message": "broke"})

    cases = sorted({c["case"] for c in claim["checks"]})
    (result,) = _results([claim], results_doc(version="3.12.1", methods=[method], cases=cases,
                                              observe=observe))
    assert result.overall == "partial"
    assert result.refuting == ()
    assert "Linux 3.12: inheritance.cwd_changed[%s] undecided" % method in result.gaps
