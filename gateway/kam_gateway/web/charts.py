"""The score history as an inline SVG, drawn on the server: no script, works offline, and
readable by a screen reader (a title and a table of the same points beside it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from kam_gateway.web.i18n import translations

WIDTH, HEIGHT, PAD = 640, 180, 28
# The band thresholds as the default scorecard draws them (shaded behind the line).
BAND_LINES = (75, 50, 25)


def _x(at: datetime, first: datetime, span: float) -> float:
    return PAD + (WIDTH - 2 * PAD) * ((at - first).total_seconds() / span if span else 1.0)


def _y(score: float) -> float:
    return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (max(0.0, min(100.0, score)) / 100)


def score_history(points: list[dict[str, Any]], locale: str) -> Markup:
    gettext = translations(locale).gettext
    title = escape(gettext("Score history"))
    parsed = []
    for point in points:
        try:
            at = datetime.fromisoformat(str(point["at"]).replace("Z", "+00:00"))
            parsed.append((at, float(point["score"]), point.get("scorecard_version")))
        except (KeyError, TypeError, ValueError):
            continue
    if not parsed:
        return Markup('<p class="muted">{}</p>').format(gettext("No history yet."))
    first, last = parsed[0][0], parsed[-1][0]
    span = (last - first).total_seconds()
    coords = [(_x(at, first, span), _y(score)) for at, score, _ in parsed]
    if len(coords) == 1:
        coords.append((WIDTH - PAD, coords[0][1]))
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title" preserveAspectRatio="none">',
        f'<title id="chart-title">{title}</title>',
    ]
    for level in BAND_LINES:
        y = _y(level)
        parts.append(
            f'<line class="grid" x1="{PAD}" x2="{WIDTH - PAD}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="4" y="{y + 4:.1f}">{level}</text>'
        )
    previous = parsed[0][2]
    for (_at, _score, version), (x, _ignored) in zip(parsed, coords, strict=False):
        if version is not None and previous is not None and version != previous:
            label = escape(gettext("Scorecard v%(version)s") % {"version": version})
            parts.append(
                f'<line class="change" x1="{x:.1f}" x2="{x:.1f}" y1="{PAD}" '
                f'y2="{HEIGHT - PAD}"><title>{label}</title></line>'
                f'<text class="axis" x="{x + 3:.1f}" y="{PAD - 6}">{label}</text>'
            )
        previous = version
    parts.append(f'<polyline class="line" points="{line}"/>')
    x, y = coords[-1] if len(parsed) > 1 else coords[0]
    parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="4"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
