"""The weekly emails: a reader's digest, and the admins' report."""

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage

from babel.dates import format_date

from palabre.digest import Edition, Report
from palabre.i18n import N_, translations
from palabre.jobs import JobKind
from palabre.links import Links
from palabre.mail.mime import build_message
from palabre.mail.render import render
from palabre.models import Member
from palabre.prompt_mail import Sender, list_headers, message_id

DIGEST_SUBJECT = N_("What your peers tried, week of %(date)s")
REPORT_SUBJECT = N_("Palabre weekly report, week of %(date)s")


def compose_digest(
    edition: Edition,
    member: Member,
    points: int,
    streak: int,
    links: Links,
    sender: Sender,
    now: datetime,
) -> EmailMessage:
    locale = member.locale
    tr = translations(sender.templates_dir, locale)
    start = format_date(edition.start, "d MMMM", locale=locale)
    subject = tr.gettext(DIGEST_SUBJECT) % {"date": start}
    unsubscribe = links.unsubscribe(member.id, now, scope="no_digest")

    def vote_url(theme_id: str, author_id: str) -> str:
        if author_id == member.id:
            return ""  # one's own answer: no "useful" link
        return links.vote(theme_id, author_id, member.id, now)

    context = {
        "subject": subject,
        "organisation": sender.organisation,
        "first_name": member.first_name or member.display_name,
        "edition": edition,
        "start": start,
        "end": format_date(edition.end, "d MMMM y", locale=locale),
        "points": points,
        "streak": streak,
        "vote_url": vote_url,
        "is_me": lambda author_id: author_id == member.id,
        "unsubscribe_url": unsubscribe,
    }
    return build_message(
        sender=(sender.organisation, sender.address),
        to=[member.email],
        subject=subject,
        text=render(sender.templates_dir, "email/digest.txt", locale, **context),
        html=render(sender.templates_dir, "email/digest.html", locale, **context),
        date=now,
        message_id=message_id(JobKind.DIGEST, edition.week, member.id, sender.domain),
        headers=list_headers(unsubscribe, sender, member),
    )


def compose_report(
    report: Report,
    member: Member,
    links: Links,
    sender: Sender,
    presign: Callable[[str], str],
    now: datetime,
) -> EmailMessage:
    locale = member.locale
    tr = translations(sender.templates_dir, locale)
    start = format_date(report.start, "d MMMM y", locale=locale)
    subject = tr.gettext(REPORT_SUBJECT) % {"date": start}
    unsubscribe = links.unsubscribe(member.id, now, scope="no_digest")
    context = {
        "subject": subject,
        "organisation": sender.organisation,
        "first_name": member.first_name or member.display_name,
        "report": report,
        "start": start,
        "end": format_date(report.end, "d MMMM y", locale=locale),
        "exports": {name: presign(key) for name, key in report.exports.items()},
        "parked": sum(report.dead_letters.values()),
        "unsubscribe_url": unsubscribe,
    }
    return build_message(
        sender=(sender.organisation, sender.address),
        to=[member.email],
        subject=subject,
        text=render(sender.templates_dir, "email/report.txt", locale, **context),
        html=render(sender.templates_dir, "email/report.html", locale, **context),
        date=now,
        message_id=message_id(JobKind.REPORT, report.week, member.id, sender.domain),
        headers=list_headers(unsubscribe, sender, member),
    )
