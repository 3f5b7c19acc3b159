"""The results-file format: schema version, environment ids, atomic writes, validation.

A results file is a pytest-json-report document with one extra top-level key, ``harness``
(the environment probe and the catalog as run); each test's ``metadata`` holds one cell.
Used by the pytest plugin inside the interpreter under test, so Python 3.8 syntax.

Format log (bump ``SCHEMA_VERSION`` and add a CHANGELOG entry on every change):
- 1.0: first version.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping

__all__ = [
    "SCHEMA_VERSION",
    "SUPPORTED_VERSIONS",
    "SchemaError",
    "atomic_write_json",
    "env_id",
    "validate_results",
]

SCHEMA_VERSION = "1.0"
SUPPORTED_VERSIONS = ("1.0",)
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"

_OUTCOMES = ("ok", "error", "timeout", "crash", "unavailable")
_VERDICTS = ("as-expected", "unexpected", "no-expectation")


class SchemaError(ValueError):
    """A document does not have the shape of a results file."""


def env_id(env: Mapping[str, Any]) -> str:
    """``linux-cpython-3.13``, ``macos-cpython-3.14t``, ``windows-pypy-3.11``.

    The Intel macOS leg gets an ``-x86_64`` suffix so it never merges with Apple silicon.
    """
    version = ".".join(str(env.get("python_version", "?")).split(".")[:2])
    suffix = "t" if env.get("free_threading") else ""
    ident = "%s-%s-%s%s" % (env.get("os", "unknown"), env.get("implementation", "unknown"),
                            version, suffix)
    if env.get("os") == "macos" and env.get("arch") == "x86_64":
        ident += "-x86_64"
    return ident


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


def _cell_ok(meta: Dict[str, Any]) -> bool:
    get = meta.get
    return (isinstance(get("case"), str) and isinstance(get("method"), str)
            and get("outcome") in _OUTCOMES and get("verdict") in _VERDICTS
            and isinstance(get("duration_s"), (int, float)) and isinstance(get("warnings"), list))


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
    if _need(isinstance(cases, list), "harness.cases", "not a list", problems):
        for i, case in enumerate(cases):
            ok = isinstance(case, dict) and all(
                isinstance(case.get(k), str) for k in ("id", "category", "title", "source"))
            _need(ok, "harness.cases[%d]" % i, "needs string id, category, title, source",
                  problems)
    tests = doc.get("tests")
    if _need(isinstance(tests, list), "tests", "not a list", problems):
        for i, test in enumerate(tests):
            meta = test.get("metadata") if isinstance(test, dict) else None
            if not isinstance(meta, dict):
                problems.append("tests[%d].metadata: missing" % i)
                continue
            if _cell_ok(meta):  # the common case, checked without building any message
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
