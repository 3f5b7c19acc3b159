"""The method × interpreter table of ``check``: each interpreter's default method marked (the
cell that says what running the program as it is does), and narrowed to the terminal: an
error's text gives way to its number in the list of errors printed once below the table
(``check_where.format_tracebacks``), and a note of what a cell did not check to a line below
the table."""

from __future__ import annotations

import os
import shutil
import textwrap
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from harness.check_diagnose import not_exercised
from harness.check_where import cells_text, error_groups, error_head, table_order
from harness.guest.words import START_METHODS
from harness.runner import CaseRun
from harness.text import shorten
from harness.vocab import Outcome

__all__ = ["DEFAULT_MARK", "LEGEND", "as_it_is", "defaults", "fit", "format_table",
           "terminal_width"]

#: Marks the cell of an interpreter's default method; the legend line says so.
DEFAULT_MARK = "*"
LEGEND = "%s the interpreter's default start method: what your code uses as it is" % (
    DEFAULT_MARK)
#: The width of the table when the output is not a terminal and COLUMNS is not set.
_NO_TERMINAL = 80
#: The narrowest ``fit`` wraps to: a line's words, not one or two a line.
_NARROWEST = 40


def terminal_width() -> int:
    """The terminal's columns (``COLUMNS`` first, as ``shutil.get_terminal_size`` reads it)."""
    return shutil.get_terminal_size((_NO_TERMINAL, 24)).columns


def fit(text: str, width: Optional[int]) -> str:
    """``text`` (the lines below the table) wrapped at spaces to ``width`` (None: as it is),
    each line going on four columns further in than it starts; a word longer than that (a URL)
    is never broken: it runs past the width on a line of its own."""
    if width is None:
        return text
    lines: List[str] = []
    for line in text.splitlines():
        indent = line[:len(line) - len(line.lstrip())]
        lines.extend(textwrap.wrap(
            line.strip(), max(width, _NARROWEST), initial_indent=indent,
            subsequent_indent=indent + "    ", break_long_words=False,
            break_on_hyphens=False) if len(line) > width else [line])
    return "\n".join(lines)


def defaults(runs: Mapping[Tuple[str, str], CaseRun]) -> Dict[str, str]:
    """Each interpreter's default start method, as its own runs reported it (``check_exec``
    asks the interpreter under test: the first of ``get_all_start_methods()``; a run that hung
    or crashed has discovery's answer, ``check._with_default``); an interpreter none of whose
    runs said it is left out."""
    found: Dict[str, str] = {}
    for interp, method in table_order(runs):
        observed = runs[(interp, method)].observed
        said = observed.get("default_method") if isinstance(observed, dict) else None
        if isinstance(said, str) and interp not in found:
            found[interp] = said
    return found


def _cell_text(run: Optional[CaseRun], method: str, default: bool, number: int,
               level: int) -> str:
    """A cell at ``level`` of detail: 0 the error's head, 1 its number and type, 2 its
    number, 3 its number without the note of what the cell did not check (said once below
    the table: ``_asides``)."""
    if run is None:
        return "-"
    aside = not_exercised(run, method) if level < 3 else ""
    mark = DEFAULT_MARK if default else ""
    return run.outcome.value + mark + _detail(run, number, min(level, 2)) + (
        " (%s)" % aside if aside else "")


def _asides(runs: Mapping[Tuple[str, str], CaseRun], interpreters: Sequence[str]) -> List[str]:
    """The notes the narrowest table leaves out of its cells, each with its cells:
    ``(no process started): every method on 3.11``."""
    cells: Dict[str, List[str]] = {}
    for interp in interpreters:
        for method in START_METHODS:
            run = runs.get((interp, method))
            aside = not_exercised(run, method) if run is not None else ""
            if aside:
                cells.setdefault(aside, []).append("%s[%s]" % (interp, method))
    return ["(%s): %s" % (aside, cells_text(where)) for aside, where in cells.items()]


