"""Fast checks of `check`'s judgement: what counts as a failure and which cause an observation
supports (the programs that produce these observations are in tests/integration/test_check.py)."""

from __future__ import annotations

import signal
from typing import Any, Dict, List, Optional, Tuple

from harness.check_diagnose import diagnose
from harness.guest import check_exec, check_targets
from harness.runner import CaseRun
from harness.vocab import Outcome


class _Proc:
    def __init__(self, pid: int, exitcode: Optional[int]) -> None:
        self.pid, self.exitcode = pid, exitcode


def _entry(pid: int, code: Optional[int], wrapped: bool = True) -> Dict[str, Any]:
    return {"process": _Proc(pid, code), "pid": pid, "wrapped": wrapped}


def test_terminated_on_purpose_is_not_a_failure() -> None:
    """Pool.__exit__ -> terminate(): -15 for a recorded pid is no failure; a crash signal or a
    child that died before its target ran (exit 1, no report) is."""
    check_exec._STOPPED.clear()
    check_exec._STOPPED.add(10)
    assert check_exec._child_failure([_entry(10, -signal.SIGTERM)], {}, False) is None
    assert check_exec._child_failure([_entry(11, -signal.SIGTERM)], {}, False) is None
    crash = check_exec._child_failure([_entry(12, -signal.SIGSEGV)], {}, False)
    assert crash is not None and crash["type"] == "ChildCrashed"
    boot = check_exec._child_failure([_entry(13, 1)], {}, False)
    assert boot is not None and "before its target ran" in boot["message"]
    raised = check_exec._child_failure([_entry(14, 1)], {14: {"error": {
        "type": "RuntimeError", "message": "x"}}}, False)
    assert raised == {"type": "RuntimeError", "message": "x", "where": "child"}
    exited = check_exec._child_failure([_entry(15, 3)], {15: {"error": {
        "type": "SystemExit", "message": "3"}}}, False)
    assert exited is None  # a child's own sys.exit(3) is the program's protocol
    own = check_exec._child_failure([_entry(16, 3)], {16: {"error": None}}, True)
    assert own is not None  # ...but a callable target's own result is the outcome
    check_exec._STOPPED.clear()


def _run(method: str, outcome: Outcome = Outcome.OK, error: Optional[Dict[str, str]] = None,
         children: Optional[List[Dict[str, Any]]] = None, stderr: str = "",
         **observed: Any) -> CaseRun:
    obs = dict(observed, children=children or [], default_method="fork")
    return CaseRun(case="t", method=method, outcome=outcome, error=error, observed=obs,
                   stderr=stderr)


def _codes(runs: Dict[Any, CaseRun]) -> List[str]:
    return [d.code for d in diagnose(runs)]


def test_module_missing_in_the_parent_is_not_a_child_cause() -> None:
    """`No module named` in the parent (not installed here) is not about children."""
    missing = {"type": "ModuleNotFoundError", "message": "No module named 'numpy'",
               "where": "parent"}
    runs = {("3.12", m): _run(m, Outcome.ERROR, missing) for m in ("fork", "spawn")}
    assert "target-module-not-importable" not in _codes(runs)
    child = dict(missing, where="child")
    runs = {("3.12", "fork"): _run("fork"),
            ("3.12", "spawn"): _run("spawn", Outcome.ERROR, child)}
    assert _codes(runs) == ["target-module-not-importable", "works-only-with-fork-default"]


def test_fork_only_observations_are_not_claimed_for_other_methods() -> None:
    """EBADF under fork, an environment difference under spawn, lost logging under fork: none
    of those causes is claimed."""
    ebadf = {"type": "OSError", "message": "[Errno 9] Bad file descriptor", "where": "child"}
    runs = {("3.12", "fork"): _run("fork", Outcome.ERROR, ebadf,
                                   [{"log_handlers_lost": True}]),
            ("3.12", "spawn"): _run("spawn", children=[{"env_differ": ["X"]}])}
    assert _codes(runs) == []


