"""The argument types of ``python -m harness``: argparse turns their errors into one usage line
and exit 2."""

from __future__ import annotations

import argparse
import os
import re
import shlex
from pathlib import Path
from typing import List, Tuple

from harness.guest import words
from harness.results import parse_env_id

__all__ = ["at_least_one", "env_id", "env_ids_file", "is_env_id", "not_run", "positive_seconds",
           "python_command", "python_path", "python_version", "share"]

#: A CI leg's python-version as CI and nox name it: 3.13, 3.14t, pypy3.11.
_PYTHON_VERSION = re.compile(r"^(%s)?[0-9]+\.[0-9]+t?$" % words.PYPY)


def is_env_id(text: str) -> bool:
    """An environment id as results.env_id writes it: linux-cpython-3.13, macos-pypy-3.11,
    linux-cpython-3.14t, linux-cpython-3.13.18, macos-cpython-3.13-x86_64 (the one arch suffix:
    an id with another, linux-cpython-3.13-aarch64, is no environment's and has no grid slot)."""
    parts = parse_env_id(text)
    return parts is not None and parts.os in words.OS_NAMES and \
        parts.implementation in words.IMPLEMENTATIONS and \
        parts.arch in (("", "x86_64") if parts.os == words.MACOS else ("",))


def env_id(text: str) -> str:
    if not is_env_id(text):  # it became a column of its own, every cell "not run"
        raise argparse.ArgumentTypeError(
            "%r is not an environment id (like linux-cpython-3.13, macos-pypy-3.11, "
            "windows-cpython-3.14t; -x86_64 only for Intel macOS)" % text)
    return text


def not_run(text: str) -> Tuple[str, str]:
    """``linux-cpython-3.14=not found (PATH)`` -> (id, the reason on one line)."""
    ident, sep, why = text.partition("=")
    if not sep or not why.strip():
        raise argparse.ArgumentTypeError(
            "%r is not ENV_ID=REASON (like linux-cpython-3.14='not found (PATH)')"
            % text)
    return env_id(ident), " ".join(why.split())


def at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text) from None
    if value < 1:  # -3 ended in a semaphore's ValueError; 0 silently meant the default
        raise argparse.ArgumentTypeError("must be 1 or more, not %d" % value)
    return value


def positive_seconds(text: str) -> float:
    """A time limit: any number of seconds above 0 (a count, like --jobs, is ``at_least_one``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of seconds" % text) from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds, not %s" % text)
    return value


def python_version(text: str) -> str:
    """verify-leg's ``--leg``."""
    if not _PYTHON_VERSION.match(text):  # "banana" failed later, quoting Python tuples
        raise argparse.ArgumentTypeError("%r is not a python-version (3.13, 3.14t, pypy3.11)"
                                         % text)
    return text


def share(text: str) -> float:
    """A share of a whole: above 0, at most 1 (verify-leg's ``--max-broken``)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError("%r is not a share between 0 and 1 (0.25 = 25 %%)" % text)
    return value


def env_ids_file(path: str) -> Tuple[List[str], List[str]]:
    """``--expect-envs FILE``: its environment ids (one a line; blank lines and ``#`` comments
    skipped), and a problem line for each other line (left out, the rest kept). OSError and
    UnicodeDecodeError are the caller's: the file cannot be read at all."""
    ids: List[str] = []
    problems: List[str] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        ident = line.strip()
        if not ident or ident.startswith("#"):
            continue
        if is_env_id(ident):
            ids.append(ident)
        else:
            problems.append("--expect-envs %s:%d: %r is not an environment id (like "
                            "linux-cpython-3.13)" % (path, number, ident))
    return ids, problems


def python_command(text: str, windows: bool = os.name == "nt") -> List[str]:
    """``--python``: a path that exists is one word (``C:\\Python312\\python.exe``, a space in
    a folder); else a command line (``chroot … python3``), split by the platform's rules, a
    Windows word's surrounding double quotes taken off (``"C:\\Program Files\\…" -X dev``).
    A relative path, alone or as the command's first word, becomes absolute (``python_path``)."""
    if os.path.exists(text):
        return [python_path(text)]
    if not windows:
        words = shlex.split(text)
    else:
        words = [w[1:-1] if len(w) > 1 and w[0] == w[-1] == '"' else w
                 for w in shlex.split(text, posix=False)]
    return [python_path(words[0])] + words[1:] if words else words


def python_path(word: str) -> str:
    """A relative path that exists here (``.venv/bin/python``), absolute: each case starts it
    from a folder of its own, where it would not exist. A symlink stays one (a venv's python is
    the venv's only through it); a bare name (``python3``) is PATH's."""
    seps = [os.sep] + ([os.altsep] if os.altsep else [])
    if os.path.isabs(word) or not any(s in word for s in seps) or not os.path.exists(word):
        return word
    # abspath collapses "..", which after a symlinked folder is not where the kernel goes
    return os.path.join(os.getcwd(), word) if os.pardir in re.split(r"[\\/]", word) \
        else os.path.abspath(word)
