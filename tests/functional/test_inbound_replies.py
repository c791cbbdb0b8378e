"""Answering by replying to a theme's email, on the local stack: the prompt's Reply-To, SES
receiving (the template's receipt rule: the message stored under inbound/, the function
invoked), the answer saved as the form saves it, and the one email the member gets back."""

import re
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape
from typing import Any

import pytest

import palabre.aws
from palabre.core.deliverability import Figures
from palabre.core.i18n import translate, translations
from palabre.core.links import Links
from palabre.core.models import member_id
from palabre.core.typography import french
from palabre.store.sending import SendingHealth
from palabre.store.table import DynamoTable
from palabre.wiring import Adapters, override
from sam_moto.receiving import Received
from sam_moto.runtime import Invocation
from sam_moto.stack import LocalStack
from tests.conftest import TEMPLATES
from tests.doubles import Intercepted, aws_error, failing
from tests.functional.conftest import (
    demo_organisation,
    dynamodb_item,
    make_stack,
    mocked_aws,
    put_member_item,
    sent,
)
from tests.functional.test_answers import get, post, signer

LEA = "lea.dubois@demo.palabre.example"
HUGO = "hugo.bernard@demo.palabre.example"
KENJI = "kenji.sato@demo.palabre.example"
DOMAIN = "inbound.palabre.localhost"
SPOOF = "\u202e\u200b\u2066"


def fr(message: str, **values: object) -> str:
    """A message as a French reader reads it: the catalog's translation, its numbers
    grouped, French spacing (core/typography.py)."""
    return french(translate(translations(TEMPLATES, "fr"), message, values))


@pytest.fixture(scope="module")
def shared() -> Iterator[LocalStack]:
    """The demo organisation, its first theme sent: each test replies as its own member."""
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        yield demo_organisation(make_stack())


@pytest.fixture
def replies(shared: LocalStack) -> LocalStack:
    # each test forgets the clock and the clients' hooks (IAM) when it ends
    shared.hooks.use_clock(shared.clock)
    shared.runtime.watch()
    return shared


# ------------------------------------------------------------------ helpers
def prompt_of(stack: LocalStack, address: str) -> EmailMessage:
    return next(m for m in sent(stack) if m["To"] == address and m["Reply-To"])


def reply(
    stack: LocalStack,
    address: str,
    text: str,
    *,
    sender: str | None = None,
    to: str | None = None,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    utf8: bool = False,
) -> Received:
    """What a mail client sends when the member replies: the text on top, the original
    quoted below, From the member, To the prompt's Reply-To."""
    original = prompt_of(stack, address)
    body = original.get_body(("plain",))
    assert body is not None
    quoted = "\n".join("> " + line for line in body.get_content().splitlines())
    message = EmailMessage(policy=policy.SMTPUTF8 if utf8 else policy.SMTP)
    message["From"] = sender or address
    message["To"] = to or str(original["Reply-To"])
    message["Subject"] = "Re: " + str(original["Subject"])
    message["Message-ID"] = make_msgid(domain="client.example")
    message["In-Reply-To"] = original["Message-ID"]
    message["References"] = original["Message-ID"]
    for name, value in headers.items() if isinstance(headers, dict) else headers or []:
        message[name] = value
    message.set_content(f"{text}\n\nLe mardi 1 déc. 2026, Palabre a écrit :\n{quoted}\n")
    return stack.receive_mail(message.as_bytes())


def signed_by(domain: str) -> tuple[str, str]:
    """A DKIM signature's header, by `domain` (SES checks it: X-Local-Verdict-DKIM)."""
    return (
        "DKIM-Signature",
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1;"
        " h=from:to:subject:date; bh=YmgK; b=c2lnbmF0dXJl",
    )


def runs(stack: LocalStack) -> list[Invocation]:
    return [i for i in stack.runtime.history if i.function == "InboundReplyFunction"]


def notices(stack: LocalStack, address: str) -> list[EmailMessage]:
    """The emails a reply got back."""
    return [m for m in sent(stack) if m["To"] == address and m["Auto-Submitted"]]


def plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def answer_of(stack: LocalStack, address: str) -> dict[str, Any]:
    return dynamodb_item(stack, "THEME#demo-1", f"ANSWER#{member_id(address)}")


def outcome(received: Received) -> str:
    [invocation] = received.invocations
    assert invocation.error is None, invocation.error
    [handled] = invocation.result["outcomes"]
    return str(handled)


