"""Which collected cases the executor can find. It imports one module for a case,
``cases.<category>`` (``case_parent.category_module``), so a case registered in a module that
one does not import, directly or through another, is an ``UnknownCase`` in every cell (and the
run partial): the plugin leaves such cases out at collection, with one line per module saying
what to add. Read from the source, never imported into a case parent (a fork child copies what
its parent imported), and only the files needed: a category module usually names the rest."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Sequence, Set, Tuple

from harness.boundary import module_imports
from harness.guest.case_parent import category_module
from harness.guest.catalog import Case

__all__ = ["Reach"]

_PACKAGE = "cases"


def _file(module: str) -> str:
    """``cases/api_extra.py`` for ``cases.api_extra``: as a contributor names the file."""
    return module.replace(".", "/") + ".py"


class Reach:
    """The ``cases`` modules each module of ``folder`` (``cases/``) imports when it is imported
    (module level, not under ``if TYPE_CHECKING:``), each file read at most once."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._imports: Dict[str, Set[str]] = {}
        self.missed: List[Case] = []  # the cases ``admits`` left out, each once

    def _path(self, module: str) -> Path:
        return self.folder / (module.partition(".")[2] + ".py")

    def _imported_by(self, module: str) -> Set[str]:
        if module not in self._imports:
            try:
                tree = ast.parse(self._path(module).read_bytes())
            except (OSError, SyntaxError, ValueError):  # its own import fails, said by pytest
                tree = ast.Module(body=[], type_ignores=[])
            # A function's imports do not run at import: the case functions are most of a file.
            tree.body = [node for node in tree.body
                         if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
            self._imports[module] = {
                found.target for found in module_imports(module, tree)
                if found.top_level and not found.typing_only
                and found.target.startswith(_PACKAGE + ".") and found.target.count(".") == 1}
        return self._imports[module]

    def reaches(self, case: Case) -> bool:
        """Whether importing the case's category module imports the module that registers it."""
        start = category_module(case.id)
        seen, todo = {start}, [start]
        while todo and case.module not in seen:
            for module in self._imported_by(todo.pop()) - seen:
                seen.add(module)
                todo.append(module)
        return case.module in seen

    def admits(self, case: Case) -> bool:
        """``reaches``, keeping a case it does not reach in ``missed``: the plugin leaves it
        out, as a module that fails to import adds none (every cell would be the harness's
        error)."""
        if self.reaches(case):
            return True
        self.missed += [] if case in self.missed else [case]
        return False

    def lines(self, cases: Sequence[Case]) -> List[str]:
        """One line per module and category of ``cases`` (those it does not reach): the file,
        its cases, and what to add where."""
        ids: Dict[Tuple[str, str], List[str]] = {}
        for case in cases:
            ids.setdefault((case.module, category_module(case.id)), []).append(case.id)
        said = []
        for (module, category), names in sorted(ids.items()):
            head = "%s registers %s, but " % (_file(module), ", ".join(sorted(names)))
            what = "the one module the executor imports for category %s" % (
                category.partition(".")[2])
            if not self._path(category).is_file():
                said.append(head + "there is no %s (%s): add it, with `import %s`, or give the "
                            "cases an existing category" % (_file(category), what, module))
            else:
                said.append(head + "%s (%s) does not import it: add `import %s` at the end of %s"
                            % (_file(category), what, module, _file(category)))
        return said
