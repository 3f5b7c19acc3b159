"""``python -m harness``: run the catalog on one interpreter, build the report, list interpreters.

Exit codes: 0 success; 1 the command ran but something is wrong (a bad input file, a harness
failure); 2 usage error (bad arguments, an interpreter that is not a usable Python).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from harness import __version__

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _error(message: str) -> None:
    sys.stderr.write("harness: error: %s\n" % message)


def _cmd_interpreters(args: argparse.Namespace) -> int:
    from harness import discovery

    found, rejected = discovery.discover(explicit=args.python or ())
    sys.stdout.write(discovery.main_table(found, rejected) + "\n")
    return EXIT_OK if found else EXIT_FAILED


def _cmd_run(args: argparse.Namespace) -> int:
    from harness import discovery

    interpreter: List[str] = [sys.executable]
    if args.python:
        command = shlex.split(args.python)
        checked = discovery.inspect_interpreter(
            command[0], command=command if len(command) > 1 else ())
        if isinstance(checked, discovery.Rejected):
            _error("--python %s: %s" % (args.python, checked.reason))
            return EXIT_USAGE
        interpreter = command
    results_dir = Path(args.results_dir)
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _error("--results-dir %s: cannot create it (%s)" % (results_dir, exc.strerror))
        return EXIT_USAGE
    try:
        import pytest
    except ImportError:
        _error("`run` needs pytest and pytest-json-report: python -m pip install pytest "
               "pytest-json-report")
        return EXIT_USAGE
    pytest_args = [
        "-c", str(ROOT / "harness" / "pytest-matrix.ini"), "--rootdir", str(ROOT),
        "-p", "harness.plugin", "--json-report", "--json-report-file=none", "-q",
        "--results-dir", str(results_dir), "--interpreter", shlex.join(interpreter),
        str(ROOT / "cases"),
    ]
    if args.k:
        pytest_args += ["-k", args.k]
    if args.methods:
        pytest_args += ["--methods", args.methods]
    if args.jobs:
        pytest_args += ["--case-jobs", str(args.jobs)]
    code = int(pytest.main(pytest_args + list(args.pytest_args)))
    return EXIT_OK if code == 0 else EXIT_FAILED


def _cmd_report(args: argparse.Namespace) -> int:
    from harness import merge, render

    files: List[str] = []
    for name in args.files:
        path = Path(name)
        files += sorted(str(p) for p in path.glob("*.json")) if path.is_dir() else [name]
    loaded, rejected = merge.load_results(files)
    for bad in rejected:
        _error(bad.line())
    matrix = merge.merge(loaded, rejected)
    out = Path(args.output)
    try:
        render.write_report(matrix, out)
    except OSError as exc:
        _error("%s: cannot write the report (%s)" % (out, exc.strerror or exc))
        return EXIT_FAILED
    unexpected = sum(1 for c in matrix["results"] if c["status"] == "unexpected")
    sys.stdout.write("report: %d environments, %d cases, %d cells, %d findings -> %s\n" % (
        len(matrix["environments"]), len(matrix["cases"]), len(matrix["results"]), unexpected,
        out / "index.html"))
    if rejected:
        sys.stdout.write("report: %d file(s) rejected (listed in the report)\n" % len(rejected))
        return EXIT_FAILED
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="Run multiprocessing start-method cases (fork, spawn, forkserver) in "
                    "isolated interpreters and report what really happens.",
        epilog="Most people run `nox -s matrix` (every interpreter, then the report) and open "
               "reports/index.html. Exit codes: 0 ok, 1 failed/bad input, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version="%(prog)s " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the catalog on one interpreter (what nox calls)",
                         description="Run every case under every start method on one "
                                     "interpreter and write reports/results/<env-id>.json.")
    run.add_argument("--python", metavar="CMD",
                     help="interpreter under test (path, or a command such as a chroot "
                          "wrapper); default: the Python running this command")
    run.add_argument("--results-dir", default=str(ROOT / "reports" / "results"),
                     help="where to write the results file (default: %(default)s)")
    run.add_argument("-k", metavar="EXPR", help="only cases matching this pytest -k expression")
    run.add_argument("--methods", help="comma-separated start methods (default: all three)")
    run.add_argument("--jobs", type=int, help="cases run at once (default: CPU count)")
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    run.set_defaults(func=_cmd_run)

    report = sub.add_parser("report", help="merge result files into matrix.json + index.html",
                            description="Validate and merge any number of results files "
                                        "(or folders of them) into one report.")
    report.add_argument("files", nargs="+", metavar="FILE",
                        help="results files or folders holding them")
    report.add_argument("-o", "--output", default=str(ROOT / "reports"),
                        help="output folder (default: %(default)s)")
    report.set_defaults(func=_cmd_report)

    interps = sub.add_parser("interpreters", help="list the interpreters found on this machine",
                             description="Find CPython 3.8+ and PyPy on PATH, in pyenv's "
                                         "versions folder and in $HARNESS_PYTHONS.")
    interps.add_argument("--python", action="append", metavar="PATH",
                         help="also consider this interpreter (repeatable)")
    interps.set_defaults(func=_cmd_interpreters)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
