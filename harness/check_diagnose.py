"""The causes ``python -m harness check`` recognises, each found only from what a run observed:
the exception type and message (in the parent, in a child, or a child's traceback on stderr),
what a child saw differently from its parent at ``start()`` (``check_watch``), and how the
outcomes of one interpreter differ across methods.

Every cause has an id, a one-line cause, a one-line fix and its links (the docs, or the
report the cause was reduced from where the docs do not cover it) and a matcher
(``check_match``); tests/integration/test_check.py has one program per cause.
``works-only-with-fork-default`` is the summary line, after the causes.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple, Union

from harness.check_match import (
    JOINED_FLUSHING,
    child_field,
    contexts,
    imported_starter,
    in_child,
    joined_flushing,
    local_function,
    logging_lost,
    main_rerun,
    main_starter,
    not_fork,
    only,
    patched,
    random_shared,
    random_states,
    regex,
    script_in_package,
    unless_main_rerun,
)
from harness.check_where import table_order
from harness.guest.docs import ALL_METHODS, CONTEXTS, DOCS, GUIDE_SPAWN, OS_FORK, WHATSNEW_314
from harness.guest.words import FORK, FORKSERVER, SPAWN
from harness.results import hang_said
from harness.runner import CaseRun
from harness.text import shorten
from harness.vocab import Outcome

__all__ = ["CAUSES", "FORK_DEFAULT", "JOINED_FLUSHING", "NO_PROCESS", "RAN", "Diagnosis",
           "diagnose", "not_exercised"]

#: What a pickling cause needs first: what pickle can send, and how multiprocessing uses it.
_PICKLABLE = ("https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled",
              DOCS + "#programming-guidelines")


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """One cause found, where it was seen, and what to do about it."""

    code: str
    message: str
    fix: str
    links: Tuple[str, ...]
    cells: Tuple[str, ...]

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Cause:
    """A cause recognised in one run: ``match(run, text, method)`` gives the detail or None."""

    code: str
    cause: str  # may use {detail} and {method}
    fix: str
    link: Union[str, Tuple[str, ...]]  # one link, or several (the first is the main one)
    match: Callable[[CaseRun, str, str], Optional[str]]
    names: bool = False  # the detail is a list of names ("a, b"): merged across cells by name
    #: Its cause and fix where every cell it was seen in worked: a risk, not what failed.
    latent: Optional[Tuple[str, str]] = None


#: An object of one context shared with a process of another: under the method made the
#: default, a plain Queue()/Lock() belongs to it whatever context the processes use.
_MIXED = Cause(
    "context-mixed", "a Lock, Queue or other synchronised object made with the {detail}: "
    "objects of one context cannot be shared with processes of another (a plain "
    "multiprocessing.Queue() or Lock() is the default context's)",
    "create it from the process's own context (ctx.Queue(), ctx.Lock()), or start the process "
    "from the context that made it", (CONTEXTS,
                                      "https://github.com/python/cpython/issues/77377"),
    contexts)

#: Pickling causes first: the first one that matches a run wins over the generic fallback.
CAUSES: Tuple[Cause, ...] = (
    # os's own local functions (3.14: _create_environ_mapping), which no user can move.
    Cause("environ-argument", "os.environ is sent to a {method} child, which must pickle it "
          "and cannot: it holds functions defined inside os's own ({detail})",
          "pass a plain copy, dict(os.environ), or read os.environ in the child",
          _PICKLABLE,
          regex(r"(?<!\w)(?:_createenviron|_create_environ_mapping)\.<locals>\.\w+")),
    Cause("lambda-or-local-function", "{detail} is a lambda or a function defined inside "
          "another function: pickle cannot send it to a {method} child",
          "define the function at module level (use functools.partial for bound arguments)",
          _PICKLABLE,
          local_function),
    Cause("thread-lock-argument", "a threading lock ({detail}) is passed to a {method} child; "
          "a thread lock cannot be pickled and means nothing in another process",
          "create a multiprocessing.Lock from the same context (or a Manager().Lock()) and "
          "pass that, or create the lock in the child", _PICKLABLE,
          regex(r"_thread\.R?[Ll]ock")),
    Cause("open-resource-argument", "an open file, socket or connection ({detail}) is passed "
          "to a {method} child, which must pickle it and cannot",
          "pass the path or address and open it in the child (e.g. in a Pool initializer)",
          _PICKLABLE + ("https://github.com/crate/crate-python/issues/398",),
          regex(r"(_io\.)?(TextIOWrapper|Buffered(Reader|Writer|Random)|FileIO)|'socket'|"
                 r"SSLSocket|sqlite3\.Connection")),
    Cause("pool-pickled", "a Pool is sent to a {method} child (typically a bound method of an "
          "object that holds the pool): pool objects cannot be pickled",
          "use a module-level function or a staticmethod as the task, and keep the pool out "
          "of the objects you send", "https://github.com/DEAP/deap/issues/434",
          regex(r"pool objects cannot be passed between processes or pickled")),
    Cause("sync-primitive-pickled", "a multiprocessing {detail} is sent through a pickle (a "
          "Pool task, a queue): these objects can only be inherited when a process starts",
          "pass it to Process(args=...) or to Pool(initializer=..., initargs=...), or use a "
          "Manager() proxy", DOCS + "#programming-guidelines",
          regex(r"(\w+) objects should only be shared between processes through inheritance",
                 1)),
    _MIXED,
    Cause("target-module-not-importable", "a {method} child could not import module "
          "{detail}, which the parent had already imported (a fork child inherits sys.modules; "
          "a spawn or forkserver child imports it again from sys.path)",
          "make the module importable in the child: install it, or put its folder on "
          "sys.path/PYTHONPATH before any process starts (not only around the import)",
          "https://github.com/rstudio/reticulate/issues/1677",
          not_fork(in_child(regex(r"No module named ('[\w.]+')", 1)))),
    Cause("patch-not-seen", "a patch made in the parent is not seen by the {method} child: "
          "{detail}; a spawn or forkserver child imports the original again",
          "patch inside the child (in the target or a Pool initializer), or test with "
          "multiprocessing.get_context('fork') where it exists",
          "https://github.com/python/cpython/issues/135583", not_fork(patched), names=True),
    Cause("env-set-after-forkserver-start", "environment variables set in the parent after the "
          "forkserver started are not seen by its children: {detail}",
          "set the environment before the first process starts, or pass the values as "
          "arguments (or os.environ.update them in an initializer)",
          (CONTEXTS,
           "https://github.com/airspeed-velocity/asv/pull/1551"),
          only(FORKSERVER, child_field("env_differ")), names=True),
    Cause("logging-not-configured", "logging is configured in the parent but not in the "
          "{method} child: the child's records go to the default (WARNING, stderr) or nowhere",
          "configure logging in the child (initializer), or send records to the parent with "
          "logging.handlers.QueueHandler and a QueueListener",
          "https://docs.python.org/3/howto/logging-cookbook.html"
          "#logging-to-a-single-file-from-multiple-processes", not_fork(logging_lost)),
    Cause("random-state-duplicated", "children started with the same random generator state "
          "({detail}): they draw the same 'random' numbers",
          "seed each child's generator in the child (e.g. from os.getpid() or a "
          "SeedSequence), or create generators after the process starts",
          "https://github.com/pytorch/pytorch/issues/5059", random_shared, names=True),
    Cause("main-rerun-in-child", "a {method} child re-ran the main script's top-level code "
          "(it is not under the main guard) and failed there: {detail}",
          'put everything but definitions under `if __name__ == "__main__":` (a spawn or '
          "forkserver child imports the main module to find your functions)", GUIDE_SPAWN,
          main_rerun),
    Cause("start-method-set-twice", "set_start_method() was called after the start method "
          "was already fixed (by an earlier call, a library, or get_start_method())",
          "call set_start_method() once, under the main guard; elsewhere use "
          "multiprocessing.get_context(method)", (DOCS + "#multiprocessing.set_start_method",
                                                  "https://github.com/djgroen/FabSim3/issues/201"),
          unless_main_rerun(regex(r"context has already been set"))),
    Cause("fd-not-inherited", "a {method} child used a file descriptor number from the parent; "
          "only fork children inherit the parent's descriptors",
          "send the descriptor explicitly (a Connection/Pipe, or multiprocessing.reduction), "
          "or pass a path and open it in the child", (
              CONTEXTS, "https://github.com/gentoo/portage/pull/1133"),
          not_fork(regex(r"\[Errno 9\] Bad file descriptor"))),
    Cause("missing-main-guard", "the main module starts processes when it is imported; a "
          "{method} child re-imports it and fails",
          'put the code that starts processes under `if __name__ == "__main__":`', GUIDE_SPAWN,
          main_starter),
    Cause("starts-processes-at-import", "{detail} starts processes when it is imported (at "
          "module level); a {method} child re-running the main module imports it again and "
          "fails", "create the pool or processes lazily (in a function called under the main "
          'guard), or import that module only under `if __name__ == "__main__":`',
          GUIDE_SPAWN, imported_starter),
    Cause("relative-import-in-script", "the script imports relatively (`from . import "
          "...`), which needs the package it is in: run as a script it has none (the same "
          "under every method); it is the module {detail}",
          "check it as a module, from that folder: `python -m harness check "
          "package.module:callable` (the callable runs as one process's target; `python -m "
          "package.module` runs the module as __main__)",
          ("https://docs.python.org/3/tutorial/modules.html#intra-package-references",
           "https://docs.python.org/3/using/cmdline.html#cmdoption-m"), script_in_package),
    Cause("queue-joined-before-drained", "a process waits in join() for {detail}, which put "
          "items on a multiprocessing Queue and cannot exit until its feeder thread has "
          "written them all to the pipe; nothing reads them while the join waits (the same "
          "under every start method)",
          "get() every item the child puts before joining it (join after the queue is "
          "drained); cancel_join_thread() lets the child exit but loses the unsent items",
          ALL_METHODS, joined_flushing),
    Cause("exception-not-unpicklable", "an exception a worker raised cannot be unpickled in "
          "the parent ({detail}): it is rebuilt from its args, which lack an __init__ argument, "
          "and a Pool's result handler dies of it, so the call waits forever",
          "pass every __init__ argument to super().__init__(...), or define __reduce__",
          (DOCS + "#multiprocessing.pool.AsyncResult.get",
           "https://github.com/python/cpython/issues/79492",
           "https://github.com/python/cpython/issues/103061"),
          regex(r"loads\([^\n]*\n(?:[^\n]*\n){0,8}?TypeError: ((?:\w+\.)*__init__\(\) "
                r"(?:missing|takes)[^\n]*)", 1)),
    Cause("resource-global", "a {method} child has its own {detail}, not the parent's: made "
          "anew by its import of the module (only a fork child inherits it)",
          "pass it to the child: Process(args=...) or Pool(initializer=..., initargs=...) (the "
          "docs' \"Explicitly pass resources to child processes\")", ALL_METHODS,
          not_fork(child_field("resources_differ")), names=True, latent=(
              "a {method} child has its own {detail}, not the parent's (nothing failed: it may "
              "use one passed to it)", "if a child uses the global, pass the object instead")),
    Cause("global-differs", "the child saw different values of module globals {detail} than "
          "the parent had at start()", "pass the values as arguments (or through an "
          "initializer) instead of relying on globals set after import", GUIDE_SPAWN,
          child_field("globals_differ"), names=True, latent=(
              "a {method} child would see other values of module globals {detail} than the "
              "parent had at start(), if it read them (nothing failed)", "if a child reads "
              "them, pass the values as arguments (or through an initializer)")),
)

_METHOD = "\x00method\x00"  # filled in with every method the cause was seen under
_WHERE = "\x00where\x00"  # filled in with where those methods are the default
#: Where each method other than fork is the default (the docs' Contexts and start methods).
_DEFAULT_WHERE = {SPAWN: "spawn: macOS from 3.8, Windows",
                  FORKSERVER: "forkserver: Linux and other POSIX from Python 3.14 (spawn there "
                              "from 3.14.9 when no temporary directory is writable)"}
_PICKLE = re.compile(r"(?i)pickl|cannot serialize|local object")
_MAIN_ATTR = re.compile(r"Can't get attribute '(?P<a>[^']+)' on <module '__(mp_)?main__'"
                        r"(?P<file> from)?|module '__(mp_)?main__' has no attribute '(?P<b>[^']+)'")
_PICKLE_CODES = {"environ-argument", "lambda-or-local-function", "thread-lock-argument",
                 "open-resource-argument", "pool-pickled", "sync-primitive-pickled"}


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


def _used(run: CaseRun) -> List[str]:
    observed = run.observed if isinstance(run.observed, dict) else {}
    return [m for m in observed.get("methods_used") or () if isinstance(m, str)]


def _ran_other(run: CaseRun, method: str) -> bool:
    """The program used other methods only: those methods' cells say what happened."""
    used = _used(run)
    return bool(used) and method not in used


