"""`python -m harness check` on whole test suites (``--pytest``), and what a run could not
check: a method the program chose itself, contexts asked for by name, a program that starts no
process, runs of one program that must not meet, and what the user is shown of an error.
(Each diagnosis on its own program: ``test_check.py``.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from harness import discovery
from tests.integration import check_run
from tests.integration.check_run import FIXTURES, ROOT, TIMEOUT

pytestmark = pytest.mark.slow


# --- Whole test suites -----------------------------------------------------------------------


def test_pytest_suite_lists_exactly_the_method_dependent_tests() -> None:
    """`check --pytest` on tests/fixtures/check/suite: three tests depend on the method (each
    cited in the suite), four do not (a Pool, no process, failing everywhere, skipped)."""
    proc = subprocess.run([sys.executable, "-m", "harness", "check", "--json", "--pytest", "-q"],
                          cwd=str(FIXTURES / "suite"), capture_output=True, text=True,
                          timeout=600, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    listed = {v["test"].rpartition("::")[2]: v for v in doc["method_dependent"]}
    assert set(listed) == {"test_local_function_target", "test_monkeypatch_seen_by_child",
                           "test_global_set_before_start"}
    assert doc["failing_everywhere"][0].startswith("tests/test_jobs.py::test_always_fails")
    causes = {name: {d["code"] for d in v["diagnoses"]} for name, v in listed.items()}
    assert "lambda-or-local-function" in causes["test_local_function_target"]
    assert "patch-not-seen" in causes["test_monkeypatch_seen_by_child"]
    assert "global-differs" in causes["test_global_set_before_start"]
    for verdict in listed.values():
        assert verdict["outcomes"]["fork"] == "passed"
        assert verdict["outcomes"]["spawn"] == "failed" and verdict["errors"]["spawn"]
    assert proc.returncode == 1


def test_a_pytest_hang_is_diagnosed_in_its_test() -> None:
    """A run killed in a test is that test's outcome, diagnosed as script mode diagnoses a
    hang: the queue-join deadlock under every method (from the hang's notes), and a lock held
    by another thread at fork, which hangs only under fork, from comparing the methods."""

    def run(selected: str) -> Dict[str, Any]:
        proc = subprocess.run([sys.executable, "-m", "harness", "check", "--json", "--timeout",
                               str(TIMEOUT), "--pytest", "-q", "-k", selected],
                              cwd=str(FIXTURES / "hang_suite"), capture_output=True, text=True,
                              timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                              check=False)
        assert "Traceback" not in proc.stderr, proc.stderr
        doc: Dict[str, Any] = json.loads(proc.stdout)
        return doc

    doc = run("join_before_get")
    [hung] = doc["hung_everywhere"]
    assert hung["test"] == "test_hangs.py::test_join_before_get", doc
    assert set(hung["outcomes"].values()) == {"hung"}
    assert [d["code"] for d in hung["diagnoses"]] == ["queue-joined-before-drained"], doc
    doc = run("lock_held_at_start")
    [verdict] = doc["method_dependent"]
    assert (verdict["outcomes"]["fork"], verdict["outcomes"]["spawn"]) == ("hung", "passed")
    assert "hangs-only-under-fork" in {d["code"] for d in verdict["diagnoses"]}, doc


def test_executor_manager_and_terminated_daemon_are_not_failures() -> None:
    """A ProcessPoolExecutor, a Manager and a daemon Process the program terminates itself:
    `ok` everywhere, and the executor's own module globals are not reported as differing."""
    doc = check_run.check("executor_and_manager.py")
    assert {r["outcome"] for r in doc["results"]} == {"ok"}
    assert (doc["exit"], check_run.codes(doc)) == (0, set())


# --- What a run could not check, and runs that must not meet ----------------------------------


def test_a_method_the_program_chose_itself_is_not_claimed() -> None:
    """A script that sets fork itself: its spawn and forkserver cells ran fork, so they are
    marked not exercised and the verdict names what was not checked (it used to print "works
    under every start method"); only its fork cell used the method made the default, so
    nothing was compared: exit 1, as --pytest's for a suite forcing fork (review r21)."""
    doc = check_run.check("chooses_fork.py", interpreters=check_run.newest())
    assert check_run.outcomes(doc, "spawn") == {"ok"}
    unchecked = doc["not_exercised"]
    assert set(unchecked) == {"%s[%s]" % (r["environment"], m) for r in doc["results"]
                              for m in ("spawn", "forkserver") if r["method"] == m}
    assert set(unchecked.values()) == {"ran fork"}
    assert doc["exit"] == 1


def test_processes_from_contexts_asked_by_name_check_no_default() -> None:
    """get_context("fork") and get_context("spawn") only: the fork and spawn cells used those
    methods but never the default check made, so they say so instead of a plain `ok`; a
    Pool() of the default context (pool_map.py) checks its method as before."""
    doc = check_run.check("explicit_contexts.py", interpreters=check_run.newest())
    assert {r["outcome"] for r in doc["results"]} == {"ok"}
    assert {k.rpartition("[")[2].rstrip("]"): v for k, v in doc["not_exercised"].items()} == {
        "fork": "explicit context: fork/spawn", "spawn": "explicit context: fork/spawn",
        "forkserver": "ran fork/spawn"}
    assert check_run.check("pool_map.py", interpreters=check_run.newest())["not_exercised"] == {}


def test_a_method_the_standard_library_chose_is_named() -> None:
    """ProcessPoolExecutor(max_tasks_per_child=10) runs spawn whatever the default: named as
    its choice, not as the program's "explicit context" (review r13 #8)."""
    doc = check_run.check("executor_recycles.py", interpreters=check_run.newest())
    chose = "ProcessPoolExecutor(max_tasks_per_child=…) uses spawn"
    assert {k.rpartition("[")[2].rstrip("]"): v for k, v in doc["not_exercised"].items()} == {
        "fork": "ran spawn: " + chose, "forkserver": "ran spawn: " + chose, "spawn": chose}


def test_a_program_that_starts_no_process_checks_nothing() -> None:
    """No process started under any method: nothing was checked, exit 1 (a test file run as
    a script used to pass as "no problem found")."""
    doc = check_run.check("no_process.py", interpreters=check_run.newest())
    assert set(doc["not_exercised"].values()) == {"no process started"}
    assert (doc["ok"], doc["exit"]) == (False, 1)
    proc = subprocess.run([sys.executable, "-m", "harness", "check", "no_process.py",
                           "--python", check_run.newest()[0]], cwd=str(FIXTURES),
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT)}, check=False)
    assert "nothing about start methods was checked" in " ".join(proc.stdout.split())


