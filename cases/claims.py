"""The reference article's checkable claims, paraphrased, each mapped (as data) to the cells
that test it.

The article is ``shared/reference/article.txt`` (a typical blog post on start methods). Every
claim below is our paraphrase, never its wording. The report computes a verdict per
environment from the mapped cells (``harness/claimcheck.py``):

- a claim has ``checks``; each names a case, the start methods whose cells count (``"*"`` =
  every method the case ran), optional ``when`` conditions on the environment (the same
  ``os``/``python``/``impl`` conditions as expectations) and a predicate ``holds`` that says
  whether the claim holds in one cell, written over the cell's *observation*;
- per environment: every evaluated cell holds → ``true``; none holds → ``false``; some do and
  some do not (e.g. true for one method, false for another) → ``depends``; no cell with data
  (not run, unavailable, flaky, no case yet) → ``not-run``.
- ``scope`` limits the environments the claim speaks about (``{"os": ["linux", "macos"]}`` for
  a claim about Unix; no scope = every OS); outside it no verdict is given. The overall
  verdict covers the whole scope: a claim true wherever it was checked but with an OS, an
  environment or a per-OS check without data reads ``partial`` (true where run), never
  ``true``.

A check may carry ``why``: what it adds (typically counter-evidence, e.g. a cell from another
category that would refute the claim). A claim maps every cell in the catalog that could refute
it, not only the ones that illustrate it.

Predicates (``holds``) are small dicts: ``{"outcome": "ok"}`` (or a list of outcomes),
``{"error_contains": text}`` (the outcome is an error whose message contains the text),
``{"hang_at": text}`` (a timeout whose detail quotes the text the case wrote to stderr before it
blocked; a timeout without it is undecided, since the hang may be elsewhere),
``{"equals": value}``, ``{"path": [keys...], "equals"|"in"|"contains"|"contains_all"|
"excludes": value}``, ``{"faster_than": method, "path": [...]}`` (this cell's median is lower
than the same case's cell for another method; it decides only where both points are stable and
their 95 % intervals do not overlap, else "timings too noisy to decide"),
``{"equals_cell": {"case": id, "path": [...]}, "path": [...]}`` (a value equals another
case's value in the same environment and method), and ``{"all": [...]}``/``{"any": [...]}``/
``{"not": {...}}`` (``harness/claimpred.py`` reads them). A predicate over the observation
decides nothing in a cell that raised, crashed or hung (it has none), and neither does its
``not``: a counter-evidence cell that failed is no support.

Data only: standard library, Python 3.8 syntax; imported on the host when the report is built.
"""

from __future__ import annotations

from cases._claims import _ARTICLE_LOCKS, _USER_LOCKS, _arrives_unpassed
from cases._deadlock import BLOCKED_ON_HELD_LOCK
from harness.guest import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Dict, List


__all__ = ["ARTICLE", "CLAIMS"]

#: Where the claims come from (a local copy of a public article, kept in shared/reference/).
ARTICLE = "shared/reference/article.txt"

UNIX = {"os": ["linux", "macos"]}
ALL_METHODS = ["*"]


