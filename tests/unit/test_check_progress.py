"""What a ``check --pytest`` run cut short leaves (``check_suite``'s progress file, a stack
dump while pytest collects) and how it is read back (``check_pytest.with_progress``,
``check_collect``)."""

from __future__ import annotations

import json
from pathlib import Path

from harness import check_collect, check_left, check_pytest, check_tests
from harness.check_where import HARNESS_DIR
from harness.guest.check_seen import FACTS
from harness.guest.check_suite import COLLECTED, COLLECTING, PROGRESS, read_progress
from harness.guest.check_watch import RUNNING
from harness.runner import CaseRun
from harness.vocab import Outcome

A, B = "tests/test_jobs.py::test_a", "tests/test_jobs.py::test_b"


def _progress(tmp_path: Path) -> None:
    lines = [json.dumps({"started": A}),
             json.dumps({"test": A, "outcome": "passed", "error": "", "methods": ["fork"]}),
             json.dumps({"started": B}), '{"test": "tests/test_jobs.py::test_c", "outc']
    (tmp_path / PROGRESS).write_text("\n".join(lines))  # the last line cut by the kill


def test_a_hung_run_keeps_the_tests_it_finished(tmp_path: Path) -> None:
    _progress(tmp_path)
    assert read_progress(str(tmp_path)) == (
        [{"test": A, "outcome": "passed", "error": "", "methods": ["fork"]}], B)
    hung = CaseRun("--pytest", "fork", Outcome.TIMEOUT, stderr="%s%s\n%s%s\n" % (
        RUNNING, A, RUNNING, B))
    run = check_pytest.with_progress(hung, str(tmp_path))
    assert run.observed == {"tests": {A: {"outcome": "passed", "error": ""}},
                            "methods_by_test": {A: ["fork"]}}
    assert check_tests.hung_test(run) == B
    finished = CaseRun("--pytest", "fork", Outcome.OK, observed={"tests": {}})
    assert check_pytest.with_progress(finished, str(tmp_path)) is finished
    spawn = CaseRun("--pytest", "spawn", Outcome.OK, observed={
        "tests": {A: {"outcome": "passed", "error": ""}, B: {"outcome": "passed", "error": ""}},
        "methods_by_test": {A: ["spawn"], B: ["spawn"]}})
    runs = {("3.12", "fork"): run, ("3.12", "spawn"): spawn}
    verdicts, _ = check_pytest.compare(runs)
    assert [(v.test, v.outcomes) for v in verdicts] == [(B, {"fork": "hung", "spawn": "passed"})]
    assert "the 1 test(s) it finished before are kept" in check_pytest.format_tests(
        verdicts, [], runs)


def _cut_short(run: CaseRun, tmp_path: Path) -> CaseRun:
    """As ``check`` reads a run that did not write its result."""
    return check_pytest.with_progress(check_left.hang_notes(run, tmp_path), str(tmp_path))


def test_a_killed_run_keeps_what_its_finished_tests_saw(tmp_path: Path) -> None:
    """What the run had seen so far (``check_seen``'s facts) and its children's reports in
    the hang folder come back with the tests: a finished test of a run killed later is
    diagnosed as a finished run's would be."""
    lines = [json.dumps({"test": A, "outcome": "failed", "error": "AssertionError: assert 1",
                         "methods": ["spawn"]}),
             json.dumps({"started": B})]
    (tmp_path / PROGRESS).write_text("\n".join(lines) + "\n")
    (tmp_path / FACTS).write_text(json.dumps({"default_method": "fork", "start_attempts": 2,
                                              "threads_at_start": 1}))
    for pid, test in ((11, A), (12, B)):
        (tmp_path / ("child-%d.json" % pid)).write_text(json.dumps(
            {"pid": pid, "error": None, "test": test, "globals_differ": ["MODE"]}))
    killed = _cut_short(CaseRun("--pytest", "spawn", Outcome.ERROR, error={
        "type": check_pytest.INTERRUPTED_ERROR, "message": "interrupted"}), tmp_path)
    assert isinstance(killed.observed, dict)
    assert killed.observed["default_method"] == "fork"
    assert [c["test"] for c in killed.observed["children"]] == [A, B]
    fork = CaseRun("--pytest", "fork", Outcome.OK, observed={
        "tests": {A: {"outcome": "passed", "error": ""}}, "methods_by_test": {A: ["fork"]},
        "default_method": "fork", "children": []})
    verdicts, _ = check_pytest.compare({("3.12", "fork"): fork, ("3.12", "spawn"): killed})
    assert [d["code"] for d in verdicts[0].diagnoses] == [
        "global-differs", "works-only-with-fork-default"]
    text = check_pytest.format_tests(verdicts, [], {("3.12", "fork"): fork,
                                                    ("3.12", "spawn"): killed})
    assert text.endswith("partial: 3.12[spawn] (interrupted) did not finish; each test above "
                         "is compared among the runs that finished it")


