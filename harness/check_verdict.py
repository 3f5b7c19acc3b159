"""``check``'s verdict: the causes found, the cells that said nothing about their method, and
the last line (what was found, what could not be checked), as the terminal shows them."""

from __future__ import annotations

from typing import Dict, List, Mapping, Sequence, Set, Tuple

from harness.check_diagnose import (
    FORK_DEFAULT,
    NO_PROCESS,
    RAN,
    UNWATCHED,
    Diagnosis,
    not_exercised,
    unwatched,
)
from harness.check_match import children
from harness.check_table import defaults
from harness.check_tests import compared
from harness.check_where import cells_text, grouped, table_order
from harness.guest.words import START_METHODS
from harness.runner import CaseRun
from harness.text import shorten
from harness.vocab import Outcome

__all__ = ["at_the_limit", "format_diagnoses", "format_follow_ons", "format_outputs",
           "nothing_checked", "outputs_differ", "silently_differs", "summary_line",
           "unchecked_cells"]


def unchecked_cells(runs: Mapping[Tuple[str, str], CaseRun]) -> Dict[Tuple[str, str], str]:
    """The cells that say nothing about their method, and why (``not_exercised``)."""
    whys = {key: not_exercised(run, key[1]) for key, run in runs.items()}
    return {key: why for key, why in whys.items() if why}


def nothing_checked(runs: Mapping[Tuple[str, str], CaseRun],
                    unchecked: Mapping[Tuple[str, str], str]) -> bool:
    """No cell ran a process check watches: whatever the outcomes, start methods were not
    checked."""
    ran = [k for k, r in runs.items() if r.outcome is not Outcome.UNAVAILABLE]
    return bool(ran) and all(unchecked.get(k) == NO_PROCESS or unchecked.get(
        k, "").endswith(UNWATCHED) for k in ran)


def outputs_differ(runs: Mapping[Tuple[str, str], CaseRun]) -> Dict[str, Tuple[str, List[str]]]:
    """Per interpreter: its default method, and the methods whose run ended ok, as the
    default's did, but printed other output (stdout)."""
    found: Dict[str, Tuple[str, List[str]]] = {}
    for interp, default in defaults(runs).items():
        base = runs.get((interp, default))
        if base is None or base.outcome is not Outcome.OK:
            continue
        other = [m for m in START_METHODS if m != default and (interp, m) in runs
                 and runs[(interp, m)].outcome is Outcome.OK
                 and runs[(interp, m)].stdout != base.stdout]
        if other:
            found[interp] = (default, other)
    return found


def format_outputs(runs: Mapping[Tuple[str, str], CaseRun]) -> str:
    """A line per interpreter whose runs printed other output than its default method's."""
    return "\n".join(
        "the output differs from the default method's (%s) under %s on %s (not a failure by "
        "itself: a pid or a time printed differs too)" % (default, "/".join(other), interp)
        for interp, (default, other) in outputs_differ(runs).items())


def silently_differs(runs: Mapping[Tuple[str, str], CaseRun],
                     diagnoses: Sequence[Diagnosis], read: bool = True) -> List[str]:
    """The interpreters where a child had other globals than its parent (``global-differs``)
    that the code it runs names (``globals_read``; any, not ``read``) and, nothing failing,
    the output differs between the methods: a silently wrong result (review r13: every row
    "??" under spawn), which the exit status says. Globals only the parent's code names, and a
    pid or a time printed, are no failure (review r14)."""
    cells = {c for d in diagnoses if d.code == "global-differs" for c in d.cells}
    return [interp for interp, (default, other) in outputs_differ(runs).items()
            if any("%s[%s]" % (interp, m) in cells and (not read or any(
                c.get("globals_read") for c in children(runs[(interp, m)])))
                for m in [default] + other)]


#: What to do with a failure no cause explains, and the watch's limits behind one: which
#: globals are not compared (``check_compare``), not a guess at when the parent changed them.
_READ = ("read the errors and hangs listed after the table (not compared with the child: "
         "globals other than numbers, text, containers and settings objects (argparse or "
         "simple namespaces, your classes' objects), a module imported before check's watch, "
         "what a spawn or forkserver child's own processes see, and a change the parent made "
         "after start())")


