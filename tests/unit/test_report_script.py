"""The page's script: its parts (one template file per feature) joined by render.py into the
page's one inline script."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from harness import render
from tests.unit.report_synth import results_doc
from tests.unit.test_report_render import _matrix

#: The house rule's module size, for the script's parts too.
MOST_LINES = 400


def test_no_script_part_is_over_400_lines() -> None:
    """Each script file of the templates is a module of at most 400 lines."""
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in sorted(render.TEMPLATES.glob("*.js"))}
    assert sizes
    assert {name: n for name, n in sizes.items() if n > MOST_LINES} == {}


def test_the_script_parts_are_the_script_files_of_the_templates() -> None:
    """render.py joins every script file of the templates, each once: a file it forgot would
    be left out of the page silently."""
    assert sorted(render.SCRIPT_PARTS) == sorted(p.name for p in render.TEMPLATES.glob("*.js"))
    assert len(set(render.SCRIPT_PARTS)) == len(render.SCRIPT_PARTS)


def test_the_page_runs_the_parts_in_order_as_its_one_script() -> None:
    """The page's inline script holds each part whole, in SCRIPT_PARTS order, and is the one
    the CSP's hash allows."""
    html = render.render_html(_matrix(results_doc()))
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1
    at = [scripts[0].index((render.TEMPLATES / name).read_text(encoding="utf-8"))
          for name in render.SCRIPT_PARTS]
    assert at == sorted(at)
    assert render.script_hash(scripts[0]) in html


def test_a_part_holding_an_end_tag_is_refused(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """'</' in any part would end the inline script early: rendering refuses it."""
    templates = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, templates)
    last = templates / render.SCRIPT_PARTS[-1]
    last.write_text(last.read_text(encoding="utf-8") + 'var s = "</script>";\n',
                    encoding="utf-8")
    monkeypatch.setattr(render, "TEMPLATES", templates)
    with pytest.raises(ValueError, match="must not contain"):
        render.render_html(_matrix(results_doc()))
