"""One matrix cell as the page shows it: what happened first (the outcome, in words and colour),
whether that matches the docs second (a mark on the cell), and the structured details the panel
pretty-prints. Pure functions over ``matrix.json`` cells; no I/O, no markup.
"""

from __future__ import annotations

import dataclasses
import re
from typing import AbstractSet, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from harness import notrun, svg
from harness.documents import MatrixCell, error_field
from harness.expect import not_compared
from harness.guest.words import (
    AS_EXPECTED,
    CHILD_DIED,
    CRASH,
    ERROR,
    FLAKY,
    NO_EXPECTATION,
    NOT_RUN,
    OK,
    PERFORMANCE,
    TIMEOUT,
    UNAVAILABLE,
    UNEXPECTED,
)
from harness.results import HANG_QUOTE, NO_RESULT
from harness.text import canonical_json as _dumps
from harness.text import differing_keys, labelled_value, shorten

__all__ = ["AGREES_INFERRED", "DEFAULT_CASE", "FACE_KEYS", "INFERRED_LABEL", "INFERRED_PARTS",
           "NOT_APPLICABLE", "OUTCOMES", "PANEL_WORDS", "PANEL_WORDS_KEY", "UNMARKED_VERDICT",
           "VERDICT_MARKS", "CellView", "code_changed_line", "error_words", "outcome_of",
           "panel_data",
           "row_cells"]

#: The case that records the default start method (the Answers' table reads it too).
DEFAULT_CASE = "methods.default"
#: Cases whose ok cells show one key of their value, the answer the row records ("fork"),
#: instead of "ok" (every method returns the same value: the row would read "ok" throughout).
FACE_KEYS = {DEFAULT_CASE: "default"}
#: A slot of the matrix where the case does not run under that method: not a cell.
NOT_APPLICABLE = "not-applicable"
#: The cell outcomes of the page's contract (``data-outcome``) → (symbol, legend label).
OUTCOMES: Dict[str, Tuple[str, str]] = {
    OK: ("", "ok: returned (a short value where the methods differ)"),
    ERROR: ("", "error: the exception type"),
    TIMEOUT: ("◷", "hang: killed after the hard timeout"),
    CRASH: ("☠", "crash: the signal, or the exit code"),
    UNAVAILABLE: ("", "n/a: the method (or what the case needs) does not exist here"),
    NOT_APPLICABLE: ("", "—: not part of this case"),
    NOT_RUN: ("", "·: not run (no data)"),
}
#: ``data-verdict`` → (mark on the cell, legend label). As expected carries no mark.
VERDICT_MARKS: Dict[str, Tuple[str, str]] = {
    AS_EXPECTED: ("", "as the docs say"),
    UNEXPECTED: ("✗", "differs from the docs"),
    NO_EXPECTATION: ("?", "the docs say nothing"),
    FLAKY: ("≈", "flaky: runs disagree"),
}
#: The verdict a matrix cell leaves unsaid (no ``data-verdict``): most cells, the page's weight.
UNMARKED_VERDICT = AS_EXPECTED
#: Counted apart from "differs from the docs": the cells against an expectation the docs do not
#: state (inferred from their mechanism, or read from the implementation).
INFERRED_LABEL = "differs from an inferred expectation (one the docs do not state)"
AGREES_INFERRED = "as an inferred expectation (one the docs do not state)"
#: The verdicts counted in two parts, and their inferred part's (short, full) label.
INFERRED_PARTS = {UNEXPECTED: ("from an inferred expectation", INFERRED_LABEL),
                  AS_EXPECTED: ("as an inferred expectation", AGREES_INFERRED)}
#: The details panel's lines, by verdict (``~inferred``: against an expectation the docs do not
#: state; ``""``: an unavailable cell). report-panel.js reads them from the panel JSON (``~words``).
PANEL_WORDS = {
    AS_EXPECTED: "✓ " + VERDICT_MARKS[AS_EXPECTED][1],
    AS_EXPECTED + "~inferred": "✓ " + AGREES_INFERRED,
    UNEXPECTED: "✗ " + VERDICT_MARKS[UNEXPECTED][1],
    UNEXPECTED + "~inferred": "✗ " + INFERRED_LABEL,
    NO_EXPECTATION: "? the docs say nothing about this cell",
    FLAKY: "≈ flaky: the runs disagree",
    "": "not compared with the docs: nothing ran here",
    "expected": "expected (from the docs)",
    "expected~inferred": "expected (inferred: the docs do not state it)",
    # The panel's link to where the expectation comes from: the docs, or (inferred, or no
    # expectation) only the case's source, which does not state it.
    "source": "the docs this expectation comes from",
    "source~inferred": "the case's source",
    # An ok cell whose value is the program failing (``picks.broken``): "ok" alone read as
    # "works" for a script that exits 1 (review r16).
    "ok~broke": "ok — but the program failed: the case returned how the program it models "
                "fails under this method (its docs say so)",
    # The words report-panel.js compares a cell's data-outcome and data-verdict with, by their
    # names here (no verdict is spelled in capitals): the script spells none of the vocabulary.
    "OK": OK, "ERROR": ERROR, "TIMEOUT": TIMEOUT, "CRASH": CRASH, "UNAVAILABLE": UNAVAILABLE,
    "NOT_APPLICABLE": NOT_APPLICABLE, "AS_EXPECTED": AS_EXPECTED,
}
#: The panel JSON's key for PANEL_WORDS (no case id starts with "~").
PANEL_WORDS_KEY = "~words"
_SIGNAL = re.compile(r"\b(SIG[A-Z0-9]+|signal \d+)")
_EXIT = re.compile(r"exited with code (-?\d+)")
#: Signals a child's negative exit code names the same on Linux and macOS (POSIX's numbers: the
#: report may be built on another OS than the run), and those that mean it crashed.
_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
            8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"}
