"""Answering a theme by replying to its email (InboundDomain).

Each theme's prompt and reminder carry `Reply-To: reply+<token>@<InboundDomain>`
(core.links.Links.reply_address). SES receives the reply, stores it under `inbound/` in
the uploads bucket and invokes inbound_reply with the receipt: the address names the
member and the theme, the sender must be the member and SES's checks must vouch for the
From address (inbound/alignment.py), and the reply's own text is saved exactly as the
answer form saves it (answers/answers.py: the same limits, deadline, edit and scoring).
The member is told, in their language: a short confirmation with their answer's link, or
why nothing was recorded. A message to an unsubscribe address (`unsubscribe+<token>@`,
List-Unsubscribe's mailto:) applies its scope as the one-click link does, and gets no
email back.

Loop and backscatter guards: an automatic message (auto-reply, bounce, list) gets
nothing; a message whose From SES's checks do not vouch for gets nothing (it may be
forged); an explanation goes only to a member of the roster — anyone else's message is
dropped silently, as mailing strangers would be backscatter — and to a sender at most
once an hour; every email sent says `Auto-Submitted: auto-replied`. A message is handled
once: SES redelivering it finds it recorded; an email SES refuses (its address) is logged
and the message handled all the same, while a throttle or an AWS fault is raised, for
Lambda to retry.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from palabre.answers.answers import (
    Answers,
    AnswerView,
    EditedMeanwhile,
    Saved,
    parse_form,
)
from palabre.core.dates import format_date
from palabre.core.i18n import N_, Translatable, translations
from palabre.core.links import (
    REPLY_PREFIX,
    UNSUBSCRIBE_PREFIX,
    Links,
    Offboarded,
    in_roster,
    writer,
)
from palabre.core.local_time import deadline_day, link_expiry
from palabre.core.models import (
    Attribution,
    Member,
    Subscription,
    ThemeKind,
    Visibility,
    member_id,
)
from palabre.core.tokens import InvalidToken
from palabre.core.typography import marked
from palabre.inbound.alignment import domain_of, vouched
from palabre.inbound.reading import IncomingMail, read_mail
from palabre.mail.mime import build_message
from palabre.mail.outbox import Outbox, refused
from palabre.mail.render import in_language, render
from palabre.observability import logger
from palabre.store.inbound import InboundStore
from palabre.store.members import MemberStore, recipient_from, recipient_keys
from palabre.store.sending import SendingHealth

INBOUND_PREFIX = "inbound/"
"""where the receipt rule's S3 action stores each message (its SES message id after it)"""
QUOTED = 300
"""characters of the answer the confirmation quotes"""
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_FAIL = "FAIL"


class Outcome(StrEnum):
    SAVED = "saved"
    EDITED = "edited"
    AUTOMATIC = "automatic"
    """an auto-reply, a bounce, a list: never answered"""
    UNAUTHENTICATED = "unauthenticated"
    """no From, a From SES's checks do not vouch for (alignment.vouched), or SES found
    spam or a virus: no one told"""
    UNKNOWN = "unknown"
    """no reply address, or one forged, expired, or naming no theme sent to its member"""
    OFFBOARDED = "offboarded"
    WRONG_SENDER = "wrong_sender"
    CLOSED = "closed"
    INVALID = "invalid"
    """empty once quotes and signature are left out, too long, or control characters"""
    UNSUBSCRIBED = "unsubscribed"
    """written to an unsubscribe address (List-Unsubscribe's mailto:): its scope applied,
    as a one-click unsubscribe applies it; no email in return"""


class Told(StrEnum):
    """What became of the one email a reply gets."""

    SENT = "sent"
    NOBODY = "nobody"
    """none is due: an automatic message, or one that may be forged"""
    STRANGER = "stranger"
    """an explanation due to an address that is no member's: dropped (backscatter)"""
    SUPPRESSED = "suppressed"
    PAUSED = "paused"
    TOLD_THIS_HOUR = "told_this_hour"
    REFUSED_BY_SES = "refused_by_ses"
    """SES refused the email itself (its address): logged, the reply handled"""


