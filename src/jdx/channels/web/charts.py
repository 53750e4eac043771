"""Bar charts as inline SVG, drawn on the server: the dashboards' only graphics.

Why not a charting library: pygal (the maintained SVG one) writes an inline ``<style>`` and a
tooltip script into each chart, which the portal's Content Security Policy (``'self'`` only)
refuses; allowing them would weaken the policy of every page. The charts here are plain shapes
whose colours come from the portal's stylesheet (classes ``series-0``..., or the classes a
chart gives its series, so that a colour can mean something), with a title, a
description and, beside each chart, the figures as a table (the page's), so that a screen reader
and a printout get the numbers too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

WIDTH = 640
BAR_AREA = 200  # the height of the tallest bar
LABEL_ROOM = 60  # below the bars: the categories' labels
LEFT = 48  # the scale's numbers
ABOVE = 12  # above the bars: the top of the scale's highest number
RIGHT = 40  # right of the bars: the last category's label, slanted
KEY_ROW = 16  # the height of a row of the key (the series' names, when there are several)
SERIES_CLASSES = 8  # series-0 .. series-7 in portal.css; more series reuse them


@dataclass(frozen=True)
class Chart:
    """A stacked bar chart: one bar per category, one stacked part per series."""

    title: str
    categories: Sequence[str]
    series: Mapping[str, Sequence[float]]  # name -> a value per category
    # name -> the class of its colour in portal.css; a series without one: series-N by position
    colours: Mapping[str, str] = field(default_factory=dict)

    def colour(self, position: int, name: str) -> str:
        return self.colours.get(name) or f"series-{position % SERIES_CLASSES}"

    def total(self, index: int) -> float:
        return sum(values[index] for values in self.series.values())


def nice_top(value: float) -> float:
    """The scale's top: the first of 1, 2, 5 x 10^n at or above ``value`` (1 when empty)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    while step > value * 10:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10  # pragma: no cover (10 x step is always enough)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0")


def bar_chart(chart: Chart, chart_id: str) -> Markup:
    """The chart as an ``<svg>`` element (``role="img"``, titled and described). Every text
    goes in through ``Markup.format``, which escapes it."""
    count = max(len(chart.categories), 1)
    top = nice_top(max((chart.total(i) for i in range(len(chart.categories))), default=0))
    slot = (WIDTH - LEFT) / count
    bar = max(slot * 0.7, 1.0)
    key, key_rows = _key(chart)
    height = ABOVE + BAR_AREA + LABEL_ROOM + key_rows * KEY_ROW
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 {} {} {}" '
            'role="img" aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>'
        ).format(-ABOVE, WIDTH + RIGHT, height, chart.title, _description(chart), id=chart_id)
    ]
    for fraction in (0, 0.5, 1):
        y = f"{BAR_AREA * (1 - fraction):.1f}"
        parts.append(
            Markup(
                '<line class="grid" x1="{}" x2="{}" y1="{y}" y2="{y}"/>'
                '<text class="scale" x="{}" y="{y}" dy="4">{}</text>'
            ).format(LEFT, WIDTH, LEFT - 4, _number(top * fraction), y=y)
        )
    for i, category in enumerate(chart.categories):
        x = LEFT + slot * i + (slot - bar) / 2
        base = float(BAR_AREA)
        for s, (name, values) in enumerate(chart.series.items()):
            size = BAR_AREA * values[i] / top
            if size <= 0:
                continue
            base -= size
            parts.append(
                Markup(
                    '<rect class="{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" '
                    'height="{:.1f}"><title>{}, {}: {}</title></rect>'
                ).format(
                    chart.colour(s, name), x, base, bar, size, category, name, _number(values[i])
                )
            )
        if count <= 31 or i % (count // 15 + 1) == 0:  # labels that fit side by side
            middle = f"{x + bar / 2:.1f}"
            parts.append(
                Markup(
                    '<text class="category" x="{m}" y="{y}" transform="rotate(45 {m} {y})">'
                    "{}</text>"
                ).format(category, m=middle, y=BAR_AREA + 14)
            )
    parts.append(key)
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _key(chart: Chart) -> tuple[Markup, int]:
    """Below the chart, the colour of each series and its name (none for a single series: the
    title names it); the rows it takes. Text widths are estimated (no layout on the server)."""
    if len(chart.series) < 2:
        return Markup(""), 0
    items, x, row = [], float(LEFT), 0
    for s, name in enumerate(chart.series):
        width = 18 + 6.2 * len(name) + 14
        if x + width > WIDTH + RIGHT and x > LEFT:
            x, row = float(LEFT), row + 1
        y = BAR_AREA + LABEL_ROOM + row * KEY_ROW
        items.append(
            Markup(
                '<rect class="{}" x="{:.1f}" y="{}" width="12" height="10"/>'
                '<text class="key" x="{:.1f}" y="{}">{}</text>'
            ).format(chart.colour(s, name), x, y, x + 16, y + 9, name)
        )
        x += width
    return Markup('<g class="key">{}</g>').format(Markup("").join(items)), row + 1


def _description(chart: Chart) -> str:
    if not chart.categories:
        return "No data."
    totals = [chart.total(i) for i in range(len(chart.categories))]
    peak = max(range(len(totals)), key=totals.__getitem__)
    return (
        f"{len(chart.categories)} bars, {', '.join(chart.series)}; "
        f"highest {chart.categories[peak]}: {_number(totals[peak])}."
    )
