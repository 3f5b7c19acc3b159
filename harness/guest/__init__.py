"""Guest code: runs inside the interpreter under test (standard library only, Python 3.8).

A case's parent process imports these modules and every fork child copies what it imported, so
they stay import-lean; ``python -m harness.boundary`` (in ``nox -s lint``) enforces the rules.
"""

#: ``typing`` costs milliseconds to import and fork children would inherit it: guest modules
#: import annotation names under ``if TYPE_CHECKING:`` (mypy reads the name as True).
TYPE_CHECKING = False
#: The most characters of an exception's or a warning's message a guest keeps in its result
#: (a result file stays small; the host shortens what it shows, with "…").
MESSAGE_LIMIT = 2000