@dataclass(frozen=True)
class Handled:
    outcome: str
    told: Told | None
    """None when the message was handled before (a redelivery)"""


@dataclass(frozen=True)
class Receipt:
    """What SES says of a received message (a record of the receipt rule's Lambda action)."""

    message_id: str
    recipients: tuple[str, ...]
    source: str
    """the envelope's MAIL FROM address, which SPF checks ("" for a null sender)"""
    spf: str
    dkim: str
    dmarc: str
    spam: str
    virus: str

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> "Receipt":
        ses = record["ses"]
        receipt = ses["receipt"]

        def verdict(name: str) -> str:
            return str((receipt.get(name) or {}).get("status", "")).upper()

        return cls(
            message_id=str(ses["mail"]["messageId"]),
            recipients=tuple(str(r).lower() for r in receipt.get("recipients", [])),
            source=str(ses["mail"].get("source") or "").lower(),
            spf=verdict("spfVerdict"),
            dkim=verdict("dkimVerdict"),
            dmarc=verdict("dmarcVerdict"),
            spam=verdict("spamVerdict"),
            virus=verdict("virusVerdict"),
        )

    def vouches_for(self, mail: IncomingMail) -> bool:
        """The message is from whom its From says (DMARC passed, or SPF or DKIM passed
        for the From's own domain), and it is neither spam nor a virus."""
        return (
            bool(mail.sender)
            and self.spam != _FAIL
            and self.virus != _FAIL
            and vouched(
                sender=mail.sender,
                envelope=self.source,
                signers=mail.signers,
                spf=self.spf,
                dkim=self.dkim,
                dmarc=self.dmarc,
            )
        )


class Mailroom(Protocol):
    """Where the receipt rule left each message."""

    def raw(self, ses_message_id: str) -> bytes: ...

    def forget(self, ses_message_id: str) -> None:
        """Once handled: a reply is personal text, kept no longer than needed."""


class InboundObjects:
    """The messages in the uploads bucket, under inbound/."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def raw(self, ses_message_id: str) -> bytes:
        key = INBOUND_PREFIX + ses_message_id
        body: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def forget(self, ses_message_id: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=INBOUND_PREFIX + ses_message_id)


@dataclass(frozen=True)
class Notice:
    """The one email a reply gets: its template, who it goes to, what it says."""

    kind: str
    """email/<kind>.html and .txt: reply_saved or reply_refused"""
    to: str
    locale: str
    subject: str
    context: dict[str, Any]
    refusal: bool


@dataclass(frozen=True)
class Sender:
    """What sends a notice: the organisation's name and address, SES, its templates."""

    organisation: str
    address: str
    outbox: Outbox
    templates_dir: Path