def test_patch_is_a_replaced_attribute_not_any_difference() -> None:
    """A mock or a function from elsewhere replaced in the parent is a patch; a module
    attribute the main block rebinds to another of the module's own functions is not."""
    patched = [{"objects_differ": [{"name": "jobs.fetch", "parent": "test_x.<lambda>",
                                    "child": "jobs.fetch"}]}]
    rebound = [{"objects_differ": [{"name": "jobs.handler", "parent": "jobs.fast",
                                    "child": "jobs.slow"}]}]
    assert "patch-not-seen" in _codes({("3.12", "spawn"): _run("spawn", children=patched)})
    assert _codes({("3.12", "spawn"): _run("spawn", children=rebound)}) == []


def test_an_object_global_a_failed_child_has_as_none_is_a_global_that_differs() -> None:
    """review r13 (sqlite_global.py, scrape_manager_global.py): ``DB = None``, a connection
    in the main block; spawn workers fail on None ("No known cause recognised" before). Named
    as global-differs where the run failed and code of the user's names it; not where nothing
    failed (a lazily opened per-process connection: sqlite_lazy.py), nor when no code names
    it."""
    def children(read: bool) -> List[Dict[str, Any]]:
        return [{"objects_differ": [{"name": "__main__.DB", "parent": "sqlite3.Connection",
                                     "child": "None", "read": read}]}]
    error = {"type": "AttributeError", "where": "child",
             "message": "'NoneType' object has no attribute 'execute'"}
    failed = {("3.12", "spawn"): _run("spawn", Outcome.ERROR, error=error,
                                      children=children(True))}
    (diag,) = [d for d in diagnose(failed) if d.code == "global-differs"]
    assert "__main__.DB (parent: sqlite3.Connection; child: None)" in diag.message
    assert "create it in the child (a Pool initializer)" in diag.fix
    assert _codes({("3.12", "spawn"): _run("spawn", children=children(True))}) == []
    assert _codes({("3.12", "spawn"): _run("spawn", Outcome.ERROR, error=error,
                                           children=children(False))}) == []


def test_an_object_global_is_not_blamed_for_an_error_that_is_not_about_it() -> None:
    """review r14 (init_conn.py): ``conn`` made in each worker by a Pool initializer, as the
    fix advises; a task raises ValueError under every method. The worker's conn differs from
    the parent's at start, but the error says nothing of None or of conn: not named. The same
    run whose error is about None (or names the global) still names it."""
    children = [{"objects_differ": [{"name": "__main__.conn", "parent": "sqlite3.Connection",
                                     "child": "None", "read": True}]}]

    def failed(message: str) -> Dict[Tuple[str, str], CaseRun]:
        error = {"type": "ValueError", "where": "child", "message": message}
        return {("3.12", "spawn"): _run("spawn", Outcome.ERROR, error=error,
                                        children=children)}

    assert _codes(failed("bad record 3")) == []
    assert _codes(failed("connection lost")) == []  # "conn" is not a word of it
    assert "global-differs" in _codes(failed("'NoneType' object has no attribute 'execute'"))
    assert "global-differs" in _codes(failed("conn is closed"))


def test_one_generator_state_per_child_is_not_duplication() -> None:
    distinct = [{"random": {"m.RNG": 1}}, {"random": {"m.RNG": 2}}]
    same = [{"random": {"m.RNG": 1}}, {"random": {"m.RNG": 1}}]
    assert _codes({("3.12", "fork"): _run("fork", children=distinct)}) == []
    assert _codes({("3.12", "fork"): _run("fork", children=same)}) == ["random-state-duplicated"]


def test_summary_comes_last_and_names_every_method() -> None:
    lam = {"type": "PicklingError", "message": "Can't pickle local object 'f.<locals>.g'",
           "where": "parent"}
    runs = {("3.12", "fork"): _run("fork"),
            ("3.12", "spawn"): _run("spawn", Outcome.ERROR, lam),
            ("3.12", "forkserver"): _run("forkserver", Outcome.ERROR, lam)}
    found = diagnose(runs)
    assert [d.code for d in found] == ["lambda-or-local-function",
                                       "works-only-with-fork-default"]
    assert "spawn/forkserver child" in found[0].message


