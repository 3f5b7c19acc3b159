"""Where a hung process waited, asked for at the kill (``python -m harness check``'s guest side;
standard library only, Python 3.8 syntax).

Each process check watches (the program's parent, each watched child) arms itself: a Python
handler for one real-time signal (``SIGRTMIN + 5``, Linux only) and a note ``ARMED`` in the
hang folder. At the time limit the host notes ``ASKING``, sends that signal to each armed
process still alive, then kills the run as before; the handler writes every thread's Python
stack to a new file, opened by path at that moment (never a descriptor kept from before: a
program that closed its descriptors may have a data file at that number), then stops its
process (SIGSTOP) until the kill: a wait the signal ended (``signal.pause()``) never returns
into the program. Without ``ASKING`` the signal is the program's own: the handler gives it its
default action (the process ends), as without check. A Python handler, not faulthandler (one
watchdog per process: the program's own stays) and no thread (a fork after one warns on
3.12+). The program's other handlers stay; one it had for this signal is kept (nothing is
armed), and one it sets later replaces check's: ``signal.signal`` then marks the note ``own``
and that process is not asked.
"""

from __future__ import annotations

import os
import sys

from . import TYPE_CHECKING
from ._files import write_json, write_text

if TYPE_CHECKING:
    from typing import Any, List

__all__ = ["ARMED", "ASKING", "STACK", "THREAD", "arm"]

#: ``ARMED % pid``: an armed process's note (JSON: its ``signal``, ``start`` time, ``role``,
#: target's ``name``, and ``own`` once the program set its own handler for that signal);
#: ``STACK % pid``: what its handler writes, each thread a ``THREAD`` line and its frames as a
#: traceback prints them (outermost first); ``ASKING``: the host's note that it asks now.
ARMED, STACK, THREAD = "stack-armed-%d.json", "stack-%d.txt", "thread: "
ASKING = "stack-asking"
_OFFSET = 5  # not SIGRTMIN itself, the one programs and libraries (timers, profilers) take first
_DEPTH, _FOLDER = 200, [""]  # frames kept per thread (innermost); the hang folder
#: This process's note once armed: its pid (a fork child copies the list), path and content;
#: ``signal.signal`` as it was before ``_watch_setting`` wrapped it.
_NOTE: List[Any] = []
_UNWRAPPED: List[Any] = []


def _dump(signum: int, frame: Any) -> None:
    """The handler: each thread's stack, the main one (interrupted at ``frame``) first; then
    this process stops until the kill."""
    import signal

    asked = False
    try:
        asked = os.path.exists(os.path.join(_FOLDER[0], ASKING))
        if not asked:  # the program's (or another's) own use: the default action ends it
            (_UNWRAPPED or [signal.signal])[0](signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        import _thread

        threading = sys.modules.get("threading")
        names = {ident: getattr(t, "name", "?") for ident, t in dict(getattr(
            threading, "_active", None) or {}).items()}  # no lock: enumerate() takes one
        here = _thread.get_ident()
        frames = sys._current_frames()
        frames[here] = frame  # not the handler's own frame
        text: List[str] = []
        for ident in [here] + sorted(set(frames) - {here}):
            text.append("%s%s\n" % (THREAD, names.get(ident, "thread %d" % ident)))
            stack: List[str] = []
            at: Any = frames[ident]
            while at is not None and len(stack) < _DEPTH:
                stack.append('  File "%s", line %s, in %s\n' % (
                    at.f_code.co_filename, at.f_lineno, at.f_code.co_name))
                at = at.f_back
            text.extend(reversed(stack))
        write_text(os.path.join(_FOLDER[0], STACK % os.getpid()), "".join(text), new=True)
    except Exception:  # noqa: BLE001, S110 - never raise into the program where it was
        pass
    finally:  # frozen until the kill that follows: returning would end the wait it was in
        if asked:
            try:
                os.kill(os.getpid(), signal.SIGSTOP)
            except OSError:
                pass


def _watch_setting(module: Any, number: int) -> None:
    """Wrap ``module.signal`` (once per process tree: a fork child has the wrapper): the
    program setting its own handler for ``number`` marks this process's note ``own``."""
    if _UNWRAPPED:  # not __wrapped__: 3.8-3.11's own signal.signal wraps _signal's
        return
    original = module.signal

    def setting(signalnum: Any, handler: Any) -> Any:
        previous = original(signalnum, handler)
        try:
            if _NOTE and _NOTE[0] == os.getpid() and int(signalnum) == number and \
                    bool(_NOTE[2].get("own")) != (handler is not _dump):
                _NOTE[2] = dict(_NOTE[2], own=handler is not _dump)
                write_json(_NOTE[1], _NOTE[2])
        except Exception:  # noqa: BLE001, S110 - the program's call did what it asked
            pass
        return previous

    for name in ("__module__", "__name__", "__qualname__", "__doc__"):  # as functools.wraps
        if hasattr(original, name):
            setattr(setting, name, getattr(original, name))
    setattr(setting, "__wrapped__", original)  # noqa: B010 - mypy: a function's attribute
    _UNWRAPPED.append(original)
    module.signal = setting


def arm(folder: str, role: str, target: Any = None) -> None:
    """From the main thread: install the handler and note it in ``folder`` with ``role`` and
    ``target``'s name (nothing where the platform has no real-time signals, or the program
    handles or ignores that signal)."""
    kind = type(target)  # an instance's own __getattr__ is never asked (python never does)
    try:
        name = "" if target is None else target.__qualname__ if kind.__name__ in (
            "function", "method", "builtin_function_or_method") else kind.__qualname__
    except Exception:  # noqa: BLE001 - an odd callable: watching never breaks the program
        name = ""
    try:
        import signal

        low = getattr(signal, "SIGRTMIN", None)
        if not folder or low is None:
            return
        number = int(low) + _OFFSET
        if signal.getsignal(number) not in (signal.SIG_DFL, _dump):  # the program's own
            return
        _FOLDER[0] = folder
        signal.signal(number, _dump)
        with open("/proc/self/stat", "rb") as handle:  # with the pid, names this process
            start = int(handle.read().rsplit(b")", 1)[1].split()[19])
        note = {"signal": number, "start": start, "role": role,
                "name": name if isinstance(name, str) else ""}
        path = os.path.join(folder, ARMED % os.getpid())
        write_json(path, note)
        _NOTE[:] = [os.getpid(), path, note]
        _watch_setting(signal, number)
    except Exception:  # noqa: BLE001, S110 - not the main thread, no /proc: no stack asked
        pass