class Replies:
    def __init__(
        self,
        *,
        answers: Answers,
        store: InboundStore,
        members: MemberStore,
        health: SendingHealth,
        mailroom: Mailroom,
        links: Links,
        sender: Sender,
        default_locale: str,
    ) -> None:
        self.answers = answers
        self.store = store
        self.members = members
        self.health = health
        self.mailroom = mailroom
        self.links = links
        self.sender = sender
        self.default_locale = default_locale

    def receive(self, receipt: Receipt, now: datetime) -> Handled:
        """Handles one received message, once: what became of it, and of its email."""
        done = self.store.handled(receipt.message_id)
        if done is not None:
            logger.info("reply handled already", extra={"outcome": done})
            return Handled(done, None)
        mail = read_mail(self.mailroom.raw(receipt.message_id))
        outcome, notice = self._decide(receipt, mail, now)
        told = self._tell(notice, receipt, mail, now) if isinstance(notice, Notice) else notice
        logger.info(
            "reply handled",
            extra={"outcome": outcome.value, "notice": told.value} | _checks(receipt, mail),
        )
        self.store.record(receipt.message_id, outcome.value, now)
        self.mailroom.forget(receipt.message_id)
        return Handled(outcome.value, told)

    # ------------------------------------------------------------------ deciding
    def _decide(
        self, receipt: Receipt, mail: IncomingMail, now: datetime
    ) -> tuple[Outcome, Notice | Told]:
        """What becomes of the reply, and the email it gets (or why none)."""
        tokens = self._addressed(receipt, UNSUBSCRIBE_PREFIX)
        if tokens and not self._addressed(receipt, REPLY_PREFIX):
            # As the one-click link: the address is the member's authority, whoever's
            # mail client writes (a member's domain may not pass SES's checks, a client
            # may mark its message automatic); nothing is sent from it, so nothing
            # bounces to it. (Written to a reply address too, it is a reply: below.)
            return self._unsubscribe(tokens, now), Told.NOBODY
        if tokens:
            self._unsubscribe(tokens, now)
        if mail.automatic:
            return Outcome.AUTOMATIC, Told.NOBODY
        if not receipt.vouches_for(mail):
            return Outcome.UNAUTHENTICATED, Told.NOBODY
        view = self._view(receipt, now)
        if view is None:
            return Outcome.UNKNOWN, self._unknown(mail, now)
        try:
            member = writer(view.member)  # as the form: only a member still in the roster
        except Offboarded:
            return Outcome.OFFBOARDED, self._offboarded(view, mail)
        if mail.sender != member.email.casefold():
            colleague = self._member(mail.sender)
            if colleague is None:
                return Outcome.WRONG_SENDER, Told.STRANGER
            return Outcome.WRONG_SENDER, self._refused(
                mail.sender,
                colleague.locale,
                N_(
                    "Your reply came from %(sender)s, not from the address this theme was "
                    "sent to: only replies from that address are recorded."
                ),
                sender=mail.sender,
            )
        answer_url = self._answer_url(view)
        if view.closed:
            return Outcome.CLOSED, self._refused(
                member.email,
                member.locale,
                N_("This theme closed on %(date)s: your reply came too late to be recorded."),
                view=view,
                answer_url=answer_url,
                date=self._last_day(view, member.locale),
            )
        try:
            saved = self._save(view, mail.text, now)
        except Translatable as invalid:
            return Outcome.INVALID, self._refused(
                member.email, member.locale, invalid, view=view, answer_url=answer_url
            )
        return (Outcome.SAVED if saved.created else Outcome.EDITED), self._saved(
            member, saved, answer_url
        )

    def _addressed(self, receipt: Receipt, prefix: str) -> list[str]:
        """The tokens of the recipients at the inbound domain whose local part starts
        with `prefix`."""
        domain = self.links.inbound_domain.lower()
        found = []
        for address in receipt.recipients:
            local, at, host = address.lower().rpartition("@")
            if at and host == domain and local.startswith(prefix):
                found.append(local.removeprefix(prefix))
        return found

    def _unsubscribe(self, tokens: list[str], now: datetime) -> Outcome:
        """The scope of each valid unsubscribe address applied, never loosening what
        the member stopped already (as the one-click POST)."""
        outcome = Outcome.UNKNOWN
        for token in tokens:
            try:
                claims = self.links.signer.unsubscribe_claims(token, now)
            except InvalidToken:
                continue
            # profile, preferences, suppression: one BatchGetItem, as the sender reads them
            table = self.members.table
            state = table.get_many(recipient_keys(claims.member_id), consistent=True)
            recipient = recipient_from({i["SK"]: i for i in state}, table)
            if recipient is None:
                continue
            stopped = recipient.subscription.at_least(Subscription(claims.scope))
            self.members.choose(claims.member_id, stopped, now)
            outcome = Outcome.UNSUBSCRIBED
        return outcome

    def _view(self, receipt: Receipt, now: datetime) -> AnswerView | None:
        """The member's answer to the theme the reply address names; None when the
        address is not one of ours, is forged or expired, or names no theme of theirs."""
        for token in self._addressed(receipt, REPLY_PREFIX):
            try:
                claims = self.links.signer.reply_claims(token, now)
            except InvalidToken:
                continue
            theme_id = self.store.theme_of(claims.member_id, claims.theme_ref)
            if theme_id is None:
                continue
            try:
                return self.answers.open_slot(theme_id, claims.member_id, now, consistent=True)
            except InvalidToken:
                continue
        return None

    def _save(self, view: AnswerView, text: str, now: datetime) -> Saved:
        """As the form saves it; the choices of an existing answer are kept, as its form
        shows them. Raises Translatable, as the form does, for what it would refuse."""
        if view.theme.kind is ThemeKind.LIVE:
            # Its emails carry no reply address (sending/prompt_mail.py): one written by hand.
            raise Translatable(
                N_(
                    "This theme is a live session: it takes no written answer. Use the Yes, "
                    "Maybe and No links of its invitation to say whether you will come."
                )
            )
        if not text:
            raise Translatable(
                N_(
                    "Your reply held no text of its own once the quoted email and your "
                    "signature were left out."
                )
            )
        answer = view.answer
        form = parse_form(
            {
                "answer": [text],
                "visibility": [answer.visibility.value if answer else Visibility.CIRCLE.value],
                "attribution": [answer.attribution.value if answer else Attribution.NAMED.value],
            }
        )
        if answer is not None and answer.text == form.answer:
            # This very reply, saved before its notice could be sent (SES delivers again
            # after a failure): no second version.
            return Saved(view=view, created=answer.version == 1, points=answer.points)
        try:
            return self.answers.save(view, form, now)
        except EditedMeanwhile as edited:  # the form, in another window, just now
            latest = AnswerView(
                view.theme,
                view.prompt,
                edited.latest,
                view.closed,
                view.last_initial,
                view.left,
                view.member,
            )
            return self.answers.save(latest, form, now)

    # ------------------------------------------------------------------ notices
    def _answer_url(self, view: AnswerView) -> str:
        expires = link_expiry(view.theme, ZoneInfo(view.prompt.timezone))
        return self.links.answer(view.theme.id, view.member_id, expires)

    def _last_day(self, view: AnswerView, locale: str) -> str:
        return format_date(deadline_day(view.theme), "full", locale=locale)

    def _saved(self, member: Member, saved: Saved, answer_url: str) -> Notice:
        view = saved.view
        assert view.answer is not None
        tr = translations(self.sender.templates_dir, member.locale)
        subject = (
            N_("Your answer to “%(title)s” is saved")
            if saved.created
            else N_("Your answer to “%(title)s” is updated")
        )
        text = view.answer.text
        title = view.theme.title_for(member.locale)
        return Notice(
            kind="reply_saved",
            to=member.email,
            locale=member.locale,
            subject=in_language(
                tr.gettext(subject) % {"title": marked(title, member.locale)}, member.locale
            ),
            context={
                "first_name": member.first_name or member.display_name,
                "theme": view.theme,
                "title": title,
                "created": saved.created,
                "points": saved.points,
                "quoted": text if len(text) <= QUOTED else text[:QUOTED].rstrip() + "…",
                "answer_url": answer_url,
                "last_day": self._last_day(view, member.locale),
            },
            refusal=False,
        )

    def _refused(
        self,
        to: str,
        locale: str,
        reason: str | Translatable,
        *,
        view: AnswerView | None = None,
        answer_url: str = "",
        space_url: str = "",
        **parameters: Any,
    ) -> Notice:
        """`reason`: a message id, with its `parameters`, or what the form refused."""
        tr = translations(self.sender.templates_dir, locale)
        why = reason if isinstance(reason, Translatable) else Translatable(reason, **parameters)
        member = view.member if view else None
        return Notice(
            kind="reply_refused",
            to=to,
            locale=locale,
            subject=tr.gettext(N_("Your reply could not be recorded")),
            context={
                "first_name": (member.first_name or member.display_name) if member else "",
                "theme": view.theme if view else None,
                "title": view.theme.title_for(locale) if view else "",
                "reason": why.text(tr),
                "answer_url": answer_url,
                "space_url": space_url,
            },
            refusal=True,
        )

    def _member(self, address: str) -> Member | None:
        """The active member of the roster whose address this is: the only senders an
        explanation goes to. Anyone may write to the inbound domain; answering strangers
        would be backscatter, which the deliverability guard's bounce rate pays for."""
        member = self.members.get(member_id(address))
        return member if in_roster(member) else None

    def _offboarded(self, view: AnswerView, mail: IncomingMail) -> Notice | Told:
        """Told, from the address the theme was sent to: a former member is no stranger
        (the reply answers an email of ours, to them), but whoever else holds their reply
        address is."""
        former = view.member
        if former is None or mail.sender != former.email.casefold():
            return Told.STRANGER
        return self._refused(
            mail.sender,
            former.locale,
            N_("You are no longer in the roster: replies are not recorded."),
        )

    def _unknown(self, mail: IncomingMail, now: datetime) -> Notice | Told:
        """In the member's language, with their space's link (where their open themes
        are); to anyone else, nothing."""
        member = self._member(mail.sender)
        if member is None:
            return Told.STRANGER
        return self._refused(
            mail.sender,
            member.locale,
            N_(
                "The address your reply was sent to is not one we know, or it has expired: "
                "we cannot tell which theme it answers."
            ),
            space_url=self.links.space(member.id, now),
        )

    def _tell(self, notice: Notice, receipt: Receipt, mail: IncomingMail, now: datetime) -> Told:
        """Sends the notice, unless the address is suppressed, sends are paused, or (for a
        refusal) the sender was told already this hour; says which."""
        if self.members.suppressed([notice.to]):
            return Told.SUPPRESSED
        pause = self.health.last_pause()
        if pause is not None and pause.active:
            return Told.PAUSED
        if notice.refusal and not self.store.may_explain(notice.to, receipt.message_id, now):
            return Told.TOLD_THIS_HOUR
        templates = self.sender.templates_dir
        context = notice.context | {
            "organisation": self.sender.organisation,
            "subject": notice.subject,
        }
        digest = hashlib.sha256(b"palabre.reply\0" + receipt.message_id.encode()).hexdigest()
        domain = self.sender.address.rpartition("@")[2]
        headers = {"Auto-Submitted": "auto-replied", "Content-Language": notice.locale}
        if _MESSAGE_ID.fullmatch(mail.message_id):
            headers |= {"In-Reply-To": mail.message_id, "References": mail.message_id}
        message = build_message(
            sender=(self.sender.organisation, self.sender.address),
            to=[notice.to],
            subject=notice.subject,
            text=render(templates, f"email/{notice.kind}.txt", notice.locale, **context),
            html=render(templates, f"email/{notice.kind}.html", notice.locale, **context),
            date=now,
            # The same for every attempt at this notice (exactly once, but for a crash
            # between SES accepting it and the message being recorded as handled).
            message_id=f"<{notice.kind}.{digest[:26]}@{domain}>",
            headers=headers,
        )
        try:
            self.sender.outbox.send(message, tags={"kind": notice.kind})
        except ClientError as error:
            if not refused(error):
                raise  # throttled, a spent quota, an AWS fault: Lambda tries again
            logger.warning(
                "SES refused a reply's email",
                extra={"kind": notice.kind, "error": error.response.get("Error", {})},
            )
            return Told.REFUSED_BY_SES
        return Told.SENT


def _checks(receipt: Receipt, mail: IncomingMail) -> dict[str, Any]:
    """What the From was checked against, for the log: domains only, no local part."""
    return {
        "from_domain": domain_of(mail.sender),
        "envelope_domain": domain_of(receipt.source),
        "dkim_domains": list(mail.signers),
        "verdicts": {
            "spf": receipt.spf,
            "dkim": receipt.dkim,
            "dmarc": receipt.dmarc,
            "spam": receipt.spam,
            "virus": receipt.virus,
        },
    }
