"""Did a case's own code change between the runs behind two cells?

A comparison of two cells ("Changes between versions", ``harness diff``) is about Python only
when both ran the same case code. Each results file of format 1.4 records a digest of every
case's code (``harness.guest.case_digest``); the merge keeps them per run
(``runs[].case_digests``, matrix format 1.3). Older files have none: then the runs' commits
are all there is to go on.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, FrozenSet, Iterable, Mapping, Sequence, Tuple

__all__ = ["CHANGED", "COMMIT_CHARS", "SAME", "TWO_VERSIONS", "UNKNOWN", "CodeSide", "across",
           "changed_text", "commits_text", "of_them_text", "relation", "short_commit", "side",
           "unknown_text"]

#: Both sides ran the same case code (equal digests; or, without digests, one commit).
SAME = "same"
#: The digests differ: the case's code changed between the runs.
CHANGED = "changed"
#: No digest on some side and the runs' commits differ: the case may have changed.
UNKNOWN = "unknown"
#: What a ``code_changed`` cell's runs did (the claims' "undecided" and the finding counts).
TWO_VERSIONS = "ran two versions of the case"
#: How much of a commit the texts show (the page, summary.md, diff: ``short_commit``).
COMMIT_CHARS = 12


def short_commit(commit: str) -> str:
    """A commit as every text shows it: its first ``COMMIT_CHARS`` characters."""
    return commit[:COMMIT_CHARS]


@dataclasses.dataclass(frozen=True)
class CodeSide:
    """What the runs that fed one cell say about its case's code."""

    digests: FrozenSet[str]
    commits: FrozenSet[str]
    complete: bool  # every one of those runs recorded a digest for the case


def side(env: Mapping[str, Any], cell: Mapping[str, Any]) -> CodeSide:
    """The code side of ``cell`` (case, sources) in the column ``env`` (its ``runs``): the
    runs whose file fed the cell, or all the column's runs when the cell names none."""
    files = set(cell.get("sources") or ())
    runs = [r for r in env.get("runs") or () if isinstance(r, Mapping)]
    fed = [r for r in runs if r.get("file") in files] or runs
    case = cell.get("case")
    digests = [_digest(r, case) for r in fed]
    return CodeSide(frozenset(d for d in digests if d),
                    frozenset(str(r["git_commit"]) for r in fed if r.get("git_commit")),
                    bool(fed) and all(digests))


def _digest(run: Mapping[str, Any], case: Any) -> str:
    digests = run.get("case_digests")
    value = digests.get(case) if isinstance(digests, Mapping) else None
    return value if isinstance(value, str) else ""


def relation(a: CodeSide, b: CodeSide) -> str:
    """:data:`SAME`, :data:`CHANGED` or :data:`UNKNOWN` for the case code behind two cells.

    Digests decide when both sides have them (a column fed by runs of two versions of the case
    counts as changed: its cell cannot be set against one version). Without them, one commit
    on both sides is the same code; different commits are :data:`UNKNOWN`; no commit at all
    says nothing, as before digests existed (:data:`SAME`)."""
    if a.complete and b.complete:
        return SAME if len(a.digests) == 1 and a.digests == b.digests else CHANGED
    commits = a.commits | b.commits
    if a.commits and b.commits and len(commits) > 1:
        return UNKNOWN
    return SAME


def across(sides: Sequence[CodeSide]) -> Tuple[str, str]:
    """For cells set side by side (one per platform): :data:`CHANGED` with its text when any
    two ran different case code, else :data:`UNKNOWN` with its hedge, else (SAME, "")."""
    found = {relation(a, b): (a, b) for a, b in itertools.combinations(sides, 2)}
    if CHANGED in found:
        return CHANGED, changed_text(*found[CHANGED])
    if UNKNOWN in found:
        return UNKNOWN, unknown_text(*found[UNKNOWN])
    return SAME, ""


def commits_text(a: Iterable[str], b: Iterable[str]) -> str:
    """``commits 6a324db12345 → 8cfe95e0a1b2``, ``commit 6a324db12345`` when both are one, ""
    when neither is known."""
    old = sorted({short_commit(c) for c in a})
    new = sorted({short_commit(c) for c in b})
    if not old and not new:
        return ""
    if old == new and len(old) == 1:
        return "commit %s" % old[0]
    return "commits %s → %s" % (", ".join(old) or "unknown", ", ".join(new) or "unknown")


def changed_text(a: CodeSide, b: CodeSide) -> str:
    """Why a difference is not compared: ``the case's code changed between these runs
    (commits X → Y)``; ``(…, commit X: an uncommitted edit)`` when both ran one commit."""
    where = commits_text(a.commits, b.commits)
    if where.startswith("commit "):
        where += ": an uncommitted edit"
    return "the case's code changed between these runs%s" % (" (%s)" % where if where else "")


def of_them_text(n: int) -> str:
    """How many of the cells a count counts are ``code_changed`` cells (the page's and
    summary.md's finding counts): ``3 of these cells ran two versions of the case, each
    counted as its newest run``; "" for none."""
    return "%d of these cells %s, each counted as its newest run" % (n, TWO_VERSIONS) if n else ""


def unknown_text(a: CodeSide, b: CodeSide) -> str:
    """The hedge on a difference between runs of different commits without digests."""
    return "runs of %s record no case code digest: the case itself may have changed" % (
        commits_text(a.commits, b.commits))
