"""The mailbox: what SES was asked to send, parsed as a mail client would show it."""

from email import message_from_bytes, policy
from email.utils import getaddresses
from typing import Any

from sam_moto.peek import Peek


class Mailbox:
    def __init__(self, peek: Peek) -> None:
        self.peek = peek

    def messages(self) -> list[dict[str, Any]]:
        """Every email, oldest first: id, from, to, subject, date, headers, text, html,
        attachments."""
        return [_mail(m) for m in list(self.peek.sent_messages())]

    def raw(self) -> list[bytes]:
        """Every message SES was given, as bytes, oldest first."""
        return [_raw(m) for m in list(self.peek.sent_messages())]

    def get(self, message_id: str) -> dict[str, Any] | None:
        return next((m for m in self.messages() if m["id"] == message_id), None)

    def clear(self) -> None:
        self.peek.sent_messages().clear()


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
