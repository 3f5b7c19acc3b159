"""The pickling catalog's helpers and declarations (fast; no case is run here)."""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import List

import pytest

from harness.guest import catalog
from harness.guest.catalog import Case

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from cases import pickling  # noqa: E402

#: The ids issue 4 asks for, plus the docs statements #24, #26, #28, #64 (#27 via "covers").
REQUIRED = {
    "lambda_target", "nested_function_target", "bound_method_target",
    "main_function_from_command_line", "callable_class_instance", "lambda_argument",
    "generator_argument", "open_file_argument", "socket_argument", "threading_lock_argument",
    "multiprocessing_lock_argument", "multiprocessing_lock_through_queue",
    "lock_from_other_context", "local_class_instance", "closure_argument", "large_argument",
    "unpicklable_return_value", "exception_with_custom_init", "process_subclass_picklable",
    "repl_target_attributeerror", "ppe_main_importable",
}


def _pickling_cases() -> List[Case]:
    return [c for c in catalog.all_cases() if c.category == "pickling"]


def test_required_cases_are_registered() -> None:
    """Every id from issue 4's pickling list exists, and there are at least 16 cases."""
    ids = {c.id.split(".", 1)[1] for c in _pickling_cases()}
    assert ids >= REQUIRED, sorted(REQUIRED - ids)
    assert len(ids) >= 16


def test_every_case_cites_a_source_and_states_its_claim() -> None:
    """Each case has an https source, a docstring with 'Source:' and 'Why it matters'."""
    for found in _pickling_cases():
        assert all(s.startswith("https://") for s in found.sources), found.id
        assert "Source:" in found.doc and "Why it matters" in found.doc, found.id


def test_docs_statements_are_covered() -> None:
    """Statements #24, #26, #27, #28 and #64 of docs-statements.md are each covered."""
    covered = {n for c in _pickling_cases() for n in c.covers}
    assert {24, 26, 27, 28, 64} <= covered


@pytest.mark.parametrize(("raw", "expected"), [
    ("Can't pickle <function <lambda> at 0x7f3a2b1c0d30>: attribute lookup failed",
     "Can't pickle <function <lambda>>: attribute lookup failed"),
    ("<SpawnProcess name='SpawnProcess-1' pid=379473 parent=378707 stopped exitcode=1>",
     "<SpawnProcess name='SpawnProcess-1' pid=N parent=N stopped exitcode=1>"),
    ("No such file or directory: '/tmp/case-1234/<stdin>'\nsecond line",
     "No such file or directory: '<stdin>'"),
])
def test_normalise_strips_addresses_pids_and_directories(raw: str, expected: str) -> None:
    """Messages are reduced to a first line that is the same in every run."""
    assert pickling.normalise(raw) == expected


def test_raise_as_keeps_the_type_name() -> None:
    """raise_as raises an exception whose class name is the original type name."""
    with pytest.raises(Exception) as caught:
        pickling.raise_as("PicklingError", "Can't pickle <x at 0xdeadbeef>", "start()")
    assert type(caught.value).__name__ == "PicklingError"
    assert str(caught.value) == "start(): Can't pickle <x>"


@pytest.mark.skipif(not os.path.isdir("/dev/shm") or sys.platform != "linux",
                    reason="Linux /dev/shm only")
def test_live_named_semaphore_counts_as_in_use() -> None:
    """The runner's /dev/shm sweep must not unlink a live multiprocessing semaphore (glibc maps
    it under a temporary name, so only its inode identifies it)."""
    from harness.guest import _procs

    lock = multiprocessing.get_context("spawn").Lock()
    name = "sem." + lock._semlock.name.lstrip("/")  # type: ignore[attr-defined]
    assert name in _procs.shm_names()
    assert name in _procs.shm_in_use()


def test_an_executor_that_cannot_run_a_builtin_fails_where_it_fails() -> None:
    """PyPy 3.9's ProcessPoolExecutor raises in submit() under spawn/forkserver: the executor
    cases fail with that error, marked ``submit(abs, -3):``, which the rules (errors from
    ``result():``) do not accept; a working executor passes the check."""
    from concurrent.futures import Future

    from cases.pickling_results import check_executor

    class Broken:
        def submit(self, *args: object) -> object:
            raise AttributeError("'ProcessPoolExecutor' object has no attribute '_x'")

    class Working:
        def submit(self, func: object, value: int) -> "Future[int]":
            done: "Future[int]" = Future()
            done.set_result(abs(value))
            return done

    with pytest.raises(Exception) as caught:
        check_executor(Broken())
    assert type(caught.value).__name__ == "AttributeError"
    assert str(caught.value).startswith("submit(abs, -3): ")
    check_executor(Working())