#: pickle's error for `inner`, defined in main() and given to Process(target=...), as each
#: interpreter here words it (recorded with pickle.dumps(inner) on each, 2026-12-07).
_LOCAL_MESSAGES = {
    "3.8": ("AttributeError", "Can't pickle local object 'main.<locals>.inner'"),
    "3.13": ("AttributeError", "Can't get local object 'main.<locals>.inner'"),
    "3.14": ("PicklingError",
             "Can't pickle local object <function main.<locals>.inner at 0x7fa08826ef00>"),
    "3.15": ("PicklingError",
             "Can't pickle local object <function main.<locals>.inner at 0x7fa22fd4bb60>"),
    "pypy3.9": ("PicklingError", "Can't pickle <function main.<locals>.inner at "
                "0x00007f0dc08d80c0>: it's not found as __main__.main.<locals>.inner"),
}


def test_a_local_function_is_named_by_its_qualified_name_once() -> None:
    """Every interpreter's wording of the same local function gives one name, main.<locals>.inner
    (3.14's "local object <function" and PyPy's "<locals>.inner" were printed as the name)."""
    runs = {}
    for interp, (kind, message) in _LOCAL_MESSAGES.items():
        error = {"type": kind, "message": message, "where": "parent"}
        runs[(interp, "spawn")] = _run("spawn", Outcome.ERROR, error,
                                       stderr="Traceback ...\n%s: %s" % (kind, message))
    found = next(d for d in diagnose(runs) if d.code == "lambda-or-local-function")
    assert found.message.startswith("main.<locals>.inner is a lambda or a function defined ")
    assert found.message.count("inner") == 1
    lam = {"type": "PicklingError", "where": "parent", "message": "Can't pickle <function "
           "main.<locals>.<lambda> at 0x00007f0c4212c0c0>: it's not found as "
           "__main__.main.<locals>.<lambda>"}  # PyPy 3.9, a Pool given a lambda
    found = next(d for d in diagnose({("pypy3.9", "spawn"): _run("spawn", Outcome.ERROR, lam)})
                 if d.code == "lambda-or-local-function")
    assert found.message.startswith("main.<locals>.<lambda> is a lambda")
    bare = {"type": "PicklingError", "where": "parent",  # the address dropped, as displayed
            "message": "Can't pickle local object <function f.<locals>.g.<locals>.<lambda>>"}
    found = next(d for d in diagnose({("3.14", "spawn"): _run("spawn", Outcome.ERROR, bare)})
                 if d.code == "lambda-or-local-function")
    assert found.message.startswith("f.<locals>.g.<locals>.<lambda> is a lambda")


def test_a_name_after_a_long_word_in_the_output_is_found() -> None:
    """Output holding a long unbroken word (a base64 blob, a dotted path) before pickle's
    message: the name after it is found, and a name whose parts run long starts where they do.
    (One pattern of every wording, retried from each letter of such a word, took seconds for
    8,000 characters and minutes for this text, r12: the output read is that long.)"""
    from harness.check_match import local_function

    text = ("QUJD" * 25000 + " " + "a." * 50000 + "\nPicklingError: Can't pickle <function "
            "main.<locals>.inner at 0x00007f0dc08d80c0>: it's not found as __main__.main")
    assert local_function(_run("spawn"), text, "spawn") == "main.<locals>.inner"
    # A name longer than 120 characters is cut as every detail is, to 120 with "…" (text.shorten).
    assert local_function(_run("spawn"), "x " + "a." * 100000 + "<lambda>>", "spawn") == \
        "a." * 59 + "a…"
    assert local_function(_run("spawn"), "local object '%s'" % ("b" * 200), "spawn") == \
        "b" * 119 + "…"
    assert local_function(_run("spawn"), "a<lambda" * 30000, "spawn") is None


def test_the_check_says_where_each_hang_was() -> None:
    """A hang whose processes wrote to stderr before the kill is listed with that line (the
    runner's detail quotes it); a hang that said nothing and other outcomes are not."""
    from harness import check
    from harness.results import HANG_QUOTE

    killed = "no result within the hard timeout; process tree killed"
    runs = {("3.12", "fork"): CaseRun(case="t", method="fork", outcome=Outcome.TIMEOUT,
                                      detail=killed + HANG_QUOTE + "child: taking the lock"),
            ("3.12", "spawn"): CaseRun(case="t", method="spawn", outcome=Outcome.TIMEOUT,
                                       detail=killed),
            ("3.12", "forkserver"): _run("forkserver")}
    assert check.format_hangs(runs, ["3.12"]) == (
        "where it hung (the last line written to stderr before the kill; in a traceback, its "
        "error):\n  3.12[fork]: child: taking the lock")
    assert check.format_hangs({("3.12", "spawn"): runs[("3.12", "spawn")]}, ["3.12"]) == ""


