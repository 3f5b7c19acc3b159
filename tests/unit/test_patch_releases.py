"""Patch releases apart: two patch releases of one minor version are two environments when
both are present, in version order, with change points at patch level; runs of one release
still merge; expectation conditions compare patch releases numerically."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict

import jsonschema
import pytest

from harness import changetext, expect, history, loading, merge, results
from harness.documents import MatrixDoc, ResultsDoc
from harness.grid import slots
from harness.guest import catalog
from tests.unit.report_synth import cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _matrix(*docs: ResultsDoc, expected: Any = ()) -> MatrixDoc:
    loaded = [loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)]
    return merge.merge(loaded, now=NOW, expected_environments=expected)


def _observer(by_method: Dict[str, Any]) -> Any:
    return lambda c, m: cell(c, m, observed=by_method.get(m, "same"))


SAME = _observer({})


def test_two_patch_releases_are_two_columns_in_version_order() -> None:
    """3.13.18 and 3.13.0 (files in that order) give two columns, 3.13.0 first, no flaky."""
    m = _matrix(results_doc(version="3.13.18", observe=_observer({"forkserver": "new"})),
                results_doc(version="3.13.0", observe=SAME), results_doc(version="3.12.1"))
    assert [e["id"] for e in m["environments"]] == [
        "linux-cpython-3.12", "linux-cpython-3.13.0", "linux-cpython-3.13.18"]
    assert [e["minor_id"] for e in m["environments"]] == [
        "linux-cpython-3.12", "linux-cpython-3.13", "linux-cpython-3.13"]
    assert [e["version_label"] for e in m["environments"]] == ["3.12", "3.13.0", "3.13.18"]
    assert not any(c["flaky"] for c in m["results"])
    jsonschema.validate(m, results.load_schema("matrix.schema.json"))


def test_runs_of_one_release_on_different_days_still_merge() -> None:
    """Two CI runs of 3.13.8 on different days are one column with two runs."""
    m = _matrix(results_doc(version="3.13.8", timestamp="2026-01-01T00:00:00+00:00"),
                results_doc(version="3.13.8", timestamp="2026-01-05T00:00:00+00:00"))
    assert [(e["id"], len(e["runs"])) for e in m["environments"]] == [("linux-cpython-3.13", 2)]
    assert m["environments"][0]["version_label"] == "3.13"


def test_other_minor_versions_and_platforms_are_not_split() -> None:
    """Only the minor version with several releases is split, per OS and free-threading."""
    m = _matrix(results_doc(version="3.13.0", observe=SAME),
                results_doc(version="3.13.18", observe=SAME),
                results_doc(version="3.13.5", os_name="macos"),
                results_doc(version="3.13.5", free_threading=True))
    assert [e["id"] for e in m["environments"]] == [
        "linux-cpython-3.13.0", "linux-cpython-3.13.18", "linux-cpython-3.13t",
        "macos-cpython-3.13"]


def test_an_expected_minor_id_is_met_by_any_of_its_releases() -> None:
    """A CI leg expected as linux-cpython-3.13 is not shown as not run when split."""
    m = _matrix(results_doc(version="3.13.0", observe=SAME),
                results_doc(version="3.13.18", observe=SAME),
                expected=["linux-cpython-3.13", "linux-cpython-3.14"])
    assert [(e["id"], bool(e.get("not_run"))) for e in m["environments"]] == [
        ("linux-cpython-3.13.0", False), ("linux-cpython-3.13.18", False),
        ("linux-cpython-3.14", True)]


def test_change_between_distant_patch_releases_says_or_earlier() -> None:
    """3.13.0 → 3.13.18: the change is "since 3.13.18 (or earlier ...)", never "since
    3.13.8" (a release the data does not have)."""
    m = _matrix(results_doc(version="3.13.0", observe=SAME),
                results_doc(version="3.13.18", observe=_observer({"forkserver": "new"})),
                results_doc(version="3.14.0", observe=_observer({"forkserver": "new"})))
    (ch,) = history.walk(m)[0]
    assert (ch.since, ch.before_version, ch.methods) == ("3.13.18", "3.13.0", ("forkserver",))
    text = changetext.change_text(ch)
    assert text.startswith(
        "since Linux 3.13.18 (or earlier: 3.13.0 → 3.13.18 observed): forkserver")
    assert "was ok \"same\" in 3.13.0" in text


def test_change_between_consecutive_patch_releases_is_exact() -> None:
    m = _matrix(results_doc(version="3.13.7", observe=SAME),
                results_doc(version="3.13.8", observe=_observer({"spawn": "new"})))
    (ch,) = history.walk(m)[0]
    assert changetext.change_text(ch).startswith("since Linux 3.13.8: spawn")


def test_method_table_change_at_patch_level() -> None:
    m = _matrix(results_doc(version="3.13.0", observe=SAME),
                results_doc(version="3.13.18", default="spawn"))
    (ch,) = [c for c in history.method_changes(m) if c.what == "default"]
    assert (ch.since, ch.before_version) == ("3.13.18", "3.13.0")
    assert changetext.since_text(ch.since, ch.before_version) == \
        "3.13.18 (or earlier: 3.13.0 → 3.13.18 observed)"