_FAULTS = {"SIGILL", "SIGTRAP", "SIGABRT", "SIGFPE", "SIGSEGV"}


@dataclasses.dataclass(frozen=True)
class CellView:
    env: str
    method: str
    outcome: str  # one of OUTCOMES
    verdict: str  # one of VERDICT_MARKS, or "" (no data)
    text: str  # the visible short text
    mark: str  # the verdict's mark ("" when as expected)
    warn: bool  # the run emitted a warning: ⚠ on the cell
    title: str  # the no-JavaScript tooltip
    #: For the panel's JSON: the behaviour's index, or [index, wall_s, warnings] for a hang (its
    #: seconds) or a cell that warned (most cells are an index: CI's page held 12,000 wall times).
    data: Union[int, List[Any], None]


def outcome_of(cell: Optional[MatrixCell]) -> str:
    if cell is None:
        return NOT_APPLICABLE
    outcome = cell.get("outcome")
    return str(outcome) if outcome in OUTCOMES else NOT_RUN


def verdict_of(cell: Optional[MatrixCell]) -> str:
    """The cell's mark against the docs ("": none, and not compared: see
    ``expect.not_compared``)."""
    if cell is None or cell.get("outcome") is None:
        return ""
    if cell.get("flaky"):
        return FLAKY
    verdict = cell.get("verdict")
    if not_compared(verdict, cell.get("outcome")):
        return ""
    return str(verdict) if verdict in VERDICT_MARKS else NO_EXPECTATION


def _scalar_text(value: Any, limit: int = 10) -> Optional[str]:
    if isinstance(value, (dict, list)):
        return None
    return shorten(value if isinstance(value, str) else _dumps(value), limit)


def error_words(cell: MatrixCell) -> str:
    """An error cell's type as the page says it: the type, but the harness's own ``ChildDied``
    (a child that ended without a result) in words: "the child crashed (SIGSEGV)" when its
    exit code names a signal, "the child was killed by signal 7" for one whose name differs
    between systems (SIGBUS is 7 on Linux, 10 on macOS), "the child exited with code 1 without a
    result", else "the child died without a result"."""
    kind = error_field(cell, "type") or ERROR
    if kind != CHILD_DIED:
        return kind
    found = _EXIT.search(error_field(cell, "message"))
    if found is None:
        return "the child died without a result"
    code = int(found.group(1))
    if code >= 0:
        return "the child exited with code %d without a result" % code
    name = _SIGNALS.get(-code)
    if name is None:
        return "the child was killed by signal %d" % -code
    return "the child %s (%s)" % ("crashed" if name in _FAULTS else "was killed", name)


def hang_seconds(cell: MatrixCell) -> Optional[float]:
    wall = cell.get("wall_s")
    return float(wall) if isinstance(wall, (int, float)) and not isinstance(wall, bool) else None


def _crash_text(cell: MatrixCell) -> str:
    detail = str(cell.get("detail") or "")
    found = _SIGNAL.search(detail)
    if found:
        return found.group(1)
    code = _EXIT.search(detail)
    return "exit %s" % code.group(1) if code else CRASH


def _ok_texts(cells: Sequence[Optional[MatrixCell]], face: Optional[str] = None) -> List[str]:
    """The visible text of each ok cell of one environment: "ok" when every method returned
    the same value, else a short form of the value (or of the one key that differs), else a
    letter per distinct value. ``face`` (``FACE_KEYS``): that key's value, whatever the others
    returned (a value without it falls back to the rules above)."""
    shown = _shown_key(cells, face)
    if shown is None:
        return [OK] * len(cells)
    key = shown or None
    letters: Dict[str, str] = {}
    out = []
    for c in cells:
        if c is None or c.get("outcome") != OK:
            out.append("")
            continue
        value = c.get("observed")
        short = _scalar_text(value.get(key) if key is not None and isinstance(value, dict)
                             else value)
        if short is None:
            short = "ok " + letters.setdefault(_dumps(value), "ABCDEFGH"[min(len(letters), 7)])
        out.append(short)
    return out


