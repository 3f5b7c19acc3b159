"""noxfile.py: `nox -s matrix` runs every interpreter the machine has, the Debian root's too."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import List

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def noxfile() -> ModuleType:
    pytest.importorskip("nox")
    spec = importlib.util.spec_from_file_location("_noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("argv", "whole"), [
    ([], True),                                    # plain `nox`: the default tag
    (["-s", "matrix"], True),
    (["--session", "matrix", "--", "-k", "methods"], True),  # pytest's -k is not nox's
    (["-s", "matrix", "report"], True),
    (["-e", "matrix"], True),
    (["-s", "matrix-3.12"], False),
    (["-s", "matrix", "-p", "3.12"], False),
    (["-k", "3.12"], False),
    (["-s", "tests"], False),
    (["-t", "matrix"], True),                      # root sessions are queued by the tag already
])
def test_whole_matrix_follows_the_command_line(noxfile: ModuleType, argv: List[str],
                                               whole: bool) -> None:
    """Only a selection of the whole `matrix` session adds the root's interpreters."""
    assert noxfile.whole_matrix(argv) is whole


def test_the_root_sessions_exist(noxfile: ModuleType) -> None:
    """Every root interpreter the matrix session notifies is a session nox knows."""
    assert noxfile.ROOT_PYTHONS
    assert all(isinstance(v, str) for v in noxfile.ROOT_PYTHONS)
    assert "matrix" in sys.modules["nox"].registry.get()
    assert "matrix_root" in sys.modules["nox"].registry.get()