def test_a_hung_test_is_judged_by_what_its_hang_left(tmp_path: Path) -> None:
    """What the run had seen (``check_seen``'s facts: here an explicit spawn context) is the
    whole run's, not the test it hung in: fork's hang in that test is still one under fork
    only, and children of the other tests say nothing about it."""
    facts = {"default_method": "fork", "methods_used": ["spawn"], "explicit_only": True,
             "start_attempts": 1, "threads_at_start": 3}
    (tmp_path / PROGRESS).write_text(json.dumps(
        {"test": A, "outcome": "passed", "error": "", "methods": ["spawn"]}))
    (tmp_path / FACTS).write_text(json.dumps(facts))
    (tmp_path / "child-11.json").write_text(json.dumps(
        {"pid": 11, "error": {"type": "ValueError", "message": "in A's child"}, "test": A}))
    hung = _cut_short(CaseRun("--pytest", "fork", Outcome.TIMEOUT, stderr=(
        "%s%s\n%s%s\n" % (RUNNING, A, RUNNING, B))), tmp_path)
    passed = {"outcome": "passed", "error": ""}
    runs = {("3.12", "fork"): hung, **{("3.12", m): CaseRun("--pytest", m, Outcome.OK, observed={
        "tests": {A: passed, B: passed}, "methods_by_test": {A: ["spawn"], B: [m]},
        "default_method": "fork"}) for m in ("forkserver", "spawn")}}
    verdicts, _ = check_pytest.compare(runs)
    assert [(v.test, [d["code"] for d in v.diagnoses]) for v in verdicts] == [
        (B, ["hangs-only-under-fork"])]


DUMP = """Timeout (0:00:03.200000)!
Thread 0x00007f1 (most recent call first):
  File "/usr/lib/python3.12/threading.py", line 355 in wait
  File "/proj/helper.py", line 5 in feed

Thread 0x00007f2 (most recent call first{approx}):
  File "/usr/lib/python3.12/multiprocessing/popen_fork.py", line 27 in poll
  File "/proj/tests/conftest.py", line 14 in _warm_cache
  File "/proj/tests/conftest.py", line 18 in <module>
  File "<frozen importlib._bootstrap>", line 488 in _call_with_frames_removed
  File "/venv/lib/python3.12/site-packages/_pytest/config/__init__.py", line 640 in _importconftest
  File "/venv/lib/python3.12/site-packages/pluggy/_hooks.py", line 512 in __call__
  File "/tmp/smm-case-1-hang-x/_start_method_matrix_guest/check_exec.py", line 137 in _run_pytest
  File "{harness}guest/check_exec.py", line 59 in <module>
"""