def _shown_key(cells: Sequence[Optional[MatrixCell]], face: Optional[str] = None,
               ) -> Optional[str]:
    """Which key of their values one environment's ok cells show (``_ok_texts``): "" for the
    whole value (a letter, or a value that is no object), None when they read plain "ok"."""
    oks = [c for c in cells if c is not None and c.get("outcome") == OK]
    faced = face is not None and all(isinstance(c.get("observed"), dict) and isinstance(
        c["observed"].get(face), str) and c["observed"][face] for c in oks)
    values = {_dumps(c.get("observed")) for c in oks}
    if not faced and (len(values) <= 1 or any(c.get("category") == PERFORMANCE for c in oks)):
        return None
    differ = [face] if faced else differing_keys([c.get("observed") for c in oks])
    return str(differ[0]) if differ and len(differ) == 1 else ""


def visible_text(cell: Optional[MatrixCell], ok_text: str) -> str:
    outcome = outcome_of(cell)
    if cell is None:
        return "—"
    if outcome == OK:
        return ok_text or OK
    if outcome == ERROR:
        return error_field(cell, "type") or ERROR
    if outcome == TIMEOUT:
        secs = hang_seconds(cell)
        return "hang %d s" % round(secs) if secs is not None else "hang"
    if outcome == CRASH:
        return _crash_text(cell)
    if outcome == UNAVAILABLE:
        return "n/a"
    return "·"


def behaviour(cell: MatrixCell) -> Dict[str, Any]:
    """What the panel shows of a cell's behaviour (shared by every cell that behaved so)."""
    out: Dict[str, Any] = {"outcome": cell.get("outcome"), "status": cell.get("status")}
    for key in ("observed", "error", "detail", "expected"):
        if cell.get(key) not in (None, "", {}):
            out[key] = cell.get(key)
    if cell.get("category") == PERFORMANCE and cell.get("outcome") == OK:
        measured = svg.brief(cell.get("observed"))
        if measured:
            out["measured"] = measured
        # Every sample stays in matrix.json; the page keeps the statistics (its weight).
        out["observed"] = _without_samples(cell.get("observed"))
    if cell.get("code_changed"):
        out["changed"] = code_changed_line(cell)
    if cell.get("outcome") == ERROR and error_field(cell, "type") == CHILD_DIED:
        out["said"] = error_words(cell)  # the panel's error line, in the change lines' words
    if cell.get("observations"):
        out["runs"] = [{"file": str(o.get("source_file")), "outcome": o.get("outcome"),
                        "observed": o.get("observed"), "error": o.get("error")}
                       for o in cell["observations"]]
    return out


