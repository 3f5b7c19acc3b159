"""Static checks of the ``api`` and ``realworld`` categories (fast; no case is run here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Dict

import pytest

from harness.guest import catalog

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import cases.api  # noqa: E402 - registers the whole category
import cases.realworld  # noqa: E402,F401 - registers the whole category
from cases import api_forkserver  # noqa: E402

#: Statements of docs-statements.md no case can check here, and why.
NOT_CHECKABLE = {25: "frozen executables need a freezer (PyInstaller, cx_Freeze); "
                     "api.frozen_spawn_command records the reason, with no expectation"}
#: The statements of docs-statements.md that issue 22 asks the api category to cover.
ISSUE_22_STATEMENTS = {20, 21, 22, 25, 41, 44, 47, 49, 50, 56, 57, 58, 59, 62, 66,
                       67} - set(NOT_CHECKABLE)
CASE_MODULES = ("methods", "inheritance", "deadlock", "pickling", "performance", "api",
                "realworld")
#: Cases that check something POSIX-only and must report ``unavailable`` on Windows.
POSIX_ONLY = ["api.set_executable_spawn", "api.os_fork_subinterpreter",
              "realworld.stdout_redirected_after_server_start"]
#: A report from a real project: a GitHub issue or pull request outside CPython's tracker.
REPORT = re.compile(r"^https://github\.com/(?!python/cpython/)[^/]+/[^/]+/(issues|pull)/\d+$")


def _category(name: str) -> Dict[str, catalog.Case]:
    return {c.id: c for c in catalog.all_cases() if c.category == name}


def test_the_issue_22_statements_are_covered_by_the_api_category() -> None:
    covered = {n for c in _category("api").values() for n in c.covers}
    assert covered >= ISSUE_22_STATEMENTS, sorted(ISSUE_22_STATEMENTS - covered)


def test_every_rule_source_in_the_catalog_is_a_link() -> None:
    """A rule's own source (what a value comes from, beyond its case's sources) is an https
    link wherever it is given, in every category."""
    import importlib

    for name in CASE_MODULES:
        importlib.import_module("cases." + name)
    bad = [(c.id, r.source) for c in catalog.all_cases() for r in c.expect
           if r.source is not None and not r.source.startswith("https://")]
    assert not bad, bad


def test_the_whole_catalog_covers_all_67_statements() -> None:
    """Every checkable docs statement is named by some case's ``covers``, and a statement a
    case names is one it checks: a case with no rule covers none."""
    import importlib

    for name in CASE_MODULES:
        importlib.import_module("cases." + name)
    covered = {n for c in catalog.all_cases() for n in c.covers}
    checkable = set(range(1, 68)) - set(NOT_CHECKABLE)
    assert covered >= checkable, sorted(checkable - covered)
    assert not covered & set(NOT_CHECKABLE)
    unchecked = [(c.id, c.covers) for c in catalog.all_cases() if c.covers and not c.expect]
    assert not unchecked, unchecked


def test_a_case_records_the_same_doc_on_every_interpreter() -> None:
    """3.13+ compilers strip a docstring's indentation, older ones keep it after the first
    line: the recorded ``doc`` is ``inspect.cleandoc``'s text either way, so every leg of a run
    records one catalog (here, on the host's interpreter, the indentation is still there)."""
    import importlib
    import inspect

    for name in CASE_MODULES:
        importlib.import_module("cases." + name)
    differs = [c.id for c in catalog.all_cases() if c.doc != inspect.cleandoc(c.func.__doc__ or "")]
    assert not differs, differs
    if sys.version_info < (3, 13):  # the case this test is about is there to see
        assert any("\n    " in (c.func.__doc__ or "") for c in catalog.all_cases())


@pytest.mark.parametrize("case_id", sorted(_category("api")) + sorted(_category("realworld")))
def test_case_is_sourced_and_states_why(case_id: str) -> None:
    found = {**_category("api"), **_category("realworld")}[case_id]
    assert "Source:" in found.doc and "Why it matters" in found.doc
    assert all(link.startswith("https://") for link in found.sources)
    # A real-world case may check a rule no numbered statement states; then it says so.
    assert found.covers or "No numbered docs statement" in found.doc
    assert all(1 <= number <= 67 for number in found.covers)
    for rule in found.expect:
        assert set(rule.methods) <= {"*", "fork", "spawn", "forkserver"}


def test_only_the_frozen_case_has_no_expectation() -> None:
    """A case without rules must say why in its docstring (no freezer in the stdlib)."""
    empty = sorted(c.id for c in _category("api").values() if not c.expect)
    assert empty == ["api.frozen_spawn_command"]
    assert "not run here" in _category("api")["api.frozen_spawn_command"].doc


def test_at_least_12_realworld_cases_cite_a_real_project_report() -> None:
    """Each real-world case cites a report outside CPython's tracker and says what broke, why
    and the fix; at least 12 such cases."""
    cited = []
    for found in _category("realworld").values():
        assert any(REPORT.match(link) for link in found.sources), found.id
        text = " ".join(found.doc.split())
        for part in ("What broke", "Why:", "Fix:"):
            assert part in text, (found.id, part)
        cited.append(found.id)
    assert len(cited) >= 12


def test_realworld_cases_cite_distinct_reports() -> None:
    """No report is the source of two cases (distinct root causes, not variations)."""
    seen: Dict[str, str] = {}
    for found in _category("realworld").values():
        for link in found.sources:
            if REPORT.match(link):
                assert link not in seen, (link, seen.get(link), found.id)
                seen[link] = found.id


#: One root cause per real-world case; the three set-up cases share one (spawn and forkserver
#: children do not replay the parent's run-time set-up), so a strict count merges them.
ROOT_CAUSES = {
    "realworld.mock_patch_not_in_child": "run-time set-up not replayed",
    "realworld.logging_config_not_in_child": "run-time set-up not replayed",
    "realworld.warnings_filter_not_in_child": "run-time set-up not replayed",
    "realworld.local_function_in_config": "target cannot be pickled",
    "realworld.forkserver_runs_main_top_level": "fork server preloads __main__",
    "realworld.start_method_already_set": "global start method set once",
    "realworld.str_hash_differs": "hash salt per interpreter",
    "realworld.idle_thread_pool_fork_warning": "fork warns about any thread",
    "realworld.singleton_thread_dead_after_fork": "fork copies only the calling thread",
    "realworld.asyncio_loop_inherited": "fork copies the event loop",
    "realworld.stdout_redirected_after_server_start": "fork server keeps its own fds",
    "realworld.module_loaded_from_path": "child re-imports the target's module",
    "realworld.random_instance_copied_by_fork": "fork copies generator state",
    "realworld.pool_worker_cannot_start_child": "daemonic workers cannot have children",
}


def test_realworld_cases_have_at_least_12_distinct_root_causes() -> None:
    """Issue 22 asks for 12 cases distinct in cause: count causes, not cases."""
    assert set(ROOT_CAUSES) == set(_category("realworld"))
    assert len(set(ROOT_CAUSES.values())) >= 12


def test_a_rule_is_bound_to_a_patch_release_with_its_source() -> None:
    """At least one rule names a patch release (x.y.z) in its python condition and a source."""
    bound = [(c.id, r.conditions["python"]) for c in catalog.all_cases() for r in c.expect
             if re.search(r"\d+\.\d+\.\d+", str(r.conditions.get("python", "")))
             and r.source]
    assert ("realworld.forkserver_runs_main_top_level", ">=3.14.1") in bound


@pytest.mark.parametrize("case_id", POSIX_ONLY)
def test_posix_only_cases_are_unavailable_on_windows(
    case_id: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object,
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    found = {**_category("api"), **_category("realworld")}[case_id]
    with pytest.raises(catalog.Unavailable):
        found.func(catalog.Context("spawn", str(tmp_path)))


def test_str_hash_case_is_unavailable_with_a_fixed_hash_seed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object,
) -> None:
    """With PYTHONHASHSEED fixed every process hashes alike: the case must not claim a result."""
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    found = _category("realworld")["realworld.str_hash_differs"]
    if sys.flags.ignore_environment:
        pytest.skip("this interpreter ignores the environment")
    with pytest.raises(catalog.Unavailable):
        found.func(catalog.Context("spawn", str(tmp_path)))


def test_catalog_import_leaves_the_late_preload_module_unimported() -> None:
    """preload_before_launch proves nothing if importing the catalog imports its module."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import cases.api, cases.realworld; "
            "print(sys.argv[2] in sys.modules)")
    proc = subprocess.run([sys.executable, "-I", "-c", code, ROOT, api_forkserver.LATE_PRELOAD],
                          stdout=subprocess.PIPE, check=True, timeout=60, text=True)
    assert proc.stdout.strip() == "False"


def test_every_covers_id_names_a_statement_of_the_vendored_list() -> None:
    """`covers` ids point into docs/docs-statements.md, which holds 67 numbered rows."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "docs-statements.md").read_text(
        encoding="utf-8")
    numbers = {int(n) for n in re.findall(r"^\| (\d+) \|", text, flags=re.M)}
    assert numbers == set(range(1, 68))
