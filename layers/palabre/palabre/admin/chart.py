"""The dashboard's participation chart: an inline SVG drawn on the server, no script and
no image to fetch (the pages' CSP allows neither; inline SVG is part of the document).

Built with ElementTree, so every text in it — titles, circle names — is escaped as XML
whatever it holds. Drawn small (a 360-unit wide viewBox that scales to its box), so that
its labels stay readable on a 375 px phone. Each bar carries a <title> (its theme, rate
and counts) and the page shows the same figures in a table beside it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from markupsafe import Markup

WIDTH, HEIGHT = 360, 190
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 8, 160
"""the plot area: rates from 0 (BOTTOM) to 100 % (TOP)"""
FINAL, SO_FAR = "#2f6f4f", "#9cc5ad"
"""a closed theme's bar, and an open one's (its figure still moving)"""
INK, GRID = "#333333", "#d0d0d0"


@dataclass(frozen=True)
class Bar:
    rate: float
    """answers ÷ prompts sent, 0 to 1"""
    final: bool
    """False while the theme is open: its figure is so far"""
    text: str
    """what the bar says to whoever cannot see it (its <title>)"""


@dataclass(frozen=True)
class WeekBars:
    label: str
    bars: tuple[Bar, ...] = ()


def participation_chart(
    weeks: Sequence[WeekBars], *, title: str, percent: Callable[[float], str]
) -> Markup:
    """One slot per week, left to right, one bar per theme sent that week (an empty
    slot for a week without one), heights in proportion to the rates."""
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "width": "100%",
            "role": "img",
            "aria-labelledby": "chart-title",
            "font-family": "sans-serif",
            "font-size": "9",
            "class": "chart",
        },
    )
    ET.SubElement(svg, "title", {"id": "chart-title"}).text = title
    plot = BOTTOM - TOP
    for fraction in (0.0, 0.5, 1.0):
        y = _n(BOTTOM - fraction * plot)
        ET.SubElement(
            svg,
            "line",
            {"x1": str(LEFT), "x2": str(WIDTH - RIGHT), "y1": y, "y2": y, "stroke": GRID},
        )
        label = ET.SubElement(
            svg, "text", {"x": str(LEFT - 3), "y": _n(float(y) + 3), "text-anchor": "end"}
        )
        label.text = percent(fraction)
        label.set("fill", INK)
    slot = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    for n, week in enumerate(weeks):
        x = LEFT + n * slot
        if week.bars:
            width = (slot - 4) / len(week.bars)
            for b, bar in enumerate(week.bars):
                rate = min(max(bar.rate, 0.0), 1.0)
                height = rate * plot
                rect = ET.SubElement(
                    svg,
                    "rect",
                    {
                        "x": _n(x + 2 + b * width),
                        "y": _n(BOTTOM - height),
                        "width": _n(max(width - 1, 1)),
                        "height": _n(height),
                        "fill": FINAL if bar.final else SO_FAR,
                        "class": "bar final" if bar.final else "bar so-far",
                    },
                )
                if not bar.final:
                    rect.set("stroke", FINAL)
                    rect.set("stroke-dasharray", "2 1")
                ET.SubElement(rect, "title").text = bar.text
        if (len(weeks) - 1 - n) % 2 == 0 or len(weeks) <= 6:  # every other, or they overlap
            label = ET.SubElement(
                svg,
                "text",
                {"x": _n(x + slot / 2), "y": str(BOTTOM + 12), "text-anchor": "middle"},
            )
            label.text = week.label
            label.set("fill", INK)
    return Markup(ET.tostring(svg, encoding="unicode"))


def _n(value: float) -> str:
    """A coordinate, to a tenth: short and stable."""
    return f"{value:.1f}".removesuffix(".0")
