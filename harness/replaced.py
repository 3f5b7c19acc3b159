"""A complete run narrower than a full one (``-k``, ``-m``, ``--methods``, ``--deselect``,
``--quick``) still replaces its results file, so ``report`` shows the newest run, but the file
it replaces is kept first in ``<results dir>/replaced/`` (review r5: ``-k pickling`` replaced
a 324-cell file with 25 cells and said nothing). A full run replaces a file as before. A
complete run removes the files set aside earlier that it ran every cell of again, on the same
patch release and case code (``prune``)."""

from __future__ import annotations

import errno
import os
import re
import shlex
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Set, Tuple, cast

from harness import case_code, results
from harness.loading import run_record, run_time

if TYPE_CHECKING:
    from harness.documents import CaseEntry, Environment

__all__ = ["ELSEWHERE_DIR", "INTERRUPTED_DIR", "REPLACED_DIR", "Aside", "beside", "keep_earlier",
           "line", "narrower", "prune", "pruned_line", "this_run", "undo", "write_new"]

#: Where the file a narrower run replaced is kept; ``report`` (``<folder>/*.json``) does not
#: read it, so the default report shows the newer run.
REPLACED_DIR = "replaced"
#: Where the narrower run goes when the earlier file cannot be kept in ``replaced/``: the
#: earlier (fuller) file then stays where it is, and neither is lost.
ELSEWHERE_DIR = "not-replacing"
#: Where an interrupted run writes when the results folder already has its file: that file is
#: kept, and ``report``, which reads ``<folder>/*.json``, does not read this subfolder.
INTERRUPTED_DIR = "interrupted"
#: How a file set aside is named after its run: ``<stem>.<UTC time>[-<n>].json`` (``_free``).
_ASIDE_NAME = r"\.[0-9]{8}T[0-9]{6}Z(?:-[0-9]+)?\.json"


@dataclass
class Aside:
    """What a narrower run did with the file it would replace."""

    earlier: Path  # the results file that was there
    cells: Optional[int]  # how many cells it held (None: not a readable results file)
    kept_at: Optional[Path] = None  # its copy in replaced/ (None: it could not be kept)
    problem: str = ""  # why it could not be kept there


def narrower(environment: Mapping[str, Any]) -> bool:
    """The run left cells out on purpose: ``not_selected`` (a selection) or ``left_out``
    (``--quick``)."""
    return bool(environment.get("not_selected") or environment.get("left_out"))


def keep_earlier(target: Path, environment: Mapping[str, Any]) -> Tuple[Path, Optional[Aside]]:
    """Before a complete run writes ``target``: where it should write, and what became of the
    file there. A narrower run over an existing file first copies that file to
    ``replaced/<stem>.<its time>.json`` (a new name, never over an earlier one); if that
    fails, the file stays and the run goes to ``not-replacing/`` instead."""
    if not narrower(environment) or not target.exists():  # a dangling link: nothing to keep
        return target, None
    doc, stamp = _read(target)
    aside = Aside(target, _cells(doc))
    try:
        aside.kept_at = _copy_new(target, target.parent / REPLACED_DIR, stamp)
    except OSError as exc:  # the source or replaced/: the error names which
        aside.problem = "%s: %s" % (exc.filename or target.parent / REPLACED_DIR,
                                    exc.strerror or exc)
        return _free(target.parent / ELSEWHERE_DIR, target.stem, this_run(environment)), aside
    return target, aside


def beside(target: Path, folder: str, environment: Mapping[str, Any]) -> Tuple[Path, str]:
    """A new file for this run in ``<target's folder>/<folder>/``, named
    ``<stem>.<this run's time>.json`` (never over an earlier one: two interrupted runs in a row
    keep both), and why not there ("" when there): when ``folder`` is a file or cannot be
    written, ``not-replacing/`` holds it, so the run's cells are never lost."""
    stamp = this_run(environment)
    place = target.parent / folder
    problem = "" if not place.exists() and not place.is_symlink() else \
        "not a folder" if not place.is_dir() else \
        "not writable" if not os.access(str(place), os.W_OK | os.X_OK) else ""
    if problem:
        return _free(target.parent / ELSEWHERE_DIR, target.stem, stamp), "%s: %s" % (
            place, problem)
    return _free(place, target.stem, stamp), ""