@pytest.mark.parametrize(("since", "before", "text"), [
    ("3.11", "3.10", "3.11"),
    ("3.11", "3.9", "3.11 (or earlier: 3.9 → 3.11 observed)"),  # PyPy 3.10 not run
    ("3.13.1", "3.13.0", "3.13.1"),
    ("3.14", "3.13.18", "3.14"),
])
def test_since_is_hedged_where_versions_between_were_not_observed(since: str, before: str,
                                                                  text: str) -> None:
    assert changetext.since_text(since, before) == text


def test_platform_difference_uses_the_newest_release_of_a_series() -> None:
    """Linux 3.13.0 and 3.13.18 against macOS 3.13: the newest Linux release is compared."""
    m = _matrix(results_doc(version="3.13.0", observe=_observer({"fork": "old"})),
                results_doc(version="3.13.18", observe=SAME),
                results_doc(version="3.13.5", os_name="macos", observe=_observer({"fork": "x"})))
    diffs = history.platform_differences(m)
    assert [(d.version, d.method, d.by_series) for d in diffs] == [
        ("3.13", "fork", (("linux-cpython", 'ok "same"'), ("macos-cpython", 'ok "x"')))]


@pytest.mark.parametrize(("ids", "want"), [
    (["linux-cpython-3.13.18", "linux-cpython-3.13.8", "linux-cpython-3.13.0"],
     ["linux-cpython-3.13.0", "linux-cpython-3.13.8", "linux-cpython-3.13.18"]),
    (["linux-cpython-3.15.0", "linux-cpython-3.15.0a5", "linux-cpython-3.14t",
      "linux-cpython-3.14", "linux-cpython-3.9"],
     ["linux-cpython-3.9", "linux-cpython-3.14", "linux-cpython-3.15.0a5",
      "linux-cpython-3.15.0", "linux-cpython-3.14t"]),  # a series' versions side by side
    (["macos-cpython-3.15-x86_64", "macos-cpython-3.14t", "macos-cpython-3.10",
      "macos-cpython-3.9-x86_64", "macos-cpython-3.15", "macos-cpython-3.15t"],
     ["macos-cpython-3.10", "macos-cpython-3.15", "macos-cpython-3.14t", "macos-cpython-3.15t",
      "macos-cpython-3.9-x86_64", "macos-cpython-3.15-x86_64"]),  # as CI's macOS legs:
    # regular, then free-threaded, then the Intel leg (a series of its own)
])
def test_env_sort_key_orders_patch_and_pre_releases(ids: Any, want: Any) -> None:
    assert sorted(ids, key=merge.env_sort_key) == want


@pytest.mark.parametrize(("condition", "version", "holds"), [
    (">=3.13.8", "3.13.0", False), (">=3.13.8", "3.13.7", False), (">=3.13.8", "3.13.8", True),
    (">=3.13.8", "3.13.18", True), (">=3.13.8", "3.14.0", True), ("<3.13.8", "3.13.18", False),
    ("<3.13.8", "3.13.0", True), (">=3.13.8,<3.14", "3.13.10", True),
    (">=3.13.8,<3.14", "3.14.2", False), ("3.13", "3.13.18", True), ("==3.13.0", "3.13.18",
                                                                        False),
])
def test_python_conditions_compare_patch_releases_numerically(
        condition: str, version: str, holds: bool) -> None:
    """3.13.18 is after 3.13.8 (not before it as text would sort), for the rules of
    ``catalog.on(..., python=...)`` as stored in results files."""
    rule = catalog.on("forkserver", catalog.ok(True), python=condition).to_dict()
    env = {"os": "linux", "implementation": "cpython", "python_version": version}
    assert expect.matches_env(rule["when"], env) is holds


def test_results_file_name_keeps_root_and_host_apart() -> None:
    env = {"os": "linux", "implementation": "cpython", "python_version": "3.13.18"}
    assert results.file_stem(env) == "linux-cpython-3.13"
    assert results.file_stem(dict(env, root="debootstrap sid minbase")) == \
        "linux-cpython-3.13-root"
    assert results.env_id(dict(env, free_threading=True), patch=True) == \
        "linux-cpython-3.13.18t"


def test_a_default_that_differs_between_patch_releases_names_each() -> None:
    """3.13.0 defaults to fork, 3.13.18 to forkserver: the 3.13 slot says which is which."""
    from harness import answers

    m = _matrix(results_doc(version="3.13.0", default="fork"),
                results_doc(version="3.13.18", default="forkserver"))
    (cell13,) = [d for d in answers.default_grid(m, slots(m))
                 if d.slot.key == "linux-cpython-3.13"]
    assert cell13.value == "fork (3.13.0) / forkserver (3.13.18)"


@pytest.mark.parametrize(("before", "since", "text"), [
    ("3.8", "3.12", "3.9–3.11 not run"),
    ("3.9", "3.11", "3.10 not run"),  # PyPy 3.10 not run
    ("3.13.0", "3.13.18", "3.13.1–3.13.17 not run"),  # review r3: named, not "releases between"
    ("3.13.0", "3.13.2", "3.13.1 not run"),
    ("3.13.0rc1", "3.13.2", "releases between not run"),  # a pre-release: no neighbours to name
])
def test_a_gap_names_what_was_not_run(before: str, since: str, text: str) -> None:

    assert changetext.unobserved_between(before, since) == text
