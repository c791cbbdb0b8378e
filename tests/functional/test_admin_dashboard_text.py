"""The dashboard with hostile text in every name, circle, team and title: text in the
page and in its chart, never markup, the SVG well-formed (its own stack: the dashboard's
tests share theirs for the whole module)."""

import re
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from markupsafe import escape

from palabre_cli import demo
from tests.functional.conftest import make_stack, mocked_aws
from tests.functional.test_admin_dashboard import FIRST_SENT, dashboard, section

NAME = "<img src=x onerror=alert(1)>"
CIRCLE = '<script>alert("c")</script> & Cie'
TEAM = '"Équipe" <b>B</b> ]]> <!--'
TITLE = "</title></svg><script>alert(2)</script> & «x»"
HOSTILE_ROSTER = "".join(
    ";".join(f'"{cell.replace('"', '""')}"' for cell in row) + "\n"
    for row in (
        ("email", "first_name", "last_name", "circle", "team", "locale", "timezone", "role"),
        (demo.ADMIN, "Camille", "Martin", CIRCLE, TEAM, "fr", "Europe/Paris", "admin"),
        ("eve@demo.palabre.example", NAME, NAME, CIRCLE, TEAM, "fr", "Europe/Paris", "member"),
    )
)
HOSTILE_CALENDAR = f"""themes:
  - id: hostile-now
    send_on: "2026-12-01"
    title: '{TITLE}'
    prompt: "{NAME}"
    audience: all
  - id: hostile-later
    send_on: "2026-12-08"
    title: '{TITLE}'
    prompt: "{NAME}"
    audience: '{CIRCLE}'
"""


def test_every_name_title_circle_and_team_is_escaped_in_the_page_and_its_chart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an organisation whose names, circle, team and themes are hostile text
    with mocked_aws(monkeypatch):
        stack = make_stack()
        stack.upload("roster", "roster.csv", HOSTILE_ROSTER.encode())
        stack.upload("calendar", "calendar.yaml", HOSTILE_CALENDAR.encode())
        stack.advance_to(FIRST_SENT)
        stack.drain()

        # When the admin opens the dashboard, everyone's and filtered by that circle
        for query in ("", urlencode({"circle": CIRCLE}), urlencode({"team": TEAM})):
            status, page = dashboard(stack, query)

            # Then every one of them is text, never markup, the SVG well-formed
            assert status == 200, query
            for markup in ("<script", "<img", "<b>", "</svg><", "<!--"):
                assert markup not in page.replace("<svg", "").replace("</svg>\n", ""), markup
            [svg] = re.findall(r"<svg.*?</svg>", page, re.S)
            [bar] = ET.fromstring(svg).findall("{http://www.w3.org/2000/svg}rect")
            assert squeezed(TITLE) in squeezed(bar.findtext("{http://www.w3.org/2000/svg}title"))
            for hostile in (TITLE, CIRCLE, TEAM):
                assert squeezed(str(escape(hostile))) in squeezed(page), hostile
            assert str(escape(NAME)) in section(page, "silent")
        assert squeezed(str(escape(CIRCLE))) in squeezed(section(page, "leaderboard"))


def squeezed(text: str | None) -> str:
    """Without spaces of any kind (French typography adds some around « »)."""
    return re.sub(r"[\s\u00a0\u202f]", "", text or "")
