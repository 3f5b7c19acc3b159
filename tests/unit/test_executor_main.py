"""The executor's main module stays a stub: spawn and forkserver children run the parent's main
module again from source (forkserver before 3.13.8/3.14.1, gh-98552), so whatever it holds is
paid again by every child a case starts (it distorted ``performance.start_latency``)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, Set

ROOT = Path(__file__).resolve().parents[2]
EXECUTOR = ROOT / "harness" / "guest" / "executor.py"


def test_the_main_module_does_nothing_unless_it_is_main() -> None:
    tree = ast.parse(EXECUTOR.read_text(encoding="utf-8"))
    body = [node for node in tree.body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert len(body) == 1 and isinstance(body[0], ast.If), ast.dump(tree)
    assert ast.unparse(body[0].test) == "__name__ == '__main__'"


def test_a_child_running_it_again_imports_nothing(tmp_path: Path) -> None:
    """What a spawn/forkserver child does with the parent's main module
    (``runpy.run_path(path, run_name="__mp_main__")``) imports no harness module."""
    code = ("import runpy, sys; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
            "print(sorted(m for m in sys.modules if m.startswith(('harness', 'cases'))))")
    proc = subprocess.run([sys.executable, "-I", "-c", code, str(EXECUTOR), str(ROOT)],
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_case_runs_through_it(tmp_path: Path) -> None:
    """The stub hands over to ``harness.guest.case_parent``: a case runs and a spawn child (which
    ran the stub again) answers. Only the value's shape is checked: what spawn passes in
    sys.argv is undocumented (the catalog has no rule), so the harness test does not assert it."""
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, "-I", str(EXECUTOR), str(ROOT), "inheritance.sys_argv",
                           "spawn", str(out)], cwd=str(tmp_path), capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["outcome"] == "ok", result
    observed = result["observed"]
    assert set(observed) == {"has_appended", "same_as_parent"}
    assert all(isinstance(v, bool) for v in observed.values())


def test_wrong_arguments_print_the_usage(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-I", str(EXECUTOR), str(ROOT)], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: executor.py PROJECT_ROOT CASE_ID METHOD RESULT_PATH")


def test_each_category_module_alone_registers_every_case_of_its_category() -> None:
    """Review r18: a case the executor does not find is the harness's error (``UnknownCase``),
    which makes the run partial; it imports only ``category_module(case)``, in a fresh
    interpreter, so a case module its category's module does not import would be one in every
    run. Each category in a process of its own, as the executor does."""
    from harness.guest import catalog
    from harness.guest.case_parent import category_module

    by_module: Dict[str, Set[str]] = {}
    for case in catalog.whole(ROOT / "cases"):
        by_module.setdefault(category_module(case.id), set()).add(case.id)
    code = ("import importlib, sys; sys.path.insert(0, sys.argv[1]); "
            "importlib.import_module(sys.argv[2]); from harness.guest import catalog; "
            "print(' '.join(c.id for c in catalog.all_cases()))")
    for module, ids in sorted(by_module.items()):
        proc = subprocess.run([sys.executable, "-I", "-c", code, str(ROOT), module],
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 0, (module, proc.stderr)
        assert ids <= set(proc.stdout.split()), (module, sorted(ids - set(proc.stdout.split())))


def test_a_case_it_does_not_know_is_the_harness_error_naming_the_module(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, "-I", str(EXECUTOR), str(ROOT), "methods.no_such",
                           "spawn", str(out)], cwd=str(tmp_path), capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["error"] == {
        "type": "UnknownCase", "where": "harness", "message": "methods.no_such: not registered "
        "by cases.methods, the one module the executor imports (it must import the category's "
        "other modules)"}
