"""Merging: why a cell no run has did not run — a --quick run's left-out categories, a
selection's cells (-k, -m, --methods), and which run's reason a merged column says."""

from __future__ import annotations

import jsonschema

from harness import results
from tests.unit.report_synth import case_doc, results_doc
from tests.unit.test_merge import _cell, _merge


def test_a_quick_run_labels_the_performance_cells_it_left_out() -> None:
    """--quick: the left-out category reads "not run (quick)" in the matrix, "not run
    (--quick)" on the page; a
    case missing for another reason stays plainly "not run"."""
    full = results_doc(version="3.12.1", cases=["methods.a", "performance.p", "methods.b"])
    # Its catalog is every case, as a real --quick run's (the cases it left out too).
    quick = results_doc(version="3.13.0", cases=["methods.a"],
                        case_docs=full["harness"]["cases"])
    quick["harness"]["environment"]["left_out"] = {"performance": "quick"}
    jsonschema.validate(quick, results.load_schema())
    m = _merge(full, quick)
    left = _cell(m, "performance.p", "linux-cpython-3.13", "spawn")
    assert left["status"] == "not-run" and left["detail"] == "not run (quick)"
    assert _cell(m, "methods.b", "linux-cpython-3.13", "spawn")["detail"] is None
    assert _cell(m, "performance.p", "linux-cpython-3.12", "spawn")["outcome"] == "ok"
    jsonschema.validate(m, results.load_schema("matrix.schema.json"))
    from harness import render

    page = render.render_html(m)
    # the page spells the flag as the reader typed it, as its claims and counts do (review r16)
    assert "not run (--quick)" in page and "not run (quick)" not in page
    del quick["harness"]["environment"]["left_out"]
    assert "not run (--quick)" not in render.render_html(_merge(full, quick))


def test_a_quick_run_with_a_selection_labels_each_cell_by_its_own_reason() -> None:
    """--quick with -k: a performance cell the selection left out reads "not selected" (it
    would not have run without --quick either); only one the selection kept reads "quick"."""
    full = results_doc(version="3.12.1", cases=["methods.a", "performance.p", "performance.q"])
    narrow = results_doc(version="3.13.0", cases=["methods.a"],
                         case_docs=full["harness"]["cases"])  # the whole catalog, as a real run's
    narrow["harness"]["environment"]["left_out"] = {"performance": "quick"}
    narrow["harness"]["environment"]["not_selected"] = {
        "by": "-k 'a or q'", "cells": ["performance.p[%s]" % m for m in
                                       ("fork", "spawn", "forkserver")]}
    jsonschema.validate(narrow, results.load_schema())
    m = _merge(full, narrow)
    for method in ("fork", "spawn", "forkserver"):
        assert _cell(m, "performance.p", "linux-cpython-3.13", method)["detail"] == \
            "not run (not selected: -k 'a or q')"
        assert _cell(m, "performance.q", "linux-cpython-3.13", method)["detail"] == \
            "not run (quick)"


