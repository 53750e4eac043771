"""The dashboards' bar charts: what the SVG shows is the data, and nothing in it runs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from jdx.channels.web.charts import BAR_AREA, Chart, bar_chart, nice_top

SVG = "{http://www.w3.org/2000/svg}"


def test_each_part_of_each_bar_is_as_tall_as_its_share_of_the_scale() -> None:
    chart = Chart("Stops per day", ["12-01", "12-02"], {"REST": [30, 10], "SFTP <&>": [20, 0]})
    svg = etree.fromstring(str(bar_chart(chart, "stops")))
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "Stops per day"
    bars = svg.findall(f"{SVG}rect")
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "12-01, REST: 30",
        "12-01, SFTP <&>: 20",
        "12-02, REST: 10",
    ]
    top = nice_top(50)
    assert top == 50
    assert [float(b.get("height")) for b in bars] == [BAR_AREA * v / top for v in (30, 20, 10)]
    # stacked: the second part sits on the first
    assert float(bars[1].get("y")) + float(bars[1].get("height")) == float(bars[0].get("y"))
    assert "highest 12-01: 50" in svg.find(f"{SVG}desc").text


def test_a_chart_holds_no_script_no_style_and_escapes_every_text() -> None:
    chart = Chart("<script>alert(1)</script>", ['"><img onerror=x>'], {"<b>": [1]})
    text = str(bar_chart(chart, "x"))
    assert "<script" not in text and "style" not in text and "<img" not in text
    assert "onerror" not in etree.tostring(etree.fromstring(text)).decode().split("&lt;img")[0]
    assert not [
        e for e in etree.fromstring(text).iter() if any(a.startswith("on") for a in e.attrib)
    ]


def test_an_empty_chart_is_drawn_and_says_so() -> None:
    svg = etree.fromstring(str(bar_chart(Chart("Nothing yet", [], {}), "e")))
    assert svg.find(f"{SVG}desc").text == "No data." and svg.findall(f"{SVG}rect") == []


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_the_scale_covers_the_tallest_bar_within_a_step(value: float) -> None:
    top = nice_top(value)
    assert top >= value and (value == 0 or top <= value * 10)


def test_a_chart_of_several_series_has_a_key_and_room_for_its_outer_labels() -> None:
    chart = Chart("Stops per day", ["12-01", "12-02"], {"http · OK": [3, 1], "sftp · NFIA": [1, 0]})
    svg = etree.fromstring(str(bar_chart(chart, "stops")))
    [key] = svg.findall(f"{SVG}g")
    swatches = [r.get("class") for r in key.findall(f"{SVG}rect")]
    assert swatches == ["series-0", "series-1"]
    assert [t.text for t in key.findall(f"{SVG}text")] == ["http · OK", "sftp · NFIA"]
    # the top of the scale's highest number and the last slanted label are inside the picture
    _, top, width, _ = (float(v) for v in svg.get("viewBox").split())
    assert top < 0 and width > max(float(line.get("x2")) for line in svg.iter(f"{SVG}line"))
    single = etree.fromstring(str(bar_chart(Chart("Codes", ["DV011"], {"stops": [3]}), "c")))
    assert single.findall(f"{SVG}g") == []  # one series: the title names it


def test_a_series_given_a_colour_class_is_drawn_and_keyed_in_it() -> None:
    chart = Chart(
        "Stops per day",
        ["12-01"],
        {"http · OK": [3], "sftp · OK": [2], "other": [1]},
        {"http · OK": "ok-0", "sftp · OK": "ok-1"},
    )
    svg = etree.fromstring(str(bar_chart(chart, "stops")))
    [key] = svg.findall(f"{SVG}g")
    bars = [r.get("class") for r in svg.findall(f"{SVG}rect")]
    assert bars == ["ok-0", "ok-1", "series-2"]  # without a class: by its position
    assert [r.get("class") for r in key.findall(f"{SVG}rect")] == bars
