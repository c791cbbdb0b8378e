"""A job retried later (a crash between SES and the record, a redelivery) builds the same
email again: the same links and text, whatever the clock says at each attempt. Only the
Date header tells the attempts apart."""

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest

from palabre.core.jobs import JobKind
from palabre.core.links import Links
from palabre.core.models import Visibility
from palabre.core.streaks import StreakFigures
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.digest.editions import DigestAnswer, DigestTheme, Edition, Rate, Report
from palabre.digest.mail import compose_digest, compose_report
from palabre.mail.personal import Letterhead
from palabre.sending.prompt_mail import compose
from tests.unit.examples import CALENDAR, ROSTER, TEMPLATES

SIGNER = Signer(["k" * 64])
LINKS = Links("https://palabre.example.com", SIGNER)
SENDER = Letterhead("Palabre", "palabre@example.com", TEMPLATES)
FIRST = datetime(2026, 12, 7, 7, 0, 0, 400_000, tzinfo=UTC)
# A second later, and hours later: a crash retried at once, and a job redelivered
LATER = [FIRST + timedelta(seconds=1), FIRST + timedelta(hours=5, minutes=7, seconds=13)]
READER, AUTHOR = ROSTER[0], ROSTER[1]


def bodies(message: EmailMessage) -> tuple[str, str, str]:
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
        message["List-Unsubscribe"],
    )


def edition() -> Edition:
    answer = DigestAnswer(
        theme_id=CALENDAR[0].id,
        author_id=AUTHOR.id,
        first_name="Bruno",
        circle=AUTHOR.circle,
        text="Un tour de table de deux minutes, chacun son tour.",
        visibility=Visibility.CIRCLE,
    )
    return Edition(
        week="2026-W49",
        start=date(2026, 11, 30),
        end=date(2026, 12, 6),
        scope="circle",
        circle=READER.circle,
        themes=[DigestTheme(id=CALENDAR[0].id, title=CALENDAR[0].title, answers=[answer])],
        top=[answer],
        participation=Rate(name=READER.circle, answers=1, prompts=2),
        teams=[],
    )


def report() -> Report:
    return Report(
        week="2026-W49",
        start=date(2026, 11, 30),
        end=date(2026, 12, 6),
        circles=[],
        teams=[],
        top=[],
        non_responders=[],
        suppressed=[],
        dead_letters={},
        exports={"answers.csv": "exports/2026-W49/answers.csv"},
    )


EMAILS = {
    "prompt": lambda now: compose(JobKind.PROMPT, CALENDAR[0], READER, LINKS, SENDER, now).parsed(),
    "reminder": lambda now: compose(
        JobKind.REMINDER, CALENDAR[0], READER, LINKS, SENDER, now
    ).parsed(),
    "digest": lambda now: compose_digest(
        edition(), READER, 25, StreakFigures(2, 3), LINKS, SENDER, now
    ).parsed(),
    "report": lambda now: compose_report(report(), READER, LINKS, SENDER, now).parsed(),
}


@pytest.mark.parametrize("kind", EMAILS)
def test_every_attempt_at_an_email_carries_the_same_links_and_text(kind: str) -> None:
    first = EMAILS[kind](FIRST)

    for now in LATER:
        again = EMAILS[kind](now)
        assert bodies(again) == bodies(first)
        assert again["Message-ID"] == first["Message-ID"]
    assert "/unsubscribe/" in first["List-Unsubscribe"]


def test_weekly_links_age_from_the_end_of_their_week_not_from_the_send() -> None:
    text = bodies(EMAILS["digest"](FIRST))[0]
    [vote] = [w for w in text.split() if "/vote/" in w]
    token = vote.rsplit("/", 1)[1]
    week_end = datetime(2026, 12, 7, tzinfo=UTC)

    claims = SIGNER.verify(Purpose.VOTE, token, week_end + timedelta(days=59))
    assert SIGNER.member(claims.ids[-1], Purpose.VOTE, claims.ids[0]) == READER.id
    with pytest.raises(InvalidToken):
        SIGNER.verify(Purpose.VOTE, token, week_end + timedelta(days=60))
