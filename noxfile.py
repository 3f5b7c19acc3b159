"""Start-Method Matrix sessions: ``nox -s matrix`` (or plain ``nox``) runs the catalog on every
interpreter found, the Debian root's included, and builds the report; ``nox -s tests`` runs
the harness's own tests. ``nox -l`` lists all."""

from __future__ import annotations

import argparse
import atexit
import glob
import json
import os
import shlex
import sys
from pathlib import Path
from typing import TypedDict

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from harness import discovery
from harness.guest import probe
from harness.guest.words import PYPY
from harness.results import MATRIX_FILE, REPORTS, RESULTS_DIR, session_identity

nox.needs_version = ">=2025.10.14"
# Without uv, the stdlib venv: it seeds pip from the interpreter's own ensurepip, while current
# virtualenv no longer ships pip for Python 3.8 (the README installs only nox).
nox.options.default_venv_backend = "uv|venv"
nox.options.reuse_venv = "yes"
nox.options.download_python = "never"
# Plain `nox` runs the whole matrix: every session tagged "matrix" (the host interpreters and
# the Debian root's), then the report. `nox -s matrix` does the same (see whole_matrix).
nox.options.tags = ["matrix"]
# Never let uv fetch an interpreter: the matrix is about the interpreters on this machine.
os.environ["UV_PYTHON_DOWNLOADS"] = "never"

# pyenv's python3.X shims fail outside a pyenv shell: put the real binaries first on PATH so
# that nox (and uv) find the same interpreters as `python -m harness interpreters`.
_PYENV_BINS = [
    folder
    for root in discovery.pyenv_roots()
    for folder in sorted(glob.glob(str(root / "versions" / "*" / "bin")))
]
os.environ["PATH"] = os.pathsep.join([*_PYENV_BINS, os.environ.get("PATH", "")])


class _Stop(TypedDict):
    """``session.run``'s keywords for how long a stopped child gets (typed: mypy checks each
    against ``run``'s signature, which a plain dict's ``**`` hides)."""

    interrupt_timeout: float
    terminate_timeout: float


#: Ctrl-C: nox gives its child 0.3 s after SIGINT before SIGTERM/SIGKILL; the harness needs
#: about 1 s to kill and reap every case tree and write the cells that had finished.
INTERRUPT: _Stop = {"interrupt_timeout": 3.0, "terminate_timeout": 2.0}

#: Interpreters CI legs ask for by name; locally, those not installed are skipped. Every
#: python-version of .github/workflows/matrix.yml must be here (tests/unit/test_workflow.py).
KNOWN = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.13t", "3.14", "3.14t", "3.15",
         "3.15t", "3.16", "pypy3.9", "pypy3.10", "pypy3.11"]
FOUND, REJECTED = discovery.discover()


def _session_order(name: str) -> tuple[bool, list[int], bool]:
    """CPython before PyPy, then by version, a free-threaded build after its twin."""
    implementation, minor, free_threading = session_identity(name)
    return implementation == PYPY, [int(p) for p in minor.split(".")], free_threading


PYTHONS = sorted({i.session_name for i in FOUND} | set(KNOWN), key=_session_order)

#: Interpreters of the Debian unstable root (`nox -s provision`): sessions matrix_root(3.13),
#: matrix_root(pypy3)... A literal, not read from harness.provision (its SESSIONS): that module
#: is POSIX-only at heart and the noxfile must load on Windows (tests/unit/test_portability.py;
#: a unit test keeps the two equal).
ROOT_PYTHONS = ["3.13", "3.14", "3.15", "pypy3"]

# Dependencies live once, in pyproject.toml's [dependency-groups] (matrix, host, test, lint);
# the lint tools' exact versions in requirements/lint.txt (constraints Dependabot bumps).
_PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
MATRIX_DEPS = nox.project.dependency_groups(_PYPROJECT, "matrix")
HOST_DEPS = nox.project.dependency_groups(_PYPROJECT, "host")
TEST_DEPS = nox.project.dependency_groups(_PYPROJECT, "test")
LINT_DEPS = nox.project.dependency_groups(_PYPROJECT, "lint")
LINT_PINS = ROOT / "requirements" / "lint.txt"
#: mypy reads cases/ as this Python: the newest the catalog runs that the bundled typeshed
#: describes. Read as an older one, a case gated on a newer feature (`if sys.version_info <
#: (3, 11): raise Unavailable`) is unreachable and goes unchecked; mypy 2.x checks nothing older
#: than 3.10 anyway. The 3.8 floor is the boundary's (cases parse as 3.8) and ruff's (py38).
CASES_MYPY_PYTHON = "3.15"


#: Whether this nox run reached the report session: a matrix run that stops before it (Ctrl-C,
#: an interpreter's failed run) says so at exit, else the older page would pass for this run's.
_RUN = {"report_reached": False, "hint_registered": False}


