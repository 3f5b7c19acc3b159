"""The closed vocabularies, spelled once: start methods, operating systems, case categories,
outcomes, verdicts, cell statuses, claim verdicts and ``check --pytest``'s test outcomes.

Plain strings and tuples (no ``enum``, no ``typing``) because guest code imports them and a fork
child copies what its parent imported; ``harness.vocab`` builds the host's enums from these.
"""

__all__ = [
    "CATEGORIES",
    "CLAIM_VERDICTS",
    "COMMIT_ID",
    "IMPLEMENTATIONS",
    "IMPL_NAMES",
    "OPERATING_SYSTEMS",
    "OS_METHODS",
    "OS_NAMES",
    "OUTCOMES",
    "START_METHODS",
    "STATUSES",
    "TEST_FAILING",
    "TEST_FINE",
    "TEST_OUTCOMES",
    "VERDICTS",
]

#: Every start method multiprocessing knows, in display order.
FORK, FORKSERVER, SPAWN = "fork", "forkserver", "spawn"
START_METHODS = (FORK, FORKSERVER, SPAWN)

#: The operating systems an environment id can name (``env["os"]``), in display order.
LINUX, MACOS, WINDOWS = "linux", "macos", "windows"
OPERATING_SYSTEMS = (LINUX, MACOS, WINDOWS)
#: How the page and messages name them.
OS_NAMES = {LINUX: "Linux", MACOS: "macOS", WINDOWS: "Windows"}
#: The start methods each OS offers (multiprocessing docs: spawn alone on Windows).
OS_METHODS = {LINUX: START_METHODS, MACOS: START_METHODS, WINDOWS: (SPAWN,)}

#: The Python implementations a column can be (``env["implementation"]``), and their names.
CPYTHON, PYPY = "cpython", "pypy"
IMPLEMENTATIONS = (CPYTHON, PYPY)
IMPL_NAMES = {CPYTHON: "CPython", PYPY: "PyPy"}

#: The case categories (one ``cases/<category>.py`` family each), in display order.
DEADLOCK, PERFORMANCE = "deadlock", "performance"
CATEGORIES = ("methods", "inheritance", DEADLOCK, "pickling", PERFORMANCE, "api", "realworld")

#: What happened when one case ran under one start method (see ``harness.vocab.Outcome``).
OK, ERROR, TIMEOUT, CRASH, UNAVAILABLE = "ok", "error", "timeout", "crash", "unavailable"
OUTCOMES = (OK, ERROR, TIMEOUT, CRASH, UNAVAILABLE)
#: The error type of a child that died without sending its result (``catalog.ChildDied``).
CHILD_DIED = "ChildDied"

#: How an outcome compares with what the documentation says should happen.
AS_EXPECTED, UNEXPECTED, NO_EXPECTATION = "as-expected", "unexpected", "no-expectation"
VERDICTS = (AS_EXPECTED, UNEXPECTED, NO_EXPECTATION)

#: The one status a reader sees for a merged cell (``harness.merge.cell_status``).
NOT_RUN, FLAKY = "not-run", "flaky"
STATUSES = (AS_EXPECTED, UNEXPECTED, TIMEOUT, CRASH, UNAVAILABLE, NOT_RUN, FLAKY, NO_EXPECTATION)

#: What the data says of an article's claim (``harness.claimcheck``): held in every evidence cell,
#: in none, depends on the cell; ``partial``: held wherever checked, part of its scope not run
#: or undecided (in one environment: held in its cells that decide, the others undecided);
#: ``undecided``: its cells ran but none can decide it (a hang that did not say where it blocked).
HOLDS, FAILS, DEPENDS, PARTIAL, UNDECIDED = "true", "false", "depends", "partial", "undecided"
CLAIM_VERDICTS = (HOLDS, FAILS, DEPENDS, PARTIAL, UNDECIDED, NOT_RUN)

#: What a run stopped before it finished (Ctrl-C, SIGTERM, SIGHUP) left undone: the cells it
#: never reached (their not-run reason, ``harness.causes``), a ``check --pytest`` test it had
#: started and not reported.
INTERRUPTED = "interrupted"

#: A test's outcome in ``check --pytest``: pytest's words (``check_suite`` writes them), and
#: ``INTERRUPTED`` and ``hung`` (its run was killed at the hard timeout in it); a test fails
#: with ``failed`` or ``error``.
TEST_PASSED, TEST_FAILED, TEST_ERROR, TEST_SKIPPED = "passed", "failed", ERROR, "skipped"
TEST_XFAILED, TEST_XPASSED = "xfailed", "xpassed"
TEST_HUNG = "hung"
TEST_OUTCOMES = (TEST_PASSED, TEST_FAILED, TEST_ERROR, TEST_SKIPPED, TEST_XFAILED, TEST_XPASSED,
                 INTERRUPTED, TEST_HUNG)
TEST_FAILING = (TEST_FAILED, TEST_ERROR)
#: What pytest does not count as a failure: a test with these outcomes alone failed nowhere.
TEST_FINE = (TEST_PASSED, TEST_SKIPPED, TEST_XFAILED, TEST_XPASSED)

#: A git commit id (``environment.git_commit``): SHA-1, or 64 digits in a SHA-256 repository.
#: Anything else read from git (a warning, a trace) is not one: the probe writes none, the
#: report reads it as none.
COMMIT_ID = r"[0-9a-f]{40}(?:[0-9a-f]{24})?"
