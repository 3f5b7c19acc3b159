"""``python -m harness``: run the catalog on one interpreter, build the report, list interpreters.

Exit codes: 0 success; 1 the command ran but something is wrong (a bad input file, a harness
failure); 2 usage error (bad arguments, a path that does not exist or holds no results file, an
interpreter that is not a usable Python, a package the command needs not installed); 130
interrupted (Ctrl-C, SIGTERM or SIGHUP; finished cells are kept in the results file); 141 the
output's reader left (`| head -1`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from harness import __version__, causes, cli_types, stopping
from harness.exits import (
    EXIT_DEAD_OUTPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    error,
)
from harness.results import REPORTS, RESULTS_DIR, ROOT

__all__ = ["main"]

#: What `report` imports beyond the standard library (`diff` and `verify-leg`: jsonschema).
HOST_PACKAGES = ("jinja2", "jsonschema")

#: The case catalog: beside harness/ in a checkout. Only harness/ is packaged, so a
#: pip-installed harness has no catalog: `run` has nothing to run, the report no claims.
CASES = ROOT / "cases"
NO_CATALOG = "the case catalog (cases/) is not installed; run from the checkout"
#: Where results and reports go by default: the checkout's reports/; an installed harness
#: writes into the working folder's, never into site-packages.
REPORTS_HOME = REPORTS if CASES.is_dir() else Path(REPORTS.name)


def _cmd_interpreters(args: argparse.Namespace) -> int:
    from harness import discovery

    found, rejected = discovery.discover(explicit=args.python or ())
    in_root, root_rejected = discovery.root_interpreters()  # `python -m harness provision`
    found, rejected = found + in_root, rejected + root_rejected
    sys.stdout.write(discovery.main_table(found, rejected) + "\n")
    return EXIT_OK if found else EXIT_FAILED


def _cmd_run(args: argparse.Namespace) -> int:
    from harness import discovery

    if not CASES.is_dir():  # pytest said "file or directory not found: …/site-packages/cases"
        return error("`run` has nothing to run: %s" % NO_CATALOG, EXIT_USAGE)
    interpreter: List[str] = [sys.executable]
    if args.python:
        command = cli_types.python_command(args.python)
        checked = discovery.inspect_interpreter(
            command[0], command=command if len(command) > 1 else ())
        if isinstance(checked, discovery.Rejected):
            return error("--python %s: %s" % (args.python, checked.reason), EXIT_USAGE)
        interpreter = command
    results_dir = Path(args.results_dir)
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return error("--results-dir %s: cannot create it (%s)" % (results_dir, exc.strerror),
                     EXIT_USAGE)
    try:  # fail now, not after the whole run, when the results file cannot be written
        import tempfile

        with tempfile.TemporaryFile(dir=str(results_dir)):
            pass
    except OSError as exc:
        return error("--results-dir %s: not writable (%s)" % (
            results_dir, exc.strerror or exc), EXIT_USAGE)
    # Looked up, not imported: an imported plugin cannot be assert-rewritten (a pytest warning
    # in every run); without it `run` would end in pytest's own usage error (--json-report).
    missing = [name for name in ("pytest", "pytest_jsonreport") if find_spec(name) is None]
    if missing:
        return error("`run` needs pytest and pytest-json-report (%s is missing): python -m pip "
                     "install pytest pytest-json-report" % missing[0], EXIT_USAGE)
    import pytest
    pytest_args = [
        "-c", str(ROOT / "harness" / "pytest-matrix.ini"), "--rootdir", str(ROOT),
        "-p", "harness.plugin", "--json-report", "--json-report-file=none", "-q",
        "--results-dir", str(results_dir), "--interpreter", shlex.join(interpreter),
        str(CASES),
    ]
    if args.k:
        pytest_args += ["-k", args.k]
    if args.methods:
        pytest_args += ["--methods", args.methods]
    if args.jobs is not None:
        pytest_args += ["--case-jobs", str(args.jobs)]
    if args.quick:
        pytest_args.append("--quick")
    del stopping.SUMMARISED[:]
    code = int(pytest.main(pytest_args + list(args.pytest_args)))
    # A signal after the last cell let the run write its results: still 130 (nox stops)
    if stopping.stopped_by():  # pytest's INTERRUPTED is also its exit at collection errors
        if not stopping.SUMMARISED:  # stopped while pytest started or probed: no summary at all
            sys.stderr.write("harness: %s\n" % causes.nothing_written(stopping.stopped_by()))
        return EXIT_INTERRUPTED  # the plugin said where the results are, and if partial
    if code == int(pytest.ExitCode.USAGE_ERROR):  # pytest printed the one line (--methods Fork)
        return EXIT_USAGE
    return EXIT_OK if code == 0 else EXIT_FAILED


def _claims() -> Optional[List[Dict[str, Any]]]:
    """The article's claims (cases/claims.py); None when the catalog is not there."""
    if not (CASES / "claims.py").is_file():
        return None
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from cases.claims import CLAIMS

    return list(CLAIMS)