def answer_path(message: EmailMessage) -> str:
    [path] = re.findall(r"https?://\S+?(/answer/\S+)", plain(message))
    return path


# ------------------------------------------------------------------ stacks of their own
# First in the module: moto's backends are shared with the module's stack once it exists.
def test_without_an_inbound_domain_there_is_no_reply_to_and_the_email_says_replies_are_not_read(
    aws: None,
) -> None:
    # Given a stack deployed without InboundDomain
    stack = demo_organisation(make_stack(InboundDomain=""))

    # Then no prompt has a Reply-To, and each says replies are not read
    prompts = [m for m in sent(stack) if "rituels" in str(m["Subject"])]
    assert prompts
    for message in prompts:
        assert message["Reply-To"] is None
        # …nor an unsubscribe address: nothing would read it (the one-click link stays)
        assert re.fullmatch(r"<https://\S+/unsubscribe/[^>]+>", str(message["List-Unsubscribe"]))
    lea = next(m for m in prompts if m["To"] == LEA)
    assert fr("Replies to this email are not read: to answer, use the Answer link above.") in (
        plain(lea)
    )
    assert escape(
        fr("Replies to this email are not read: to answer, use the Answer button above.")
    ) in html(lea)
    # …and no function receives mail
    assert "InboundReplyFunction" not in stack.provisioned.functions
    assert stack.provisioned.receipt_rules == []


def test_a_reply_after_the_deadline_is_refused_with_the_answer_link(aws: None) -> None:
    # Given the theme closed (Tuesday 8 December, end of day in Paris)
    stack = demo_organisation(make_stack())
    stack.clock.move_to(stack.clock() + timedelta(days=8))

    # When Léa replies to its email
    received = reply(stack, LEA, "En retard")

    # Then nothing is saved; she is told when it closed, with her answer's page
    assert outcome(received) == "closed"
    assert answer_of(stack, LEA) == {}
    [told] = notices(stack, LEA)
    assert fr(
        "This theme closed on %(date)s: your reply came too late to be recorded.",
        date="mardi 8 décembre 2026",
    ) in plain(told)
    status, _, _ = get(stack, answer_path(told))
    assert status == 200


# ------------------------------------------------------------------ the reply address
def test_each_prompt_says_where_to_reply_in_an_address_that_fits_smtp(
    replies: LocalStack,
) -> None:
    # Given the theme's emails sent to everyone in Paris and Tokyo
    for address in (LEA, KENJI):
        message = prompt_of(replies, address)

        # Then the Reply-To is one address of the inbound domain, reply+<token>
        reply_to = message["Reply-To"]
        [mailbox] = reply_to.addresses
        assert isinstance(mailbox, Address)
        assert mailbox.domain == DOMAIN
        assert mailbox.username.startswith("reply+")
        # …whose local part fits RFC 5321 (64 octets) and reads the same lower-cased
        assert len(mailbox.username.encode()) <= 64
        assert mailbox.username == mailbox.username.lower()
        # …and the email says so, in both parts
        note = (
            "You can also answer by replying to this email: your reply becomes your answer "
            "(the quoted email and your signature are left out)."
        )
        said = fr(note) if address == LEA else note
        assert said in plain(message)
        assert said in html(message)


# ------------------------------------------------------------------ a reply is an answer
def test_a_reply_becomes_the_answer_on_its_page_and_in_the_space(replies: LocalStack) -> None:
    # When Léa replies to the theme's email, her signature below her text
    received = reply(replies, LEA, "Chaque lundi, un tour de table.\n\n-- \nLéa Dubois")

    # Then her answer is the reply's own text, saved as the form saves it
    assert outcome(received) == "saved"
    stored = answer_of(replies, LEA)
    assert stored["text"] == {"S": "Chaque lundi, un tour de table."}
    assert stored["visibility"] == {"S": "circle"}
    assert stored["attribution"] == {"S": "named"}
    assert stored["version"] == {"N": "1"}
    # …scored by the stream as any answer: the theme's points and the 48-hour bonus
    score = dynamodb_item(replies, f"MEMBER#{member_id(LEA)}", "SCORE")
    assert score["points"] == {"N": "15"}
    # …and the message SES stored is gone once handled (personal text)
    bucket = replies.uploads_bucket("roster")
    listed = replies.client("s3").list_objects_v2(Bucket=bucket, Prefix="inbound/")
    assert listed.get("KeyCount", 0) == 0

    # And she gets one confirmation, in French, that no auto-responder answers
    [confirmation] = notices(replies, LEA)
    assert confirmation["Auto-Submitted"] == "auto-replied"
    assert confirmation["Subject"] == fr(
        "Your answer to “%(title)s” is saved", title="Nos rituels d'équipe"
    )
    assert "Chaque lundi, un tour de table." in plain(confirmation)
    # …whose link opens her answer
    status, _, page = get(replies, answer_path(confirmation))
    assert status == 200
    assert "Chaque lundi, un tour de table.</textarea>" in page
    # …as her space does
    [space] = re.findall(r"https?://\S+?(/space/\S+)", plain(prompt_of(replies, LEA)))
    status, _, home = get(replies, space)
    assert status == 200
    assert "Chaque lundi, un tour de table." in home


