"""The results-file format: schema version, environment ids, validation, and the one
place files are read as JSON (:func:`read_json`) and written whole (:func:`atomic_write_text`).

A results file is a pytest-json-report document with one extra top-level key, ``harness``
(the environment probe and the catalog as run); each test's ``metadata`` holds one cell.
Used by the pytest plugin inside the interpreter under test, so Python 3.8 syntax.

Format log (on every change: add the version at the end of ``schema/results.schema.json``'s
``harness.schema_version`` enum, the last being the one written, and a CHANGELOG entry):
- 1.0: first version.
- 1.1: ``environment.left_out`` (categories a ``--quick`` run left out).
- 1.2: ``environment.not_selected`` (cells ``-k``, ``-m``, ``--methods``, ``--deselect`` left
  out, and how).
- 1.3: ``harness.cases[].methods`` (the start methods a case runs under, so that a case no run
  ran, e.g. left out by ``--quick``, gets not-run cells for those methods only).
- 1.4: ``harness.cases[].code_digest`` (a short digest of the case's code as run,
  ``harness.guest.case_digest``: a comparison of two runs tells a changed case from a changed
  Python).
- 1.5: ``environment.interrupted`` (true when Ctrl-C, SIGTERM or SIGHUP stopped the run: the
  cells it never reached read "not run (interrupted)").
- 1.6: ``environment.partial_cause`` (why a run marked ``interrupted`` is partial: "SIGTERM",
  "output closed", "pytest exit status 3", "2 cells missing").
- 1.7: ``harness.cases[].breaks`` (the methods under which the program a case models fails,
  as its docs say, though the case returns that failure as a value).
  ``harness.cases[].labels`` (for keys of the object a case returns, what each means in plain
  words, from its docstring: a change line says "<label>: now yes (was no)").
"""

from __future__ import annotations

import collections
import functools
import json
import math
import re
import stat
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple

from harness.guest import _files
from harness.guest.words import CPYTHON, IMPL_NAMES, MACOS, OS_NAMES, PYPY
from harness.text import shorten

__all__ = [
    "HANG_QUOTE",
    "MATRIX_FILE",
    "MATRIX_SCHEMA",
    "NO_RESULT",
    "REPORTS",
    "ROOT",
    "RESULTS_DIR",
    "RESULTS_SCHEMA",
    "accepted_versions",
    "arch_suffix",
    "atomic_write_json",
    "atomic_write_text",
    "BadFile",
    "EnvParts",
    "cell_name",
    "column_labels",
    "first_problem",
    "environment_names",
    "env_id",
    "file_stem",
    "hang_said",
    "interpreter_label",
    "minor_version",
    "parse_env_id",
    "read_json",
    "session_identity",
    "session_name",
    "version_label",
    "validate_matrix",
    "validate_results",
    "written_version",
]

#: The project's root folder (the checkout, or the installed package's parent).
ROOT = Path(__file__).resolve().parent.parent
#: The project's reports folder: ``nox -s matrix`` writes one results file per interpreter in
#: ``reports/results/``, and the report (``matrix.json``, the page, both schemas) beside it.
REPORTS = ROOT / "reports"
RESULTS_DIR = REPORTS / "results"
MATRIX_FILE = "matrix.json"
#: The shipped JSON Schemas (``harness/schema/``, published beside the report under these names).
RESULTS_SCHEMA = "results.schema.json"
MATRIX_SCHEMA = "matrix.schema.json"
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
#: A timed-out cell's detail quotes the last line its processes wrote to stderr after this.
HANG_QUOTE = "; last line on stderr: "
#: How a timed-out cell's detail starts when the case itself never returned (the other
#: timeout: it returned, and the interpreter did not exit).
NO_RESULT = "no result within the hard timeout"
#: Where each schema keeps its format version (the enum of those this tool reads).
_VERSION_AT = {RESULTS_SCHEMA: ("harness", "schema_version"), MATRIX_SCHEMA: ("schema_version",)}

