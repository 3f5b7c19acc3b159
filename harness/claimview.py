"""The article's claims as the page and summary.md show them: each claim's overall verdict,
qualified with its coverage of the target grid, and what the docs say where nothing ran.

Pure functions over ``claimcheck`` results and the grid (``Slot``); report side only.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness import claimcheck
from harness.documents import MatrixDoc
from harness.expect import matches_env
from harness.grid import Slot, scope_text
from harness.guest import words
from harness.guest.words import OS_NAMES
from harness.results import environment_names

__all__ = ["LEFT_OUT", "VERDICT_SYMBOLS", "ClaimView", "claim_scope_gaps", "claim_tally",
           "against_heading", "claim_view", "claims_against"]

#: What the page and summary.md say when the matrix has no claims: `report` was run without
#: the case catalog (a pip-installed harness has no cases/claims.py).
LEFT_OUT = ("Claims left out: this report was built without the case catalog (cases/), so the "
            "article's claims are not checked here. Build it with `python -m harness report` "
            "from the project's checkout.")
VERDICT_SYMBOLS = {words.HOLDS: "✓ true", words.FAILS: "✗ false", words.DEPENDS: "◐ partly",
                   words.PARTIAL: "◑ true where run", words.UNDECIDED: "◌ undecided",
                   words.NOT_RUN: "· not run"}


def claim_scope_gaps(claim: Mapping[str, Any], grid: Sequence[Slot]) -> List[Slot]:
    """The grid slots inside a claim's scope that have no data in this report."""
    return [s for s in grid if not s.envs and matches_env(claim.get("scope", {}), s.probe())]


@dataclasses.dataclass(frozen=True)
class ClaimView:
    result: claimcheck.ClaimResult
    overall: str  # what the Overall cell says: never a bare "true" with part of the scope unrun
    qualified: bool
    label: str = ""  # the verdict word ("◑ true where run" for a true with unrun scope)
    coverage: str = ""  # "on 9 of 32 OS × Python slots in its scope — no data: macOS; Windows"
    docs: str = ""  # "not run, by the docs: false on macOS; Linux 3.14 · true on Windows"
    mixed: bool = False  # the docs contradict the data's verdict: the claim is only partly true

    @property
    def verdict(self) -> str:
        """The label's key (the row's data-overall): "partial" for a true that is qualified."""
        if self.mixed:
            return words.DEPENDS
        qualified_true = self.qualified and self.result.overall == words.HOLDS
        return words.PARTIAL if qualified_true else self.result.overall

    @property
    def partial_os(self) -> str:
        """ "Linux, macOS" for a ``partial`` claim: where it was evaluated (and held)."""
        if self.result.overall != words.PARTIAL:
            return ""
        return ", ".join(OS_NAMES.get(o, o) for o in self.result.covered_os)


def claim_view(result: claimcheck.ClaimResult, claim: Mapping[str, Any],
               grid: Sequence[Slot], matrix: Optional[MatrixDoc] = None) -> ClaimView:
    """The Overall cell's text: the verdict, qualified with its coverage of the target grid
    whenever part of the claim's scope has no data (grid slots not run, in-scope environments
    without a usable cell, and the ``gaps`` claimcheck names), and what the docs say for the
    grid slots not run. A claim true where run that the docs say is false elsewhere reads
    "partly" (fork is the default on Unix: true on Linux 3.8–3.13, not on macOS or 3.14)."""
    gaps = claim_scope_gaps(claim, grid)
    placeholders = {str(e["id"]) for e in (matrix["environments"] if matrix else [])
                    if e.get("not_run")}  # an expected leg without results: a grid gap already
    unrun = [v.environment for v in result.per_environment
             if v.verdict == words.NOT_RUN and not (gaps and v.environment in placeholders)]
    named = [str(g) for g in getattr(result, "gaps", ()) or ()]
    text = VERDICT_SYMBOLS.get(result.overall, result.overall)
    # The docs speak for every slot without data: the grid's gaps and the environments in the
    # report where this claim's cells did not run (a partial run's Linux 3.14).
    no_data = [s for s in grid if s in gaps or set(s.envs) & set(unrun)]
    said, mixed = _by_docs(result, claim, no_data, matrix)
    docs = "not run, by the docs: " + said if said else ""
    tail = "; " + docs if docs else ""
    if result.overall in (words.HOLDS, words.FAILS, words.PARTIAL) and (gaps or unrun or named):
        if result.overall == words.HOLDS:
            text = VERDICT_SYMBOLS[words.PARTIAL]
        # Counted in OS × Python slots, as the line under the page's title counts them (two
        # patch releases of one version are two environments in one slot).
        slot_of = {e: s.key for s in grid for e in s.envs}
        ran = {slot_of.get(v.environment, v.environment) for v in result.per_environment
               if v.verdict not in (words.NOT_RUN, words.UNDECIDED)}
        undecided = {slot_of.get(v.environment, v.environment) for v in result.per_environment
                     if v.verdict == words.UNDECIDED}  # ran, decided nothing: not "no data"
        total = len(ran | undecided | {slot_of.get(e, e) for e in unrun}) + len(gaps)
        names = environment_names(matrix["environments"] if matrix else [])
        why_of = {v.environment: v.why for v in result.per_environment}
        not_run = "; ".join(p for p in (scope_text(gaps), ", ".join(
            names.get(e, e) + (" (%s)" % why_of[e] if why_of.get(e) else "") for e in unrun))
            if p)
        coverage = "on %d of %d OS × Python slots in its scope — %s" % (
            len(ran), total, "no data: " + not_run if not_run else
            "not decided: " + "; ".join(named))
        if mixed:  # keep what the data said: "partly — true where run, on 2 of 25 …"
            data = words.HOLDS if result.overall == words.PARTIAL else result.overall
            coverage = "— %s where run, %s" % (_word(data), coverage)
            text = VERDICT_SYMBOLS[words.DEPENDS]
        return ClaimView(result, "%s %s%s" % (text, coverage, tail), True, text, coverage, docs,
                         mixed)
    if said and result.overall == words.NOT_RUN:  # "· not run — by the docs: true on all 24 slots"
        tail = " — by the docs: " + said
    if result.overall == words.UNDECIDED:  # "◌ undecided: 44 cells hung without recording …"
        why = claimcheck.undecided_text([e for v in result.per_environment for e in v.evidence])
        return ClaimView(result, "%s: %s%s" % (text, why, tail), False, text, why, docs, mixed)
    return ClaimView(result, text + tail, False, text, "", docs, mixed)