def _cmd_report(args: argparse.Namespace) -> int:
    from harness import inputs, loading, merge, render

    files, problems = inputs.report_files(args.files)
    for problem in problems:
        error(problem)
    if not files:  # nothing there: a usage error
        return EXIT_USAGE
    bad_lines = 0  # of --expect-envs
    expected = list(args.expect_env or [])
    if args.expect_envs:
        try:
            ids, problems = cli_types.env_ids_file(args.expect_envs)
        except (OSError, UnicodeDecodeError) as exc:
            return error("--expect-envs %s: cannot read it (%s)" % (args.expect_envs, exc),
                         EXIT_USAGE)
        expected += ids
        for problem in problems:  # left out, the rest kept; exit 1 at the end
            error(problem)
        bad_lines = len(problems)
    loaded, rejected = loading.load_results(files)
    for bad in rejected:
        error(bad.line())
    out = Path(args.output)
    if not loaded:  # a mistyped path must not replace a good report with an empty one
        return error("no usable results file among %d: nothing written (%s left as it was)" % (
            len(files), out), EXIT_FAILED)
    claims = _claims()
    if claims is None:
        sys.stdout.write("report: claims left out: %s\n" % NO_CATALOG)
    matrix = merge.merge(loaded, rejected, claims=claims or (), expected_environments=expected,
                         folder=str(out), not_run=args.not_run or ())
    kept = {e["id"] for e in matrix.get("not_run_environments") or ()}
    for ident, _why in args.not_run or ():
        if ident not in kept:
            sys.stderr.write("harness: note: --not-run %s: this report has data for %s: that "
                             "is shown, not the reason\n" % (ident, merge.minor_level(ident)))
    # A stop signal while the files are written waits for them: a new matrix.json beside the
    # old page would be read by `diff` as what that page shows.
    settled = stopping.settle_when(lambda: "the results were merged",
                                   then="writing the report's files, then exiting")
    try:
        report = render.write_report(matrix, out)
    except OSError as exc:
        return error("%s: cannot write the report (%s)" % (out, exc.strerror or exc), EXIT_FAILED)
    finally:
        settled()
    from harness.summary import plural

    sys.stdout.write("report: %s, %s, %s (%d differ from their expectation) -> %s\n" % (
        plural(len(matrix["environments"]), "environment"), plural(report.n_cases, "case"),
        plural(report.cells_total, "cell"), report.unexpected_cells, out / "index.html"))
    if report.not_run.partial:  # the counts above are of cells, not of what ran
        sys.stdout.write("report: %s\n" % report.not_run.line)
    if rejected:
        sys.stdout.write("report: %d file(s) rejected (listed in the report)\n" % len(rejected))
    if stopping.stopped_by():
        return error("interrupted by %s; the report was written whole first" % (
            stopping.stopped_by()), EXIT_INTERRUPTED)
    return EXIT_FAILED if rejected or problems or bad_lines else EXIT_OK


