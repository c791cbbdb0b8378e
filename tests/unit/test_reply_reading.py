"""Reading a reply received by email: the member's own text out of what their client sent
(quoted history, signatures and mobile footers gone), and the machines told apart — an
out-of-office notice, a bounce or a list message is never answered.

The corpus (tests/unit/corpus/replies/) holds raw messages as the clients write them;
expected.json holds, for each, the whole text expected (its lines), the sender and
whether it is automatic."""

import json
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from palabre.core.text import control_characters
from palabre.inbound.quoting import unflowed
from palabre.inbound.reading import IncomingMail, read_mail

CORPUS = Path(__file__).parent / "corpus" / "replies"
EXPECTED: dict[str, dict[str, object]] = json.loads(
    (CORPUS / "expected.json").read_text(encoding="utf-8")
)
REPLY_TO = "reponse+t1.AbCdEf0123456789@reply.palabre.example.com"


def mail(body: str | bytes, **headers: str) -> bytes:
    """A raw message: the given headers (From and a text/plain UTF-8 body by default)."""
    fields = {
        "From": "Marie Dupont <marie@acme.example>",
        "To": f"Palabre <{REPLY_TO}>",
        "Subject": "Re: Comment déléguez-vous ?",
        "Message-ID": "<r1@acme.example>",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Transfer-Encoding": "8bit",
    }
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return head.encode("utf-8") + b"\r\n" + data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def text_of(body: str, **headers: str) -> str:
    return read_mail(mail(body, **headers)).text


# -- the corpus -------------------------------------------------------------------------