def test_pickling_causes_point_to_what_pickle_can_send() -> None:
    """A lambda and a thread lock are answered by the pickle docs' list of what can be pickled
    and the multiprocessing programming guidelines, not by the report they were reduced from."""
    from harness import check

    lam = {"type": "PicklingError", "message": "Can't pickle <function <lambda> at 0x1>",
           "where": "parent"}
    lock = {"type": "TypeError", "message": "cannot pickle '_thread.lock' object",
            "where": "parent"}
    for error, code in ((lam, "lambda-or-local-function"), (lock, "thread-lock-argument")):
        found = diagnose({("3.12", "spawn"): _run("spawn", Outcome.ERROR, error)})
        diag = next(d for d in found if d.code == code)
        assert diag.links == (
            "https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled",
            "https://docs.python.org/3/library/multiprocessing.html#programming-guidelines")
        assert "  see: %s %s\n" % diag.links in check.format_diagnoses([diag])


_BOOTSTRAP = """Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "/usr/lib/python3.12/multiprocessing/spawn.py", line 140, in _check_not_importing_main
    raise RuntimeError('''
RuntimeError:
        An attempt has been made to start a new process before the
        current process has finished its bootstrapping phase.

        To fix this issue, refer to the "Safe importing of main module"
        section in https://docs.python.org/3/library/multiprocessing.html

"""


def test_a_hang_in_a_traceback_quotes_its_error_not_its_last_line() -> None:
    """An unguarded Pool under spawn hangs re-raising the bootstrapping RuntimeError: its last
    line is only the docs link, so the hang quotes what happened (the error's first sentence);
    a traceback the kill cut off quotes the complete one before it."""
    from harness import check
    from harness.results import HANG_QUOTE

    killed = "no result within the hard timeout; process tree killed" + HANG_QUOTE
    link = "section in https://docs.python.org/3/library/multiprocessing.html"
    first = ("RuntimeError: An attempt has been made to start a new process before the current "
             "process has finished its bootstrapping phase.")
    cut = _BOOTSTRAP + "[... 999 bytes cut by the harness ...]\n" + _BOOTSTRAP[:120]
    runs = {("3.12", "spawn"): CaseRun(case="t", method="spawn", outcome=Outcome.TIMEOUT,
                                       detail=killed + link, stderr=_BOOTSTRAP),
            ("3.12", "forkserver"): CaseRun(
                case="t", method="forkserver", outcome=Outcome.TIMEOUT,
                detail=killed + 'File "<string>", line 1, in <module>', stderr=cut)}
    lines = check.format_hangs(runs, ["3.12"]).splitlines()[1:]
    assert lines == ["  3.12[forkserver]: a traceback, cut off by the kill; the one before it: "
                     + first, "  3.12[spawn]: " + first]
    frame = {("3.13", "fork"): CaseRun(case="t", method="fork", outcome=Outcome.TIMEOUT,
                                       detail=killed + "raise RuntimeError('''",
                                       stderr=_BOOTSTRAP)}
    assert check.format_hangs(frame, ["3.13"]).splitlines()[1:] == ["  3.13[fork]: " + first]


def test_an_error_without_a_message_is_named_without_a_colon() -> None:
    """queue.Empty has no message: `then in the parent: Empty`, not `Empty: `."""
    assert check_exec._said({"type": "Empty", "message": ""}) == "Empty"
    assert check_exec._said({"type": "OSError", "message": "closed"}) == "OSError: closed"


def test_a_cause_lists_its_cells_in_the_order_of_the_table() -> None:
    """3.8 before 3.12 (as named), fork, forkserver, spawn: not sorted as text (3.12, 3.8)."""
    lam = {"type": "PicklingError", "message": "Can't pickle <function <lambda>>",
           "where": "parent"}
    runs = {(i, m): _run(m, Outcome.ERROR if m != "fork" else Outcome.OK,
                         lam if m != "fork" else None)
            for i in ("3.8", "3.12") for m in ("fork", "forkserver", "spawn")}
    found = {d.code: d.cells for d in diagnose(runs)}
    order = ("3.8[forkserver]", "3.8[spawn]", "3.12[forkserver]", "3.12[spawn]")
    assert found["lambda-or-local-function"] == order
    assert found["works-only-with-fork-default"] == order


