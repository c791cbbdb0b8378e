"""One email to one member: rendered in their language, with a Message-ID stable for what
it is about, and the unsubscribe headers every email carries."""

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from palabre.core.models import Member
from palabre.mail.mime import Attachment, Mail, build_message
from palabre.mail.render import render


@dataclass(frozen=True)
class Letterhead:
    """Who every email is from: the organisation, its verified address, its templates."""

    organisation: str
    address: str
    templates_dir: Path

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


def message_id(kind: str, about: str, unsubscribe_url: str, domain: str) -> str:
    """The same for every attempt at the same email (see docs: exactly once). The member
    is named by a digest of the email's own unsubscribe link (stable for every attempt,
    keyed by the link secret), never by their id: an id is derived from the address,
    and a forwarded email's headers must not confirm a guessed one."""
    digest = hashlib.sha256(b"palabre.message\0" + unsubscribe_url.encode()).digest()
    member = base64.b32encode(digest).decode().rstrip("=").lower()[:26]
    return f"<{kind}.{about}.{member}@{domain}>"


def personal_email(
    kind: str,
    about: str,
    member: Member,
    letterhead: Letterhead,
    now: datetime,
    context: dict[str, Any],
    attachments: Sequence[Attachment] = (),
    reply_to: str = "",
) -> Mail:
    """`email/<kind>.txt` and `.html` rendered in the member's language with `context`
    (its `subject` and `unsubscribe_url` included), the Message-ID stable for (kind,
    `about`, member), and the unsubscribe headers; `reply_to`, where replies are read."""
    name = f"email/{kind}"
    templates = letterhead.templates_dir
    headers = list_headers(
        context["unsubscribe_url"], member, context.get("unsubscribe_address", "")
    )
    if reply_to:
        headers["Reply-To"] = reply_to
    return build_message(
        sender=(letterhead.organisation, letterhead.address),
        to=[member.email],
        subject=context["subject"],
        text=render(templates, f"{name}.txt", member.locale, **context),
        html=render(templates, f"{name}.html", member.locale, **context),
        date=now,
        message_id=message_id(kind, about, context["unsubscribe_url"], letterhead.domain),
        headers=headers,
        attachments=attachments,
    )


def list_headers(
    unsubscribe_url: str, member: Member, unsubscribe_address: str = ""
) -> dict[str, str]:
    # RFC 8058 one-click: mailbox providers show an unsubscribe button. A mailto: too
    # (RFC 2369) where replies are read (the inbound domain: palabre.inbound), for the
    # clients that unsubscribe by email; none otherwise, as nothing would read it
    # (docs/journeys.md#unsubscribe).
    ways = [f"<{unsubscribe_url}>"]
    if unsubscribe_address:
        ways.append(f"<mailto:{unsubscribe_address}?subject=unsubscribe>")
    return {
        "List-Unsubscribe": ", ".join(ways),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Content-Language": member.locale,
    }