def _by_docs(result: claimcheck.ClaimResult, claim: Mapping[str, Any], gaps: Sequence[Slot],
             matrix: Optional[MatrixDoc]) -> Tuple[str, bool]:
    """What the docs say where the claim was not run ("false on macOS; Linux 3.14 · true on
    Windows", or ""), and whether that contradicts the verdict from the data (the overall
    then reads "partly")."""
    if not gaps or matrix is None:
        return "", False
    cases = {str(c["id"]): c for c in matrix["cases"]}
    methods_of = matrix.get("case_methods", {})
    said: Dict[str, List[Slot]] = {}
    for slot in gaps:
        verdict = claimcheck.by_docs(claim, cases, methods_of, slot.probe())
        said.setdefault(verdict, []).append(slot)
    parts = ["%s on %s" % (_word(v), scope_text(said[v]))
             for v in (words.FAILS, words.DEPENDS) if said.get(v)]
    true = len(said.get(words.HOLDS, ()))
    if true:  # named beside another verdict ("the other 1" named nothing)
        parts.append("true on all %d slots" % true if not parts and not said.get(words.NOT_RUN)
                     else "true on " + scope_text(said[words.HOLDS]))
    if not parts:
        return "", False
    data = words.HOLDS if result.overall == words.PARTIAL else result.overall
    mixed = data not in (words.NOT_RUN, words.UNDECIDED) and any(
        v != data for v in said if v != words.NOT_RUN)
    return " · ".join(parts), mixed


def _word(verdict: str) -> str:
    """The verdict's word on the page, without its symbol: "true", "partly", "not run"."""
    return VERDICT_SYMBOLS[verdict].split(" ", 1)[1]


def claim_tally(claims: Sequence[ClaimView]) -> List[Tuple[str, int]]:
    """("false", 1), ("partly", 4), … — the Answers line's counts, worst first, zeros left
    out (the page's verdict words, without their symbols); "undecided" (cells ran, none
    decides) is counted apart from "not run"."""
    order = (words.FAILS, words.DEPENDS, words.PARTIAL, words.HOLDS, words.UNDECIDED,
             words.NOT_RUN)
    return [(_word(v), n) for v in order
            for n in [sum(1 for c in claims if c.verdict == v)] if n]


def claims_against(claims: Sequence[ClaimView]) -> List[ClaimView]:
    """The claims the report finds false or only partly true (the Answers line names them)."""
    return [c for c in claims if c.verdict in (words.FAILS, words.DEPENDS)]


def against_heading(against: Sequence[ClaimView]) -> str:
    """What the Answers line calls ``claims_against``'s list, from the verdicts in it: "false",
    "partly true", or "false or partly true" (never "false" when none is)."""
    found = {c.verdict for c in against}
    return " or ".join(w for v, w in ((words.FAILS, "false"), (words.DEPENDS, "partly true"))
                       if v in found)
