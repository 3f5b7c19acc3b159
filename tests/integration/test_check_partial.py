"""`check --pytest` runs that do not end: what they finished is kept and said (a hang until
the hard timeout, SIGTERM), a hang in collection is named where it was, and check's own
options written after --pytest are check's. Real runs of the interpreter running the tests
(the one with pytest), on suites in tests/fixtures/check/."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

from harness.check_tests import ONLY_BEFORE
from harness.guest.check_suite import PROGRESS
from harness.leftovers import TMP_PREFIX

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "check"
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
#: hang_suite's tests but the one that hangs under every method: fork's run hangs in the
#: second (a lock held at fork), the others run all three.
NOT_JOIN = "not join_before_get"


def _check(folder: str, *argv: str) -> "subprocess.CompletedProcess[str]":
    proc = subprocess.run([sys.executable, "-m", "harness", "check", *argv],
                          cwd=str(FIXTURES / folder), capture_output=True, text=True,
                          timeout=120, env=ENV, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _tests(doc: Dict[str, Any], method: str) -> Dict[str, str]:
    run = next(r for r in doc["results"] if r["method"] == method)
    return {t: e["outcome"] for t, e in ((run["observed"] or {}).get("tests") or {}).items()}


def test_checks_options_after_pytest_are_checks() -> None:
    """`--python X --json` after `--pytest` select the interpreter and the output, and what
    pytest rejects names pytest, never the harness's script."""
    proc = _check("hang_suite", "--pytest", "-q", "-k", "child_exits", "--python", sys.executable,
                  "--json")
    doc = json.loads(proc.stdout)
    assert doc["args"] == ["-q", "-k", "child_exits"]
    assert _tests(doc, "spawn") == {"test_hangs.py::test_child_exits_cleanly": "passed"}
    proc = _check("hang_suite", "--pytest", "-q", "--no-such-option")
    assert "check_exec" not in proc.stdout + proc.stderr
    assert "(pytest: error: unrecognized arguments: --no-such-option)" in " ".join(
        proc.stdout.split())


def test_the_tests_a_hung_run_finished_are_kept() -> None:
    """Under fork the suite hangs in its second test until the hard timeout: its first test's
    result is kept and compared, the hung test is named, the third was never reached."""
    proc = _check("hang_suite", "--json", "--timeout", "4", "--pytest", "-q", "-k", NOT_JOIN)
    doc = json.loads(proc.stdout)
    fork = _tests(doc, "fork")
    assert fork == {"test_hangs.py::test_child_exits_cleanly": "passed"}, fork
    hung = [v for v in doc["method_dependent"]
            if v["test"] == "test_hangs.py::test_lock_held_at_start"]
    assert hung and hung[0]["outcomes"]["fork"] == "hung"
    text = _check("hang_suite", "--timeout", "4", "--pytest", "-q", "-k", NOT_JOIN).stdout
    assert "the 1 test(s) it finished before are kept" in " ".join(text.split())


def test_a_hang_after_the_last_test_is_said_after_it() -> None:
    """teardown_hang's session-end hook never returns, after its only test passed: the run is
    said to hang after that test, at the session's end, not in it (review r21 item 7), and
    where the parent waited is named."""
    text = " ".join(_check("teardown_hang", "--timeout", "4", "--pytest", "-q").stdout.split())
    assert "it hung after its last test (test_child.py::test_child_exits) had finished: at " \
           "pytest's session end or at the program's exit" in text, text
    assert "in test_child.py::test_child_exits" not in text, text
    assert "conftest.py:10 in pytest_sessionfinish" in text, text


def test_a_hang_in_collection_is_named_where_it_was() -> None:
    """conftest.py hangs at import under fork: the run says it hung while pytest collected,
    at which line of conftest.py, with the cause; the other methods collected and ran."""
    proc = _check("collect_hang", "--json", "--timeout", "4", "--pytest", "-q")
    doc = json.loads(proc.stdout)
    hangs: List[Dict[str, Any]] = doc["hung_in_collection"]
    assert [h["cell"] for h in hangs] == [doc["results"][0]["environment"] + "[fork]"]
    assert hangs[0]["frames"][0].startswith("conftest.py:22 in _warm_up: process.join()")
    assert [c["code"] for c in hangs[0]["causes"]] == ["hangs-only-under-fork"]
    # Under spawn/forkserver conftest.py's child dies loading its target (it imports
    # conftest.py, which starts a process while the child starts): said, never "no process
    # started" (review r20 F1b); pytest's outcome stays the run's.
    failed = {f["cell"].partition("[")[2]: f["error"]["message"]
              for f in doc["failed_before_tests"]}
    assert failed == dict.fromkeys(("forkserver]", "spawn]"),
                                   "a child exited with code 1 before its target ran"), failed
    assert set(doc["runs_not_exercising_the_method"].values()) == {ONLY_BEFORE}, doc
    assert [r["outcome"] for r in doc["results"]] == ["timeout", "ok", "ok"]
    text = " ".join(_check("collect_hang", "--timeout", "4", "--pytest", "-q").stdout.split())
    assert "timeout while pytest collected the tests" in text
    assert "at conftest.py:22 in _warm_up: process.join()" in text
    assert "nothing about start methods was checked" not in text, text
    assert "before any test, failed (no test's outcome shows it)" in text, text


