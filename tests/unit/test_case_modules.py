"""The catalog's modules (``cases/*.py``, data and helpers included) keep the house rule's
size: a category that outgrows it moves verbatim helpers to a ``cases/_*.py`` module or a case
to a module its category imports (issue #20), which changes no case id or code digest."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_report_script import MOST_LINES

CASES = Path(__file__).resolve().parents[2] / "cases"


def test_no_case_module_is_over_400_lines() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in sorted(CASES.glob("*.py"))}
    assert "claims.py" in sizes and "api.py" in sizes
    assert {name: n for name, n in sizes.items() if n > MOST_LINES} == {}


def test_no_harness_module_is_over_400_lines() -> None:
    """The same rule for the harness, guest code included (issue #20: "no module over ~400
    lines"); a module near it splits by what its parts do, as envprobe/noise/diffcell did."""
    root = CASES.parent / "harness"
    sizes = {str(p.relative_to(root)): len(p.read_text(encoding="utf-8").splitlines())
             for p in sorted(root.rglob("*.py"))}
    assert "cli.py" in sizes and "guest/catalog.py" in sizes
    assert {name: n for name, n in sizes.items() if n > MOST_LINES} == {}
