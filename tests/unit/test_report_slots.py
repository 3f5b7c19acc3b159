"""The report's slots (OS × Python): which have data, and why the others have none — a CI leg
without a file, an interpreter a local run did not have (`--not-run`), a rejected file."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Tuple

import pytest
import yaml

from harness import loading, merge, render, results, summary
from harness.documents import MatrixDoc
from harness.grid import OSES, TARGET, slots
from tests.unit.report_synth import results_doc
from tests.unit.test_report_scope import _matrix

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "matrix.yml"


def test_grid_covers_the_workflow_and_says_why_a_slot_has_no_data() -> None:
    """Every leg of the CI workflow is a grid slot; a missing one says why."""
    matrix = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["matrix"]["strategy"][
        "matrix"]
    legs = list(matrix["python"]) + [leg["python"] for leg in matrix.get("include", [])]
    grid = {(impl, minor, ft) for impl, minor, ft in TARGET}
    for leg in legs:
        assert results.session_identity(leg) in grid, leg
    by_key = {s.key: s for s in slots(_matrix(results_doc(version="3.12.1")))}
    assert by_key["linux-cpython-3.12"].envs == ("linux-cpython-3.12",)
    assert by_key["macos-cpython-3.12"].reason == "macOS runs only in CI (GitHub Actions)"
    # Nothing recorded why a local run has no 3.14: not guessed ("interpreter not found").
    assert by_key["linux-cpython-3.14"].reason == "no results file"


def _report_not_run(tmp_path: Path, *given: str) -> Tuple[MatrixDoc, Path]:
    """`harness report` of one Linux 3.12 file with ``--not-run`` each of ``given``: its
    matrix.json and its folder."""
    from harness import cli

    (tmp_path / "linux-cpython-3.12.json").write_text(json.dumps(results_doc(version="3.12.1")))
    out = tmp_path / "out"
    assert cli.main(["report", str(tmp_path), "-o", str(out),
                     *[word for pair in given for word in ("--not-run", pair)]]) == 0
    matrix: MatrixDoc = json.loads((out / "matrix.json").read_text())
    return matrix, out


def test_a_local_run_says_why_it_did_not_run_what_it_looked_for(tmp_path: Path) -> None:
    """`harness report --not-run ID=WHY` (what `nox -s report` passes for the interpreters it
    did not find): each such slot without data says "not run — why" on the page and in
    summary.md, one beyond the target grid (3.8) too; none becomes a column or counts as data,
    and an id that has data is not said to be not run."""
    matrix, out = _report_not_run(tmp_path, "linux-cpython-3.14=not found on this machine",
                                  "linux-cpython-3.8=found but broken: exit 1: boom",
                                  "linux-cpython-3.12=not found on this machine")
    assert matrix["not_run_environments"] == [
        {"id": "linux-cpython-3.8", "reason": "found but broken: exit 1: boom"},
        {"id": "linux-cpython-3.14", "reason": "not found on this machine"}]
    assert [e["id"] for e in matrix["environments"]] == ["linux-cpython-3.12"]
    by_key = {s.key: s for s in slots(matrix)}
    assert by_key["linux-cpython-3.14"].reason == "not run — not found on this machine"
    assert by_key["linux-cpython-3.8"].reason == "not run — found but broken: exit 1: boom"
    assert by_key["linux-cpython-3.15"].reason == "no results file"
    page = " ".join((out / "index.html").read_text().split())
    target = len(OSES) * len(TARGET)
    assert "Data from <strong>1</strong> environment in 1 of %d OS × Python slots: the %d this " \
        "project targets and 1 more this run looked for and did not run (Linux 3.8)." % (
            target + 1, target) in page
    assert "<strong>no data in this report</strong>: not run — not found on this machine;" in page
    assert "Linux 3.8: not run — found but broken: exit 1: boom" in page  # the gap's title
    md = (out / "summary.md").read_text()
    assert "Linux 3.8: not run — found but broken: exit 1: boom. Linux 3.14: not run — not " \
        "found on this machine." in md
    assert "Data from 1 environment in 1 of %d OS × Python slots: the %d this project targets " \
        "and 1 more this run looked for and did not run (Linux 3.8)." % (target + 1, target) \
        in md  # named: "2 more" left a reader to guess which (review r7 #9)


def test_a_patch_release_not_run_is_said_in_its_minor_versions_slot(tmp_path: Path) -> None:
    """`--not-run linux-cpython-3.14.2=WHY` (a patch release looked for) is said in the Linux
    3.14 slot, naming the release, on the page and in summary.md (it was stored and shown
    nowhere); one whose minor version has data is not said to be not run."""
    matrix, out = _report_not_run(tmp_path, "linux-cpython-3.14.2=not found (PATH)",
                                  "linux-cpython-3.15.0a5t=not found (PATH)",
                                  "linux-cpython-3.12.4=not found (PATH)")
    by_key = {s.key: s for s in slots(matrix)}
    assert by_key["linux-cpython-3.14"].reason == "not run — 3.14.2: not found (PATH)"
    assert by_key["linux-cpython-3.15t"].reason == "not run — 3.15.0a5: not found (PATH)"
    assert by_key["linux-cpython-3.12"].reason == ""
    assert len(slots(matrix)) == len(OSES) * len(TARGET)  # no slot of its own
    assert "Linux 3.14: not run — 3.14.2: not found (PATH)" in (out / "index.html").read_text()
    assert "Linux 3.14: not run — 3.14.2: not found (PATH)." in (out / "summary.md").read_text()


def test_a_release_not_run_whose_version_has_data_is_a_note_not_a_stored_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--not-run linux-cpython-3.12.4=WHY` while 3.12.1 has data: the data is what the slot
    shows, so the reason is not kept in matrix.json (it was stored and shown nowhere) and the
    command says why in one line (review r4)."""
    matrix, _out = _report_not_run(tmp_path, "linux-cpython-3.12.4=not found (PATH)",
                                   "linux-cpython-3.14=not found (PATH)")
    assert [e["id"] for e in matrix["not_run_environments"]] == ["linux-cpython-3.14"]
    assert "harness: note: --not-run linux-cpython-3.12.4: this report has data for " \
        "linux-cpython-3.12: that is shown, not the reason\n" in capsys.readouterr().err


