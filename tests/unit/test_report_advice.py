"""What to do when the default moved off fork: one Answers line under the defaults, each step
linked to the docs that state it and to the cases the report holds that show it (review r16
#2: nothing on the page said what to do)."""

from __future__ import annotations

from datetime import datetime, timezone

from harness import advice, loading, merge, model, render, summary
from harness.documents import MatrixDoc
from harness.guest import docs
from tests.unit.report_synth import results_doc

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
GUARD = "inheritance.missing_main_guard"


def _matrix(*versions: str) -> MatrixDoc:
    docs_ = [results_doc(version=v, cases=("methods.a", GUARD),
                         default="forkserver" if v.startswith("3.14") else "fork")
             for v in versions]
    return merge.merge([loading.Loaded.from_doc("f%d.json" % i, d)
                        for i, d in enumerate(docs_)], now=NOW)


def test_a_move_off_fork_gets_the_line_with_its_docs_and_cases() -> None:
    matrix = _matrix("3.13.0", "3.14.1")
    page = render.render_html(matrix)
    assert "<strong>If Linux 3.14 broke your code</strong>" in page
    for url in (docs.CONTEXTS, docs.GUIDE_SPAWN, docs.PROCESS_POOL, docs.OS_FORK):
        assert 'href="%s"' % url in page
    assert 'get_context(&#34;fork&#34;)' in page  # escaped, as every text
    # a case the report holds is linked; one it does not hold is not named
    assert 'href="#case-%s"' % GUARD in page
    assert "#case-pickling.closure_argument" not in page
    text = summary.render_summary(matrix)
    assert "**If Linux 3.14 broke your code**: [make targets and their arguments picklable](%s)" \
        " and [guard" % docs.GUIDE_SPAWN in text
    # fork's limits, each from its own docs: POSIX only and unsafe on macOS (Contexts and start
    # methods, bpo-33725), the warning with threads (os.fork); "not on Windows" implied macOS
    # was fine (review r18)
    assert "[POSIX only, and unsafe on macOS (its libraries may start threads)](%s)" \
        % docs.CONTEXTS in text
    assert "[it warns (DeprecationWarning) while other threads run](%s)" % docs.OS_FORK in text


def test_no_move_off_fork_no_line() -> None:
    matrix = _matrix("3.12.1", "3.13.0")
    assert advice.advice(model.build(matrix).defaults, set()) is None
    assert "broke your code" not in render.render_html(matrix)
    assert "broke your code" not in summary.render_summary(matrix)