def this_run(environment: Mapping[str, Any]) -> str:
    """This run's time (its ``timestamp``, else now) as ``20261207T031500Z``."""
    return _safe(run_time(environment.get("timestamp"))) or _safe(_now())


def undo(aside: Optional[Aside]) -> None:
    """The new file could not be written, so the earlier one is still in place: its copy in
    ``replaced/`` would only be a duplicate."""
    if aside is not None and aside.kept_at is not None:
        try:
            aside.kept_at.unlink()
        except OSError:
            pass


def line(aside: Aside, written: Path) -> str:
    """The terminal's line for what became of the earlier file, and how to see both."""
    from harness.summary import plural  # the report's modules: only when there is a line

    cells = plural(aside.cells, "cell") if aside.cells is not None else \
        "not a readable results file"
    both = "`python -m harness report %s %s` shows both as one column (the newer run's cells, " \
        "the earlier file's for the rest; where the two disagree, flaky, or not compared if the " \
        "case's code changed)"
    if aside.kept_at is not None:
        return "harness: the earlier %s (%s) was moved to %s: %s" % (
            aside.earlier.name, cells, aside.kept_at, both % (
                shlex.quote(str(aside.earlier.parent)), shlex.quote(str(aside.kept_at))))
    return "harness: the earlier %s (%s) was kept as it was: it could not be moved to %s " \
        "(%s), so this narrower run went to %s instead: %s" % (
            aside.earlier, cells, REPLACED_DIR + "/", aside.problem, written, both % (
                shlex.quote(str(aside.earlier.parent)), shlex.quote(str(written))))


def prune(written: Path, doc: Mapping[str, Any], keep: Optional[Path]) -> List[Path]:
    """After a complete run wrote ``doc`` as its interpreter's results file ``written``: the
    files set aside in ``replaced/`` and ``interrupted/`` by earlier runs of the same
    environment (as the merge tells columns apart: patch release included; and host or root)
    whose every cell it ran again with the same case code (``_same_code``), removed (the
    results file holds each newer), and their paths. Not ``keep`` (the file this run set
    aside: its line names it), nor a file that is not a readable results file from before
    this run: a 3.12.0 file or one of older case code is the only record of its cells."""
    env = _environment(doc) or {}
    ran, now, ident = _ran(doc), this_run(env), results.env_id(env, patch=True)
    name = re.compile(re.escape(written.stem) + _ASIDE_NAME)
    removed: List[Path] = []
    for folder in (written.parent / REPLACED_DIR, written.parent / INTERRUPTED_DIR):
        try:
            paths = sorted(p for p in folder.iterdir() if name.fullmatch(p.name))
        except OSError:  # no such folder (the usual case), or not one
            continue
        for path in paths:
            if path == keep or path.is_symlink():  # a link: the user's, not a file we set aside
                continue
            earlier, stamp = _read(path)
            cells = _ran(earlier)
            before = _environment(earlier) or {}
            if earlier is None or not cells or not cells <= ran or stamp >= now or \
                    results.file_stem(before) != written.stem or \
                    results.env_id(before, patch=True) != ident or \
                    not _same_code(earlier, doc, cells):
                continue
            try:
                path.unlink()
            except OSError:  # kept, then: nothing is lost
                continue
            removed.append(path)
    return removed


def pruned_line(removed: List[Path]) -> str:
    """The terminal's line for the files :func:`prune` removed."""
    return "harness: removed %d earlier file%s this run ran every cell of again: %s" % (
        len(removed), "" if len(removed) == 1 else "s",
        ", ".join("%s/%s" % (p.parent.name, p.name) for p in removed))


def _harness(doc: Any) -> Mapping[str, Any]:
    harness = doc.get("harness") if isinstance(doc, dict) else None
    return harness if isinstance(harness, dict) else {}


def _environment(doc: Any) -> Optional[Mapping[str, Any]]:
    env = _harness(doc).get("environment")
    return env if isinstance(env, dict) else None


