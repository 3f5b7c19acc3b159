"""How ``check`` matches a cause against one run: the matchers ``check_causes.CAUSES`` are
made of. Each takes ``(run, text, method)`` (``text``: the run's error, its second error and its
stderr) and gives the cause's detail, or None when the run does not show it."""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

from harness.check_where import BOOTSTRAP_END, FRAME_RE, last_exception
from harness.guest.check_procs import POOL_FORKED, THREADS_AT_FORK
from harness.guest.words import FORK, FORKSERVER, SPAWN
from harness.runner import CaseRun
from harness.text import shorten
from harness.vocab import Outcome

__all__ = ["BOOTSTRAP", "JOINED_FLUSHING", "JOINED_TERMINATED", "bound_target", "child_field",
           "children", "contexts", "globals_changed", "in_child", "imported_starter",
           "inherited_handler", "joined_flushing", "local_function", "logging_lost", "main_rerun",
           "main_starter", "not_fork", "only", "script_in_package", "patched", "random_shared",
           "random_states", "regex", "threads_at_fork", "unless_main_rerun"]


def regex(pattern: str, group: int = 0) -> Callable[[CaseRun, str, str], Optional[str]]:
    compiled = re.compile(pattern)

    def match(run: CaseRun, text: str, method: str) -> Optional[str]:
        found = compiled.search(text)
        return shorten(found.group(group) or "", 120) if found else None
    return match


#: A local function or lambda in pickle's message, as each Python words it: "local object
#: 'main.<locals>.f'" (CPython 3.8-3.13), "local object <function main.<locals>.f at 0x..>"
#: (3.14+), "<function main.<locals>.f at 0x..>: it's not found as ..." (PyPy), "<function
#: <lambda> at 0x..>" (a module-level lambda); the address may have been dropped. Found as the
#: first ``<locals>``/``<lambda>``, widened over the name's parts either side: one pattern of
#: them all retried its parts from every letter of a long word (seconds for 8,000 characters).
_QUOTED = re.compile(r"local object '([^']+)'")
_MARK = re.compile(r"<locals>|<lambda>")
_PARTS = re.compile(r"(?:[\w.]|<locals>|<lambda>)*")
_PARTS_REVERSED = re.compile(r"(?:[\w.]|>slacol<|>adbmal<)*")  # read leftwards


def local_function(run: CaseRun, text: str, method: str) -> Optional[str]:
    """The qualified name of the lambda or local function pickle could not send."""
    quoted = _QUOTED.search(text)
    mark = _MARK.search(text, 0, quoted.start() if quoted else len(text))  # whichever is first
    if mark is None:
        return shorten(quoted.group(1), 120) if quoted else None
    start = mark.start() - _extent(_PARTS_REVERSED, text[:mark.start()][::-1])
    return shorten(text[start:mark.end() + _extent(_PARTS, text, mark.end())], 120)


def _extent(pattern: "re.Pattern[str]", text: str, at: int = 0) -> int:
    """How many characters of ``text`` from ``at`` on ``pattern`` matches."""
    found = pattern.match(text, at)
    return found.end() - at if found else 0


def bound_target(run: CaseRun, text: str, method: str) -> Optional[str]:
    """``Crawler._stats_lock (a _thread.lock) is pickled with the bound-method target
    Crawler.fetch``: what the parent saw when a start() failed (``check_watch._held_by``)."""
    observed = run.observed if isinstance(run.observed, dict) else {}
    held = observed.get("bound_target_pickled")
    if not isinstance(held, dict) or not held.get("attributes"):
        return None
    owner = str(held.get("target")).rpartition(".")[0]
    return "%s (a %s) is pickled with the bound-method target %s" % (
        "/".join("%s.%s" % (owner, name) for name in held["attributes"]), held.get("type"),
        held.get("target"))


def children(run: CaseRun) -> List[Dict[str, Any]]:
    observed = run.observed if isinstance(run.observed, dict) else {}
    return [c for c in observed.get("children") or [] if isinstance(c, dict)]


def child_field(field: str) -> Callable[[CaseRun, str, str], Optional[str]]:
    def match(run: CaseRun, text: str, method: str) -> Optional[str]:
        names = sorted({str(n) for c in children(run) for n in (c.get(field) or [])})
        return ", ".join(names) if names else None  # the diagnosis keeps the first few
    return match


