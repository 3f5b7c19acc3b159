"""How long the report page takes to load in a real headless Chromium (Debian ``chromium`` driven
by Playwright through ``executable_path``; never ``playwright install``). Used by ``nox -s bench``
and runnable alone: ``python -m harness.pageload [--envs 30 --cases 100 --runs 5]``. Host-only.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from harness.exits import EXIT_FAILED, EXIT_OK

__all__ = ["build_page", "describe", "main", "measure", "page_load", "targets"]

#: Installed before the page's own script (Playwright init scripts are not subject to the
#: page's CSP). After the load event it waits, frame by frame, until the matrix is either out of
#: the viewport or rendered (not skipped by ``content-visibility: auto``), then for one more
#: frame (the one that laid it out and painted it), and records ``performance.now()``.
_INIT = """addEventListener("load", () => {
  const tick = () => {
    const m = document.getElementById("matrix");
    const box = m ? m.parentElement.getBoundingClientRect() : null;
    const cell = m ? m.querySelector("td") : null;
    if (box && cell && box.bottom > 0 && box.top < innerHeight &&
        !cell.checkVisibility({contentVisibilityAuto: true})) {
      requestAnimationFrame(tick);
      return;
    }
    requestAnimationFrame(() => { window.__smmRendered = performance.now(); });
  };
  requestAnimationFrame(tick);
});"""

_RESULT = """() => new Promise(done => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const wait = () => window.__smmRendered === undefined ? setTimeout(wait, 10) : done({
    dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
    fcp: fcp ? fcp.startTime : null, rendered: window.__smmRendered,
    cells: document.querySelectorAll("#matrix tr.case-row > td:not(.gap)").length,
    nodes: document.getElementsByTagName("*").length});
  wait();
})"""


def chromium() -> Optional[str]:
    """Debian's chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def build_page(folder: Path, envs: int = 30, cases: int = 100) -> Path:
    """Write a synthetic ``envs`` x ``cases`` report (``bench_merge.synthetic_results``) to
    ``folder`` and return the path of its ``index.html``."""
    from harness import bench_merge, loading, merge, render

    paths = bench_merge.synthetic_results(folder / "results", envs, cases)
    loaded, rejected = loading.load_results(paths)
    matrix = merge.merge(loaded, rejected)
    render.write_report(matrix, folder / "report")
    return folder / "report" / "index.html"


#: Where the page is opened: at its top, and scrolled to the matrix (so it must be rendered).
VIEWS = {"top": "", "matrix_in_view": "#matrix-section"}


def _summary(samples: List[Dict[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key in ("dcl", "fcp", "load", "rendered"):
        values = [float(s[key] or 0.0) for s in samples]
        out[key + "_ms"] = round(statistics.median(values), 1)
        if key in ("load", "rendered"):
            out[key + "_ms_all"] = [round(v, 1) for v in values]
    return out


def measure(page: Path, runs: int = 5) -> Dict[str, Any]:
    """Open ``page`` from file:// ``runs`` times per view (``VIEWS``), each in a fresh tab:
    median milliseconds from navigation start to DOMContentLoaded, first contentful paint, the
    load event, and the frame after load that has the matrix rendered if it is in view.
    Raises ImportError/RuntimeError when Playwright or chromium is missing."""
    # Imported by name: Playwright is optional (a test dependency) and ships no type stubs.
    sync_api: Any = importlib.import_module("playwright.sync_api")
    executable = chromium()
    if executable is None:
        raise RuntimeError("Debian chromium is not installed")
    result: Dict[str, Any] = {"page_bytes": page.stat().st_size, "runs": runs}
    load_before = os.getloadavg()[0]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            for view, fragment in VIEWS.items():
                samples: List[Dict[str, Any]] = []
                for _ in range(runs):
                    tab = browser.new_page(viewport={"width": 1280, "height": 800})
                    tab.add_init_script(_INIT)
                    tab.goto(page.as_uri() + fragment, wait_until="load", timeout=180_000)
                    samples.append(tab.evaluate(_RESULT))
                    tab.close()
                result[view] = _summary(samples)
                result.update(cells=samples[-1]["cells"], dom_elements=samples[-1]["nodes"])
        finally:
            browser.close()
    # The machine's 1-minute load average before and after: timings on a busy machine are long.
    result["loadavg_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def page_load(work: Path, envs: int = 30, cases: int = 100, runs: int = 5) -> Dict[str, Any]:
    """``measure`` on a synthetic page, with the load average; ``{"not_measured": reason}``
    without Playwright or chromium, or when the browser fails (the benchmark goes on)."""
    if importlib.util.find_spec("playwright") is None:
        return {"not_measured": "playwright is not importable"}
    if chromium() is None:
        return {"not_measured": "Debian chromium is not installed"}
    result: Dict[str, Any] = {"envs": envs, "cases": cases}
    try:
        result.update(measure(build_page(work, envs, cases), runs))
    except Exception as exc:  # noqa: BLE001 - a browser failure is reported, not fatal
        return {"not_measured": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return result


def describe(result: Dict[str, Any]) -> str:
    """One line for the benchmark's table."""
    if "not_measured" in result:
        return "page load: not measured ({})".format(result["not_measured"])
    top, matrix = result["top"], result["matrix_in_view"]
    what = result.get("page") or "{}x{}".format(result.get("envs"), result.get("cases"))
    return ("page load {} ({:.2f} MB, load average {}-{}): at the top {:.0f} ms to load, "
            "{:.0f} ms rendered; opened at the matrix {:.0f} ms to load, {:.0f} ms rendered "
            "(medians of {})").format(
                what, result["page_bytes"] / 1e6,
                *result["loadavg_1min"], top["load_ms"], top["rendered_ms"], matrix["load_ms"],
                matrix["rendered_ms"], result["runs"])


def targets(result: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The report page's targets, for ``bench.json``'s target list."""
    if "not_measured" in result:
        return [{"target": "report page 30 envs x 100 cases < 3 MB, rendered in < 1 s",
                 "measured": "not measured", "met": False}]
    size = result["page_bytes"] / 1e6
    what = "{}x{}".format(result.get("envs"), result.get("cases"))
    return [
        {"target": f"report page {what} (envs x cases) < 3 MB", "measured": f"{size:.2f} MB",
         "met": result["page_bytes"] < 3 * 1024 * 1024},
        {"target": "report page rendered in < 1 s in Chromium (opened at the top)",
         "measured": result["top"]["rendered_ms"] / 1000.0,
         "met": result["top"]["rendered_ms"] < 1000.0},
        {"target": "report page rendered in < 1 s in Chromium (opened at the matrix)",
         "measured": result["matrix_in_view"]["rendered_ms"] / 1000.0,
         "met": result["matrix_in_view"]["rendered_ms"] < 1000.0},
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.pageload", description=__doc__)
    parser.add_argument("--envs", type=int, default=30)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page", help="measure this index.html instead of a synthetic one")
    args = parser.parse_args(argv)
    if args.page:
        result = measure(Path(args.page).resolve(), args.runs)
        result["page"] = args.page
    else:
        with tempfile.TemporaryDirectory(prefix="smm-pageload-") as tmp:
            result = page_load(Path(tmp), args.envs, args.cases, args.runs)
    sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
    sys.stderr.write(describe(result) + "\n")
    return EXIT_OK if "not_measured" not in result else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
