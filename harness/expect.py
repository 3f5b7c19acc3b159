"""Pure functions that pick the expectation rule for an environment and judge an outcome.

Work on the dict form of rules (as stored in results files and ``matrix.json``), so the same
code judges a fresh run and re-judges merged data. Standard library only, Python 3.8 syntax.
"""

from __future__ import annotations

import operator
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from harness.guest.words import CHILD_DIED
from harness.results import NO_RESULT, hang_said
from harness.text import same_value, short
from harness.vocab import Outcome, Verdict

__all__ = ["expectation_text", "matches_env", "parse_version", "select_rule", "verdict_for",
           "version_key"]

_OPS: Dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_COMPARISON = re.compile(r"^\s*(>=|<=|>|<|==|!=)?\s*(\d+(?:\.\d+)*)\s*$")


def parse_version(text: str) -> Tuple[int, ...]:
    """``"3.12.1"`` → ``(3, 12, 1)``; trailing non-digits (``3.15.0a1``, ``3.14t``) are dropped."""
    parts: List[int] = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group(0)))
    return tuple(parts)


_RELEASE = re.compile(r"^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?")


def version_key(text: str) -> Tuple[Any, ...]:
    """Sort key for a version: ``3.13`` < ``3.13.0`` < ``3.13.8`` < ``3.13.18``, and
    ``3.15.0a5`` < ``3.15.0b1`` < ``3.15.0rc1`` < ``3.15.0`` (a trailing ``t`` is ignored)."""
    found = _RELEASE.match(text)
    if not found:
        return ((), 0, "", 0)
    numbers = tuple(int(p) for p in found.group(1).split("."))
    if found.group(2):
        return (numbers, 0, found.group(2), int(found.group(3)))
    return (numbers, 1, "", 0)


def _version_matches(spec: str, version: str) -> bool:
    have = parse_version(version)
    for clause in spec.split(","):
        found = _COMPARISON.match(clause)
        if not found:
            raise ValueError("bad python condition %r" % spec)
        op, wanted_text = found.group(1), found.group(2)
        wanted = parse_version(wanted_text)
        if op is None:  # a bare "3.12" means that minor line
            if have[: len(wanted)] != wanted:
                return False
        elif not _OPS[op](have[: max(len(wanted), 2)], wanted):
            return False
    return True


def matches_env(conditions: Mapping[str, Any], env: Mapping[str, Any]) -> bool:
    """Whether an environment (``os``, ``implementation``, ``python_version``,
    ``free_threading``) satisfies a rule's ``when`` conditions."""
    for key, wanted in conditions.items():
        if key == "python":
            if not _version_matches(str(wanted), str(env.get("python_version", ""))):
                return False
        elif key == "os":
            if env.get("os") not in wanted:
                return False
        elif key == "impl":
            if env.get("implementation") not in wanted:
                return False
        elif key == "free_threading":
            if bool(env.get("free_threading")) != bool(wanted):
                return False
        else:
            raise ValueError("unknown condition %r" % key)
    return True


def select_rule(
    rules: Sequence[Mapping[str, Any]], method: str, env: Mapping[str, Any]
) -> Optional[Mapping[str, Any]]:
    """The first rule that names ``method`` (or ``*``) and whose conditions hold, or None."""
    for rule in rules:
        methods = rule.get("methods", ["*"])
        if "*" not in methods and method not in methods:
            continue
        if matches_env(rule.get("when", {}), env):
            return rule
    return None


def not_compared(verdict: object, outcome: object) -> bool:
    """An ``unexpected`` verdict on a cell where nothing ran: an ``unavailable`` cell can agree
    with the docs (fork on Windows) but never contradicts them, so it is no finding."""
    return verdict == Verdict.UNEXPECTED.value and outcome == Outcome.UNAVAILABLE.value


def verdict_for(rule: Optional[Mapping[str, Any]], result: Mapping[str, Any]) -> Verdict:
    """Compare one observed result (``outcome``, ``observed``, ``error``) with a rule."""
    if rule is None:
        return Verdict.NO_EXPECTATION
    if rule["outcome"] != result.get("outcome"):
        return Verdict.UNEXPECTED
    observed = result.get("observed")
    if rule["outcome"] == Outcome.OK and "value" in rule and not same_value(
            rule["value"], observed):
        return Verdict.UNEXPECTED
    if rule["outcome"] == Outcome.ERROR:
        err = result.get("error") or {}
        if rule.get("error_type") and rule["error_type"] != err.get("type"):
            return Verdict.UNEXPECTED
        if not rule.get("error_type") and err.get("type") == CHILD_DIED:
            return Verdict.UNEXPECTED  # a child that died is a crash, not a raised error
        if rule.get("contains") and rule["contains"] not in str(err.get("message", "")):
            return Verdict.UNEXPECTED
    detail = str(result.get("detail") or "")
    if rule["outcome"] == Outcome.TIMEOUT and rule.get("said") and (
            not detail.startswith(NO_RESULT) or str(rule["said"]) not in hang_said(detail)):
        return Verdict.UNEXPECTED  # a hang elsewhere, or after the case returned
    return Verdict.AS_EXPECTED


def expectation_text(rule: Optional[Mapping[str, Any]], limit: int = 60) -> str:
    """A rule in words, for the page's cells and the terminal's finding lines alike; its value
    shortened to ``limit`` (a cell is narrow; a finding line shows it as far as the observed
    value it is compared with)."""
    if not rule:
        return "no expectation"
    text = str(rule.get("outcome"))
    if "value" in rule:
        text += " " + short(rule["value"], limit)
    if rule.get("error_type"):
        text += " " + str(rule["error_type"])
    elif rule.get("outcome") == Outcome.ERROR:
        text += " (any type)" if not rule.get("contains") else ""
    if rule.get("contains"):
        text += " containing %s" % short(str(rule["contains"]), 40)
    if rule.get("said"):
        text += ' where it says "%s"' % short(str(rule["said"]), 90)
    if rule.get("inferred"):
        text += " (inferred from the documented mechanism)"
    if rule.get("from_implementation"):
        text += " (from the implementation, not the docs: %s)" % rule["from_implementation"]
    return text