def globals_changed(run: CaseRun, text: str, method: str) -> Optional[str]:
    """The globals a child had with other values than the parent (``globals_differ``), and,
    where the run failed with an error about it, the object globals code of the user's names
    that the child has as another object: a connection or Manager proxy the main block made is
    None in a spawn child (review r13: "'NoneType' object has no attribute 'execute'"). Not a
    patch's (a mock, or the module's own function again: ``patched``)."""
    names = set((child_field("globals_differ")(run, text, method) or "").split(", ")) - {""}
    for child in children(run) if run.outcome is not Outcome.OK else ():
        for diff in child.get("objects_differ") or []:
            name, parent, own = diff.get("name", ""), diff.get("parent", ""), diff.get("child", "")
            if diff.get("read") and not parent.startswith("mock ") and own != name and \
                    _about(text, name, own):
                names.add("%s (parent: %s; child: %s)" % (name, parent, own))  # no ", ": a list
    return ", ".join(sorted(names)) if names else None


def _about(text: str, name: str, own: str) -> bool:
    """The error ``text`` is about the global ``name`` the child has as ``own``: it names the
    global, or the child's kind of object (NoneType). Compared at the worker's start, a Pool
    initializer's connection is None there (review r14: a ValueError of a task blamed it)."""
    kind = "NoneType" if own == "None" else own.rpartition(".")[2]
    words = [w for w in (name.rpartition(".")[2], kind) if w]
    return bool(words) and re.search(r"\b(?:%s)\b" % "|".join(map(re.escape, words)),
                                     text) is not None


def patched(run: CaseRun, text: str, method: str) -> Optional[str]:
    """An attribute the parent had replaced (a mock, or a function defined elsewhere) where the
    child has the module's own definition again."""
    names: Set[str] = set()
    for child in children(run):
        for diff in child.get("objects_differ") or []:
            name, parent, own = diff.get("name", ""), diff.get("parent", ""), diff.get("child", "")
            if parent.startswith("mock ") or (own == name and parent != name):
                names.add("%s (parent: %s)" % (name, parent))
    return ", ".join(sorted(names)[:3]) if names else None


#: The RuntimeError of a child that starts a process while it imports the main module: its
#: first sentence, or its last line (before 3.12: "... is not going to be frozen to produce an
#: executable."), which is all a hang keeps when its stderr was cut.
BOOTSTRAP = re.compile("bootstrapping phase|" + re.escape(BOOTSTRAP_END))
#: A spawn/forkserver child running the main script again (spawn.py's import of __main__).
_RERUN = re.compile(r"in _fixup_main_from_path\b")
#: A spawn/forkserver child loading its process, whose target's module it imports (spawn.py).
_UNPICKLED = re.compile(r"self = reduction\.pickle\.load\(")


def main_rerun(run: CaseRun, text: str, method: str) -> Optional[str]:
    """The child failed while re-running the main script (not the bootstrapping error, which
    ``missing-main-guard`` names): the exception it raised there."""
    if not _RERUN.search(text) or BOOTSTRAP.search(text):
        return None
    kind, message = last_exception(text)
    return shorten(": ".join(filter(None, (kind, message))), 120) or "see the traceback"


_BOOTSTRAP_TEXT = regex(BOOTSTRAP.pattern)


def imported_starter(run: CaseRun, text: str, method: str) -> Optional[str]:
    """``fastlib/__init__.py:4`` (beside the main script, else its whole path): a module the
    main script imports started processes at module level, read from the first traceback of
    a child re-running the main script whose innermost module-level frame is not the
    script's own, or of a child importing its target's module as it loads its process (a
    conftest.py's function: beside the working folder). Any such traceback, not the first:
    several children's interleave on stderr, and another's header can cut the first one
    short of the module's frame."""
    if not BOOTSTRAP.search(text):
        return None
    for block in run.stderr.split("Traceback (most recent call last):")[1:]:
        rerun = _RERUN.search(block) or _UNPICKLED.search(block)
        if rerun is None:
            continue
        # Module-level frames of files (not ``<frozen runpy>``): the script, then what it imports.
        frames = [(m.group("file"), m.group("line"))
                  for m in FRAME_RE.finditer(block, rerun.end())
                  if m.group("function") == "<module>" and not m.group("file").startswith("<")]
        unpickled = rerun.re is _UNPICKLED  # the target's module, imported with no script
        if not frames or (not unpickled and (len(frames) < 2 or frames[-1][0] == frames[0][0])):
            continue
        folder = (os.getcwd() if unpickled else frames[0][0].rpartition("/")[0]) + "/"
        path, line = frames[-1]
        return "%s:%s" % (path[len(folder):] if path.startswith(folder) else path, line)
    return None


