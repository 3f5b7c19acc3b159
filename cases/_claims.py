"""The building blocks of ``cases/claims.py`` (data only, like it): the counter-evidence
several claims share, from the run-time state that reaches a spawn or forkserver child unpassed
and from the held-lock cases of the ``deadlock`` category.
"""

from __future__ import annotations

from harness.guest import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Dict, List

__all__ = ["_ARTICLE_LOCKS", "_USER_LOCKS", "_arrives_unpassed"]


def _arrives_unpassed(method: str) -> List[Dict[str, Any]]:
    """Counter-evidence for "the child starts clean" under spawn or forkserver: run-time state
    of the parent that reaches the child although the program never passed it. sys.path,
    sys.argv, the working directory and the authkey travel in multiprocessing's preparation
    data (Lib/multiprocessing/spawn.py get_preparation_data(), applied by prepare(); the fork
    server's children get it too, popen_forkserver.py); the environment is passed on by exec
    (os docs, os.environ) and, under forkserver, by the server started after the change."""
    return [{"case": case, "methods": [method], "why": why + " set at run time arrives",
             "holds": {"not": {"path": path, "equals": value}}}
            for case, why, path, value in _RUN_TIME_STATE]


#: (case, what arrives, where in the observation, the value that says it arrived).
_RUN_TIME_STATE = [
    ("inheritance.environment_variable_set_before_start", "an environment variable", [],
     "set-before-start"),
    ("inheritance.cwd_changed", "the working directory", [], True),
    ("inheritance.sys_argv", "an argument of sys.argv", ["has_appended"], True),
    ("inheritance.sys_path_appended", "an entry of sys.path", [], True),
    ("inheritance.authkey_inherited", "an authkey", ["custom_key_inherited"], True),
]


#: The held-lock cases with a lock of the program's own (a Lock, an RLock, a Condition, a
#: logging handler's own lock): each says on stderr where its fork child blocks.
_USER_LOCKS = ("deadlock.lock_held_by_thread_at_fork", "deadlock.rlock_held_by_thread_at_fork",
               "deadlock.condition_held_by_thread_at_fork", "deadlock.user_logging_handler_lock")
#: The cases of a lock another thread holds at start() that the interpreter or the standard
#: library handles across fork (the article's examples: the GIL, a stdlib module's lock), with
#: what each holds.
_ARTICLE_LOCKS = [
    ("deadlock.gil_busy_thread_at_fork", "the GIL, which a busy thread competes for at fork"),
    ("deadlock.stdlib_logging_handler_lock",
     "a standard-library module's lock (a logging handler's, held mid-emit)"),
    ("deadlock.import_lock_held_by_thread", "the interpreter's import lock"),
]