def test_a_case_a_selection_named_in_part_keeps_the_cells_quick_dropped() -> None:
    """--quick --methods fork: a performance case of fork and spawn has its spawn cell named
    by the selection and its fork cell dropped by --quick (named nowhere): both are its cells,
    each with its own reason (the catalog entry's methods, format 1.3, say the fork one)."""
    doc = results_doc(version="3.12.1", cases=["methods.a"])
    doc["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    doc["harness"]["environment"]["left_out"] = {"performance": "quick"}
    doc["harness"]["environment"]["not_selected"] = {"by": "--methods fork",
                                                     "cells": ["performance.two[spawn]"]}
    doc["harness"]["cases"].append(case_doc("performance.two", methods=["fork", "spawn"]))
    jsonschema.validate(doc, results.load_schema())
    m = _merge(doc)
    assert m["case_methods"]["performance.two"] == ["fork", "spawn"]
    assert [(c["method"], c["detail"]) for c in m["results"] if c["case"] ==
            "performance.two"] == [("fork", "not run (quick)"),
                                   ("spawn", "not run (not selected: --methods fork)")]


def test_a_case_no_run_ran_gets_cells_for_its_own_methods_only() -> None:
    """--quick everywhere: a performance case that runs under spawn alone (its catalog entry
    says so, format 1.3) gets one "not run (quick)" cell, not three (two were made up); a file
    without the entry's methods still gets all three."""
    doc = results_doc(version="3.12.1", cases=["methods.a"])
    doc["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    doc["harness"]["environment"]["left_out"] = {"performance": "quick"}
    entry = case_doc("performance.spawn_only")
    doc["harness"]["cases"].append(case_doc("performance.spawn_only", methods=["spawn"]))
    jsonschema.validate(doc, results.load_schema())
    m = _merge(doc)
    cells = [c for c in m["results"] if c["case"] == "performance.spawn_only"]
    assert [(c["method"], c["detail"]) for c in cells] == [("spawn", "not run (quick)")]
    assert m["case_methods"]["performance.spawn_only"] == ["spawn"]
    assert all("methods" not in case for case in m["cases"])
    jsonschema.validate(m, results.load_schema("matrix.schema.json"))
    doc["harness"]["cases"][-1] = entry  # an older file: no methods named
    assert len([c for c in _merge(doc)["results"] if c["case"] == "performance.spawn_only"]) == 3


def test_cells_a_selection_left_out_say_so() -> None:
    """-k/-m: the cells the selection left out read "not run (not selected: -k …)"; a cell
    missing for no recorded reason stays plainly "not run"."""
    full = results_doc(version="3.12.1", cases=["methods.a", "methods.b", "methods.c"])
    narrow = results_doc(version="3.13.0", cases=["methods.a"],
                         case_docs=full["harness"]["cases"])  # the whole catalog, as a real run's
    narrow["harness"]["environment"]["not_selected"] = {
        "by": "-k 'methods.a'", "cells": ["methods.b[fork]", "methods.b[spawn]"]}
    narrow["harness"]["schema_version"] = results.written_version(results.RESULTS_SCHEMA)
    jsonschema.validate(narrow, results.load_schema())
    m = _merge(full, narrow)
    for method in ("fork", "spawn"):
        cell = _cell(m, "methods.b", "linux-cpython-3.13", method)
        assert cell["status"] == "not-run"
        assert cell["detail"] == "not run (not selected: -k 'methods.a')"
    assert _cell(m, "methods.b", "linux-cpython-3.13", "forkserver")["detail"] is None
    assert _cell(m, "methods.c", "linux-cpython-3.13", "fork")["detail"] is None
    jsonschema.validate(m, results.load_schema("matrix.schema.json"))
    assert all("not_selected" not in env for env in m["environments"])  # the cells say it
    other = results_doc(version="3.13.0", cases=["methods.b"], methods=("spawn",))
    other["harness"]["environment"]["not_selected"] = {"by": "-k b", "cells": ["methods.c[fork]"]}
    both = _merge(full, narrow, other)  # every run of a column labels the cells it left out
    assert _cell(both, "methods.c", "linux-cpython-3.13", "fork")["detail"] == \
        "not run (not selected: -k b)"
    assert _cell(both, "methods.b", "linux-cpython-3.13", "fork")["detail"] == \
        "not run (not selected: -k 'methods.a')"


def test_methods_a_case_never_ran_are_not_filled() -> None:
    """Only the methods a case ran under somewhere get not-run cells."""
    m = _merge(results_doc(cases=["methods.a"], methods=("spawn",)),
               results_doc(version="3.13.0", cases=["methods.a"], methods=("spawn",)))
    assert {c["method"] for c in m["results"]} == {"spawn"}
    assert m["case_methods"] == {"methods.a": ["spawn"]}


def test_the_methods_a_selection_left_out_everywhere_stay_in_the_matrix() -> None:
    """-k 'fork' ran methods.a under fork only, everywhere: its spawn cell (named by the
    selection) reads "not run (not selected: …)" instead of leaving the matrix. A case the
    selection left out everywhere gets the cells it named (spawn only for methods.z), never
    three phantom ones."""
    doc = results_doc(cases=["methods.a"], methods=("fork",),
                      case_docs=[case_doc("methods.a"), case_doc("methods.z")])
    doc["harness"]["environment"]["not_selected"] = {"by": "-k fork", "cells": [
        "methods.a[spawn]", "methods.z[spawn]"]}
    m = _merge(doc)
    assert [(c["case"], c["method"], c["detail"]) for c in m["results"]] == [
        ("methods.a", "fork", ""), ("methods.a", "spawn", "not run (not selected: -k fork)"),
        ("methods.z", "spawn", "not run (not selected: -k fork)")]
    assert m["case_methods"] == {"methods.a": ["fork", "spawn"], "methods.z": ["spawn"]}
    jsonschema.validate(m, results.load_schema("matrix.schema.json"))


def test_a_cell_no_run_has_takes_the_reason_of_a_run_that_selected_it() -> None:
    """A full --quick run merged with a -k rerun: the performance cells are missing from both,
    and --quick (the run that selected them) is why, not the rerun's -k (review r2: "-k
    'pickling and lambda' left 25 cells out" for cells --quick dropped)."""
    quick = results_doc(version="3.12.1", cases=["methods.a", "methods.b"])
    quick["harness"]["environment"]["left_out"] = {"performance": "quick"}
    quick["harness"]["cases"].append(case_doc("performance.p"))
    rerun = results_doc(version="3.12.1", cases=["methods.a"],
                        timestamp="2026-01-02T00:00:00+00:00")
    rerun["harness"]["cases"] += [case_doc("methods.b"), case_doc("performance.p")]
    rerun["harness"]["environment"]["not_selected"] = {"by": "-k 'a'", "cells": [
        "%s[%s]" % (c, m) for c in ("methods.b", "performance.p")
        for m in ("fork", "spawn", "forkserver")]}
    m = _merge(quick, rerun)
    assert _cell(m, "performance.p", "linux-cpython-3.12", "spawn")["detail"] == \
        "not run (quick)"
    # a cell every run's selection left out is "not selected"; one a run ran has its data
    assert _cell(m, "methods.b", "linux-cpython-3.12", "spawn")["outcome"] == "ok"
    alone = _merge(rerun)
    assert _cell(alone, "performance.p", "linux-cpython-3.12", "spawn")["detail"] == \
        "not run (not selected: -k 'a')"
