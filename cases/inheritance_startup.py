"""What a child is started with beyond module state: the parent's sys.path and sys.argv changed
after a first child, its authentication key; and several start methods in one program.

Part of the ``inheritance`` category (``cases/inheritance.py`` imports this module).
"""

from __future__ import annotations

import os
import sys

from harness.guest.catalog import Context, case, ok, on
from harness.guest.docs import CONTEXTS, DOCS, GUIDE_SPAWN

#: sys.path entry appended by the parent (need not exist: only its presence is checked).
APPENDED_PATH = os.path.join(os.sep, "smm-appended-path-entry")
APPENDED_ARG = "--smm-appended-argument"
AUTHKEY = b"smm-case-authkey"


def _has_path_entry() -> bool:
    return APPENDED_PATH in sys.path


def _argv() -> object:
    return list(sys.argv)


def _authkey() -> bytes:
    import multiprocessing

    return bytes(multiprocessing.current_process().authkey)


def _true() -> bool:
    return True


@case(
    "inheritance.sys_path_appended",
    title="sys.path appended by the parent after a first child: seen by later children?",
    source=[CONTEXTS, GUIDE_SPAWN],
    covers=[8],
    claims=["spawn_needs_explicit_passing", "spawn_fresh_interpreter", "forkserver_clean_state"],
    expect=[
        on("fork", ok(True)),
        # spawn/forkserver: the docs do not say whether sys.path is passed (no expectation).
    ],
)
def sys_path_appended(ctx: Context) -> object:
    """The parent starts one child (which launches the fork server under forkserver), then
    appends an entry to sys.path and starts another child. A fork child is a copy, so it
    sees the entry. The docs do not say what spawn and forkserver children get (no
    expectation); the implementation sends sys.path in its "preparation data".

    Why it matters: plugins and test runners extend sys.path at run time; a worker that
    cannot import the plugin fails only under spawn/forkserver if the path is not passed.
    Source: multiprocessing docs, Contexts and start methods.
    """
    ctx.call_in_child(_true)
    sys.path.append(APPENDED_PATH)
    try:
        return ctx.call_in_child(_has_path_entry)
    finally:
        sys.path.remove(APPENDED_PATH)


@case(
    "inheritance.sys_argv",
    title="sys.argv (with an argument appended by the parent) in the child",
    source=[CONTEXTS, GUIDE_SPAWN],
    covers=[8],
    claims=["spawn_needs_explicit_passing", "spawn_fresh_interpreter", "forkserver_clean_state"],
    expect=[
        on("fork", ok({"same_as_parent": True, "has_appended": True})),
        # spawn/forkserver: the docs do not say whether sys.argv is passed (no expectation).
    ],
)
def sys_argv(ctx: Context) -> object:
    """After a first child (which starts the fork server under forkserver), the parent
    appends an argument to sys.argv; is the next child's sys.argv the parent's? A fork
    child is a copy. The docs are silent for spawn and forkserver (no expectation); the
    implementation passes sys.argv in its preparation data.

    Why it matters: argparse-driven code that re-reads sys.argv in workers (or a main module
    re-imported by spawn) behaves differently if argv is not the parent's.
    Source: multiprocessing docs, Contexts and start methods.
    """
    ctx.call_in_child(_true)
    sys.argv.append(APPENDED_ARG)
    try:
        seen = ctx.call_in_child(_argv)
        return {"same_as_parent": seen == sys.argv, "has_appended": APPENDED_ARG in seen}
    finally:
        sys.argv.remove(APPENDED_ARG)


@case(
    "inheritance.authkey_inherited",
    title="A child inherits its parent's authentication key (current_process().authkey)",
    source=[DOCS + "#multiprocessing.Process.authkey"],
    covers=[38],
    claims=["spawn_needs_explicit_passing", "spawn_fresh_interpreter", "forkserver_clean_state"],
    expect=[on("*", ok({"same_as_parent": True, "custom_key_inherited": True}))],
)
def authkey_inherited(ctx: Context) -> object:
    """The main process gets a random authkey from os.urandom(); a new Process inherits the
    key of its parent, under every start method (spawn and forkserver must send it). The
    case checks the random key, then a key the parent sets itself before a second child.

    Why it matters: Listener/Client and managers authenticate with this key; a child with a
    different key cannot talk to its parent's manager. Source: multiprocessing docs,
    Process.authkey.
    """
    import multiprocessing

    me = multiprocessing.current_process()
    default_key = bytes(me.authkey)
    same = ctx.call_in_child(_authkey) == default_key
    me.authkey = AUTHKEY
    try:
        custom = ctx.call_in_child(_authkey) == AUTHKEY
    finally:
        me.authkey = default_key
    return {"same_as_parent": same, "custom_key_inherited": custom}


@case(
    "inheritance.contexts_coexist",
    title="One program starts children with every available start method, side by side",
    source=[CONTEXTS, DOCS + "#multiprocessing.get_context"],
    covers=[23],
    expect=[
        on("*", ok(["spawn"]), os="windows"),
        on("*", ok(["fork", "forkserver", "spawn"])),
    ],
)
def contexts_coexist(ctx: Context) -> object:
    """get_context() objects let one program use several start methods: starting from the
    cell's method, the case starts one child with each available method, and all run.
    (Not checked: whether the global start method stays unset. The docs do not say; before
    3.13.12 / 3.14.3 (gh-109263) starting a spawn or forkserver child fixed it to the
    platform default, because the preparation data recorded get_start_method(); since then
    it records get_start_method(allow_none=True) and leaves it unset.)

    Why it matters: libraries should take a context instead of calling set_start_method(),
    which can only be called once per program. Source: multiprocessing docs, Contexts and
    start methods (get_context()).
    """
    import multiprocessing

    ran = []
    others = sorted(set(multiprocessing.get_all_start_methods()) - {ctx.method})
    for method in [ctx.method, *others]:
        if Context(method, ctx.tmpdir).call_in_child(_true):
            ran.append(method)
    return sorted(ran)
