"""How ``python -m harness check`` finds the causes of ``check_causes`` in its runs, each only
from what a run observed: the exception type and message (in the parent, in a child, or a
child's traceback on stderr), what a child saw differently from its parent at ``start()``
(``check_watch``), and how the outcomes of one interpreter differ across methods.
``works-only-with-fork-default`` is the summary line, after the causes.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple, Union

from harness.check_causes import CAUSES, MIXED, Cause
from harness.check_match import (
    JOINED_FLUSHING,
    random_shared,
    random_states,
    threads_at_fork,
)
from harness.check_where import table_order
from harness.guest.docs import CONTEXTS, DOCS, GUIDE_SPAWN, OS_FORK, WHATSNEW_314
from harness.guest.words import FORK, FORKSERVER, SPAWN
from harness.results import hang_said
from harness.runner import CaseRun
from harness.text import shorten
from harness.vocab import Outcome

__all__ = ["CAUSES", "FORK_DEFAULT", "JOINED_FLUSHING", "NO_PROCESS", "RAN", "UNWATCHED",
           "Diagnosis", "default_where", "diagnose", "not_exercised", "unwatched"]


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """One cause found, where it was seen, and what to do about it."""

    code: str
    message: str
    fix: str
    links: Tuple[str, ...]
    cells: Tuple[str, ...]
    hangs: bool = False  # it can explain a timeout (``Cause.hangs``)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)



_METHOD = "\x00method\x00"  # filled in with every method the cause was seen under
_WHERE = "\x00where\x00"  # filled in with where those methods are the default
#: Where each method other than fork is the default (the docs' Contexts and start methods).
_DEFAULT_WHERE = {SPAWN: "spawn: macOS from 3.8, Windows",
                  FORKSERVER: "forkserver: Linux and other POSIX from Python 3.14 (spawn there "
                              "from 3.14.9 when no temporary directory is writable)"}
_PICKLE = re.compile(r"(?i)pickl|cannot serialize|local object")
_MAIN_ATTR = re.compile(r"Can't get attribute '(?P<a>[^']+)' on <module '__(mp_)?main__'"
                        r"(?P<file> from)?|module '__(mp_)?main__' has no attribute '(?P<b>[^']+)'")
_PICKLE_CODES = {"environ-argument", "lambda-or-local-function", "bound-method-target",
                 "thread-lock-argument", "open-resource-argument", "pool-pickled",
                 "sync-primitive-pickled"}
#: Causes read from what the children reported at start(): true of whichever cell's run they
#: were started in, though by a method the program (or a library) chose.
_IN_CHILDREN = {"global-differs", "resource-global", "patch-not-seen", "logging-not-configured",
                "env-set-after-forkserver-start", "random-state-duplicated"}


def _text(run: CaseRun) -> str:
    """What the matchers read: the error, its second error, stderr and a hang's last line (a
    long stderr keeps only its start and end)."""
    error = run.error or {}
    return "\n".join([str(error.get("type", "")), str(error.get("message", "")),
                      str(error.get("also", "")), run.stderr, hang_said(run.detail)])


NO_PROCESS = "no process started"
#: The summary of what fails where fork is not the default: it says where, not why.
FORK_DEFAULT = "works-only-with-fork-default"
#: The program started every process with other methods (``ran spawn``): theirs are the cells.
RAN = "ran "
#: Every process came from a context the program asked for by name (``get_context("fork")``):
#: the method made the default never mattered, even where the program used it too.
EXPLICIT = "explicit context: "
#: No multiprocessing process, but a copy of multiprocessing loaded (``multiprocess loaded, not
#: watched``, ``check_seen.UNWATCHED``): its processes, if any, used its own start method.
UNWATCHED = " loaded, not watched"


def _used(run: CaseRun) -> List[str]:
    observed = run.observed if isinstance(run.observed, dict) else {}
    return [m for m in observed.get("methods_used") or () if isinstance(m, str)]


def _ran_other(run: CaseRun, method: str) -> bool:
    """The program used other methods only: those methods' cells say what happened."""
    used = _used(run)
    return bool(used) and method not in used


def unwatched(run: CaseRun) -> List[str]:
    """The copies of multiprocessing (``multiprocess``, ``billiard``) the run had loaded."""
    observed = run.observed if isinstance(run.observed, dict) else {}
    return [str(name) for name in observed.get("unwatched_libraries") or ()]