def _ran(doc: Any) -> Set[Tuple[Any, Any]]:
    """The cells (case, method) a results document holds a result of."""
    tests = doc.get("tests") if isinstance(doc, dict) else None
    metas = [t.get("metadata") for t in tests or () if isinstance(t, dict)]
    return {(m.get("case"), m.get("method")) for m in metas if isinstance(m, dict) and m}


def _same_code(earlier: Any, doc: Any, cells: Set[Tuple[Any, Any]]) -> bool:
    """Each case ``earlier`` holds a cell of ran the code ``doc``'s run ran, as the merge
    tells it (``case_code.relation``: the digests, else the commits)."""
    columns = [{"runs": [run_record("", cast("Environment", _environment(d) or {}), [
        cast("CaseEntry", c) for c in _harness(d).get("cases") or ()
        if isinstance(c, dict) and "id" in c])]} for d in (earlier, doc)]
    return all(case_code.relation(*(case_code.side(column, {"case": case})
                                    for column in columns)) == case_code.SAME
               for case in {case for case, _method in cells})


def _cells(doc: Any) -> Optional[int]:
    """How many cells a results document holds (None: it is not one)."""
    if isinstance(doc, dict) and isinstance(doc.get("tests"), list):
        return sum(1 for t in doc["tests"] if isinstance(t, dict) and t.get("metadata"))
    return None


def _read(path: Path) -> Tuple[Any, str]:
    """The file's JSON (None: not readable JSON) and its run's time (its
    ``environment.timestamp``, else the file's mtime) as ``20261207T031500Z``."""
    stamp = ""
    try:
        doc = results.read_json(path)
    except results.BadFile:
        doc = None
    env = _environment(doc)
    if env is not None:
        stamp = _safe(run_time(env.get("timestamp")))
    if not stamp:
        try:
            stamp = _safe(datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat())
        except OSError:  # a dangling link
            stamp = _safe(_now())
    return doc, stamp


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _safe(utc: Optional[str]) -> str:
    """``2026-12-07T03:15:00+00:00`` as ``20261207T031500Z`` (no ``:``, safe on every
    filesystem); "" for None."""
    if not utc:
        return ""
    return utc[:19].replace("-", "").replace(":", "") + "Z"


def write_new(path: Path, data: Any) -> Path:
    """``data`` as a new file at ``path`` (a name :func:`beside` chose) or, when another run
    took that name since (two partial runs of one interpreter in one second), at the next free
    one: placed whole and only where no file is, never over one. Returns where it went."""
    while True:
        try:
            results.atomic_write_json(path, data, new=True)
            return path
        except FileExistsError:  # ``<stem>.<stamp>[-<n>].json``, as _free names it
            stem, _, stamp = path.name[:-len(".json")].rpartition(".")
            path = _free(path.parent, stem, stamp.partition("-")[0])


def _free(folder: Path, stem: str, stamp: str) -> Path:
    """``<folder>/<stem>.<stamp>.json``, or ``….<stamp>-2.json`` … when that is taken."""
    number = 1
    while True:
        path = folder / ("%s.%s%s.json" % (stem, stamp, "-%d" % number if number > 1 else ""))
        if not (path.exists() or path.is_symlink()):
            return path
        number += 1


def _copy_new(source: Path, folder: Path, stamp: str) -> Path:
    """``source``'s bytes in a new file of ``folder`` (created exclusively: two narrower runs
    in a row keep both earlier files), synced, with its times; a failed copy is removed.
    ``folder`` is made only once ``source`` opened (a folder named ``<stem>.json`` left an
    empty replaced/)."""
    with open(source, "rb") as original:
        if folder.is_symlink() or folder.exists():
            if not folder.is_dir():  # mkdir would say only "File exists"
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(folder))
        else:
            folder.mkdir(parents=True, exist_ok=True)
        while True:
            path = _free(folder, source.stem, stamp)
            try:
                with open(path, "xb") as handle:
                    original.seek(0)
                    shutil.copyfileobj(original, handle)
                    handle.flush()
                    os.fsync(handle.fileno())
                shutil.copystat(str(source), str(path))
            except FileExistsError:  # taken since _free looked: nothing of ours to remove
                continue
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return path