class EnvParts(NamedTuple):
    """An environment id's parts (``parse_env_id``); ``ident`` writes them back."""

    os: str
    implementation: str
    version: str  # 3.13, 3.13.18, 3.15.0a5: without the free-threading t
    free_threading: bool
    arch: str  # x86_64 for the Intel macOS leg, else ""

    @property
    def ident(self) -> str:
        return "%s-%s-%s%s%s" % (self.os, self.implementation, self.version,
                                 "t" if self.free_threading else "",
                                 "-" + self.arch if self.arch else "")


#: The grammar of an id as ``env_id`` writes it: os-implementation-version[t][-arch].
_ENV_ID = re.compile(r"^([a-z]+)-([a-z]+)-([0-9]+\.[0-9]+(?:\.[0-9]+(?:[a-z]+[0-9]+)?)?)(t?)"
                     r"(?:-([a-z0-9_]+))?$")


def parse_env_id(ident: str) -> Optional[EnvParts]:
    """``macos-cpython-3.14t-x86_64`` -> its parts; None for text that is no id."""
    found = _ENV_ID.match(ident)
    if found is None:
        return None
    os_name, impl, version, free_threaded, arch = found.groups()
    return EnvParts(os_name, impl, version, bool(free_threaded), arch or "")


def env_id(env: Mapping[str, Any], patch: bool = False) -> str:
    """``linux-cpython-3.13``, ``macos-cpython-3.14t``, ``windows-pypy-3.11``; with ``patch``
    the whole version: ``linux-cpython-3.13.18``, ``linux-cpython-3.15.0a5t``.

    The merge uses the patch-level id only when one minor version has several patch releases
    (see ``merge.merge``). The Intel macOS leg gets an ``-x86_64`` suffix so it never merges
    with Apple silicon.
    """
    version = str(env.get("python_version", "?")) if patch else minor_version(env)
    return EnvParts(str(env.get("os", "unknown")), str(env.get("implementation", "unknown")),
                    version, bool(env.get("free_threading")), arch_suffix(env)[1:]).ident


def arch_suffix(env: Mapping[str, Any]) -> str:
    """``-x86_64`` for the Intel macOS leg (its own column and series), else ""."""
    return "-x86_64" if env.get("os") == MACOS and env.get("arch") == "x86_64" else ""


def hang_said(detail: str) -> str:
    """What a timed-out cell's processes last wrote to stderr, as its detail quotes it ("")."""
    return detail.split(HANG_QUOTE, 1)[1] if HANG_QUOTE in detail else ""


def cell_name(case_id: str, method: str) -> str:
    """``methods.default[spawn]``: a cell's name in a run (its pytest item, its key in
    ``environment.not_selected.cells``)."""
    return "%s[%s]" % (case_id, method)


def file_stem(env: Mapping[str, Any]) -> str:
    """The results file's name without ``.json``: the environment id, plus ``-root`` for an
    interpreter of the Debian root, so that the root's 3.13.18 and the host's 3.13.0 do not
    overwrite each other while a rerun on an upgraded interpreter still replaces its file."""
    return env_id(env) + ("-root" if env.get("root") else "")


def minor_version(env: Mapping[str, Any], key: str = "python_version") -> str:
    """``3.13`` from an environment's ``python_version`` (or ``key``; ``?`` when missing)."""
    return ".".join(str(env.get(key) or "?").split(".")[:2])


def version_label(env: Mapping[str, Any]) -> str:
    """The version a merged column stands for: ``3.13``, or ``3.13.18`` when patch releases
    are apart (``version_label``, matrix format 1.2; the minor version for older documents)."""
    return str(env.get("version_label") or minor_version(env))


def session_name(implementation: object, minor: str, free_threading: object = False) -> str:
    """What nox and the CI legs call an interpreter: ``3.12``, ``3.13t``, ``pypy3.9``."""
    return (PYPY if implementation == PYPY else "") + minor + ("t" if free_threading else "")


def session_identity(name: str) -> Tuple[str, str, bool]:
    """What a session name (:func:`session_name`, a CI leg's python-version) stands for:
    ``3.14t`` -> (cpython, 3.14, True), ``pypy3.11`` -> (pypy, 3.11, False)."""
    implementation = PYPY if name.startswith(PYPY) else CPYTHON
    minor = name[len(PYPY):] if implementation == PYPY else name
    free_threading = minor.endswith("t")
    return implementation, minor[:-1] if free_threading else minor, free_threading


