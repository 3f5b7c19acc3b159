"""The closed vocabularies, spelled once: start methods, case categories, outcomes, verdicts
and cell statuses.

Plain strings and tuples (no ``enum``, no ``typing``) because guest code imports them and a fork
child copies what its parent imported; ``harness.vocab`` builds the host's enums from these.
"""

__all__ = [
    "CATEGORIES",
    "OPERATING_SYSTEMS",
    "OUTCOMES",
    "START_METHODS",
    "STATUSES",
    "VERDICTS",
]

#: Every start method multiprocessing knows, in display order.
FORK, FORKSERVER, SPAWN = "fork", "forkserver", "spawn"
START_METHODS = (FORK, FORKSERVER, SPAWN)

#: The operating systems an environment id can name (``env["os"]``), in display order.
OPERATING_SYSTEMS = ("linux", "macos", "windows")

#: The case categories (one ``cases/<category>.py`` family each), in display order.
CATEGORIES = ("methods", "inheritance", "deadlock", "pickling", "performance", "api",
              "realworld")

#: What happened when one case ran under one start method (see ``harness.vocab.Outcome``).
OK, ERROR, TIMEOUT, CRASH, UNAVAILABLE = "ok", "error", "timeout", "crash", "unavailable"
OUTCOMES = (OK, ERROR, TIMEOUT, CRASH, UNAVAILABLE)

#: How an outcome compares with what the documentation says should happen.
AS_EXPECTED, UNEXPECTED, NO_EXPECTATION = "as-expected", "unexpected", "no-expectation"
VERDICTS = (AS_EXPECTED, UNEXPECTED, NO_EXPECTATION)

#: The one status a reader sees for a merged cell (``harness.merge.cell_status``).
NOT_RUN, FLAKY = "not-run", "flaky"
STATUSES = (AS_EXPECTED, UNEXPECTED, TIMEOUT, CRASH, UNAVAILABLE, NOT_RUN, FLAKY, NO_EXPECTATION)
