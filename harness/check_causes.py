"""The causes ``python -m harness check`` recognises: each one's id, its one-line cause and fix,
its links (the docs, or the report the cause was reduced from where the docs do not cover it)
and its matcher (``check_match``). ``check_diagnose`` applies them to the runs;
tests/integration/test_check.py has one program per cause.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Tuple, Union

from harness.check_match import (
    bound_target,
    child_field,
    contexts,
    globals_changed,
    imported_starter,
    in_child,
    inherited_handler,
    joined_flushing,
    local_function,
    logging_lost,
    main_rerun,
    main_starter,
    not_fork,
    only,
    patched,
    random_shared,
    regex,
    script_in_package,
    unless_main_rerun,
)
from harness.guest.docs import ALL_METHODS, CONTEXTS, DOCS, GUIDE_SPAWN
from harness.guest.words import FORKSERVER
from harness.runner import CaseRun

__all__ = ["CAUSES", "MIXED", "Cause"]


#: What a pickling cause needs first: what pickle can send, and how multiprocessing uses it.
_PICKLABLE = ("https://docs.python.org/3/library/pickle.html#what-can-be-pickled-and-unpickled",
              DOCS + "#programming-guidelines")


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
    #: What it says can leave a run waiting forever (a process that never exits, or a child
    #: dead before its work that a Pool replaces and a get() waits for): a timeout it is seen
    #: in is its doing; else that timeout may be a slow program (``at_the_limit``).
    hangs: bool = False


#: An object of one context shared with a process of another: under the method made the
#: default, a plain Queue()/Lock() belongs to it whatever context the processes use.
MIXED = Cause(
    "context-mixed", "a Lock, Queue or other synchronised object made with the {detail}: "
    "objects of one context cannot be shared with processes of another (a plain "
    "multiprocessing.Queue() or Lock() is the default context's)",
    "create it from the process's own context (ctx.Queue(), ctx.Lock()), or start the process "
    "from the context that made it", (CONTEXTS,
                                      "https://github.com/python/cpython/issues/77377"),
    contexts, hangs=True)

#: Pickling causes first: the first one that matches a run wins over the generic fallback.
#: They can hang: a queue's feeder thread drops what it cannot pickle, and the get() waits.
CAUSES: Tuple[Cause, ...] = (
    # os's own local functions (3.14: _create_environ_mapping), which no user can move.
    Cause("environ-argument", "os.environ is sent to a {method} child, which must pickle it "
          "and cannot: it holds functions defined inside os's own ({detail})",
          "pass a plain copy, dict(os.environ), or read os.environ in the child",
          _PICKLABLE,
          regex(r"(?<!\w)(?:_createenviron|_create_environ_mapping)\.<locals>\.\w+"),
          hangs=True),
    Cause("lambda-or-local-function", "{detail} is a lambda or a function defined inside "
          "another function: pickle cannot send it to a {method} child",
          "define the function at module level (use functools.partial for bound arguments)",
          _PICKLABLE,
          local_function, hangs=True),
    # Before the argument causes: nothing was passed, the target's object was pickled whole.
    Cause("bound-method-target", "{detail}: pickling a bound method pickles its whole object "
          "for the {method} child, and that attribute cannot be pickled",
          "drop the attribute in the class's __getstate__ (recreate it in __setstate__), or "
          "use a module-level function as the target",
          ("https://docs.python.org/3/library/pickle.html#handling-stateful-objects",) +
          _PICKLABLE, bound_target, hangs=True),
    Cause("thread-lock-argument", "a threading lock ({detail}) is passed to a {method} child; "
          "a thread lock cannot be pickled and means nothing in another process",
          "create a multiprocessing.Lock from the same context (or a Manager().Lock()) and "
          "pass that, or create the lock in the child", _PICKLABLE,
          regex(r"_thread\.R?[Ll]ock"), hangs=True),
    Cause("open-resource-argument", "an open file, socket or connection ({detail}) is passed "
          "to a {method} child, which must pickle it and cannot",
          "pass the path or address and open it in the child (e.g. in a Pool initializer)",
          _PICKLABLE + ("https://github.com/crate/crate-python/issues/398",),
          regex(r"(_io\.)?(TextIOWrapper|Buffered(Reader|Writer|Random)|FileIO)|'socket'|"
                 r"SSLSocket|sqlite3\.Connection"), hangs=True),
    Cause("pool-pickled", "a Pool is sent to a {method} child (typically a bound method of an "
          "object that holds the pool): pool objects cannot be pickled",
          "use a module-level function or a staticmethod as the task, and keep the pool out "
          "of the objects you send", "https://github.com/DEAP/deap/issues/434",
          regex(r"pool objects cannot be passed between processes or pickled"), hangs=True),
    Cause("sync-primitive-pickled", "a multiprocessing {detail} is sent through a pickle (a "
          "Pool task, a queue): these objects can only be inherited when a process starts",
          "pass it to Process(args=...) or to Pool(initializer=..., initargs=...), or use a "
          "Manager() proxy", DOCS + "#programming-guidelines",
          regex(r"(\w+) objects should only be shared between processes through inheritance",
                 1), hangs=True),
    MIXED,
    Cause("target-module-not-importable", "a {method} child could not import module "
          "{detail}, which the parent had already imported (a fork child inherits sys.modules; "
          "a spawn or forkserver child imports it again from sys.path)",
          "make the module importable in the child: install it, or put its folder on "
          "sys.path/PYTHONPATH before any process starts (not only around the import)",
          "https://github.com/rstudio/reticulate/issues/1677",
          not_fork(in_child(regex(r"No module named ('[\w.]+')", 1))), hangs=True),
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
          main_rerun, hangs=True),
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
          main_starter, hangs=True),
    Cause("starts-processes-at-import", "{detail} starts processes when it is imported (at "
          "module level); a {method} child imports it again (re-running the main module, or "
          "loading its target) and fails", "create the pool or processes lazily (in a "
          'function called under the main guard), or import that module only under `if '
          '__name__ == "__main__":`',
          GUIDE_SPAWN, imported_starter, hangs=True),
    Cause("relative-import-in-script", "the script imports relatively (`from . import "
          "...`), which needs the package it is in: run as a script it has none (the same "
          "under every method); it is the module {detail}",
          "check it as a module, from that folder, as `python -m` runs it: `python -m "
          "harness check -m package.module --args '[...]'` (a package's __main__: `-m "
          "package`), or one callable of it as a process's target: `package.module:callable`",
          ("https://docs.python.org/3/tutorial/modules.html#intra-package-references",
           "https://docs.python.org/3/using/cmdline.html#cmdoption-m"), script_in_package),
    Cause("queue-joined-before-drained", "a process waits in join() for {detail}, which put "
          "items on a multiprocessing Queue and cannot exit until its feeder thread has "
          "written them all to the pipe; nothing reads them while the join waits (the same "
          "under every start method)",
          "get() every item the child puts before joining it (join after the queue is "
          "drained); cancel_join_thread() lets the child exit but loses the unsent items",
          ALL_METHODS, joined_flushing, hangs=True),
    Cause("signal-handler-inherited", "the parent's SIGTERM handler {detail} runs in the "
          "fork children too (a fork child inherits the parent's signal handlers; a spawn or "
          "forkserver child starts with the default): terminate() (Pool's, as a `with "
          "Pool(...)` block ends, or a Process's) sends SIGTERM and cannot stop them, so "
          "joining them waits forever",
          "reset it in the children with signal.signal(signal.SIGTERM, signal.SIG_DFL) in a "
          "Pool initializer (or first thing in the target), or install the handler after the "
          "Pool has started", (DOCS + "#multiprocessing.pool.Pool.terminate",
                               DOCS + "#multiprocessing.Process.terminate",
                               "https://github.com/SpaceCowMedia/commander-spellbook-backend/"
                               "pull/1204"), inherited_handler, hangs=True),
    Cause("exception-not-unpicklable", "an exception a worker raised cannot be unpickled in "
          "the parent ({detail}): it is rebuilt from its args, which lack an __init__ argument, "
          "and a Pool's result handler dies of it, so the call waits forever",
          "pass every __init__ argument to super().__init__(...), or define __reduce__",
          (DOCS + "#multiprocessing.pool.AsyncResult.get",
           "https://github.com/python/cpython/issues/79492",
           "https://github.com/python/cpython/issues/103061"),
          regex(r"loads\([^\n]*\n(?:[^\n]*\n){0,8}?TypeError: ((?:\w+\.)*__init__\(\) "
                r"(?:missing|takes)[^\n]*)", 1), hangs=True),
    Cause("global-differs", "the child saw different values of module globals {detail} than "
          "the parent had at start()", "pass the values as arguments (or through an "
          "initializer) instead of relying on globals set after import; an object that cannot "
          "be sent (a connection), create it in the child (a Pool initializer)", GUIDE_SPAWN,
          globals_changed, names=True, latent=(
              # Named by code of the user's the child loaded: maybe only parent-side code (an
              # apply_async callback, review r10), maybe a task (review r13: silent "??" rows).
              "a {method} child has other values of module globals {detail} than the parent "
              "had at start(), and code of yours names them: nothing failed, but a child "
              "that reads them silently computes something else", "pass the values as arguments "
              "(or through an initializer); if only the parent reads them, nothing is wrong")),
    Cause("resource-global", "a {method} child has its own {detail}, not the parent's: made "
          "anew by its import of the module (only a fork child inherits it)",
          "pass it to the child: Process(args=...) or Pool(initializer=..., initargs=...) (the "
          "docs' \"Explicitly pass resources to child processes\")", ALL_METHODS,
          not_fork(child_field("resources_differ")), names=True, latent=(
              "a {method} child has its own {detail}, not the parent's (nothing failed: it may "
              "use one passed to it)", "if a child uses the global, pass the object instead")),
)
