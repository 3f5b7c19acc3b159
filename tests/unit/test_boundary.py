"""harness/boundary.py: the tree keeps the import rules, and each kind of break is caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import boundary

ROOT = Path(__file__).resolve().parents[2]


def test_the_tree_keeps_the_rules() -> None:
    """No guest, lean, report or cycle problem in the project as it is."""
    assert boundary.check(ROOT) == []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of harness/ and cases/ to break."""
    for name in ("harness", "cases"):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "schema"))
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")


@pytest.mark.parametrize(("file", "line", "problem"), [
    ("harness/guest/case_parent.py", "import dataclasses",
     "case_parent imports dataclasses: the case parent imports it before every case"),
    ("harness/guest/catalog.py", "from typing import Any",
     "catalog imports typing: the case parent imports it before every case"),
    ("harness/guest/probe.py", "import jinja2",
     "probe imports jinja2: guest code imports only the standard library"),
    ("harness/guest/measure.py", "def f():\n    from harness import merge",
     "measure imports harness.merge: guest code imports only guest code"),
    ("cases/methods.py", "from harness.runner import ROOT",
     "methods imports harness.runner: guest code imports only guest code"),
    ("cases/methods.py", "from typing import Any",
     "cases.methods imports typing: at run time"),
    ("cases/methods.py", "def f(x):\n    match x:\n        case 1:\n            pass",
     "cases/methods.py:"),
    ("harness/guest/check_exec.py", "from typing import Any",
     "check_exec imports typing: check's guest runs in the user's program (fork copies it)"),
    ("harness/guest/check_hang.py", "def f():\n    import typing",  # via check_watch
     "check_hang imports typing: check's guest runs in the user's program: not in "
     "boundary.CHECK_STDLIB (use ``if TYPE_CHECKING:``)"),
    ("harness/guest/check_frames.py", "import json",
     "check_frames imports json: check's guest runs in the user's program (fork copies it)"),
    ("harness/merge.py", "from harness import runner",
     "merge imports harness.runner: report code never imports run or guest code"),
    ("harness/render.py", "from harness.guest import catalog",
     "render imports harness.guest.catalog: report code never imports run or guest code"),
    ("harness/expect.py", "from harness import waiting",  # the page would load run code
     "expect imports harness.waiting: kernel code (shared by run and report) imports only "
     "kernel code, guest.words and guest._files"),
    ("harness/text.py", "def f():\n    from harness.guest import catalog",
     "text imports harness.guest.catalog: kernel code (shared by run and report)"),
    ("harness/results.py", "def f():\n    from harness import loading",
     "import cycle: harness.loading <-> harness.results"),
])
def test_a_broken_rule_is_named(tree: Path, file: str, line: str, problem: str) -> None:
    """Each break gives one line naming the file and the rule."""
    _append(tree / file, line)
    problems = boundary.check(tree)
    assert any(problem in p for p in problems), problems


def test_imports_for_the_type_checker_only_are_allowed(tree: Path) -> None:
    """``if TYPE_CHECKING:`` imports cost nothing at run time and make no cycle."""
    _append(tree / "harness/guest/case_parent.py",
            "if TYPE_CHECKING:\n    import dataclasses\n    from harness import merge")
    assert boundary.check(tree) == []


def test_a_module_in_no_room_is_named(tree: Path) -> None:
    """A new host module must be placed in a room."""
    (tree / "harness" / "newthing.py").write_text("import os\n", encoding="utf-8")
    assert any("harness.newthing is in no room" in p for p in boundary.check(tree))


def test_main_exits_1_and_prints_each_problem(tree: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The lint's exit status follows the problems found."""
    assert boundary.main([str(tree)]) == 0
    _append(tree / "harness/guest/case_parent.py", "import dataclasses")
    assert boundary.main([str(tree)]) == 1
    out = capsys.readouterr().out
    assert "case_parent.py" in out and out.rstrip().endswith("import boundary: 1 problem(s)")


def test_only_a_marked_import_of_the_users_own_package_passes(tree: Path) -> None:
    """A third-party import in guest code passes only with the marker that says it is the
    user's own package (``check --pytest`` runs the user's suite on their pytest)."""
    target = tree / "harness" / "guest" / "check_exec.py"
    _append(target, "def g():\n    import requests")
    assert any("imports requests" in p for p in boundary.check(tree))
    _append(target, "def h():\n    import attrs  " + boundary.USERS_OWN)
    assert not any("imports attrs" in p for p in boundary.check(tree))


def test_the_project_root_is_named_in_one_place() -> None:
    """``harness.results.ROOT``; five modules each derived it from their own path (review r2
    F15): a module moved into a package would have pointed at harness/."""
    spelled = [p.name for p in sorted((ROOT / "harness").rglob("*.py"))
               if "resolve().parent.parent" in p.read_text(encoding="utf-8")]
    assert spelled == ["results.py"]