def test_logging_not_configured_points_to_the_cookbook_recipe() -> None:
    """The fix it gives (QueueHandler and QueueListener) is the logging cookbook's recipe for
    many processes: the link is that recipe, not the report the cause was reduced from."""
    lost = [{"log_handlers_lost": True}]
    found = diagnose({("3.12", "spawn"): _run("spawn", children=lost)})
    assert found[0].links == ("https://docs.python.org/3/howto/logging-cookbook.html"
                              "#logging-to-a-single-file-from-multiple-processes",)


def test_a_script_exiting_non_zero_says_where(tmp_path: Any, monkeypatch: Any) -> None:
    """sys.exit("...") in the script: the error names the line that exited."""
    import sys

    (tmp_path / "job.py").write_text("import sys\n\nsys.exit('worker failed')\n")
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "path", list(sys.path))
    result = check_targets.run_main(str(tmp_path), "job.py", [])
    assert [(f["line"], f["code"]) for f in result["error"]["traceback"]] == [
        (3, "sys.exit('worker failed')")]


def test_an_object_of_the_default_context_shared_with_another_is_named() -> None:
    """A plain Queue() (the fork default's) given to a spawn-context process: the fork cell ran
    only spawn, yet what failed there came from the method made the default, so it is named;
    any other cause of a cell that ran another method is left to that method's cell."""
    mixed = {"type": "RuntimeError", "where": "parent", "message": (
        "A SemLock created in a fork context is being shared with a process in a spawn "
        "context. This is not supported.")}
    lam = {"type": "PicklingError", "message": "Can't pickle <function <lambda>>",
           "where": "parent"}
    runs = {("3.12", "fork"): _run("fork", Outcome.ERROR, mixed, methods_used=["spawn"]),
            ("3.13", "fork"): _run("fork", Outcome.ERROR, lam, methods_used=["spawn"])}
    found = diagnose(runs)
    assert [(d.code, d.cells) for d in found] == [("context-mixed", ("3.12[fork]",))]
    assert "fork context, shared with a process of the spawn context" in found[0].message


def test_a_hang_whose_stderr_was_cut_is_still_a_missing_main_guard() -> None:
    """An unguarded Pool under PyPy's forkserver wrote 1.6 MB of tracebacks: the stderr kept
    has only their first frames (spawn's _fixup_main_from_path) and the warnings after them,
    and the hang's last line is the RuntimeError's last ("... is not going to be frozen to
    produce an executable.", before 3.12): the main guard is missing, not some other error of a
    child re-running the script."""
    from harness.results import HANG_QUOTE

    stderr = ('Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
              '  File "/usr/lib/pypy3.9/multiprocessing/spawn.py", line 287, in '
              "_fixup_main_from_path\n    main_content = runpy.run_path(main_path,\n"
              "[... 1667859 bytes cut by the harness ...]\n"
              "/usr/lib/pypy3.9/multiprocessing/resource_tracker.py:229: UserWarning: "
              "resource_tracker: '/mp-96yy4aon': [Errno 2] No such file or directory\n")
    run = CaseRun(case="t", method="forkserver", outcome=Outcome.TIMEOUT, stderr=stderr,
                  detail="no result within the hard timeout; process tree killed" + HANG_QUOTE
                  + "is not going to be frozen to produce an executable.")
    codes = [d.code for d in diagnose({("pypy3.9", "forkserver"): run})]
    assert "missing-main-guard" in codes and "main-rerun-in-child" not in codes, codes


