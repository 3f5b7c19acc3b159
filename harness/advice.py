"""What to do when the default start method moved off fork: the one Answers line a reader whose
code broke on the new default acts on (review r16: nothing on the page said it). Each step
cites the documentation that states it and names the cases that show it; shown only when the
report's defaults show such a move, and a case only when the report holds it.
"""

from __future__ import annotations

import dataclasses
from typing import AbstractSet, List, Optional, Sequence, Tuple

from harness.answers import DefaultCell
from harness.expect import version_key
from harness.guest.docs import CONTEXTS, GUIDE_SPAWN, OS_FORK, PROCESS_POOL
from harness.guest.words import CPYTHON, FORK, OS_NAMES

__all__ = ["Advice", "Step", "STEPS", "advice"]


@dataclasses.dataclass(frozen=True)
class Step:
    text: str
    source: str  # the documentation that states it
    cases: Tuple[str, ...]  # the cases that show it (the report names those it holds)
    joint: str  # what follows it in the line


#: The steps, in the order a reader tries them; each text is what its source states.
STEPS = (
    # multiprocessing docs, Programming guidelines > The spawn and forkserver start methods >
    # More picklability: "Ensure that all arguments to Process.__init__() are picklable" (the
    # target is one); fork does not need it.
    Step("make targets and their arguments picklable", GUIDE_SPAWN,
         ("pickling.closure_argument", "pickling.lambda_target"), " and "),
    # Programming guidelines > The spawn and forkserver start methods > Safe importing of main
    # module: a child imports the main module again.
    Step('guard the main module (if __name__ == "__main__":)', GUIDE_SPAWN,
         ("inheritance.missing_main_guard", "deadlock.missing_main_guard_pool"), ", or "),
    # concurrent.futures docs, ProcessPoolExecutor, changed in 3.14: "If you require the fork
    # start method … you must explicitly pass mp_context=multiprocessing.get_context('fork')".
    Step('ask for fork where you need it: get_context("fork")', PROCESS_POOL,
         ("pickling.lambda_target",), " — "),
    # multiprocessing docs, Contexts and start methods: fork is "available on POSIX systems";
    # changed in 3.8, on macOS it "should be considered unsafe as it can lead to crashes of the
    # subprocess" (bpo-33725). No case of the catalog can show a crash that macOS may not give.
    Step("POSIX only, and unsafe on macOS (its libraries may start threads)", CONTEXTS, (),
         ", and "),
    # os.fork docs, changed in 3.12: a DeprecationWarning when other threads exist.
    Step("it warns (DeprecationWarning) while other threads run", OS_FORK,
         ("inheritance.fork_with_threads_warning",), "."),
)


@dataclasses.dataclass(frozen=True)
class Advice:
    lead: str  # "If Linux 3.14 broke your code"
    steps: Tuple[Tuple[Step, Tuple[str, ...]], ...]  # each step with the cases the report holds

    @property
    def text(self) -> str:
        """The line in words alone (the page links each step to its docs, its cases to theirs)."""
        return "%s: %s" % (self.lead, "".join(s.text + s.joint for s, _c in self.steps))


def _moved_off_fork(lines: Sequence[Tuple[str, str, str, bool]]) -> Optional[Tuple[str, str]]:
    """(OS, version) of the first CPython default that is not fork after one that is."""
    for os_name in dict.fromkeys(os for os, _v, _val, _ft in lines):
        mine = sorted(((v, val) for os, v, val, ft in lines if os == os_name and not ft),
                      key=lambda vv: version_key(vv[0]))
        for (_v0, before), (version, after) in zip(mine, mine[1:]):
            if before == FORK and after not in (FORK, "?"):
                return os_name, version
    return None


def advice(defaults: Sequence[DefaultCell], case_ids: AbstractSet[str]) -> Optional[Advice]:
    """The line, when some OS's CPython default moves off fork (measured or documented); None
    otherwise."""
    lines: List[Tuple[str, str, str, bool]] = [
        (d.slot.os, d.slot.minor, d.value, bool(d.slot.ft)) for d in defaults
        if d.slot.impl == CPYTHON]
    moved = _moved_off_fork(lines)
    if moved is None:
        return None
    os_name, version = moved
    return Advice("If %s %s broke your code" % (OS_NAMES.get(os_name, os_name), version),
                  tuple((s, tuple(c for c in s.cases if c in case_ids)) for s in STEPS))