def summary_line(runs: Mapping[Tuple[str, str], CaseRun], diagnoses: Sequence[Diagnosis],
                 unchecked: Mapping[Tuple[str, str], str],
                 not_run: Sequence[Tuple[str, str]] = (), timeout: float = 0) -> str:
    """The last line of ``check``: what was found, and what the runs could not check; with
    ``not_run`` (Ctrl-C cut the check short), about the runs that finished only. Interpreters
    every run of which hit the ``timeout`` without a cause are said apart: a slow program."""
    limited = at_the_limit(runs, diagnoses) if timeout else []
    rest = {k: r for k, r in runs.items() if k[0] not in limited}
    scope = " that ran" if not_run else " on %s" % ", ".join(
        sorted({k[0] for k in rest})) if limited else ""
    line = "; ".join(part for part in (
        _summary(rest, diagnoses, unchecked, scope) if any(
            r.outcome is not Outcome.UNAVAILABLE for r in rest.values()) else "",
        "every run%s was still running at the %s s limit (a slow program, or a hang under "
        "every method): rerun with a longer limit, e.g. --timeout %s" % (
            " on " + ", ".join(limited) if rest else "", _seconds(timeout),
            _seconds(6 * timeout)) if limited else "") if part)
    return "%s (interrupted: not run: %s)" % (line, ", ".join("%s[%s]" % k for k in not_run)) \
        if not_run else line


def _seconds(value: float) -> str:
    return "%g" % value


def explained(runs: Mapping[Tuple[str, str], CaseRun],
              diagnoses: Sequence[Diagnosis]) -> Set[str]:
    """The cells a cause explains: a timeout only by a cause that can hang (``Cause.hangs``;
    threads at a fork or a child's logging do not make a slow program hang, review r21)."""
    timeouts = {"%s[%s]" % k for k, r in runs.items() if r.outcome is Outcome.TIMEOUT}
    return {cell for diag in diagnoses if diag.code != FORK_DEFAULT for cell in diag.cells
            if diag.hangs or cell not in timeouts}


def at_the_limit(runs: Mapping[Tuple[str, str], CaseRun],
                  diagnoses: Sequence[Diagnosis]) -> List[str]:
    """The interpreters every run of which hit the time limit, none explained by a cause (a
    hang a cause explains under every method is that cause's), in the table's order."""
    covered = explained(runs, diagnoses)
    ran: Dict[str, List[Tuple[str, str]]] = {}
    for key in table_order(runs):
        if runs[key].outcome is not Outcome.UNAVAILABLE:
            ran.setdefault(key[0], []).append(key)
    return [interp for interp, keys in ran.items() if all(
        runs[k].outcome is Outcome.TIMEOUT and "%s[%s]" % k not in covered for k in keys)]


#: Said of the copies of multiprocessing a run loaded (``%s``: their names).
_UNWATCHED = ("%s loaded: check does not watch the processes it starts, and they use its own "
              "start method whatever the column's, so the columns do not tell start methods "
              "apart")


def _summary(runs: Mapping[Tuple[str, str], CaseRun], diagnoses: Sequence[Diagnosis],
             unchecked: Mapping[Tuple[str, str], str], scope: str) -> str:
    ran = {k: r for k, r in runs.items() if r.outcome is not Outcome.UNAVAILABLE}
    libraries = "/".join(dict.fromkeys(n for r in ran.values() for n in unwatched(r)))
    failing = [r for r in ran.values() if r.outcome is not Outcome.OK]
    if not failing and nothing_checked(runs, unchecked):
        if libraries:  # processes ran, maybe: no hint to check another target
            return ("no multiprocessing process was started under any method%s; %s: nothing "
                    "about start methods was checked" % (scope, _UNWATCHED % libraries))
        return ("no process was started under any method%s: nothing about start methods was "
                "checked (a test file? use --pytest; a module? name its function, "
                "module:function)" % scope)
    said = _verdict(runs, diagnoses, unchecked, scope, ran, failing)
    return "%s; %s (for those processes)" % (said, _UNWATCHED % libraries) if libraries \
        else said


