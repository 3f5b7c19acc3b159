"""Verdicts for the article's claims (``cases/claims.py``), computed from merged cells.

Pure functions over the ``matrix.json`` dict: ``claim_verdicts(matrix)`` gives, per claim, a
verdict per environment (``true`` / ``false`` / ``depends`` / ``partial`` / ``undecided`` /
``not-run``) with the evidence cells, and an overall verdict over the claim's whole scope. Cells
that ran but cannot decide (a hang that did not say where it blocked) are ``undecided``, never
``not-run``; beside cells where the claim held they make the environment ``partial``.
The overall verdict never says more than the data covers: a claim that held everywhere it was
checked, but whose scope has parts with no data (an operating system with no environment, an
in-scope environment with no usable cell, a per-OS check that matched no environment with data)
or undecided, reads ``partial`` ("true where run"), and ``gaps`` names those parts. Cells where
the claim failed are listed in ``refuting`` so the page can link them. Whether a claim's
predicate holds in one cell is ``claimpred``'s.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, cast

from harness.case_code import TWO_VERSIONS
from harness.casetext import inferred
from harness.claimpred import docs_decide, holds, too_noisy
from harness.documents import CaseEntry, MatrixCell, MatrixDoc, MatrixEnvironment, cells_by_key
from harness.expect import matches_env, select_rule
from harness.guest import words
from harness.guest.words import IMPL_NAMES, OPERATING_SYSTEMS, OS_METHODS, OS_NAMES
from harness.notrun import short_reason
from harness.results import column_labels, environment_names, minor_version

__all__ = ["ClaimResult", "EnvVerdict", "Evidence", "by_docs", "claim_verdicts", "overall",
           "undecided_text"]

#: Cell statuses that say nothing about a claim (a flaky cell ran: it makes a claim undecided).
_NO_DATA = (words.NOT_RUN, words.UNAVAILABLE, words.FLAKY)
#: An undecided cell's ``Evidence.outcome`` when its runs ran two versions of the case and
#: disagree (``code_changed``): which version the claim is about is not known.
_CODE_CHANGED = "code_changed"
#: ... and when a timing comparison it needs is within the noise (``claimpred.too_noisy``).
_NOISY = "too_noisy"
#: Why such a cell decides nothing, in the page's words (one wording, wherever it is said).
_NOISY_WHY = "timings too noisy to decide"


@dataclasses.dataclass(frozen=True)
class Evidence:
    """One cell used for a claim, and whether the claim held there (None: no usable data)."""

    case: str
    environment: str
    method: str
    status: str
    held: Optional[bool]
    outcome: str = ""  # the cell's outcome, for why a cell that ran decided nothing
    why: str = ""  # why a not-run cell did not run ("interrupted": ``notrun.short_reason``)
    #: What tells this cell's check apart from the claim's other checks of its case (the
    #: check's ``why``: "with a 1 GB parent"); "" when the case is checked once.
    label: str = ""

    @property
    def undecided(self) -> bool:
        """The cell ran (flaky, or ``code_changed``: more than once, disagreeing), but the claim
        cannot be decided from it."""
        return self.held is None and self.status not in (words.NOT_RUN, words.UNAVAILABLE)


@dataclasses.dataclass(frozen=True)
class EnvVerdict:
    environment: str
    verdict: str
    evidence: Tuple[Evidence, ...]

    @property
    def why(self) -> str:
        """Why a ``not-run`` environment did not run, when every evidence cell says the same
        ("interrupted"; "" otherwise); how much of a ``partial`` one decided ("1 of 3 cells
        decided": the page and summary.md say it after the verdict)."""
        if self.verdict == words.PARTIAL:
            cells = [e for e in self.evidence if e.status != words.UNAVAILABLE]
            not_run = sum(1 for e in cells if e.held is None and not e.undecided)
            return "%d of %d cells decided%s" % (
                sum(1 for e in cells if e.held is not None), len(cells),
                ", %d not run" % not_run if not_run else "")
        said = {e.why for e in self.evidence}
        return said.pop() if self.verdict == words.NOT_RUN and len(said) == 1 else ""


@dataclasses.dataclass(frozen=True)
class ClaimResult:
    id: str
    claim: str
    section: str
    note: str
    overall: str
    per_environment: Tuple[EnvVerdict, ...]
    cases: Tuple[str, ...]
    #: Parts of the claim's scope with no evaluated cell, each with the reason.
    gaps: Tuple[str, ...] = ()
    #: OS names where the claim was evaluated (for "true where run (Linux)").
    covered_os: Tuple[str, ...] = ()
    #: Cells where the claim did not hold (the evidence against it).
    refuting: Tuple[Evidence, ...] = ()


def by_docs(claim: Mapping[str, Any], cases: Mapping[str, CaseEntry],
            methods_of: Mapping[str, Sequence[str]], env: Mapping[str, Any]) -> str:
    """The claim's verdict where nothing ran, by the docs: each evidence cell replaced by what
    its case's expectation states (outcome and value); ``not-run`` where they decide nothing
    (no rule, an inferred one, a method the OS lacks, a rule that depends on the patch release,
    a predicate that needs a run) — and, as with data, never plainly true with a check
    undecided."""
    held: List[Optional[bool]] = []
    offered = OS_METHODS.get(str(env.get("os")), ())
    for check in claim.get("checks", []):
        case = cases.get(check["case"])
        if case is None or not matches_env(check.get("when", {}), env):
            continue
        wanted = check.get("methods", ["*"])
        for method in methods_of.get(check["case"], ()) if "*" in wanted else wanted:
            if method not in offered:
                continue  # fork on Windows: no cell there, run or documented
            rules = case.get("expect") or []
            rule = select_rule(rules, method, env)
            if not rule or inferred(rule) or rule.get("outcome") == words.UNAVAILABLE or \
                    _by_patch(rules, method, minor_version(env)) or \
                    not docs_decide(check["holds"], "value" in rule):
                held.append(None)
                continue
            stated = {"case": check["case"], "environment": "", "method": method,
                      "outcome": rule["outcome"], "observed": rule.get("value")}
            held.append(holds(check["holds"], cast("MatrixCell", stated), {}))
    verdict = _combine(held)
    return words.NOT_RUN if verdict == words.HOLDS and None in held else verdict


def _by_patch(rules: Sequence[Mapping[str, Any]], method: str, minor: str) -> bool:
    """Whether the rules for ``method`` change within the ``minor`` version (``>=3.14.1``): a
    grid slot names no patch release, so the docs cannot say which one it is."""
    return any(v.startswith(minor + ".")
               for r in rules if "*" in r.get("methods", ["*"]) or method in r.get("methods", [])
               for v in re.findall(r"\d+\.\d+\.\d+", str(r.get("when", {}).get("python", ""))))


def _combine(held: Sequence[Optional[bool]]) -> str:
    known = [h for h in held if h is not None]
    if not known:
        return words.NOT_RUN
    if all(known):
        return words.HOLDS
    if not any(known):
        return words.FAILS
    return words.DEPENDS


def _env_verdict(evidence: Sequence[Evidence]) -> str:
    """One environment's verdict: ``undecided`` (not ``not-run``) when cells ran but none
    decides; ``partial`` (true where run), as ``by_docs``, never plainly true with a cell
    undecided or not run (PyPy 3.11's fork_fastest read "true" from 1 of its 3 cells; a `-k`
    run that left the refuting checks out, from the one it kept). A method the platform lacks
    (``unavailable``) is outside the claim there, not a gap."""
    verdict = _combine([e.held for e in evidence])
    if verdict == words.NOT_RUN and any(e.undecided for e in evidence):
        return words.UNDECIDED
    if verdict == words.HOLDS and any(e.held is None and e.status != words.UNAVAILABLE
                                      for e in evidence):
        return words.PARTIAL
    return verdict


def undecided_text(evidence: Sequence[Evidence]) -> str:
    """Why cells that ran decide nothing, counted: "44 cells hung without recording where"."""
    counts: Dict[str, int] = {}
    for e in evidence:
        if e.undecided:
            counts[e.outcome] = counts.get(e.outcome, 0) + 1
    return "; ".join(_undecided_why(outcome, "%d cell%s" % (n, "" if n == 1 else "s"))
                     for outcome, n in sorted(counts.items()))


def _cell_name(e: Evidence) -> str:
    """ "performance.x[fork]", or "performance.x[fork, with a 1 GB parent]" for a case the claim
    checks more than once."""
    return "%s[%s]" % (e.case, e.method + (", " + e.label if e.label else ""))


def _undecided_why(outcome: str, cells: str) -> str:
    """ "44 cells hung without recording where" (``cells``: "44 cells", "its cells"), in the
    page's words: a timeout is a hang."""
    if outcome == words.TIMEOUT:  # a hang_at check whose cell did not say where it blocked
        return "%s hung without recording where" % cells
    if outcome == words.FLAKY:
        return "%s ran more than once and the runs disagree" % cells
    if outcome == _CODE_CHANGED:
        return "%s %s, and the runs disagree" % (cells, TWO_VERSIONS)
    if outcome == _NOISY:
        return "%s: %s" % (cells, _NOISY_WHY)
    return "%s ran (%s) without the data that decides it" % (cells, outcome or "?")


def overall(verdicts: Sequence[str], gaps: Sequence[str] = ()) -> str:
    """One verdict over the claim's scope: the same everywhere it was decided, else
    ``depends``; ``true`` with parts of the scope not run (or undecided, as in a ``partial``
    environment) is only ``partial``; nothing decided but cells ran: ``undecided``."""
    known = {words.HOLDS if v == words.PARTIAL else v for v in verdicts
             if v not in (words.NOT_RUN, words.UNDECIDED)}
    if not known:
        return words.UNDECIDED if words.UNDECIDED in verdicts else words.NOT_RUN
    verdict = known.pop() if len(known) == 1 else words.DEPENDS
    partial = bool(gaps) or words.PARTIAL in verdicts
    return words.PARTIAL if verdict == words.HOLDS and partial else verdict


def _scope_os(claim: Mapping[str, Any]) -> List[str]:
    wanted = claim.get("scope", {}).get("os")
    return [o for o in OPERATING_SYSTEMS if wanted is None or o in wanted]


def _gaps(claim: Mapping[str, Any], environments: Sequence[MatrixEnvironment],
          per_env: Sequence[EnvVerdict], said: bool = False) -> List[str]:
    """The parts of a claim's scope that no evaluated cell speaks for, in words a reader
    knows ("macOS: no environment with data", "Linux 3.8, 3.9: no usable cell"); ``said``: the
    overall verdict is undecided and says why (``undecided_text``), so the gaps do not."""
    with_data = {v.environment for v in per_env if v.verdict != words.NOT_RUN}
    envs = {e["id"]: e for e in environments}
    labels, names = column_labels(environments), environment_names(environments)
    scope = _scope_os(claim)
    undecided: List[str] = []
    unrun: Dict[str, List[str]] = {}  # "case[method]" -> the environments that did not run it
    noisy: Dict[str, List[str]] = {}  # "case[method]" -> where its timings were too noisy
    by_why: Dict[Tuple[str, str], List[str]] = {}  # (OS, why) -> its environments' labels
    for v in per_env:
        env = envs[v.environment]
        if v.verdict == words.NOT_RUN and env.get("os") in scope:
            why = ("not run (%s)" % v.why if v.why else "no usable cell") if v.evidence else \
                "no check applies"
            by_why.setdefault((str(env.get("os")), why), []).append(labels[v.environment])
        elif v.verdict == words.UNDECIDED and env.get("os") in scope:
            # Ran, decided nothing: said apart from "no usable cell" (its cells did run).
            why = "undecided" + ("" if said else " (%s)" % "; ".join(
                _undecided_why(o, "its cells")
                for o in sorted({e.outcome for e in v.evidence if e.undecided})))
            by_why.setdefault((str(env.get("os")), why), []).append(labels[v.environment])
        elif v.verdict not in (words.NOT_RUN, words.UNDECIDED):  # decided by its other cells
            undecided.extend("%s: %s undecided" % (names[v.environment], _cell_name(e))
                             for e in v.evidence if e.undecided and e.outcome != _NOISY)
            for e in v.evidence:  # one line per check: there are many (23 on 11 Linux envs)
                if e.undecided and e.outcome == _NOISY:
                    noisy.setdefault(_cell_name(e), []).append(names[v.environment])
            # A partial run (-k, --quick) decided on some of its cells only: not the whole claim.
            for e in v.evidence:
                if e.status == words.NOT_RUN:
                    unrun.setdefault(_cell_name(e), []).append(
                        names[v.environment] + (" (%s)" % e.why if e.why else ""))
    gaps: List[str] = []
    missing = set()
    for os_name in scope:
        if any(envs[i].get("os") == os_name for i in with_data):
            continue
        missing.add(os_name)
        if any(key[0] == os_name for key in by_why):
            continue  # its environments are named below, with why
        # Its environments ran, but none is in a scope that names more than OSes (3.14+).
        outside = {k: v for k, v in claim.get("scope", {}).items() if k != "os"}
        ran = any(e.get("os") == os_name for e in environments)
        gaps.append("%s: %s" % (OS_NAMES.get(os_name, os_name),
                                "no environment of %s with data" % _conditions(outside)
                                if ran and outside else "no environment with data"))
    gaps.extend("%s %s: %s" % (OS_NAMES.get(os_name, os_name), ", ".join(labels), why)
                for (os_name, why), labels in by_why.items())
    gaps.extend(undecided)
    gaps.extend("%s: not run in %s" % (cell, ", ".join(where)) for cell, where in unrun.items())
    gaps.extend("%s: %s in %s" % (cell, _NOISY_WHY, ", ".join(where))
                for cell, where in noisy.items())
    for check in claim.get("checks", []):
        when = check.get("when", {})
        if not when or any(matches_env(when, envs[e]) for e in with_data):
            continue
        wanted_os = when.get("os")
        if wanted_os and set(wanted_os if isinstance(wanted_os, list) else [wanted_os]) \
                <= missing:
            continue  # "Windows: no environment with data" says it already
        gaps.append("its check of %s where %s: no environment with data" % (
            check["case"], _conditions(when)))
    return gaps


def _conditions(when: Mapping[str, Any]) -> str:
    """A ``when`` or scope in a reader's words: "Linux/macOS, Python >=3.14"."""
    parts = []
    for key, wanted in sorted(when.items(), key=lambda kv: (kv[0] != "os", kv[0])):
        names = wanted if isinstance(wanted, list) else [wanted]
        if key == "os":
            parts.append("/".join(OS_NAMES.get(str(n), str(n)) for n in names))
        elif key == "python":
            parts.append("Python %s" % wanted)
        elif key == "impl":
            parts.append("/".join(IMPL_NAMES.get(str(n), str(n)) for n in names))
        elif key == "free_threading":
            parts.append("free-threaded" if wanted else "not free-threaded")
        else:
            parts.append("%s %s" % (key, "/".join(str(n) for n in names)))
    return ", ".join(parts)


def _evidence(check: Mapping[str, Any], cell: MatrixCell, cells: Mapping[Tuple[str, str, str],
              MatrixCell], label: str) -> Evidence:
    """One cell that ran, with whether the check held there (or why it decides nothing)."""
    changed = bool(cell.get("code_changed"))  # undecided, as a flaky cell is
    held = None if changed else holds(check["holds"], cell, cells)
    outcome = _CODE_CHANGED if changed else _NOISY if held is None and too_noisy(
        check["holds"], cell, cells) else str(cell.get("outcome", ""))
    return Evidence(check["case"], cell["environment"], cell["method"], str(cell.get("status")),
                    held, outcome, label=label)


def claim_verdicts(matrix: MatrixDoc) -> List[ClaimResult]:
    """Every claim in ``matrix["claims"]`` with its verdict per environment."""
    cells = cells_by_key(matrix)
    methods_of: Dict[Tuple[str, str], List[str]] = {}
    for case_id, env_id, method in cells:
        methods_of.setdefault((case_id, env_id), []).append(method)
    out: List[ClaimResult] = []
    for claim in matrix.get("claims", []):
        checked = Counter(c["case"] for c in claim.get("checks", []))
        per_env: List[EnvVerdict] = []
        for env in matrix["environments"]:
            if not matches_env(claim.get("scope", {}), env):
                continue
            evidence: List[Evidence] = []
            for check in claim.get("checks", []):
                if not matches_env(check.get("when", {}), env):
                    continue
                wanted = check.get("methods", ["*"])
                present = methods_of.get((check["case"], env["id"]), [])
                methods = present if "*" in wanted else list(wanted)
                label = str(check.get("why", "")) if checked[check["case"]] > 1 else ""
                if not methods:
                    evidence.append(Evidence(check["case"], env["id"], "*", words.NOT_RUN, None,
                                             label=label))
                for method in methods:
                    cell = cells.get((check["case"], env["id"], method))
                    if cell is None or cell.get("status") in _NO_DATA:
                        status = cell.get("status", words.NOT_RUN) if cell else words.NOT_RUN
                        evidence.append(Evidence(
                            check["case"], env["id"], method, str(status), None, str(status),
                            short_reason(cell) if cell and status == words.NOT_RUN else "",
                            label))
                        continue
                    evidence.append(_evidence(check, cell, cells, label))
            per_env.append(EnvVerdict(env["id"], _env_verdict(evidence), tuple(evidence)))
        gaps = _gaps(claim, matrix["environments"], per_env,
                     overall([v.verdict for v in per_env]) == words.UNDECIDED)
        envs = {e["id"]: e for e in matrix["environments"]}
        out.append(ClaimResult(
            id=claim["id"], claim=claim["claim"], section=claim.get("section", ""),
            note=claim.get("note", ""), overall=overall([v.verdict for v in per_env], gaps),
            per_environment=tuple(per_env),
            cases=tuple(sorted({c["case"] for c in claim.get("checks", [])})),
            gaps=tuple(gaps),
            covered_os=tuple(o for o in OPERATING_SYSTEMS if any(
                envs[v.environment].get("os") == o for v in per_env
                if v.verdict not in (words.NOT_RUN, words.UNDECIDED))),
            refuting=tuple(e for v in per_env for e in v.evidence if e.held is False)))
    return out
