"""Whether SES's verdicts vouch for a reply's From: DMARC passed, or — the From's domain
publishing no DMARC policy — SPF or DKIM passed for the From's own domain; and the DKIM
signing domains read from the message."""

import pytest

from palabre.inbound.alignment import aligned, vouched
from palabre.inbound.reading import read_mail

MEMBER = "lea@corp.example"


@pytest.mark.parametrize(
    ("domain", "of", "expected"),
    [
        ("corp.example", "corp.example", True),
        ("CORP.example.", "corp.EXAMPLE", True),
        ("bounces.corp.example", "corp.example", True),
        ("corp.example", "mail.corp.example", True),
        ("evilcorp.example", "corp.example", False),
        ("corp.example.evil.example", "corp.example", False),
        ("a.co.uk", "b.co.uk", False),
        ("", "corp.example", False),
        ("société.example", "xn--socit-esab.example", True),
    ],
)
def test_two_domains_align_when_one_is_the_other_or_under_it(
    domain: str, of: str, expected: bool
) -> None:
    assert aligned(domain, of) is expected


def verdicts(**given: str) -> dict[str, str]:
    return {"spf": "PASS", "dkim": "PASS", "dmarc": "GRAY"} | given


@pytest.mark.parametrize(
    ("envelope", "signers", "given", "expected"),
    [
        # DMARC passed: aligned by definition, whatever the envelope
        ("bounce@mailer.example", (), verdicts(dmarc="PASS", dkim="GRAY"), True),
        # no DMARC policy: SPF for the From's domain, or a subdomain of it
        (MEMBER, (), verdicts(dkim="GRAY"), True),
        ("b@mail.corp.example", (), verdicts(dkim="GRAY"), True),
        ("b@evil.example", (), verdicts(dkim="GRAY"), False),
        ("", (), verdicts(dkim="GRAY"), False),
        # no DMARC policy: DKIM, every signature the From domain's
        ("b@mailer.example", ("corp.example",), verdicts(spf="FAIL"), True),
        ("b@mailer.example", ("evil.example",), verdicts(spf="FAIL"), False),
        ("b@mailer.example", ("evil.example", "corp.example"), verdicts(spf="FAIL"), False),
        ("b@mailer.example", (), verdicts(spf="FAIL"), False),
        ("b@mailer.example", ("corp.example",), verdicts(spf="FAIL", dkim="FAIL"), False),
        # DMARC failed, could not be checked, or said nothing: aligned checks do not count
        (MEMBER, ("corp.example",), verdicts(dmarc="FAIL"), False),
        (MEMBER, ("corp.example",), verdicts(dmarc="PROCESSING_FAILED"), False),
        (MEMBER, ("corp.example",), verdicts(dmarc=""), False),
    ],
)
def test_the_verdicts_vouch_for_the_from_only_through_its_own_domain(
    envelope: str, signers: tuple[str, ...], given: dict[str, str], expected: bool
) -> None:
    assert vouched(sender=MEMBER, envelope=envelope, signers=signers, **given) is expected


def test_the_dkim_signing_domains_are_read_from_every_signature() -> None:
    """Given two DKIM-Signature headers, one folded, with spaces around its tags
    Then each d= domain is read, lower-cased, once; an i= or a body's d= is no signer."""
    raw = (
        b"DKIM-Signature: v=1; a=rsa-sha256; d=Corp.Example; s=s1; bh=YmgK; b=c2ln\r\n"
        b"DKIM-Signature: v=1; a=rsa-sha256; i=@evil.example;\r\n"
        b"  d = mailer.example ; s=s2; b=c2ln\r\n"
        b"From: lea@corp.example\r\n"
        b"Subject: Re: theme\r\n"
        b"\r\n"
        b"d=body.example\r\n"
    )

    assert read_mail(raw).signers == ("corp.example", "mailer.example")
