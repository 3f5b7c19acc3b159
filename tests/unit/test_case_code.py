"""`case_code`: when two cells ran the same case code, by the digests their runs recorded."""

from __future__ import annotations

from typing import Any, Dict, Optional

from harness import case_code


def _run(name: str, commit: str, digest: Optional[str]) -> Dict[str, Any]:
    run: Dict[str, Any] = {"file": name, "git_commit": commit, "timestamp": None,
                           "runner": "local"}
    if digest is not None:  # results format 1.4; a 1.3 file records none
        run["case_digests"] = {"a.x": digest}
    return run


def _side(*runs: Dict[str, Any]) -> case_code.CodeSide:
    cell = {"case": "a.x", "sources": [r["file"] for r in runs]}
    return case_code.side({"runs": list(runs)}, cell)


def test_a_column_fed_by_a_file_without_digest_is_not_complete() -> None:
    """A column fed by a 1.3 file (no digest) and a 1.4 file: the 1.3 run may have run other
    case code, so against another commit the relation is unknown, not same."""
    mixed = _side(_run("old.json", "1" * 40, None), _run("new.json", "2" * 40, "aaaa"))
    assert not mixed.complete and mixed.digests == frozenset({"aaaa"})
    other = _side(_run("other.json", "3" * 40, "aaaa"))
    assert other.complete
    assert case_code.relation(mixed, other) == case_code.UNKNOWN
    assert case_code.relation(other, mixed) == case_code.UNKNOWN


def test_a_column_fed_by_two_versions_of_the_case_is_changed_even_against_the_same_two() -> None:
    """Two runs of one column recorded different digests: its cell cannot be set against one
    version of the case, so it is changed even when the other side has the same two."""
    two = _side(_run("p.json", "1" * 40, "aaaa"), _run("q.json", "2" * 40, "bbbb"))
    also_two = _side(_run("r.json", "1" * 40, "aaaa"), _run("s.json", "2" * 40, "bbbb"))
    assert two.complete and also_two.complete
    assert case_code.relation(two, also_two) == case_code.CHANGED
    one = _side(_run("t.json", "1" * 40, "aaaa"))
    assert case_code.relation(one, _side(_run("u.json", "2" * 40, "aaaa"))) == case_code.SAME