def not_exercised(run: CaseRun, method: str) -> str:
    """Why ``run`` says nothing about ``method`` as the default ("" when it does): the program
    started no process (or none check watches: ``UNWATCHED``), started every one with another
    method it chose itself, or asked for every process's context by name."""
    observed = run.observed if isinstance(run.observed, dict) else {}
    if run.outcome is Outcome.UNAVAILABLE or "start_attempts" not in observed:
        return ""
    if not observed["start_attempts"]:
        libraries = unwatched(run)
        return "/".join(libraries) + UNWATCHED if libraries else NO_PROCESS
    used = _used(run)
    chosen = _chosen(observed, used)
    if _ran_other(run, method):
        return RAN + "/".join(used) + (": " + chosen if chosen else "")
    if used and observed.get("explicit_only"):
        return chosen or EXPLICIT + "/".join(used)
    return ""


#: What asked for a method when the program named none (``check_watch``'s ``chosen_by``).
_CHOOSERS = {"concurrent.futures.process": "ProcessPoolExecutor(max_tasks_per_child=…) uses %s"}


def _chosen(observed: Mapping[str, Any], used: List[str]) -> str:
    """``ProcessPoolExecutor(max_tasks_per_child=…) uses spawn`` when the library chose every
    method used ("" otherwise: the program chose, or some process used the default)."""
    by = observed.get("method_chosen_by")
    if not isinstance(by, dict) or not used or not set(used) <= set(by):
        return ""
    return "; ".join(dict.fromkeys(_CHOOSERS.get(str(by[m]), str(by[m]) + " uses %s") % m
                                   for m in used))


def diagnose(runs: Mapping[Tuple[str, str], CaseRun]) -> List[Diagnosis]:
    """Causes found in ``runs``, keyed by (interpreter, method), causes before the summary."""
    found: Dict[str, _Found] = {}

    def add(code: str, message: str, fix: str, link: Union[str, Tuple[str, ...]],
            *cells: str, details: Optional[Tuple[Cause, str]] = None, ran: str = "",
            hangs: bool = False) -> None:
        """A cause seen in ``cells``: ``details``, a cause's own detail in them (its message
        is made from every cell's), else its message (once per distinct wording). ``ran``:
        the method the cells' processes used instead of theirs (its name is the message's);
        ``hangs``: as ``Cause.hangs``, for a cause without one."""
        entry = found.setdefault(code, _Found(fix, (link,) if isinstance(link, str) else link,
                                              hangs or bool(details and details[0].hangs)))
        entry.cells.extend(cells)
        entry.methods.extend("%s[%s]" % (c.rpartition("[")[0], ran) if ran else c
                             for c in cells)
        if details is not None:
            entry.cause = details[0]
            entry.details.append(details[1])
        elif message not in entry.messages:
            entry.messages.append(message)

    # What a fresh import gives each generator: spawn children's states (a fixed seed's).
    fresh = {i: random_states(r) for (i, m), r in runs.items() if m == SPAWN}
    by_interp: Dict[str, Dict[str, CaseRun]] = {}
    chose: Set[str] = set()  # interpreters where a cell shows the program naming its methods
    for interp, method in table_order(runs):  # a cause's cells as in the table
        run = runs[(interp, method)]
        cell = "%s[%s]" % (interp, method)
        text = _text(run)
        if _ran_other(run, method):
            chose.add(interp)
            # The program used another method there: that method's cell says what failed,
            # except an object the default context made for a process of another context.
            detail = MIXED.match(run, text, method)
            if detail is not None:
                add(MIXED.code, "", MIXED.fix, MIXED.link, cell, details=(MIXED, detail))
            used = _used(run)
            # Its processes' own causes (a global they saw otherwise) are seen in it too, under
            # the one method they used (review r13 F8: "seen in: spawn" only).
            for cause, detail in _matched(run, text, used[0], fresh.get(interp)) \
                    if len(used) == 1 else ():
                if cause.code in _IN_CHILDREN:
                    add(cause.code, "", cause.fix, cause.link, cell, details=(cause, detail),
                        ran=used[0])
            continue
        if not_exercised(run, method).endswith(UNWATCHED):
            # Its processes forked or spawned as the library chose, whatever the cell's method:
            # nothing seen in it is that method's (review r21: "threads-at-fork" in [fork]).
            continue
        by_interp.setdefault(interp, {})[method] = run
        if run.outcome is Outcome.UNAVAILABLE:
            continue
        matched: Set[str] = set()
        for cause, detail in _matched(run, text, method, fresh.get(interp)):
            matched.add(cause.code)
            add(cause.code, "", cause.fix, cause.link, cell, details=(cause, detail))
        main_attr = _MAIN_ATTR.search(text)
        if main_attr:
            # A package's __main__.py (`python -m pkg`) is never re-imported by a spawn or
            # forkserver child: spawn._fixup_main_from_name skips any "*.__main__" (review r17).
            where = ("the main script, but only where a child re-running it does not define it "
                     "(inside the main guard, or at run time)" if main_attr.group("file") else
                     "__main__ (a package's __main__.py run with -m, which a child never "
                     "imports again; a -c command, stdin, an interactive session; or inside "
                     "the main guard)")
            add("defined-in-main", "the target '%s' is defined in %s; a %s child cannot get "
                "it" % (main_attr.group("a") or main_attr.group("b"), where, _METHOD),
                "move the function to module level in an importable .py file (for a package "
                "run with -m: another module of the package, not its __main__.py)",
                DOCS + "#using-a-pool-of-workers", cell, hangs=True)  # a Pool worker dies
        elif not matched & _PICKLE_CODES and run.outcome is Outcome.ERROR and \
                _PICKLE.search(str((run.error or {}).get("type", "")) + str(
                    (run.error or {}).get("message", ""))):
            error = run.error or {}
            add("not-picklable", "something sent to a %s child cannot be pickled (%s: %s)" % (
                _METHOD, error.get("type"), shorten(str(error.get("message")), 120)),
                "define targets and arguments at module level and pass only picklable data "
                "(or request fork explicitly where it exists)", GUIDE_SPAWN, cell, hangs=True)
        observed = run.observed if isinstance(run.observed, dict) else {}
        threads = any("multi-threaded" in w.get("message", "") for w in run.warnings)
        # A risk, not a hang's cause (a program printing progress is not hung): a hang under
        # fork alone is hangs-only-under-fork's (review r21).
        if method == FORK and (threads or observed.get("threads_at_start", 1) > 1):
            add("threads-at-fork", *threads_at_fork(observed), OS_FORK, cell)
    for interp, cells in by_interp.items():
        _across_methods(interp, cells, add, interp in chose)
    ordered = sorted(found.items(), key=lambda item: item[0] == FORK_DEFAULT)
    worked = {"%s[%s]" % k for k, r in runs.items() if r.outcome is Outcome.OK}
    texts = {code: f.texts(worked) for code, f in ordered}
    return [Diagnosis(code, _fill(texts[code][0], f.methods), _fill(texts[code][1], f.methods),
                      f.links, tuple(f.cells), f.hangs) for code, f in ordered]