def test_a_childs_error_comes_before_the_parents_follow_on(tmp_path: Path) -> None:
    """The child's TypeError is the cell's error, not the parent's empty queue, and a config
    dict filled in the main block is a global that differs, found from any working folder."""
    script = str(FIXTURES / "config_dict_main.py")
    cmd = [sys.executable, "-m", "harness", "check", script, "--json", "--timeout",
           str(TIMEOUT), "--python", check_run.newest()[0]]
    proc = subprocess.run(cmd, cwd=str(tmp_path), capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=False)
    doc = json.loads(proc.stdout)
    spawn = next(r for r in doc["results"] if r["method"] == "spawn")
    assert (spawn["error"]["type"], spawn["error"]["where"]) == ("TypeError", "child")
    assert "then in the parent: Empty" in spawn["error"]["also"]
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "CONFIG" in diag["message"]
    fork_default = next(d for d in doc["diagnoses"]
                        if d["code"] == "works-only-with-fork-default")
    assert "spawn/forkserver" in fork_default["message"]


def test_runs_of_one_program_do_not_meet_by_default() -> None:
    """A program holding a fixed shared-memory name works alone: one run at a time it is ok
    everywhere; three at once (--jobs 3) collide, which is why one is the default."""
    alone = check_run.check("fixed_shm_name.py", "--timeout", "8", interpreters=check_run.newest())
    assert {r["outcome"] for r in alone["results"]} == {"ok"}
    together = check_run.check("fixed_shm_name.py", "--timeout", "8", "--jobs", "3",
                      interpreters=check_run.newest())
    assert "FileExistsError" in {(r.get("error") or {}).get("type") for r in together["results"]}


def test_equal_container_globals_do_not_differ() -> None:
    """Module-level dicts, tuples and sets equal in parent and child: no global-differs (a
    digest by hash(repr) differed in every fresh interpreter: str hashes are randomised)."""
    doc = check_run.check("constant_config.py", interpreters=check_run.newest())
    assert {r["outcome"] for r in doc["results"]} == {"ok"}
    assert (check_run.codes(doc), doc["exit"]) == (set(), 0)