def main_starter(run: CaseRun, text: str, method: str) -> Optional[str]:
    """The bootstrapping error of a child whose main script itself starts processes when it
    is imported (not a module it imports: ``imported_starter``)."""
    if imported_starter(run, text, method) is not None:
        return None
    return _BOOTSTRAP_TEXT(run, text, method)


_RELATIVE = re.compile(r"attempted relative import with no known parent package")


def script_in_package(run: CaseRun, text: str, method: str) -> Optional[str]:
    """``shipit.main (from the folder src)``: the module a script target is, up the folders
    holding ``__init__.py`` (at least its own: a namespace package), when a relative import
    failed because a script has no package: in the script itself, the innermost frame of the
    error's traceback (not in a module it imports, whose own import is the one to fix)."""
    script, sep, _ = run.case.partition(".py:")
    script += ".py" if sep else ""
    if not script.endswith(".py") or not _RELATIVE.search(text):
        return None
    frames = [f for f in (run.error or {}).get("traceback") or () if isinstance(f, dict)]
    if not frames or os.path.realpath(str(frames[-1].get("file"))) != os.path.realpath(script):
        return None
    folder, name = os.path.split(os.path.abspath(script))
    parts = [name[:-3]]
    while True:
        parts.insert(0, os.path.basename(folder))
        folder = os.path.dirname(folder)
        if not os.path.isfile(os.path.join(folder, "__init__.py")) or \
                folder == os.path.dirname(folder):
            break
    where = os.path.relpath(folder)
    return "%s (from %s)" % (".".join(parts), "this folder" if where == "." else
                             "the folder " + where)


def unless_main_rerun(match: Callable[[CaseRun, str, str], Optional[str]]
                       ) -> Callable[[CaseRun, str, str], Optional[str]]:
    """A cause that a child re-running the main script explains better is not named too."""
    def unless(run: CaseRun, text: str, method: str) -> Optional[str]:
        return None if main_rerun(run, text, method) else match(run, text, method)
    return unless


def logging_lost(run: CaseRun, text: str, method: str) -> Optional[str]:
    return "yes" if any(c.get("log_handlers_lost") for c in children(run)) else None


def random_states(run: CaseRun) -> Dict[str, List[Any]]:
    """Each random generator's state digest in each child of ``run`` that reported it."""
    states: Dict[str, List[Any]] = {}
    for child in children(run):
        for name, digest in (child.get("random") or {}).items():
            states.setdefault(str(name), []).append(digest)
    return states


def random_shared(run: CaseRun, text: str, method: str,
                  fresh: Optional[Dict[str, List[Any]]] = None) -> Optional[str]:
    """The generators two or more children of ``run`` started with in one state, but those
    seeded on purpose (``random.Random(1234)``), as children that imported the program afresh
    (``fresh``: spawn's) show: that state is the one a fresh import gives, or such children
    share one state among themselves (a generator seeded from the system differs in each)."""
    fresh = fresh or {}
    names: Set[str] = set()
    for name, digests in random_states(run).items():
        again = fresh.get(name, [])
        if len(set(again)) < len(again):  # spawn children rebuilt one state: a fixed seed
            continue
        names.update(name for d in digests if digests.count(d) > 1 and d not in again)
    return ", ".join(sorted(names)) if names else None


_NOT_FORK = {SPAWN, FORKSERVER}


def only(wanted: str, inner: Callable[[CaseRun, str, str], Optional[str]]) -> Callable[
        [CaseRun, str, str], Optional[str]]:
    def match(run: CaseRun, text: str, method: str) -> Optional[str]:
        return inner(run, text, method) if method == wanted else None
    return match


def not_fork(inner: Callable[[CaseRun, str, str], Optional[str]]) -> Callable[
        [CaseRun, str, str], Optional[str]]:
    def match(run: CaseRun, text: str, method: str) -> Optional[str]:
        return inner(run, text, method) if method in _NOT_FORK else None
    return match