def test_a_reply_after_an_answer_edits_it_and_keeps_its_choices(replies: LocalStack) -> None:
    # Given Hugo answered through the form, anonymously, for the whole organisation
    original = prompt_of(replies, HUGO)
    status, _, _ = post(
        replies,
        answer_path(original),
        answer="Premier jet",
        visibility="organisation",
        attribution="anonymous",
    )
    assert status == 200

    # When he replies to the theme's email
    received = reply(replies, HUGO, "Version revue : un point d'équipe chaque lundi.")

    # Then his answer is edited: a second version, his choices kept, no more points
    assert outcome(received) == "edited"
    stored = answer_of(replies, HUGO)
    assert stored["text"] == {"S": "Version revue : un point d'équipe chaque lundi."}
    assert stored["version"] == {"N": "2"}
    assert (stored["visibility"], stored["attribution"]) == (
        {"S": "organisation"},
        {"S": "anonymous"},
    )
    [confirmation] = notices(replies, HUGO)
    assert confirmation["Subject"] == fr(
        "Your answer to “%(title)s” is updated", title="Nos rituels d'équipe"
    )


def test_a_reply_in_english_is_confirmed_in_english(replies: LocalStack) -> None:
    received = reply(replies, KENJI, "A weekly one-to-one walk.")

    assert outcome(received) == "saved"
    [confirmation] = notices(replies, KENJI)
    assert confirmation["Subject"] == "Your answer to “Nos rituels d'équipe” is saved"
    assert "A weekly one-to-one walk." in html(confirmation)


def test_ses_delivering_a_reply_again_saves_one_version_and_sends_one_email(
    replies: LocalStack,
) -> None:
    """Given a reply whose confirmation SES throttled once (Lambda then retries the event)
    When SES delivers the same message again, later
    Then one version was saved and one email sent."""
    address = "lucas.thomas@demo.palabre.example"
    before = len(runs(replies))
    sesv2 = Intercepted(
        palabre.aws.client("sesv2"),
        send_email=failing(aws_error("TooManyRequestsException", "Too many requests"), times=1),
    )
    with override(Adapters(sesv2=sesv2)):
        received = reply(replies, address, "Un café debout, chaque matin.")
    [retried] = received.invocations
    assert retried.error is None
    [failed, _] = runs(replies)[before:]
    assert failed.error is not None
    assert failed.error["errorType"] == "Throttled"

    # When SES delivers the same message again, later
    event = _event_of(replies, received)
    again = replies.invoke_async("InboundReplyFunction", event)

    # Then one version was saved, one email sent
    assert again.result == {"outcomes": ["saved"]}
    assert answer_of(replies, address)["version"] == {"N": "1"}
    assert len(notices(replies, address)) == 1


def test_a_notice_ses_refuses_is_handled_once_not_retried_nor_parked(
    replies: LocalStack,
) -> None:
    """Given SES refusing every email to Alice's address (MessageRejected)
    When she replies to the theme's email
    Then her answer is saved, the message handled once: no retry, nothing parked."""
    address = "alice.david@demo.palabre.example"
    before = len(runs(replies))
    sesv2 = Intercepted(
        palabre.aws.client("sesv2"),
        send_email=failing(aws_error("MessageRejected", "Email address is not verified.")),
    )
    with override(Adapters(sesv2=sesv2)):
        received = reply(replies, address, "Un point debout le lundi.")

    assert outcome(received) == "saved"
    assert len(runs(replies)) == before + 1
    assert answer_of(replies, address)["text"] == {"S": "Un point debout le lundi."}
    assert notices(replies, address) == []
    assert dynamodb_item(replies, f"INBOUND#{received.message_id}", "MAIL")["outcome"] == {
        "S": "saved"
    }
    assert replies.dead_letters().peek("InboundFailureQueue") == []