def interpreter_label(implementation: object, version: str, free_threading: object = False) -> str:
    """How the page names a column's interpreter: ``3.13``, ``3.14t``, ``PyPy 3.11``."""
    text = version + ("t" if free_threading else "")
    if implementation == CPYTHON:
        return text
    return "%s %s" % (IMPL_NAMES.get(str(implementation), implementation), text)


def _column_label(env: Mapping[str, Any]) -> str:
    return interpreter_label(env.get("implementation"), version_label(env),
                             env.get("free_threading")) + (" Intel" if arch_suffix(env) else "")


def column_labels(environments: Iterable[Mapping[str, Any]]) -> Dict[str, str]:
    """Each environment's column heading under its OS, by id: ``3.13``, ``3.14t``,
    ``PyPy 3.11``, ``3.13 Intel``; two patch releases of one minor version that would share a
    heading (a matrix without version labels) are told apart by their full versions."""
    envs = list(environments)
    seen = collections.Counter((env.get("os"), _column_label(env)) for env in envs)
    return {str(env["id"]): _column_label(env) if seen[(env.get("os"), _column_label(env))] == 1
            else _column_label(env).replace(version_label(env), str(env.get("python_version")), 1)
            for env in envs}


def environment_names(environments: Iterable[Mapping[str, Any]]) -> Dict[str, str]:
    """Each environment named in a sentence, by id: ``Linux 3.12``, ``macOS PyPy 3.11``."""
    envs = list(environments)
    labels = column_labels(envs)
    return {str(env["id"]): "%s %s" % (OS_NAMES.get(str(env.get("os")), env.get("os")),
                                       labels[str(env["id"])]) for env in envs}


def validate_results(doc: Any) -> List[str]:
    """Every problem that keeps ``doc`` from being a results file (empty list: valid), one line
    each (``where: what``), most relevant first, as the shipped JSON Schema words it.

    Two questions come first because their answer is clearer than the schema's: is this a
    results file of this tool at all, and of a format version this tool reads? Host side only
    (``jsonschema`` is imported here, never on the plugin's paths).
    """
    harness = doc.get("harness") if isinstance(doc, dict) else None
    if not isinstance(harness, dict) and isinstance(doc, dict) and {"target", "results"} <= set(
            doc) and ("diagnoses" in doc or "method_dependent" in doc):
        return ["document: this is `python -m harness check --json` output (one program's "
                "runs), not a results file of `python -m harness run`: give `report` the files "
                "`run` writes (reports/results/*.json); check without --json prints its own "
                "report"]
    if not isinstance(harness, dict):
        return ["document: not a results file of this tool (no 'harness' object)"]
    return _problems(doc, "harness.schema_version", harness.get("schema_version"),
                     RESULTS_SCHEMA)


def validate_matrix(doc: Any) -> List[str]:
    """Every problem that keeps ``doc`` from being a ``matrix.json`` this tool reads (formats
    ``accepted_versions(MATRIX_SCHEMA)``), one line each, as :func:`validate_results` words them."""
    missing = [key for key in ("environments", "results") if not isinstance(doc, dict)
               or key not in doc]
    if missing:  # the keys it lacks, not both when it has one
        return ["document: not a matrix.json of this tool (no %s)" % " and ".join(
            "'%s'" % key for key in missing)]
    return _problems(doc, "schema_version", doc.get("schema_version"), MATRIX_SCHEMA)


def first_problem(problems: List[str]) -> str:
    """The most relevant problem, and how many more there are (one line per bad file)."""
    more = " (and %d more problems)" % (len(problems) - 1) if len(problems) > 1 else ""
    return problems[0] + more


