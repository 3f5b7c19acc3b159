"""`python -m harness check` names a global of another module of the user's that the main block
set after import, whoever reads it: a Pool's or a ProcessPoolExecutor's task function, or a
Process target in ``__main__`` (only fork children see the new value: the docs' "the spawn and
forkserver start methods" section)."""

from __future__ import annotations

import pytest

from tests.integration import check_run

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("program", "name"), [
    ("pool_other_module.py", "checklib.settings.CONFIG"),
    ("executor_other_module.py", "checklib.settings.CONFIG"),
    ("process_other_module.py", "checklib.settings.CONFIG"),
    ("pool_main_global.py", "__main__.MODE")])
def test_a_global_set_after_import_is_named_whoever_reads_it(program: str, name: str) -> None:
    doc = check_run.check(program, interpreters=check_run.newest())
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert name in diag["message"]
    assert "UNCHANGED" not in diag["message"]  # equal in parent and child: not a difference
    assert sorted(c.rpartition("[")[2] for c in diag["cells"]) == ["forkserver]", "spawn]"]
    assert check_run.outcomes(doc, "fork") == {"ok"}


def test_globals_an_import_makes_anew_are_not_named() -> None:
    """A pid and a time taken when a user module is imported differ in spawn/forkserver
    workers, but the parent never changed them: no global-differs, and the run is fine."""
    doc = check_run.check("import_time_values.py", interpreters=check_run.newest())
    assert "global-differs" not in check_run.codes(doc)
    assert doc["exit"] == 0


def test_values_the_main_scripts_top_level_makes_are_not_named() -> None:
    """A time and a pid-based id the script's top level takes differ in a spawn child, which
    runs the top level again (not the main block): the parent did not set them after import.
    The global its main block changed still is named."""
    doc = check_run.check("main_import_time_values.py", interpreters=check_run.newest())
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "MODE" in diag["message"]
    assert "STARTED" not in diag["message"] and "RUN_ID" not in diag["message"]