def test_a_fork_cell_hang_is_not_blamed_on_fork_where_the_program_names_its_methods() -> None:
    """A plain Queue() given to a get_context("spawn") process: 3.8 has no context check, and
    the fork cell hangs (a hang records no method), while the forkserver cell shows every
    process ran spawn. That is no evidence that fork hangs: hangs-only-under-fork ("a lock
    held by another thread") is not claimed; a program using the default still gets it."""
    spawned = {"start_attempts": 1, "methods_used": ["spawn"]}
    runs = {("3.8", "fork"): CaseRun(case="t", method="fork", outcome=Outcome.TIMEOUT),
            ("3.8", "forkserver"): CaseRun(case="t", method="forkserver", outcome=Outcome.OK,
                                           observed=spawned),
            ("3.8", "spawn"): CaseRun(case="t", method="spawn", outcome=Outcome.OK,
                                      observed=spawned)}
    assert "hangs-only-under-fork" not in _codes(runs)
    runs[("3.8", "forkserver")] = CaseRun(
        case="t", method="forkserver", outcome=Outcome.OK,
        observed={"start_attempts": 1, "methods_used": ["forkserver"]})
    assert "hangs-only-under-fork" in _codes(runs)


#: Causes the Python docs do not state (found in real reports): their first link is the report.
_FROM_REPORTS = {"pool-pickled", "target-module-not-importable", "patch-not-seen",
                 "random-state-duplicated"}


def test_a_cause_links_the_docs_first_where_the_docs_say_it() -> None:
    """What the docs state, a user reads there first (set_start_method "raises RuntimeError if
    the start method has already been set"; spawn and forkserver inherit no unnecessary file
    descriptors; pickle cannot send an open file); the report it was reduced from comes after."""
    from harness.check_diagnose import CAUSES

    for cause in CAUSES:
        links = (cause.link,) if isinstance(cause.link, str) else cause.link
        from_docs = links[0].startswith("https://docs.python.org/")
        assert from_docs == (cause.code not in _FROM_REPORTS), (cause.code, links)


def test_a_causes_text_names_what_every_cell_showed() -> None:
    """Two cells with different globals: the text names all of them, not the first cell's
    only, yet lists no more than a few; a cause without a list of names keeps each cell's
    distinct detail."""
    runs = {("3.12", "fork"): _run("fork"),
            ("3.12", "forkserver"): _run("forkserver", children=[
                {"globals_differ": ["app.registry.nan"]}]),
            ("3.12", "spawn"): _run("spawn", children=[
                {"globals_differ": ["T0", "app.registry.PLUGINS"]}])}
    (diag,) = [d for d in diagnose(runs) if d.code == "global-differs"]
    assert "globals T0, app.registry.PLUGINS, app.registry.nan than" in diag.message
    assert diag.cells == ("3.12[forkserver]", "3.12[spawn]")
    many = {("3.12", "spawn"): _run("spawn", children=[
        {"globals_differ": ["G%d" % i for i in range(9)]}])}
    (diag,) = [d for d in diagnose(many) if d.code == "global-differs"]
    assert "globals G0, G1, G2, G3, G4, G5 and 3 more than" in diag.message
    lost = {("3.12", m): _run(m, children=[{"error": {
        "type": "ModuleNotFoundError", "message": "No module named '%s'" % name}}],
        stderr="ModuleNotFoundError: No module named '%s'" % name)
        for m, name in (("spawn", "alpha"), ("forkserver", "beta"))}
    texts = [d.message for d in diagnose(lost) if d.code == "target-module-not-importable"]
    assert texts and "'beta'" in texts[0] and "'alpha'" in texts[0]


def test_a_generator_seeded_on_purpose_is_not_duplication() -> None:
    """``random.Random(1234)``: spawn children, importing afresh, rebuild the state fork
    children share (or share one state among themselves): seeded on purpose, no finding in
    any cell. A generator each spawn child seeds differently, shared only by forking, is
    named; without a spawn cell to tell, so is any shared state."""
    def runs(fork_state: int, *spawned: int) -> Dict[Any, CaseRun]:
        shared = [{"random": {"m.RNG": fork_state}}] * 2
        out = {("3.12", "fork"): _run("fork", children=shared),
               ("3.12", "forkserver"): _run("forkserver", children=shared)}
        if spawned:
            out[("3.12", "spawn")] = _run("spawn", children=[
                {"random": {"m.RNG": s}} for s in spawned])
        return out

    assert "random-state-duplicated" not in _codes(runs(1, 1))
    assert "random-state-duplicated" not in _codes(runs(5, 1, 1))
    (diag,) = [d for d in diagnose(runs(5, 2, 3)) if d.code == "random-state-duplicated"]
    assert diag.cells == ("3.12[fork]", "3.12[forkserver]")
    assert "random-state-duplicated" in _codes(runs(5))


