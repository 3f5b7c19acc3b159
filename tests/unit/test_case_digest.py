"""The case code digest (results format 1.4): what changes it and what does not, on a made-up
case package written to a temporary folder, and the real catalog's digests on two
interpreters."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import pytest

from harness.guest import case_digest

ROOT = Path(__file__).resolve().parents[2]

HELPERS = '''\
"""Shared helpers."""
LIMIT = 4 * 1024


def payload():
    """Helper docstring."""
    return b"x" * LIMIT
'''

#: Like ``harness.guest.catalog``: constants cases share, the per-run scale, the decorator.
SHARED = '''\
"""Shared constants (a ``case_digest.SHARED`` module)."""


def _scale():
    return 1.0


SHORT_TIMEOUT = 5.0 * _scale()
CASE_TIMEOUT = 20.0 * _scale()


def case(expect=(), timeout=CASE_TIMEOUT):
    return lambda f: f
'''

CASES = '''\
"""A case module."""
import sys

from {pkg} import _helpers
from {pkg}._helpers import payload
from {pkg}_shared import SHORT_TIMEOUT, case

VERSION_DEPENDENT = sys.version_info >= (3, 13)
TIMEOUT = 5.0
EXPECTED = ["ok"]


def _child(q):
    q.put(len(payload()))


def _unrelated():
    return "sibling"


def deco(**kw):
    return lambda f: f


@deco(expect=EXPECTED, sources=["https://docs.python.org/3/"], timeout=TIMEOUT)
def the_case(ctx):
    """The claim. Why it matters. Source."""
    # a comment
    return [_child, _helpers.LIMIT, VERSION_DEPENDENT]


@case(expect=EXPECTED)
def shared_case(ctx):
    """Reads a shared constant; its timeout is the decorator's default."""
    return SHORT_TIMEOUT
