"""The users' projects under tests/fixtures/check (for `check --pytest`) are never collected by
the harness's own test run: one of them hangs in its conftest on purpose, and `pytest tests`
(`nox -s tests`, CI) would hang with it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "check"


def test_every_fixture_project_is_left_out_of_collection() -> None:
    spec = importlib.util.spec_from_file_location("_fixture_conftest", FIXTURES / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ignored = set(module.collect_ignore)
    projects = {p.relative_to(FIXTURES).parts[0] for pattern in ("test_*.py", "*_test.py",
                                                                 "conftest.py")
                for p in FIXTURES.rglob(pattern) if p.parent != FIXTURES}
    assert projects and projects <= ignored, projects - ignored
