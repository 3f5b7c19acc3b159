"""The results-file format: schema version, environment ids, atomic writes, validation.

A results file is a pytest-json-report document with one extra top-level key, ``harness``
(the environment probe and the catalog as run); each test's ``metadata`` holds one cell.
Used by the pytest plugin inside the interpreter under test, so Python 3.8 syntax.

Format log (bump ``SCHEMA_VERSION`` and add a CHANGELOG entry on every change):
- 1.0: first version.
"""

from __future__ import annotations

import json
import operator
import os
import tempfile
from pathlib import Path
from typing import Any, FrozenSet, List, Mapping, Sequence, Tuple

__all__ = [
    "SCHEMA_VERSION",
    "SUPPORTED_VERSIONS",
    "SchemaError",
    "atomic_write_json",
    "env_id",
    "file_stem",
    "validate_results",
]

SCHEMA_VERSION = "1.0"
SUPPORTED_VERSIONS = ("1.0",)
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"

_OUTCOMES = ("ok", "error", "timeout", "crash", "unavailable")
_VERDICTS = ("as-expected", "unexpected", "no-expectation")


class SchemaError(ValueError):
    """A document does not have the shape of a results file."""


def env_id(env: Mapping[str, Any], patch: bool = False) -> str:
    """``linux-cpython-3.13``, ``macos-cpython-3.14t``, ``windows-pypy-3.11``; with ``patch``
    the whole version: ``linux-cpython-3.13.18``, ``linux-cpython-3.15.0a5t``.

    The merge uses the patch-level id only when one minor version has several patch releases
    (see ``merge.merge``). The Intel macOS leg gets an ``-x86_64`` suffix so it never merges
    with Apple silicon.
    """
    version = str(env.get("python_version", "?"))
    if not patch:
        version = ".".join(version.split(".")[:2])
    suffix = "t" if env.get("free_threading") else ""
    ident = "%s-%s-%s%s" % (env.get("os", "unknown"), env.get("implementation", "unknown"),
                            version, suffix)
    if env.get("os") == "macos" and env.get("arch") == "x86_64":
        ident += "-x86_64"
    return ident


def file_stem(env: Mapping[str, Any]) -> str:
    """The results file's name without ``.json``: the environment id, plus ``-root`` for an
    interpreter of the Debian root, so that the root's 3.13.18 and the host's 3.13.0 do not
    overwrite each other while a rerun on an upgraded interpreter still replaces its file."""
    return env_id(env) + ("-root" if env.get("root") else "")


