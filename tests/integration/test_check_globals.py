"""`python -m harness check` names a global of another module of the user's that the main block
set after import, whoever reads it: a Pool's or a ProcessPoolExecutor's task function, or a
Process target in ``__main__`` (only fork children see the new value: the docs' "the spawn and
forkserver start methods" section)."""

from __future__ import annotations

import subprocess

import pytest

from harness import discovery
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


def test_a_settings_objects_attribute_set_in_the_main_block_is_named() -> None:
    """The commonest global set in the main block (review r10): ``OPTS = ap.parse_args()``
    rebound, and ``SETTINGS.scale = 2`` set, there; workers read the attributes."""
    doc = check_run.check("settings_in_main.py", "--args", '["--threshold", "3"]',
                          interpreters=check_run.newest())
    diag = next((d for d in doc["diagnoses"] if d["code"] == "global-differs"), None)
    assert diag is not None, doc["diagnoses"]
    assert "__main__.OPTS.threshold, __main__.SETTINGS.scale than" in diag["message"], diag
    assert sorted(c.rpartition("[")[2] for c in diag["cells"]) == ["forkserver]", "spawn]"]


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


def test_a_global_only_the_main_block_reads_is_not_named() -> None:
    """``START = time.time()`` set and read in the main block only, which no child runs: its
    other value in a spawn child is no finding; MODE, read by the workers' function, is."""
    doc = check_run.check("main_block_timer.py", interpreters=check_run.newest())
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "MODE" in diag["message"] and "START" not in diag["message"], diag


def test_a_settings_object_check_cannot_read_is_left_alone() -> None:
    """Review r12 F1: its ``__getattr__`` raises KeyError for ``__dict__``; the program works
    under every method and check says so (it raised into the program)."""
    doc = check_run.check("slots_config.py", interpreters=check_run.newest())
    assert {r["outcome"] for r in doc["results"]} == {"ok"}, doc["results"]
    assert doc["exit"] == 0


def test_a_queue_passed_as_a_process_subclass_attribute_is_not_blamed() -> None:
    """Review r12 F0: ``Worker(RESULTS)`` keeps the queue as ``self.q``: passed, no
    resource-global; the global set in main() is the cause."""
    doc = check_run.check("subclass_queue_attribute.py", interpreters=check_run.newest())
    assert "resource-global" not in check_run.codes(doc), doc["diagnoses"]
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "VERBOSE" in diag["message"]


def _interpreter(which: str) -> str:
    """The oldest or the newest local CPython, or a PyPy: three import systems to hide in."""
    found, _ = discovery.discover()
    cpython = [i.path for i in found if i.implementation == "cpython"]
    chosen = {"oldest": cpython[:1], "newest": cpython[-1:],
              "pypy": [i.path for i in found if i.implementation == "pypy"][:1]}[which]
    if not chosen:
        pytest.skip("no %s interpreter here" % which)
    return chosen[0]


@pytest.mark.parametrize("which", ["oldest", "newest", "pypy"])
def test_a_program_that_looks_at_the_import_system_sees_no_recorder(which: str) -> None:
    """Run plainly and under check, a program that appends a finder of its own to
    sys.meta_path (asked once for a module no finder has) and prints the finders and path
    hooks it and its child see, prints the same and passes under every method: what check
    records of the user's imports puts nothing there and asks no finder twice (README)."""
    interpreter = _interpreter(which)
    doc = check_run.check("inspects_imports.py", interpreters=[interpreter])
    for run in doc["results"]:
        plain = subprocess.run([interpreter, "-I", "inspects_imports.py", run["method"]],
                               cwd=str(check_run.FIXTURES), capture_output=True, text=True,
                               timeout=60, check=True)
        assert (run["method"], run["outcome"], run["stdout"]) == (
            run["method"], "ok", plain.stdout), run


def test_a_global_that_silently_changes_the_output_fails_the_check() -> None:
    """review r13: workers read a table main() filled; under spawn/forkserver every lookup
    silently falls back, nothing raises. The check says the output differs from the default
    method's and exits 1 (the task function reads COUNTRY: ``globals_read``), and no longer
    words the difference "if it read them"."""
    doc = check_run.check("lookup_filled_in_main.py", interpreters=check_run.newest())
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "__main__.COUNTRY" in diag["message"] and "if it read them" not in diag["message"]
    assert {r["outcome"] for r in doc["results"]} == {"ok"}
    assert doc["exit"] == 1 and doc["ok"] is False
    (said,) = doc["output_differs"].values()
    assert said == {"default": "fork", "methods": ["forkserver", "spawn"]}


@pytest.mark.parametrize("program", ["parent_flag_pid_printed.py",
                                     "parent_options_time_printed.py"])
def test_a_parent_only_global_and_a_pid_or_time_printed_pass(program: str) -> None:
    """review r14 (pidprint.py, timing.py): a flag only the parent's code reads differs in
    the workers, and the program prints a pid or a time: a correct program, exit 0 (1
    before), though global-differs and the output line are still said."""
    doc = check_run.check(program, interpreters=check_run.newest())
    assert "global-differs" in check_run.codes(doc)
    assert doc["output_differs"] and {r["outcome"] for r in doc["results"]} == {"ok"}
    assert doc["exit"] == 0 and doc["ok"] is True


def test_a_connection_an_initializer_makes_is_not_named() -> None:
    """review r14 (init_conn.py): conn opened in the main block and by each worker's Pool
    initializer (as the fix advises); a task raises ValueError under every method: it fails
    the same way everywhere, and global-differs does not blame conn."""
    doc = check_run.check("connection_in_initializer.py", interpreters=check_run.newest())
    assert "global-differs" not in check_run.codes(doc), doc["diagnoses"]
    assert {r["outcome"] for r in doc["results"]} == {"error"} and doc["exit"] == 1


def test_an_object_global_the_main_block_made_is_named_where_workers_fail() -> None:
    """review r13: ``DB = None``, a connection opened in the main block: spawn/forkserver
    workers fail on None, and global-differs names it with what each side had ("No known
    cause recognised" before); the lazily opened per-process connection says nothing."""
    doc = check_run.check("connection_global.py", interpreters=check_run.newest())
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "__main__.DB (parent: sqlite3.Connection; child: None)" in diag["message"], diag
    assert sorted(c.rpartition("[")[2] for c in diag["cells"]) == ["forkserver]", "spawn]"]
    lazy = check_run.check("connection_lazy.py", interpreters=check_run.newest())
    assert lazy["diagnoses"] == [] and lazy["exit"] == 0


def test_a_callables_own_processes_are_watched_as_a_scripts() -> None:
    """review r13 (r10 F-B): ``check pkg.cli:main``, whose main() configures a global of the
    package and starts a Pool. A spawn/forkserver process of the callable imported the package
    before any watch and started its Pool unwatched: "No known cause recognised", though the
    same code through a script is named. Its processes are watched now, its imports recorded."""
    doc = check_run.check("checklib.cli:main", "--args", "[10]",
                          interpreters=check_run.newest())
    diag = next((d for d in doc["diagnoses"] if d["code"] == "global-differs"), None)
    assert diag is not None, doc["diagnoses"]
    assert "checklib.settings.CONFIG" in diag["message"]
    assert sorted(c.rpartition("[")[2] for c in diag["cells"]) == ["forkserver]", "spawn]"]
    assert check_run.outcomes(doc, "fork") == {"ok"}
