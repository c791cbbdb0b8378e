"""The weekly emails: a reader's digest, and the admins' report."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from palabre.core.dates import format_date
from palabre.core.i18n import N_, translations
from palabre.core.jobs import JobKind
from palabre.core.links import Links
from palabre.core.local_time import deadline_day, link_expiry
from palabre.core.markdown import shown
from palabre.core.models import Member, Theme, Visibility
from palabre.core.parked import kind_of, listed, waiting
from palabre.core.streaks import StreakFigures
from palabre.core.typography import LocalizedMarkup
from palabre.digest.editions import DigestAnswer, Edition, Report
from palabre.digest.exports import file_name
from palabre.mail.mime import Mail
from palabre.mail.personal import Letterhead, personal_email
from palabre.mail.render import in_language

SUBJECTS = {
    JobKind.DIGEST: N_("What your peers tried, week of %(date)s"),
    JobKind.REPORT: N_("Palabre weekly report, week of %(date)s"),
}


def week_closed(last_day: date) -> datetime:
    """When a weekly email's links start to age: the end of its week (UTC, so the same
    for every reader and every attempt at the email)."""
    return datetime.combine(last_day + timedelta(days=1), time(), UTC)


def compose_digest(
    edition: Edition,
    member: Member,
    points: int,
    streak: StreakFigures,
    links: Links,
    letterhead: Letterhead,
    now: datetime,
    waiting: Sequence[Theme] = (),
    rank: tuple[int, int] = (0, 0),
) -> Mail:
    """One reader's digest; `waiting`: the themes still open that they have not answered,
    shown first with their deadline and answer link."""
    signed: dict[tuple[str, str], str] = {}

    def vote_url(answer: DigestAnswer) -> str:
        # Both parts show each link: it is signed once.
        key = (answer.theme_id, answer.author_id)
        if key not in signed:
            signed[key] = (
                ""  # one's own answer: no "useful" link
                if answer.author_id == member.id
                else links.vote(*key, member.id, week_closed(edition.end))
            )
        return signed[key]

    return _weekly(
        JobKind.DIGEST,
        edition.week,
        (edition.start, edition.end),
        member,
        links,
        letterhead,
        now,
        edition=edition,
        reader=member.id,
        points=points,
        streak=streak,
        rank=rank,
        vote_url=vote_url,
        # a member's question, in the asker's language (marked where not the reader's)
        questions={
            t.id: LocalizedMarkup(shown(t.prompt, t.prompt_html), t.lang)
            for t in edition.themes
            if t.prompt
        },
        waiting=[_still_open(theme, member, links) for theme in waiting],
    )


def _still_open(theme: Theme, member: Member, links: Links) -> dict[str, str]:
    closes = link_expiry(theme, ZoneInfo(member.timezone))
    return {
        "title": theme.title_for(member.locale),
        "last_day": format_date(deadline_day(theme), "full", locale=member.locale),
        "answer_url": links.answer(theme.id, member.id, closes),
    }


def compose_report(
    report: Report,
    member: Member,
    links: Links,
    letterhead: Letterhead,
    now: datetime,
) -> Mail:
    return _weekly(
        JobKind.REPORT,
        report.week,
        (report.start, report.end),
        member,
        links,
        letterhead,
        now,
        report=report,
        exports={
            file_name(name): links.export(report.week, name, member.id, week_closed(report.end))
            for name in report.exports
        },
        admin_url=links.admin(member.id, week_closed(report.end)),
        parked=parked_lines(
            report.dead_letters, translations(letterhead.templates_dir, member.locale)
        ),
        star={
            _key(a): links.star(a.theme_id, a.author_id, member.id, week_closed(report.end))
            for a in (*report.shared, *report.top)
            if a.visibility is Visibility.ORGANISATION
        },
        cancel={
            q.id: links.cancel(q.id, member.id, week_closed(report.end))
            for q in report.questions
            if q.status == "open"
        },
    )


def parked_lines(dead_letters: dict[str, int], tr: Any) -> list[str]:
    """What is parked, in words, one line a queue that holds any ("1 score update is
    waiting"), in the order the admin space lists them."""
    return [
        waiting(kind_of(name), count, tr)
        for name, count in sorted(dead_letters.items(), key=lambda p: listed(p[0]))
        if count
    ]


def _key(answer: DigestAnswer) -> str:
    """An answer's key in a template's dictionary of links."""
    return f"{answer.theme_id}/{answer.author_id}"


def _weekly(
    kind: JobKind,
    week: str,
    days: tuple[date, date],
    member: Member,
    links: Links,
    letterhead: Letterhead,
    now: datetime,
    **content: Any,
) -> Mail:
    """One weekly email to one reader, in their language, with its unsubscribe headers."""
    locale = member.locale
    start = format_date(days[0], "d MMMM", locale=locale)
    subject = in_language(
        translations(letterhead.templates_dir, locale).gettext(SUBJECTS[kind]) % {"date": start},
        locale,
    )
    context = {
        "subject": subject,
        "organisation": letterhead.organisation,
        "first_name": member.first_name or member.display_name,
        "start": start,
        "end": format_date(days[1], "d MMMM y", locale=locale),
        **links.unsubscribing(member.id, week_closed(days[1]), scope="no_digest"),
        "space_url": links.space(member.id, week_closed(days[1])),
        **content,
    }
    return personal_email(kind.value, week, member, letterhead, now, context)