def test_a_throttled_ses_fails_the_invocation_until_parked_then_a_replay_sends_it(
    replies: LocalStack,
) -> None:
    """Given SES throttling every send
    When Jade replies
    Then each attempt fails (Lambda retries twice) and the receipt is parked
    And once SES accepts again, replaying it sends her one confirmation."""
    address = "jade.michel@demo.palabre.example"
    before = len(runs(replies))
    sesv2 = Intercepted(
        palabre.aws.client("sesv2"),
        send_email=failing(aws_error("TooManyRequestsException", "Maximum sending rate exceeded.")),
    )
    with override(Adapters(sesv2=sesv2)):
        reply(replies, address, "Un tour de table le lundi.")

    attempts = runs(replies)[before:]
    assert [a.error["errorType"] for a in attempts if a.error] == ["Throttled"] * 3
    [parked] = replies.dead_letters().peek("InboundFailureQueue")
    assert parked
    assert notices(replies, address) == []

    result = replies.dead_letters().replay("InboundFailureQueue")

    assert result["failed"] == [], result
    assert replies.dead_letters().peek("InboundFailureQueue") == []
    assert answer_of(replies, address)["version"] == {"N": "1"}
    assert len(notices(replies, address)) == 1


def _event_of(stack: LocalStack, received: Received) -> dict[str, Any]:
    # The runtime keeps results, not events: the receipt, rebuilt as the rule gave it
    from sam_moto import events

    function = stack.provisioned.functions["InboundReplyFunction"]
    return events.ses_received(
        message_id=received.message_id,
        source="lucas.thomas@demo.palabre.example",
        recipients=received.recipients,
        headers=[],
        verdicts={},
        function_arn=function.arn,
        invocation_type="Event",
        rule_set="palabre-local-inbound",
        rule=received.rule,
        at=stack.clock(),
        region="eu-west-1",
    )


def test_hostile_text_in_a_reply_is_cleaned_and_escaped(replies: LocalStack) -> None:
    address = "chloe.robert@demo.palabre.example"
    received = reply(replies, address, f"<script>alert(1)</script> {SPOOF}fin\u2069 & co")

    assert outcome(received) == "saved"
    stored = answer_of(replies, address)["text"]["S"]
    assert stored == "<script>alert(1)</script> fin & co"
    [confirmation] = notices(replies, address)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; fin &amp; co" in html(confirmation)
    assert "<script>" not in html(confirmation)
    assert not set(SPOOF) & set(html(confirmation) + plain(confirmation))
    _, _, page = get(replies, answer_path(confirmation))
    assert "<script>alert" not in page


# ------------------------------------------------------------------ refusals
def test_a_colleague_replying_with_anothers_address_is_told_in_their_language_without_a_link(
    replies: LocalStack,
) -> None:
    """When Sarah, a member, replies with Arthur's reply address (a forwarded email)
    Then nothing is saved, and she is told why, in English, with no link of Arthur's."""
    address = "arthur.garcia@demo.palabre.example"
    colleague = "sarah.simon@demo.palabre.example"
    received = reply(replies, address, "I answer for him", sender=colleague)

    assert outcome(received) == "wrong_sender"
    assert answer_of(replies, address) == {}
    [told] = [m for m in notices(replies, colleague) if "recorded" in str(m["Subject"])]
    assert told["Subject"] == "Your reply could not be recorded"
    assert colleague in plain(told)
    assert "/answer/" not in plain(told)
    assert "/space/" not in plain(told)
    assert notices(replies, address) == []


def test_a_stranger_at_a_domain_that_passes_spf_is_told_nothing(replies: LocalStack) -> None:
    """Given a stranger whose domain passes SPF, DKIM and DMARC
    When they reply with Arthur's reply address, then to an address of ours they made up
    Then nothing is saved, no email goes to them, no hour's notice is claimed."""
    address = "arthur.garcia@demo.palabre.example"
    stranger = "someone@client.example"
    forged = f"reply+{'b' * 55}@{DOMAIN}"
    before = len(sent(replies))

    assert outcome(reply(replies, address, "Je réponds pour lui", sender=stranger)) == (
        "wrong_sender"
    )
    assert outcome(reply(replies, address, "Bonjour", sender=stranger, to=forged)) == "unknown"

    assert answer_of(replies, address) == {}
    assert len(sent(replies)) == before
    assert dynamodb_item(replies, f"INBOUND#{member_id(stranger)}", "NOTICE") == {}


