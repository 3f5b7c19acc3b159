"""``python -m harness verify-leg``: did a run really test its interpreter? (the CI leg's check)

A run can exit 0 having tested nothing: crash cells are findings, not harness failures, so an
interpreter whose case executors all die at once yields a full results file of ``crash`` cells.
A CI leg must not go green on that. This check passes only when

- there is exactly one results file (PATH, or the one file in the folder PATH) and, with
  ``--leg``, its probe names the leg's interpreter (implementation, X.Y, free-threaded or not);
- every start method the interpreter offers (``environment.available_methods``) has at least
  one ``ok`` cell, and its cell of ``CANARY`` (a case that starts a child and reads its answer;
  every CI leg runs it) is ``ok``: about 20 cases are ``ok`` without starting any child, and a
  child that dies at start is an ``error`` (``ChildDied``), not a crash, so without it a leg
  whose children cannot start would pass and publish a column of such "findings";
- ``crash`` cells plus harness-error cells (the harness could not run the case) are under
  ``--max-broken`` (25 %) of the cells that ran (``unavailable`` cells did not run).

Host side (the schema check needs jsonschema, as the report does); one line per problem, exit 1
when any, 3 when the run was interrupted but its cells are its interpreter's and sound (a CI
step that overran its limit: the workflow publishes that file, and withholds one that exits 1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from harness import cli_types
from harness.causes import ended, is_harness_error, read
from harness.exits import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, error
from harness.guest.words import CRASH, OK, UNAVAILABLE
from harness.results import (
    BadFile,
    first_problem,
    minor_version,
    read_json,
    session_identity,
    session_name,
    validate_results,
)

__all__ = ["CANARY", "MAX_BROKEN", "add_parser", "partial_but_sound", "problems"]

#: The share of crash + harness-error cells above which a run is not believed to have tested
#: its interpreter. A healthy run has none (the catalog's crash cells are a few of ~265);
#: a run whose executors cannot start has all of them.
MAX_BROKEN = 0.25
#: A case that starts a child under each method and needs its answer (the smoke legs' case).
CANARY = "inheritance.global_assigned_in_main"


def _identity(env: Mapping[str, Any]) -> Tuple[str, str, bool]:
    return str(env.get("implementation")), minor_version(env), bool(env.get("free_threading"))


def _broken(cell: Mapping[str, Any]) -> bool:
    return cell.get("outcome") == CRASH or is_harness_error(cell)


def problems(document: Any, leg: Optional[str] = None,
             max_broken: float = MAX_BROKEN) -> List[str]:
    """Why this results document does not prove its run tested the interpreter (empty: it does)."""
    harness = document.get("harness") if isinstance(document, Mapping) else None
    env = harness.get("environment") if isinstance(harness, Mapping) else None
    if not isinstance(env, Mapping):
        return ["no harness.environment: not a results file"]
    found: List[str] = []
    if env.get("interrupted"):  # said first: it explains whatever else is missing
        found.append("the run was %s: a partial run proves nothing about the cells it did "
                     "not reach" % ended(read(env.get("partial_cause"))))
    if leg is not None and _identity(env) != session_identity(leg):
        found.append("leg %s tested %s, not %s" % (leg, session_name(*_identity(env)), leg))
    cells = _cells(document)
    ran = [c for c in cells if c.get("outcome") != UNAVAILABLE]
    if not ran:
        return [*found, "no cell ran (%d cells, all unavailable or none)" % len(cells)]
    for method in env.get("available_methods") or []:
        outcomes = [c.get("outcome") for c in cells if c.get("method") == method]
        if not outcomes and env.get("not_selected"):
            continue  # left out by the run's selection (--methods): it says so itself
        if OK not in outcomes:
            found.append("%s: no ok cell among %d (%s)" % (
                method, len(outcomes), _count(outcomes) or "none ran"))
        canary = next((c for c in cells if c.get("case") == CANARY and
                       c.get("method") == method), None)
        if canary is None or canary.get("outcome") != OK:
            found.append("%s: %s %s" % (method, CANARY, "was not run: nothing shows a child "
                                        "started and answered" if canary is None else
                                        "did not start a child and get its answer (%s)" %
                                        _canary_text(canary)))
    if not _sound(ran, max_broken):
        broken = sum(1 for c in ran if _broken(c))
        found.append("%d of %d cells that ran are crash or harness errors (%.0f%%; the limit "
                     "is under %.0f%%)" % (broken, len(ran), 100.0 * broken / len(ran),
                                          100.0 * max_broken))
    return found


def _canary_text(cell: Mapping[str, Any]) -> str:
    error = cell.get("error")
    kind = error.get("type") if isinstance(error, Mapping) else None
    return "%s%s" % (cell.get("outcome"), ": %s" % kind if kind else "")


def _count(outcomes: List[Any]) -> str:
    return ", ".join("%d %s" % (outcomes.count(o), o) for o in sorted(set(map(str, outcomes))))


def _cmd(args: argparse.Namespace) -> int:
    folder = Path(args.results_dir)
    if not folder.exists() and not folder.is_symlink():  # a usage error, not "found 0"
        return error("%s: no such file or folder" % folder, EXIT_USAGE)
    files = sorted(folder.glob("*.json")) if folder.is_dir() else [folder]  # a link loop too
    if len(files) != 1:
        return error("%s: expected one results file, found %d%s" % (
            folder, len(files), (": " + ", ".join(p.name for p in files)) if files else ""),
            EXIT_FAILED)
    try:
        document = read_json(files[0])
    except BadFile as exc:
        return error("%s: %s" % (files[0], exc), EXIT_FAILED)
    # The report's own check first: a file the report would reject proves nothing.
    invalid = validate_results(document)
    found = ["not a valid results file: %s" % first_problem(invalid)] if invalid else \
        problems(document, args.leg, args.max_broken)
    partial = bool(found) and not invalid and partial_but_sound(document, args.leg,
                                                                 args.max_broken)
    for line in found:  # a partial file is published: what it cannot prove is no error
        if partial:
            sys.stderr.write("harness: %s: not proven: %s\n" % (files[0], line))
        else:
            error("%s: %s" % (files[0], line))
    if partial:
        sys.stderr.write("harness: %s: partial, but what it holds is this interpreter's "
                         "(publish it: its missing cells read \"not run (interrupted)\")\n"
                         % files[0].name)
        return EXIT_PARTIAL
    if not found:
        sys.stdout.write("harness: %s proves its run: %s\n" % (
            files[0].name, _count([c.get("outcome") for c in _cells(document)])))
    return EXIT_FAILED if found else EXIT_OK


def partial_but_sound(document: Mapping[str, Any], leg: Optional[str] = None,
                      max_broken: float = MAX_BROKEN) -> bool:
    """An interrupted run (a CI step overran its limit) of the right interpreter whose cells
    that ran are not mostly broken: its cells are real, and the report says which never ran.
    Only a whole-run proof that was never reached may be missing: a canary that ran and
    failed, or a method whose cells ran without one ok, disproves the run as it would a
    complete one."""
    env = document["harness"]["environment"]
    if not env.get("interrupted") or (leg is not None and _identity(env) != session_identity(leg)):
        return False
    ran = [c for c in _cells(document) if c.get("outcome") != UNAVAILABLE]
    for method in env.get("available_methods") or []:
        mine = [c for c in ran if c.get("method") == method]
        if mine and not any(c.get("outcome") == OK for c in mine):
            return False
        if any(c.get("case") == CANARY and c.get("outcome") != OK for c in mine):
            return False
    return bool(ran) and _sound(ran, max_broken)


def _cells(document: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The cells of a results document (its tests' ``metadata``)."""
    return [t["metadata"] for t in document.get("tests") or []
            if isinstance(t, Mapping) and isinstance(t.get("metadata"), dict)]


