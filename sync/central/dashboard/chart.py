"""Server-side SVG charts of daily series (no script, no CDN; prints on A4).

Invariants: pure (no I/O); the markup holds only numbers computed here and labels passed
through `markupsafe.escape`; presentation attributes only (no `style`), so the page's CSP
(`default-src 'self'`) allows it. A value that is not a number (a suppressed "<k", or None)
draws nothing for that day; a chart of no values says so in words.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart", "line_chart"]

W, H = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 34
INK, GRID, BAR, LINE = "#1a1a1a", "#c8c8c8", "#0031d8", "#b3261e"


def _number(v) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _ticks(top: float) -> list[float]:
    if top <= 0:
        return [0.0]
    step = 10 ** max(0, len(str(int(top))) - 2)
    for m in (1, 2, 5, 10, 20, 50, 100):
        if top / (step * m) <= 5:
            step *= m
            break
    return [i * step for i in range(int(top // step) + 1)]


def _frame(days: Sequence[str], top: float, title: str, unit: str) -> list[str]:
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for t in _ticks(top):
        y = TOP + plot_h - (t / top * plot_h if top else 0)
        out.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" />'
        )
        label = f"{t:,g}"
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="14" '
            f'fill="{INK}">{escape(label)}</text>'
        )
    n = len(days)
    every = max(1, n // 6)
    for i, day in enumerate(days):
        if (i % every == 0 and n - 1 - i >= every * 0.6) or i == n - 1:
            x = LEFT + (i + 0.5) * plot_w / max(n, 1)
            out.append(
                f'<text x="{x:.1f}" y="{H - 10}" text-anchor="middle" font-size="14" '
                f'fill="{INK}">{escape(day[5:].replace("-", "/"))}</text>'
            )
    if unit:
        out.append(f'<text x="4" y="{TOP + 2}" font-size="13" fill="{INK}">{escape(unit)}</text>')
    return out


def bar_chart(days: Sequence[str], values: Sequence, title: str, unit: str = "") -> Markup:
    """One bar per day (suppressed or missing days draw no bar)."""
    numbers = [_number(v) for v in values]
    shown = [v for v in numbers if v is not None]
    if not shown:
        return Markup('<p class="muted">{}</p>').format("表示できる値がありません")
    top = max(shown) or 1.0
    ticks = _ticks(top * 1.05)
    top = max(ticks[-1], top) if ticks else top
    out = _frame(days, top, title, unit)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    for i, v in enumerate(numbers):
        if v is None or v <= 0:
            continue
        h = v / top * plot_h
        x = LEFT + i * slot + slot * 0.12
        out.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{max(slot * 0.76, 0.8):.1f}" '
            f'height="{h:.1f}" fill="{BAR}" />'
        )
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(
    days: Sequence[str], values: Sequence, title: str, unit: str = "", top: float = 10.0
) -> Markup:
    """A line through the days that have a value (0..`top`), with a dot on each."""
    numbers = [_number(v) for v in values]
    if not any(v is not None for v in numbers):
        return Markup('<p class="muted">{}</p>').format("表示できる値がありません")
    out = _frame(days, top, title, unit)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    points = [
        (LEFT + (i + 0.5) * slot, TOP + plot_h - v / top * plot_h)
        for i, v in enumerate(numbers)
        if v is not None
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    out.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2.5" />')
    if len(points) <= 40:
        for x, y in points:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{LINE}" />')
    out.append("</svg>")
    return Markup("".join(out))
