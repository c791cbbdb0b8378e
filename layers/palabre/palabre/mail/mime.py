"""Building raw MIME messages: a plain-text part, an HTML part, headers, attachments."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    params: Mapping[str, str] | None = None


def build_message(
    *,
    sender: tuple[str, str],
    to: Sequence[str],
    subject: str,
    text: str,
    html: str,
    date: datetime,
    message_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """`sender` is (display name, address); `message_id` is stable when given."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = formataddr(sender)
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id or make_msgid(domain=sender[1].rpartition("@")[2])
    message["MIME-Version"] = "1.0"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=dict(attachment.params or {}),
        )
    return message