def panel_data(sources: List[str], behaviours: List[Dict[str, Any]],
               row: Sequence[CellView],
               labels: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """One case's panel data: its first source ("s"), its behaviours ("b"), each cell's entry
    ("c"), and its expectations ("e"), each said once: a behaviour names its expectation by index
    ("x"; a case's behaviours mostly share one: CI's page said 179 expectations 412 times); its
    words for its keys ("l", when it gives them: a phone has no tooltip)."""
    expectations: List[Any] = []
    seen: Dict[str, int] = {}
    out = []
    for given in behaviours:
        b = {k: v for k, v in given.items() if k != "expected"}
        if "expected" in given:
            key = _dumps(given["expected"])
            if key not in seen:
                seen[key] = len(expectations)
                expectations.append(given["expected"])
            b["x"] = seen[key]
        out.append(b)
    data = {"s": sources, "b": out, "c": [c.data for c in row], "e": expectations}
    if labels:
        data["l"] = dict(labels)
    return data


def _without_samples(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_samples(v) for k, v in value.items() if k != "samples"}
    if isinstance(value, list):
        return [_without_samples(v) for v in value]
    return value


def code_changed_line(cell: MatrixCell) -> str:
    """What a ``code_changed`` cell's tooltip and panel say (a phone has no tooltip): its runs
    ran two versions of the case, which is not compared; its face is the newest run's, and its
    claims are undecided (``claimcheck``)."""
    return "runs not compared: %s; the cell shows the newest run and decides no claim" % (
        cell.get("code_changed"))


def _title(cell: Optional[MatrixCell]) -> str:
    """The no-JavaScript tooltip, only for what the cell's text leaves out (the header says the
    environment and the method; the panel and the case section say the rest)."""
    if cell is None or cell.get("outcome") is None:
        return notrun.detail_text(cell) if cell is not None else ""  # "not run (--quick)"
    parts = []
    if cell.get("code_changed"):  # its runs disagree, but ran two versions of the case
        parts.append(code_changed_line(cell))
    if cell.get("outcome") == ERROR:
        # The message alone: the cell's text is the error's type (the 30 x 100 page said it
        # twice on 1,100 cells).
        message = shorten(error_field(cell, "message"), 100)
        if message:
            parts.append(message)
    elif cell.get("outcome") in (CRASH, TIMEOUT) and cell.get("detail") and not (
            # A hang that quotes nothing says what the legend says ("killed after the hard
            # timeout"): CI's page repeated it on 516 cells.
            str(cell["detail"]).startswith(NO_RESULT) and HANG_QUOTE not in str(cell["detail"])):
        parts.append(shorten(str(cell["detail"]), 300))  # a hang quotes its stderr after ~80
    if cell.get("warnings"):
        parts.append("⚠ " + ", ".join(sorted({
            str(w.get("category")) for w in cell["warnings"]})))
    return " · ".join(parts)


def row_cells(
    case_id: str, envs: Sequence[str], methods: Sequence[str],
    lookup: Mapping[Tuple[str, str], MatrixCell],
    behaviours: List[Dict[str, Any]],
    broken: AbstractSet[Tuple[str, str]] = frozenset(),
    labels: Optional[Mapping[str, str]] = None,
) -> List[CellView]:
    """One case's row: every (environment, method) cell, left to right. ``behaviours`` collects
    the distinct behaviours of the case (the panel's "same in N other cells"); a cell in
    ``broken`` (``picks.broken``: the value is the program failing) says so in the panel;
    ``labels``: the case's words for the keys of its value (an "ok A" tooltip uses them)."""
    index: Dict[str, int] = {_dumps(b): i for i, b in enumerate(behaviours)}
    row: List[CellView] = []
    for env in envs:
        cells = [lookup.get((env, m)) for m in methods]
        oks = _ok_texts(cells, FACE_KEYS.get(case_id))
        shown = _shown_key(cells, FACE_KEYS.get(case_id)) if labels else None
        for method, cell, ok_text in zip(methods, cells, oks):
            outcome, verdict = outcome_of(cell), verdict_of(cell)
            text = visible_text(cell, ok_text)
            data: Union[int, List[Any], None] = None
            if cell is not None and cell.get("outcome") is not None:
                b = behaviour(cell)
                if (env, method) in broken:
                    b["broke"] = True
                key = _dumps(b)
                if key not in index:
                    index[key] = len(behaviours)
                    behaviours.append(b)
                wall = hang_seconds(cell) if outcome == TIMEOUT else None
                data = index[key]
                if wall is not None or cell.get("warnings"):
                    data = [data, round(wall, 2) if wall is not None else None,
                            [{"category": str(w.get("category")),
                              "message": str(w.get("message"))}
                             for w in cell.get("warnings") or []]]
            row.append(CellView(
                env=env, method=method, outcome=outcome, verdict=verdict,
                text=text, mark=VERDICT_MARKS.get(verdict, ("", ""))[0],
                warn=bool(cell and cell.get("warnings")),
                title=_title(cell) or _key_title(ok_text, cell, labels, shown)
                or _letter_title(ok_text, cell, labels), data=data))
    return row


def _key_title(ok_text: str, cell: Optional[MatrixCell], labels: Optional[Mapping[str, str]],
               key: Optional[str]) -> str:
    """A cell that shows one key's value ("true", "fork"): the case's words for that key
    ("the child's own atexit handler runs: yes"), when it gives them; else no tooltip."""
    value = cell.get("observed") if cell is not None else None
    if not key or not labels or not labels.get(key) or not isinstance(value, dict) or \
            key not in value or ok_text in ("", OK):
        return ""
    return labelled_value(labels[key], value[key])


def _letter_title(ok_text: str, cell: Optional[MatrixCell],
                  labels: Optional[Mapping[str, str]] = None) -> str:
    """An "ok A" cell's tooltip: the value its letter stands for (letters are per environment:
    without the script, hovering is the only way to read them); an object whose case gives
    words for its keys as them ("ok A = the child's own atexit handlers run: yes; …")."""
    if cell is None or not re.fullmatch(r"ok [A-H]", ok_text):
        return ""
    value = cell.get("observed")
    if labels and isinstance(value, dict) and any(k in labels for k in value):
        return "%s = %s" % (ok_text, shorten("; ".join(
            labelled_value(labels[k], v) if labels.get(k) else "%s: %s" % (k, _dumps(v))
            for k, v in sorted(value.items())), 200))
    return "%s = %s" % (ok_text, shorten(_dumps(value), 200))