def test_the_corpus_has_an_expectation_for_each_of_its_two_dozen_messages() -> None:
    """Given the corpus folder, Then every .eml has its expectation and the reverse, and
    there are at least 24 shapes of reply."""
    files = {path.name for path in CORPUS.glob("*.eml")}

    assert files == set(EXPECTED)
    assert len(files) >= 24


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_world_reply_reads_as_expected(name: str) -> None:
    """Given a reply as Gmail, Outlook, Apple Mail, iOS, Android, Thunderbird, Yahoo,
    mutt or Roundcube write it (or an automatic message), When it is read, Then its text
    is exactly what the member wrote, its sender the From address, and it is automatic
    only if a machine sent it."""
    expected = EXPECTED[name]

    incoming = read_mail((CORPUS / name).read_bytes())

    assert incoming.text == "\n".join(expected["text"])  # type: ignore[arg-type]
    assert incoming.sender == expected["sender"]
    assert incoming.automatic is expected["automatic"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_corpus_file_is_well_formed_mime(name: str) -> None:
    """Given a corpus file, When the strict policy parses it, Then it has no defect: the
    corpus is real MIME, not text that merely looks like it."""
    message = message_from_bytes((CORPUS / name).read_bytes(), policy=policy.strict)

    assert [part.defects for part in message.walk() if part.defects] == []
    assert message["From"]
    assert message["Message-ID"]


def alternatives(name: str) -> tuple[Message, Message] | None:
    message = message_from_bytes((CORPUS / name).read_bytes(), policy=policy.default)
    for part in message.walk():
        if part.get_content_type() == "multipart/alternative":
            kinds = {child.get_content_type(): child for child in part.iter_parts()}
            if {"text/plain", "text/html"} <= kinds.keys():
                return kinds["text/plain"], kinds["text/html"]
    return None


@pytest.mark.parametrize("name", [n for n in sorted(EXPECTED) if alternatives(n)])
def test_the_html_alternative_of_a_reply_reads_as_its_plain_text(name: str) -> None:
    """Given a reply sent as plain text and HTML, When its HTML alone is read, Then it
    gives the text its plain part gives (no-break spaces aside): a client that sent only
    its HTML would lose nothing."""
    found = alternatives(name)
    assert found is not None
    _, html = found

    from_html = read_mail(html.as_bytes()).text  # the part alone, as a message

    expected = "\n".join(EXPECTED[name]["text"])  # type: ignore[arg-type]
    assert from_html.replace("\u00a0", " ") == expected.replace("\u00a0", " ")


def test_the_headers_are_decoded_and_the_recipients_listed_once_each() -> None:
    """Given Outlook's French reply (RFC 2047 subject in ISO-8859-1, a Cc), When read,
    Then the subject is one decoded line and the To and Cc addresses come lower-cased."""
    incoming = read_mail((CORPUS / "outlook_fr_windows1252.eml").read_bytes())

    assert incoming == IncomingMail(
        sender="sophie.bernard@acme.example",
        recipients=(REPLY_TO.lower(), "paul.petit@acme.example"),
        subject="RE : Comment déléguez-vous ?",
        message_id="<PAXPR08MB6718C0FFEE0123456789ABCDEF01@PAXPR08MB6718.eurprd08.prod.outlook.com>",
        text=incoming.text,
        automatic=False,
        signers=(),
    )


def test_a_recipient_in_both_to_and_cc_is_listed_once() -> None:
    incoming = read_mail((CORPUS / "gmail_attachments_en.eml").read_bytes())

    assert incoming.recipients == (REPLY_TO.lower(), "mei.lin@acme.example", "leads@acme.example")


# -- quoted history ---------------------------------------------------------------------


def test_a_bottom_posted_answer_below_the_quote_is_kept() -> None:
    """Given an answer written under the quoted theme, Then the quote and its attribution
    go and the answer stays."""
    body = (
        "On Tue, Dec 1, 2026 at 9:00 AM Palabre <themes@palabre.example.com> wrote:\n"
        "> How do you delegate?\n"
        ">\n"
        "\n"
        "I delegate outcomes.\n"
    )
    assert text_of(body) == "I delegate outcomes."


def test_interleaved_answers_keep_each_of_the_members_lines_in_order() -> None:
    body = (
        "Le 1 déc. 2026 à 09:00, Palabre <themes@palabre.example.com> a écrit\u00a0:\n"
        "> Première question ?\n"
        "Réponse un.\n"
        "> Deuxième question ?\n"
        ">> plus ancien\n"
        "\n"
        "Réponse deux,\n"
        "sur deux lignes.\n"
    )
    assert text_of(body) == "Réponse un.\n\nRéponse deux,\nsur deux lignes."


@pytest.mark.parametrize(
    "attribution",
    [
        "On Tue, Dec 1, 2026 at 9:00 AM Palabre <themes@palabre.example.com>\nwrote:",
        "Le mar. 1 déc. 2026 à 09:00, Palabre <themes@palabre.example.com> a\nécrit :",
        "Le mar. 1 déc. 2026 à 09:00, Palabre\n<themes@palabre.example.com>\na écrit\u202f:",
        "Am Di., 1. Dez. 2026 um 09:00 Uhr schrieb Palabre <themes@palabre.example.com>:",
    ],
    ids=["english-wrapped", "french-wrapped", "french-three-lines", "german"],
)
def test_an_attribution_wrapped_over_lines_goes_with_its_quote(attribution: str) -> None:
    assert text_of(f"Mon texte.\n\n{attribution}\n> Le thème\n") == "Mon texte."


def test_an_attribution_followed_by_unquoted_history_ends_the_answer() -> None:
    """Given Yahoo's history (indented, not quoted with ">"), Then the attribution cuts
    everything after it."""
    body = "Ma réponse.\n\n   Le mardi 1 décembre 2026 à 09:00, Palabre a écrit :\n\n   Le thème\n"
    assert text_of(body) == "Ma réponse."


def test_a_members_own_sentence_ending_in_wrote_is_not_an_attribution() -> None:
    """Given a line like an attribution but with no date nor address, Then it is the
    member's text and is kept, with what follows it."""
    body = "On reflection, this is what I wrote:\nDelegate outcomes, not tasks.\n"
    assert text_of(body) == body.strip()


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----\nFrom: Palabre\nSent: Tuesday",
        "-----Message d'origine-----\nDe : Palabre\nEnvoyé : mardi",
        "________________________________\nFrom: Palabre <themes@palabre.example.com>\n"
        "Sent: Tuesday, December 1, 2026 9:00 AM",
        "De : Palabre <themes@palabre.example.com>\nDate : mardi 1 décembre 2026 à 09:00",
        "*From:* Palabre <themes@palabre.example.com>\n*Sent:* Tuesday",
        "---------- Forwarded message ---------\nFrom: Someone <s@acme.example>",
        "Begin forwarded message:\n\nFrom: Someone <s@acme.example>",
        "Début du message réexpédié\u00a0:\n\nDe: Someone <s@acme.example>",
    ],
    ids=[
        "outlook",
        "outlook-fr",
        "underscores",
        "outlook-mac-fr",
        "bold",
        "gmail-fwd",
        "apple-fwd",
        "apple-fwd-fr",
    ],
)
def test_outlooks_header_blocks_and_forwards_end_the_answer(separator: str) -> None:
    assert text_of(f"Mon texte.\n\n{separator}\n\nL'ancien message.\n") == "Mon texte."