def atomic_write_json(path: Path, data: Any) -> None:
    """Write ``data`` as sorted, indented JSON via a temp file and rename (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".part",
                                   dir=str(path.parent))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, sort_keys=True, indent=2, ensure_ascii=False)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, str(path))
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _need(cond: bool, where: str, problem: str, problems: List[str]) -> bool:
    if not cond:
        problems.append("%s: %s" % (where, problem))
    return cond


# Column checks for the fast path: (key, allowed exact types) or (key, allowed values).
_CASE_TYPES: Tuple[Tuple[str, FrozenSet[type]], ...] = tuple(
    (key, frozenset({str})) for key in ("id", "category", "title", "source"))
_CELL_TYPES: Tuple[Tuple[str, FrozenSet[type]], ...] = (
    ("case", frozenset({str})), ("method", frozenset({str})),
    ("duration_s", frozenset({int, float})), ("warnings", frozenset({list})))
_CELL_VALUES: Tuple[Tuple[str, FrozenSet[str]], ...] = (
    ("outcome", frozenset(_OUTCOMES)), ("verdict", frozenset(_VERDICTS)))
_DICT_ONLY = frozenset({dict})
_METADATA = operator.itemgetter("metadata")


def _rows_ok(rows: Sequence[Any], types: Tuple[Tuple[str, FrozenSet[type]], ...],
             values: Tuple[Tuple[str, FrozenSet[str]], ...] = ()) -> bool:
    """True when every row is a plain dict whose ``types`` keys hold exactly those types and
    whose ``values`` keys hold one of those values, checked a column at a time by C loops
    (``map``/``set``), with no Python code run per row.

    Only a quick yes: False (also for a missing key, an unhashable value or a subclass) means
    "look closer", and the caller's row-by-row checks find and word the problems. Every value
    accepted here is one the row-by-row checks accept too.
    """
    try:
        if not _DICT_ONLY.issuperset(map(type, rows)):
            return False
        for key, allowed_types in types:
            if not allowed_types.issuperset(map(type, map(operator.itemgetter(key), rows))):
                return False
        for key, allowed in values:
            if not allowed.issuperset(map(operator.itemgetter(key), rows)):
                return False
    except (KeyError, TypeError):
        return False
    return True


def _cells_ok(tests: Sequence[Any]) -> bool:
    """The fast path over ``tests``: every test a dict with a ``metadata`` cell that is valid."""
    if not _DICT_ONLY.issuperset(map(type, tests)):
        return False
    try:
        metas = list(map(_METADATA, tests))
    except KeyError:
        return False
    return _rows_ok(metas, _CELL_TYPES, _CELL_VALUES)


def validate_results(doc: Any) -> List[str]:
    """Every problem that keeps ``doc`` from being a results file (empty list: valid).

    Mirrors ``schema/results.schema.json`` (kept in step by a test) without a dependency.
    """
    problems: List[str] = []
    if not _need(isinstance(doc, dict), "document", "not a JSON object", problems):
        return problems
    harness = doc.get("harness")
    if not _need(isinstance(harness, dict), "harness", "missing: not a results file of this "
                 "tool (no 'harness' key)", problems):
        return problems
    version = harness.get("schema_version")
    if not _need(version in SUPPORTED_VERSIONS, "harness.schema_version",
                 "%r is not supported (this tool reads %s)"
                 % (version, ", ".join(SUPPORTED_VERSIONS)), problems):
        return problems
    env = harness.get("environment")
    if _need(isinstance(env, dict), "harness.environment", "missing", problems):
        for key in ("os", "implementation", "python_version", "available_methods",
                    "default_method"):
            _need(key in env, "harness.environment." + key, "missing", problems)
        _need(isinstance(env.get("available_methods"), list),
              "harness.environment.available_methods", "not a list", problems)
    cases = harness.get("cases")
    if _need(isinstance(cases, list), "harness.cases", "not a list", problems) and not _rows_ok(
            cases, _CASE_TYPES):
        for i, case in enumerate(cases):
            ok = isinstance(case, dict) and all(
                isinstance(case.get(k), str) for k in ("id", "category", "title", "source"))
            _need(ok, "harness.cases[%d]" % i, "needs string id, category, title, source",
                  problems)
    tests = doc.get("tests")
    if _need(isinstance(tests, list), "tests", "not a list", problems) and not _cells_ok(tests):
        for i, test in enumerate(tests):
            meta = test.get("metadata") if isinstance(test, dict) else None
            if not isinstance(meta, dict):
                problems.append("tests[%d].metadata: missing" % i)
                continue
            if _rows_ok([meta], _CELL_TYPES, _CELL_VALUES):  # valid: no message to build
                continue
            where = "tests[%d].metadata" % i
            _need(isinstance(meta.get("case"), str), where + ".case", "not a string", problems)
            _need(isinstance(meta.get("method"), str), where + ".method", "not a string",
                  problems)
            _need(meta.get("outcome") in _OUTCOMES, where + ".outcome",
                  "%r is not one of %s" % (meta.get("outcome"), ", ".join(_OUTCOMES)), problems)
            _need(meta.get("verdict") in _VERDICTS, where + ".verdict",
                  "%r is not one of %s" % (meta.get("verdict"), ", ".join(_VERDICTS)), problems)
            _need(isinstance(meta.get("duration_s"), (int, float)), where + ".duration_s",
                  "not a number", problems)
            _need(isinstance(meta.get("warnings"), list), where + ".warnings", "not a list",
                  problems)
    return problems


def load_schema(name: str = "results.schema.json") -> Any:
    """The JSON Schema shipped with the package (published beside the report)."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
