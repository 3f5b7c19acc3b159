"""Performance charts as inline SVG, drawn by the project (no chart library, no CDN).

``measurements(matrix)`` finds every measured number in performance cells (a dict with a
numeric ``median`` and a ``unit``, optionally ``iqr``/``q1``/``q3``/``n``), wherever it sits in
the observed value; ``charts(matrix)`` draws bar charts (one value per environment × method)
and line charts (a sweep: a list of measurements each with another numeric key, e.g. parent
memory). Every text is escaped here; the result is safe to embed.
"""

from __future__ import annotations

import dataclasses
import html
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from harness.guest.words import FORK, FORKSERVER, OK, SPAWN
from harness.merge import performance_cases

__all__ = ["Chart", "Point", "brief", "charts", "measurements"]

COLOURS = {FORK: "#1b6ca8", FORKSERVER: "#c45a00", SPAWN: "#7b3294"}  # spawn: not the ok green
DASHES = ("", "6 3", "2 2", "8 2 2 2")
_NON_X = {"median", "iqr", "q1", "q3", "n", "mean", "stdev", "min", "max", "unit", "samples",
          "iqr_ratio", "warmups", "unstable", "stop", "ci95"}


@dataclasses.dataclass(frozen=True)
class Point:
    case: str
    environment: str
    method: str
    path: str  # where in the observed value ("" for the value itself)
    median: float
    unit: str
    low: Optional[float]  # spread: q1, or median - iqr/2
    high: Optional[float]
    n: Optional[int]
    x: Optional[float] = None
    x_name: str = ""
    unstable: bool = False


