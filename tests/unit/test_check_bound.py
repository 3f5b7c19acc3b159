"""A Process whose target is a bound method drags its whole object into the pickle: a lock it
holds was not "passed" (review r13 #7: q5/crawler.py read "a threading lock is passed ...
create a multiprocessing.Lock ... and pass that", though nothing was passed)."""

from __future__ import annotations

import pickle
import threading

from harness.check_diagnose import diagnose
from harness.guest.check_seen import held_by
from harness.runner import CaseRun
from harness.vocab import Outcome

_ERROR = {"type": "TypeError", "message": "cannot pickle '_thread.lock' object",
          "where": "parent"}


class Crawler:
    def __init__(self) -> None:
        self.seeds = ["a"]
        self._stats_lock = threading.Lock()

    def fetch(self) -> None:
        pass


def test_the_parent_names_the_attribute_a_bound_target_could_not_pickle() -> None:
    crawler = Crawler()
    try:
        pickle.dumps(crawler.fetch)
    except TypeError as exc:
        error = exc
    assert held_by(crawler.fetch, error) == {
        "target": "Crawler.fetch", "attributes": ["_stats_lock"], "type": "_thread.lock"}
    # A plain function, or an object holding nothing of that type: nothing to say.
    assert held_by(len, error) == {} and held_by(Crawler().seeds.append, error) == {}


def test_a_lock_pickled_with_a_bound_target_is_not_said_to_be_passed() -> None:
    held = {"target": "Crawler.fetch", "attributes": ["_stats_lock"], "type": "_thread.lock"}
    run = CaseRun(case="t", method="spawn", outcome=Outcome.ERROR, error=_ERROR, observed={
        "children": [], "default_method": "fork", "bound_target_pickled": held})
    found = {d.code: d for d in diagnose({("3.12", "spawn"): run})}
    assert "thread-lock-argument" not in found
    diag = found["bound-method-target"]
    assert diag.message.startswith("Crawler._stats_lock (a _thread.lock) is pickled with the "
                                   "bound-method target Crawler.fetch")
    assert "__getstate__" in diag.fix and "module-level function" in diag.fix
    # Without that record (a lock given in args=...): passed, as before.
    plain = CaseRun(case="t", method="spawn", outcome=Outcome.ERROR, error=_ERROR,
                    observed={"children": [], "default_method": "fork"})
    assert [d.code for d in diagnose({("3.12", "spawn"): plain})] == ["thread-lock-argument"]



def test_pypys_pickling_error_names_the_type_too() -> None:
    """PyPy 3.9 says "Can't pickle <class '_thread.lock'>: it's not found as _thread.lock"
    (review r14 F7): the attribute is named there as on CPython."""
    error = pickle.PicklingError("Can't pickle <class '_thread.lock'>: it's not found as "
                                 "_thread.lock")
    assert held_by(Crawler().fetch, error) == {
        "target": "Crawler.fetch", "attributes": ["_stats_lock"], "type": "_thread.lock"}