def _sound(ran: List[Dict[str, Any]], max_broken: float) -> bool:
    """Crash + harness-error cells under ``max_broken`` of the cells that ran (some ran)."""
    return sum(1 for c in ran if _broken(c)) / len(ran) < max_broken


def add_parser(sub: Any) -> None:
    """Register ``verify-leg`` on the CLI's subparsers."""
    cmd = sub.add_parser(
        "verify-leg", help="fail unless a run's results file shows it really tested "
                           "its interpreter (the CI leg's check)",
        description=__doc__.split("\n\n", 1)[1].split("\n\nHost side")[0].replace(
            "``", "").replace("of CANARY", "of " + CANARY),
        epilog="Exit 0 when the file proves its run; 1 when it does not (one line per\n"
               "problem) or PATH holds no results file or several; 3 when the run was\n"
               "interrupted but is the leg's interpreter and its cells that ran are sound\n"
               "(partial: worth publishing, not a proof); 2 on usage error (no such PATH, a\n"
               "--leg that is not a python-version, jsonschema not installed).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("results_dir", metavar="PATH",
                     help="a results file, or a folder that must hold exactly one (a CI leg's)")
    cmd.add_argument("--leg", metavar="PYTHON", type=cli_types.python_version,
                     help="the leg's python-version (3.13, 3.14t, pypy3.11): the file's "
                          "interpreter must be that one")
    cmd.add_argument("--max-broken", type=cli_types.share, default=MAX_BROKEN, metavar="SHARE",
                     help="crash + harness-error cells must stay under this share of the "
                          "cells that ran (default %(default)s)")
    cmd.set_defaults(func=_cmd)