def _detail(run: CaseRun, number: int, level: int) -> str:
    if run.outcome not in (Outcome.ERROR, Outcome.CRASH) or (
            run.outcome is Outcome.ERROR and not run.error):
        return ""
    error = run.error or {}
    where = "child " if error.get("where") == "child" else ""
    if level == 0 and run.outcome is Outcome.CRASH:
        return " (%s)" % run.detail
    if level == 0:
        return " (%s)" % shorten(error_head(error), 60)
    kind = "" if level == 2 or run.outcome is Outcome.CRASH else " %s%s" % (
        where, error.get("type"))
    return " [%d]%s" % (number, kind)


def _render(rows: List[List[str]]) -> List[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def _numbers(runs: Mapping[Tuple[str, str], CaseRun], interpreters: Sequence[str],
             cwd: Optional[str]) -> Dict[str, int]:
    """Each failing cell's ``[n]``: its error's place in the list of errors."""
    return {cell: n for n, cells in enumerate(error_groups(
        runs, interpreters, cwd or os.getcwd()).values(), 1) for cell in cells}


def format_table(runs: Mapping[Tuple[str, str], CaseRun], interpreters: Sequence[str],
                 width: Optional[int] = None, cwd: Optional[str] = None) -> str:
    """Method × interpreter table of outcomes, each interpreter's default method marked: with
    the error's head in the cell where it fits in ``width`` (None: no limit), else the error's
    number in the list below the table and its type, else its number alone."""
    known = defaults(runs)
    numbers = _numbers(runs, interpreters, cwd)
    lines: List[str] = []
    for level in (0, 1, 2, 3):
        rows = [["interpreter", *START_METHODS]]
        rows += [[i, *(_cell_text(runs.get((i, m)), m, known.get(i) == m,
                                  numbers.get("%s[%s]" % (i, m), 0), level)
                       for m in START_METHODS)] for i in interpreters]
        lines = _render(rows)
        if width is None or max(map(len, lines)) <= width:
            break
    if any(i in known for i in interpreters):
        lines.append(LEGEND)
    if level == 3:
        lines.extend(fit(line, width) for line in _asides(runs, interpreters))
    return "\n".join(lines)


def as_it_is(runs: Mapping[Tuple[str, str], CaseRun], interpreters: Sequence[str],
             cwd: Optional[str] = None, slow: Sequence[str] = ()) -> str:
    """What running the program as it is does on each interpreter (the cell of its default
    method), an error or crash with its ``[n]`` in the list of errors: said when anything
    failed ("" otherwise: the summary says it all). ``slow``: interpreters every run of which
    was still running at the limit, no cause found: not said to fail (maybe only slow)."""
    if not any(r.outcome not in (Outcome.OK, Outcome.UNAVAILABLE) for r in runs.values()):
        return ""
    known = defaults(runs)
    numbers = _numbers(runs, interpreters, cwd)
    fails: List[str] = []
    works: List[str] = []
    unknown: List[str] = []
    limit: List[str] = []
    for interp in interpreters:
        method = known.get(interp, "")
        run = runs.get((interp, method))
        if run is None or run.outcome is Outcome.UNAVAILABLE:
            unknown.append(interp)
        elif run.outcome is Outcome.OK:
            works.append("%s (default %s)" % (interp, method))
        elif interp in slow:
            limit.append("%s (default %s)" % (interp, method))
        else:
            number = numbers.get("%s[%s]" % (interp, method))
            fails.append("%s (default %s: %s%s)" % (interp, method, run.outcome.value,
                                                    " [%d]" % number if number else ""))
    said = ["fails as it is on %s" % ", ".join(fails) if fails else "",
            "works as it is on %s" % ", ".join(works) if works else "",
            "still running at the limit as it is on %s" % ", ".join(limit) if limit else "",
            "default method not known on %s (no run there reported it)" % cells_text(unknown)
            if unknown else ""]
    return "; ".join(part for part in said if part)
