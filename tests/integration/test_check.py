"""`python -m harness check` on small scripts covering each diagnosis, on two interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import pytest

from harness import discovery

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "check"
TIMEOUT = 4.0
pytestmark = pytest.mark.slow


def _interpreters() -> List[str]:
    found, _ = discovery.discover()
    cpython = [i for i in found if i.implementation == "cpython"]
    if len(cpython) < 2:
        pytest.skip("needs two local CPython interpreters")
    newest = [i for i in cpython if i.version[:2] >= (3, 12)] or cpython
    return [cpython[0].path, newest[-1].path]


def _newest() -> List[str]:
    """One host CPython whose default is fork (3.12 or 3.13), for the per-cause programs."""
    found, _ = discovery.discover()
    cpython = [i for i in found if i.implementation == "cpython" and i.version[:2] <= (3, 13)]
    if not cpython:
        pytest.skip("needs a local CPython up to 3.13")
    return [cpython[-1].path]


def _check(target: str, *extra: str, interpreters: Optional[List[str]] = None) -> Dict[str, Any]:
    interpreters = _interpreters() if interpreters is None else interpreters
    cmd = [sys.executable, "-m", "harness", "check", target, "--json",
           "--timeout", str(TIMEOUT), *extra]
    for path in interpreters:
        cmd += ["--python", path]
    proc = subprocess.run(cmd, cwd=str(FIXTURES), capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    doc: Dict[str, Any] = json.loads(proc.stdout)
    doc["exit"] = proc.returncode
    for run in doc["results"]:
        assert run["wall_s"] <= 1.5 * TIMEOUT, run
    return doc


def _codes(doc: Dict[str, Any]) -> Set[str]:
    return {d["code"] for d in doc["diagnoses"]}


def _outcomes(doc: Dict[str, Any], method: str) -> Set[str]:
    return {r["outcome"] for r in doc["results"] if r["method"] == method}


def test_fine_everywhere() -> None:
    """A picklable module-level target: exit 0, no diagnosis, ok under every method."""
    doc = _check("fine:work", "--args", "[2]")
    assert doc["exit"] == 0
    assert _codes(doc) == set()
    assert {r["outcome"] for r in doc["results"]} == {"ok"}


def test_fine_script_everywhere() -> None:
    """The same as a whole script."""
    doc = _check("fine.py")
    assert (doc["exit"], _codes(doc)) == (0, set())


def test_lambda_target_not_picklable() -> None:
    """A lambda target fails to pickle under spawn/forkserver; fork works (the cause as in
    https://github.com/facebookresearch/spdl/pull/1565)."""
    doc = _check("lambda_target:work")
    assert doc["exit"] == 1
    assert "lambda-or-local-function" in _codes(doc)
    assert "not-picklable" not in _codes(doc)  # the specific cause, not the fallback
    assert _outcomes(doc, "fork") == {"ok"}
    assert _outcomes(doc, "spawn") == {"error"}


def test_lock_argument_not_picklable() -> None:
    """A threading.Lock argument, naming the object's type (as in
    https://github.com/eth-easl/mixtera/pull/68)."""
    doc = _check("lock_argument.py")
    diag = next(d for d in doc["diagnoses"] if d["code"] == "thread-lock-argument")
    assert "_thread.lock" in diag["message"]
    assert all(not c.endswith("[fork]") for c in diag["cells"])


def test_function_defined_in_command_line_main() -> None:
    """A function defined in `python -c`: the spawn child cannot get the attribute."""
    doc = _check("command_line_main.py")
    assert "defined-in-main" in _codes(doc)
    assert _outcomes(doc, "fork") == {"ok"}


def test_missing_main_guard() -> None:
    """Starting a process at import time: spawn's bootstrapping RuntimeError."""
    doc = _check("unguarded.py")
    assert "missing-main-guard" in _codes(doc)
    assert _outcomes(doc, "fork") == {"ok"}


def test_global_differs_under_spawn() -> None:
    """A global assigned in the main block differs in spawn/forkserver children."""
    doc = _check("global_config.py")
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "MODE" in diag["message"]
    assert all("fork]" not in c or "forkserver" in c for c in diag["cells"])
    assert doc["exit"] == 0  # the script works; the diagnosis is a warning


def test_threads_alive_at_fork() -> None:
    """A running thread at fork time is diagnosed under fork only."""
    doc = _check("threads_at_fork.py")
    diag = next(d for d in doc["diagnoses"] if d["code"] == "threads-at-fork")
    assert all(cell.endswith("[fork]") for cell in diag["cells"])


def test_lock_held_at_fork_hangs_only_under_fork() -> None:
    """A lock held by another thread: timeout under fork, ok elsewhere."""
    doc = _check("lock_held_at_fork.py")
    assert _outcomes(doc, "fork") == {"timeout"}
    assert _outcomes(doc, "spawn") == {"ok"}
    assert "hangs-only-under-fork" in _codes(doc)
    assert doc["exit"] == 1


def test_works_only_because_default_is_fork() -> None:
    """Relying on fork's copied globals breaks under spawn/forkserver: flagged where the
    interpreter's default is fork (Linux up to 3.13)."""
    doc = _check("needs_fork_default.py")
    assert _outcomes(doc, "fork") == {"ok"}
    assert _outcomes(doc, "spawn") == {"error"}
    spawn = next(r for r in doc["results"] if r["method"] == "spawn")
    assert spawn["error"]["type"] == "RuntimeError"
    assert "works-only-with-fork-default" in _codes(doc)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    """A missing script, a bad target or bad --args: one line, exit 2, no traceback."""
    for args in (["nope.py"], ["not a target"], ["fine:work", "--args", "{}"],
                 ["fine:work", "--python", str(tmp_path / "python9")], [],
                 ["fine:work", "--pytest", "-q"]):
        proc = subprocess.run([sys.executable, "-m", "harness", "check", *args],
                              cwd=str(FIXTURES), capture_output=True, text=True, timeout=60,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                              check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("harness: error:")


# --- No false alarms -------------------------------------------------------------------------


def test_pool_program_ok_under_load() -> None:
    """The canonical correct program (a Pool as a context manager: Pool.__exit__ terminates the
    workers with SIGTERM on purpose) is `ok` under every method on every interpreter found,
    the Debian root's included, with two CPU burners running beside it (issue #21: it was
    `error (ChildFailed: -15)` in 3 of 5 runs)."""
    burners = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(2)]
    try:
        for _ in range(2):
            cmd = [sys.executable, "-m", "harness", "check", "pool_map.py", "--json"]
            proc = subprocess.run(cmd, cwd=str(FIXTURES), capture_output=True, text=True,
                                  timeout=600, env={"PYTHONPATH": str(ROOT), "PATH": os.environ[
                                      "PATH"], "HOME": os.environ.get("HOME", "/root")},
                                  check=False)
            doc = json.loads(proc.stdout)
            bad = [(r["environment"], r["method"], r["outcome"], r.get("error"))
                   for r in doc["results"] if r["outcome"] not in ("ok", "unavailable")]
            assert (proc.returncode, bad, doc["diagnoses"]) == (0, [], [])
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def test_child_failure_the_script_ignores_is_still_an_error() -> None:
    """A child that dies of an uncaught exception prints a traceback even when the script
    exits 0: that is an error (in the child), not `ok`."""
    doc = _check("needs_fork_default.py", interpreters=_newest())
    spawn = next(r for r in doc["results"] if r["method"] == "spawn")
    assert (spawn["error"]["where"], spawn["error"]["type"]) == ("child", "RuntimeError")


# --- Every interpreter -----------------------------------------------------------------------


def _root_only(in_root: Any, found: Any) -> Any:
    """A root interpreter whose name the host does not have (the root's 3.13 shares it)."""
    host = {i.session_name for i in found}
    return next(i for i in in_root if i.session_name not in host)


def test_default_and_named_interpreters_include_the_root() -> None:
    """`check` uses the provisioned root's interpreters by default and by the names
    `python -m harness interpreters` prints (3.14, pypy3.9, a path)."""
    from harness import check

    in_root, _ = discovery.root_interpreters()
    if not in_root:
        pytest.skip("no provisioned Debian root (python -m harness provision)")
    default = check.select_interpreters(None)
    assert {i.session_name for i in in_root} <= {i.session_name for i in default}
    found, _ = discovery.discover()
    named = check.select_interpreters([_root_only(in_root, found).session_name])
    assert [i.origin for i in named] == ["root"]
    pypy = [i for i in found if i.implementation == "pypy"]
    if pypy:
        assert check.select_interpreters([pypy[0].session_name])[0].path == pypy[0].path
    assert check.select_interpreters([found[0].path])[0].path == found[0].path


def test_check_runs_a_root_interpreter_by_name() -> None:
    """`--python 3.14` runs the user's script in the root (the user's folder bound inside)."""
    in_root, _ = discovery.root_interpreters()
    if not in_root:
        pytest.skip("no provisioned Debian root (python -m harness provision)")
    name = _root_only(in_root, discovery.discover()[0]).session_name
    doc = _check("fine.py", interpreters=[name])
    assert {r["environment"] for r in doc["results"]} == {name}
    assert {r["outcome"] for r in doc["results"]} == {"ok"}


# --- Causes, each from a program reduced from a real report ---------------------------------

CAUSES = [
    # (program, cause, methods it must be seen under, report the program is reduced from)
    ("open_file_argument.py", "open-resource-argument", {"spawn", "forkserver"},
     "https://github.com/crate/crate-python/issues/398"),
    ("pool_in_object.py", "pool-pickled", {"spawn", "forkserver"},
     "https://github.com/DEAP/deap/issues/434"),
    ("lock_in_pool_task.py", "sync-primitive-pickled", {"fork", "spawn", "forkserver"},
     "https://superfastpython.com/multiprocessing-pool-mutex-lock"),
    ("import_from_path.py", "target-module-not-importable", {"spawn", "forkserver"},
     "https://github.com/rstudio/reticulate/issues/1677"),
    ("patched_in_parent.py", "patch-not-seen", {"spawn", "forkserver"},
     "https://github.com/python/cpython/issues/135583"),
    ("env_after_start.py", "env-set-after-forkserver-start", {"forkserver"},
     "https://github.com/airspeed-velocity/asv/pull/1551"),
    ("logging_in_child.py", "logging-not-configured", {"spawn", "forkserver"},
     "https://github.com/wyim-pgl/family_finder/issues/19"),
    ("random_in_children.py", "random-state-duplicated", {"fork"},
     "https://github.com/pytorch/pytorch/issues/5059"),
    ("set_twice.py", "start-method-set-twice", {"fork", "spawn", "forkserver"},
     "https://github.com/djgroen/FabSim3/issues/201"),
    ("unguarded_set_method.py", "main-rerun-in-child", {"spawn"},
     "https://docs.python.org/3/library/multiprocessing.html#the-spawn-and-forkserver-start-methods"),
    ("fd_number.py", "fd-not-inherited", {"spawn", "forkserver"},
     "https://github.com/gentoo/portage/pull/1133"),
    ("spawn_only_state.py", "method-name-special-cased", {"forkserver"},
     "https://github.com/cs50/check50/pull/396"),
    ("queue_other_context.py", "context-mixed", {"fork"},
     "https://github.com/python/cpython/issues/77377"),
]


@pytest.mark.parametrize("program,cause,methods,report", CAUSES,
                         ids=[c[1] for c in CAUSES])
def test_cause_named(program: str, cause: str, methods: Set[str], report: str) -> None:
    """Each cause is named exactly where the run observed it, with a fix and a link."""
    doc = _check(program, interpreters=_newest())
    diag = next((d for d in doc["diagnoses"] if d["code"] == cause), None)
    assert diag is not None, (_codes(doc), doc["results"])
    seen = {c.rpartition("[")[2].rstrip("]") for c in diag["cells"]}
    if cause == "random-state-duplicated":
        # A forkserver that preloaded __main__ made the generator once for all its children
        # (seen on 3.14): allowed; a spawn child makes its own, never shared.
        assert methods <= seen <= methods | {"forkserver"}
    else:
        assert seen == methods
    assert diag["fix"] and diag["links"] and all(
        link.startswith("https://") for link in diag["links"])
    if cause in ("logging-not-configured", "random-state-duplicated"):
        assert doc["exit"] == 0  # the program works; the cause is a warning


def test_causes_are_distinct_and_cited() -> None:
    """Every cause id has its own fix and link; the summary stays last."""
    from harness.check_diagnose import CAUSES as KNOWN

    codes = [c.code for c in KNOWN]
    assert len(codes) == len(set(codes))
    assert {c[1] for c in CAUSES} - {"method-name-special-cased"} <= set(codes)
    doc = _check("spawn_only_state.py", interpreters=_newest())
    assert [d["code"] for d in doc["diagnoses"]][-1] == "works-only-with-fork-default"


# --- Whole test suites -----------------------------------------------------------------------


def test_pytest_suite_lists_exactly_the_method_dependent_tests() -> None:
    """`check --pytest` on tests/fixtures/check/suite: three tests depend on the method (each
    cited in the suite), four do not (a Pool, no process, failing everywhere, skipped)."""
    pytest.importorskip("pytest")
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


def test_executor_manager_and_terminated_daemon_are_not_failures() -> None:
    """A ProcessPoolExecutor, a Manager and a daemon Process the program terminates itself:
    `ok` everywhere, and the executor's own module globals are not reported as differing."""
    doc = _check("executor_and_manager.py")
    assert {r["outcome"] for r in doc["results"]} == {"ok"}
    assert (doc["exit"], _codes(doc)) == (0, set())


# --- What a run could not check, and runs that must not meet ----------------------------------


def test_a_method_the_program_chose_itself_is_not_claimed() -> None:
    """A script that sets fork itself: its spawn and forkserver cells ran fork, so they are
    marked not exercised and the verdict names what was not checked (it used to print "works
    under every start method")."""
    doc = _check("chooses_fork.py", interpreters=_newest())
    assert _outcomes(doc, "spawn") == {"ok"}
    unchecked = doc["not_exercised"]
    assert set(unchecked) == {"%s[%s]" % (r["environment"], m) for r in doc["results"]
                              for m in ("spawn", "forkserver") if r["method"] == m}
    assert set(unchecked.values()) == {"ran fork"}
    assert doc["exit"] == 0


def test_processes_from_contexts_asked_by_name_check_no_default() -> None:
    """get_context("fork") and get_context("spawn") only: the fork and spawn cells used those
    methods but never the default check made, so they say so instead of a plain `ok`; a
    Pool() of the default context (pool_map.py) checks its method as before."""
    doc = _check("explicit_contexts.py", interpreters=_newest())
    assert {r["outcome"] for r in doc["results"]} == {"ok"}
    assert {k.rpartition("[")[2].rstrip("]"): v for k, v in doc["not_exercised"].items()} == {
        "fork": "explicit context: fork/spawn", "spawn": "explicit context: fork/spawn",
        "forkserver": "ran fork/spawn"}
    assert _check("pool_map.py", interpreters=_newest())["not_exercised"] == {}


def test_a_program_that_starts_no_process_checks_nothing() -> None:
    """No process started under any method: nothing was checked, exit 1 (a test file run as
    a script used to pass as "no problem found")."""
    doc = _check("no_process.py", interpreters=_newest())
    assert set(doc["not_exercised"].values()) == {"no process started"}
    assert (doc["ok"], doc["exit"]) == (False, 1)
    proc = subprocess.run([sys.executable, "-m", "harness", "check", "no_process.py",
                           "--python", _newest()[0]], cwd=str(FIXTURES), capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT)}, check=False)
    assert "nothing about start methods was checked" in proc.stdout