def _problems(doc: Any, where: str, version: Any, schema: str) -> List[str]:
    """A version this tool does not read is the one problem (clearer than the schema's words);
    else every problem the schema finds."""
    versions = accepted_versions(schema)
    if version not in versions:
        return ["%s: %s is not supported (this tool reads %s)"
                % (where, shorten(repr(version), 40), ", ".join(versions))]
    import jsonschema

    errors = sorted(_validator(schema).iter_errors(doc), key=jsonschema.exceptions.relevance)
    return ["%s: %s" % (_where(error.absolute_path), shorten(error.message, 200))
            for error in errors]


def _where(path: Iterable[Any]) -> str:
    """``tests[3].metadata.outcome`` from a jsonschema error path (``document`` for the root)."""
    text = ""
    for part in path:
        text += "[%d]" % part if isinstance(part, int) else ("." if text else "") + str(part)
    return text or "document"


@functools.lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    import jsonschema

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def load_schema(name: str = RESULTS_SCHEMA) -> Any:
    """The JSON Schema shipped with the package (published beside the report)."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def accepted_versions(schema: str) -> Tuple[str, ...]:
    """The format versions this tool reads, oldest first: the schema's own enum (one list)."""
    node = load_schema(schema)
    for key in _VERSION_AT[schema]:
        node = node["properties"][key]
    return tuple(node["enum"])


def written_version(schema: str) -> str:
    """The format version this tool writes: the newest its schema accepts (the enum's last)."""
    return accepted_versions(schema)[-1]


#: A JSON file larger than this is refused rather than read into memory.
MAX_JSON_BYTES = 256 * 1024 * 1024


class BadFile(Exception):
    """A file :func:`read_json` cannot use; ``str()`` is the one-line reason (no path)."""


def _not_json(text: str) -> Any:
    raise BadFile("not valid JSON (%s is not a JSON number)" % text)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: a float that parses to infinity
        raise BadFile("not valid JSON (%s is out of range for a number)" % shorten(text, 40))
    return value


def read_json(path: Path, limit: int = MAX_JSON_BYTES) -> Any:
    """The JSON document in ``path``, strictly: UTF-8, at most ``limit`` bytes, and no
    ``NaN``/``Infinity`` (Python's ``json`` accepts them, JSON and browsers do not).

    Raises :class:`BadFile` with a one-line reason for every way a file can be unusable
    (missing, a folder, empty, too large, not UTF-8, not JSON, nested too deeply); each caller
    decides what a bad file means to it.
    """
    try:
        if path.is_dir():
            raise BadFile("is a folder, not a file")
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):  # a FIFO read "empty file" (and a read would wait)
            raise BadFile("not a regular file")
        size = status.st_size
        if size == 0:
            raise BadFile("empty file")
        if size > limit:
            raise BadFile("%d bytes is larger than the %d-byte limit" % (size, limit))
        text = path.read_bytes().decode("utf-8")
        return json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except FileNotFoundError:
        raise BadFile("no such file") from None
    except UnicodeDecodeError as exc:
        raise BadFile("not UTF-8 text (byte %d)" % exc.start) from None
    except json.JSONDecodeError as exc:
        # "%s: line": json's own messages may end in "at" ("Unterminated string starting at")
        raise BadFile("not valid JSON (%s: line %d column %d)" % (
            exc.msg, exc.lineno, exc.colno)) from None
    except RecursionError:
        raise BadFile("not usable JSON (nested too deeply)") from None
    except OSError as exc:
        raise BadFile(exc.strerror or type(exc).__name__) from None
    except ValueError as exc:  # a path with a NUL byte
        raise BadFile(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def atomic_write_text(path: Path, text: str, mode: int = 0o644, new: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole (``harness.guest._files.write_text``: a temp
    file of this process and thread, synced and given ``mode`` before it replaces ``path``, or
    with ``new`` takes it only where no file is: ``FileExistsError``), its folder made first: a
    reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _files.write_text(str(path), text, sync=True, mode=mode, new=new)


def atomic_write_json(path: Path, data: Any, mode: int = 0o644, new: bool = False) -> None:
    """Write ``data`` as sorted, indented, strict JSON (a NaN or infinity is refused with
    ``ValueError``, never written) by :func:`atomic_write_text`."""
    atomic_write_text(path, json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False,
                                       allow_nan=False) + "\n", mode, new)