def _hint_unless_reported() -> None:
    if not _RUN["report_reached"]:
        _say_last("nox > the report was not rebuilt (the run stopped before it): `nox -s report` "
                  "builds it from what reports/results/ holds")


def _promise_report() -> None:
    if not os.environ.get("HARNESS_NO_REPORT") and not _RUN["hint_registered"]:
        _RUN["hint_registered"] = True
        atexit.register(_hint_unless_reported)


@nox.session(python=PYTHONS, tags=["matrix"])
def matrix(session: nox.Session) -> None:
    """Run the case catalog under every start method on one interpreter, then the report."""
    _promise_report()
    session.install(*MATRIX_DEPS)
    session.run("python", "-m", "harness", "run", "--results-dir", str(RESULTS_DIR), "--",
                *session.posargs, env={"HARNESS_GIT_COMMIT": _git_commit()}, **INTERRUPT)
    if whole_matrix(sys.argv[1:]):  # `nox -s matrix` also runs the Debian root's columns
        for version in ROOT_PYTHONS:
            session.notify(f"matrix_root({version})", posargs=session.posargs)
    if not os.environ.get("HARNESS_NO_REPORT"):
        session.notify("report", posargs=[])  # the posargs are pytest's, not the report's


@nox.session(python=None, tags=["matrix"])
@nox.parametrize("version", ROOT_PYTHONS, ids=ROOT_PYTHONS)
def matrix_root(session: nox.Session, version: str) -> None:
    """The matrix on an interpreter of the Debian unstable root (made by `nox -s provision`)."""
    if not sys.platform.startswith("linux"):  # debootstrap, chroot and mount namespaces
        session.skip(f"the Debian root's interpreters run on Linux only, not on {sys.platform}")
    if os.environ.get("HARNESS_NO_ROOT"):
        session.skip("HARNESS_NO_ROOT is set: the Debian root's interpreters are not run")
    from harness import provision as root_provision
    root = root_provision.default_root_dir()
    found, rejected = discovery.root_interpreters(root)
    program = ":" + root_provision.SESSIONS[version]
    chosen = [i for i in found if i.path.endswith(program)]
    if not chosen:
        why = [r.reason for r in rejected if r.path.endswith(program)]
        session.skip(f"no {program[1:]} in a Debian root: " + (
            why[0] if why else f"none provisioned at {root} (`nox -s provision`, as root)"))
    _promise_report()
    session.install(*MATRIX_DEPS)
    this_run = root_provision.ThisRun.now()  # the root is shared: only this run's is killed
    try:
        session.run("python", "-m", "harness", "run", "--python", shlex.join(chosen[0].argv()),
                    "--results-dir", str(RESULTS_DIR), "--", *session.posargs,
                    env={"HARNESS_GIT_COMMIT": _git_commit()}, **INTERRUPT)
    finally:  # the wrapper's mounts are private to each run: nothing may be left on the host
        left = root_provision.release(root, session.log, this_run)
        if left:
            session.error(f"still mounted or running in {root}: {', '.join(left)}")
    if not os.environ.get("HARNESS_NO_REPORT"):
        session.notify("report", posargs=[])  # the posargs are pytest's, not the report's


@nox.session(python=False)
def provision(session: nox.Session) -> None:
    """Create, upgrade or reuse the Debian root: CPython 3.13, 3.14, 3.15, PyPy (needs root).

    `-- --refresh` rebuilds it; it lives in ~/.cache/start-method-matrix (HARNESS_ROOT_DIR).
    """
    from harness import provision as root_provision

    cfg = root_provision.Config.from_env()
    try:
        result = root_provision.provision(cfg, refresh="--refresh" in session.posargs,
                                          out=session.log)
    except root_provision.Skip as exc:
        session.skip(str(exc))
    except root_provision.ProvisionError as exc:
        session.error(f"provisioning failed: {exc}")
    session.log(f"{result.status}: {result.message}")


@nox.session(python=None)
def report(session: nox.Session) -> None:
    """Merge reports/results/*.json into reports/matrix.json and reports/index.html."""
    _RUN["report_reached"] = True  # from here on its own lines say what became of the page
    files = sorted(glob.glob(str(RESULTS_DIR / "*.json")))
    if not files:
        session.error("no results in reports/results/: run `nox -s matrix` first")
    session.install(*HOST_DEPS)
    # What this machine could not run, and why: those slots say "not run — why", not "no data"
    # with no reason. Only ids with no results file (stem: the id, "-root" for the root's):
    # the report notes an id given that has data, as a mistake of whoever typed it.
    from harness import coverage

    have = {Path(f).stem[:-len("-root")] if f.endswith("-root.json") else Path(f).stem
            for f in files}
    not_run = [f"--not-run={ident}={why}" for ident, why in
               coverage.not_run_here(PYTHONS, FOUND, REJECTED) if ident not in have]
    session.run("python", "-m", "harness", "report", *files, "-o", str(REPORTS), *not_run,
                *session.posargs)
    _say_coverage(session)
    atexit.register(_say_last, page_line(ROOT / "reports"))


