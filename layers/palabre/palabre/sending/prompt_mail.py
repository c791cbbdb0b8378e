"""The emails of the answer journey: a theme's prompt, and its one reminder."""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from palabre.core.dates import format_date
from palabre.core.i18n import N_, translations
from palabre.core.jobs import JobKind
from palabre.core.links import Links
from palabre.core.local_time import deadline_day, link_expiry
from palabre.core.markdown import prompt_html, to_text
from palabre.core.models import Member, Theme, ThemeKind
from palabre.core.points import FAST_BONUS
from palabre.core.typography import Localized, marked
from palabre.live.invitation import invitation
from palabre.live.session import live_session, rsvp_links
from palabre.mail.mime import Mail
from palabre.mail.personal import Letterhead, personal_email
from palabre.mail.render import in_language

SUBJECTS = {
    JobKind.PROMPT: N_("%(title)s — your theme this week"),
    JobKind.REMINDER: N_("Reminder: %(title)s, open until %(date)s"),
}
QUESTION_SUBJECT = N_("%(name)s asks your circle: %(title)s")
LIVE_SUBJECT = N_("Invitation: %(title)s, %(starts)s")
"""a live session's invitation (its day and time in the member's timezone)"""
"""a member's question's prompt (its reminder is any theme's)"""


@lru_cache(maxsize=256)  # every member of a theme reads the same deadline
def _full_date(day: date, locale: str) -> str:
    return format_date(day, "full", locale=locale)


def compose(
    kind: JobKind,
    theme: Theme,
    member: Member,
    links: Links,
    letterhead: Letterhead,
    now: datetime,
) -> Mail:
    zone = ZoneInfo(member.timezone)
    locale = member.locale
    tr = translations(letterhead.templates_dir, locale)
    last_day = _full_date(deadline_day(theme), locale)
    asked = kind is JobKind.PROMPT and theme.asker_name
    title = theme.title_for(locale)
    prompt = theme.prompt_for(locale)
    session = live_session(theme, zone, locale)
    invited = kind is JobKind.PROMPT and session is not None
    wording = LIVE_SUBJECT if invited else QUESTION_SUBJECT if asked else SUBJECTS[kind]
    subject = in_language(
        tr.gettext(wording)
        % {
            "title": marked(title, locale),
            "date": last_day,
            "name": theme.asker_name,
            "starts": session["starts"] if session else "",
        },
        locale,
    )
    closes = link_expiry(theme, zone)
    # A live session is answered by its RSVP links, not in words: no reply is read.
    live = theme.kind is ThemeKind.LIVE
    reply_to = "" if live else links.reply_address(theme.id, member.id, closes)
    context = {
        "subject": subject,
        "organisation": letterhead.organisation,
        "kind": kind.value,
        "first_name": member.first_name or member.display_name,
        "theme": theme,
        "title": title,
        "prompt_html": prompt_html(theme, locale),
        "prompt_text": Localized(to_text(prompt), prompt.lang),
        "answer_url": links.answer(theme.id, member.id, closes),
        **links.unsubscribing(member.id, closes),
        "space_url": links.space(member.id, closes),
        "last_day": last_day,
        "points": theme.points,
        "bonus": FAST_BONUS,
        "live": session,
        # A live session's main action is the RSVP (its points come from attendance).
        "rsvp": rsvp_links(links, theme, member.id),
        # Where a reply goes, when replies are read (email/reply_note.*): "" when not.
        "reply_address": reply_to,
    }
    attachments = invitation(theme, member, letterhead, now) if kind is JobKind.PROMPT else []
    return personal_email(
        kind.value,
        theme.id,
        member,
        letterhead,
        now,
        context,
        attachments=attachments,
        reply_to=reply_to,
    )