'''


@pytest.fixture
def digest_of(tmp_path: Path) -> Iterator[Callable[[Dict[str, str]], str]]:
    """Writes a package (one per call, its module texts edited by ``(old, new)`` pairs),
    imports it and returns the digest of ``the_case``."""
    made: List[str] = []
    shared = case_digest.SHARED

    def make(edits: Dict[str, str], name: str = "the_case") -> str:
        pkg = "digestpkg%d" % len(made)
        made.append(pkg)
        folder = tmp_path / pkg
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        texts = {"_helpers.py": HELPERS, "cases.py": CASES.format(pkg=pkg), "shared": SHARED}
        for old, new in edits.items():
            where = next(n for n, t in texts.items() if old in t)
            texts[where] = texts[where].replace(old, new)
        (tmp_path / (pkg + "_shared.py")).write_text(texts.pop("shared"))
        for file_name, text in texts.items():
            (folder / file_name).write_text(text)
        case_digest.SHARED = shared + (pkg + "_shared",)
        module = importlib.import_module(pkg + ".cases")
        return case_digest.digest(getattr(module, name))

    sys.path.insert(0, str(tmp_path))
    try:
        yield make
    finally:
        case_digest.SHARED = shared
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("digestpkg")]:
            del sys.modules[name]
        case_digest._MODULES.clear()


def test_prose_and_metadata_do_not_change_the_digest(digest_of: Callable[..., str]) -> None:
    """Docstrings (the case's, a helper's), the decorator's other arguments, a sibling case and
    module imports are no code the case runs: same digest."""
    base = digest_of({})
    assert len(base) == case_digest.DIGEST_CHARS and int(base, 16) >= 0
    for edit in ({"The claim.": "Another claim."}, {"Helper docstring.": "Other words."},
                 {'EXPECTED = ["ok"]': 'EXPECTED = ["error"]'}, {"/3/": "/3.14/"},
                 {'"sibling"': '"cousin"'},
                 {"import sys\n": "import sys\nimport os\n"}):
        assert digest_of(edit) == base, edit


def test_code_the_case_reaches_changes_the_digest(digest_of: Callable[..., str]) -> None:
    """The body, a module-level child function, a helper imported from another module of the
    package (by name and as ``module.attr``), a constant's text and the timeout: each changes
    the digest."""
    base = digest_of({})
    for edit in ({"# a comment": "# a comment\n    ctx = None"},
                 {"q.put(len(payload()))": "q.put(payload())"},
                 {'return b"x" * LIMIT': 'return b"y" * LIMIT'},
                 {"LIMIT = 4 * 1024": "LIMIT = 8 * 1024"},
                 {"(3, 13)": "(3, 14)"},
                 {"timeout=TIMEOUT": "timeout=2 * TIMEOUT"},
                 {"TIMEOUT = 5.0": "TIMEOUT = 50.0"}):
        assert digest_of(edit) != base, edit


def test_shared_constants_and_the_default_timeout_are_followed_not_the_harness(
        digest_of: Callable[..., str]) -> None:
    """A constant of a ``SHARED`` module (the catalog's ``SHORT_TIMEOUT``) a case reads, and
    the decorator's default timeout (``CASE_TIMEOUT``) when the case sets none, change the
    digest when their text changes; the per-run scale and the decorator's body are the
    harness's (a scaled timeout must give the same digest on every run)."""
    base = digest_of({}, "shared_case")
    for edit in ({"SHORT_TIMEOUT = 5.0": "SHORT_TIMEOUT = 6.0"},
                 {"CASE_TIMEOUT = 20.0": "CASE_TIMEOUT = 30.0"}):
        assert digest_of(edit, "shared_case") != base, edit
    for edit in ({"return 1.0": "return 2.0"}, {"return lambda f: f": "return lambda g: g"}):
        assert digest_of(edit, "shared_case") == base, edit
    # the_case sets its own timeout: the default is not its
    assert digest_of({"CASE_TIMEOUT = 20.0": "CASE_TIMEOUT = 30.0"}) == digest_of({})


def test_a_case_without_readable_source_has_no_digest() -> None:
    """A case made at run time (no file to read) gets "", and ``to_dict`` leaves the key out."""
    namespace: Dict[str, object] = {"__name__": "made_at_run_time"}
    exec("def case(ctx):\n    return 1\n", namespace)  # noqa: S102 - a function with no file
    assert case_digest.digest(namespace["case"]) == ""


_PRINT_DIGESTS = textwrap.dedent("""
    import importlib, json, pkgutil, sys
    sys.path.insert(0, sys.argv[1])
    import cases
    from harness.guest import catalog
    for m in pkgutil.iter_modules(cases.__path__):
        importlib.import_module("cases." + m.name)
    print(json.dumps({c.id: c.to_dict().get("code_digest") for c in catalog.all_cases()}))
""")


def _catalog_digests(python: str) -> Dict[str, object]:
    """The digests ``python`` prints (JSON: checked by the tests, not assumed strings)."""
    proc = subprocess.run([python, "-I", "-c", _PRINT_DIGESTS, str(ROOT)], cwd=str(ROOT),
                          capture_output=True, text=True, timeout=120, check=True)
    digests: Dict[str, object] = json.loads(proc.stdout)
    return digests


def test_every_case_has_a_digest_that_is_the_same_on_another_interpreter() -> None:
    """The digest is read from the files, not from live values: every case of the real
    catalog has one, and Python 3.8 (the oldest guest) computes the same ones."""
    here = _catalog_digests(sys.executable)
    assert here and all(isinstance(d, str) and len(d) == case_digest.DIGEST_CHARS
                        for d in here.values()), here
    assert len(set(here.values())) == len(here)  # no two cases share one
    oldest = sorted(Path.home().glob(".pyenv/versions/3.8*/bin/python3.8"))
    if not oldest:
        pytest.skip("no Python 3.8 here to compare with")
    assert _catalog_digests(str(oldest[0])) == here
