"""Where a ``check`` run failed or hung, in the user's terms: the frames of their own code an
error came from (the harness's and the standard library's left out:
``check_frames.user_frames`` picks them in the interpreter that raised), and the line a hang
wrote last (or, in a traceback, that traceback's error)."""

from __future__ import annotations

import os
import re
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from harness.capture import CUT_MARK, last_line
from harness.guest.check_digest import ADDRESS
from harness.guest.check_exec import ALIAS
from harness.guest.check_frames import FRAME, FRAMES
from harness.guest.words import START_METHODS
from harness.results import HANG_QUOTE, hang_said
from harness.runner import CaseRun
from harness.text import shorten
from harness.vocab import Outcome

__all__ = ["ADDRESS_RE", "BOOTSTRAP_END", "DUMP_FRAME", "DUMP_THREAD", "FRAME_RE", "HARNESS_DIR",
           "STDLIB_RE", "cells_text", "error_groups",
           "error_head", "format_hangs", "frame_text", "format_tracebacks", "grouped", "is_users",
           "last_error", "last_exception", "process_error",
           "readable_detail", "stderr_frames", "table_order"]

#: An object's address in a message: differs in every process, so dropped.
ADDRESS_RE = re.compile(ADDRESS)


HARNESS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")
#: A standard library's folder in a path (CPython's lib/python3.X; PyPy's lib/pypy3.X,
#: lib-python/3), but its site-packages: installed packages are the user's.
STDLIB_RE = re.compile(r"/lib(?:/python3\.\d+t?|/pypy3(?:\.\d+)?|-python/3)/(?!.*-packages/)")
#: The test runner's own frames (``check --pytest``).
_TEST_RUNNER = re.compile(r"/(?:_pytest|pytest|pluggy)/")
#: A frame of a printed traceback (``check_frames.FRAME``), for each host module reading one.
FRAME_RE = re.compile(FRAME, re.M)
#: The guest modules' folder as the user's program imports them (check_exec's alias).
_ALIAS = "/%s/" % ALIAS


def is_users(path: str, test_runner: bool = False) -> bool:
    """Whether a frame of ``path`` is the user's own code, as ``check_frames.user_frames``
    picks them in the interpreter that raised: neither the harness's nor the standard
    library's nor generated (``<frozen runpy>``, ``<string>``); with ``test_runner``, neither
    pytest's nor pluggy's."""
    return not (path.startswith(("<", HARNESS_DIR)) or _ALIAS in path or STDLIB_RE.search(path)
                or (test_runner and _TEST_RUNNER.search(path)))


def stderr_frames(stderr: str) -> List[Dict[str, Any]]:
    """The user's frames of the last traceback on ``stderr`` (a child that died before its
    target ran, where no wrapper saw the error), as ``check_frames.user_frames`` gives them:
    neither the harness's nor the standard library's."""
    block = stderr.rpartition("Traceback (most recent call last):")[2]
    return [{"file": m.group("file"), "line": int(m.group("line")),
             "function": m.group("function"), "code": m.group("code") or ""}
            for m in FRAME_RE.finditer(block) if is_users(m.group("file"))][-FRAMES:]


def frame_text(frame: Mapping[str, Any], cwd: str) -> str:
    """``jobs.py:5 in work: raise ValueError(n)``, the path relative to ``cwd`` inside it."""
    path = str(frame.get("file") or "?")
    if cwd and os.path.isabs(path) and not os.path.relpath(path, cwd).startswith(os.pardir):
        path = os.path.relpath(path, cwd)
    code = str(frame.get("code") or "")
    return "%s:%s in %s%s" % (path, frame.get("line"), frame.get("function"),
                              ": " + code if code else "")