def test_a_from_line_alone_is_the_members_text() -> None:
    """Given "De : …" with no other header line after it, Then it is not a header block."""
    body = "De : mon point de vue, déléguer c'est faire confiance.\n\nVoilà."
    assert text_of(body) == body


@pytest.mark.parametrize(
    "signature", ["-- \nMarie Dupont\nDRH", "--\nMarie Dupont", "--\u00a0\nMarie"]
)
def test_the_signature_delimiter_ends_the_answer(signature: str) -> None:
    assert text_of(f"Mon texte.\n{signature}\n") == "Mon texte."


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Sent from my iPad",
        "Sent from my Samsung Galaxy smartphone.",
        "Envoyé de mon iPhone",
        "Envoyé de mon iPad",
        "Envoyé depuis mon appareil Galaxy",
        "Sent from Outlook for Android",
        "Sent from Outlook for iOS",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Obtenir Outlook pour Android",
        "Envoyé depuis Yahoo Mail pour Android",
        "Sent from Yahoo Mail on Android",
        "Sent from Mail for Windows",
        "Envoyé à partir de Courrier pour Windows",
    ],
)
def test_mobile_footers_are_dropped(footer: str) -> None:
    assert text_of(f"Mon texte.\n\n{footer}\n") == "Mon texte."


def test_a_footer_is_dropped_only_as_a_whole_line() -> None:
    body = "Sent from my iPhone, this answer is short: delegate outcomes."
    assert text_of(body) == body


def test_the_members_markdown_and_line_breaks_are_kept_as_written() -> None:
    body = "\n\nMy list:\n- **one**\n- _two_\n\n1. first\n   indented\n\n\n\nEnd  \n\n"
    assert text_of(body) == "My list:\n- **one**\n- _two_\n\n1. first\n   indented\n\nEnd"


def test_a_reply_with_only_the_quote_has_no_text() -> None:
    body = "\n\nOn Tue, Dec 1, 2026 at 9:00 AM Palabre <t@palabre.example> wrote:\n> Theme\n"
    assert text_of(body) == ""


# -- format=flowed, charsets, transfer encodings -----------------------------------------


def test_flowed_text_joins_soft_broken_lines() -> None:
    """Given RFC 3676 text (a line ending in a space goes on), Then the lines are one, a
    space-stuffed line loses its stuffing, and the signature delimiter stays a line."""
    body = "One long \nsentence here.\n From a stuffed line.\n-- \nSig\n"
    raw = mail(body, Content_Type="text/plain; charset=utf-8; format=flowed")

    assert read_mail(raw).text == "One long sentence here.\nFrom a stuffed line."


def test_flowed_delsp_removes_the_space_the_client_added() -> None:
    body = "https://intranet.acme.example/guides/deleg \nation and  \nmore\n"
    raw = mail(body, Content_Type='text/plain; charset="utf-8"; format="flowed"; delsp="yes"')

    assert read_mail(raw).text == "https://intranet.acme.example/guides/delegation and more"


def test_flowed_lines_join_only_within_the_same_quote_depth() -> None:
    text = "Mine \n> quoted \n> still quoted\n>> deeper \nmine again"
    assert unflowed(text, delsp=False).split("\n") == [
        "Mine ",
        "> quoted still quoted",
        "> > deeper ",
        "mine again",
    ]


def test_fixed_text_is_not_unflowed() -> None:
    assert text_of("One long \nsentence.") == "One long\nsentence."


