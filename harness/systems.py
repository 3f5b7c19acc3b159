"""A change line whose two versions ran on different systems (3.13 on the host, 3.14 in the
Debian root): which system each ran on, said once in the Answers' folded note, and doubt only
on the changes the cases' documented expectations do not predict (review r16 #6: "measured on
another Linux system, so some changes may not be Python's" hedged the very change a 3.14 user
came for, which the docs state). Pure functions over ``history.Change`` and ``matrix.json``.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from harness import history
from harness.casetext import inferred
from harness.documents import MatrixDoc, cells_by_key
from harness.guest.words import AS_EXPECTED, OS_NAMES
from harness.results import version_label

__all__ = ["moved_words", "predicted"]


def predicted(matrix: Optional[MatrixDoc], change: history.Change) -> bool:
    """The docs predict the change: under each of its methods the newer cell behaves as its
    case's documented expectation says (an inferred one predicts nothing)."""
    if matrix is None:
        return False
    cells = cells_by_key(matrix)
    env = next((str(e["id"]) for e in matrix["environments"] if not e.get("not_run") and
                history.series_key(e) == change.series and version_label(e) == change.since),
               "")
    found = [cells.get((change.case, env, m)) for m in change.methods]
    return bool(found) and all(c is not None and c.get("verdict") == AS_EXPECTED and not
                               inferred(c.get("expected")) for c in found)


def moved_words(series: str, changes: Sequence[history.Change],
                matrix: Optional[MatrixDoc]) -> Tuple[str, str]:
    """(the line's hedge, the folded note) when some of ``changes`` ran on two systems: "2 may
    come from the other system" (the cases the docs do not predict; "" when they predict all),
    and "Linux 3.14.10 ran as Debian's build in a chroot, 3.13.0 on the host system: the docs
    predict 18 of these 20 cases' changes; the other 2 may come from the system (its C
    library, its build of Python)." ("", "") when none moved."""
    moved = [ch for ch in changes if ch.moved]
    if not moved:
        return "", ""
    doubt = [ch for ch in moved if not predicted(matrix, ch)]
    os_name = history.series_parts(series).os
    where = "; ".join(dict.fromkeys(_where(OS_NAMES.get(os_name, os_name), ch) for ch in moved))
    ids = {ch.case for ch in changes}
    unsure = {ch.case for ch in doubt}
    cause = "may come from the system (its C library, its build of Python)"
    said = ("the docs predict every change here" if not unsure else
            "the docs predict none of these changes: they %s" % cause if unsure == ids else
            "the docs predict %d of these %d cases' changes; the other %d %s" % (
                len(ids - unsure), len(ids), len(unsure), cause))
    hedge = "%d may come from the other system" % len(unsure) if unsure else ""
    return hedge, "%s: %s." % (where, said)


def _where(os_label: str, change: history.Change) -> str:
    """ "Linux 3.14.10 ran as Debian's build in a chroot, 3.13.0 on the host system"."""
    old, new = (s.strip() for s in change.moved.split("→", 1)) if "→" in change.moved \
        else ("", change.moved)
    return "%s %s ran %s, %s %s" % (os_label, change.since_release or change.since, _on(new),
                                    change.before_release or change.before_version, _on(old))


#: ``history.system_name``'s words as a reader says where a version ran (review r3: "the
#: Debian root" is the harness's word).
_ON = {"the host": "on the host system", "the Debian root": "as Debian's build in a chroot"}


def _on(system: str) -> str:
    """ "as Debian's build in a chroot", "on the host system"; another root by its name."""
    return " and ".join(_ON.get(part, "in " + part) for part in system.split(" and "))