def _cmd_diff(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from harness import diff, inputs

    old_path, old, rejected = inputs.load_side(args.old)
    new_path, new, more = inputs.load_side(args.new)
    rejected += more
    for problem in rejected:
        error(problem.line())
    # an unreadable side: nothing compared (empty sides), not its readable side "added"
    none: Any = {"cases": []}
    result = diff.diff_matrices(old, new) if old is not None and new is not None else \
        diff.diff_matrices(none, none)
    if args.json:  # always a document: nothing_compared, the input files rejected included
        sys.stdout.write(json.dumps(dict(result.to_dict(), old=old_path, new=new_path, rejected=[
            dataclasses.asdict(r) for r in rejected]), indent=2, sort_keys=True) + "\n")
    if old is None or new is None:
        return EXIT_USAGE
    if result.nothing_compared:  # not "no differences": exit 2, cannot compare
        return error("%s -> %s: %s" % (old_path, new_path, diff.nothing_compared(result)),
                     EXIT_USAGE)
    if not args.json:
        sys.stdout.write(diff.format_diff(result, old_path, new_path) + "\n")
    if rejected:  # the rest was compared, but not all that was given
        return EXIT_USAGE
    return EXIT_OK if result.empty else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="Run multiprocessing start-method cases (fork, spawn, forkserver) in "
                    "isolated interpreters and report what really happens.",
        epilog="Most people run `nox -s matrix` (every interpreter, then the report) and open "
               "reports/index.html. Exit codes: 0 ok, 1 failed or bad input, 2 usage error, "
               "130 interrupted (Ctrl-C, SIGTERM or SIGHUP; finished cells are kept), 141 the "
               "output's reader left (`| head`: 128 + SIGPIPE, quietly).",
    )
    parser.add_argument("--version", action="version", version="%(prog)s " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the catalog on one interpreter (what nox calls)",
                         description="Run every case under every start method on one "
                                     "interpreter and write reports/results/<env-id>.json. "
                                     "Exit 0 when every cell ran (a cell that differs from "
                                     "its expectation is a finding, not a failure); 1 when "
                                     "the harness could not run a cell or nothing was "
                                     "selected, or its run ended early; 2 on usage error; "
                                     "130 when interrupted (finished cells are written). "
                                     "A complete run replaces the interpreter's results "
                                     "file; one narrowed by --quick or a selection (-k, -m, "
                                     "--methods, --deselect, --ignore) first moves that file "
                                     "to <results-dir>/replaced/ and says so; a partial "
                                     "one (stopped, a cell missing) never replaces it: it goes to "
                                     "<results-dir>/interrupted/.")
    run.add_argument("--python", metavar="CMD",
                     help="interpreter under test (path, or a command such as a chroot "
                          "wrapper); default: the Python running this command")
    run.add_argument("--results-dir", default=str(REPORTS_HOME / RESULTS_DIR.name),
                     help="where to write the results file (default: %(default)s)")
    run.add_argument("-k", metavar="EXPR", help="only cases matching this pytest -k expression")
    run.add_argument("--methods", help="comma-separated start methods, of fork, forkserver "
                                       "and spawn (default: all three)")
    run.add_argument("--jobs", type=cli_types.at_least_one, metavar="N",
                     help="cases run at once (default: twice the CPU count; 1: strictly one after "
                          "another)")
    run.add_argument("--quick", action="store_true",
                     help="leave the performance cases out (minutes faster; the report shows "
                          "them as 'not run (--quick)')")
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    run.set_defaults(func=_cmd_run)

    report = sub.add_parser("report", help="merge result files into matrix.json + index.html",
                            description="Validate and merge any number of results files "
                                        "(or folders of them; a report folder is read for its "
                                        "results) into one report. Exit 0 when every file was "
                                        "used; 1 when a file was rejected (the rest is merged and "
                                        "the page lists it) or none was usable (nothing "
                                        "written); 2 when no given path exists or holds a "
                                        "results file, or jinja2 or jsonschema is missing.")
    report.add_argument("files", nargs="+", metavar="FILE",
                        help="results files or folders holding them")
    report.add_argument("-o", "--output", default=str(REPORTS_HOME),
                        help="output folder (default: %(default)s)")
    report.add_argument("--expect-env", action="append", metavar="ENV_ID", type=cli_types.env_id,
                        help="an environment that should have data (repeatable): with no "
                             "results file it still gets a column, every cell 'not run'")
    report.add_argument("--expect-envs", metavar="FILE",
                        help="a file of such environment ids, one per line (CI writes one)")
    report.add_argument("--not-run", action="append", metavar="ENV_ID=REASON",
                        type=cli_types.not_run, help="an environment this run did not run, and "
                        "why (repeatable; `nox -s report` passes those it did not find): with no "
                        "data, its slot says 'not run — REASON'")
    report.set_defaults(func=_cmd_report)

    from harness import check_cli

    check_cli.add_parser(sub)

    dif = sub.add_parser(
        "diff", help="what changed between two matrices (or result folders)",
        description="Compare OLD and NEW (matrix.json files, results files or folders of them; "
                    "a reports folder by its matrix.json, else its results/): cases and cells "
                    "added/removed/changed (A/D/C/U) among the cells that ran in both; cells "
                    "that ran in one only (a selection, --quick, unavailable in the other, an "
                    "environment one lacks) are counted as not compared. Performance values "
                    "count as changed only beyond their spread. Exit 0 when no cell differs, 1 "
                    "when some do (a cell whose case code changed too: it is listed apart, K, "
                    "not as a change of Python), 2 when an input (or a file in it) cannot be "
                    "read — the valid rest is still compared and shown —, nothing was compared "
                    "or jsonschema is missing (--json still writes its document, naming each "
                    "file it could not read in 'rejected').")
    dif.add_argument("old", metavar="OLD", help="the earlier run: a reports folder, a "
                                                 "matrix.json, a results file or a folder of them")
    dif.add_argument("new", metavar="NEW", help="the later run, any of the same")
    dif.add_argument("--json", action="store_true", help="machine-readable output")
    dif.set_defaults(func=_cmd_diff)

    interps = sub.add_parser("interpreters", help="list the interpreters found on this machine",
                             description="Find CPython 3.8+ and PyPy on PATH, in pyenv's "
                                         "versions folder and in $HARNESS_PYTHONS. Exit 0 "
                                         "when one is found, 1 when none is.")
    interps.add_argument("--python", action="append", metavar="PATH",
                         help="also consider this interpreter (repeatable)")
    interps.set_defaults(func=_cmd_interpreters)

    from harness import provision_cli

    provision_cli.add_parser(sub)

    from harness import legcheck

    legcheck.add_parser(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args: Any = None
    previous: Dict[int, Any] = {}
    try:  # a signal may land as soon as a handler is in
        previous = stopping.install()
        try:
            args = parser.parse_args(argv)
        except SystemExit:  # --help, a usage error: printed, then flushed while it is caught
            sys.stdout.flush()
            raise
        if not getattr(args, "func", None):
            parser.print_help()
            sys.stdout.flush()
            return EXIT_USAGE
        code = int(args.func(args))
        # A block-buffered stdout (no terminal, no PYTHONUNBUFFERED) whose reader left fails
        # here, not in the exit's own flush: that one ends in "Exception ignored", exit 120.
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        # The reader may have died since the signal (a `| tee` the same Ctrl-C ended): checked
        # again, so this line and the exit's flush cannot end in a BrokenPipeError traceback.
        stopping.silence_dead_outputs()
        why = stopping.stopped_by() or "SIGINT"  # no name: a KeyboardInterrupt of its own
        command = getattr(args, "command", None)
        sys.stderr.write("harness: %s\n" % (causes.nothing_written(why) if command == "run"
                                             else causes.words(why)))
        return EXIT_INTERRUPTED
    except BrokenPipeError as exc:
        if not stopping.dead_output(exc):  # another pipe (a child's): a real error
            raise
        return EXIT_DEAD_OUTPUT
    except ModuleNotFoundError as exc:
        if exc.name not in HOST_PACKAGES or args is None:
            raise
        needs = HOST_PACKAGES if args.command == "report" else (exc.name,)
        return error("%s is not installed: `%s` needs %s: python -m pip install %s" % (
            exc.name, args.command, " and ".join(needs), " ".join(needs)), EXIT_USAGE)
    finally:
        stopping.restore(previous)
