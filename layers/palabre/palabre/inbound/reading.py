"""A reply received by email, read: who sent it, to whom, and the text the member wrote —
without the quoted theme, signatures or mobile footers — and whether a machine sent it
(an out-of-office notice, a bounce, a list), which is never answered: answering a
machine is how two auto-responders start a loop.

Only the standard library, no AWS. Nothing here raises on a malformed message: what
could be read is returned, the text possibly "" (the caller refuses an empty answer).
docs/replies.md lists what is stripped and what counts as automatic.
"""

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses

from palabre.core.text import fold, without_spoofing
from palabre.inbound.html_text import html_to_text
from palabre.inbound.quoting import own_text, unflowed


@dataclass(frozen=True)
class IncomingMail:
    sender: str
    """the From address, lower-cased; "" when absent, unreadable or not exactly one"""
    recipients: tuple[str, ...]
    """the To and Cc addresses, lower-cased, each once"""
    subject: str
    """decoded (RFC 2047), one line"""
    message_id: str
    """the Message-ID header as sent, "" if none"""
    text: str
    """what the member wrote: quoted history, signatures and mobile footers removed,
    surrounding blank lines stripped; "" if nothing is left"""
    automatic: bool
    """an auto-reply, a bounce, a list or bulk message: never answered"""
    signers: tuple[str, ...]
    """the `d=` domains of its DKIM signatures, lower-cased, each once (whether each
    verifies, SES says: palabre.inbound.alignment)"""


def read_mail(raw: bytes) -> IncomingMail:
    message = message_from_bytes(raw, policy=policy.default)
    headers = _Headers(message)
    subject = _one_line(headers.decoded("subject"))
    sender = _sender(headers.all("from"))
    return IncomingMail(
        sender=sender,
        recipients=_addresses(headers.all("to") + headers.all("cc")),
        subject=subject,
        message_id=_one_line(headers.first("message-id")),
        text=_text(message),
        automatic=_automatic(message, headers, sender, subject),
        signers=_signers(headers.all("dkim-signature")),
    )


# -- headers ----------------------------------------------------------------------------


class _Headers:
    """Header values as they came (unfolded), read without the header registry: a
    garbled header must not stop the rest of the message from being read."""

    def __init__(self, message: Message) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            unfolded = re.sub(r"\r?\n[ \t]", " ", str(value))
            self._values.setdefault(str(name).lower(), []).append(_unescaped(unfolded))

    def all(self, name: str) -> list[str]:
        return self._values.get(name, [])

    def first(self, name: str) -> str:
        return next(iter(self.all(name)), "")

    def has(self, name: str) -> bool:
        return name in self._values

    def decoded(self, name: str) -> str:
        """RFC 2047 encoded words decoded, each in its charset (or the best guess)."""
        value = self.first(name)
        try:
            pieces = decode_header(value)
        except (HeaderParseError, ValueError):
            return value
        return "".join(
            piece if isinstance(piece, str) else _decoded(piece, charset)
            for piece, charset in pieces
        )


def _unescaped(value: str) -> str:
    """A header's raw 8-bit bytes (UTF-8 under RFC 6532, or a legacy charset), which the
    parser keeps as surrogate escapes, read as text."""
    if not any("\udc80" <= c <= "\udcff" for c in value):
        return value
    return _decoded(value.encode("utf-8", "surrogateescape"), None)


def _sender(values: list[str]) -> str:
    addresses = _addresses(values)
    return addresses[0] if len(addresses) == 1 else ""