def test_a_stranger_whose_address_ses_would_refuse_costs_no_retry(replies: LocalStack) -> None:
    """When é@evil.example (an address the reader takes and SES refuses) writes to an
    address of ours
    Then the message is handled once: no email, no retry, nothing parked."""
    before, mails = len(runs(replies)), len(sent(replies))
    forged = f"reply+{'c' * 55}@{DOMAIN}"
    received = reply(replies, LEA, "Bonjour", sender="é@evil.example", to=forged, utf8=True)

    assert outcome(received) == "unknown"
    assert len(runs(replies)) == before + 1
    assert len(sent(replies)) == mails
    assert replies.dead_letters().peek("InboundFailureQueue") == []


def test_a_forged_or_expired_reply_address_is_refused_and_a_member_pointed_to_their_space(
    replies: LocalStack,
) -> None:
    address = "manon.petit@demo.palabre.example"
    forged = f"reply+{'a' * 55}@{DOMAIN}"
    expired = "reply+{}@{}".format(
        signer(replies).reply_token(member_id(address), "demo-1", replies.clock()), DOMAIN
    )
    for to in (forged, expired):
        replies.clock.move_to(replies.clock() + timedelta(hours=2))  # past the hour's notice
        received = reply(replies, address, "Ma réponse", to=to)

        assert outcome(received) == "unknown"
    assert answer_of(replies, address) == {}
    told = notices(replies, address)
    assert len(told) == 2
    assert fr(
        "The address your reply was sent to is not one we know, or it has expired: "
        "we cannot tell which theme it answers."
    ) in plain(told[0])
    assert "/space/" in plain(told[0])


def test_a_reply_with_nothing_of_its_own_or_too_long_is_refused_with_the_answer_link(
    replies: LocalStack,
) -> None:
    address = "louis.durand@demo.palabre.example"
    # When Louis sends a reply that only quotes the email
    assert outcome(reply(replies, address, "")) == "invalid"
    [empty] = notices(replies, address)
    assert fr(
        "Your reply held no text of its own once the quoted email and your signature were left out."
    ) in plain(empty)
    # …then, an hour later, one of 6,000 characters
    replies.clock.move_to(replies.clock() + timedelta(minutes=61))
    assert outcome(reply(replies, address, "x" * 6000)) == "invalid"
    long = notices(replies, address)[-1]
    assert fr(
        "Your answer is %(length)s characters long; the limit is %(limit)s.",
        length=6000,
        limit=5000,
    ) in plain(long)
    # Then nothing is saved, and each explanation links to the answer form
    assert answer_of(replies, address) == {}
    status, _, page = get(replies, answer_path(long))
    assert status == 200
    assert "<textarea" in page


def test_a_member_who_left_the_roster_is_told_their_reply_is_not_recorded(
    replies: LocalStack,
) -> None:
    # Given Zoé is no longer in the roster
    from palabre_cli import demo

    address = "zoe.roux@demo.palabre.example"
    roster = b"\n".join(line for line in demo.roster().split(b"\n") if b"zoe.roux" not in line)
    replies.upload("roster", "roster.csv", roster)

    # When she replies to the theme's email
    received = reply(replies, address, "Toujours là")

    # Then nothing is saved, and she is told why
    assert outcome(received) == "offboarded"
    assert answer_of(replies, address) == {}
    [told] = notices(replies, address)
    assert fr("You are no longer in the roster: replies are not recorded.") in plain(told)

    # And a stranger holding her reply address (a forwarded email) is told nothing
    before = len(sent(replies))
    received = reply(replies, address, "Pour elle", sender="someone@client.example")
    assert outcome(received) == "offboarded"
    assert len(sent(replies)) == before


def test_a_forged_sender_is_told_nothing(replies: LocalStack) -> None:
    address = "ines.leroy@demo.palabre.example"
    received = reply(
        replies,
        address,
        "Réponse usurpée",
        headers={"X-Local-Verdict-SPF": "FAIL", "X-Local-Verdict-DKIM": "FAIL"},
    )

    assert outcome(received) == "unauthenticated"
    assert answer_of(replies, address) == {}
    assert notices(replies, address) == []