@pytest.mark.parametrize(
    ("charset", "encoding", "body"),
    [
        ("utf-8", "quoted-printable", b"D=C3=A9l=C3=A9guer =E2=80=94 c=E2=80=99est =\nfacile"),
        ("utf-8", "base64", b"RMOpbMOpZ3VlciDigJQgY+KAmWVzdCBmYWNpbGU="),
        ("iso-8859-1", "quoted-printable", b"D=E9l=E9guer =97 c=92est facile"),
        ("windows-1252", "8bit", b"D\xe9l\xe9guer \x97 c\x92est facile"),
        ("iso-8859-15", "8bit", b"D\xe9l\xe9guer \x2d c'est facile"),
        ("us-ascii", "8bit", "Déléguer — c’est facile".encode()),
        ("x-unknown", "8bit", "Déléguer — c’est facile".encode()),
        ("utf-8", "8bit", "Déléguer — c’est facile".encode("cp1252")),
    ],
    ids=[
        "utf8-qp",
        "utf8-base64",
        "latin1-holding-cp1252",
        "cp1252",
        "latin9",
        "ascii-holding-utf8",
        "unknown-charset",
        "utf8-holding-cp1252",
    ],
)
def test_each_charset_and_transfer_encoding_reads_as_text(
    charset: str, encoding: str, body: bytes
) -> None:
    raw = mail(
        body, Content_Type=f"text/plain; charset={charset}", Content_Transfer_Encoding=encoding
    )
    expected = "Déléguer - c'est facile" if charset == "iso-8859-15" else "Déléguer — c’est facile"

    assert read_mail(raw).text == expected


def test_raw_utf8_headers_are_read() -> None:
    """Given RFC 6532 headers (raw UTF-8, no encoded words), Then they are read as text."""
    raw = mail("Oui.", From="Zoé Mérand <Zoe@Acme.example>", Subject="Re: Déléguer ?")
    incoming = read_mail(raw)

    assert (incoming.sender, incoming.subject) == ("zoe@acme.example", "Re: Déléguer ?")


def test_control_and_invisible_characters_do_not_reach_the_answer() -> None:
    """Given a body with NUL, form feeds, escapes, a bidi override and zero-width spaces,
    Then the text holds none of them (the answer form would refuse it), tabs and breaks
    kept."""
    text = text_of("Un\x00 \x1b[31mdeux\x0c\ttrois\u202e\u200b\nquatre\r\ncinq\rsix")

    assert text == "Un [31mdeux\ttrois\nquatre\ncinq\nsix"
    assert control_characters(text, multiline=True) == []


# -- HTML -------------------------------------------------------------------------------


def html_text(html: str) -> str:
    return text_of(html, Content_Type="text/html; charset=utf-8")


def test_html_blocks_breaks_and_lists_become_lines() -> None:
    html = (
        "<div>One<br>two</div><p>Para</p><p>graph</p><ol><li>a<li>b</ol>"
        "<ul><li>x<ul><li>y</li></ul></li></ul><pre>  keep\n    this</pre><h2>Title</h2>"
    )
    assert (
        html_text(html)
        == "One\ntwo\n\nPara\n\ngraph\n\n1. a\n2. b\n- x\n  - y\n  keep\n    this\nTitle"
    )


def test_html_head_styles_scripts_and_hidden_elements_give_nothing() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>alert('x')</script><span style='display: none'>preheader</span>"
        "<!-- a comment --><p>Visible</p></body></html>"
    )
    assert html_text(html) == "Visible"


def test_html_entities_are_characters_and_markup_in_the_text_stays_text() -> None:
    """Given an HTML reply whose member typed tags and ampersands, Then the text holds
    them as typed: it is escaped when shown, never interpreted here."""
    html = "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &eacute;t&eacute; &#8217; &#x1F642;</p>"
    assert html_text(html) == "<script>alert(1)</script> & été ’ 🙂"


@pytest.mark.parametrize(
    "history",
    [
        '<div class="gmail_quote"><div class="gmail_attr">On … wrote:</div>'
        '<blockquote class="gmail_quote">Theme</blockquote></div>',
        '<blockquote type="cite">On 1 Dec 2026, Palabre wrote:<br>Theme</blockquote>',
        '<div class="yahoo_quoted" id="yahoo_quoted_42"><div>On Tue…</div><div>Theme</div></div>',
        '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> P</div>Theme',
        '<div id="divRplyFwdMsg"><b>De&nbsp;:</b> P</div><div>Theme</div>',
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        "<p class=MsoNormal><b>From:</b> P</p></div><p class=MsoNormal>Theme</p>",
        '<div style="border:none;border-top:solid #B5C4DF 1.0pt">De : P</div><p>Theme</p>',
    ],
    ids=[
        "gmail",
        "apple",
        "yahoo",
        "outlook-web",
        "outlook-web-fr",
        "outlook-windows",
        "outlook-2010",
    ],
)
def test_each_clients_html_history_is_left_out(history: str) -> None:
    assert html_text(f"<div>My answer</div>{history}") == "My answer"