def _addresses(values: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for _, address in getaddresses(values):
        address = address.strip().lower()
        if re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+", address) and address not in found:
            found.append(address)
    return tuple(found)


def _signers(signatures: list[str]) -> tuple[str, ...]:
    """RFC 6376's tag list: `name=value` pairs separated by ";", whitespace anywhere."""
    found: list[str] = []
    for signature in signatures:
        for tag in signature.split(";"):
            name, _, value = tag.partition("=")
            domain = "".join(value.split()).lower()
            if name.strip() == "d" and domain and domain not in found:
                found.append(domain)
    return tuple(found)


def _one_line(value: str) -> str:
    return " ".join(without_spoofing(_printable(" ".join(value.split()))).split())


# -- automatic mail ---------------------------------------------------------------------

# RFC 3834's Auto-Submitted is the standard mark; the others are what responders, list
# servers and bounce messages set in practice. X-Auto-Response-Suppress is not one of
# them: Exchange and Outlook set it on ordinary mail too (it asks the *recipient's*
# server not to answer), and reading it as "automatic" would drop real replies.
_PRESENCE = ("x-autoreply", "x-autorespond", "x-autogenerated", "x-failed-recipients")
_LIST = ("list-id", "list-unsubscribe")
_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_DAEMONS = frozenset({"mailer-daemon", "mailer_daemon", "postmaster"})
# Subjects of out-of-office notices and bounces, folded (lower case, no accents,
# separators as spaces), at the start only: a reply's subject starts with "Re:", so a
# theme called "Out of office hours" does not look automatic.
_AUTOMATIC_SUBJECT = re.compile(
    r"^\[?(?:auto(?:matic)? (?:reply|response|answer)|autoreply|autoresponse|auto reponse"
    r"|automatische antwort|out of (?:the )?office|ooo\b|reponse automatique"
    r"|absente? du bureau|absence\b|absente?\b|message d'absence|en conges"
    r"|undeliverable|undelivered mail|non remis|delivery status notification"
    r"|mail delivery (?:failed|failure|system)|returned mail|echec de (?:la )?remise)"
)


def _automatic(message: Message, headers: _Headers, sender: str, subject: str) -> bool:
    submitted = headers.first("auto-submitted").split(";")[0].strip().lower()
    precedence = {value.strip().lower() for value in headers.all("precedence")}
    return bool(
        (submitted and submitted != "no")
        or precedence & _PRECEDENCE
        or any(headers.has(name) for name in _PRESENCE + _LIST)
        or any(value.strip() == "<>" for value in headers.all("return-path"))
        or message.get_content_type() == "multipart/report"
        or sender.partition("@")[0] in _DAEMONS
        or _AUTOMATIC_SUBJECT.match(fold(subject))
    )


# -- the body ---------------------------------------------------------------------------


def _text(message: Message) -> str:
    plain, html = _bodies(message)
    if plain is not None:
        text = _part_text(plain)
        if _param(plain, "format") == "flowed":
            text = unflowed(text, delsp=_param(plain, "delsp") == "yes")
    elif html is not None:
        text = html_to_text(_part_text(html))
    else:
        return ""
    return own_text(text)


def _bodies(message: Message) -> tuple[Message | None, Message | None]:
    """The first text/plain and text/html parts that are the message's own body: not an
    attachment, not inside an attached or forwarded message (message/rfc822)."""
    plain = html = None
    for part in _own_parts(message, depth=0):
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    return plain, html


def _param(part: Message, name: str) -> str:
    return str(collapse_rfc2231_value(part.get_param(name, ""))).strip().lower()


_MAX_DEPTH = 10


def _own_parts(part: Message, depth: int) -> Iterator[Message]:
    if part.get_content_disposition() == "attachment" or depth > _MAX_DEPTH:
        return
    if part.is_multipart():  # get_payload() of a single part can fail on its charset
        if part.get_content_maintype() == "multipart":
            for child in part.get_payload():
                if isinstance(child, Message):
                    yield from _own_parts(child, depth + 1)
    elif part.get_content_maintype() == "text":
        yield part


def _part_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    text = _decoded(data, part.get_content_charset())
    return without_spoofing(_printable(text.replace("\r\n", "\n").replace("\r", "\n")))


# Mail clients label Windows-1252 text as ISO-8859-1 (Outlook's curly quotes and "…"):
# the WHATWG encoding standard reads the one as the other, and so does Palabre.
_READ_AS = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "utf-8"}


# Codecs Python knows that are not a charset a mail can be in: they would turn "\\n" in a
# message into a line break, or fail on any byte.
_NOT_CHARSETS = frozenset({"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode"})


def _decoded(data: bytes, charset: str | None) -> str:
    declared = (charset or "").strip().lower()
    for candidate in (_READ_AS.get(declared, declared), "utf-8", "cp1252"):
        try:
            if codecs.lookup(candidate).name in _NOT_CHARSETS:
                continue
            return data.decode(candidate)
        except (LookupError, ValueError):  # unknown, not a text encoding, or not its bytes
            continue
    return data.decode("latin-1")  # every byte is a character: never fails


def _printable(text: str) -> str:
    """Without control characters (NUL, escapes, form feeds...) but line breaks and tabs."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", text)
