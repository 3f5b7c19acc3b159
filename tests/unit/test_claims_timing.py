"""Claims over timings (``faster_than``): a comparison decides only when both medians are
stable and their 95 % intervals do not overlap, else the cell is undecided and says why; and a
case a claim checks twice (a 256 MB and a 1 GB parent) is told apart wherever it is named."""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest

from cases.claims import CLAIMS
from harness import claimcheck, claimpred, loading, merge, render
from harness.documents import CellMeta
from tests.unit.report_synth import cell, partial_cell, results_doc, timing
from tests.unit.test_report_claims import NOW, _results

FASTER = {"faster_than": "forkserver", "path": ["median"]}


@pytest.mark.parametrize(("fork", "forkserver", "expected"), [
    (timing(4.0, 3.5, 4.5), timing(8.0, 7.0, 9.0), True),
    (timing(10.97, 9.826, 12.14), timing(8.0, 7.0, 9.0), False),
    # m0's Linux 3.14: forkserver's median is lower, but its spread is twice its median
    (timing(10.97, 9.826, 12.14), timing(3.172, 2.407, 7.941, unstable=True), None),
    # ... and the empty-parent point of the same run: the intervals overlap
    (timing(4.629, 3.224, 6.243), timing(7.746, 3.912, 11.44), None),
    # too few samples for an interval (``ci95`` null), or none recorded
    (timing(4.0, 3.5, 4.5), dict(timing(8.0), ci95=None), None),
    (timing(4.0, 3.5, 4.5), {"median": 8.0, "unit": "ms"}, None),
])
def test_a_timing_decides_only_beyond_its_noise(
        fork: Dict[str, Any], forkserver: Dict[str, Any], expected: Optional[bool]) -> None:
    """Medians alone took sides on noise (fork 10.97 ms vs an unstable forkserver 3.17 ms read
    "fork is slower"): both points must be stable and their intervals apart."""
    mine = partial_cell(case="p.x", environment="e", method="fork", outcome="ok", observed=fork)
    other = partial_cell(**dict(mine, method="forkserver", observed=forkserver))
    cells = {("p.x", "e", "fork"): mine, ("p.x", "e", "forkserver"): other}
    assert claimpred.holds(FASTER, mine, cells) is expected
    assert claimpred.too_noisy(FASTER, mine, cells) is (expected is None)


def test_noisy_timings_make_a_claim_undecided_and_say_why() -> None:
    """A claim whose only check compares noisy timings is undecided, with the reason."""
    claim = {"id": "c", "claim": "x", "checks": [
        {"case": "performance.a", "methods": ["fork"], "holds": FASTER}]}
    points = {"fork": timing(10.97, 9.826, 12.14),
              "forkserver": timing(3.172, 2.407, 7.941, unstable=True)}
    doc = results_doc(version="3.14.0", cases=["performance.a"],
                      observe=lambda c, m: cell(c, m, observed=points.get(m)))
    (result,) = _results([claim], doc)
    assert result.overall == "undecided" and result.refuting == ()
    assert claimcheck.undecided_text([e for v in result.per_environment for e in v.evidence]) \
        == "1 cell: timings too noisy to decide"


def _fork_fastest_doc() -> Any:
    """fork fastest with an empty parent, slower with a 1 GB one, too noisy with 256 MB."""
    points = {"fork": (timing(1.0), timing(20.0, 10.0, 30.0), timing(150.0)),
              "forkserver": (timing(5.0), timing(12.0), timing(12.0)),
              "spawn": (timing(30.0), timing(35.0), timing(40.0))}

    def observe(case_id: str, m: str) -> CellMeta:
        if case_id == "performance.start_latency":
            return cell(case_id, m, observed=points[m][0])
        return cell(case_id, m, observed={"points": list(points[m])})

    return results_doc(version="3.12.0", observe=observe, cases=[
        "performance.start_latency", "performance.start_latency_vs_parent_memory"])


def test_a_case_checked_twice_is_told_apart_on_the_page() -> None:
    """fork_fastest checks the parent-memory case with a 256 MB and a 1 GB parent: each
    environment's evidence and the "against it" line name which, and an undecided one says so
    in the claim's gaps."""
    claim = next(c for c in CLAIMS if c["id"] == "fork_fastest")
    (result,) = _results([claim], _fork_fastest_doc())
    (env,) = result.per_environment
    assert [(e.label, e.held) for e in env.evidence] == [
        ("", True), ("with a 256 MB parent", None), ("with a 1 GB parent", False)]
    assert "performance.start_latency_vs_parent_memory[fork, with a 256 MB parent]: timings " \
        "too noisy to decide in Linux 3.12" in result.gaps
    m = merge.merge([loading.Loaded.from_doc("f", _fork_fastest_doc())], now=NOW,
                    claims=[claim])
    html = render.render_html(m)
    row = html[html.index('data-claim="fork_fastest"'):]
    row = row[:row.index("</tr>")]
    # The link still ends with its method (the script reads it); the label follows it.
    assert "fork</a>, with a 1 GB parent ✗" in row
    assert "fork</a>, with a 256 MB parent ·" in row
    assert "start_<wbr>latency fork</a> ✓" in row
    assert "(fork, with a 1 GB parent)</a>" in row.split("against it:")[1]
    assert "256 MB" not in row.split("against it:")[1].split("</small>")[0]
