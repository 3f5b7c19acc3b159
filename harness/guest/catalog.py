"""How a case is declared: the ``@case`` decorator and the case context; the expectation rules
(``harness.guest.rules``) are re-exported here, so a case module imports from this one place.

Imported by the catalog (``cases/``) inside the interpreter under test and by the spawn/forkserver
children it starts, so it uses the standard library only, Python 3.8 syntax, and imports little.
"""

from __future__ import annotations

import os
import sys

# The case parent imports this module before a case runs, so fork children copy what it
# imports: ``inspect`` and ``textwrap`` are imported when first needed.
from harness.guest import TYPE_CHECKING
from harness.guest.rules import Expect, crash, error, ok, on, timeout, unavailable
from harness.guest.words import ERROR, OK, START_METHODS

if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

    Json = Any

__all__ = [
    "CASE_TIMEOUT",
    "LONG_TIMEOUT",
    "SHORT_TIMEOUT",
    "Case",
    "ChildDied",
    "ChildError",
    "Context",
    "Expect",
    "Unavailable",
    "all_cases",
    "case",
    "whole",
    "crash",
    "receive_from",
    "error",
    "ok",
    "on",
    "timeout",
    "unavailable",
]


def _scale() -> float:
    try:
        return max(0.1, float(os.environ.get("HARNESS_TIMEOUT_SCALE", "1")))
    except ValueError:
        return 1.0


#: A handshake inside a case (an Event, a pipe read) that should be instant.
SHORT_TIMEOUT = 5.0 * _scale()
#: Hard limit for one (case, method) run unless the case says otherwise.
CASE_TIMEOUT = 20.0 * _scale()
#: For cases that legitimately take long (large transfers, performance sampling).
LONG_TIMEOUT = 120.0 * _scale()


class Unavailable(Exception):
    """Raised by a case when what it checks cannot exist here (e.g. SIGUSR1 on Windows)."""


