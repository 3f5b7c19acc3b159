"""One vocabulary: the words of ``harness.guest.words`` are spelled (and defined) there and
nowhere else in the code, and the data written in the docs' own words (case expectations, the
article's claims) names only words of it, so a misspelt method or OS cannot silently match
nothing."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import jinja2

from harness.guest import catalog, words

ROOT = Path(__file__).resolve().parents[2]
VOCABULARIES: Dict[str, Sequence[str]] = {
    "outcome": words.OUTCOMES, "verdict": words.VERDICTS, "status": words.STATUSES,
    "start method": words.START_METHODS, "os": words.OPERATING_SYSTEMS,
    "implementation": words.IMPLEMENTATIONS, "claim verdict": words.CLAIM_VERDICTS,
    "category": words.CATEGORIES,
}
ALL_WORDS = {word for vocabulary in VOCABULARIES.values() for word in vocabulary}
#: The code's vocabularies: the page's, and those of ``check`` alone (no page spells them).
CODE_VOCABULARIES: Dict[str, Sequence[str]] = dict(VOCABULARIES, **{
    "test outcome": words.TEST_OUTCOMES})
CODE_WORDS = {word for vocabulary in CODE_VOCABULARIES.values() for word in vocabulary}
#: Words of other vocabularies that happen to be spelled like ours, with where and why.
OTHER_VOCABULARIES = {
    ("harness/check_diagnose.py", "inheritance"): "a word searched for in an error message",
    ("harness/check_causes.py", "inheritance"): "a word searched for in an error message",
    ("harness/replaced.py", "interrupted"): "a folder's name (results/interrupted/)",
    ("harness/guest/case_digest.py", "timeout"): "a keyword argument's name (@case(timeout=))",
}
CASE_MODULES = ["cases." + p.stem for p in sorted((ROOT / "cases").glob("*.py"))
                if not p.stem.startswith("_")]


def _literal(node: Optional[ast.AST]) -> Any:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _spelled(tree: ast.AST) -> Iterator[Tuple[int, str, str]]:
    """(line, word, how) for every comparison with a vocabulary word, every name given one
    (a word defined again) and every tuple, list, set or dict keys holding two words of one
    vocabulary (a vocabulary written again)."""
    skip = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and _literal(node.value) in CODE_WORDS:
            yield node.lineno, _literal(node.value), "defined again"
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                items = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                for word in filter(None, map(_literal, items)):
                    if word in CODE_WORDS:
                        yield node.lineno, word, "compared with"
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = node.elts
        elif isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None]
        else:
            continue
        found = [w for w in map(_literal, items) if w]
        for name, vocabulary in CODE_VOCABULARIES.items():
            same = [w for w in found if w in vocabulary]
            if len(same) >= 2:
                yield node.lineno, same[0], "written again (%s: %s)" % (name, ", ".join(same))
                break


def _code_files() -> List[Path]:
    return [p for p in sorted((ROOT / "harness").rglob("*.py"))
            if "__pycache__" not in p.parts and p.name != "words.py"]


def test_the_code_spells_no_vocabulary_word_outside_words() -> None:
    """Comparisons and collections use the names of ``harness.guest.words``, never the word."""
    found = []
    for path in _code_files():
        where = path.relative_to(ROOT).as_posix()
        for line, word, how in _spelled(ast.parse(path.read_text(encoding="utf-8"))):
            if (where, word) not in OTHER_VOCABULARIES:
                found.append("%s:%d: %r %s" % (where, line, word, how))
    assert not found, "\n".join(found)


def test_the_scan_finds_a_word_spelled_again() -> None:
    """The check above bites: a comparison with a word, and a vocabulary written again."""
    source = ('if outcome == "timeout":\n    pass\nMETHODS = ("fork", "spawn")\n'
              'STOPPED = "interrupted"\n')
    assert sorted((line, word) for line, word, _how in _spelled(ast.parse(source))) == [
        (1, "timeout"), (3, "fork"), (4, "interrupted")]


#: In the page's template and script a word is spelled as a quoted string (a comparison, an
#: option's value, an attribute) or as a script object's key.
_PAGE_WORD = re.compile(r'"([^"\n]*)"|\'([^\'\n]*)\'|[{,]\s*([A-Za-z][\w-]*)\s*:')
#: Words of the page spelled like ours with another meaning, with where and why.
OTHER_PAGE_WORDS = {
    ("harness/templates/index.html.j2", "methods"): "the start-methods section's id",
    ("harness/templates/index.html.j2", "performance"): "the performance section's id",
    ("harness/templates/index.html.j2", "true"): "an ARIA attribute's value (aria-hidden)",
    ("harness/templates/report-panel.js", "methods"): "an expectation's field (its methods)",
}
#: The page's own cell words (``data-outcome``/``data-verdict``), beyond the vocabulary's.
PAGE_ONLY = ("not-applicable",)


#: A Jinja tag, expression or comment: its strings are read by jinja2's lexer; the rest is
#: HTML or script, where a quote inside ``{{ }}`` would pair with an attribute's own quote.
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _page_spelled(text: str) -> List[Tuple[int, str]]:
    """(line, word) for each vocabulary word the template or script spells, by line."""
    lexed = jinja2.Environment(autoescape=True).lex(text)
    found = [(line, value[1:-1]) for line, kind, value in lexed if kind == "string"]
    markup = _JINJA.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    for number, line in enumerate(markup.splitlines(), 1):
        for match in _PAGE_WORD.finditer(line):
            found.append((number, next(g for g in match.groups() if g is not None)))
    return sorted((line, word) for line, word in found if word in ALL_WORDS or word in PAGE_ONLY)


def test_the_page_template_and_script_spell_no_vocabulary_word() -> None:
    """The template gets the words as ``words`` (a jinja global), the page's script from the
    panel JSON (``~words``): neither spells one again."""
    found = []
    for path in sorted((ROOT / "harness" / "templates").iterdir()):
        if path.suffix == ".css":  # styles the words: the test below checks its selectors
            continue
        where = path.relative_to(ROOT).as_posix()
        found += ["%s:%d: %r" % (where, line, word)
                  for line, word in _page_spelled(path.read_text(encoding="utf-8"))
                  if (where, word) not in OTHER_PAGE_WORDS]
    assert not found, "\n".join(found)
    assert _page_spelled('{% if x.outcome != "ok" %}<option value="crash">\n'
                         'var line = { unavailable: 1 }; if (v === \'as-expected\')') == [
        (1, "crash"), (1, "ok"), (2, "as-expected"), (2, "unavailable")]
    # a string inside an expression inside an attribute's quotes (review r2 F12)
    assert _page_spelled('<td class="v-{{ "depends" if a else b }}" title="{{ \'flaky\' }}">'
                         '\n<i class="{{ x }}">{{ "timeout" }}</i>') == [
        (1, "depends"), (1, "flaky"), (2, "timeout")]


def test_the_stylesheet_styles_only_words_of_the_page() -> None:
    """Each ``data-outcome``/``data-verdict`` selector of report.css names a word the page sets
    (a misspelt selector would style nothing, silently)."""
    from harness.cellview import OUTCOMES, VERDICT_MARKS

    css = (ROOT / "harness" / "templates" / "report.css").read_text(encoding="utf-8")
    outcomes = re.findall(r'data-outcome="([^"]*)"', css)
    verdicts = re.findall(r'data-verdict="([^"]*)"', css)
    assert outcomes and verdicts
    assert [w for w in outcomes if w not in OUTCOMES] == []
    assert [w for w in verdicts if w not in VERDICT_MARKS] == []


def _catalog() -> List[catalog.Case]:
    for name in CASE_MODULES:
        importlib.import_module(name)
    return catalog.all_cases()


def _conditions_problems(where: str, conditions: Dict[str, Any]) -> List[str]:
    problems = []
    for key, vocabulary in (("os", words.OPERATING_SYSTEMS), ("impl", words.IMPLEMENTATIONS)):
        value = conditions.get(key)
        for word in [value] if isinstance(value, str) else value or []:
            if word not in vocabulary:
                problems.append("%s: %s %r is not one of %s" % (where, key, word, vocabulary))
    return problems


def test_case_data_names_only_words_of_the_vocabulary() -> None:
    """Every case's methods, and every expectation's methods, outcome, os and impl."""
    problems = []
    for case in _catalog():
        problems += ["%s: method %r" % (case.id, m) for m in case.methods
                     if m not in words.START_METHODS]
        if case.category not in words.CATEGORIES:
            problems.append("%s: category %r" % (case.id, case.category))
        for rule in case.expect:
            problems += ["%s: rule for %r" % (case.id, m) for m in rule.methods
                         if m != "*" and m not in words.START_METHODS]
            if rule.outcome not in words.OUTCOMES:
                problems.append("%s: outcome %r" % (case.id, rule.outcome))
            problems += _conditions_problems(case.id, rule.conditions)
    assert not problems, "\n".join(problems)


def test_claims_name_only_words_of_the_vocabulary_and_real_cases() -> None:
    """Every claim's scope and checks: os, impl, methods, ``faster_than``, the case ids."""
    from cases.claims import CLAIMS

    ids = {case.id for case in _catalog()}
    problems = []
    for claim in CLAIMS:
        problems += _conditions_problems(claim["id"], claim.get("scope", {}))
        for check in claim.get("checks", []):
            where = "%s/%s" % (claim["id"], check["case"])
            if check["case"] not in ids:
                problems.append("%s: no such case" % where)
            problems += ["%s: method %r" % (where, m) for m in check.get("methods", ["*"])
                         if m != "*" and m not in words.START_METHODS]
            problems += _conditions_problems(where, check.get("when", {}))
            for pred in _predicates(check["holds"]):
                if "faster_than" in pred and pred["faster_than"] not in words.START_METHODS:
                    problems.append("%s: faster_than %r" % (where, pred["faster_than"]))
    assert not problems, "\n".join(problems)


def _predicates(pred: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    yield pred
    for inner in pred.get("all", []) + pred.get("any", []) + (
            [pred["not"]] if "not" in pred else []):
        yield from _predicates(inner)


def test_every_claim_verdict_and_status_has_its_look_on_the_page() -> None:
    """The stylesheet colours each claim verdict (``.v-<word>``); each status has its code,
    symbol and label (a status without one would break the page)."""
    from harness.claimview import VERDICT_SYMBOLS
    from harness.model import STATUS_INFO

    css = (ROOT / "harness" / "templates" / "report.css").read_text(encoding="utf-8")
    assert [w for w in words.CLAIM_VERDICTS if ".v-%s" % w not in css] == []
    assert sorted(VERDICT_SYMBOLS) == sorted(words.CLAIM_VERDICTS)
    assert sorted(STATUS_INFO) == sorted(words.STATUSES)


def test_the_dead_child_s_error_type_is_the_exception_s_name() -> None:
    """Results record ``words.CHILD_DIED`` (the judge reads it without importing the catalog)
    for the catalog's ChildDied: one name, not two that can drift apart."""
    assert catalog.ChildDied.__name__ == words.CHILD_DIED