def error_groups(runs: Mapping[Tuple[str, str], CaseRun], interpreters: Sequence[str],
                 cwd: str) -> Dict[Tuple[str, ...], List[str]]:
    """Each distinct error (or crash), in the table's order: its heading (over 120 characters
    cut in the middle) and the frames of the user's own code it came from, innermost last ->
    the cells it was seen in. Its place in this order is its ``[n]`` in the table."""
    groups: Dict[Tuple[str, ...], List[str]] = {}
    for interp in interpreters:
        for method in START_METHODS:
            run = runs.get((interp, method))
            if run is not None and run.outcome is Outcome.CRASH:
                key: Tuple[str, ...] = (_ends("crash: %s" % run.detail, 120),)
            elif run is not None and run.outcome is Outcome.ERROR and run.error:
                error: Dict[str, Any] = dict(run.error)
                frames = [f for f in error.get("traceback") or () if isinstance(f, dict)]
                key = (_ends(error_head(error), 120),) + tuple(frame_text(f, cwd) for f in frames)
            else:
                continue
            groups.setdefault(key, []).append("%s[%s]" % (interp, method))
    return groups


def format_tracebacks(runs: Mapping[Tuple[str, str], CaseRun], interpreters: Sequence[str],
                      cwd: str) -> str:
    """Each distinct error once, numbered as the table refers to it (``[1]``), with the cells
    it was seen in and the frames of the user's own code it came from, innermost last ("" when
    nothing failed with an error or a crash)."""
    groups = error_groups(runs, interpreters, cwd)
    if not groups:
        return ""
    lines = ["errors (the table's [n]; your code's frames, innermost last; --json: stderr):"]
    for number, (key, cells) in enumerate(groups.items(), 1):
        lines.append("  [%d] %s  in %s" % (number, key[0], cells_text(cells)))
        lines.extend("      " + shorten(text, 160) for text in key[1:])
    return "\n".join(lines)


def error_head(error: Mapping[str, Any]) -> str:
    """``child Type: message``: an error's type and its message up to its first line break
    (the first line with words: spawn's RuntimeError starts with one), addresses dropped; its
    type alone when it has no message (queue.Empty)."""
    lines = [line for line in str(error.get("message") or "").splitlines() if line.strip()]
    kind = "%s%s" % ("child " if error.get("where") == "child" else "", error.get("type"))
    return "%s: %s" % (kind, ADDRESS_RE.sub("", lines[0].strip())) if lines else kind


def _ends(text: str, limit: int) -> str:
    """``text`` on one line, cut in the middle when longer than ``limit``: a message's end is
    often what says most (``(in a child, before its target ran)``, "Please use the same
    context ...")."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    keep = limit - 3
    head, tail = line[:keep * 3 // 5], line[len(line) - (keep - keep * 3 // 5):]
    # At word boundaries, where the words are not longer than the part kept.
    head = head.rpartition(" ")[0] or head
    tail = tail.partition(" ")[2] or tail
    return "%s … %s" % (head, tail)


_TRACEBACK = "Traceback (most recent call last):"
#: The last line of spawn's bootstrapping RuntimeError before 3.12 (multiprocessing/spawn.py,
#: ``_check_not_importing_main``), which is all a hang keeps of it when its stderr was cut, and
#: how that message starts.
BOOTSTRAP_END = "is not going to be frozen to produce an executable"
_BOOTSTRAP_START = ("RuntimeError: An attempt has been made to start a new process before the "
                    "current process has finished its bootstrapping phase.")


def _traceback_error(block: str) -> Tuple[str, List[str]]:
    """A traceback's error as its first sentence(s) say it (``RuntimeError: An attempt has
    been made ...``: the message up to its first blank line, whose last line is often only a
    link), and the traceback's lines ("" when the traceback was cut off before its error)."""
    lines = block.splitlines()
    at = next((n for n, line in enumerate(lines[1:], 1) if line.strip() and
               not line.startswith(" ")), None)
    if at is None:
        return "", lines
    end = next((n for n in range(at + 1, len(lines)) if lines[n].strip() and
                not lines[n].startswith(" ")), len(lines))
    kind, _, message = lines[at].partition(":")
    words: List[str] = message.split()
    for line in lines[at + 1:end]:
        if not line.strip() and words:
            break
        words += line.split()
    return shorten("%s: %s" % (kind, " ".join(words)) if words else kind, 200), lines[:end]


def last_error(stderr: str) -> str:
    """The error of the last traceback on ``stderr`` as its first sentence(s) say it, its
    message whole however many lines it takes ("" without a traceback)."""
    if _TRACEBACK not in stderr:
        return ""
    return _traceback_error(_TRACEBACK + stderr.rpartition(_TRACEBACK)[2])[0]


