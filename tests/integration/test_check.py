"""`python -m harness check` on small scripts covering each diagnosis, on two interpreters
(whole test suites and what a run could not check: ``test_check_scope.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List, Set

import pytest

from harness import discovery
from tests.integration import check_run
from tests.integration.check_run import FIXTURES, ROOT

pytestmark = pytest.mark.slow

def test_fine_everywhere() -> None:
    """A picklable module-level target: exit 0, no diagnosis, ok under every method."""
    doc = check_run.check("fine:work", "--args", "[2]")
    assert doc["exit"] == 0
    # --json lists the runs in the table's order: the interpreters as named (3.8 before 3.13),
    # then fork, forkserver, spawn.
    names = list(dict.fromkeys(r["environment"] for r in doc["results"]))
    assert [(r["environment"], r["method"]) for r in doc["results"]] == [
        (n, m) for n in names for m in ("fork", "forkserver", "spawn")]
    assert [n.split(".")[1] for n in names] == sorted((n.split(".")[1] for n in names), key=int)
    assert check_run.codes(doc) == set()
    assert {r["outcome"] for r in doc["results"]} == {"ok"}


def test_fine_script_everywhere() -> None:
    """The same as a whole script."""
    doc = check_run.check("fine.py")
    assert (doc["exit"], check_run.codes(doc)) == (0, set())


def test_objects_of_the_scripts_classes_come_back_from_children() -> None:
    """A Pool result, a worker's exception and a Queue item of classes the script defines come
    back as under ``python main_class_result.py`` (review r1: spawn/forkserver hung, the parent
    looking for ``__mp_main__.Result`` in check's own executor)."""
    doc = check_run.check("main_class_result.py")
    assert (doc["exit"], check_run.codes(doc)) == (0, set()), doc["results"]


def test_lambda_target_not_picklable() -> None:
    """A lambda target fails to pickle under spawn/forkserver; fork works (the cause as in
    https://github.com/facebookresearch/spdl/pull/1565)."""
    doc = check_run.check("lambda_target:work")
    assert doc["exit"] == 1
    assert "lambda-or-local-function" in check_run.codes(doc)
    assert "not-picklable" not in check_run.codes(doc)  # the specific cause, not the fallback
    assert check_run.outcomes(doc, "fork") == {"ok"}
    assert check_run.outcomes(doc, "spawn") == {"error"}


def test_lock_argument_not_picklable() -> None:
    """A threading.Lock argument, naming the object's type (as in
    https://github.com/eth-easl/mixtera/pull/68)."""
    doc = check_run.check("lock_argument.py")
    diag = next(d for d in doc["diagnoses"] if d["code"] == "thread-lock-argument")
    assert "_thread.lock" in diag["message"]
    assert all(not c.endswith("[fork]") for c in diag["cells"])


def test_function_defined_in_command_line_main() -> None:
    """A function defined in `python -c`: the spawn child cannot get the attribute."""
    doc = check_run.check("command_line_main.py")
    assert "defined-in-main" in check_run.codes(doc)
    assert check_run.outcomes(doc, "fork") == {"ok"}


def test_missing_main_guard() -> None:
    """Starting a process at import time: spawn's bootstrapping RuntimeError."""
    doc = check_run.check("unguarded.py")
    assert "missing-main-guard" in check_run.codes(doc)
    assert check_run.outcomes(doc, "fork") == {"ok"}


def test_global_differs_under_spawn() -> None:
    """A global assigned in the main block differs in spawn/forkserver children."""
    doc = check_run.check("global_config.py")
    diag = next(d for d in doc["diagnoses"] if d["code"] == "global-differs")
    assert "MODE" in diag["message"]
    assert all("fork]" not in c or "forkserver" in c for c in diag["cells"])
    # Nothing failed, but the child, whose target reads MODE, printed the other mode: a
    # silently wrong result (r13).
    assert doc["exit"] == 1 and {r["outcome"] for r in doc["results"]} == {"ok"}


def test_threads_alive_at_fork() -> None:
    """A running thread at fork time is diagnosed under fork only."""
    doc = check_run.check("threads_at_fork.py")
    diag = next(d for d in doc["diagnoses"] if d["code"] == "threads-at-fork")
    assert all(cell.endswith("[fork]") for cell in diag["cells"])


def test_lock_held_at_fork_hangs_only_under_fork() -> None:
    """A lock held by another thread: timeout under fork, ok elsewhere; the hung run keeps
    what its parent saw (a thread alive at start(), r13 F6)."""
    doc = check_run.check("lock_held_at_fork.py")
    assert check_run.outcomes(doc, "fork") == {"timeout"}
    assert check_run.outcomes(doc, "spawn") == {"ok"}
    assert {"hangs-only-under-fork", "threads-at-fork"} <= check_run.codes(doc)
    assert doc["exit"] == 1


def test_works_only_because_default_is_fork() -> None:
    """Relying on fork's copied globals breaks under spawn/forkserver: flagged where the
    interpreter's default is fork (Linux up to 3.13)."""
    doc = check_run.check("needs_fork_default.py")
    assert check_run.outcomes(doc, "fork") == {"ok"}
    assert check_run.outcomes(doc, "spawn") == {"error"}
    spawn = next(r for r in doc["results"] if r["method"] == "spawn")
    assert spawn["error"]["type"] == "RuntimeError"
    assert "works-only-with-fork-default" in check_run.codes(doc)


def test_the_table_marks_the_defaults_fits_the_terminal_and_says_where_it_fails_as_is() -> None:
    """The default each interpreter reports is marked: fork on a host CPython up to 3.13, and
    forkserver on the root's 3.14 (What's New in Python 3.14, multiprocessing), where the
    program fails as it is; COLUMNS=80 narrows the table, the error is listed once below."""
    from harness import check

    names = check_run.newest()
    in_root, _ = discovery.root_interpreters()
    root_314 = [i.session_name for i in in_root if i.version[:2] == (3, 14)]
    names += root_314[:1]
    out = check_run.text("needs_fork_default.py", names, COLUMNS="80")
    table = out.split("\n\n")[0].splitlines()
    assert max(len(line) for line in table) <= 80, out
    # The lines below it too, but for a link, never broken.
    assert all(len(line) <= 80 or (line.split() == [line.strip()] and "://" in line)
               for line in out.splitlines()), out
    assert "https://docs.python.org/3.14/whatsnew/3.14.html" \
        "#whatsnew314-multiprocessing-start-method\n" in out, out
    said = " ".join(out.split())  # as read, across the wrapped lines
    host = check.label(check.select_interpreters(names[:1])[0], [])
    assert next(r for r in table if r.startswith(host + " ")).split()[1] == "ok*", out
    assert table[-1].startswith("* the interpreter's default start method"), out
    assert out.count("RuntimeError: SETTINGS was never loaded") == 1, out
    assert "works as it is on %s (default fork)" % host in said, out
    if root_314:
        row = next(r for r in table if r.startswith(root_314[0] + " "))
        assert row.split()[2] == "error*", out
        assert "fails as it is on %s (default forkserver: error [1])" % root_314[0] in said, \
            out


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
    doc = check_run.check("needs_fork_default.py", interpreters=check_run.newest())
    spawn = next(r for r in doc["results"] if r["method"] == "spawn")
    assert (spawn["error"]["where"], spawn["error"]["type"]) == ("child", "RuntimeError")


def test_a_child_dying_as_its_parent_stops_it_still_failed() -> None:
    """pebble's shape (review r21 item 9: said for one of five identical cells): the parent
    stops a child whose pipe closed, which was already exiting with code 1, having failed to
    re-import the script. It failed on its own, in every such cell, stopped or not."""
    doc = check_run.check("stopped_while_dying.py", interpreters=check_run.newest())
    also = {r["method"]: (r["error"] or {}).get("also") for r in doc["results"]}
    assert also == {"fork": None, **dict.fromkeys(
        ("forkserver", "spawn"),
        "a child also failed: ChildFailed: a child exited with code 1 before its target ran")}
    assert "missing-main-guard" in check_run.codes(doc)


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
    doc = check_run.check("fine.py", interpreters=[name])
    assert {r["environment"] for r in doc["results"]} == {name}
    assert {r["outcome"] for r in doc["results"]} == {"ok"}


# --- Causes, each from a program reduced from a real report ---------------------------------

CAUSES = [
    # (program, cause, methods it must be seen under, report the program is reduced from)
    ("environ_argument.py", "environ-argument", {"spawn", "forkserver"},
     "https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled"),
    ("bound_method_lock.py", "bound-method-target", {"spawn", "forkserver"},
     "https://docs.python.org/3/library/pickle.html#handling-stateful-objects"),
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
    ("global_queue.py", "resource-global", {"spawn", "forkserver"},
     "https://docs.python.org/3/library/multiprocessing.html#all-start-methods"),
    ("fd_number.py", "fd-not-inherited", {"spawn", "forkserver"},
     "https://github.com/gentoo/portage/pull/1133"),
    ("spawn_only_state.py", "method-name-special-cased", {"forkserver"},
     "https://github.com/cs50/check50/pull/396"),
    ("queue_other_context.py", "context-mixed", {"fork"},
     "https://github.com/python/cpython/issues/77377"),
    ("join_before_get.py", "queue-joined-before-drained", {"fork", "spawn", "forkserver"},
     "https://docs.python.org/3/library/multiprocessing.html#all-start-methods"),
    ("sigterm_handler_inherited.py", "signal-handler-inherited", {"fork"},
     "https://github.com/SpaceCowMedia/commander-spellbook-backend/pull/1204"),
    # Its TypeError, not a failure to find the script's class, under spawn/forkserver too.
    ("exception_custom_init.py", "exception-not-unpicklable", {"fork", "spawn", "forkserver"},
     "https://github.com/python/cpython/issues/79492"),
]


@pytest.mark.parametrize("program,cause,methods,report", CAUSES,
                         ids=[c[1] for c in CAUSES])
def test_cause_named(program: str, cause: str, methods: Set[str], report: str) -> None:
    """Each cause is named exactly where the run observed it, with a fix and a link."""
    doc = check_run.check(program, interpreters=check_run.newest())
    diag = next((d for d in doc["diagnoses"] if d["code"] == cause), None)
    assert diag is not None, (check_run.codes(doc), doc["results"])
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
    doc = check_run.check("spawn_only_state.py", interpreters=check_run.newest())
    assert [d["code"] for d in doc["diagnoses"]][-1] == "works-only-with-fork-default"


def test_a_process_subclass_that_overrides_run_is_watched_like_a_target() -> None:
    """Its run() (not a target) is what the child runs: it is wrapped in the child as a target
    is, so the queue-join cause and the child's own error (with its frame) are found, on the
    oldest and newest Python and PyPy (guest code: 3.8-compatible, pickled by spawn)."""
    doc = check_run.check("subclass_join.py", interpreters=check_run.newest())
    diag = next((d for d in doc["diagnoses"] if d["code"] == "queue-joined-before-drained"),
                None)
    assert diag is not None, (check_run.codes(doc), doc["results"])
    assert len(diag["cells"]) == 3 and "the child Producer-1" in diag["message"], diag
    names = _interpreters("3.8", "pypy3.9") + check_run.newest()
    doc = check_run.check("subclass_raises.py", interpreters=names)
    for run in doc["results"]:
        error = run["error"] or {}
        assert (error.get("type"), error.get("where")) == ("ValueError", "child"), run
        assert [(f["function"], f["line"]) for f in error["traceback"]] == [("run", 9)], run


def test_a_bound_target_holding_a_lock_is_named_on_pypy() -> None:
    """PyPy words the pickling error its own way (review r14 F7): the attribute is named."""
    pypy = _interpreters("pypy3.9")
    if not pypy:
        pytest.skip("needs PyPy 3.9")
    doc = check_run.check("bound_method_lock.py", interpreters=pypy)
    assert "bound-method-target" in check_run.codes(doc), doc["diagnoses"]


def _interpreters(*wanted: str) -> List[str]:
    """The local interpreters among ``wanted`` (``3.8``, ``pypy3.9``), by session name."""
    found, _ = discovery.discover(explicit=["/usr/bin/pypy3"])
    return [i.path for i in found if i.session_name in wanted]


def test_queue_join_deadlock_is_named_on_old_pythons_and_pypy() -> None:
    """The documented deadlock ("Joining processes that use queues") is named from what both
    processes were doing at the kill, on 3.8 and PyPy as on the newest; a hang in join() for a
    child still in its target, or a child waiting to flush while nothing joins it, is not it."""
    old = _interpreters("3.8", "pypy3.9")
    if not old:
        pytest.skip("needs a local CPython 3.8 or PyPy 3.9")
    doc = check_run.check("join_before_get.py", "--timeout", "3", interpreters=old)
    diag = next((d for d in doc["diagnoses"] if d["code"] == "queue-joined-before-drained"),
                None)
    assert diag is not None and len(diag["cells"]) == 3 * len(old), doc
    assert "the child Process-1" in diag["message"]
    assert diag["links"][0].endswith("#all-start-methods")
    for program in ("join_sleeping_child.py", "put_then_sleep.py"):
        doc = check_run.check(program, "--timeout", "3", interpreters=check_run.newest())
        assert {r["outcome"] for r in doc["results"]} == {"timeout"}, program
        assert "queue-joined-before-drained" not in check_run.codes(doc), (program, doc)


def test_context_mixed_is_named_where_old_pythons_only_crash() -> None:
    """Before 3.11.5 (and on PyPy 3.9) start() does not refuse a fork-context Queue given to a
    spawn process: the child crashes in it (gh-77377) and the parent waits; the child's dump
    (faulthandler, which check enables in the children it watches) names the cause."""
    old = _interpreters("3.8", "pypy3.9")
    if not old:
        pytest.skip("needs a local CPython 3.8 or PyPy 3.9")
    doc = check_run.check("queue_other_context.py", interpreters=old)
    diag = next((d for d in doc["diagnoses"] if d["code"] == "context-mixed"), None)
    assert diag is not None, doc
    assert {c.rpartition("[")[2] for c in diag["cells"]} == {"fork]"}
    assert len(diag["cells"]) == len(old)
    assert "segmentation fault in Queue.put" in diag["message"]
    for run in doc["results"]:  # --json's detail reads as "where it hung" does
        if run["method"] == "fork":
            assert "; where it hung: Fatal Python error: Segmentation fault (a process died in " \
                "multiprocessing/queues.py:" in run["detail"], run["detail"]
