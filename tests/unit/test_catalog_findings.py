"""The README's Findings section against the catalog and the checked-in sample run: every case
it names exists, and every case the sample records as a mismatch with the docs is explained
there (a finding nobody wrote up is a finding hidden)."""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Set

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.guest import catalog, words  # noqa: E402

#: A case id in backticks: its category (words.CATEGORIES, the one list), a dot, its name.
CASE_ID = re.compile(r"`((?:%s)\.[a-z0-9_]+)`" % "|".join(map(re.escape, words.CATEGORIES)))


def _findings() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Findings\n", 1)[1].split("\n## ", 1)[0]


def _named() -> Set[str]:
    return set(CASE_ID.findall(_findings()))


def test_every_case_the_findings_name_exists() -> None:
    for name in words.CATEGORIES:  # each category's module imports its parts
        importlib.import_module("cases." + name)
    known = {c.id for c in catalog.all_cases()}
    assert _named(), "no case id found in the Findings section"
    assert _named() <= known, sorted(_named() - known)


def test_every_mismatch_of_the_sample_run_is_a_finding() -> None:
    unexpected = set()
    for path in sorted((ROOT / "reports" / "sample").glob("*.json")):
        for test in json.loads(path.read_text(encoding="utf-8"))["tests"]:
            meta = test.get("metadata") or {}
            if meta.get("verdict") == words.UNEXPECTED and meta.get("outcome") != words.UNAVAILABLE:
                unexpected.add(meta["case"])
    assert unexpected, "the sample records no mismatch: this test would prove nothing"
    assert unexpected <= _named(), sorted(unexpected - _named())

