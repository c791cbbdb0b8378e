"""French dates and quoted titles in real emails (core/dates.py, core/i18n.Dated): a live
session on Monday 1 February reads « lundi 1er février 2027 » in its French invitation,
and the import report's capacity warning quotes its title « » with its day in words."""

from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from sam_moto.stack import LocalStack
from tests.functional.conftest import PARIS_MORNING, make_stack, mocked_aws, sent, tick
from tests.functional.test_rsvp import (
    CAMILLE,
    HUGO,
    LEA,
    TITLE,
    html_of,
    invitation,
    live_calendar,
    respond,
    text_of,
)

NB = "\u00a0"
ON_THE_FIRST = "2027-02-01 14:00"  # Monday, Paris
# The circle of test_rsvp, reading French
ROSTER = "email;first_name;last_name;circle;team;locale;timezone;role\n" + "".join(
    f"{a};{a.split('@')[0].title()};Builder;Builders;Ops;fr;Europe/Paris;{role}\n"
    for a, role in ((CAMILLE, "admin"), (HUGO, "member"), (LEA, "member"))
)


@pytest.fixture(scope="module")
def invited() -> Iterator[LocalStack]:
    """A French circle invited on Tuesday 1 December to a session of two seats on Monday
    1 February, both seats taken."""
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        stack = make_stack()
        stack.upload("roster", "roster.csv", ROSTER.encode())
        stack.upload("calendar", "live.csv", live_calendar(starts=ON_THE_FIRST))
        tick(stack, PARIS_MORNING)
        stack.drain()
        for address in (LEA, HUGO):
            respond(stack, address, "yes")
        yield stack


def test_a_french_invitation_writes_the_first_of_the_month_1er(invited: LocalStack) -> None:
    """Given a session on Monday 1 February
    When its French invitation is read
    Then its subject, text and HTML write « lundi 1er février 2027 », never « 1 février »."""
    message: EmailMessage = invitation(invited, LEA)
    assert message["Subject"] == f"Invitation{NB}: {TITLE}, lundi 1er février 2027, 14:00"
    text, html = text_of(message), html_of(message)
    for part in (text, html):
        assert "lundi 1er février 2027, 14:00" in part
        assert " 1 février" not in part


def test_a_french_capacity_warning_quotes_the_title_and_names_its_day(
    invited: LocalStack,
) -> None:
    """Given both seats of the session taken
    When an upload lowers its capacity to one
    Then the French warning quotes the title « » with the session's day, 1er février."""
    result = invited.upload(
        "calendar", "live.csv", live_calendar(starts=ON_THE_FIRST, capacity="1")
    )

    # Then the upload's result and the report emailed to the admin say it in French
    quoted = f"2 places sont prises à «{NB}{TITLE}{NB}» (1er février 2027), plus que"
    [warning] = result["warnings"]
    assert warning["message"].startswith(quoted)
    reports = [m for m in sent(invited) if m["To"] == CAMILLE and "live.csv" in m["Subject"]]
    text, html = text_of(reports[-1]), html_of(reports[-1])
    assert quoted in text
    assert quoted in html
    assert "“" not in text