def test_sigterm_keeps_what_the_runs_finished_and_reaps_them(tmp_path: Path) -> None:
    """SIGTERM (as Ctrl-C) while fork's run hangs: the test it finished is reported, the test
    it was in is named, the runs never started are listed, no process of the run is left,
    and check exits 130."""
    proc = subprocess.Popen([sys.executable, "-m", "harness", "check", "--timeout", "60",
                             "--pytest", "-q", "-k", NOT_JOIN],
                            cwd=str(FIXTURES / "hang_suite"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    # Once fork's run is in the hanging test: its progress file says so.
    out, err = stop_when(proc, lambda: _started(proc.pid, "test_lock_held_at_start") >= 1)
    assert proc.returncode == 130, err
    said = " ".join(out.split())
    assert "error interrupted by SIGTERM in test_hangs.py::test_lock_held_at_start;" \
        " the 1 test(s) it finished before are kept" in said, out
    assert "interrupted by SIGTERM (not run: " in err and "[forkserver]" in err and \
        "[spawn]" in err, err
    assert not _descendants(proc.pid)


def stop_when(proc: "subprocess.Popen[str]", ready: Callable[[], bool]) -> Tuple[str, str]:
    """SIGTERM (as Ctrl-C) to ``proc`` once ``ready()`` (or after 60 s), then its stdout and
    stderr; killed if it outlives them."""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not ready():
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        return proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _started(pid: int, test: str) -> int:
    """How many runs of the check ``pid`` runs have started ``test`` (their progress files)."""
    found = 0
    for folder in Path(tempfile.gettempdir()).glob("%s%d-hang-*" % (TMP_PREFIX, pid)):
        try:
            found += test in (folder / PROGRESS).read_text()
        except OSError:  # not written yet, or the run is over
            continue
    return found


def _descendants(pid: int) -> List[str]:
    """Processes still running a check_exec of this check (by its hang folder's name)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if "%s%d-" % (TMP_PREFIX, pid) in cmdline and "check_exec" in cmdline:
            found.append(cmdline)
    return found


def _killed_suite(tmp_path: Path, *argv: str) -> "subprocess.Popen[str]":
    """check --jobs 3 of killed_suite: its second test waits, under every method, on a FIFO
    of ``tmp_path`` that nothing writes (it ends only when its run is killed)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return subprocess.Popen([sys.executable, "-m", "harness", "check", "--jobs", "3",
                             *argv, "--pytest", "-q"], cwd=str(FIXTURES / "killed_suite"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(ENV, CHECK_FIXTURE_FIFO=str(fifo)))


def _finished_test_causes(doc: Dict[str, Any]) -> Dict[str, Any]:
    """The method-dependent verdict of the test every run finished."""
    verdicts = {v["test"]: v for v in doc["method_dependent"]}
    verdict: Dict[str, Any] = verdicts["test_killed.py::test_global_set_before_start"]
    assert verdict["outcomes"] == {"fork": "passed", "forkserver": "failed",
                                   "spawn": "failed"}, verdict
    return verdict


def test_sigterm_keeps_the_causes_of_the_tests_that_finished(tmp_path: Path) -> None:
    """SIGTERM (as Ctrl-C) once every run waits in the second test: the first test's causes,
    seen by its children and by the runs before the kill, are reported as a finished run's
    would be (the global the child saw otherwise, the fork default it works under), the
    runs are labelled partial, none of their processes is left, and check exits 130."""
    proc = _killed_suite(tmp_path, "--json", "--timeout", "120")
    out, err = stop_when(proc, lambda: _started(proc.pid, "test_waits_for_the_fifo") == 3)
    assert proc.returncode == 130, err
    doc = json.loads(out)
    verdict = _finished_test_causes(doc)
    codes = [d["code"] for d in verdict["diagnoses"]]
    assert codes == ["global-differs", "works-only-with-fork-default"], verdict
    assert "MODE" in verdict["diagnoses"][0]["message"]
    name = doc["results"][0]["environment"]
    assert doc["partial"] == ["%s[%s]" % (name, m) for m in ("fork", "forkserver", "spawn")]
    assert all(r["error"]["type"] == "Interrupted" for r in doc["results"]), doc["results"]
    assert not _descendants(proc.pid)
    assert not list(Path(tempfile.gettempdir()).glob("%s%d-*" % (TMP_PREFIX, proc.pid)))


def test_a_hard_timeout_keeps_the_causes_of_the_tests_that_finished(tmp_path: Path) -> None:
    """Every run killed at the hard timeout in the second test: the first test's causes are
    kept as well, and the runs are labelled partial, with why."""
    proc = _killed_suite(tmp_path, "--timeout", "10")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    said = " ".join(out.split())
    assert "test_killed.py::test_global_set_before_start (" in said, out
    assert "[global-differs] the child saw different values of module globals MODE" in said
    assert "[works-only-with-fork-default]" in said
    assert "partial: every method on " in said
    assert " (timeout) did not finish; each test above is compared among the runs that " \
        "finished it" in said, out
    assert "test_killed.py::test_waits_for_the_fifo (" in said
