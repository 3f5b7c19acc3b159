"""What a path given to ``report`` or ``diff`` reads: a results file, a folder of them, or a
reports folder (``nox -s matrix``'s: its ``matrix.json``, its ``results/``). Report side: it
reads files, never runs anything."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Tuple, cast

from harness import results
from harness.documents import MatrixDoc

if TYPE_CHECKING:
    from harness.loading import Rejected

__all__ = ["REPORTS_FOLDER", "REPORT_FILES", "folder_files", "load_matrix", "load_side",
           "report_files", "resolve"]

#: What `report` writes beside the page: in a folder given to `report`, a report's own files,
#: never results files (`report X -o X` then `report X` rejected them all).
REPORT_FILES = (results.MATRIX_FILE, results.RESULTS_SCHEMA, results.MATRIX_SCHEMA)


def report_files(names: List[str]) -> Tuple[List[str], List[str]]:
    """``report``'s paths: the files they name (a folder's results files; any other path as it
    is, for loading to accept or reject), and a problem line for each folder without one.
    No file at all, or no path that exists: the problem lines are each missing path's (a usage
    error). A link loop exists: reading it names the loop."""
    files: List[str] = []
    problems: List[str] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            found = folder_files(path)
            files += found
            problems += [] if found else ["%s: no results files in this folder" % name]
        else:
            files.append(name)
    missing = [name for name in names if not Path(name).exists() and not Path(name).is_symlink()]
    if not files or len(missing) == len(names):
        return [], problems + ["%s: no such file or folder" % name for name in missing]
    return files, problems


def folder_files(folder: Path) -> List[str]:
    """A folder's results files. A report folder (its matrix.json beside them, or its results/
    below) is read for its results: its own files are left out, and said so."""
    from harness.summary import plural

    names = sorted(folder.glob("*.json"))
    own = [p.name for p in names if p.name in REPORT_FILES]
    found = [str(p) for p in names if p.name not in REPORT_FILES]
    if not found and (folder / results.RESULTS_DIR.name).is_dir():
        found = sorted(str(p) for p in (folder / results.RESULTS_DIR.name).glob("*.json"))
        sys.stdout.write("report: %s is a report folder: reading its results/ (%s)\n" % (
            folder, plural(len(found), "file")))
    elif own:
        sys.stdout.write("report: %s: left out %s (a report's own files, not results)\n" % (
            folder, ", ".join(own)))
    return found


#: A reports folder (``nox -s matrix``) holds these; the first found is compared.
REPORTS_FOLDER = (results.MATRIX_FILE, results.RESULTS_DIR.name)


def resolve(path: str) -> str:
    """What to read for ``path``: a reports folder's ``matrix.json`` (what its page shows), else
    its ``results/`` folder; any other path as it is."""
    folder = Path(path)
    if folder.is_dir():
        for name in REPORTS_FOLDER:
            if (folder / name).exists():
                return str(folder / name)
    return path


def load_side(path: str) -> Tuple[str, Optional[MatrixDoc], List[Rejected]]:
    """One side of a diff: the path read (:func:`resolve`), its matrix and the files it could
    not use. A reports folder whose ``matrix.json`` cannot be used is read by its ``results/``
    instead, the problem still said (its valid files are the same run)."""
    chosen = resolve(path)
    matrix, problems = load_matrix(chosen)
    fallback = Path(path) / results.RESULTS_DIR.name
    if matrix is None and Path(chosen).name == results.MATRIX_FILE and Path(path).is_dir() \
            and fallback.is_dir():
        matrix, more = load_matrix(str(fallback))
        return str(fallback), matrix, problems + more
    return chosen, matrix, problems


#: Keys every ``check --json`` document has (``check_cli.command``): its runs are no matrix.
_CHECK_KEYS = frozenset({"target", "args", "results", "ok"})


def load_matrix(path: str) -> Tuple[Optional[MatrixDoc], List[Rejected]]:
    """A matrix document from ``matrix.json`` or from a folder of results files.

    Returns ``(matrix, rejected)``; ``matrix`` is None when nothing usable was found. A file is
    a results file by its ``harness`` object, a matrix by its name or its ``environments`` or
    ``results``: each worded by its own schema check, as ``report`` words a bad results file.
    """
    from harness import loading, merge

    source = Path(path)
    if source.is_dir():
        files = sorted(str(p) for p in source.glob("*.json"))
        loaded, rejected = loading.load_results(files)
        if not loaded:
            return None, rejected + [loading.Rejected(path, "no valid results files in this "
                                                            "folder")]
        return merge.merge(loaded, rejected), rejected
    if not source.exists() and not source.is_symlink():  # a link loop: read_json says so
        return None, [loading.Rejected(path, "no such file or folder")]
    try:
        doc = results.read_json(source)
    except results.BadFile as exc:
        return None, [loading.Rejected(path, str(exc))]
    if isinstance(doc, dict) and "harness" in doc:
        loaded, rejected = loading.load_results([path])
        return (merge.merge(loaded), []) if loaded else (None, rejected)
    if isinstance(doc, dict) and _CHECK_KEYS.issubset(doc) and "environments" not in doc:
        return None, [loading.Rejected(path, "a `check --json` document: diff compares matrix "
                                             "runs and results files only")]
    if source.name != results.MATRIX_FILE and not (
            isinstance(doc, dict) and ("results" in doc or "environments" in doc)):
        return None, [loading.Rejected(path, "neither a matrix.json nor a results file")]
    problems = results.validate_matrix(doc)  # one validator: the shipped matrix schema
    if problems:
        return None, [loading.Rejected(path, "not a valid matrix.json: %s" %
                                       results.first_problem(problems))]
    return cast("MatrixDoc", doc), []