def test_a_start_that_fails_is_not_called_no_process() -> None:
    """A start() that raises (a lambda under spawn) was still tried with that method: the
    failing cells are failures, never "no process started"."""
    doc = check_run.check("lambda_script.py", interpreters=check_run.newest())
    assert check_run.outcomes(doc, "spawn") == {"error"}
    assert not any(k.endswith(("[spawn]", "[forkserver]")) for k in doc["not_exercised"])


def test_the_parents_own_error_stays_first() -> None:
    """The parent raised first; the child failed later because of it: the cell's error is
    the parent's, the child's is named after it."""
    doc = check_run.check("parent_error_first.py", interpreters=check_run.newest())
    for run in doc["results"]:
        assert run["error"]["type"] == "ValueError", run["error"]
        assert run["error"]["where"] == "parent"
        assert run["error"]["also"].startswith("a child also failed: ")


def test_watching_never_breaks_a_working_program() -> None:
    """A global whose every attribute lookup raises made check's snapshot raise in start():
    every cell was an error the program does not have."""
    doc = check_run.check("lazy_global.py", interpreters=check_run.newest())
    assert {r["outcome"] for r in doc["results"]} == {"ok"}
    assert doc["exit"] == 0


def test_a_failure_shows_the_users_frames_only() -> None:
    """The frames an error is shown with are the user's: neither the harness's wrapper around
    the target (in the child's own traceback under every method) nor runpy's or
    multiprocessing's; the text says where, innermost last."""
    doc = check_run.check("child_raises.py", interpreters=check_run.newest())
    for run in doc["results"]:
        frames = [(f["function"], f["line"]) for f in run["error"]["traceback"]]
        assert frames == [("work", 12), ("parse", 8)], run
        assert all(f["file"].endswith("child_raises.py") for f in run["error"]["traceback"])
    cmd = [sys.executable, "-m", "harness", "check", "child_raises.py", "--python",
           check_run.newest()[0], "--timeout", str(TIMEOUT)]
    text = subprocess.run(cmd, cwd=str(FIXTURES), capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          check=False).stdout
    assert "    child_raises.py:8 in parse: return int(item)\n" in text, text
    assert "check_watch" not in text and "_child_wrapper" not in text, text


def test_a_hang_on_python_3_8_still_says_where_it_was() -> None:
    """Python 3.8's stderr is block-buffered when it is not a terminal: the line written before
    the hang stayed in the buffer and the kill lost it; check makes it line-buffered as 3.9+
    (the documented queue-join deadlock hangs under every method)."""
    found, _ = discovery.discover()
    py38 = [i.path for i in found if i.implementation == "cpython" and i.version[:2] == (3, 8)]
    if not py38:
        pytest.skip("needs a local CPython 3.8")
    doc = check_run.check("join_before_get.py", "--timeout", "3", interpreters=py38[:1])
    assert {r["outcome"] for r in doc["results"]} == {"timeout"}
    for run in doc["results"]:
        assert run["detail"].endswith("parent: joining before reading the queue"), run


def test_a_users_own_package_named_harness_is_checked(tmp_path: Path) -> None:
    """The guest modules are imported under check_exec's alias in the user's program, never as
    ``harness``: a project whose own package is called that is checked like any other (from
    the folder above it, or with ``python -P``, so that ``-m harness`` finds check's)."""
    own = tmp_path / "proj" / "harness"
    own.mkdir(parents=True)
    (own / "__init__.py").write_text("")
    (own / "jobs.py").write_text("def work(queue):\n    queue.put(42)\n")
    (tmp_path / "proj" / "run.py").write_text(
        "import multiprocessing\nfrom harness.jobs import work\n\n"
        "if __name__ == '__main__':\n    queue = multiprocessing.Queue()\n"
        "    process = multiprocessing.Process(target=work, args=(queue,))\n"
        "    process.start()\n    assert queue.get(timeout=30) == 42\n    process.join()\n")
    cmd = [sys.executable, "-m", "harness", "check", "proj/run.py", "--json", "--timeout",
           str(TIMEOUT), "--python", check_run.newest()[0]]
    proc = subprocess.run(cmd, cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=False)
    doc = json.loads(proc.stdout)
    assert [r["outcome"] for r in doc["results"]] == ["ok"] * 3, doc["results"]
    assert doc["not_exercised"] == {} and doc["ok"], doc