# A forwarded email gives its Reply-To to anyone: From the member, with an envelope or a
# DKIM signature of their own domain, which passes SPF or DKIM — but not for the From's.
FORGED: dict[str, list[tuple[str, str]]] = {
    "an envelope of another domain passing SPF, no DMARC policy": [
        ("X-Local-Envelope-From", "bounce@evil.example"),
        ("X-Local-Verdict-DKIM", "GRAY"),
        ("X-Local-Verdict-DMARC", "GRAY"),
    ],
    "a look-alike domain's envelope passing SPF": [
        ("X-Local-Envelope-From", "bounce@evildemo.palabre.example"),
        ("X-Local-Verdict-DKIM", "GRAY"),
        ("X-Local-Verdict-DMARC", "GRAY"),
    ],
    "a signature of another domain passing DKIM, no DMARC policy": [
        ("X-Local-Envelope-From", "bounce@evil.example"),
        ("X-Local-Verdict-SPF", "FAIL"),
        ("X-Local-Verdict-DMARC", "GRAY"),
        signed_by("evil.example"),
    ],
    "a passing signature of another domain beside one of the From's": [
        ("X-Local-Envelope-From", "bounce@evil.example"),
        ("X-Local-Verdict-SPF", "GRAY"),
        ("X-Local-Verdict-DMARC", "GRAY"),
        signed_by("evil.example"),
        ("DKIM-Signature", "v=1; d=demo.palabre.example; s=s1; bh=YmgK; b=Zm9yZ2Vk"),
    ],
    "aligned SPF, but DMARC failed": [
        ("X-Local-Verdict-DKIM", "FAIL"),
        ("X-Local-Verdict-DMARC", "FAIL"),
    ],
    "DMARC could not be checked": [
        ("X-Local-Envelope-From", "bounce@evil.example"),
        ("X-Local-Verdict-DMARC", "PROCESSING_FAILED"),
    ],
}


@pytest.mark.parametrize("headers", FORGED.values(), ids=FORGED.keys())
def test_a_from_that_no_passing_check_vouches_for_is_refused_silently(
    replies: LocalStack, headers: list[tuple[str, str]]
) -> None:
    """Given Inès's reply address, and a message From her whose SPF or DKIM pass is for
    another domain than hers (or whose DMARC check failed)
    When it is received
    Then nothing is saved, and no one is told (its sender may be forged)."""
    address = "ines.leroy@demo.palabre.example"
    before = len(sent(replies))

    received = reply(replies, address, "Réponse usurpée", headers=headers)

    assert outcome(received) == "unauthenticated"
    assert answer_of(replies, address) == {}
    assert len(sent(replies)) == before


VOUCHED: dict[str, list[tuple[str, str]]] = {
    "DMARC passed, through a mailing service's envelope": [
        ("X-Local-Envelope-From", "bounces+123@mailer.example"),
        ("X-Local-Verdict-SPF", "PASS"),
        ("X-Local-Verdict-DKIM", "GRAY"),
        ("X-Local-Verdict-DMARC", "PASS"),
    ],
    "no DMARC policy, SPF passed for the From's own domain": [
        ("X-Local-Envelope-From", "camille.martin@demo.palabre.example"),
        ("X-Local-Verdict-DKIM", "GRAY"),
        ("X-Local-Verdict-DMARC", "GRAY"),
    ],
    "no DMARC policy, SPF passed for a subdomain of the From's": [
        ("X-Local-Envelope-From", "bounce@mail.demo.palabre.example"),
        ("X-Local-Verdict-DKIM", "GRAY"),
        ("X-Local-Verdict-DMARC", "GRAY"),
    ],
    "no DMARC policy, DKIM passed for the From's domain": [
        ("X-Local-Envelope-From", "bounces+123@mailer.example"),
        ("X-Local-Verdict-SPF", "PASS"),
        ("X-Local-Verdict-DMARC", "GRAY"),
        signed_by("Demo.Palabre.Example"),
    ],
}


@pytest.mark.parametrize("headers", VOUCHED.values(), ids=VOUCHED.keys())
def test_a_from_a_passing_check_vouches_for_is_saved(
    replies: LocalStack, headers: list[tuple[str, str]]
) -> None:
    """Given a reply From Camille whose DMARC passed, or, her domain having no DMARC
    policy, whose SPF or DKIM pass is for her domain
    When it is received
    Then it is her answer."""
    address = "camille.martin@demo.palabre.example"
    text = "Un point d'équipe : " + next(k for k, v in VOUCHED.items() if v is headers)

    received = reply(replies, address, text, headers=headers)

    assert outcome(received) in ("saved", "edited")
    assert answer_of(replies, address)["text"] == {"S": text}


