"""The report's words say what its data holds: a difference between CPython and PyPy is named
one between implementations (not platforms), the counts of environments and OS × Python slots
agree, a claim names where the docs say it is true, and a blank cell of the defaults table
says why."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict

from harness import loading, merge, model, render, summary
from tests.unit.report_synth import cell, results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)


def _matrix(*docs: Dict[str, Any], claims: Any = ()) -> Dict[str, Any]:
    return merge.merge([loading.Loaded.from_doc("f%d.json" % i, d) for i, d in enumerate(docs)],
                       now=NOW, claims=claims)


def _failing_on(impl: str, os_name: str) -> Any:
    def observe(case: str, method: str) -> Dict[str, Any]:
        if method == "spawn" and (impl, os_name) != ("cpython", "linux"):
            return cell(case, method, outcome="error",
                        error={"type": "PicklingError", "message": "m"})
        return cell(case, method)
    return observe


def _differs(*others: Any) -> Dict[str, str]:
    matrix = _matrix(results_doc(version="3.11.1", observe=_failing_on("cpython", "linux")),
                     *(results_doc(version="3.11.1", impl=impl, os_name=os_name,
                                   observe=_failing_on(impl, os_name)) for impl, os_name in others))
    (finding,) = model.build(matrix).findings
    return {"heading": finding.case.differs_between, "line": finding.case.differences[0],
            "html": render.render_html(matrix), "md": summary.render_summary(matrix)}


def test_cpython_against_pypy_differs_between_implementations_not_platforms() -> None:
    found = _differs(("pypy", "linux"))
    assert found["heading"] == "implementations"
    assert found["line"] == "3.11 spawn: Linux 3.11 ok 1; Linux PyPy 3.11 error PicklingError"
    assert "Differs between implementations at the same Python version:" in found["html"]
    assert "between platforms" not in found["html"].lower()
    assert "differs between implementations at 3.11 spawn: Linux 3.11 ok 1" in found["md"]


def test_linux_against_macos_differs_between_operating_systems() -> None:
    assert _differs(("cpython", "macos"))["heading"] == "operating systems"
    assert _differs(("cpython", "macos"), ("pypy", "linux"))["heading"] == (
        "operating systems or implementations")
