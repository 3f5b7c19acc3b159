"""Guest code: runs inside the interpreter under test (standard library only, Python 3.8).

Everything in this package may be imported by a case's parent process, which fork copies, so
it stays import-lean; ``tools/import_boundary.py`` (run by ``nox -s lint``) enforces that.
"""
