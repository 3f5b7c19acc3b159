"""`check --python NAME`: two patch releases of one minor version can each be named."""

from __future__ import annotations

import re
import sys
from typing import Tuple

import pytest

from harness import check, discovery


def _interp(version: Tuple[int, int, int], origin: str, path: str) -> discovery.Interpreter:
    return discovery.Interpreter(path=path, real_path=path, implementation="cpython",
                                 version=version, free_threading=False, origin=origin)


@pytest.fixture
def two_313(monkeypatch: pytest.MonkeyPatch) -> None:
    host = _interp((3, 13, 0), "pyenv", "/pyenv/3.13.0/bin/python")
    root = _interp((3, 13, 18), "root", "/root/sid-root:/usr/bin/python3.13")
    monkeypatch.setattr(discovery, "discover", lambda explicit=(): ([host], []))
    monkeypatch.setattr(discovery, "root_interpreters", lambda *a, **k: ([root], []))


@pytest.mark.parametrize(("name", "version"), [
    ("3.13", (3, 13, 0)),          # the shared name: the host's, as before
    ("3.13.0", (3, 13, 0)),
    ("3.13.18", (3, 13, 18)),      # the full release tells them apart
    ("3.13 (root)", (3, 13, 18)),  # the label check prints for the root's twin
])
def test_a_name_picks_one_release(two_313: None, name: str, version: Tuple[int, ...]) -> None:
    assert check.select_interpreters([name])[0].version == version


def test_labels_are_unique_so_no_result_is_dropped() -> None:
    """Results are keyed by label: two host interpreters of one minor version (Debian's 3.11.2
    and pyenv's 3.11.7) used to share "3.11", and one's results replaced the other's."""
    debian = _interp((3, 11, 2), "path", "/usr/bin/python3")
    pyenv = _interp((3, 11, 7), "pyenv", "/pyenv/3.11.7/bin/python")
    copy = _interp((3, 11, 7), "path", "/opt/py/bin/python3.11")
    root = _interp((3, 13, 18), "root", "/root/sid-root:/usr/bin/python3.13")
    host = _interp((3, 13, 0), "pyenv", "/pyenv/3.13.0/bin/python")
    everyone = [debian, pyenv, copy, root, host]
    labels = [check.label(i, everyone) for i in everyone]
    assert labels[:2] == ["3.11.2", "3.11.7 (/pyenv/3.11.7/bin/python)"]
    assert labels[3:] == ["3.13 (root)", "3.13"]
    assert len(set(labels)) == len(labels)
    assert check.label(debian, [debian, host]) == "3.11"


def test_a_name_left_out_or_unknown_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--python 3.7` named an interpreter discovery had left out as too old, and the error
    was "No such file or directory: '3.7'"."""
    host = _interp((3, 12, 1), "pyenv", "/pyenv/3.12.1/bin/python")
    old = discovery.Rejected("/pyenv/3.7.16/bin/python", "Python 3.7.16 is older than 3.8",
                             (3, 7, 16), "cpython")
    monkeypatch.setattr(discovery, "discover", lambda explicit=(): ([host], [old]))
    monkeypatch.setattr(discovery, "root_interpreters", lambda *a, **k: ([], []))
    with pytest.raises(ValueError, match=re.escape("found at /pyenv/3.7.16/bin/python but left "
                                                   "out: Python 3.7.16 is older than 3.8")):
        check.select_interpreters(["3.7"])
    with pytest.raises(ValueError, match=r"no interpreter of that name here \(found: 3.12;"):
        check.select_interpreters(["3.99"])


def test_a_name_is_compared_with_the_version_left_out_not_its_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`--python 3.8` with no 3.8 said "found at /usr/bin/python3.7 but left out": the reason
    "Python 3.7.17 is older than 3.8" holds the text 3.8. The version left out is compared."""
    host = _interp((3, 12, 1), "pyenv", "/pyenv/3.12.1/bin/python")
    old = discovery.Rejected("/usr/bin/python3.7", "Python 3.7.17 is older than 3.8",
                             (3, 7, 17), "cpython")
    twin = discovery.Rejected("/usr/bin/python3", "CPython 3.12.0: the name 3.12 goes to "
                              "CPython 3.12.1 at /pyenv/3.12.1/bin/python, found first; name "
                              "this path with --python to use it", (3, 12, 0), "cpython")
    monkeypatch.setattr(discovery, "discover", lambda explicit=(): ([host], [old, twin]))
    monkeypatch.setattr(discovery, "root_interpreters", lambda *a, **k: ([], []))
    with pytest.raises(ValueError, match=r"--python 3.8: no interpreter of that name here"):
        check.select_interpreters(["3.8"])
    for name in ("3.7", "3.7.17"):
        with pytest.raises(ValueError, match=re.escape("found at /usr/bin/python3.7 but left out")):
            check.select_interpreters([name])
    with pytest.raises(ValueError, match=re.escape(
            "found at /usr/bin/python3 but left out: CPython 3.12.0")):
        check.select_interpreters(["3.12.0"])
    with pytest.raises(ValueError, match=r"--python pypy3.7: no interpreter of that name"):
        check.select_interpreters(["pypy3.7"])


def test_discovery_records_the_version_it_left_out() -> None:
    """The reason is for people; the version and implementation are what names compare with."""
    # this interpreter, run with a query of ours that answers as CPython 3.7.17 would
    rejected = discovery.inspect_interpreter(sys.executable, command=(
        sys.executable, "-c", "import json, sys; json.dump({'implementation': 'cpython', "
        "'version': [3, 7, 17], 'free_threading': False, 'executable': ''}, sys.stdout)",
        "--"))
    assert rejected == discovery.Rejected(sys.executable, "Python 3.7.17 is older than 3.8",
                                          (3, 7, 17), "cpython")
