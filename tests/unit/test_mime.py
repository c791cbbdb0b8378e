"""The hand-assembled MIME is what the standard library builds: parsed with the strict
policy, the same headers (decoded), the same parts, charsets, transfer encodings and
content, whatever the names, subjects and bodies hold."""

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import format_datetime, formataddr
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from palabre.mail.mime import Attachment, build_message

DATE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
INVITATION = Attachment(
    filename="invitation.ics",
    content_type="text/calendar",
    data=b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:R\xc3\xa9union\r\nEND:VCALENDAR\r\n",
    params={"method": "REQUEST"},
)
LIST_HEADERS = {
    "List-Unsubscribe": "<https://palabre.example.com/unsubscribe/"
    + "W" * 120
    + ">, <mailto:palabre@example.com?subject=unsubscribe%20m123>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def standard_library(**fields: Any) -> EmailMessage:
    """How the message used to be built: EmailMessage with the SMTP policy."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = formataddr(fields["sender"])
    message["To"] = ", ".join(fields["to"])
    message["Subject"] = fields["subject"]
    message["Date"] = format_datetime(fields["date"])
    message["Message-ID"] = fields["message_id"]
    message["MIME-Version"] = "1.0"
    for name, value in fields.get("headers", {}).items():
        message[name] = value
    message.set_content(fields["text"], subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(fields["html"], subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in fields.get("attachments", ()):
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=dict(attachment.params or {}),
        )
    return message


def strict(data: bytes) -> Message:
    parsed = message_from_bytes(data, policy=policy.strict)
    assert not parsed.defects
    return parsed


def described(message: Message) -> list[Any]:
    """Everything a reader sees of a message, part by part."""
    found = []
    for part in message.walk():
        entry: dict[str, Any] = {
            "type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "encoding": part.get("Content-Transfer-Encoding"),
            "filename": part.get_filename(),
            "params": {k: v for k, v in part.get_params() or [] if k != "boundary"},
            "defects": list(part.defects),
        }
        if not part.is_multipart():
            entry["content"] = part.get_content()  # type: ignore[attr-defined]
        found.append(entry)
    return found


def headers(message: Message) -> dict[str, str]:
    return {name: str(message[name]) for name in message if not name.startswith("Content-")}


def both(**fields: Any) -> tuple[Message, Message]:
    fields = {"date": DATE, "message_id": "<prompt.t.m1@example.com>", **fields}
    ours = build_message(**fields)
    return strict(ours.data), strict(standard_library(**fields).as_bytes())


CASES = {
    "ascii": {"sender": ("Palabre", "palabre@example.com"), "subject": "Our rituals"},
    "accents": {
        "sender": ("Équipe RH — Été", "rh@example.com"),
        "subject": "Nos rituels d'équipe — votre thème de la semaine",
    },
    "long subject": {
        "sender": ("Palabre", "palabre@example.com"),
        "subject": "Rappel : « Comment animez-vous vos points individuels ? », ouvert "
        "jusqu'au mardi 8 décembre 2026 — il manque le vôtre 🙂",
    },
    "quoted name": {
        "sender": ('Dupont, "Jean" & Cie', "jd@example.com"),
        "subject": "Subject: with a colon",
    },
}


@pytest.mark.parametrize("invited", [False, True], ids=["plain", "with-invitation"])
@pytest.mark.parametrize("case", CASES)
def test_headers_parts_charsets_and_encodings_are_the_standard_librarys(
    case: str, invited: bool
) -> None:
    ours, reference = both(
        **CASES[case],
        to=["lea@example.com"],
        text="Bonjour Léa,\n\nVoici le thème. a=b\tend  \n" + "x" * 200 + "\n-- \nPalabre",
        html="<p>Bonjour <strong>Léa</strong> — “thème” = 100 %</p>\n" * 3,
        headers=LIST_HEADERS,
        attachments=[INVITATION] if invited else [],
    )

    assert headers(ours) == headers(reference)
    assert described(ours) == described(reference)


def test_the_content_language_header_is_kept() -> None:
    # The standard library's set_content dropped it (it clears Content-* headers).
    mail = build_message(
        sender=("Palabre", "p@example.com"),
        to=["a@example.com"],
        subject="s",
        text="t",
        html="<p>h</p>",
        date=DATE,
        headers={"Content-Language": "fr"},
    )

    assert strict(mail.data)["Content-Language"] == "fr"


def test_the_same_message_is_built_the_same_byte_for_byte() -> None:
    def build() -> bytes:
        return build_message(
            sender=("Palabre", "p@example.com"),
            to=["a@example.com"],
            subject="Thème",
            text="t",
            html="<p>h</p>",
            date=DATE,
            message_id="<x@example.com>",
            attachments=[INVITATION],
        ).data

    assert build() == build()


def test_no_line_is_longer_than_the_rfc_allows() -> None:
    mail = build_message(
        sender=("É" * 60, "p@example.com"),
        to=["a@example.com"],
        subject="é" * 300,
        text="é" * 3000,
        html="<p>" + "x" * 3000 + "</p>",
        date=DATE,
        headers=LIST_HEADERS,
    )

    lines = mail.data.split(b"\r\n")
    assert max(map(len, lines)) <= 998
    assert all(len(line) <= 78 for line in lines if not line.startswith(b"List-Unsubscribe"))
    assert b"\n" not in mail.data.replace(b"\r\n", b"")


def test_a_line_break_in_a_header_is_refused() -> None:
    with pytest.raises(ValueError, match="Subject"):
        build_message(
            sender=("P", "p@example.com"),
            to=["a@example.com"],
            subject="Hi\r\nBcc: x@example.com",
            text="t",
            html="h",
            date=DATE,
        )


LONG_SUBJECTS = {
    "long ascii": "Reminder: How do you run your weekly one-to-ones with the people who report"
    " to you, open until Tuesday, 8 December 2026",
    "long french": "Rappel\u00a0: Comment menez-vous vos entretiens individuels hebdomadaires"
    " avec vos équipes\u202f?, ouvert jusqu'au mardi 8 décembre 2026",
    "emoji": "🎉 Célébrer les réussites de l'équipe 🎉 chaque semaine, sans oublier personne"
    " — votre thème de la semaine 🚀",
    "what reads as an encoded word": "=?utf-8?q?Urgent?= read me",
}


@pytest.mark.parametrize("subject", LONG_SUBJECTS.values(), ids=LONG_SUBJECTS.keys())
def test_a_long_subject_reads_back_as_written_whatever_the_reader(subject: str) -> None:
    """Given a subject too long for one line (plain, accented, with emoji), or that holds
    what looks like an encoded word
    When the built message is read by the standard library's default policy, and by its
    older compat32 decode_header (which keeps a plain-text fold's line break)
    Then both read the subject exactly as written: no second space where it was folded."""
    mail = build_message(
        sender=("Palabre démo", "p@example.com"),
        to=["a@example.com"],
        subject=subject,
        text="t",
        html="h",
        date=DATE,
    )

    assert mail.parsed()["Subject"] == subject
    raw = message_from_bytes(mail.data)["Subject"]
    assert str(make_header(decode_header(raw))) == subject


TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=["Cs", "Cc"], include_characters="\n\t"
    ),
    max_size=300,
)
NAME = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]),
    max_size=40,
).filter(lambda s: s.strip() == s and "  " not in s)


@settings(max_examples=150, deadline=None)
@given(name=NAME, subject=NAME.filter(bool), text=TEXT, html=TEXT)
@example(name=": ¡", subject="0", text="", html="")  # the standard library's address group
@example(name="0 \xa00", subject="0", text="", html="")  # a Unicode space after a space
@example(name="0 \xa0 0", subject="0", text="", html="")  # and an ASCII space after it
@example(
    name="0" * 9 + " " + "\xa0" * 9 + "\u0800" * 2 + "\U00010000" * 3, subject="0", text="", html=""
)
@example(name="0" * 7 + "\xa0" * 10 + "\u0800" + "\U00010000" * 4, subject="0", text="", html="")
@example(  # a space where the words are cut: the standard library's own reading is right
    name="0" * 7 + "\xa0" * 10 + "\U00010000" * 4 + " ¡", subject="0", text="", html=""
)
def test_any_names_subjects_and_bodies_read_as_the_standard_librarys(
    name: str, subject: str, text: str, html: str
) -> None:
    fields: dict[str, Any] = {
        "sender": (name, "palabre@example.com"),
        "to": ["a@example.com"],
        "subject": subject,
        "text": text,
        "html": html,
        "attachments": [INVITATION],
    }
    ours, reference = both(**fields)

    ours_headers, reference_headers = headers(ours), headers(reference)
    ours_from, reference_from = ours_headers.pop("From"), reference_headers.pop("From")
    assert ours_headers == reference_headers
    [sender] = ours["From"].addresses  # type: ignore[union-attr]
    assert sender.addr_spec == "palabre@example.com"
    if ours_from != reference_from:
        # Where ours differs, Python's address reader reads it back as the name but for
        # its spaces (it drops Unicode spaces after a space, and puts a space between two
        # encoded words, which RFC 2047 says to ignore; the standard library's writer
        # drops a space where it folds, and writes ": ¡" as an address group, read "¡")
        assert "".join(sender.display_name.split()) == "".join(name.split())
    if not name.isascii():
        # ... and a reader that follows RFC 2047 (as mail clients do: decode_header joins
        # adjacent encoded words) reads the name exactly, wherever its words were cut
        raw = message_from_bytes(build_message(date=DATE, **fields).data)["From"]
        assert str(make_header(decode_header(raw))) == f"{name} <palabre@example.com>"
    assert described(ours) == described(reference)