def _rerun_stderr(line: str) -> str:
    """A spawn child's traceback of the main script re-run (``_fixup_main_from_path``), whose
    error is ``line``."""
    return ('Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
            '  File "/usr/lib/python3.12/multiprocessing/spawn.py", line 297, in '
            "_fixup_main_from_path\n    main_content = runpy.run_path(main_path,\n"
            '  File "/tmp/job/run.py", line 7, in <module>\n    raise ConfigError("x")\n'
            + line + "\n")


def test_a_main_rerun_names_an_exception_of_a_dotted_name() -> None:
    """The child's error printed with its module (``__mp_main__.ConfigError``,
    ``_pickle.PicklingError``) is named by the main re-run's diagnosis as error [1] names it,
    not "see the traceback"."""
    for line, said in (("__mp_main__.ConfigError: DB_URL is not set in the child",
                        "ConfigError: DB_URL is not set in the child"),
                       ("_pickle.PicklingError: Can't pickle <function f>: it's not the same",
                        "PicklingError: Can't pickle <function f>: it's not the same"),
                       ("ValueError: bad", "ValueError: bad")):
        error = {"type": line.partition(":")[0].rpartition(".")[2], "where": "child",
                 "message": "%s (in a child, before its target ran)" % line.partition(": ")[2]}
        found = [d for d in diagnose({("3.12", "spawn"): _run(
            "spawn", Outcome.ERROR, error, stderr=_rerun_stderr(line))})
            if d.code == "main-rerun-in-child"]
        assert found and found[0].message.endswith("failed there: " + said), found


def test_where_each_method_is_the_default_agrees_with_the_catalog() -> None:
    """check's advice of where spawn and forkserver are the default (``_DEFAULT_WHERE``)
    names the operating systems, and the Python it starts from, of the catalog's
    methods.default rules, and no other OS: a change of those rules leaves no stale advice."""
    import re

    import cases.methods  # noqa: F401  (registers methods.default)
    from harness.check_diagnose import _DEFAULT_WHERE
    from harness.guest import catalog, words

    rules = next(c for c in catalog.all_cases() if c.id == "methods.default").expect
    where: Dict[str, Dict[str, List[str]]] = {}
    for rule in rules:
        if rule.value["default"] != words.FORK:
            said = where.setdefault(rule.value["default"], {"os": [], "python": []})
            said["os"] += [words.OS_NAMES[os] for os in rule.conditions["os"]]
            said["python"] += re.findall(r">=(\d+\.\d+)", rule.conditions.get("python", ""))
    assert sorted(where) == sorted(_DEFAULT_WHERE)
    for method, said in where.items():
        text = _DEFAULT_WHERE[method]
        assert [os for os in words.OS_NAMES.values() if os in text] == sorted(
            said["os"], key=list(words.OS_NAMES.values()).index), text
        assert all(version in text for version in said["python"]), text
    # A condition a default rule states (no writable temporary directory: spawn, gh-155717)
    # is in the advice too.
    notes = " ".join(rule.note or "" for rule in rules if rule.value["default"] != words.FORK)
    if "temporary directory" in notes:
        assert "temporary directory" in _DEFAULT_WHERE[words.FORKSERVER]


def test_a_global_that_differs_where_nothing_failed_is_worded_as_a_risk() -> None:
    """A global only parent-side code reads (an apply_async callback's counter, review r10):
    nothing failed, so the text says it would differ if a child read it, not that the child
    saw it; where a run failed, the text says what the child saw."""
    differs = [{"globals_differ": ["__main__.STATS"]}]
    fine = {("3.12", m): _run(m, children=differs if m != "fork" else [])
            for m in ("fork", "spawn")}
    (diag,) = [d for d in diagnose(fine) if d.code == "global-differs"]
    assert diag.message == ("a spawn child has other values of module globals "
                            "__main__.STATS than the parent had at start(), and code of yours "
                            "names them: nothing failed, but a child that reads them silently "
                            "computes something else")
    assert diag.fix.startswith("pass the values as arguments")
    assert "if it read them" not in diag.message  # review r13: a task may read them
    failed = dict(fine)
    failed[("3.12", "spawn")] = _run("spawn", Outcome.ERROR, children=differs,
                                     error={"type": "AssertionError", "message": ""})
    (diag,) = [d for d in diagnose(failed) if d.code == "global-differs"]
    assert diag.message.startswith("the child saw different values of module globals")
    assert diag.fix.startswith("pass the values as arguments")


