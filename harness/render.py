"""Turn a matrix document into the report files: ``index.html`` (jinja2, autoescaped) and the
JSON beside it. ``render_html`` is pure; ``write_report`` is the only part that writes files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import jinja2

from harness import results
from harness.vocab import START_METHODS

__all__ = ["render_html", "write_report"]

TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Symbols that carry a status without colour.
SYMBOLS = {"as-expected": "✓", "unexpected": "✗", "timeout": "⏱", "crash": "💥",
           "unavailable": "–", "not-run": "·", "flaky": "≈", "no-expectation": "?"}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_compact"] = lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False)
    return env


def render_html(matrix: Dict[str, Any]) -> str:
    """The self-contained report page for a matrix document."""
    cells = {(c["case"], c["environment"], c["method"]): c for c in matrix["results"]}
    return _environment().get_template("index.html.j2").render(
        matrix=matrix, cells=cells, methods=START_METHODS, symbols=SYMBOLS)


def write_report(matrix: Dict[str, Any], out_dir: Path) -> None:
    """Write ``matrix.json``, ``index.html`` and the JSON Schema into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results.atomic_write_json(out_dir / "matrix.json", matrix)
    results.atomic_write_json(out_dir / "results.schema.json", results.load_schema())
    html = render_html(matrix)
    tmp = out_dir / ".index.html.part"
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out_dir / "index.html")
