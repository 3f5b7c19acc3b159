"""Where an error or a cause was seen (``check_where.cells_text``): every cell said, briefly
(the README: "that list says each distinct error once, whole")."""

from __future__ import annotations

from harness.check_where import cells_text

_METHODS = ("fork", "forkserver", "spawn")


def test_a_list_of_cells_is_whole_and_grouped_by_interpreter() -> None:
    """Fifteen cells (five interpreters, every method) stopped after six with a bare '…'."""
    interps = ["3.8", "3.9", "3.10", "3.11", "3.12"]
    cells = ["%s[%s]" % (i, m) for i in interps for m in _METHODS]
    assert cells_text(cells) == "every method on 3.8, 3.9, 3.10, 3.11 and 3.12"
    mixed = ["3.8[fork]", "3.8[spawn]", "3.9[fork]", "3.9[spawn]", "3.13 (root)[spawn]"]
    assert cells_text(mixed) == "fork/spawn on 3.8 and 3.9; spawn on 3.13 (root)"
    assert cells_text(["3.12[spawn]", "3.12[fork]"]) == "fork/spawn on 3.12"  # table order
    assert cells_text(["3.12[fork]"]) == cells_text(["3.12[fork]", "3.12[fork]"]) == "3.12[fork]"
    assert cells_text(["3.8", "3.9"]) == "3.8 and 3.9"  # interpreters alone


def test_past_the_most_groups_the_rest_is_counted() -> None:
    """Only when the grouped list is still long is it cut, saying how many cells are left."""
    sets = [("fork",), ("forkserver",), ("spawn",), ("fork", "forkserver"), ("fork", "spawn"),
            ("forkserver", "spawn"), _METHODS]
    cells = ["3.%d[%s]" % (8 + n, m) for n, methods in enumerate(sets) for m in methods]
    assert cells_text(cells, most=7).endswith("; every method on 3.14")
    assert cells_text(cells, most=6) == (
        "fork on 3.8; forkserver on 3.9; spawn on 3.10; fork/forkserver on 3.11; fork/spawn on "
        "3.12; forkserver/spawn on 3.13 … and 3 more (--json lists them)")
