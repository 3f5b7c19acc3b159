"""Every module a CI leg reaches imports on Windows and macOS, checked on Linux.

A Windows leg died loading the noxfile once (``harness.provision`` imported ``fcntl`` at module
level) and nothing here noticed: the suite only ever ran on Linux. These tests import, in a fresh
interpreter, every module a leg can reach with the POSIX-only standard modules removed
(``sys.modules[name] = None`` makes ``import name`` raise ImportError, as on Windows) and
``sys.platform`` set to ``win32`` or ``darwin``, so import-time platform branches take the other
OS's path. The module list is computed from the code (imports, ``-m``/``-p`` module names and
sibling scripts started by path, walked from the noxfile, ``python -m harness`` and every
``cases/`` module), never typed by hand, so a new module is covered the day it is imported.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("harness", "cases")
#: Standard modules that exist only on Unix ("Availability: Unix" in the library reference,
#: https://docs.python.org/3/library/unix.html and each module's page), i.e. absent on Windows.
POSIX_ONLY = ("fcntl", "resource", "pwd", "grp", "termios", "tty", "pty", "syslog", "posix",
              "_posixsubprocess", "_posixshmem", "crypt", "spwd", "nis", "ossaudiodev")
#: Not on macOS either: Linux-only standard modules.
LINUX_ONLY = ()
#: Functions and constants of `os` and `signal` that Windows lacks ("Availability: Unix" in
#: https://docs.python.org/3/library/os.html and signal.html): removed too, so a module-level
#: `signal.SIGKILL` or `os.getuid()` fails here as it would there, at import and in the code the
#: noxfile runs when nox loads it.
POSIX_ONLY_ATTRIBUTES = {
    "os": ("fork", "forkpty", "killpg", "getuid", "geteuid", "getgid", "getegid", "getpgid",
           "setsid", "getsid", "setpgid", "uname", "pread", "pwrite", "sysconf", "getloadavg",
           "WNOHANG", "wait3", "wait4", "sched_getaffinity", "pidfd_open",
           "memfd_create", "register_at_fork"),
    "signal": ("SIGKILL", "SIGSTOP", "SIGCONT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2",
               "SIGCHLD", "SIGALRM", "SIGPIPE", "alarm", "setitimer", "pthread_kill",
               "pthread_sigmask", "siginterrupt", "pidfd_send_signal"),
}
# ``signal`` wraps the C module, and guest code imports that directly (cheaper): the same names
# are missing from it on Windows.
POSIX_ONLY_ATTRIBUTES["_signal"] = POSIX_ONLY_ATTRIBUTES["signal"]
#: Linux-only ones, removed as macOS: "Availability: Linux" in the same pages (pidfd_open,
#: memfd_create, eventfd, pidfd_send_signal), select.epoll ("only supported on Linux", select.html)
#: and sched_getaffinity / sched_setaffinity (glibc: "missing on ... Mac OS X", gnulib's docs).
LINUX_ONLY_ATTRIBUTES = {
    "os": ("pidfd_open", "memfd_create", "eventfd", "sched_getaffinity", "sched_setaffinity"),
    "signal": ("pidfd_send_signal",),
    "_signal": ("pidfd_send_signal",),
    "select": ("epoll",),
}
_MODULE_STRING = re.compile(r"^(?:harness|cases)(?:\.\w+)+$")
_SCRIPT_STRING = re.compile(r"^\w+\.py$")


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    path = ROOT.joinpath(*parts)
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    candidate = path.with_suffix(".py")
    return candidate if candidate.is_file() else None


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _referenced(path: Path, package: str) -> Iterator[str]:
    """Project modules ``path`` can load: imports anywhere in it (lazy ones too), module names
    given to ``-m``/``-p`` as strings, and sibling ``name.py`` scripts started by path."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield base
            for alias in node.names:
                yield f"{base}.{alias.name}"  # `from harness import provision` is a module
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _MODULE_STRING.match(node.value):
                yield node.value
            elif _SCRIPT_STRING.match(node.value) and (path.parent / node.value).is_file():
                yield _module_name(path.parent / node.value)


def reached_modules() -> List[str]:
    """Every project module reachable from what a leg starts: the noxfile (``nox -l``, every
    session), ``python -m harness`` and each case module (the executor imports them by name)."""
    roots = [ROOT / "noxfile.py", ROOT / "harness" / "__main__.py",
             *sorted((ROOT / "cases").glob("*.py"))]
    seen: Set[str] = set()
    todo = [(path, _module_name(path) if path.name != "noxfile.py" else "") for path in roots]
    while todo:
        path, name = todo.pop()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for ref in _referenced(path, package):
            if ref.split(".")[0] not in PACKAGES or ref in seen:
                continue
            found = _module_file(ref)
            if found is None:
                continue  # `from harness.x import function`: the function, not a module
            seen.add(ref)
            todo.append((found, ref))
    seen.update(_module_name(path) for path in roots if path.name != "noxfile.py")
    # `harness.__main__` runs the CLI when imported: walked (above), not imported.
    return sorted(name for name in seen if not name.endswith(".__main__"))