def _matched(run: CaseRun, text: str, method: str,
             fresh: Optional[Dict[str, List[Any]]]) -> List[Tuple[Cause, str]]:
    """The causes of ``CAUSES`` seen in ``run`` under ``method``, each with its detail (one
    pickling cause at most, and only where the text speaks of pickling)."""
    found: List[Tuple[Cause, str]] = []
    for cause in CAUSES:
        if cause.code in _PICKLE_CODES and (
                any(c.code in _PICKLE_CODES for c, _ in found) or (
                    not _PICKLE.search(text) and "inheritance" not in text)):
            continue
        detail = cause.match(run, text, method) if cause.match is not random_shared \
            else random_shared(run, text, method, fresh)
        if detail is not None:
            found.append((cause, detail))
    return found


class _Found:
    """A cause as found so far: its cells, and its messages or its cause's details."""

    def __init__(self, fix: str, links: Tuple[str, ...], hangs: bool) -> None:
        self.fix, self.links, self.hangs = fix, links, hangs
        self.cells: List[str] = []
        #: Its cells by the method their processes used (``ran spawn``: the spawn cell's).
        self.methods: List[str] = []
        self.messages: List[str] = []
        self.cause: Optional[Cause] = None
        self.details: List[str] = []

    def texts(self, worked: Set[str]) -> Tuple[str, str]:
        """The cause's text made from every cell's detail (a list of names: their union),
        else its distinct messages, and its fix; as a risk where every cell of it ``worked``."""
        if self.cause is None:
            return "; ".join(self.messages), self.fix
        if self.cause.names:
            names = sorted({n for d in self.details for n in d.split(", ") if n})
            detail = ", ".join(names[:_NAMES]) + (
                " and %d more" % (len(names) - _NAMES) if len(names) > _NAMES else "")
        else:
            detail = "; ".join(dict.fromkeys(self.details))
        text, fix = self.cause.cause, self.fix
        if self.cause.latent and set(self.cells) <= worked:
            text, fix = self.cause.latent
        return text.format(detail=detail, method=_METHOD), fix


