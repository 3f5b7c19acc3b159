"""Re-render the README's screenshots of the report (docs/report-*.png) from a matrix.json with
the current page. Host-only; needs Playwright (the test environment has it) and Debian's
chromium (driven through ``executable_path``; never ``playwright install``)::

    nox -s matrix                      # or: python -m harness report RESULTS... -o reports
    .nox/tests/bin/python docs/screenshots.py reports/matrix.json
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # the checkout's harness, whichever environment runs this
from harness import render  # noqa: E402

#: file name -> (width, height, phone, fragment): the top of the page at desktop and phone size,
#: and a phone after the first Answers line's tap (the matrix's rows under their short names).
SHOTS = {
    "report-1280x800.png": (1280, 800, False, ""),
    "report-390x844.png": (390, 844, True, ""),
    "report-390x844-answer.png": (390, 844, True, "#view?b=fork-only"),
}


def main(matrix_json: str) -> int:
    # Imported by name: Playwright is a test dependency and ships no type stubs.
    sync_api: Any = importlib.import_module("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.stderr.write("screenshots: Debian chromium is not installed\n")
        return 1
    try:
        matrix = json.loads(Path(matrix_json).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        sys.stderr.write("screenshots: %s: not a readable matrix.json (%s); build one with "
                         "`nox -s matrix` or `python -m harness report`\n" % (matrix_json, exc))
        return 1
    from harness import results

    problems = results.validate_matrix(matrix)  # the one validation (format version first)
    if problems:
        sys.stderr.write("screenshots: %s: not a matrix.json of this version (%s)\n" % (
            matrix_json, results.first_problem(problems)))
        return 1
    with tempfile.TemporaryDirectory(prefix="smm-shots-") as tmp:
        render.write_report(matrix, Path(tmp))
        page = (Path(tmp) / "index.html").as_uri()
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--headless"])
            for name, (width, height, phone, fragment) in SHOTS.items():
                tab = browser.new_page(viewport={"width": width, "height": height},
                                       is_mobile=phone, has_touch=phone, color_scheme="light")
                tab.goto(page + fragment, wait_until="load")
                # Two frames: the matrix is laid out once in view (content-visibility).
                tab.evaluate("() => new Promise(r => requestAnimationFrame("
                             "() => requestAnimationFrame(r)))")
                tab.screenshot(path=str(DOCS / name))
                tab.close()
            browser.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__ or "")
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