@dataclasses.dataclass(frozen=True)
class Chart:
    case: str
    title: str
    unit: str
    kind: str  # "bar" or "line"
    svg: str
    table: Tuple[Tuple[str, str, str, str], ...]  # environment, method, x, "median (spread)"

    @property
    def by_environment(self) -> List[Tuple[str, List[Tuple[str, str, str]]]]:
        """The values table's rows under each environment, named once (a row header spanning
        its rows): (environment, [(method, x, "median (spread)"), ...])."""
        out: List[Tuple[str, List[Tuple[str, str, str]]]] = []
        for env, method, x, label in self.table:
            if not out or out[-1][0] != env:
                out.append((env, []))
            out[-1][1].append((method, x, label))
        return out

    @property
    def size(self) -> Tuple[int, int]:
        """Its ``<svg>``'s width and height: the page keeps a box of that shape while the chart
        waits to be built (nothing moves when it is)."""
        found = re.match(r'<svg [^>]*?width="(\d+)" height="(\d+)"', self.svg)
        return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def _num(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _is_measure(value: Any) -> bool:
    return isinstance(value, dict) and _num(value.get("median")) is not None and \
        isinstance(value.get("unit"), str)


def _spread(m: Mapping[str, Any]) -> Tuple[Optional[float], Optional[float]]:
    q1, q3 = _num(m.get("q1")), _num(m.get("q3"))
    if q1 is not None and q3 is not None:
        return q1, q3
    iqr, median = m.get("iqr"), float(m["median"])
    if isinstance(iqr, list) and len(iqr) == 2 and all(_num(v) is not None for v in iqr):
        return float(iqr[0]), float(iqr[1])
    width = _num(iqr)
    if width is not None:
        return median - width / 2, median + width / 2
    return None, None


def _x_of(m: Mapping[str, Any]) -> Tuple[Optional[float], str]:
    for key in sorted(m):
        if key not in _NON_X and _num(m[key]) is not None:
            return float(m[key]), key
    return None, ""


def _walk(
    value: Any, path: str, out: List[Tuple[str, Mapping[str, Any], bool]],
) -> None:
    if _is_measure(value):
        out.append((path, value, False))
        return
    if isinstance(value, dict):
        members = list(value.values())
        if len(members) > 1 and all(_is_measure(v) for v in members) and \
                len({_x_of(v)[1] for v in members}) == 1 and _x_of(members[0])[0] is not None:
            for item in members:  # a sweep keyed by name: {"1_mb": {..., "size_mb": 1}, ...}
                out.append((path, item, True))
            return
        for key in sorted(value):
            _walk(value[key], "%s.%s" % (path, key) if path else str(key), out)
    elif isinstance(value, list):
        items = [v for v in value if isinstance(v, dict)]
        flat = [v for v in items if _is_measure(v)]
        if flat and len(flat) == len(value):
            for item in flat:
                out.append((path, item, True))
        else:
            for item in items:
                for key in sorted(item):
                    if _is_measure(item[key]):
                        x, x_name = _x_of(item)
                        merged = dict(item[key])
                        if x is not None:
                            merged[x_name] = x
                        out.append(("%s.%s" % (path, key) if path else str(key), merged, True))


def measurements(matrix: Mapping[str, Any]) -> List[Point]:
    """Every measurement in ok performance cells (none: no charts, never an error)."""
    perf = performance_cases(matrix)
    points: List[Point] = []
    for cell in matrix["results"]:
        if cell["case"] not in perf or cell.get("outcome") != OK:
            continue
        found: List[Tuple[str, Mapping[str, Any], bool]] = []
        _walk(cell.get("observed"), "", found)
        for path, m, in_sweep in found:
            low, high = _spread(m)
            x, x_name = _x_of(m) if in_sweep else (None, "")
            n = m.get("n")
            points.append(Point(cell["case"], cell["environment"], cell["method"], path,
                                float(m["median"]), str(m["unit"]), low, high,
                                n if isinstance(n, int) else None, x, x_name,
                                m.get("unstable") is True))
    return points


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 1e15:
        return "%d" % value
    if abs(value) >= 100:
        return "%.0f" % value
    if abs(value) >= 10:
        return "%.1f" % value
    return "%.3g" % value


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _label(p: Point) -> str:
    spread = ""
    if p.low is not None and p.high is not None:
        spread = " (IQR %s–%s)" % (_fmt(p.low), _fmt(p.high))
    return "%s %s%s%s%s" % (_fmt(p.median), p.unit, spread, " n=%d" % p.n if p.n else "",
                            " (unstable)" if p.unstable else "")


def brief(observed: Any) -> Optional[str]:
    """"12.3 ms (IQR 11–14) n=20" for a measurement, or for the measurements inside a value
    ("pipe.1_mb: …; …", at most four); None when the value holds no measurement."""
    found: List[Tuple[str, Mapping[str, Any], bool]] = []
    _walk(observed, "", found)
    if not found:
        return None
    texts = []
    for path, m, _sweep in found[:4]:
        low, high = _spread(m)
        x, x_name = _x_of(m)
        where = path + ("@%s=%s" % (x_name, _fmt(x)) if x is not None else "")
        texts.append((where + ": " if where else "") + _label(Point(
            "", "", "", path, float(m["median"]), str(m["unit"]), low, high,
            m.get("n") if isinstance(m.get("n"), int) else None, None, "",
            m.get("unstable") is True)))
    more = " …" if len(found) > 4 else ""
    return "; ".join(texts) + more


def _bar_chart(title: str, points: Sequence[Point], env_order: Sequence[str]) -> str:
    rows = [(env, [p for p in points if p.environment == env]) for env in env_order]
    rows = [(env, sorted(ps, key=lambda p: p.method)) for env, ps in rows if ps]
    top = max(*(p.high or p.median for p in points), 1e-12)
    label_w, width, bar_h = 170, 900, 12
    plot_w = width - label_w - 330
    height = sum(len(ps) * bar_h + 8 for _, ps in rows) + 30
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="%d" '
             'height="%d" viewBox="0 0 %d %d"><title>%s</title>' % (
                 width, height, width, height, _esc(title))]
    # Said once per chart, not per bar: a method's bars are one path in its colour, the
    # whiskers one path, the labels' class on their group (CI: 27 charts, 2,300 bars).
    bars: Dict[str, List[str]] = {}
    whiskers: List[str] = []
    labels: List[str] = []
    values: List[str] = []
    y = 20
    for env, ps in rows:
        labels.append('<text x="0" y="%d">%s</text>' % (y + 10, _esc(env)))
        for p in ps:
            w = max(1.0, p.median / top * plot_w)
            # No tooltip: the bar's label beside it says the same (CI: 2,300 of them, 180 KB).
            bars.setdefault(COLOURS.get(p.method, "#555"), []).append(
                "M%d %dh%.1fv%dH%dz" % (label_w, y, w, bar_h - 2, label_w))
            if p.low is not None and p.high is not None:
                x1, x2 = label_w + p.low / top * plot_w, label_w + p.high / top * plot_w
                half = (bar_h - 2) / 2  # down the low end, back to the middle, across, the high end
                whiskers.append("M%.1f %dv%dm0 -%gH%.1fm0 -%gv%d"
                                % (x1, y, bar_h - 2, half, x2, half, bar_h - 2))
            values.append('<text x="%.1f" y="%d">%s %s</text>' % (
                label_w + w + 4 if p.high is None else label_w + (p.high / top) * plot_w + 4,
                y + bar_h - 3, _esc(p.method), _esc(_label(p))))
            y += bar_h
        y += 8
    parts.append('<g class="lbl">%s</g>' % "".join(labels))
    parts.extend('<path d="%s" fill="%s"/>' % ("".join(ds), colour) for colour, ds in bars.items())
    if whiskers:
        parts.append('<path d="%s" class="whisk"/>' % "".join(whiskers))
    parts.append('<g class="val">%s</g>' % "".join(values))
    parts.append('<text x="%d" y="12" class="axis">0 … %s %s</text></svg>' % (
        label_w, _esc(_fmt(top)), _esc(points[0].unit)))
    return "".join(parts)


