"""What a ``check`` run left besides its result, read back on the host: a run that did not
write its result (a hang, a crash, an interrupt) is diagnosed from the notes its processes
left in the hang folder as a finished run is from its result."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import List

from harness import results
from harness.check_diagnose import JOINED_FLUSHING
from harness.check_match import JOINED_TERMINATED
from harness.guest import check_seen
from harness.guest.check_hang import JOIN_TERMINATED, JOIN_WAITS
from harness.runner import CaseRun
from harness.vocab import Outcome

__all__ = ["hang_notes"]


def hang_notes(run: CaseRun, hang_dir: Path) -> CaseRun:
    """The ``observed`` of a run that did not write its result (a hang, a crash, an
    interrupt), as a finished run's: what the parent had seen when it last wrote its facts
    (``check_seen``: when more than a count changed) and its children's reports; of a hang,
    also the children its processes were still joining while the child's exit waited for a
    queue's feeder thread, and those a join found alive a second after the parent sent them
    SIGTERM (``check_hang``)."""
    observed = dict(run.observed) if isinstance(run.observed, dict) else {}
    facts = check_seen.read_facts(str(hang_dir)) if "start_attempts" not in observed else {}
    if facts:
        observed = dict(facts, **check_seen.children_seen(check_seen.read_reports(
            str(hang_dir))), **observed)
    notes = {key: _joins(hang_dir, name) for key, name in ((JOINED_FLUSHING, JOIN_WAITS), (
        JOINED_TERMINATED, JOIN_TERMINATED))} if run.outcome is Outcome.TIMEOUT else {}
    observed.update({key: joins for key, joins in notes.items() if joins})
    return dataclasses.replace(run, observed=observed) if facts or any(notes.values()) else run


def _joins(hang_dir: Path, name: str) -> List[str]:
    """The children named in the notes ``name`` (``check_hang``) in ``hang_dir``."""
    found = []
    for note in sorted(hang_dir.glob(name.replace("%d", "*"))):
        try:
            found.append(str(results.read_json(note)["child"]))
        except (results.BadFile, KeyError, TypeError):
            continue
    return found