def test_a_slot_whose_file_was_rejected_says_so_top_and_bottom(tmp_path: Path) -> None:
    """A rejected file is the reason its slot has no data (never a guessed one); the line under
    the title and summary.md's top count the rejected files, named without the builder's
    folders (the list is further down)."""
    good = tmp_path / "linux-cpython-3.12.json"
    good.write_text(json.dumps(results_doc(version="3.12.1")), encoding="utf-8")
    (tmp_path / "linux-cpython-3.16.json").write_text('{"harness": {', encoding="utf-8")
    (tmp_path / "odd name.json").write_text("[]", encoding="utf-8")
    loaded, rejected = loading.load_results(sorted(str(p) for p in tmp_path.glob("*.json")))
    matrix = merge.merge(loaded, rejected, now=NOW)
    by_key = {s.key: s for s in slots(matrix)}
    assert by_key["linux-cpython-3.16"].reason.startswith(
        "its results file was rejected (linux-cpython-3.16.json: not valid JSON")
    assert by_key["linux-cpython-3.15"].reason == "no results file"
    page = render.render_html(matrix)
    scope = page.split('id="scope">', 1)[1].split("</p>", 1)[0]
    assert '<a href="#rejected"><strong>2 input files rejected</strong></a>' in scope
    assert str(tmp_path) not in page and "<code>linux-cpython-3.16.json</code>" in page
    md = summary.render_summary(matrix)
    top = md.split("## Answers", 1)[0]
    assert "**2 input files rejected**" in top and "linux-cpython-3.16.json, odd name.json" in top
    assert str(tmp_path) not in md


def test_the_scope_line_counts_slots_beyond_the_target_apart() -> None:
    """CPython 3.8 is not in the target grid: the scope line does not say the project targets
    it (it said "1 of the 37 OS × Python slots this project targets")."""
    target = len(OSES) * len(TARGET)
    html = " ".join(render.render_html(_matrix(results_doc(version="3.8.18"))).split())
    assert "in 1 of %d OS × Python slots: the %d this project targets and 1 more that these " \
        "results hold (Linux 3.8)." % (target + 1, target) in html
    html = " ".join(render.render_html(_matrix(results_doc(version="3.12.1"))).split())
    assert "in 1 of %d OS × Python slots this project targets." % target in html


def test_expected_columns_without_data_are_not_counted_as_data() -> None:
    """Two CI legs that produced nothing are columns, not environments with data (review r15:
    "Data from 3 environments (1 of 36 … slots)")."""
    docs = [loading.Loaded.from_doc("f.json", results_doc(version="3.12.1"))]
    matrix = merge.merge(docs, now=NOW, expected_environments=[
        "linux-cpython-3.13", "linux-cpython-3.14"])
    page = render.render_html(matrix)
    scope = page.split('id="scope">', 1)[1].split("</p>", 1)[0]
    assert scope.startswith("<strong>Measured here</strong>: Linux — CPython 3.12. "), scope
    counts = page.split('<section id="summary">', 1)[1].split("</p>", 1)[0]
    assert "Data from <strong>1</strong> environment in 1 of " in counts, counts
    assert "Data from 1 environment in 1 of " in summary.render_summary(matrix)


def test_an_expected_leg_without_data_does_not_say_the_leg_produced_nothing() -> None:
    """A leg whose check (verify-leg) withheld its file did produce one: the slot says no file
    reached the report and both ways that happens, in its slot and on the page."""
    docs = [loading.Loaded.from_doc("f.json", results_doc(version="3.12.1"))]
    matrix = merge.merge(docs, now=NOW, expected_environments=["linux-cpython-3.13"])
    said = "expected, but no results file reached the report (its CI leg failed before " \
        "writing it, or its leg check withheld it: see the leg's log)"
    assert {s.key: s for s in slots(matrix)}["linux-cpython-3.13"].reason == said
    assert "Linux 3.13: %s" % said.replace("'", "&#39;") in render.render_html(matrix)
