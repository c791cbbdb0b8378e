"""The dashboard's participation chart (palabre.admin.chart): well-formed SVG whatever
the names in it, bars in proportion to the rates, weeks without a theme left empty."""

from xml.etree import ElementTree as ET

import pytest

from palabre.admin.chart import BOTTOM, TOP, Bar, WeekBars, participation_chart

SVG = "{http://www.w3.org/2000/svg}"


def percent(fraction: float) -> str:
    return f"{fraction:.0%}"


def parsed(weeks: list[WeekBars]) -> ET.Element:
    return ET.fromstring(str(participation_chart(weeks, title="Participation", percent=percent)))


def bars(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(f"{SVG}rect")


def test_bars_are_in_proportion_to_the_rates_and_stand_on_the_axis() -> None:
    # Given three themes in two weeks: 100 %, 50 %, 25 %
    svg = parsed(
        [
            WeekBars("1/12", (Bar(1.0, True, "A"), Bar(0.5, True, "B"))),
            WeekBars("8/12", (Bar(0.25, True, "C"),)),
        ]
    )

    heights = [float(r.get("height", "")) for r in bars(svg)]
    assert heights == [BOTTOM - TOP, (BOTTOM - TOP) / 2, (BOTTOM - TOP) / 4]
    for rect in bars(svg):
        assert float(rect.get("y", "")) + float(rect.get("height", "")) == BOTTOM
    # the two bars of a week side by side, the next week to their right
    xs = [float(r.get("x", "")) for r in bars(svg)]
    assert xs == sorted(xs)
    assert len(set(xs)) == 3


def test_each_bar_says_what_it_shows_and_an_open_themes_is_marked_so_far() -> None:
    svg = parsed([WeekBars("1/12", (Bar(0.4, True, "Rituals: 40 %"), Bar(0.1, False, "Trust")))])

    final, so_far = bars(svg)
    assert final.findtext(f"{SVG}title") == "Rituals: 40 %"
    assert "so-far" not in (final.get("class") or "")
    assert "so-far" in (so_far.get("class") or "")
    assert so_far.get("fill") != final.get("fill")
    assert svg.get("role") == "img"
    assert svg.findtext(f"{SVG}title") == "Participation"


def test_a_week_without_a_theme_is_an_empty_slot_with_its_date() -> None:
    svg = parsed([WeekBars("1/12"), WeekBars("8/12", (Bar(0.5, True, "B"),)), WeekBars("15/12")])

    assert len(bars(svg)) == 1
    labels = [t.text for t in svg.findall(f"{SVG}text")]
    assert {"1/12", "8/12", "15/12"} <= set(labels)
    assert {"0%", "50%", "100%"} <= set(labels)
    # no week at all: the axes alone
    assert bars(parsed([])) == []


@pytest.mark.parametrize("rate", [-0.5, 1.7])
def test_a_rate_out_of_bounds_is_drawn_within_the_axes(rate: float) -> None:
    [rect] = bars(parsed([WeekBars("1/12", (Bar(rate, True, "x"),))]))
    assert 0 <= float(rect.get("height", "")) <= BOTTOM - TOP


def test_hostile_text_is_escaped_and_the_svg_stays_well_formed() -> None:
    hostile = "</title></svg><script>alert(1)</script> & \"quoted\" 'x' ]]> <!--"
    markup = str(
        participation_chart(
            [WeekBars(hostile, (Bar(0.5, False, hostile),))], title=hostile, percent=percent
        )
    )

    assert "<script>" not in markup
    svg = ET.fromstring(markup)  # raises if it is not well-formed
    assert svg.findtext(f"{SVG}title") == hostile
    assert bars(svg)[0].findtext(f"{SVG}title") == hostile
