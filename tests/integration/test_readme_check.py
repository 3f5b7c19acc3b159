"""README's `python -m harness check` examples are real runs: each one whose fixture is a
folder in tests/fixtures/check/ is run again, as written, in that folder, and its output
compared with the README's (review r20 F1/F2: two examples had drifted from the code).

Masked before comparing: timings (``in 0.5 s``, pytest's ``in 0.41s``); the interpreter's
label (the README's ``3.11`` is the interpreter running these tests, as ``check --pytest``
picks by default); line wrapping (compared word by word); the order of the progress lines
(``check: 2/3 ...``, compared as a set: runs may end in another order).

Left out: the example of `tests/fixtures/check/patched_in_parent.py` (a file, not a folder):
it names `--python 3.14` (the Debian root's) and `pypy3.9`, which not every machine (nor CI
without its root) has, so its output cannot be reproduced everywhere.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = "tests/fixtures/check/"
_FOLDER = re.compile(r"`(%s[\w/]+)`" % re.escape(FIXTURES))
_PROMPT = "$ python -m harness check"
_TIME = re.compile(r"\b\d+(?:\.\d+)? ?s\b")
_PROGRESS = re.compile(r"^check: \d+/\d+ ")


def examples() -> List[Tuple[str, str, List[str]]]:
    """(fixture folder, command line, the README's output lines) of each example in a console
    block whose nearest fixture named before it is a folder."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.finditer(r"^( *)```console\n(.*?)^\1```", text, re.M | re.S):
        lines = [line[len(block.group(1)):] for line in block.group(2).splitlines()]
        if not lines or not lines[0].startswith(_PROMPT):
            continue
        named = _FOLDER.findall(text, 0, block.start())
        folder = named[-1] if named else ""
        if folder and (ROOT / folder).is_dir():
            found.append((folder, lines[0][2:], lines[1:]))
    return found


def _masked(lines: List[str]) -> Tuple[List[str], str]:
    """The progress lines (sorted) and the rest, word by word, timings masked."""
    lines = [_TIME.sub("T s", line) for line in lines]
    progress = sorted(_PROGRESS.sub("check: ", line) for line in lines if _PROGRESS.match(line))
    rest = [line for line in lines if not _PROGRESS.match(line)]
    return progress, " ".join(" ".join(rest).split())


def test_the_readme_has_the_examples_this_test_covers() -> None:
    """The parse finds the three --pytest examples (suite, hang_suite, collect_hang)."""
    assert sorted(folder for folder, _, _ in examples()) == [
        FIXTURES + "collect_hang", FIXTURES + "hang_suite", FIXTURES + "suite"]


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="the README's examples ran on CPython")
@pytest.mark.parametrize("folder,command,expected", examples(),
                         ids=[folder[len(FIXTURES):] for folder, _, _ in examples()])
def test_a_readme_check_example_is_what_check_says(folder: str, command: str,
                                                    expected: List[str]) -> None:
    label = "%d.%d" % sys.version_info[:2]
    argv = shlex.split(command)
    assert argv[:2] == ["python", "-m"]
    proc = subprocess.run([sys.executable, *argv[1:]], cwd=str(ROOT / folder),
                          capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="80"))
    said = (proc.stderr + proc.stdout).splitlines()
    readme = [re.sub(r"\b3\.11\b", label, line) for line in expected]
    assert _masked(said) == _masked(readme), "\n".join(said)