CLAIMS: List[Dict[str, Any]] = [
    {
        "id": "three_methods_unix",
        "section": "Introduction",
        "claim": "On Linux and macOS all three start methods can be used; Windows offers "
                 "spawn alone.",
        "checks": [
            {"case": "methods.available", "methods": ALL_METHODS, "when": UNIX,
             "holds": {"path": [], "contains_all": ["fork", "spawn", "forkserver"]}},
            {"case": "methods.available", "methods": ALL_METHODS, "when": {"os": ["windows"]},
             "holds": {"equals": ["spawn"]}},
        ],
    },
    {
        "id": "all_methods_lists_default",
        "section": "Introduction",
        "claim": "multiprocessing.get_all_start_methods() tells you both which methods exist "
                 "and which one is the default.",
        "note": "Checked as: the list's first entry is the default start method (documented "
                "since 3.4; on macOS 3.8.0-3.8.3 the list put fork first although the default "
                "was spawn, bpo-39244, fixed in 3.8.4 and 3.9).",
        "checks": [
            {"case": "methods.available", "methods": ALL_METHODS,
             "holds": {"path": [0], "equals_cell": {"case": "methods.default",
                                                    "path": ["default"]}}},
        ],
    },
    {
        "id": "fork_default_unix",
        "section": "The fork start method",
        "claim": "fork is the default start method on Unix systems.",
        "scope": UNIX,
        "checks": [
            {"case": "methods.default", "methods": ALL_METHODS,
             "holds": {"path": ["default"], "equals": "fork"}},
        ],
    },
    {
        "id": "fork_copies_state",
        "section": "The fork start method",
        "claim": "A fork child starts as a near-exact copy of its parent: state set up before "
                 "start(), even in the main block, is there in the child.",
        "note": "Checked as: globals (also one assigned in the main block), imports, a "
                "singleton object, the seeded global random generator, the current asyncio "
                "event loop and (3.13+) registered atexit handlers are there in the child. The "
                "parent's other threads are not counted: the article itself says a thread of "
                "the parent does not exist in the child.",
        "scope": UNIX,
        "checks": [
            {"case": "inheritance.global_assigned_in_main", "methods": ["fork"],
             "holds": {"equals": "assigned-in-main"}},
            {"case": "inheritance.module_global_mutated_after_import", "methods": ["fork"],
             "holds": {"path": ["debug"], "equals": True}},
            {"case": "inheritance.module_imported_only_in_parent", "methods": ["fork"],
             "holds": {"path": ["in_child"], "equals": True}},
            {"case": "realworld.singleton_thread_dead_after_fork", "methods": ["fork"],
             "why": "a singleton object created before start()",
             "holds": {"path": ["inherited_singleton"], "equals": True}},
            # Counter-evidence: state the parent set up that a fork child's own libraries reset.
            {"case": "inheritance.random_state", "methods": ["fork"],
             "why": "the seeded global random generator (random re-seeds it in a fork child "
                    "since 3.7, bpo-16500)",
             "holds": {"path": ["child_repeats_parent"], "equals": True}},
            {"case": "realworld.asyncio_loop_inherited", "methods": ["fork"],
             "why": "the current asyncio event loop (an at-fork hook resets it in the child "
                    "since 3.12, gh-66285)",
             "holds": {"equals": True}},
            # Before 3.13 a fork child ran no atexit handler at all (os._exit()): no evidence
            # either way of whether the copied ones were there.
            {"case": "inheritance.atexit_handler", "methods": ["fork"],
             "when": {"python": ">=3.13"},
             "why": "atexit handlers registered before start() (the child clears the copies "
                    "since 3.13, gh-83856)",
             "holds": {"path": ["inherited_ran"], "equals": True}},
        ],
    },
    {
        "id": "fork_fastest",
        "section": "The fork start method",
        "claim": "Thanks to copy-on-write, fork is the quickest way to create a process.",
        "note": "Checked as: the median start + join latency under fork is below both other "
                "methods' medians in the same environment, with an empty parent and with a "
                "256 MB and a 1 GB one; a comparison within the timings' noise (a median "
                "unstable, or the 95 % intervals overlapping) decides nothing.",
        "scope": UNIX,
        "checks": [
            {"case": "performance.start_latency", "methods": ["fork"],
             "holds": {"all": [{"faster_than": "spawn", "path": ["median"]},
                               {"faster_than": "forkserver", "path": ["median"]}]}},
            # Counter-evidence: the same latency with a big parent (copy-on-write still
            # copies page tables, so fork's cost grows with the parent's size).
            {"case": "performance.start_latency_vs_parent_memory", "methods": ["fork"],
             "why": "with a 256 MB parent",
             "holds": {"all": [{"faster_than": "spawn", "path": ["points", 1, "median"]},
                               {"faster_than": "forkserver",
                                "path": ["points", 1, "median"]}]}},
            {"case": "performance.start_latency_vs_parent_memory", "methods": ["fork"],
             "why": "with a 1 GB parent",
             "holds": {"all": [{"faster_than": "spawn", "path": ["points", 2, "median"]},
                               {"faster_than": "forkserver",
                                "path": ["points", 2, "median"]}]}},
        ],
    },
    {
        "id": "fds_inherited_with_fork",
        "section": "The fork start method",
        "claim": "A fork child holds the parent's open files and connections too.",
        "scope": UNIX,
        "checks": [
            {"case": "inheritance.open_file_descriptor", "methods": ["fork"],
             "holds": {"all": [{"path": ["inheritable"], "equals": "same-file"},
                               {"path": ["non_inheritable"], "equals": "same-file"}]}},
            {"case": "inheritance.socket_descriptor", "methods": ["fork"],
             "holds": {"path": ["child"], "equals": "sent"}},
        ],
    },
    {
        "id": "fork_copies_locked_locks",
        "section": "The fork start method",
        "claim": "Forking while another thread holds a lock (the GIL, for one, or a lock inside "
                 "a standard-library module) leaves that lock held for ever in the child, "
                 "which then tends to deadlock.",
        "scope": UNIX,
        "checks": [
            {"case": case, "methods": ["fork"], "holds": {"hang_at": BLOCKED_ON_HELD_LOCK}}
            for case in _USER_LOCKS
        ] + [
            # Counter-evidence: the article's own examples. These cases write no line before a
            # hang, so a hang there names no lock and stays undecided; a child that runs refutes.
            {"case": case, "methods": ["fork"], "why": why,
             "holds": {"hang_at": BLOCKED_ON_HELD_LOCK}}
            for case, why in _ARTICLE_LOCKS
        ],
    },
    {
        "id": "spawn_default_windows_macos",
        "section": "The spawn start method",
        "claim": "spawn is the default on Windows, and on macOS since Python 3.8.",
        "scope": {"os": ["windows", "macos"]},
        "checks": [
            {"case": "methods.default", "methods": ALL_METHODS,
             "holds": {"path": ["default"], "equals": "spawn"}},
        ],
    },
    {
        "id": "spawn_fresh_interpreter",
        "section": "The spawn start method",
        "claim": "Under spawn the child runs in a brand-new interpreter, so the parent's "
                 "run-time state is absent there; only what importing the module sets up "
                 "exists.",
        "note": "Checked as: a global assigned in the main block, a module global changed "
                "after import and a module imported only by the parent are absent; and no "
                "run-time state of the parent arrives unpassed (an environment variable, the "
                "working directory, sys.argv, sys.path, the authkey: multiprocessing sends the "
                "last four itself).",
        "checks": [
            {"case": "inheritance.global_assigned_in_main", "methods": ["spawn"],
             "holds": {"equals": "import-time"}},
            {"case": "inheritance.module_global_mutated_after_import", "methods": ["spawn"],
             "holds": {"path": ["debug"], "equals": False}},
            {"case": "inheritance.module_imported_only_in_parent", "methods": ["spawn"],
             "holds": {"path": ["in_child"], "equals": False}},
            # The docs promise less: the child "will only inherit those resources necessary to
            # run the process object's run() method" (Contexts and start methods).
        ] + _arrives_unpassed("spawn"),
    },
    {
        "id": "spawn_needs_explicit_passing",
        "section": "The spawn start method",
        "claim": "With spawn, data reaches the child only when passed explicitly (arguments, "
                 "a Queue or a Pipe), through pickle.",
        "note": "Checked as: a value sent through a Queue arrives and a global assigned in "
                "the main block does not; and nothing the parent did not pass arrives "
                "(environment variables, the working directory, sys.argv, sys.path, the "
                "authkey).",
        "checks": [
            {"case": "inheritance.value_via_queue", "methods": ["spawn"],
             "holds": {"equals": 42}},
            {"case": "inheritance.global_assigned_in_main", "methods": ["spawn"],
             "holds": {"not": {"equals": "assigned-in-main"}}},
        ] + _arrives_unpassed("spawn"),  # counter-evidence: state that arrives unpassed
    },
    {
        "id": "spawn_requires_picklable",
        "section": "The spawn start method",
        "claim": "Passing an unpicklable object (an open file, a connection) to a spawn child "
                 "raises an error.",
        "note": "Checked as: start() fails with an error in the parent (any type: the "
                "pickle docs' PicklingError is checked in pickling.unpicklable_error_type) for "
                "an open file, a lambda argument, a lambda target and a nested function "
                "target; and a socket (the claim's \"connection\") does not reach the child.",
        "checks": [
            {"case": "pickling.open_file_argument", "methods": ["spawn"],
             "holds": {"error_contains": "start():"}},
            {"case": "pickling.lambda_argument", "methods": ["spawn"],
             "holds": {"error_contains": "start():"}},
            {"case": "pickling.lambda_target", "methods": ["spawn"],
             "holds": {"error_contains": "start():"}},
            {"case": "pickling.nested_function_target", "methods": ["spawn"],
             "holds": {"error_contains": "start():"}},
            # Counter-evidence: the claim's own example, a connection, goes through
            # (multiprocessing reduces sockets and Connection objects for the child).
            {"case": "pickling.socket_argument", "methods": ["spawn"],
             "why": "a socket is passed without error",
             "holds": {"outcome": "error"}},
        ],
    },
    {
        "id": "spawn_no_fds",
        "section": "The spawn start method",
        "claim": "A spawn child does not get the parent's file descriptors (apart from a few "
                 "it needs).",
        "scope": UNIX,
        "checks": [
            {"case": "inheritance.open_file_descriptor", "methods": ["spawn"],
             "holds": {"all": [{"path": ["inheritable"], "equals": "EBADF"},
                               {"path": ["non_inheritable"], "equals": "EBADF"}]}},
            {"case": "inheritance.socket_descriptor", "methods": ["spawn"],
             "holds": {"path": ["child"], "equals": "OSError"}},
        ],
    },
    {
        "id": "spawn_slower_start",
        "section": "The spawn start method",
        "claim": "spawn starts a child more slowly than fork, since a new interpreter must "
                 "start and re-import modules.",
        "scope": UNIX,
        "checks": [
            {"case": "performance.spawn_slower", "methods": ["spawn"],
             "holds": {"path": ["spawn_slower_than_fork"], "equals": True}},
        ],
    },
    {
        "id": "forkserver_unix_only",
        "section": "The forkserver start method",
        "claim": "forkserver is available on Unix only.",
        "checks": [
            {"case": "methods.available", "methods": ALL_METHODS, "when": UNIX,
             "holds": {"path": [], "contains": "forkserver"}},
            {"case": "methods.available", "methods": ALL_METHODS, "when": {"os": ["windows"]},
             "holds": {"path": [], "excludes": "forkserver"}},
        ],
    },
    {
        "id": "forkserver_forks_from_server",
        "section": "The forkserver start method",
        "claim": "Under forkserver the children are forked by a separate server process, not "
                 "by the program that asked for them.",
        "scope": UNIX,
        "checks": [
            {"case": "inheritance.forkserver_three_children", "methods": ["forkserver"],
             "holds": {"all": [{"path": ["os_parent_is_us"], "equals": False},
                               {"path": ["one_os_parent"], "equals": True}]}},
            {"case": "inheritance.parent_pid", "methods": ["forkserver"],
             "holds": {"path": ["getppid_is_parent"], "equals": False}},
            {"case": "inheritance.environment_variable_set_after_forkserver_started",
             "methods": ["forkserver"],
             "why": "the child has the server's environment, not the parent's current one",
             "holds": {"path": ["second_child"], "equals": None}},
        ],
    },
    {
        "id": "forkserver_clean_state",
        "section": "The forkserver start method",
        "claim": "A forkserver child does not inherit the state the main program built up.",
        "note": "Checked as for spawn: main-block and run-time globals and imports are absent; "
                "and no run-time state of the parent arrives unpassed (an environment "
                "variable, the working directory, sys.argv, sys.path, the authkey).",
        "scope": UNIX,
        "checks": [
            {"case": "inheritance.global_assigned_in_main", "methods": ["forkserver"],
             "holds": {"equals": "import-time"}},
            {"case": "inheritance.module_global_mutated_after_import", "methods": ["forkserver"],
             "holds": {"path": ["debug"], "equals": False}},
            {"case": "inheritance.module_imported_only_in_parent", "methods": ["forkserver"],
             "holds": {"path": ["in_child"], "equals": False}},
            # The docs promise less: "No unnecessary resources are inherited" (Contexts and
            # start methods).
        ] + _arrives_unpassed("forkserver"),
    },
    {
        "id": "forkserver_no_thread_locks",
        "section": "The forkserver start method",
        "claim": "Because the server is single-threaded, forkserver children escape the "
                 "locks-held-by-other-threads problem of fork.",
        "scope": UNIX,
        # Every case of fork's held-lock problem that fork_copies_locked_locks counts: a lock
        # held by another thread of the parent when the child starts.
        "checks": [
            {"case": case, "methods": ["forkserver"], "holds": {"outcome": "ok"}}
            for case in _USER_LOCKS + tuple(case for case, _ in _ARTICLE_LOCKS)
        ],
    },
    {
        "id": "forkserver_cheaper_than_spawn",
        "section": "The forkserver start method",
        "claim": "forkserver spares each child the start-up cost that spawn pays (a new "
                 "interpreter, modules imported again).",
        "note": "Checked as: a forkserver child starts faster than a spawn child (the median "
                "start + join, measured in one run and apart; also with a 256 MB and a 1 GB "
                "parent, and for a 4-worker Pool; measured apart, only beyond the timings' "
                "noise). How much of spawn's cost it spares is not "
                "checked: the article gives no measure.",
        "scope": UNIX,
        "checks": [
            {"case": "performance.spawn_slower", "methods": ["spawn"],
             "holds": {"path": ["spawn_slower_than_forkserver"], "equals": True}},
            {"case": "performance.start_latency", "methods": ["forkserver"],
             "why": "the same latency, measured apart",
             "holds": {"faster_than": "spawn", "path": ["median"]}},
        ] + [
            {"case": "performance.start_latency_vs_parent_memory", "methods": ["forkserver"],
             "why": "with a %s parent" % size,
             "holds": {"faster_than": "spawn", "path": ["points", point, "median"]}}
            for point, size in ((1, "256 MB"), (2, "1 GB"))
        ] + [
            {"case": "performance.pool_startup", "methods": ["forkserver"],
             "why": "a throw-away 4-worker Pool (four starts)",
             "holds": {"faster_than": "spawn", "path": ["median"]}},
        ],
    },
]