#: An exception's name as a traceback prints it, with its module when not a builtin
#: (``__mp_main__.ConfigError``, ``_pickle.PicklingError``).
_EXCEPTION_NAME = re.compile(r"[A-Za-z_][\w.]*\Z")


def last_exception(stderr: str) -> Tuple[str, str]:
    """The last traceback's exception on ``stderr``: its type without its module
    (``ConfigError``) and its message (``last_error``); ("", "") without a traceback, or when
    what ends it names no exception (a fatal error, a cut)."""
    kind, _, message = last_error(stderr).partition(":")
    if not _EXCEPTION_NAME.match(kind):
        return "", ""
    return kind.rpartition(".")[2], message.strip()


#: What a traceback printed while handling another, or raised from it, goes on with.
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")


def process_error(stderr: str, name: str) -> Tuple[str, str, List[Dict[str, Any]]]:
    """The exception that ended the process ``name`` as multiprocessing printed it on
    ``stderr`` (``Process NAME:`` then its traceback: the last of a chain), its type without
    its module, its message and the user's frames; ("", "", []) when it printed none."""
    head = "Process %s:\n" % name
    at = stderr.find(head + _TRACEBACK)
    if at < 0:
        return "", "", []
    block = stderr[at + len(head):]
    while True:
        said, lines = _traceback_error(block)
        rest = block.splitlines()[len(lines):]
        following = next((line for line in rest if line.strip()), "")
        if not (said and following.startswith(_CHAINED) and _TRACEBACK in "\n".join(rest)):
            break
        block = _TRACEBACK + "\n".join(rest).partition(_TRACEBACK)[2]
    kind, _, message = said.partition(":")
    if not _EXCEPTION_NAME.match(kind):
        return "", "", []
    return kind.rpartition(".")[2], message.strip(), stderr_frames("\n".join(lines) + "\n")


#: A frame of faulthandler's dump (a process killed by a fatal signal: check enables it in
#: every child it watches; a collection that hangs: ``check_suite``).
DUMP_FRAME = re.compile(r'^[ \t]*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<function>\S+)',
                        re.M)
_FATAL = "Fatal Python error: "
#: A thread's header in faulthandler's dump (3.14 adds the thread's name in brackets, PyPy
#: "approximate line numbers").
DUMP_THREAD = re.compile(r"^(?:Current thread|Thread) 0x[0-9a-fA-F]+(?: \[[^\]\n]*\])? \(most "
                         r"recent call first(?P<approx>, approximate line numbers)?\):$", re.M)


def _fatal_line(stderr: str, said: str) -> str:
    """When ``said`` is a line of the last faulthandler dump on ``stderr``: the fatal error and
    the innermost frame it names ("" otherwise)."""
    lines = stderr.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith(_FATAL)]
    if not starts:
        return ""
    block = lines[starts[-1]:]
    if said not in {last_line(line) for line in block}:
        return ""
    frame = next((m for m in map(DUMP_FRAME.match, block) if m), None)
    where = "/".join(frame.group("file").split("/")[-2:]) if frame else ""
    return "%s (a process died%s)" % (block[0].strip(), " in %s:%s in %s" % (
        where, frame.group("line"), frame.group("function")) if frame else "")


def _hang_line(run: CaseRun) -> str:
    """The last line a hang wrote to stderr, or, when that line is part of a traceback (a
    frame, or the end of the error's message), the traceback's error; of a fatal error's dump,
    the error and its innermost frame."""
    said = hang_said(run.detail)
    fatal = _fatal_line(run.stderr, said) if said else ""
    if fatal:
        return fatal
    head, _, tail = CUT_MARK.partition("%d")
    lines = run.stderr.splitlines()
    # The harness's cut inside a long traceback (and the half line after it) is read as its
    # (indented) lines.
    cut = {n + d for n, line in enumerate(lines) if line.startswith(head) and
           line.endswith(tail) for d in (0, 1)}
    text = "\n".join("  " + line if n in cut else line for n, line in enumerate(lines))
    blocks = [_TRACEBACK + b for b in text.split(_TRACEBACK)[1:]]
    # Only the end of spawn's message was kept: it is quoted from the message's start.
    known = "%s … %s" % (_BOOTSTRAP_START, said) if said.startswith(BOOTSTRAP_END) else said
    if not said or not blocks:
        return known
    error, lines = _traceback_error(blocks[-1])
    if said not in {last_line(line) for line in lines}:
        # It ends an earlier traceback (a later one the kill cut off before its error): that
        # one's error, not the message's last line (often a link).
        return next((e for e, part in map(_traceback_error, reversed(blocks[:-1])) if e and
                     said in {last_line(line) for line in part}), known)
    if error:
        return error
    before = [e for e in (_traceback_error(b)[0] for b in blocks[:-1]) if e]
    return "a traceback, cut off by the kill%s" % (
        "; the one before it: " + before[-1] if before else "")


