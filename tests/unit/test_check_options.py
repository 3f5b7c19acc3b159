"""check's own options written after ``--pytest`` are check's (``check_cli.own_options``):
argparse hands everything after ``--pytest`` to pytest, which rejected ``--python 3.12`` with
an error naming the harness's internal script."""

from __future__ import annotations

from typing import List

import pytest

from harness import check_cli, cli


def parsed(argv: List[str]) -> "object":
    args = cli.build_parser().parse_args(["check", *argv])
    check_cli._take_own_options(args)
    return args


def test_checks_options_after_pytest_are_checks_and_the_rest_is_pytests() -> None:
    args = parsed(["--python", "3.11", "--pytest", "-q", "--python", "3.12", "-k", "lock",
                   "--timeout=5", "--json", "--jobs", "2", "tests/"])
    assert args.python == ["3.11", "3.12"]  # type: ignore[attr-defined]
    assert args.timeout == 5.0  # type: ignore[attr-defined]
    assert args.json is True  # type: ignore[attr-defined]
    assert args.jobs == 2  # type: ignore[attr-defined]
    assert args.pytest == ["-q", "-k", "lock", "tests/"]  # type: ignore[attr-defined]


def test_without_options_after_pytest_the_defaults_stay() -> None:
    args = parsed(["--pytest", "-q", "-o", "timeout=30"])
    assert (args.python, args.timeout, args.json, args.jobs) == (  # type: ignore[attr-defined]
        None, None, False, 1)
    assert args.pytest == ["-q", "-o", "timeout=30"]  # type: ignore[attr-defined]


def test_a_bad_value_after_pytest_is_checks_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parsed(["--pytest", "-q", "--timeout", "soon"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "python -m harness check: error: argument --timeout: 'soon' is not a number" in err


def test_args_with_pytest_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``--args`` is the argv of a TARGET: with ``--pytest`` it was silently ignored."""
    from harness import check

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("a usage error runs nothing")

    monkeypatch.setattr(check, "check", no_run)
    assert cli.main(["check", "--pytest", "-q", "--args", "[1]"]) == 2
    assert capsys.readouterr().err == (
        "harness: error: --args is for a TARGET; with --pytest, pytest's arguments follow it\n")


@pytest.mark.parametrize("argv", [["-m", "pkg", "run.py"], ["-m", "pkg", "--pytest"],
                                  ["-m", "no such"], ["-m", "pkg:main"]])
def test_a_module_is_given_alone_and_by_its_name(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 argv: List[str]) -> None:
    """``-m MODULE`` stands for TARGET (review r13 F5): with another target, or not a dotted
    module name, it is a usage error that runs nothing."""
    from harness import check

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("a usage error runs nothing")

    monkeypatch.setattr(check, "check", no_run)
    assert cli.main(["check", *argv]) == 2
    assert capsys.readouterr().err.startswith("harness: error: ")


def test_a_module_is_the_target_python_m_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """``check -m pkg.tool --args '["-v"]'`` runs the target ``-m pkg.tool`` with that argv."""
    from harness import check

    ran: List[object] = []

    def record(target: str, interpreters: object, args: object, **kwargs: object) -> None:
        ran.append((target, args))
        raise KeyboardInterrupt

    monkeypatch.setattr(check, "check", record)
    monkeypatch.setattr(check, "select_interpreters", lambda *a, **k: [object()])
    monkeypatch.setattr(check, "label", lambda *a: "3.12")
    cli.main(["check", "-m", "pkg.tool", "--args", '["-v"]', "--json"])
    assert ran == [("-m pkg.tool", ["-v"])]


def test_pytests_own_m_after_pytest_stays_pytests() -> None:
    """``--pytest -m slow`` is pytest's marker expression, not check's ``-m MODULE``."""
    args = parsed(["--pytest", "-q", "-m", "slow"])
    assert args.module is None  # type: ignore[attr-defined]
    assert args.pytest == ["-q", "-m", "slow"]  # type: ignore[attr-defined]
