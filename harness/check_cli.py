"""The ``check`` subcommand of ``python -m harness``: arguments, output and exit code."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from harness import cli_types
from harness.exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error
from harness.vocab import Outcome

__all__ = ["add_parser", "command"]

def add_parser(sub: Any) -> None:
    chk = sub.add_parser(
        "check", help="run YOUR code (or test suite) under every start method and diagnose "
                      "what breaks",
        description="Run TARGET the way multiprocessing would, under each available start "
                    "method on each interpreter (isolated, time-limited), print a method x "
                    "interpreter table and diagnose the causes. With --pytest, run your pytest "
                    "suite once per method and list the tests whose outcome depends on it. "
                    "Exit 0 when nothing failed, 1 when something failed, nothing could be "
                    "checked (no process started, no test ran), or a child had other globals "
                    "than its parent that its code reads and the output differs from the "
                    "default method's run, 2 on usage error, 130 when "
                    "interrupted (Ctrl-C, SIGTERM or SIGHUP; what finished is reported), 141 when "
                    "the output's reader left (`| head`: 128 + SIGPIPE, quietly).",
        epilog="examples: python -m harness check mypkg.jobs:worker --args '[3]'; "
               "python -m harness check scripts/run.py --python 3.14; "
               "python -m harness check -m mypkg --args '[\"--fast\"]'  (as python -m mypkg "
               "--fast); "
               "python -m harness check --pytest tests/ -x --python 3.12  (check's own "
               "options are check's wherever written; everything else after --pytest is "
               "pytest's: pytest's own --timeout (pytest-timeout) as -o timeout=N)")
    chk.add_argument("target", metavar="TARGET", nargs="?",
                        help="module:callable (imported as `python -m` would: the current "
                          "directory, then PYTHONPATH) or path/to/script.py[:callable] "
                          "(as `python script.py` would: its folder, then PYTHONPATH); "
                          "the program's stdin is empty (/dev/null)")
    chk.add_argument("-m", dest="module", metavar="MODULE",
                     help="instead of TARGET: run MODULE as `python -m MODULE` does (a "
                          "package's __main__, as __main__; the current directory first on "
                          "sys.path); --args is its argv")
    _add_options(chk)
    chk.set_defaults(jobs=1)
    chk.add_argument("--pytest", nargs=argparse.REMAINDER, metavar="PYTEST ARGS",
                        help="run your pytest suite under each method (pytest must be installed "
                          "in the interpreter)")
    chk.set_defaults(func=command)


def _add_options(parser: argparse.ArgumentParser) -> None:
    """check's options (defaults set by the caller: ``own_options`` parses only those given)."""
    parser.add_argument("--args", metavar="JSON",
                        help="arguments for the callable (a JSON list), or argv for a script "
                             "or -m MODULE")
    parser.add_argument("--python", action="append", metavar="PY", type=cli_types.python_path,
                        help="interpreter as `python -m harness interpreters` names it (3.14, "
                             "pypy3.9) or a path; repeatable (default: every interpreter found, "
                             "the Debian root's included; with --pytest: this one)")
    parser.add_argument("--timeout", type=cli_types.positive_seconds,
                        help="seconds before a run counts as a hang (default: 10; 300 with "
                             "--pytest)")
    parser.add_argument("--jobs", type=cli_types.at_least_one, metavar="N",
                        help="runs at once (default: 1; more is faster, but two runs of one "
                             "program share its fixed ports, files and shared-memory names and "
                             "can fail only because they met)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


#: check's options that take a value, and those that do not: taken out of ``--pytest``'s
#: arguments wherever they are written (pytest has none of these names; pytest-timeout's
#: ``--timeout`` is its ini key too, ``-o timeout=N``).
_VALUED, _FLAGS = ("--python", "--timeout", "--jobs", "--args"), ("--json",)


def own_options(pytest_args: Sequence[str]) -> Tuple[List[str], List[str]]:
    """``--pytest``'s arguments split into check's own options (``--python 3.12``,
    ``--timeout=5``), and pytest's arguments: the rest, in order. argparse gives everything
    after ``--pytest`` to pytest, which then rejected check's options naming our script."""
    own: List[str] = []
    rest: List[str] = []
    words = iter(pytest_args)
    for word in words:
        name = word.partition("=")[0]
        if word in _FLAGS or (name in _VALUED and "=" in word):
            own.append(word)
        elif word in _VALUED:
            own.append(word)
            value = next(words, None)  # missing: argparse says so, as before --pytest
            own.extend([value] if value is not None else [])
        else:
            rest.append(word)
    return own, rest


def _take_own_options(args: argparse.Namespace) -> None:
    """Apply check's options written after ``--pytest`` (``own_options``); ``args.pytest``
    keeps pytest's. A bad value is a usage error, as before ``--pytest``."""
    own, args.pytest = own_options(args.pytest)
    if not own:
        return
    parser = argparse.ArgumentParser(prog="python -m harness check", allow_abbrev=False,
                                     argument_default=argparse.SUPPRESS)
    _add_options(parser)
    for name, value in vars(parser.parse_args(own)).items():
        setattr(args, name, (args.python or []) + value if name == "python" else value)


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _interrupted(when: str, not_run: Sequence[Tuple[str, str]], then: str = "") -> int:
    """Ctrl-C or SIGTERM: says so ("interrupted by SIGTERM"), with the cells never run (or cut
    short), and exits 130."""
    from harness import causes, stopping

    return error("%s%s%s%s" % (
        causes.words(stopping.stopped_by()), when,
        " (not run: %s)" % ", ".join("%s[%s]" % key for key in not_run) if not_run else "",
        then), EXIT_INTERRUPTED)


def command(args: argparse.Namespace) -> int:
    from harness import check, check_collect, check_pytest, check_stacks, check_tests
    from harness.check_live import Progress
    from harness.check_table import fit
    from harness.guest.words import START_METHODS

    pytest_mode = args.pytest is not None
    if pytest_mode:
        _take_own_options(args)
    if [pytest_mode, bool(args.target), args.module is not None].count(True) != 1:
        return error("give a TARGET, -m MODULE or --pytest [PYTEST ARGS]: one of them",
                     EXIT_USAGE)
    if pytest_mode and args.args is not None:
        return error("--args is for a TARGET; with --pytest, pytest's arguments follow it",
                     EXIT_USAGE)
    target = check.PYTEST if pytest_mode else args.target or check.MODULE + args.module
    try:
        try:
            call_args = list(args.pytest) if pytest_mode else (
                json.loads(args.args) if args.args else [])
        except ValueError as exc:
            raise ValueError("--args is not JSON (%s): give a JSON list, e.g. '[1, \"x\"]'"
                             % exc) from None
        if not isinstance(call_args, list):
            raise ValueError("--args must be a JSON list, e.g. '[1, \"x\"]'")
        check.parse_target(target, Path.cwd())
        interpreters = check.select_interpreters(args.python, pytest=pytest_mode)
    except (ValueError, check.TargetError) as exc:
        return error(str(exc), EXIT_USAGE)
    if not interpreters:
        return error("no interpreter found (see `python -m harness interpreters`)", EXIT_USAGE)
    labels = [check.label(i, interpreters) for i in interpreters]
    timeout = args.timeout or (300.0 if pytest_mode else check.DEFAULT_TIMEOUT)
    if not args.json:
        sys.stderr.write("check: %s under each start method on %s ...\n" % (
            "pytest " + " ".join(shlex.quote(str(a)) for a in call_args) if pytest_mode
            else target, ", ".join(labels)))
    not_run: List[Any] = []
    # Progress on stderr: always for a person; with --json only when one watches stderr.
    progress = None if args.json and not sys.stderr.isatty() else Progress(
        _say, len(interpreters) * len(START_METHODS), timeout)
    try:
        runs = check.check(target, interpreters, call_args, timeout=timeout, jobs=args.jobs,
                           progress=progress)
    except check.Interrupted as stop:  # what ran is reported, then exit 130
        if not stop.runs:
            return _interrupted(" before any run finished", stop.not_run)
        runs, not_run = stop.runs, stop.not_run
    failing = [key for key, run in runs.items() if run.outcome not in (Outcome.OK,
                                                                       Outcome.UNAVAILABLE)]
    doc: Dict[str, Any] = {"target": target, "args": call_args,
                           # In the table's order; a hang's quote as the text reads it.
                           "results": [dict(runs[key].to_dict(), environment=key[0],
                                            detail=check.readable_detail(runs[key]))
                                       for key in check.table_order(runs)]}
    loaded = ""  # a module:callable that could not be loaded anywhere: a usage error
    width = check.terminal_width()
    if pytest_mode:
        verdicts, always = check_pytest.compare(runs)
        # Each run judged on its own: the fork run's use of fork says nothing of spawn's run.
        idle = check_tests.idle_runs(runs)
        doc.update(method_dependent=[v.to_dict() for v in verdicts], failing_everywhere=always,
                   failing_everywhere_causes=[v.to_dict() for v in
                                              check_pytest.failing_everywhere(runs)],
                   hung_everywhere=[h.to_dict() for h in check_pytest.hung_everywhere(runs)],
                   tests_not_exercising_the_method=check_tests.exercised(runs)[1],
                   runs_not_exercising_the_method={"%s[%s]" % key: why
                                                   for key, why in idle.items()},
                   hung_in_collection=check_collect.collection_hangs(runs, str(Path.cwd())),
                   failed_before_tests=check_collect.before_failures(runs),
                   partial=[c for cells in check_pytest.cut_short(runs).values() for c in cells])
        # A test skipped under some methods only (a skipif on the method) failed nowhere.
        ok = check_tests.compared(runs, idle) and not failing and not always and all(
            check_tests.fails_nowhere(v.outcomes.values()) for v in verdicts)
    else:
        diagnoses = check.diagnose(runs)
        doc["diagnoses"] = [d.to_dict() for d in diagnoses]
        unchecked = check.unchecked_cells(runs)
        doc["not_exercised"] = {"%s[%s]" % key: why for key, why in sorted(unchecked.items())}
        loaded = check.load_failure(runs, target)
        doc["output_differs"] = {i: {"default": d, "methods": m}
                                 for i, (d, m) in check.outputs_differ(runs).items()}
        # Nothing failed, but a child's code reads other globals and printed otherwise: a
        # wrong result (globals only the parent's code reads: a pid printed, review r14).
        # Two runs of one interpreter used the method made the default, as --pytest asks.
        ok = not loaded and not failing and check_tests.compared(runs, unchecked, suite=False) \
            and not check.silently_differs(runs, diagnoses)
    # Runs an interrupt left undone are named, and nothing is ok that was not all checked.
    doc["not_run_interrupted"] = ["%s[%s]" % key for key in not_run]
    ok = doc["ok"] = ok and not not_run
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True, default=repr) + "\n")
    elif loaded:
        error("could not load %s: %s" % (target, loaded))
    elif pytest_mode:
        sys.stdout.write(fit(check_pytest.format_tests(verdicts, always, runs, str(Path.cwd()),
                                                       timeout),
                             width) + "\n")
        stacks = check_stacks.format_stacks(runs, labels, str(Path.cwd()))
        sys.stdout.write("\n" + fit(stacks, width) + "\n" if stacks else "")
    else:
        cwd = str(Path.cwd())
        sys.stdout.write(check.format_table(runs, labels, width, cwd) + "\n")
        # Below the table, each part's lines wrapped to the table's width.
        for extra in (check.format_tracebacks(runs, labels, cwd),
                      check.format_hangs(runs, labels),
                      check_stacks.format_stacks(runs, labels, cwd),
                      check.format_follow_ons(runs, labels),
                      check.format_diagnoses(diagnoses),
                      "\n".join(line for line in (
                          check.as_it_is(runs, labels, cwd, check.at_the_limit(
                              runs, diagnoses) if timeout else ()), check.format_outputs(runs),
                          check.summary_line(runs, diagnoses, unchecked, not_run,
                                             timeout)) if line)):
            if extra:
                sys.stdout.write("\n" + fit(extra, width) + "\n")
    if not_run or any((r.error or {}).get("type") == check_pytest.INTERRUPTED_ERROR
                      for r in runs.values()):
        return _interrupted("", not_run, "; the %s are above" % (
            "tests each run finished" if pytest_mode else "runs that finished"))
    if loaded or (pytest_mode and check_pytest.rejected(runs)):
        return EXIT_USAGE
    return EXIT_OK if ok else EXIT_FAILED