def table_order(keys: Iterable[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """``(interpreter, method)`` keys in the order of the table: the interpreters in the order
    they come (as named: 3.8 before 3.12), then fork, forkserver, spawn."""
    keys = list(keys)
    interps = list(dict.fromkeys(k[0] for k in keys))
    return sorted(keys, key=lambda k: (interps.index(k[0]), START_METHODS.index(k[1])
                                       if k[1] in START_METHODS else len(START_METHODS)))


def cells_text(cells: Sequence[str], most: int = 6) -> str:
    """Where something was seen, whole and short: ``3.12[fork]`` for one cell, else each
    interpreter's methods with the interpreters that share them, ``every method on 3.8, 3.9
    and 3.10; fork/spawn on pypy3.9``; past ``most`` such groups, how many cells are left (the JSON
    lists every cell). A name without ``[method]`` is an interpreter's."""
    cells = list(dict.fromkeys(cells))
    if len(cells) == 1:
        return cells[0]
    methods: Dict[str, List[str]] = {}
    for cell in cells:
        interp, _, method = cell.partition("[")
        methods.setdefault(interp, []).extend([method.rstrip("]")] if method else [])
    shared: Dict[Tuple[str, ...], List[str]] = {}
    for interp, said in methods.items():
        shared.setdefault(tuple(m for m in START_METHODS if m in said) + tuple(
            m for m in said if m not in START_METHODS), []).append(interp)
    groups = [("%s on " % ("every method" if said == START_METHODS else "/".join(said))
               if said else "") + _and(interps) for said, interps in shared.items()]
    if len(groups) <= most:
        return "; ".join(groups)
    left = sum(len(methods[i]) or 1 for interps in list(shared.values())[most:] for i in interps)
    return "; ".join(groups[:most]) + " … and %d more (--json lists them)" % left


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else "%s and %s" % (", ".join(names[:-1]), names[-1])


def grouped(found: Sequence[Tuple[str, str]]) -> List[str]:
    """``(cell, text)`` pairs as one ``  cells: text`` line per distinct text, in order: a
    program that hangs or fails the same way everywhere says it once."""
    groups: Dict[str, List[str]] = {}
    for cell, text in found:
        groups.setdefault(text, []).append(cell)
    return ["  %s: %s" % (cells_text(cells), text) for text, cells in groups.items()]


def readable_detail(run: CaseRun) -> str:
    """A run's detail, a hang's quote as ``format_hangs`` reads it (the error of the traceback
    its last line was part of, a fatal error's dump) when that is not the raw line."""
    said = hang_said(run.detail)
    if run.outcome is not Outcome.TIMEOUT or not said:
        return run.detail
    line = _hang_line(run)
    if line == said:
        return run.detail
    return "%s; where it hung: %s" % (run.detail.partition(HANG_QUOTE)[0], line)


def format_hangs(runs: Mapping[Tuple[str, str], CaseRun],
                 interpreters: Sequence[str]) -> str:
    """Where each hang was, as far as its processes said: the last line they wrote to stderr
    before the kill, or the error of the traceback it was part of ("" when no hang said
    anything)."""
    found = [("%s[%s]" % (i, m), _hang_line(run))
             for i in interpreters for m in START_METHODS
             for run in [runs.get((i, m))]
             if run is not None and run.outcome is Outcome.TIMEOUT and hang_said(run.detail)]
    if not found:
        return ""
    return "\n".join(["where it hung (the last line written to stderr before the kill; in a "
                      "traceback, its error):"] + grouped(found))