def test_an_html_answer_below_a_quote_is_kept() -> None:
    html = "<blockquote type='cite'>Old<br>theme</blockquote><div>My answer</div>"
    assert html_text(html) == "My answer"


@pytest.mark.parametrize(
    "signature",
    [
        '<div class="gmail_signature" data-smartmail="gmail_signature">Marie<br>DRH</div>',
        '<div id="Signature"><p>Marie</p></div>',
        '<div class="moz-signature">-- <br>Marie</div>',
        '<div id="ms-outlook-mobile-signature">Get Outlook for iOS</div>',
    ],
)
def test_marked_html_signatures_are_left_out(signature: str) -> None:
    assert html_text(f"<div>My answer</div>{signature}") == "My answer"


def test_hostile_nesting_costs_little_and_indents_no_further() -> None:
    html = "<div>top</div>" + "<ul>" * 3000 + "<li>deep" + "</ul>" * 3000 + "<div>" * 20000 + "end"

    assert html_text(html) == "top\n            - deep\nend"


# -- automatic mail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"Auto_Submitted": "auto-notified; owner-email=x@acme.example"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"Precedence": "auto_reply"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "Out of office"},
        {"X_Autogenerated": "Reply"},
        {"X_Failed_Recipients": "old@acme.example"},
        {"List_Id": "<leads.acme.example>"},
        {"List_Unsubscribe": "<mailto:leave@acme.example>"},
        {"Return_Path": "<>"},
        {"From": "MAILER-DAEMON@mx.acme.example"},
        {"From": "Mail Delivery System <postmaster@acme.example>"},
        {"Content_Type": 'multipart/report; report-type=delivery-status; boundary="b"'},
        {"Subject": "Automatic reply: How do you delegate?"},
        {"Subject": "Auto-Reply: How do you delegate?"},
        {"Subject": "[Auto-Reply] How do you delegate?"},
        {"Subject": "Out of Office: How do you delegate?"},
        {"Subject": "Réponse automatique : Comment déléguez-vous ?"},
        {"Subject": "=?utf-8?q?R=C3=A9ponse_automatique=C2=A0=3A_Comment?="},
        {"Subject": "Absence du bureau : Comment déléguez-vous ?"},
        {"Subject": "Absente jusqu'au 4 janvier"},
        {"Subject": "Message d’absence"},
        {"Subject": "Undeliverable: How do you delegate?"},
        {"Subject": "Non remis : Comment déléguez-vous ?"},
    ],
    ids=lambda headers: "-".join(f"{k}:{v[:28]}" for k, v in headers.items()),
)
def test_a_machines_message_is_automatic(headers: dict[str, str]) -> None:
    assert read_mail(mail("Je suis absente.", **headers)).automatic is True


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Auto_Submitted": "no"},
        {"Auto_Submitted": "No"},
        # Exchange and Outlook set this on ordinary mail: it asks *our* server not to
        # auto-reply, it does not say the message is one.
        {"X_Auto_Response_Suppress": "All"},
        {"X_Auto_Response_Suppress": "DR, RN, NRN, OOF, AutoReply"},
        {"Precedence": "normal"},
        {"Return_Path": "<marie@acme.example>"},
        {"Subject": "Re: Out of office hours: how do you switch off?"},
        {"Subject": "RE: Absence d'un collaborateur : comment réorganiser ?"},
        {"Subject": "TR: Réponse automatique ou pas ?"},
    ],
    ids=lambda headers: "-".join(f"{k}:{v[:28]}" for k, v in headers.items()) or "plain",
)
def test_a_members_reply_is_not_automatic(headers: dict[str, str]) -> None:
    assert read_mail(mail("Ma réponse.", **headers)).automatic is False


# -- what cannot be read ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("", ""),
        ("not an address", ""),
        ("Marie <marie@acme.example>, Paul <paul@acme.example>", ""),
        ('"Dupont, Marie" <Marie@ACME.example>', "marie@acme.example"),
        ("=?utf-8?q?Marie_D=C3=BCpont?= <marie@acme.example>", "marie@acme.example"),
        ("marie@acme.example (Marie)", "marie@acme.example"),
    ],
)
def test_the_sender_is_the_one_from_address_or_none(sender: str, expected: str) -> None:
    raw = mail("Oui.", From=sender) if sender else mail("Oui.", From="")

    assert read_mail(raw).sender == expected


