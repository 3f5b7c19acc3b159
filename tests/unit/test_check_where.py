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


#: Frames' files, and whether each is the user's own code (a frame under site-packages is,
#: the standard library's is not, though an install's folder may end in "-packages").
_PATHS = {"/proj/jobs.py": True,
          "/usr/lib/python3.12/site-packages/dep/x.py": True,
          "/usr/lib/python3.12/multiprocessing/process.py": False,
          "/opt/tool-packages/lib/python3.12/multiprocessing/process.py": False,
          "/usr/lib/pypy3.9/threading.py": False,
          "<frozen runpy>": False}


def test_a_traceback_and_a_stack_dump_pick_the_same_frames_as_the_users() -> None:
    """One rule of which frames are the user's for a child's traceback (``stderr_frames``) and
    for a collection hang's stack dump (``check_collect.dump_frames``, which leaves pytest's
    out too): they differed on a standard library installed under a "-packages" folder."""
    from harness import check_collect
    from harness.check_where import stderr_frames

    traceback = "Traceback (most recent call last):\n" + "".join(
        '  File "%s", line 1, in f\n    x()\n' % path for path in _PATHS) + "ValueError: x\n"
    dump = "Current thread 0x00007f (most recent call first):\n" + "".join(
        '  File "%s", line 1 in f\n' % path for path in
        [*_PATHS, "/usr/lib/python3.12/site-packages/_pytest/main.py"])
    users = [path for path, mine in _PATHS.items() if mine]
    assert [f["file"] for f in stderr_frames(traceback)] == users
    assert [f.partition(":")[0] for f in check_collect.dump_frames(dump)[0]] == users