def _verdict(runs: Mapping[Tuple[str, str], CaseRun], diagnoses: Sequence[Diagnosis],
             unchecked: Mapping[Tuple[str, str], str], scope: str,
             ran: Mapping[Tuple[str, str], CaseRun], failing: Sequence[CaseRun]) -> str:
    # A failing cell is reported as a failure, whatever its processes used.
    aside = ["%s[%s] (%s)" % (k[0], k[1], unchecked[k]) for k in table_order(unchecked)
             if k in ran and ran[k].outcome is Outcome.OK]
    not_checked = "not checked: %s" % ", ".join(aside) if aside else ""
    also = "; " + not_checked if aside else ""
    if not failing:
        if not aside:
            if silently_differs(runs, diagnoses):
                return ("nothing failed under any start method%s, but a child had other "
                        "globals than its parent that its code reads, and the output "
                        "differs (exit status 1): read the causes above" % scope)
            if silently_differs(runs, diagnoses, read=False):
                return ("nothing failed under any start method%s, but a child had other "
                        "globals than its parent and the output differs: a wrong result if "
                        "a child reads them (a pid, a time or an order printed differs too): "
                        "read the causes above" % scope)
            if diagnoses:
                return "nothing failed under any start method%s, but read the causes above" % scope
            # Cut short, "every start method" would claim the cells that never ran.
            return "no problem found in the runs that finished" if scope else \
                "no problem found: it works under every start method"
        chosen = all(why != NO_PROCESS for k, why in unchecked.items() if k in ran)
        if chosen and len(aside) == len(ran) > 3:  # every cell: its list says nothing more
            also = "; no cell checked the method it made the default (--json lists why)"
        # As --pytest: unless two runs of one interpreter used the method made the default,
        # nothing was compared (exit status 1; review r21: loky's own "loky" method).
        return ("no problem found under the methods that ran%s%s%s" % (also, (
            " — its processes start with a method asked for by name (set_start_method or "
            "get_context, by the program or a library it calls)") if chosen else "", "" if
            compared(runs, unchecked, suite=False) else ": nothing about start methods was "
            "compared" if len(aside) == len(ran) else "; no interpreter had two runs that "
            "used the method made the default: nothing about start methods was compared"))
    kinds = {(r.outcome, (r.error or {}).get("type")) for r in failing}
    # Not about the method only if every method really ran it, or none got to start a process.
    every_method = all(unchecked.get(k, "") in ("", NO_PROCESS) for k in ran)
    covered = explained(runs, diagnoses)
    unexplained = ["%s[%s]" % k for k, r in ran.items()
                   if r.outcome is not Outcome.OK and not _explained(k, covered, unchecked)]
    if len(failing) == len(ran) and len(kinds) == 1 and every_method and (
            not diagnoses or not unexplained):
        outcome, kind = next(iter(kinds))
        return ("it fails the same way under every method%s (%s): not a start-method problem%s"
                % (scope, kind or outcome.value, "; its cause is named above" if diagnoses
                   else "")
                ) + also
    if diagnoses:
        # works-only-with-fork-default says where it fails, not why: its cells are explained
        # only by a cause.
        said = "; ".join(part for part in (
            "no known cause recognised for %s: %s" % (cells_text(unexplained), _READ)
            if unexplained else "", not_checked) if part)
        return said[:1].upper() + said[1:]
    return "no known cause recognised: %s%s" % (_READ, also)


def _explained(key: Tuple[str, str], covered: Set[str],
               unchecked: Mapping[Tuple[str, str], str]) -> bool:
    """A cause covers the cell, or the cell ran other methods only (``ran spawn``: the program
    set its own) and a cause covers those methods' cells of its interpreter."""
    if "%s[%s]" % key in covered:
        return True
    why = unchecked.get(key, "")
    return why.startswith(RAN) and all(
        "%s[%s]" % (key[0], m) in covered for m in why[len(RAN):].partition(":")[0].split("/"))


def format_follow_ons(runs: Mapping[Tuple[str, str], CaseRun],
                      interpreters: Sequence[str]) -> str:
    """The second error of cells where a child and the parent both failed (the table shows
    the first): what the parent raised after the child's failure, or the child's failure
    after the parent's own error."""
    found = [("%s[%s]" % (interp, method), shorten(str(also), 160))
             for interp in interpreters for method in START_METHODS
             for run in [runs.get((interp, method))]
             for also in [(run.error or {}).get("also") if run else None] if also]
    return "\n".join(["also (the table shows the first error):"] + grouped(found)) \
        if found else ""


def format_diagnoses(diagnoses: Sequence[Diagnosis], indent: str = "") -> str:
    out = []
    for diag in diagnoses:
        out.append("%s[%s] %s\n%s  fix: %s\n%s  see: %s\n%s  seen in: %s" % (
            indent, diag.code, diag.message, indent, diag.fix, indent, " ".join(diag.links), indent,
            cells_text(diag.cells)))
    return "\n".join(out)
