"""The report page's weight: what is said once per cell, bar or link is not said again (CI's page
of 36 environments × 117 cases was 5.4 MB, most of it names repeated on its 12,636 cells)."""

from __future__ import annotations

import json
import re

from harness import cellview, model, render
from harness.results import HANG_QUOTE, NO_RESULT
from tests.unit.report_synth import cell, matrix_cell, results_doc
from tests.unit.test_report_render import _big, _matrix, _perf_doc


def test_a_matrix_cell_does_not_repeat_its_row_and_column() -> None:
    """A cell's case is its row's, its environment and method its column's; a cell as the docs
    say carries no verdict, one that returned no outcome, and none has an end tag: an ok cell
    is ``<td>ok``, 6 bytes (29 with ``data-outcome="ok"`` and ``</td>``; each cell weighed ~190
    bytes when it named its case, environment, method and verdict)."""
    envs, cases = 30, 100
    html = render.render_html(_big(envs, cases))
    table = html[html.index('<table id="matrix"'):]
    table = table[:table.index("</table>")]
    body = table[table.index("</thead>"):]
    rows = re.findall(r'<tr class="case-row".*?</tr>', body, re.S)
    assert len(rows) == cases
    cells = [td for r in rows
             for td in re.findall(r'<td(?: data-outcome[^>]*)?>.*?(?=<td|</tr>)', r)]
    assert len(cells) == envs * cases * 3
    per_cell = len("".join(cells).encode("utf-8")) / len(cells)
    assert per_cell < 15 and "</td>" not in "".join(rows), per_cell


def test_a_bar_says_its_value_once() -> None:
    """A bar of a chart is labelled beside it; no tooltip repeats the label (CI: 2,300 bars,
    180 KB of tooltips). The values table below the chart says them again, for reading."""
    html = render.render_html(_matrix(_perf_doc("3.12.0"), _perf_doc("3.13.0")))
    section = html.split('id="performance"')[1].split('id="cases"')[0]
    bars = [svg for svg in re.findall(r"<svg.*?</svg>", section, re.S) if "<circle" not in svg]
    assert bars and all(re.search(r'<g class="val"><text [^>]*>fork \d', svg) for svg in bars)
    assert [svg.count("<title>") for svg in bars] == [1] * len(bars)  # the chart's own


def test_a_chart_says_its_colours_and_classes_once() -> None:
    """A bar chart's bars of one method are one path in its colour, its whiskers one path, its
    labels' class said on their group (CI's 27 charts said a colour and a class per bar: SVG
    544 kB of the page's 3.1 MB)."""
    html = render.render_html(_matrix(_perf_doc("3.12.0"), _perf_doc("3.13.0")))
    section = html.split('id="performance"')[1].split('id="cases"')[0]
    bars = [svg for svg in re.findall(r"<svg.*?</svg>", section, re.S) if 'class="whisk"' in svg]
    assert bars
    for svg in bars:
        fills = re.findall(r'fill="(#[0-9a-f]+)"', svg)
        assert len(fills) == len(set(fills)), fills
        assert svg.count('class="whisk"') == 1 and svg.count('class="val"') == 1, svg[:300]
        assert '<rect' not in svg


def test_a_cell_in_the_panel_data_is_its_behaviour_alone() -> None:
    """The panel's data for a cell that neither hung nor warned is its behaviour's index (CI's
    page held [index, wall time, warnings] for all 12,636, wall times the panel never shows)."""
    html = render.render_html(_big(3, 4))
    start = html.index('<script type="application/json" id="cell-data">')
    data = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])
    entries = [e for k, v in data.items() if not k.startswith("~") for e in v["c"]]
    assert len(entries) == 3 * 4 * 3 and all(isinstance(e, int) for e in entries), entries[:3]


def test_a_hang_says_in_its_tooltip_only_what_the_legend_does_not() -> None:
    """A hang that quotes nothing has no tooltip (the legend says "killed after the hard
    timeout"; CI's page repeated that on 516 cells); one that quotes where it hung, or one
    whose case returned but whose interpreter did not exit, keeps it."""
    killed = NO_RESULT + "; process tree killed"
    details = [killed, killed + HANG_QUOTE + "waiting for the lock",
               "the case returned but the interpreter did not exit; process tree killed"]
    lookup = {("e", m): matrix_cell("c.a", m, outcome="timeout", wall_s=15.0, detail=d)
              for m, d in zip(("fork", "forkserver", "spawn"), details)}
    titles = [c.title for c in cellview.row_cells(
        "c.a", ["e"], ["fork", "forkserver", "spawn"], lookup, [])]
    assert titles == ["", details[1], details[2]]