def test_a_collection_hang_is_named_by_the_main_threads_user_frames() -> None:
    frames, approx = check_collect.dump_frames(DUMP.format(approx="", harness=HARNESS_DIR), "/proj")
    assert frames == ["tests/conftest.py:14 in _warm_cache", "tests/conftest.py:18 in <module>"]
    assert not approx
    pypy = DUMP.format(approx=", approximate line numbers", harness=HARNESS_DIR)
    assert check_collect.dump_frames(pypy)[1]
    this = Path(__file__).resolve()  # a real file: the code of a line is quoted, unless approximate
    real = DUMP.replace("/proj/tests/conftest.py", str(this))
    assert check_collect.dump_frames(real.format(approx="", harness=HARNESS_DIR))[0][0].endswith(
        ":14 in _warm_cache: " + this.read_text().splitlines()[13].strip())
    assert check_collect.dump_frames(real.format(approx=", approximate line numbers",
                                                 harness=HARNESS_DIR))[0][0].endswith(
        ":14 in _warm_cache")
    stderr = COLLECTING + "\n" + DUMP.format(approx="", harness=HARNESS_DIR)
    hung = CaseRun("--pytest", "fork", Outcome.TIMEOUT, stderr=stderr)
    assert check_collect.collection_hang(hung)
    for other in (CaseRun("--pytest", "fork", Outcome.TIMEOUT, stderr=stderr + COLLECTED),
                  CaseRun("--pytest", "fork", Outcome.TIMEOUT, stderr=stderr + RUNNING + A),
                  CaseRun("--pytest", "fork", Outcome.CRASH, stderr=stderr)):
        assert not check_collect.collection_hang(other)
    text = check_pytest.format_tests([], [], {("3.12", "fork"): hung}, "/proj")
    assert text.splitlines()[0] == (
        "3.12[fork]: timeout while pytest collected the tests (importing conftest.py files "
        "and test modules), before any test started: at tests/conftest.py:14 in _warm_cache "
        "<- tests/conftest.py:18 in <module>")


def test_a_cause_of_collection_hangs_is_said_once_with_its_cells() -> None:
    """Collection hung under fork only on two interpreters: hangs-only-under-fork once, with
    both cells (a run whose collection ended counts as passed; one that says nothing, not)."""
    stderr = COLLECTING + "\n" + DUMP.format(approx="", harness=HARNESS_DIR)
    runs = {}
    for interp in ("3.8", "3.12"):
        runs[(interp, "fork")] = CaseRun("--pytest", "fork", Outcome.TIMEOUT, stderr=stderr)
        runs[(interp, "spawn")] = CaseRun("--pytest", "spawn", Outcome.OK,
                                          stderr=COLLECTING + "\n" + COLLECTED)
    [cause] = check_collect.collection_causes(runs)
    assert (cause.code, cause.cells) == ("hangs-only-under-fork", ("3.8[fork]", "3.12[fork]"))
    runs[("3.12", "spawn")] = CaseRun("--pytest", "spawn", Outcome.CRASH)
    [cause] = check_collect.collection_causes(runs)
    assert cause.cells == ("3.8[fork]",)


def test_what_pytest_said_is_not_the_harness_s_own_marks() -> None:
    """A run pytest ended early with nothing on stdout is described by pytest's own last line,
    never by the lines check writes around collection."""
    run = CaseRun("--pytest", "fork", Outcome.ERROR, error={"message": "pytest exited with code 3"},
                  stderr="%s\nINTERNALERROR> boom\n%s\n" % (COLLECTING, COLLECTED))
    assert check_pytest._pytest_said(run) == "INTERNALERROR> boom"


def test_a_pytest_usage_error_reads_the_same_on_every_pytest() -> None:
    """pytest < 9.2 prints ``pytest: error: …`` for a usage error; 9.2 and later, called as a
    function, ``pytest.main(): error: …`` (its parser's prog): both read ``error: …``."""
    for prog in ("pytest", "pytest.main()"):
        run = CaseRun("--pytest", "fork", Outcome.ERROR,
                      error={"message": "pytest exited with code 4"},
                      stderr="%s: error: unrecognized arguments: --no-such-option\n" % prog)
        assert check_pytest._pytest_said(run) == "error: unrecognized arguments: --no-such-option"


def test_a_collection_dump_of_3_14_names_its_threads() -> None:
    """3.14 puts the thread's name in its header (``Thread 0x.. [python3.14] (most recent
    call first):``): its dump was read as none at all."""
    dump = DUMP.format(approx="", harness=HARNESS_DIR).replace(
        " (most recent call first", " [python3.14] (most recent call first")
    assert check_collect.dump_frames(dump, "/proj")[0] == [
        "tests/conftest.py:14 in _warm_cache", "tests/conftest.py:18 in <module>"]
