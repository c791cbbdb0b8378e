"""The mailbox: what SES was asked to send, parsed as a mail client would show it."""

from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from typing import Any

from sam_moto.peek import Peek


class Mailbox:
    def __init__(self, peek: Peek) -> None:
        self.peek = peek

    def messages(self) -> list[dict[str, Any]]:
        """Every email, oldest first: id, from, to, subject, date, headers, text, html,
        attachments."""
        return [_mail(m) for m in list(self.peek.sent_messages())]

    def count(self) -> int:
        return len(self.peek.sent_messages())

    def raw(self) -> list[bytes]:
        """Every message SES was given, as bytes, oldest first."""
        return [_raw(m) for m in list(self.peek.sent_messages())]

    def get(self, message_id: str) -> dict[str, Any] | None:
        return next((m for m in self.messages() if m["id"] == message_id), None)

    def clear(self) -> None:
        self.peek.sent_messages().clear()

    def reply(self, message_id: str, text: str, at: datetime) -> bytes | None:
        """What the recipient's mail client sends when they reply to that email with
        `text`: From them, To its Reply-To, in the thread (In-Reply-To, References), the
        original quoted below. None if there is no such email or it has no Reply-To."""
        sent = next((m for m in list(self.peek.sent_messages()) if m.id == message_id), None)
        if sent is None:
            return None
        original = message_from_bytes(_raw(sent), policy=policy.default)
        reply_to, recipient = original["Reply-To"], parseaddr(str(original["To"] or ""))[1]
        if reply_to is None or not recipient:
            return None
        body = original.get_body(("plain",))
        quoted = "\n".join(
            "> " + line for line in (body.get_content() if body else "").splitlines()
        )
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = recipient
        message["To"] = str(reply_to)
        message["Subject"] = "Re: " + str(original["Subject"] or "")
        message["Date"] = format_datetime(at)
        message["Message-ID"] = make_msgid(domain=recipient.rpartition("@")[2])
        if original["Message-ID"]:
            thread = str(original["Message-ID"])
            message["In-Reply-To"] = thread
            message["References"] = " ".join(
                filter(None, [str(original["References"] or ""), thread])
            )
        message.set_content(
            f"{text.strip()}\n\nOn {original['Date']}, {original['From']} wrote:\n{quoted}\n"
        )
        return message.as_bytes()


def _raw(sent: Any) -> bytes:
    return sent.raw_data if isinstance(sent.raw_data, bytes) else sent.raw_data.encode()


def _mail(sent: Any) -> dict[str, Any]:
    message = message_from_bytes(_raw(sent), policy=policy.default)
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers[name] = f"{headers[name]}\n{value}" if name in headers else str(value)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return {
        "id": sent.id,
        "from": str(message["From"]),
        "to": [address for _, address in getaddresses(message.get_all("To", []))],
        "subject": str(message["Subject"]),
        "date": str(message["Date"]),
        "headers": headers,
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
        "attachments": [
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(part.get_payload(decode=True) or b""),
            }
            for part in message.iter_attachments()
        ],
    }
