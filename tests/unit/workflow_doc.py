"""The workflow file, read for the workflow tests (``test_workflow*.py``): its path, its
parsed document and the steps, triggers and legs GitHub would see in it."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "matrix.yml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"


def load(path: Path = WORKFLOW) -> Dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def on(doc: Dict[str, Any]) -> Dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    keys: Dict[Any, Any] = doc  # a YAML key may be a boolean
    triggers = keys.get("on", keys.get(True))
    assert isinstance(triggers, dict)
    return triggers


def steps(doc: Dict[str, Any]) -> Iterator[Tuple[str, Dict[str, Any]]]:
    for name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


def step(doc: Dict[str, Any], job: str, uses: str = "", ident: str = "",
          name: str = "") -> Dict[str, Any]:
    for job_name, step in steps(doc):
        if job_name != job:
            continue
        if ((uses and str(step.get("uses", "")).startswith(uses + "@"))
                or (ident and step.get("id") == ident)
                or (name and step.get("name") == name)):
            return step
    raise AssertionError(f"no step uses={uses!r} id={ident!r} name={name!r} in job {job}")


def legs(matrix: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The legs GitHub expands: os x python, minus exclude, plus include (new combinations)."""
    legs = [{"os": o, "python": p} for o in matrix.get("os", [])
            for p in matrix.get("python", [])]
    for rule in matrix.get("exclude", []):
        legs = [leg for leg in legs if any(leg.get(k) != v for k, v in rule.items())]
    legs += [dict(extra) for extra in matrix.get("include", [])]
    return legs


def noxfile_known_pythons() -> List[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "KNOWN"):
            return [str(value) for value in ast.literal_eval(node.value)]
    raise AssertionError("noxfile.py defines no KNOWN list")
