"""A raw message, as SES receiving stores it, read into what a reply says.

A plain version written to the contract the full reader keeps (issue 11): the From
address, the recipients, the subject, the Message-ID, the reply's own text (the text part,
else the HTML one without its tags; quoted lines and the quoted history dropped) and
whether the message was sent by a machine. It never raises on a malformed message.
"""

import html
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

_WROTE = re.compile(
    r"^\s*(on\b.*\bwrote\s*:|le\b.*\ba\s+écrit\s*:|-{2,}\s*original message\s*-{2,}"
    r"|-{2,}\s*message d'origine\s*-{2,})\s*$",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]*>")
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
_HIDDEN = re.compile(r"<(style|script|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_OUT_OF_OFFICE = re.compile(
    r"out of (the )?office|automatic reply|auto[- ]?reply|réponse automatique"
    r"|absente? du bureau|absence du bureau",
    re.IGNORECASE,
)
_MACHINES = ("mailer-daemon@", "postmaster@")


@dataclass(frozen=True)
class IncomingMail:
    sender: str
    """the From addr-spec, lower-cased; "" when absent or unparseable"""
    recipients: tuple[str, ...]
    """addr-specs of To and Cc, lower-cased"""
    subject: str
    """decoded (RFC 2047), one line"""
    message_id: str
    """the Message-ID header, "" if none"""
    text: str
    """the reply's new text, quoted history removed; "" if nothing is left"""
    automatic: bool
    """an auto-reply, bounce, list or bulk message: never answered"""


def read_mail(raw: bytes) -> IncomingMail:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    sender = _address(_header(message, "From"))
    subject = " ".join(_header(message, "Subject").split())
    return IncomingMail(
        sender=sender,
        recipients=tuple(
            address.lower()
            for _, address in getaddresses([_header(message, "To"), _header(message, "Cc")])
            if "@" in address
        ),
        subject=subject,
        message_id=_header(message, "Message-ID").strip(),
        text=_new_text(_body(message)),
        automatic=_automatic(message, sender, subject),
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except (ValueError, TypeError, IndexError):  # a header the policy cannot parse
        return ""


def _address(value: str) -> str:
    _, address = parseaddr(value)
    return address.lower() if "@" in address else ""


def _body(message: EmailMessage) -> str:
    try:
        plain = message.get_body(("plain",))
        if plain is not None:
            return str(plain.get_content())
        rich = message.get_body(("html",))
        if rich is not None:
            return _without_tags(str(rich.get_content()))
    except (LookupError, ValueError, TypeError, AttributeError):  # an unknown charset
        return ""
    return ""


def _without_tags(text: str) -> str:
    text = _HIDDEN.sub("", text)
    text = _BLOCK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def _new_text(body: str) -> str:
    kept: list[str] = []
    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _WROTE.match(line) or line == "-- ":  # the quoted history, a signature
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _automatic(message: EmailMessage, sender: str, subject: str) -> bool:
    submitted = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    return (
        (submitted != "" and submitted != "no")
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or any(_header(message, h) for h in ("X-Autoreply", "X-Autorespond", "List-Id"))
        or _header(message, "Return-Path").strip() == "<>"
        or sender.startswith(_MACHINES)
        or _OUT_OF_OFFICE.search(subject) is not None
    )