# ------------------------------------------------------------------ loop guards
def test_an_automatic_message_is_never_answered(replies: LocalStack) -> None:
    address = "jules.moreau@demo.palabre.example"
    received = reply(
        replies,
        address,
        "Je suis absent jusqu'au 15 décembre.",
        headers={"Auto-Submitted": "auto-replied"},
    )

    assert outcome(received) == "automatic"
    assert answer_of(replies, address) == {}
    assert notices(replies, address) == []


def test_a_sender_is_told_once_an_hour_at_most(replies: LocalStack) -> None:
    address = "emma.laurent@demo.palabre.example"
    # When Emma's replies keep being refused (empty), twice within the hour
    assert outcome(reply(replies, address, "")) == "invalid"
    replies.clock.move_to(replies.clock() + timedelta(minutes=30))
    assert outcome(reply(replies, address, "")) == "invalid"
    # Then she was told once
    assert len(notices(replies, address)) == 1
    # …and once more an hour after the first
    replies.clock.move_to(replies.clock() + timedelta(minutes=31))
    assert outcome(reply(replies, address, "")) == "invalid"
    assert len(notices(replies, address)) == 2


def test_a_suppressed_address_gets_no_email_but_its_reply_counts(replies: LocalStack) -> None:
    address = "adam.lefebvre@demo.palabre.example"
    put_member_item(replies, address, "SUPPRESSED", reason="bounce")

    assert outcome(reply(replies, address, "Un rituel du vendredi.")) == "saved"
    assert answer_of(replies, address)["text"] == {"S": "Un rituel du vendredi."}
    assert notices(replies, address) == []


def test_while_sends_are_paused_a_reply_counts_but_no_email_goes(replies: LocalStack) -> None:
    # Given the deliverability guard paused new sends
    health = SendingHealth(
        DynamoTable(replies.client("dynamodb"), replies.provisioned.tables["SendingTable"])
    )
    assert health.pause(replies.clock(), "bounces", Figures(sends=100, bounces=5))
    address = "raphael.bertrand@demo.palabre.example"
    try:
        # When Raphaël replies
        assert outcome(reply(replies, address, "Un tour de table.")) == "saved"
    finally:
        health.resume(replies.clock(), "test")

    # Then his answer is saved, and nothing was sent meanwhile
    assert answer_of(replies, address)["text"] == {"S": "Un tour de table."}
    assert notices(replies, address) == []


def test_a_message_no_rule_takes_is_refused_by_the_stack(replies: LocalStack) -> None:
    from sam_moto.receiving import NotReceived

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = LEA
    message["To"] = "someone@elsewhere.example"
    message["Subject"] = "Hello"
    message.set_content("Hi")
    with pytest.raises(NotReceived):
        replies.receive_mail(message.as_bytes())


# ------------------------------------------------------------------ unsubscribing by email
EMMA = "emma.laurent@demo.palabre.example"
ADAM = "adam.lefebvre@demo.palabre.example"
JADE = "jade.michel@demo.palabre.example"


def subscription(stack: LocalStack, address: str) -> str:
    return str(
        dynamodb_item(stack, f"MEMBER#{member_id(address)}", "PREFS")
        .get("subscription", {})
        .get("S", "all")
    )


def unsubscribe_address(message: EmailMessage) -> str:
    """The mailto: of the email's List-Unsubscribe, as a mail client reads it."""
    [address] = re.findall(
        r"<mailto:([^?>]+)\?subject=unsubscribe>", str(message["List-Unsubscribe"])
    )
    return address