def in_child(inner: Callable[[CaseRun, str, str], Optional[str]]) -> Callable[
        [CaseRun, str, str], Optional[str]]:
    """Not when the parent itself failed the same way (then it is not about children)."""
    def match(run: CaseRun, text: str, method: str) -> Optional[str]:
        if (run.error or {}).get("where") == "parent":
            return None
        return inner(run, text, method)
    return match


_SEMLOCK = re.compile(r"SemLock created in an? (\w+) context is being shared with a process "
                      r"in an? (\w+) context")


#: A process killed by a segmentation fault inside a multiprocessing Queue or lock
#: (faulthandler's dump, innermost frame first): a SemLock rebuilt in a child from a raw handle,
#: which only a fork-context SemLock sends (it has no name to reopen); before 3.11.5 (and on
#: PyPy 3.9) start() does not refuse it, and a spawn or forkserver child crashes on first use.
_SEMLOCK_CRASH = re.compile(r"Fatal Python error: Segmentation fault\s+(?:Current thread|Stack)"
                            r"[^\n]*\n\s*File \"[^\"]*multiprocessing/(queues|synchronize)\.py\", "
                            r"line \d+ in (\w+)")


def contexts(run: CaseRun, text: str, method: str) -> Optional[str]:
    found = _SEMLOCK.search(text)
    if found:
        return "%s context, shared with a process of the %s context" % found.groups()
    crashed = _SEMLOCK_CRASH.search(text)
    if crashed:
        return ("fork context, used by a child not started by fork, which crashed in it "
                "(a segmentation fault in %s.%s: this Python does not refuse the object at "
                "start())" % ("Queue" if crashed.group(1) == "queues" else "synchronize",
                             crashed.group(2)))
    return None


#: A hang's ``observed`` key (``check._hang_notes``): the children a process was joining while
#: their exit waited for a queue's feeder thread.
JOINED_FLUSHING = "joined_while_flushing"


def joined_flushing(run: CaseRun, text: str, method: str) -> Optional[str]:
    observed = run.observed if isinstance(run.observed, dict) else {}
    waits = [str(w) for w in observed.get(JOINED_FLUSHING) or ()]
    return ", ".join(waits[:3]) if waits else None


#: A hang's ``observed`` key (``check_left.hang_notes``): the processes a join() was still
#: waiting for at the kill after the parent sent them SIGTERM (``check_hang``).
JOINED_TERMINATED = "joined_after_sigterm"


def inherited_handler(run: CaseRun, text: str, method: str) -> Optional[str]:
    """The Python SIGTERM handler the parent had at a fork ``start()`` of a fork run that hung
    joining a process it had sent SIGTERM (``terminate()``), which did not end of it: the
    children run that handler instead of ending (``check_seen.handlers``)."""
    observed = run.observed if isinstance(run.observed, dict) else {}
    handlers = observed.get("handlers_at_fork")
    if method != FORK or run.outcome is not Outcome.TIMEOUT or not isinstance(handlers, dict) \
            or not observed.get(JOINED_TERMINATED):
        return None
    return shorten(str(handlers["SIGTERM"]), 120) if handlers.get("SIGTERM") else None


def threads_at_fork(observed: Mapping[str, Any]) -> Tuple[str, str]:
    """The cause and fix of threads-at-fork in a run: the other threads named as the watch
    saw them at its fork starts (review r21); when multiprocessing.pool's own thread forked
    (a Pool with maxtasksperchild replacing a worker), the program cannot start it earlier."""
    names = observed.get(THREADS_AT_FORK)
    named = ": %s" % ", ".join(str(n) for n in names) if isinstance(names, list) and names \
        else ""
    if observed.get(POOL_FORKED):
        return ("a Pool's own worker-handler thread forked a replacement worker (a Pool with "
                "maxtasksperchild under fork) while other threads ran%s (Python 3.12+ warns: "
                "DeprecationWarning)" % named,
                "create that pool from the forkserver or spawn context (multiprocessing."
                "get_context('forkserver').Pool(...)): it forks from its own thread, so "
                "starting processes before threads cannot help")
    return ("other threads were running when the fork child started%s (Python 3.12+ warns: "
            "DeprecationWarning)" % named, "start processes before starting threads, or use "
            "the forkserver or spawn method")