_PROBE = r"""
import importlib, json, runpy, sys, types
config = json.loads(sys.argv[1])
sys.path[:0] = [config["root"], *config["extra_path"]]
# The standard library and third-party packages load first, on the real platform: they are
# not under test (and branch on sys.platform themselves). The project's modules load after.
for name in config["preload"]:
    try:
        importlib.import_module(name)
    except Exception:
        pass
for name in config["blocked"]:
    sys.modules[name] = None
saved = {}
for module, names in config["attributes"].items():
    real = importlib.import_module(module)
    saved[module] = {attr: getattr(real, attr) for attr in names if hasattr(real, attr)}
    for attr in saved[module]:
        delattr(real, attr)


class Whole(types.ModuleType):
    # The real platform's module for the standard library and nox: subprocess, shutil...
    # still need os.WNOHANG or signal.SIGKILL on Linux while the project's code runs.
    def __init__(self, real, kept):
        super().__init__(real.__name__)
        self.__dict__.update(_real=real, _kept=kept)

    def __getattr__(self, attr):
        return self._kept[attr] if attr in self._kept else getattr(self._real, attr)


wholes = {name: Whole(sys.modules[name], kept) for name, kept in saved.items()}
project = tuple(config["packages"])
for name, module in list(sys.modules.items()):
    if module is None or name.split(".")[0] in project or name in wholes:
        continue
    for attr, value in list(vars(module).items()):
        for stripped, whole in wholes.items():
            if value is sys.modules[stripped]:
                setattr(module, attr, whole)
sys.platform = config["platform"]
failures = {}
for name in config["modules"]:
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failures[name] = "%s: %s" % (type(exc).__name__, exc)
# The noxfile runs as nox loads it on a leg (python-discovery, harness.discovery's interpreter
# probes): the project's code in it sees the other OS's os and signal, as it would there.
if config["noxfile"]:
    try:
        runpy.run_path(config["noxfile"], run_name="noxfile")
    except BaseException as exc:
        failures["noxfile.py"] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(failures))
"""

def _third_party_and_stdlib(modules: List[str]) -> List[str]:
    names: Set[str] = set()
    for name in [*modules, ""]:
        path = ROOT / "noxfile.py" if not name else _module_file(name)
        if path is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module)
    return sorted(n for n in names
                  if n.split(".")[0] not in PACKAGES and n.split(".")[0] not in POSIX_ONLY)


def import_everything(platform: str, blocked: tuple[str, ...], modules: List[str],
                      extra_path: tuple[str, ...] = (),
                      noxfile: Optional[Path] = ROOT / "noxfile.py") -> Dict[str, str]:
    """Import ``modules`` and run ``noxfile`` in a fresh interpreter as on ``platform``;
    returns ``{module: error}`` for each that failed (``noxfile.py`` for the noxfile)."""
    config = {"root": str(ROOT), "extra_path": list(extra_path), "platform": platform,
              "blocked": list(blocked),
              "attributes": POSIX_ONLY_ATTRIBUTES if platform == "win32" else LINUX_ONLY_ATTRIBUTES,
              "packages": list(PACKAGES),
              "modules": modules, "noxfile": str(noxfile) if noxfile else "",
              "preload": _third_party_and_stdlib(modules)}
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(config)], cwd=str(ROOT),
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert isinstance(result, dict)
    return result


def test_the_walk_finds_what_a_leg_runs() -> None:
    """The computed list holds the modules a leg is known to start (so the walk is not empty
    or blind to lazy imports, -p plugins and scripts started by path)."""
    modules = reached_modules()
    for name in ("harness.cli", "harness.plugin", "harness.runner", "harness.guest.executor",
                 "harness.guest.case_parent", "harness.guest.probe", "harness.merge",
                 "harness.render", "harness.check", "harness.provision", "cases.methods"):
        assert name in modules, name
    assert all(name.split(".")[0] in PACKAGES for name in modules)


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_every_module_a_leg_reaches_imports_without_posix_only_modules(platform: str) -> None:
    """Windows lacks fcntl, resource, pwd, grp, termios...; macOS runs the same code with its
    own sys.platform. Every reached module and the noxfile must load there."""
    blocked = POSIX_ONLY if platform == "win32" else LINUX_ONLY
    failures = import_everything(platform, blocked, reached_modules())
    assert failures == {}, "\n".join(f"{name}: {why}" for name, why in sorted(failures.items()))


def test_the_check_can_fail(tmp_path: Path) -> None:
    """A module importing fcntl at top level is reported (the defect this file guards), and so
    are one that takes a Windows-only branch at import and one that reads signal.SIGKILL."""
    (tmp_path / "posix_leaning.py").write_text("import fcntl\n", encoding="utf-8")
    (tmp_path / "branchy.py").write_text(
        "import sys\nif sys.platform == 'win32':\n    import msvcrt\n", encoding="utf-8")
    (tmp_path / "sigs.py").write_text("import signal\nKILL = signal.SIGKILL\n", encoding="utf-8")
    failures = import_everything("win32", POSIX_ONLY,
                                 ["posix_leaning", "branchy", "sigs", "harness.cli"],
                                 extra_path=(str(tmp_path),), noxfile=None)
    assert set(failures) == {"posix_leaning", "branchy", "sigs"}, failures
    assert "fcntl" in failures["posix_leaning"]


