"""Whether SES's checks vouch for a reply's From address, not merely for some domain.

SES's receipt says whether SPF passed (for the envelope's MAIL FROM domain, the receipt's
`mail.source`), whether DKIM passed (for a signature's `d=` domain), and whether DMARC
passed (for the From's domain: DMARC is SPF or DKIM *aligned* with the From). Anyone can
pass SPF and DKIM for a domain of their own while writing `From: member@corp`: a message
is only the member's when DMARC passed, or — the From's domain publishing no DMARC policy
(GRAY) — when the SPF or DKIM that passed is for the From's domain.

Alignment is DMARC's relaxed one, without a public suffix list: the same domain, or one a
subdomain of the other (`bounces.corp.example` for `corp.example`). Two registrants never
align (`evilcorp.example` is not `corp.example`, `a.co.uk` not `b.co.uk`); two sibling
subdomains of one organisation do not either, which a DMARC policy of theirs then covers.

Only the standard library, no AWS.
"""

from collections.abc import Sequence

PASS, GRAY = "PASS", "GRAY"


def domain_of(address: str) -> str:
    """The domain of an address (or a bare domain) as DNS compares it: lower case, no
    trailing dot, international names as their ASCII (IDNA) form; "" when none."""
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    try:
        return domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return ""


def aligned(domain: str, of: str) -> bool:
    """`domain` is `of`, or a subdomain of it, or it of `domain` (relaxed alignment)."""
    a, b = domain_of(domain), domain_of(of)
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def vouched(
    *,
    sender: str,
    envelope: str,
    signers: Sequence[str],
    spf: str,
    dkim: str,
    dmarc: str,
) -> bool:
    """SES's verdicts vouch for `sender` (the From address): DMARC passed, or the From's
    domain has no DMARC policy and SPF passed for an aligned envelope, or DKIM passed and
    every signature is the From domain's (the receipt does not say which one passed: a
    forger's passing signature beside a failing one of the member's domain must not
    count)."""
    if dmarc == PASS:
        return True
    if dmarc != GRAY:  # FAIL, PROCESSING_FAILED, or no verdict at all
        return False
    if spf == PASS and aligned(envelope, sender):
        return True
    return dkim == PASS and bool(signers) and all(aligned(d, sender) for d in signers)