def test_a_childs_error_comes_before_the_parents_follow_on(tmp_path: Path) -> None:
    """The child's TypeError is the cell's error, not the parent's empty queue, and a config
    dict filled in the main block is a global that differs, found from any working folder."""
    script = str(FIXTURES / "config_dict_main.py")
    cmd = [sys.executable, "-m", "harness", "check", script, "--json", "--timeout",
           str(TIMEOUT), "--python", _newest()[0]]
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
    alone = _check("fixed_shm_name.py", "--timeout", "8", interpreters=_newest())
    assert {r["outcome"] for r in alone["results"]} == {"ok"}
    together = _check("fixed_shm_name.py", "--timeout", "8", "--jobs", "3",
                      interpreters=_newest())
    assert "FileExistsError" in {(r.get("error") or {}).get("type") for r in together["results"]}


def test_equal_container_globals_do_not_differ() -> None:
    """Module-level dicts, tuples and sets equal in parent and child: no global-differs (a
    digest by hash(repr) differed in every fresh interpreter: str hashes are randomised)."""
    doc = _check("constant_config.py", interpreters=_newest())
    assert {r["outcome"] for r in doc["results"]} == {"ok"}
    assert (_codes(doc), doc["exit"]) == (set(), 0)


def test_a_start_that_fails_is_not_called_no_process() -> None:
    """A start() that raises (a lambda under spawn) was still tried with that method: the
    failing cells are failures, never "no process started"."""
    doc = _check("lambda_script.py", interpreters=_newest())
    assert _outcomes(doc, "spawn") == {"error"}
    assert not any(k.endswith(("[spawn]", "[forkserver]")) for k in doc["not_exercised"])