def not_exercised(run: CaseRun, method: str) -> str:
    """Why ``run`` says nothing about ``method`` as the default ("" when it does): the program
    started no process, started every one with another method it chose itself, or asked for
    every process's context by name."""
    observed = run.observed if isinstance(run.observed, dict) else {}
    if run.outcome is Outcome.UNAVAILABLE or "start_attempts" not in observed:
        return ""
    if not observed["start_attempts"]:
        return NO_PROCESS
    used = _used(run)
    if _ran_other(run, method):
        return RAN + "/".join(used)
    if used and observed.get("explicit_only"):
        return EXPLICIT + "/".join(used)
    return ""


def diagnose(runs: Mapping[Tuple[str, str], CaseRun]) -> List[Diagnosis]:
    """Causes found in ``runs``, keyed by (interpreter, method), causes before the summary."""
    found: Dict[str, _Found] = {}

    def add(code: str, message: str, fix: str, link: Union[str, Tuple[str, ...]],
            *cells: str, details: Optional[Tuple[Cause, str]] = None) -> None:
        """A cause seen in ``cells``: ``details``, a cause's own detail in them (its message
        is made from every cell's), else its message (once per distinct wording)."""
        entry = found.setdefault(code, _Found(fix, (link,) if isinstance(link, str) else link))
        entry.cells.extend(cells)
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
            detail = _MIXED.match(run, text, method)
            if detail is not None:
                add(_MIXED.code, "", _MIXED.fix, _MIXED.link, cell, details=(_MIXED, detail))
            continue
        by_interp.setdefault(interp, {})[method] = run
        if run.outcome is Outcome.UNAVAILABLE:
            continue
        matched: Set[str] = set()
        for cause in CAUSES:
            if cause.code in _PICKLE_CODES and (matched & _PICKLE_CODES or (not _PICKLE.search(
                    text) and "inheritance" not in text)):
                continue
            detail = cause.match(run, text, method) if cause.match is not random_shared \
                else random_shared(run, text, method, fresh.get(interp))
            if detail is not None:
                matched.add(cause.code)
                add(cause.code, "", cause.fix, cause.link, cell, details=(cause, detail))
        main_attr = _MAIN_ATTR.search(text)
        if main_attr:
            where = ("the main script, but only where a child re-running it does not define it "
                     "(inside the main guard, or at run time)" if main_attr.group("file") else
                     "__main__ (a -c command, stdin, an interactive session, or inside the "
                     "main guard)")
            add("defined-in-main", "the target '%s' is defined in %s; a %s child cannot get "
                "it" % (main_attr.group("a") or main_attr.group("b"), where, _METHOD),
                "move the function to module level in an importable .py file",
                DOCS + "#using-a-pool-of-workers", cell)
        elif not matched & _PICKLE_CODES and run.outcome is Outcome.ERROR and \
                _PICKLE.search(str((run.error or {}).get("type", "")) + str(
                    (run.error or {}).get("message", ""))):
            error = run.error or {}
            add("not-picklable", "something sent to a %s child cannot be pickled (%s: %s)" % (
                _METHOD, error.get("type"), shorten(str(error.get("message")), 120)),
                "define targets and arguments at module level and pass only picklable data "
                "(or request fork explicitly where it exists)", GUIDE_SPAWN, cell)
        observed = run.observed if isinstance(run.observed, dict) else {}
        threads = any("multi-threaded" in w.get("message", "") for w in run.warnings)
        if method == FORK and (threads or observed.get("threads_at_start", 1) > 1):
            add("threads-at-fork", "other threads were running when the fork child started "
                "(Python 3.12+ warns: DeprecationWarning)", "start processes before starting "
                "threads, or use the forkserver or spawn method",
                OS_FORK, cell)
    for interp, cells in by_interp.items():
        _across_methods(interp, cells, add, interp in chose)
    ordered = sorted(found.items(), key=lambda item: item[0] == FORK_DEFAULT)
    worked = {"%s[%s]" % k for k, r in runs.items() if r.outcome is Outcome.OK}
    texts = {code: f.texts(worked) for code, f in ordered}
    return [Diagnosis(code, _fill(texts[code][0], f.cells), _fill(texts[code][1], f.cells),
                      f.links, tuple(f.cells)) for code, f in ordered]


class _Found:
    """A cause as found so far: its cells, and its messages or its cause's details."""

    def __init__(self, fix: str, links: Tuple[str, ...]) -> None:
        self.fix, self.links = fix, links
        self.cells: List[str] = []
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
    return text.replace(_METHOD, methods).replace(_WHERE, "; ".join(
        _DEFAULT_WHERE[m] for m in methods.split("/") if m in _DEFAULT_WHERE))


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
        add("hangs-only-under-fork", "it hangs only under fork: typically a lock (or other "
            "state) held by another thread is copied locked into the child",
            "use the forkserver or spawn method, or make sure no thread holds locks at "
            "start()", CONTEXTS, "%s[fork]" % interp)
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