@pytest.mark.parametrize(("platform", "call"), [("win32", "os.geteuid()"),
                                              ("darwin", "os.sched_getaffinity(0)")])
def test_what_the_noxfile_runs_at_load_is_checked_too(tmp_path: Path, platform: str,
                                                      call: str) -> None:
    """Not only imports: a project function the noxfile calls when nox loads it (as it calls
    harness.discovery) fails there when it uses what that OS lacks (os.geteuid on Windows,
    os.sched_getaffinity on macOS). The standard library keeps the real platform's os and
    signal: subprocess, which needs os.WNOHANG and signal.SIGKILL on this Linux host, works."""
    (tmp_path / "loader.py").write_text(
        "import os\n\n\ndef where():\n    return %s\n" % call, encoding="utf-8")
    head = ("import subprocess, sys\nimport loader\n"
            "subprocess.run([sys.executable, '-c', 'pass'], check=True, timeout=60)\n")
    (tmp_path / "fine.py").write_text(head, encoding="utf-8")
    (tmp_path / "broken.py").write_text(head + "loader.where()\n", encoding="utf-8")
    blocked = POSIX_ONLY if platform == "win32" else LINUX_ONLY
    for noxfile, expected in (("fine.py", set()), ("broken.py", {"noxfile.py"})):
        failures = import_everything(platform, blocked, [], extra_path=(str(tmp_path),),
                                     noxfile=tmp_path / noxfile)
        assert set(failures) == expected, (noxfile, failures)
    missing = call.split("(", maxsplit=1)[0].split(".")[1]
    assert "has no attribute '%s'" % missing in failures["noxfile.py"], failures


def test_root_pythons_literal_matches_the_provisioned_packages() -> None:
    """The noxfile names the Debian root's interpreters without importing harness.provision
    (POSIX-only); the literal must still be what provision installs."""
    from harness import provision

    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    (literal,) = [ast.literal_eval(node.value) for node in tree.body
                  if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                  and node.targets[0].id == "ROOT_PYTHONS"]
    assert literal == list(provision.SESSIONS)


# --- Windows and macOS code paths that run on Linux with the OS call faked at its boundary ---


def test_windows_kill_tree_uses_taskkill_on_the_whole_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows the case tree is killed with `taskkill /F /T` (no process groups there),
    then the process itself; no POSIX call (killpg, /proc) is made."""
    import os

    from harness import runner
    from harness.guest import _procs

    calls: List[List[str]] = []
    monkeypatch.setattr(sys, "platform", "win32")  # the modules runner reads them from
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: calls.append(list(argv)))
    monkeypatch.setattr(os, "killpg", lambda *a: pytest.fail("killpg on Windows"))
    monkeypatch.setattr(_procs, "proc_table", lambda: pytest.fail("/proc on Windows"))

    class Proc:
        pid = 4242
        killed = False

        def kill(self) -> None:
            self.killed = True

    proc = Proc()
    runner.kill_tree(proc)  # type: ignore[arg-type]
    assert calls == [["taskkill", "/F", "/T", "/PID", "4242"]]
    assert proc.killed


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_memory_without_proc_is_unavailable(monkeypatch: pytest.MonkeyPatch,
                                            platform: str) -> None:
    """macOS and Windows have no /proc/<pid>/smaps: memory cells say `unavailable` with the
    reason, never a number and never a crash."""
    from harness.guest import catalog, measure

    monkeypatch.setattr(sys, "platform", platform)
    opened: List[str] = []
    monkeypatch.setattr("builtins.open", lambda *a, **k: opened.append(str(a[0])))
    with pytest.raises(catalog.Unavailable, match=platform):
        measure.memory_of("self")
    assert opened == []


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_fork_methods_are_unavailable_cells_on_windows(monkeypatch: pytest.MonkeyPatch,
                                                       method: str) -> None:
    """Windows offers only spawn (multiprocessing docs, "Contexts and start methods"): a fork or
    forkserver cell is `unavailable`, not an error, and the case is never run."""
    import multiprocessing

    from harness.guest import case_parent

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(sys, "platform", "win32")
    result = case_parent._run("methods.default", method)
    assert result["outcome"] == "unavailable", result
    assert method in result["detail"] and "win32" in result["detail"]


def test_the_case_environment_keeps_what_platform_machine_reads_on_windows() -> None:
    """On Windows before 3.12 (and PyPy), ``platform.machine()`` reads only environment
    variables: every one this stdlib's platform.py reads must reach the probe and the cases,
    or the results record an empty arch."""
    import platform

    from harness import runner

    source = Path(platform.__file__).read_text(encoding="utf-8")
    names = set(re.findall(r"os\.environ\.get\(\s*'(PROCESSOR_ARCHITE\w+)'", source))
    assert names, "platform.py no longer reads PROCESSOR_* variables: revisit this test"
    assert names <= set(runner._ENV_KEEP), names - set(runner._ENV_KEEP)
