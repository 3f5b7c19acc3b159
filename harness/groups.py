"""A case's cells grouped by behaviour, as its section on the page shows them: the cells that
observed the same thing against the same rule, with where they are in a line ("fork: all 9
environments; spawn: 3.8, 3.9"). Pure; ``harness.model`` builds the case views from it.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness import history, notrun
from harness.casetext import inferred
from harness.cellview import code_changed_line
from harness.changetext import series_label
from harness.documents import MatrixCell, error_field
from harness.expect import expectation_text
from harness.guest import words
from harness.text import canonical_json, keys_shown, short

__all__ = ["FULL_VALUE", "Group", "cell_anchor", "compared_between", "difference_lines",
           "differs_between", "groups"]


@dataclasses.dataclass(frozen=True)
class Group:
    """Cells of one case that behaved the same way."""

    status: str
    code: str
    text: str
    expected: str
    cells: Tuple[Tuple[str, str], ...]  # (anchor, "Linux 3.12 fork")
    detail: str
    where: str = ""  # the cells in a line: "fork: all 9 environments; spawn: 3.8, 3.9"
    inferred: bool = False  # the expectation is not stated by the docs (casetext.inferred)


def cell_anchor(case: str, env: str, method: str) -> str:
    return "x-%s~%s~%s" % (case, env, method)


#: "all but X, Y, Z" names at most this many environments (more: the group's own list).
_ALL_BUT_MAX = 3


def _where(members: Sequence[MatrixCell], all_cells: Sequence[MatrixCell],
           labels: Mapping[str, str], oses: Mapping[str, str]) -> str:
    """Where a group's cells are, per method: "all N environments" when that is all of them,
    "all but PyPy 3.9" when only a few (and fewer than half) are elsewhere, else the list, an
    OS whose every environment is there said once ("Linux (all 12), macOS 3.9")."""
    parts = []
    for method in words.START_METHODS:
        envs = [c["environment"] for c in members if c["method"] == method]
        if not envs:
            continue
        rest = [labels.get(c["environment"], c["environment"]) for c in all_cells
                if c["method"] == method and c["environment"] not in envs]
        if not rest and len(envs) > 1:
            text = "all %d environments" % len(envs)
        elif rest and len(rest) <= _ALL_BUT_MAX < len(envs):
            text = "all but %s" % ", ".join(rest)
        else:
            text = ", ".join(_by_os(envs, [c["environment"] for c in all_cells
                                           if c["method"] == method], labels, oses))
        parts.append("%s: %s" % (method, text))
    return "; ".join(parts)


def _by_os(envs: Sequence[str], everywhere: Sequence[str], labels: Mapping[str, str],
           oses: Mapping[str, str]) -> List[str]:
    """``envs`` named, those of an OS all of whose environments (``everywhere``) are there as one
    "Linux (all 12)" (CI's case sections listed 24 "Linux 3.9, Linux 3.10, …" a line)."""
    out: List[str] = []
    for env in envs:
        of_os = [e for e in everywhere if oses.get(e) == oses.get(env)]
        whole = "%s (all %d)" % (oses.get(env), len(of_os))
        if env not in oses or len(of_os) < 2 or not set(of_os) <= set(envs):
            out.append(labels.get(env, env))
        elif whole not in out:
            out.append(whole)
    return out


#: How far a group's value is shown when its usual cut would hide how it differs from another.
FULL_VALUE = 600


#: A rule's keys that pick its cells or cite it, not what it expects (``rules.Expect.to_dict``):
#: cells that met rules differing only in these read alike, so they are one group.
_RULE_SCOPE = ("methods", "when", "note", "source")


def _expects(rule: Any) -> Any:
    """What a rule expects, without where it applies or its citation."""
    return {k: v for k, v in rule.items() if k not in _RULE_SCOPE} if isinstance(rule, dict) \
        else rule


def _detail(cell: MatrixCell) -> str:
    """The line a group shows under its value: an error's message, or why a cell did not run
    or how it hung."""
    return error_field(cell, "message") or (notrun.detail_text(cell) if cell.get(
        "outcome") is None else str(cell.get("detail") or ""))


def _keys_apart(cell: MatrixCell, perf: bool) -> Optional[Tuple[str, str]]:
    """An ok cell's object value and the object its rule expects, as only the keys that differ
    ("ok {with_ctx: fork, …}", "ok {with_ctx: null, …}": ``text.keys_shown``, as changes
    between versions show them), so that a cut never hides the key that differs; None for
    anything else."""
    rule = cell.get("expected")
    if perf or cell.get("outcome") != words.OK or not isinstance(rule, dict) or \
            not isinstance(rule.get("value"), dict):
        return None
    texts = keys_shown([cell.get("observed"), rule["value"]])
    if not texts:
        return None
    outcome = str(rule.get("outcome"))
    rest = expectation_text({k: v for k, v in rule.items() if k != "value"})[len(outcome):]
    return "ok " + texts[0], "%s %s%s" % (outcome, texts[1], rest)


def groups(case_id: str, cells: List[MatrixCell], perf: bool, labels: Mapping[str, str],
           oses: Mapping[str, str], codes: Mapping[str, str]) -> List[Group]:
    """``cells`` of one case (in column order) grouped by behaviour; ``labels`` and ``oses``
    name an environment id, ``codes`` give a status its CSS code."""
    found: Dict[Tuple[str, str, str, str], List[MatrixCell]] = {}
    for cell in cells:
        text = (notrun.detail_text(cell) or "not run") if cell.get("outcome") is None \
            else history.describe(cell, perf)
        if perf and cell.get("outcome") == words.OK:
            text = "ok: measured (per-cell values in the tooltips and the Performance charts)"
        ran = cell.get("outcome") is not None
        # The texts are cut short; cells group only when what they observed and the rule
        # they met are the same in full, not just in their first 60-80 characters.
        same = canonical_json((cell.get("observed") if ran and not perf else None,
                       _expects(cell.get("expected")) if ran else None,
                       [history.describe(o, perf, limit=FULL_VALUE)  # a flaky cell's runs
                        for o in cell.get("observations") or []],
                       _detail(cell)))  # the line shown under the value: an error's message
        key = (str(cell.get("status")), text, expectation_text(cell.get("expected"))
               if ran else "", same)
        found.setdefault(key, []).append(cell)
    shown = collections.Counter(key[:3] for key in found)
    apart = {key: _keys_apart(members[0], perf) for key, members in found.items()}
    said = collections.Counter((key[0],) + pair for key, pair in apart.items() if pair)
    out = []
    for (status, cut_text, cut_expected, _same), members in found.items():
        first = members[0]
        text, expected = cut_text, cut_expected
        pair = apart[(status, cut_text, cut_expected, _same)]
        if pair and said[(status,) + pair] == 1:  # an object: the keys that differ, if unique
            text, expected = pair
        elif shown[(status, text, expected)] > 1:  # differ past the cut: show them in full
            text = history.describe(first, perf, limit=FULL_VALUE)
            expected = expectation_text(first.get("expected"), limit=FULL_VALUE)
        detail = _detail(first)
        if first.get("observations"):
            runs = "; ".join("%s → %s" % (o.get("source_file"), history.describe(o))
                             for o in first["observations"])
            detail = "%sruns: %s" % (code_changed_line(first) + "; " if first.get(
                "code_changed") else "", runs)
        named = tuple((cell_anchor(case_id, c["environment"], c["method"]), "%s %s" % (
            labels.get(c["environment"], c["environment"]), c["method"])) for c in members)
        out.append(Group(status, codes.get(status, "ne"), text, expected, named,
                         short(detail, 300), _where(members, cells, labels, oses),
                         inferred(first.get("expected"))))
    return out


#: What two series (``history.series_key``: os-implementation[-t][-arch]) can differ in, by
#: the position of their part, as the heading over a case's differences names it.
_ASPECTS = (("operating systems", lambda k: history.series_parts(k).os),
            ("implementations", lambda k: history.series_parts(k).implementation),
            ("free-threaded and default builds", lambda k: history.series_parts(k).free_threading),
            ("architectures", lambda k: history.series_parts(k).arch))


def differs_between(diffs: Sequence[history.PlatformDifference]) -> str:
    """What the series that disagree at one version differ in — "implementations", "operating
    systems or implementations" — for "Differs between …" (CPython against PyPy is not two
    platforms). Two series that behave differently and differ in one thing alone name it; when
    no such pair exists, what the differing pairs differ in."""
    return _apart_in([(a, b) for d in diffs for i, (a, text_a) in enumerate(d.by_series)
                      for b, text_b in d.by_series[i + 1:] if text_a != text_b])


def compared_between(at_one_version: Sequence[Sequence[str]]) -> str:
    """What this data's series that share a Python version differ in ("implementations"), in
    the words of ``differs_between``: what a difference between them can be; "" for none."""
    return _apart_in([(a, b) for group in at_one_version
                      for i, a in enumerate(group) for b in group[i + 1:]])


def _apart_in(pairs: Sequence[Tuple[str, str]]) -> str:
    alone: List[str] = []
    some: List[str] = []
    for a, b in pairs:
        apart = [w for w, part in _ASPECTS if part(a) != part(b)]
        (alone if len(apart) == 1 else some).extend(apart)
    found = [w for w, _p in _ASPECTS if w in (alone or some)]
    if not found:
        return ""
    return found[0] if len(found) == 1 else "%s or %s" % (", ".join(found[:-1]), found[-1])


def difference_lines(diffs: Sequence[history.PlatformDifference]) -> Tuple[str, ...]:
    """ "3.11 forkserver: Linux 3.11 error TypeError; Linux PyPy 3.11 error PicklingError"."""
    return tuple("%s %s: %s%s" % (d.version, d.method, "; ".join(
        "%s %s" % (series_label(s, d.version), text) for s, text in d.by_series),
        " (%s)" % d.code if d.code else "") for d in diffs)