#: The most names a cause's text lists (the JSON's cells keep what each child reported).
_NAMES = 6


def _fill(text: str, cells: List[str]) -> str:
    """``text`` with the methods its cause was seen under, and where each is the default."""
    methods = _methods(cells)
    return text.replace(_METHOD, methods).replace(_WHERE, default_where(methods.split("/")))


def default_where(methods: Iterable[str]) -> str:
    """Where each of ``methods`` other than fork is the default ("spawn: macOS from 3.8, ...")."""
    return "; ".join(_DEFAULT_WHERE[m] for m in methods if m in _DEFAULT_WHERE)


def _methods(cells: List[str]) -> str:
    """``spawn/forkserver``: the methods a cause was seen under, named in its message."""
    seen = {cell.rpartition("[")[2].rstrip("]") for cell in cells}
    return "/".join(m for m in (FORK, SPAWN, FORKSERVER) if m in seen)


def _across_methods(interp: str, cells: Dict[str, CaseRun],
                    add: Callable[..., None], chose: bool) -> None:
    """Causes seen only by comparing one interpreter's methods (``chose``: a cell of it ran
    methods the program named itself, not the one made the default)."""
    fork, spawn, server = cells.get(FORK), cells.get(SPAWN), cells.get(FORKSERVER)
    others = [r for r in (spawn, server) if r is not None and
              r.outcome is not Outcome.UNAVAILABLE]
    if fork is None or fork.outcome is Outcome.UNAVAILABLE or not others:
        return
    # A hang leaves no record of the methods it used: where the program names its own (another
    # cell ran spawn), a hang in the fork cell is not a sign that fork hangs.
    if fork.outcome is Outcome.TIMEOUT and all(r.outcome is Outcome.OK for r in others) and \
            not chose:
        seen = fork.observed if isinstance(fork.observed, dict) else {}
        if seen.get("start_attempts") and seen.get("threads_at_start") == 1:  # a hang's notes
            add("hangs-only-under-fork", "it hangs only under fork, and no other thread was "
                "running when it started its processes: not a lock held by another thread, "
                "but other state the fork child copies (a signal handler, a lock the "
                "starting thread held, an open connection)",
                "use the forkserver or spawn method, or fix what the fork child inherits",
                CONTEXTS, "%s[fork]" % interp, hangs=True)
        else:
            add("hangs-only-under-fork", "it hangs only under fork: typically a lock (or "
                "other state) held by another thread is copied locked into the child",
                "use the forkserver or spawn method, or make sure no thread holds locks at "
                "start()", CONTEXTS, "%s[fork]" % interp, hangs=True)
    observed = server.observed if server is not None and isinstance(server.observed,
                                                                    dict) else {}
    if fork.outcome is Outcome.OK and spawn is not None and spawn.outcome is Outcome.OK and \
            server is not None and server.outcome is Outcome.ERROR and \
            observed.get("method_queried"):
        add("method-name-special-cased", "the program asks for the start method's name and "
            "fails only under forkserver: code that ships state to children only when the "
            "method is 'spawn' leaves forkserver children without it",
            "test `method != 'fork'` (or always pass the state), never `method == 'spawn'`",
            "https://github.com/cs50/check50/pull/396", "%s[forkserver]" % interp)
    observed = fork.observed if isinstance(fork.observed, dict) else {}
    broken = [m for m, r in ((FORKSERVER, server), (SPAWN, spawn))
              if r is not None and r.outcome not in (Outcome.OK, Outcome.UNAVAILABLE)]
    if fork.outcome is Outcome.OK and broken and observed.get("default_method") == FORK:
        add(FORK_DEFAULT, "it works under fork, this Python's default, and "
            "fails under %s; it breaks where that is the default (%s)" % (_METHOD, _WHERE),
            "fix what fails under %s, or request fork "
            "explicitly with multiprocessing.get_context('fork') where it exists" % _METHOD,
            WHATSNEW_314,
            *("%s[%s]" % (interp, m) for m in broken))
