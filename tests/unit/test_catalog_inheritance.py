"""Static checks of the inheritance catalog: ids, sources, expectations, platform guards."""

from __future__ import annotations

import os
import sys
from typing import Dict

import pytest

from harness.guest import catalog

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import cases.inheritance  # noqa: E402,F401 - registers the whole category

REQUIRED = [
    "module_global_mutated_after_import", "environment_variable_set_before_start",
    "environment_variable_set_after_forkserver_started", "cwd_changed", "sys_path_appended",
    "sys_argv", "umask", "resource_limit", "module_imported_only_in_parent", "random_state",
    "open_file_descriptor", "socket_descriptor", "threads_in_child",
    "threading_lock_held_by_main_thread", "signal_handler", "unflushed_stdout_buffer",
    "parent_pid", "atexit_handler", "stdin_in_child", "forkserver_preload",
    "large_object_without_transfer", "missing_main_guard", "fork_with_threads_warning",
]
#: Cases that check something POSIX-only and must report ``unavailable`` on Windows.
POSIX_ONLY = ["umask", "resource_limit", "signal_handler", "resource_tracker_started",
              "zombie_reaping"]


def _inheritance() -> Dict[str, catalog.Case]:
    return {c.id: c for c in catalog.all_cases() if c.category == "inheritance"}


def test_importing_the_category_module_registers_at_least_20_cases() -> None:
    """`import cases.inheritance` (what the executor does) registers every inheritance case."""
    assert len(_inheritance()) >= 20


@pytest.mark.parametrize("name", REQUIRED)
def test_issue_4_ids_are_present(name: str) -> None:
    """Each id the issue asks for exists."""
    assert "inheritance." + name in _inheritance()


@pytest.mark.parametrize("case_id", sorted(_inheritance()))
def test_case_is_sourced_and_has_expectations(case_id: str) -> None:
    """A docstring with a Source line, an https source, covered statement ids, and rules —
    or, where the docs are silent, a docstring that says there is no expectation."""
    found = _inheritance()[case_id]
    assert "Source:" in found.doc
    assert "Why it matters" in found.doc
    assert all(link.startswith("https://") for link in found.sources)
    assert found.covers and all(1 <= number <= 67 for number in found.covers)
    assert found.expect or "no expectation" in " ".join(found.doc.split()).lower()
    for rule in found.expect:
        assert set(rule.methods) <= {"*", "fork", "spawn", "forkserver"}


@pytest.mark.parametrize("name", POSIX_ONLY)
def test_posix_only_cases_are_unavailable_on_windows(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object,
) -> None:
    """On Windows the POSIX-only cases raise Unavailable before starting anything."""
    monkeypatch.setattr(sys, "platform", "win32")
    found = _inheritance()["inheritance." + name]
    with pytest.raises(catalog.Unavailable):
        found.func(catalog.Context("spawn", str(tmp_path)))


def test_fork_hook_case_is_unavailable_without_register_at_fork(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object,
) -> None:
    """Without os.register_at_fork (Windows) the fork-hook case reports unavailable."""
    monkeypatch.delattr(os, "register_at_fork", raising=False)
    found = _inheritance()["inheritance.fork_uses_os_fork"]
    with pytest.raises(catalog.Unavailable):
        found.func(catalog.Context("spawn", str(tmp_path)))


def test_catalog_import_leaves_the_probe_modules_unimported() -> None:
    """Importing the category (as the executor and spawn children do) must not import the
    'parent only' or 'preloaded' modules, or those cases would prove nothing."""
    import subprocess

    from cases import inheritance

    code = ("import sys; sys.path.insert(0, sys.argv[1]); import cases.inheritance; "
            "print(sorted(m for m in sys.argv[2:] if m in sys.modules))")
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code, ROOT, inheritance.PARENT_ONLY_MODULE,
         inheritance.PRELOAD_MODULE], stdout=subprocess.PIPE, check=True, timeout=60,
        text=True,
    )
    assert proc.stdout.strip() == "[]"