def write_to(stack: LocalStack, sender: str, to: str) -> Received:
    """What a mail client sends when its reader presses its Unsubscribe button: a short
    message to the mailto: address (RFC 2369), no DKIM signature of its own."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "unsubscribe"
    message["Message-ID"] = make_msgid(domain="client.example")
    message["Auto-Submitted"] = "auto-generated"  # as some clients mark it
    message.set_content("This message was sent automatically to unsubscribe.\n")
    return stack.receive_mail(message.as_bytes())


def test_each_email_offers_to_unsubscribe_by_email_at_the_inbound_domain(
    replies: LocalStack,
) -> None:
    # Given the theme's email to Emma
    message = prompt_of(replies, EMMA)

    # Then List-Unsubscribe offers the one-click link first, then an address of the
    # inbound domain whose local part fits RFC 5321 and reads the same lower-cased
    unsubscribe = str(message["List-Unsubscribe"])
    assert re.fullmatch(r"<https://\S+/unsubscribe/[^>]+>, <mailto:[^>]+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    local, _, domain = unsubscribe_address(message).partition("@")
    assert domain == DOMAIN
    assert local.startswith("unsubscribe+")
    assert len(local.encode()) <= 64
    assert local == local.lower()


def test_writing_to_the_unsubscribe_address_stops_everything_and_sends_nothing_back(
    replies: LocalStack,
) -> None:
    # Given Emma's mail client, which unsubscribes by email, and whose domain SES's
    # checks do not vouch for (the address itself is the authority, as the link is)
    address = unsubscribe_address(prompt_of(replies, EMMA))
    before = len(sent(replies))

    # When she presses its Unsubscribe button (the address upper-cased on the way)
    received = write_to(replies, EMMA, address.upper())

    # Then she receives nothing more, and no email answers hers
    assert outcome(received) == "unsubscribed"
    assert subscription(replies, EMMA) == "nothing"
    assert len(sent(replies)) == before


def test_a_digests_unsubscribe_address_stops_the_digests_and_never_turns_back_on_more(
    replies: LocalStack,
) -> None:
    # Given the addresses of a digest (stops the digests) and of a theme (stops all)
    links = Links("https://palabre.example", signer(replies), DOMAIN)
    now = replies.clock()
    digest = links.unsubscribe_address(member_id(ADAM), now, scope="no_digest")
    theme = unsubscribe_address(prompt_of(replies, ADAM))

    # When Adam unsubscribes from the digests by email
    assert outcome(write_to(replies, ADAM, digest)) == "unsubscribed"
    # Then only the digests stop
    assert subscription(replies, ADAM) == "no_digest"

    # When he stops everything, then an older digest's button is pressed again
    assert outcome(write_to(replies, ADAM, theme)) == "unsubscribed"
    assert outcome(write_to(replies, ADAM, digest)) == "unsubscribed"
    # Then everything stays stopped
    assert subscription(replies, ADAM) == "nothing"


def test_a_forged_or_expired_unsubscribe_address_changes_nothing(replies: LocalStack) -> None:
    # Given Jade's own address, and addresses that are not valid unsubscribe addresses
    own = unsubscribe_address(prompt_of(replies, JADE))
    local, _, domain = own.partition("@")
    token = local.removeprefix("unsubscribe+")
    flipped = token[:-1] + ("a" if token[-1] != "a" else "b")
    reply_token = str(prompt_of(replies, JADE)["Reply-To"]).split("+", 1)[1].split("@")[0]
    forged = [
        f"unsubscribe+{flipped}@{domain}",  # one character changed
        f"unsubscribe+{reply_token}@{domain}",  # a reply address's token
        "unsubscribe+@" + domain,
    ]
    for address in forged:
        # When someone writes to it
        received = write_to(replies, JADE, address)
        # Then nothing changes, nobody is told
        assert outcome(received) == "unknown"
    assert subscription(replies, JADE) == "all"

    # …nor one that has expired (400 days after the email it came with)
    links = Links("https://palabre.example", signer(replies), DOMAIN)
    expired = links.unsubscribe_address(member_id(JADE), replies.clock() - timedelta(days=401))
    assert outcome(write_to(replies, JADE, expired)) == "unknown"
    assert subscription(replies, JADE) == "all"


def test_a_reply_that_also_writes_to_the_unsubscribe_address_is_saved_and_unsubscribes(
    replies: LocalStack,
) -> None:
    # Given Jade's reply, her client copying the unsubscribe address too (after the test
    # above, which leaves her subscribed)
    cc = unsubscribe_address(prompt_of(replies, JADE))
    expected = "edited" if answer_of(replies, JADE) else "saved"  # the demo's answers

    # When it arrives
    received = reply(replies, JADE, "Un point chaque lundi.", headers=[("Cc", cc)])

    # Then the reply is her answer, and she has stopped receiving emails
    assert outcome(received) == expected
    assert answer_of(replies, JADE)["text"]["S"] == "Un point chaque lundi."
    assert subscription(replies, JADE) == "nothing"