def page_line(reports: Path) -> str:
    """The run's very last line, printed after nox's session summary (21 lines for a whole
    matrix, which pushed the report's own line off a 24-line screen)."""
    return (f"nox > the report: {reports / 'index.html'} (open it in a browser; in short: "
            f"{reports / 'summary.md'})")


def _say_last(line: str) -> None:
    sys.stderr.write(line + "\n")


@nox.session(python=None)
def tests(session: nox.Session) -> None:
    """Run the harness's own tests (unit, integration, browser)."""
    if not sys.platform.startswith("linux"):  # the CI legs cover macOS and Windows instead
        session.skip("the harness's own tests run on Linux only (they read /proc and /dev/shm, "
                     "fork and send POSIX signals), not on %s" % sys.platform)
    session.install(*TEST_DEPS)
    # No `tests` of its own: pyproject's testpaths gives it when the arguments name no test
    # (`nox -s tests -- tests/unit/test_x.py` ran the whole suite as well; review r11).
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=None)
def lint(session: nox.Session) -> None:
    """Lint: ruff, mypy and the import boundary on the harness and the cases (mypy on this file
    and the tests too); actionlint and zizmor on CI."""
    session.install(*LINT_DEPS, "-c", str(LINT_PINS))
    workflows = sorted(glob.glob(str(ROOT / ".github" / "workflows" / "*.yml")))
    if not workflows:
        session.error("no workflow in .github/workflows/")
    # Every tool runs, then the session fails naming each one that found something. No
    # `ruff format --check`: the code keeps its hand-aligned continuation lines (ruff check's
    # E/W rules still apply). zizmor runs with its strictest persona, so no finding is hidden
    # by a persona; none is ignored in the workflow either. Offline locally; with a token
    # (GH_TOKEN: CI's read-only job token) its online audits run too (impostor-commit,
    # ref-version-mismatch, known-vulnerable-actions, stale-action-refs).
    online = [] if os.environ.get("GH_TOKEN") else ["--offline"]
    checks = [
        ("ruff", ["ruff", "check", "harness", "cases", "tests", "noxfile.py"]),
        ("mypy", ["mypy", "harness", "noxfile.py"]),
        ("mypy on cases", ["mypy", "--python-version", CASES_MYPY_PYTHON, "cases"]),
        # As strict as the harness: a test that hands the harness a document of the wrong
        # shape fails here (pyproject.toml's [tool.mypy] exclude: the programs check runs).
        ("mypy on tests", ["mypy", "tests"]),
        ("import boundary", ["python", "-m", "harness.boundary"]),
        ("actionlint", ["actionlint", *workflows]),
        ("zizmor", ["zizmor", *online, "--persona", "auditor", str(ROOT / ".github")]),
    ]
    failed = []
    for name, command in checks:
        try:
            session.run(*command)
        except nox.command.CommandFailed:
            failed.append(name)
    if failed:
        session.error(f"lint found problems: {', '.join(failed)}")


@nox.session(python=None, default=False)
def bench(session: nox.Session) -> None:
    """Benchmark the harness: full local matrix vs the hand-run floor -> reports/bench.json."""
    session.install(*HOST_DEPS, "playwright")  # the report page's load time in Debian chromium
    session.run("python", "-m", "harness.bench", *session.posargs)


@nox.session(python=False)
def interpreters(session: nox.Session) -> None:
    """List the interpreters found (what `nox -s matrix` will run)."""
    session.run(sys.executable, "-m", "harness", "interpreters")


def whole_matrix(argv: list[str]) -> bool:
    """True for `nox -s matrix` and plain `nox`, False for `nox -s matrix-3.12`, `-p 3.12` or
    `-k ...`: nox has no public way to tell a session how it was selected, so its command line
    (the one nox was started with) is read here. Root sessions already queued are not rerun."""
    args = argv[: argv.index("--")] if "--" in argv else list(argv)
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-s", "-e", "--session", "--sessions", nargs="*", action="extend",
                        dest="sessions")
    parser.add_argument("-p", "--python", "--pythons", nargs="*", dest="pythons")
    parser.add_argument("-k", "--keywords", dest="keywords")
    known, _ = parser.parse_known_args(args)
    if known.pythons is not None or known.keywords is not None:
        return False
    return known.sessions is None or "matrix" in known.sessions


def _say_coverage(session: nox.Session) -> None:
    """The run's last lines: interpreters covered, what is missing and how to get it."""
    from harness import coverage

    try:
        matrix = json.loads((REPORTS / MATRIX_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        session.warn(f"no coverage summary: reports/matrix.json unreadable ({exc})")
        return
    for line in coverage.coverage_lines(matrix, KNOWN, [i.session_name for i in FOUND]):
        session.log(line)


def _git_commit() -> str:
    # the probe's reader: nox's session.run(silent=True) mixes git's stderr (a warning) in
    return probe.git_commit() or ""
