"""Claims over timings (``faster_than``): a comparison decides only when both medians are
stable and their 95 % intervals do not overlap, else the cell is undecided and says why; and a
case a claim checks twice (a 256 MB and a 1 GB parent) is told apart wherever it is named."""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import pytest

from cases.claims import CLAIMS
from harness import claimcheck, claimpred, loading, merge, render, summary
from harness.documents import CellMeta, MatrixDoc
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


def _points_doc(points: Dict[str, Any], version: str = "3.11.0") -> Any:
    """fork_fastest's cases, each method's (empty, 256 MB, 1 GB) points as given."""
    def observe(case_id: str, m: str) -> CellMeta:
        if case_id == "performance.start_latency":
            return cell(case_id, m, observed=points[m][0])
        return cell(case_id, m, observed={"points": list(points[m])})

    return results_doc(version=version, observe=observe, cases=[
        "performance.start_latency", "performance.start_latency_vs_parent_memory"])


def _fork_fastest_doc() -> Any:
    """fork fastest with an empty parent, slower with a 1 GB one, too noisy with 256 MB."""
    return _points_doc({"fork": (timing(1.0), timing(20.0, 10.0, 30.0), timing(150.0)),
                        "forkserver": (timing(5.0), timing(12.0), timing(12.0)),
                        "spawn": (timing(30.0), timing(35.0), timing(40.0))}, "3.12.0")


def _page(claim: Dict[str, Any], doc: Any) -> Tuple[MatrixDoc, str, str]:
    """The matrix of ``doc`` with ``claim``, its page, and the claim's row on it."""
    m = merge.merge([loading.Loaded.from_doc("f", doc)], now=NOW, claims=[claim])
    html = render.render_html(m)
    row = html[html.index('data-claim="%s"' % claim["id"]):]
    return m, html, row[:row.index("</tr>")]


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
    _, _, row = _page(claim, _fork_fastest_doc())
    # The link still ends with its method (the script reads it); the label follows it.
    assert "fork</a>, with a 1 GB parent ✗" in row
    assert "fork</a>, with a 256 MB parent ·" in row
    assert "start_<wbr>latency fork</a> ✓" in row
    assert "(fork, with a 1 GB parent)</a>" in row.split("against it:")[1]
    assert "256 MB" not in row.split("against it:")[1].split("</small>")[0]


def _parent_256mb() -> Dict[Any, Any]:
    """A 256 MB parent as m0's Linux 3.11 timed it: fork's interval overlaps spawn's, and lies
    wholly above forkserver's (fork decidedly slower)."""
    points = {"fork": timing(93.34, 76.19, 118.7), "spawn": timing(74.09, 70.38, 77.86),
              "forkserver": timing(24.77, 23.09, 27.12)}
    return {("p.x", "e", m): partial_cell(case="p.x", environment="e", method=m, outcome="ok",
                                          observed=p) for m, p in points.items()}


def test_one_decided_part_decides_all_and_any_beside_an_undecided_one() -> None:
    """Kleene logic: one false part makes ``all`` false and one true part makes ``any`` true
    whatever the undecided parts say; that is no "too noisy" (3.11's "fork is faster than
    both" read undecided beside a fork 4x slower than forkserver, and the claim true there)."""
    cells = _parent_256mb()
    fork = cells[("p.x", "e", "fork")]
    vs_spawn = {"faster_than": "spawn", "path": ["median"]}
    assert claimpred.holds(vs_spawn, fork, cells) is None
    assert claimpred.holds(FASTER, fork, cells) is False
    for pred, expected in (({"all": [vs_spawn, FASTER]}, False),
                           ({"any": [vs_spawn, {"not": FASTER}]}, True),
                           ({"all": [vs_spawn, {"not": FASTER}]}, None),
                           ({"any": [vs_spawn, FASTER]}, None)):
        assert claimpred.holds(pred, fork, cells) is expected, pred
        assert claimpred.too_noisy(pred, fork, cells) is (expected is None), pred


def test_a_slower_fork_beside_a_noisy_comparison_is_against_the_claim() -> None:
    """m0's Linux 3.11: fork fastest with an empty parent, decidedly slower than forkserver
    with a 256 MB one: "partly" there, that check against it, and not "too noisy" in the
    gaps."""
    claim = next(c for c in CLAIMS if c["id"] == "fork_fastest")
    points = {"fork": (timing(1.566), timing(93.34, 76.19, 118.7),
                       dict(timing(197.9), ci95=None)),  # too few samples for an interval
              "spawn": (timing(33.61), timing(74.09, 70.38, 77.86), timing(82.57)),
              "forkserver": (timing(9.638), timing(24.77, 23.09, 27.12),
                             timing(26.46, 20.1, 35.99, unstable=True))}
    (result,) = _results([claim], _points_doc(points))
    (env,) = result.per_environment
    assert [e.held for e in env.evidence] == [True, False, None]
    assert env.verdict == "depends"
    assert [e.label for e in result.refuting] == ["with a 256 MB parent"]
    assert not any("256 MB" in g for g in result.gaps), result.gaps


def test_true_beside_undecided_checks_is_true_where_run_and_says_how_much() -> None:
    """PyPy 3.11's fork_fastest: the 256 MB check held, the other two are too noisy. Its
    environment is not plainly "true" (the legend's "holds in every evidence cell"): it is
    "true where run", saying how many of its cells decided — on the page, in summary.md, and
    the overall over a true and such an environment is "true where run" too."""
    claim = next(c for c in CLAIMS if c["id"] == "fork_fastest")
    points = {"fork": (timing(5.6, 4.1, 8.0, unstable=True), timing(14.07), timing(50.59)),
              "spawn": (timing(69.94), timing(176.0), timing(181.6, unstable=True)),
              "forkserver": (timing(33.94), timing(32.14), timing(15.37, unstable=True))}
    (result,) = _results([claim], _points_doc(points))
    (env,) = result.per_environment
    assert [e.held for e in env.evidence] == [None, True, None]
    assert (env.verdict, env.why) == ("partial", "1 of 3 cells decided")
    assert result.overall == "partial"
    assert claimcheck.overall(["true", "partial"]) == "partial"
    m, html, row = _page(claim, _points_doc(points))
    assert 'class="v-partial env"' in row
    assert "◑ true where run (1 of 3 cells decided)" in row
    legend = html[html.index("<summary>How a verdict is computed"):]
    assert "cells decided" in legend[:legend.index("</details>")]  # the legend says it too
    assert "◑ true where run (1 of 3 cells decided)" in summary.render_summary(m)


def test_true_beside_cells_not_run_is_true_where_run_and_says_so() -> None:
    """A `-k` run that left the parent-memory case out: fork_fastest held in the one cell it
    kept, and read plainly "✓ true" while the checks that refute it on Linux 3.11 never ran
    (review r9 F1). A method the platform lacks is no gap."""
    def ev(held: Optional[bool], status: str = "ok") -> claimcheck.Evidence:
        return claimcheck.Evidence("p.x", "e", "fork", status, held)

    verdict = claimcheck._env_verdict([ev(True), ev(None, "not-run"), ev(None, "not-run")])
    env = claimcheck.EnvVerdict("e", verdict, (ev(True), ev(None, "not-run"),
                                               ev(None, "not-run")))
    assert (verdict, env.why) == ("partial", "1 of 3 cells decided, 2 not run")
    assert claimcheck._env_verdict([ev(True), ev(None, "unavailable")]) == "true"
    assert claimcheck._env_verdict([ev(False), ev(None, "not-run")]) == "false"
