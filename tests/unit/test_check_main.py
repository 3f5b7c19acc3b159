"""The user's script run as ``__main__`` with its globals recorded before its main block
(``harness.guest.check_main``), as ``runpy.run_path`` runs it otherwise."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from harness.guest import check_compare, check_main

SCRIPT = b'''# -*- coding: latin-1 -*-
from __future__ import annotations
import sys
STARTED = 1.5
NAME = "caf\xe9"
def f(x: Undefined) -> None: ...
if __name__ == "__main__":
    STARTED = 2.5
    def g(x: AlsoUndefined) -> None: ...
    seen = (sys.modules["__main__"].__file__, __package__, __spec__, __name__, NAME)
    sys.modules["check_main_seen"] = sys.modules["__main__"]
    mp_main = sys.modules.get("__mp_main__") is sys.modules["__main__"]
'''


def test_the_top_level_is_recorded_before_the_main_block(tmp_path: Any,
                                                         monkeypatch: Any) -> None:
    """The record holds what the top level set (``STARTED`` 1.5, not the main block's 2.5);
    the main block runs as ``__main__`` in the same globals, with the script's future import
    (annotations never evaluated) and coding declaration; ``__main__`` is restored after.
    ``__mp_main__`` names it too while it runs (multiprocessing's alias of a script run: a
    spawn child's object of its class comes back as ``__mp_main__.X``), restored after."""
    path = tmp_path / "prog.py"
    path.write_bytes(SCRIPT)
    monkeypatch.setattr(check_compare, "IMPORTED", {})
    monkeypatch.setitem(sys.modules, "check_main_seen", None)
    before = sys.modules["__main__"]
    alias = type(sys)("check_exec")  # what multiprocessing aliased: the executor, run
    monkeypatch.setitem(sys.modules, "__mp_main__", alias)
    check_main.run_script(str(path))
    assert (sys.modules["__main__"], sys.modules["__mp_main__"]) == (before, alias)
    module = sys.modules["check_main_seen"]
    assert module.mp_main
    assert module.seen == (str(path), "", None, "__main__", "caf\xe9")
    assert module.STARTED == 2.5
    assert check_compare.IMPORTED["__main__"][0]["STARTED"] == 1.5


@pytest.mark.parametrize("guard", ['if "__main__" == __name__:', 'if __name__ == "__main__":'])
def test_either_way_round_is_a_main_block(guard: str) -> None:
    tree = compile(guard + "\n    pass\n", "x", "exec", check_main._ONLY_AST)
    assert check_main._is_main_block(tree.body[0])


@pytest.mark.parametrize("guard", ['if __name__ != "__main__":', 'if __name__ == "x":',
                                   "if DEBUG:", 'while __name__ == "__main__":'])
def test_other_statements_are_not(guard: str) -> None:
    tree = compile(guard + "\n    pass\n", "x", "exec", check_main._ONLY_AST)
    assert not check_main._is_main_block(tree.body[0])


def test_a_record_that_fails_never_stops_the_program(tmp_path: Any, monkeypatch: Any) -> None:
    """Review r12 F1: check's own bookkeeping raised into the user's script (KeyError out of a
    settings object's ``__getattr__``); whatever the record meets, the main block runs."""
    path = tmp_path / "prog.py"
    path.write_text("VALUE = 1\nif __name__ == '__main__':\n    import sys\n"
                    "    sys.modules['check_main_seen'] = sys.modules['__main__']\n")
    monkeypatch.setattr(check_compare, "IMPORTED", {})
    monkeypatch.setitem(sys.modules, "check_main_seen", None)

    def record(module: Any) -> None:
        raise KeyError("__dict__")

    monkeypatch.setattr(check_main, "record", record)
    check_main.run_script(str(path))
    assert sys.modules["check_main_seen"].VALUE == 1


def test_a_script_without_a_main_block_is_not_recorded(tmp_path: Any, monkeypatch: Any) -> None:
    """Compared whole, as before: nothing tells its import from the rest."""
    path = tmp_path / "flat.py"
    path.write_text("VALUE = 1\n")
    monkeypatch.setattr(check_compare, "IMPORTED", {})
    check_main.run_script(str(path))
    assert check_compare.IMPORTED == {}


@pytest.mark.parametrize("head", [b"", b"#!/usr/bin/env python\n", b"\n"])
def test_a_script_python_refuses_to_decode_is_refused(tmp_path: Any, monkeypatch: Any,
                                                      head: bytes) -> None:
    """A Latin-1 byte in a comment without an encoding declaration: ``python prog.py`` stops
    with SyntaxError (the Language Reference: UTF-8 unless declared), though compile() of the
    bytes lets it through; the message is CPython 3.11's, line counted from 1."""
    path = tmp_path / "latin.py"
    path.write_bytes(head + b"# caf\xe9\nRAN = True\n")
    monkeypatch.setattr(check_compare, "IMPORTED", {})
    with pytest.raises(SyntaxError) as raised:
        check_main.run_script(str(path))
    line = head.count(b"\n") + 1
    assert str(raised.value) == (
        "Non-UTF-8 code starting with '\\xe9' in file %s on line %d, but no encoding declared; "
        "see https://peps.python.org/pep-0263/ for details" % (path, line))


@pytest.mark.parametrize("head", [b"# -*- coding: utf-8 -*-\n", b"\xef\xbb\xbf",
                                  b"#!/usr/bin/env python\n# vim: set fileencoding=utf-8 :\n"])
def test_a_declared_encoding_is_left_to_compile(tmp_path: Any, monkeypatch: Any,
                                                head: bytes) -> None:
    """A declaration (or the byte order mark) makes the file runner lenient too: it runs."""
    path = tmp_path / "declared.py"
    path.write_bytes(head + b"# caf\xe9\nimport sys\nsys.modules['check_main_seen'] = 1\n")
    monkeypatch.setattr(check_compare, "IMPORTED", {})
    monkeypatch.setitem(sys.modules, "check_main_seen", None)
    check_main.run_script(str(path))
    # The script stores an int where a module goes: mypy knows only modules there.
    assert sys.modules["check_main_seen"] == 1  # type: ignore[comparison-overlap]


def _isolated(monkeypatch: Any) -> None:
    """``run_callable`` runs a script as ``__mp_main__`` and puts its folder on sys.path."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setitem(sys.modules, "__mp_main__", None)


def test_a_scripts_missing_callable_names_the_script(tmp_path: Any, monkeypatch: Any) -> None:
    """`check pkg/jobs.py:nosuch` said "module '__mp_main__' has no attribute 'nosuch'"."""
    from harness.guest import check_targets

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "jobs.py").write_text("def work():\n    pass\n")
    _isolated(monkeypatch)
    with pytest.raises(AttributeError) as raised:
        check_targets.run_callable(str(tmp_path), "pkg/jobs.py:nosuch", "spawn", [])
    assert str(raised.value) == "pkg/jobs.py has no attribute 'nosuch'"


def test_a_scripts_callable_is_read_as_python_reads_the_script(tmp_path: Any,
                                                               monkeypatch: Any) -> None:
    """`check script.py:work` read the script as UTF-8 whatever it declared: a Latin-1 script
    was a UnicodeDecodeError; one that declares nothing and is not UTF-8 is a SyntaxError."""
    from harness.guest import check_targets

    (tmp_path / "declared.py").write_bytes(b"# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n")
    (tmp_path / "plain.py").write_bytes(b"# caf\xe9\n")
    _isolated(monkeypatch)
    with pytest.raises(AttributeError, match=r"declared\.py has no attribute 'work'"):
        check_targets.run_callable(str(tmp_path), "declared.py:work", "spawn", [])
    with pytest.raises(SyntaxError, match=r"Non-UTF-8 code starting with '\\xe9'"):
        check_targets.run_callable(str(tmp_path), "plain.py:work", "spawn", [])


def test_no_pytest_in_the_interpreter_says_the_way_forward(monkeypatch: Any) -> None:
    """`check --pytest --python 3.14` where 3.14 has no pytest: the line says what to pass
    instead (review r1 #10), not only that it is missing."""
    from harness.guest import check_targets

    monkeypatch.setitem(sys.modules, "pytest", None)  # import pytest: ImportError
    monkeypatch.delenv("HARNESS_ROOT_NAME", raising=False)
    result = check_targets.run_pytest([], {}, None, "")
    assert result["outcome"] == "unavailable"
    assert result["detail"] == ("pytest is not installed in this interpreter: pass --python "
                                "the python of a virtual environment that has pytest")


def test_no_pytest_in_a_roots_interpreter_says_a_way_that_works(monkeypatch: Any) -> None:
    """A Debian root's interpreter (review r21 item 8): its root is read-only, so no venv of
    it can have pytest; the host's pip can make one for its version in the folder of check's
    hang folder (the host's temp folder, which the root sees), found through PYTHONPATH
    (followed by hand on the root's 3.14 with tests/fixtures/check/suite: it ran)."""
    from harness.guest import check_targets

    monkeypatch.setitem(sys.modules, "pytest", None)
    monkeypatch.setenv("HARNESS_ROOT_NAME", "sid-root")
    detail = check_targets.run_pytest([], {}, None, "/var/tmp/smm-1-hang-x")["detail"]
    version = "%d.%d" % sys.version_info[:2]
    assert "virtual environment" not in detail and "read-only" in detail, detail
    assert "`python3 -m pip install --target /var/tmp/pytest-%s --python-version %s " \
           "--only-binary :all: pytest`, then run check with PYTHONPATH=/var/tmp/pytest-%s)" \
           % (version, version, version) in detail + ")", detail


_AS_RUN = ("import sys\nSTARTED = 1\nprint(repr([sys.argv, sys.path[0], __name__, __package__, "
           "__spec__.name, __file__]))\n")


def test_a_module_runs_as_python_m_runs_it(tmp_path: Any) -> None:
    """``check -m tool`` (review r13 F5: a ``python -m pkg`` program could not be checked):
    ``tool/__main__.py`` sees the argv, ``sys.path[0]``, ``__name__``, ``__package__``,
    ``__spec__`` and ``__file__`` that ``python -m tool a b`` gives it."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "tool").mkdir()
    (tmp_path / "tool" / "__init__.py").write_text("")
    (tmp_path / "tool" / "__main__.py").write_text(_AS_RUN)
    (tmp_path / "hang").mkdir()
    env = {"PATH": os.environ.get("PATH", "")}
    plain = subprocess.run([sys.executable, "-m", "tool", "a", "b"], cwd=str(tmp_path),
                           capture_output=True, text=True, timeout=60, check=True, env=env)
    checked = subprocess.run(
        [sys.executable, "-I", str(root / "harness" / "guest" / "check_exec.py"), str(root),
         str(tmp_path), "-m tool", "spawn", '["a", "b"]', str(tmp_path / "hang"),
         str(tmp_path / "result.json")], cwd=str(tmp_path), capture_output=True, text=True,
        timeout=60, check=False, env=env)
    assert checked.stdout.splitlines()[:1] == plain.stdout.splitlines(), checked.stderr
    assert '"outcome": "ok"' in (tmp_path / "result.json").read_text()