def test_the_parents_own_error_stays_first() -> None:
    """The parent raised first; the child failed later because of it: the cell's error is
    the parent's, the child's is named after it."""
    doc = _check("parent_error_first.py", interpreters=_newest())
    for run in doc["results"]:
        assert run["error"]["type"] == "ValueError", run["error"]
        assert run["error"]["where"] == "parent"
        assert run["error"]["also"].startswith("a child also failed: ")


def test_watching_never_breaks_a_working_program() -> None:
    """A global whose every attribute lookup raises made check's snapshot raise in start():
    every cell was an error the program does not have."""
    doc = _check("lazy_global.py", interpreters=_newest())
    assert {r["outcome"] for r in doc["results"]} == {"ok"}
    assert doc["exit"] == 0


def test_a_failure_shows_the_users_frames_only() -> None:
    """The frames an error is shown with are the user's: neither the harness's wrapper around
    the target (in the child's own traceback under every method) nor runpy's or
    multiprocessing's; the text says where, innermost last."""
    doc = _check("child_raises.py", interpreters=_newest())
    for run in doc["results"]:
        frames = [(f["function"], f["line"]) for f in run["error"]["traceback"]]
        assert frames == [("work", 12), ("parse", 8)], run
        assert all(f["file"].endswith("child_raises.py") for f in run["error"]["traceback"])
    cmd = [sys.executable, "-m", "harness", "check", "child_raises.py", "--python",
           _newest()[0], "--timeout", str(TIMEOUT)]
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
    doc = _check("join_before_get.py", "--timeout", "3", interpreters=py38[:1])
    assert {r["outcome"] for r in doc["results"]} == {"timeout"}
    for run in doc["results"]:
        assert run["detail"].endswith("parent: joining before reading the queue"), run