def test_a_group_names_an_os_once_where_all_its_environments_are() -> None:
    """A case section's group lists its environments, an OS whose every environment is in it
    said once: "Linux (all 2), macOS 3.12" (CI's sections listed "Linux 3.9, Linux 3.10, …"
    24 names a line); an OS only partly there keeps its names."""
    legs = [("linux", v) for v in ("3.12.1", "3.13.1")] + [
        ("macos", v) for v in ("3.12.1", "3.13.1", "3.14.1", "3.15.1")]
    docs = [results_doc(version=v, os_name=o, methods=("spawn",), observe=lambda c, m, o=o, v=v:
                        cell(c, m, observed=1 if o == "linux" or v == "3.12.1" else 2))
            for o, v in legs]
    ((_category, (case,)),) = model.build(_matrix(*docs)).categories
    assert sorted(g.where for g in case.groups) == [
        "spawn: Linux (all 2), macOS 3.12", "spawn: macOS 3.13, macOS 3.14, macOS 3.15"]


def test_a_values_table_names_an_environment_once_and_a_bar_chart_has_no_x() -> None:
    """Below a chart, its values table names each environment once, a row header over its
    methods' rows (CI: 2,900 rows each naming it), and a bar chart's table has no empty "x"
    column; every value is still there, beside its environment and method."""
    html = render.render_html(_matrix(_perf_doc("3.12.0"), _perf_doc("3.13.0")))
    section = html.split('id="performance"')[1].split('id="cases"')[0]
    tables = re.findall(r'<details class="later">.*?</details>', section, re.S)
    bar = [t for t in tables if '<th scope="col">x</th>' not in t]
    line = [t for t in tables if '<th scope="col">x</th>' in t]
    assert bar and line
    for table in bar:
        assert re.findall(r'<th scope="row" rowspan="3">([^<]*)</th>', table) == [
            "linux-cpython-3.12", "linux-cpython-3.13"]
        rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1])
        assert [re.findall(r"<td>([^<]*)</td>", r)[0] for r in rows] == [
            "fork", "forkserver", "spawn"] * 2
        assert all(len(re.findall(r"<td>", r)) == 2 for r in rows)  # method, value: no x
    assert any("parent_objects_mb=1000" in t for t in line)


def test_the_panel_data_says_a_cases_expectation_once() -> None:
    """A case's behaviours that share an expectation name it by index (CI's page said 179
    expectations 412 times); the JSON has no spaces after "," and ":"."""
    expected = {"outcome": "ok", "value": 1, "methods": ["*"]}
    observe = lambda c, m: cell(c, m, outcome="ok" if m == "fork" else "timeout",  # noqa: E731
                                expected=expected)
    html = render.render_html(_matrix(results_doc(cases=["deadlock.x"], observe=observe)))
    start = html.index('<script type="application/json" id="cell-data">')
    text = html[html.index(">", start) + 1:html.index("</script>", start)]
    data = json.loads(text)
    case = data["deadlock.x"]
    assert len(case["b"]) == 2 and [b["x"] for b in case["b"]] == [0, 0]
    assert len(case["e"]) == 1 and all("expected" not in b for b in case["b"])
    assert ", " not in text.replace('", "', "") and '": ' not in text


def test_an_error_cells_tooltip_is_its_message_not_its_type_again() -> None:
    """An error cell's text is its error's type; its tooltip adds the message alone (the 30 x
    100 page said the type twice on 1,100 cells); an error without a message has none."""
    errors = {"fork": {"type": "PicklingError", "message": "Can't pickle <lambda>"},
              "spawn": {"type": "OSError", "message": ""}}
    lookup = {("e", m): matrix_cell("c.a", m, outcome="error", error=e) for m, e in errors.items()}
    row = cellview.row_cells("c.a", ["e"], ["fork", "spawn"], lookup, [])
    assert [(c.text, c.title) for c in row] == [
        ("PicklingError", "Can't pickle <lambda>"), ("OSError", "")]