def _line_chart(title: str, points: Sequence[Point]) -> str:
    width, height, left, bottom = 720, 300, 60, 40
    xs = [p.x for p in points if p.x is not None]
    x_lo, x_hi = min(xs), max(xs)
    y_hi = max(*(p.high or p.median for p in points), 1e-12)
    series: Dict[Tuple[str, str], List[Point]] = {}
    for p in points:
        series.setdefault((p.environment, p.method), []).append(p)

    def sx(x: float) -> float:
        return left + (x - x_lo) / ((x_hi - x_lo) or 1) * (width - left - 200)

    def sy(y: float) -> float:
        return height - bottom - y / y_hi * (height - bottom - 20)

    parts = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="%d" '
             'height="%d" viewBox="0 0 %d %d"><title>%s</title>' % (
                 width, height, width, height, _esc(title)),
             '<path d="M%d 20V%dH%d" class="ax"/>' % (left, height - bottom, width - 200)]
    envs = sorted({e for e, _ in series})
    for i, ((env, method), unsorted) in enumerate(sorted(series.items())):
        ps = sorted(unsorted, key=lambda p: p.x or 0.0)
        colour = COLOURS.get(method, "#555")
        dash = DASHES[envs.index(env) % len(DASHES)]
        d = "M" + " L".join("%.1f %.1f" % (sx(p.x or 0.0), sy(p.median)) for p in ps)
        parts.append('<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>' % (
            d, colour, ' stroke-dasharray="%s"' % dash if dash else ""))
        parts.append('<g fill="%s">%s</g>' % (colour, "".join(
            '<circle cx="%.1f" cy="%.1f" r="3"><title>%s</title></circle>' % (
                sx(p.x or 0.0), sy(p.median), _esc("%s %s, %s=%s: %s" % (
                    env, method, p.x_name, _fmt(p.x or 0.0), _label(p)))) for p in ps)))
        parts.append('<text x="%d" y="%d" class="lbl">%s %s</text>' % (
            width - 190, 24 + 14 * i, _esc(env), _esc(method)))
        parts.append('<path d="M%d %dh14" stroke="%s" stroke-width="2"%s/>' % (
            width - 208, 20 + 14 * i, colour, ' stroke-dasharray="%s"' % dash if dash else ""))
    x_name = points[0].x_name
    parts.append('<text x="%d" y="%d" class="axis">%s: %s … %s</text>' % (
        left, height - 10, _esc(x_name), _esc(_fmt(x_lo)), _esc(_fmt(x_hi))))
    parts.append('<text x="0" y="14" class="axis">%s (0 … %s)</text></svg>' % (
        _esc(points[0].unit), _esc(_fmt(y_hi))))
    return "".join(parts)


def charts(matrix: Mapping[str, Any]) -> List[Chart]:
    """One chart per performance case and measured quantity; empty when nothing is measured."""
    titles = {c["id"]: c.get("title", c["id"]) for c in matrix["cases"]}
    env_order = [e["id"] for e in matrix["environments"]]
    groups: Dict[Tuple[str, str, str, bool], List[Point]] = {}
    for p in measurements(matrix):
        groups.setdefault((p.case, p.path, p.unit, p.x is not None), []).append(p)
    out: List[Chart] = []
    for (case_id, path, unit, sweep), points in sorted(groups.items()):
        title = titles.get(case_id, case_id) + (" — %s" % path if path else "")
        svg = _line_chart(title, points) if sweep else _bar_chart(title, points, env_order)
        table = tuple((p.environment, p.method, "" if p.x is None else
                       "%s=%s" % (p.x_name, _fmt(p.x)), _label(p))
                      for p in sorted(points, key=lambda p: (env_order.index(p.environment)
                                      if p.environment in env_order else 0, p.method,
                                      p.x or 0.0)))
        out.append(Chart(case_id, title, unit, "line" if sweep else "bar", svg, table))
    return out