def test_os_environ_sent_to_a_child_is_named_not_its_local_function() -> None:
    """Process(args=(os.environ,)) under spawn (review r10): pickle names os's own local
    function, which the user cannot move to module level; the cause names os.environ and its
    fix a plain copy, on every interpreter's wording (recorded 2026-12-07; 3.14's as its
    other local functions'). A local function of the user's is still that cause."""
    messages = {"3.8": "Can't pickle local object '_createenviron.<locals>.encode'",
                "3.13": "Can't get local object '_createenviron.<locals>.encode'",
                "3.14": "Can't pickle local object <function _create_environ_mapping.<locals>."
                        "encode at 0x7fa08826ef00>",
                "pypy3.9": "Can't pickle <function _createenviron.<locals>.encode at "
                           "0x00007f3968fd39c0>: it's not found as os._createenviron.<locals>."
                           "encode"}
    runs = {(i, "spawn"): _run("spawn", Outcome.ERROR, {"type": "PicklingError",
                                                        "message": m, "where": "parent"})
            for i, m in messages.items()}
    found = diagnose(runs)
    assert [d.code for d in found] == ["environ-argument"]
    assert found[0].message.startswith("os.environ is sent to a spawn child")
    assert "dict(os.environ)" in found[0].fix
    own = {"type": "PicklingError", "where": "parent",
           "message": "Can't pickle local object 'createenviron.<locals>.encode'"}
    assert _codes({("3.12", "spawn"): _run("spawn", Outcome.ERROR, own)}) == [
        "lambda-or-local-function"]


def test_a_multiprocessing_object_a_child_made_anew_is_named_with_the_docs_guideline() -> None:
    """A module-level Queue the children use as a global (review r10): under spawn each child
    has its own, so the parent's get() times out (queue.Empty). The cause names it and cites
    the docs' "Explicitly pass resources to child processes" (All start methods)."""
    own = [{"resources_differ": ["__main__.RESULTS (Queue)"]}]
    empty = {"type": "Empty", "message": "", "where": "parent"}
    runs = {("3.12", "fork"): _run("fork"),
            ("3.12", "spawn"): _run("spawn", Outcome.ERROR, empty, children=own)}
    (diag,) = [d for d in diagnose(runs) if d.code == "resource-global"]
    assert "__main__.RESULTS (Queue)" in diag.message and "spawn child" in diag.message
    assert diag.links == ("https://docs.python.org/3/library/multiprocessing.html"
                          "#all-start-methods",)
    assert "args=" in diag.fix


def test_a_global_that_differs_comes_before_a_resource_the_child_has_its_own_of() -> None:
    """Both seen in the failing cells (r12's sub_q3.py before its Queue counted as passed): the
    value the child read otherwise is listed first, the queue it may not use after it."""
    own = [{"resources_differ": ["__main__.RESULTS (Queue)"], "globals_differ": ["VERBOSE"]}]
    wrong = {"type": "AssertionError", "message": "0", "where": "parent"}
    runs = {("3.12", "fork"): _run("fork"),
            ("3.12", "spawn"): _run("spawn", Outcome.ERROR, wrong, children=own)}
    codes = _codes(runs)
    assert codes.index("global-differs") < codes.index("resource-global"), codes


def test_a_target_in_a_packages_main_is_named_with_its_fix() -> None:
    """`check -m pkg` with the worker in pkg/__main__.py: a spawn child never imports a
    package's __main__ again; the text blamed only -c, stdin and the main guard and told the
    user to move it to an importable .py file, which it already was (review r17)."""
    error = {"type": "AttributeError", "where": "child",
             "message": "Can't get attribute 'work' on <module '__main__' (built-in)>"}
    found = [d for d in diagnose({("3.12", "spawn"): _run("spawn", Outcome.ERROR, error)})
             if d.code == "defined-in-main"]
    assert len(found) == 1
    assert "a package's __main__.py run with -m" in found[0].message
    assert "another module of the package" in found[0].fix