class ChildError(Exception):
    """An exception raised in a multiprocessing child, carried back to the case parent."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__("%s: %s" % (type_name, message))
        self.type_name = type_name
        self.message = message


class ChildDied(Exception):
    """A multiprocessing child ended without sending its result."""

    def __init__(self, exitcode: Optional[int]) -> None:
        super().__init__("child exited with code %s before sending a result" % (exitcode,))
        self.exitcode = exitcode


# --------------------------------------------------------------------------- cases


class Case:
    """One catalog entry: a function that checks one documented claim."""

    def __init__(
        self,
        func: Callable[["Context"], Json],
        id: str,  # noqa: A002 - the case's stable id
        title: str,
        sources: Sequence[str],
        expect: Sequence[Expect],
        covers: Sequence[int],
        timeout: float,
        claims: Sequence[str],
        methods: Sequence[str],
        breaks: Sequence[str] = (),
        labels: Optional[Dict[str, str]] = None,
    ) -> None:
        self.func = func
        self.id = id
        self.category = id.split(".", 1)[0]
        self.title = title
        self.sources = list(sources)
        self.expect = list(expect)
        self.covers = list(covers)
        self.timeout = timeout
        self.claims = list(claims)
        self.methods = list(methods)
        self.breaks = list(breaks)
        self.labels = dict(labels or {})
        self.module = func.__module__
        self._digest: Optional[str] = None

    @property
    def doc(self) -> str:
        """The function's docstring without its indentation (the claim, why it matters, the
        source): the same text on every interpreter, though 3.13+ compilers already strip the
        indentation that older ones keep after the first line (``inspect.cleandoc``'s text
        for every case's docstring, a test checks; ``inspect`` itself is too heavy here)."""
        import textwrap

        first, _, rest = (self.func.__doc__ or "").expandtabs().partition("\n")
        return (first.strip() + "\n" + textwrap.dedent(rest)).strip()

    def source_code(self) -> str:
        import inspect
        import textwrap

        try:
            return textwrap.dedent(inspect.getsource(self.func))
        except (OSError, TypeError):
            return ""

    def code_digest(self) -> str:
        """``case_digest.digest`` of the case, computed at the first ask and kept: the plugin
        asks at collection, before any cell runs, so a file edited during a long run does not
        give a digest of code that did not run."""
        if self._digest is None:
            from harness.guest import case_digest  # only the plugin asks, once per case

            self._digest = case_digest.digest(self.func)
        return self._digest

    def to_dict(self) -> Dict[str, Any]:
        entry: Dict[str, Any] = {
            "id": self.id,
            "category": self.category,
            "title": self.title,
            "doc": self.doc,
            "source": self.sources[0] if self.sources else "",
            "sources": list(self.sources),
            "covers": list(self.covers),
            "claims": list(self.claims),
            "methods": list(self.methods),
            "timeout_s": self.timeout,
            "expect": [rule.to_dict() for rule in self.expect],
            "code": self.source_code(),
            "module": self.module,
        }
        if self.breaks:  # results format 1.7: a returned value that is the program failing
            entry["breaks"] = list(self.breaks)
        if self.labels:  # results format 1.7: what each key of the value means, in words
            entry["labels"] = dict(self.labels)
        digest = self.code_digest()
        if digest:  # results format 1.4: tells a changed case from a changed Python
            entry["code_digest"] = digest
        return entry


_REGISTRY: Dict[str, Case] = {}


def case(
    id: str,  # noqa: A002
    title: str,
    source: Union[str, Sequence[str]],
    expect: Sequence[Expect] = (),
    covers: Sequence[int] = (),
    timeout: float = CASE_TIMEOUT,
    claims: Sequence[str] = (),
    methods: Sequence[str] = START_METHODS,
    breaks: Sequence[str] = (),
    labels: Optional[Dict[str, str]] = None,
) -> Callable[[Callable[["Context"], Json]], Callable[["Context"], Json]]:
    """Register a case function under a stable ``category.name`` id.

    ``breaks``: the methods under which the program the case models fails, as its docstring
    says (a child dies, a Pool never returns), though the case returns that failure as a
    value: the report counts a cell there whose value differs from fork's as a failure.
    ``labels``: for the keys of the object the case returns, what each means in plain words,
    as its docstring says (``{"own_ran": "the child's own atexit handlers run"}``): a change
    line then reads "<label>: now yes (was no)" instead of the key's JSON name."""
    sources = [source] if isinstance(source, str) else list(source)

    def register(func: Callable[["Context"], Json]) -> Callable[["Context"], Json]:
        if "." not in id:
            raise ValueError("case id %r must be 'category.name'" % id)
        if not func.__doc__:
            raise ValueError("case %s needs a docstring stating its claim" % id)
        if not sources:
            raise ValueError("case %s needs a source link" % id)
        if not set(breaks) <= set(methods):
            raise ValueError("case %s: breaks names a method it does not run under" % id)
        if labels and not all(v.strip() for v in labels.values()):
            raise ValueError("case %s: a label is a key's name and non-empty words" % id)
        previous = _REGISTRY.get(id)
        if previous is not None and previous.module != func.__module__:
            raise ValueError("case id %s is defined twice" % id)
        _REGISTRY[id] = Case(func, id, title, sources, expect, covers, timeout, claims, methods,
                             breaks, labels)
        return func

    return register


def all_cases() -> List[Case]:
    """Every registered case, in id order."""
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


def whole(folder: "os.PathLike[str]") -> List[Case]:
    """``all_cases`` once every module of ``folder`` (``cases/``) that the plugin collects is
    imported (+0.3 s on 3.8, +0.5 s on PyPy over one module's); a module that fails to import
    adds none: its cases are not in the catalog."""
    import importlib

    for name in sorted(os.listdir(folder)):
        if name.endswith(".py") and not name.startswith("_"):
            before = set(_REGISTRY)
            try:
                importlib.import_module("cases." + name[:-3])
            except Exception:  # noqa: BLE001 - the user may have left it out for this
                for added in set(_REGISTRY) - before:  # registered before the line that failed
                    del _REGISTRY[added]
    return all_cases()


# --------------------------------------------------------------------------- context


def _child_entry(conn: Any, func: Callable[..., Json], args: Tuple[Any, ...]) -> None:
    """Run ``func`` in a multiprocessing child and send back ("ok", value) or ("error", ...)."""
    try:
        result = func(*args)
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent
        conn.send((ERROR, type(exc).__name__, str(exc)[:500]))
    else:
        conn.send((OK, result))
    conn.close()


def receive_from(proc: Any, reader: Any) -> Any:
    """The one message a started child sends on ``reader``, then join it.

    The caller has closed its copy of the writing end, so a child that dies without sending
    makes ``recv()`` see end-of-file: that raises ``ChildDied`` with the child's exit code.
    """
    try:
        message = reader.recv()
    except EOFError:
        proc.join()
        raise ChildDied(proc.exitcode) from None
    finally:
        reader.close()
    proc.join()
    return message


class ScriptResult:
    """What a helper script run by ``Context.run_script`` did."""

    def __init__(self, returncode: Optional[int], stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def last_error_line(self) -> str:
        """The last line of stderr that looks like ``SomeError: message`` (or '')."""
        for line in reversed(self.stderr.splitlines()):
            head = line.split(":", 1)[0].strip()
            if head.endswith(("Error", "Exception", "Warning")) and " " not in head:
                return line.strip()
        return ""


class Context:
    """What a case function gets: its start method, a context for it, and small helpers."""

    def __init__(self, method: str, tmpdir: str) -> None:
        self.method = method
        self.tmpdir = tmpdir
        self._mp: Any = None

    @property
    def mp(self) -> Any:
        """``multiprocessing.get_context(method)`` (does not fix the global start method)."""
        if self._mp is None:
            import multiprocessing

            self._mp = multiprocessing.get_context(self.method)
        return self._mp

    def call_in_child(self, func: Callable[..., Json], *args: Any) -> Json:
        """Run ``func(*args)`` in one child of this method and return its value.

        An exception in the child is raised here as ``ChildError``; a child that dies without
        answering raises ``ChildDied``. There is deliberately no timeout: a deadlocked child
        hangs the case, and the runner's hard timeout classifies it as ``timeout``.
        """
        reader, writer = self.mp.Pipe(duplex=False)
        proc = self.mp.Process(target=_child_entry, args=(writer, func, args))
        proc.start()
        writer.close()
        message = receive_from(proc, reader)
        if message[0] == ERROR:
            raise ChildError(message[1], message[2])
        return message[1]

    def run_script(
        self,
        code: str,
        args: Sequence[str] = (),
        timeout: float = SHORT_TIMEOUT * 4,
        mode: str = "file",
        name: str = "script.py",
    ) -> ScriptResult:
        """Run ``code`` as a separate main program with this interpreter.

        ``mode`` is ``"file"`` (a script file), ``"command"`` (``python -c``) or ``"stdin"``
        (``python -``). Used by cases about how a *main program* behaves (no ``__main__``
        guard, ``-c`` mode). The program gets the start method as ``sys.argv[1]``.
        """
        import subprocess
        import textwrap

        code = textwrap.dedent(code)
        command = [sys.executable, "-I"]
        if mode == "command":
            command += ["-c", code]
        elif mode == "stdin":
            if not code.isascii():  # sent in the locale's encoding but read as UTF-8
                raise ValueError("run_script(mode='stdin') takes ASCII code only")
            command += ["-"]
        elif mode == "file":
            path = os.path.join(self.tmpdir, name)
            with open(path, "w", encoding="utf-8") as handle:  # Python reads scripts as UTF-8
                handle.write(code)
            command += [path]
        else:
            raise ValueError("mode must be 'file', 'command' or 'stdin', not %r" % (mode,))
        command += [self.method] + list(args)
        proc = subprocess.run(  # noqa: PLW1510 - the exit code is part of the result
            command,
            input=code if mode == "stdin" else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.tmpdir,
            timeout=timeout,
            text=True,
            errors="replace",
        )
        return ScriptResult(proc.returncode, proc.stdout, proc.stderr)