def test_two_from_headers_leave_no_sender() -> None:
    raw = b"From: a@acme.example\r\nFrom: b@acme.example\r\n\r\nHi"
    assert read_mail(raw).sender == ""


def test_a_message_without_a_text_part_has_no_text() -> None:
    raw = mail(
        "--b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b--\n",
        Content_Type='multipart/mixed; boundary="b"',
    )
    incoming = read_mail(raw)

    assert (incoming.text, incoming.sender) == ("", "marie@acme.example")


def test_a_text_attachment_is_never_taken_for_the_answer() -> None:
    """Given an HTML-only reply with a .txt attached (a plain part, but an attachment),
    Then the answer is the HTML's text, not the file's."""
    raw = mail(
        "--b\nContent-Type: text/html; charset=utf-8\n\n<p>Ma r\u00e9ponse</p>\n"
        "--b\nContent-Type: text/plain; charset=utf-8\n"
        'Content-Disposition: attachment; filename="notes.txt"\n\nMes notes\n--b--\n',
        Content_Type='multipart/mixed; boundary="b"',
    )

    assert read_mail(raw).text == "Ma réponse"


GARBLED = [
    b"",
    b"\x00\xff\xfe",
    b"From:\r\n\r\n",
    b"Content-Type: multipart/mixed\r\n\r\nno boundary at all",
    b"Content-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n"
    b"Content-Type: text/plain; charset=\x00bad\r\n\r\n\xe9t\xe9\r\n--x--",
    b"Subject: =?utf-8?b?####?=\r\nFrom: <<@@>>, a@b\r\nMessage-ID: <<>\r\n"
    b"Content-Type: text/plain; format=flowed; delsp*=''yes\r\n\r\n> > x \r\n",
    b"Content-Type: multipart/mixed; boundary=a\r\n\r\n"
    + b"--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" * 500,
    b"Subject: =?x-unknown?q?abc?=\r\nFrom: =?utf-8?q?=FF?= <x@y.z>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n!!!!",
    b"Content-Type: text/plain; charset=unicode_escape\r\n\r\n\\u0041\\n",
    b"Content-Type: text/html\r\n\r\n<div id=appendonsend><blockquote><p><li><ol></ul></p>"
    b"</div><br/><pre>a\nb</pre><![CDATA[x]]><!-- <div> -->&#xFFFFFF;&bogus;",
]


@pytest.mark.parametrize("raw", GARBLED)
def test_a_garbled_message_gives_what_could_be_read(raw: bytes) -> None:
    incoming = read_mail(raw)

    assert isinstance(incoming, IncomingMail)
    assert control_characters(incoming.text, multiline=True) == []


def test_a_declared_escape_codec_is_not_used_to_read_the_text() -> None:
    raw = b"Content-Type: text/plain; charset=unicode_escape\r\n\r\nC:\\new\\table"
    assert read_mail(raw).text == "C:\\new\\table"


CORPUS_BYTES = [(CORPUS / name).read_bytes() for name in sorted(EXPECTED)]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A corpus message with bytes overwritten, cut out or inserted (MIME's own tokens
    among them: boundaries, encoded words, quotes)."""
    data = bytearray(draw(st.sampled_from(CORPUS_BYTES)))
    tokens = st.sampled_from(
        [
            b"\r\n",
            b"=",
            b"?=",
            b"--",
            b">",
            b"<",
            b";",
            b"\x00",
            b"=?utf-8?q?",
            b"\xc3",
            b"\r\n\r\n",
        ]
    )
    for _ in range(draw(st.integers(1, 12))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["overwrite", "cut", "insert"]))
        if action == "overwrite" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 60))]
        else:
            data[at:at] = draw(tokens | st.binary(max_size=8))
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(damaged(), st.binary(max_size=600)))
@example(b'Content-Type: text/plain; charset="\x00"\r\n\r\n\xe9')
def test_no_message_makes_reading_raise(raw: bytes) -> None:
    """Given any bytes (a damaged real reply, or noise), When read, Then a result comes
    back, with a text the answer form accepts as to its characters."""
    incoming = read_mail(raw)

    assert control_characters(incoming.text, multiline=True) == []
    assert "\n" not in incoming.subject
    assert "\r" not in incoming.subject
    assert incoming.text == incoming.text.strip()
