"""SES receiving, locally: a raw message delivered as SES's receipt rules would deliver it.

The rules are the template's (provision.ReceiptRule): the first enabled rule that takes
one of the message's recipients runs its actions in order — an S3Action stores the message
under its prefix and SES's message id, a LambdaAction invokes its function with the
receipt (asynchronously for InvocationType Event: retried, then its on-failure
destination). SES's verdicts are PASS unless the message carries a header that says
otherwise, which is how a test fakes a forged or flagged message:

    X-Local-Verdict-SPF: FAIL        (also DKIM, DMARC, Spam, Virus)

DMARC, unless a header gives it, follows the others as it would for a domain publishing
a policy: PASS when DKIM passed (taken to be the From domain's signature) or SPF passed
for the From's domain (the envelope's domain is it, or under it), FAIL otherwise.

The envelope sender (SMTP's MAIL FROM, the receipt's `mail.source`, which SPF checks) is
the From address, unless the message says otherwise — a bounce address of a mailing
service, or a forger's own domain under a member's From:

    X-Local-Envelope-From: bounces@mailer.example

Those headers exist only here; SES sets no such header.
"""

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any

from sam_moto import events
from sam_moto.provision import Provisioned, ReceiptRule
from sam_moto.runtime import Invocation

VERDICTS = ("SPF", "DKIM", "DMARC", "Spam", "Virus")
VERDICT_HEADER = "X-Local-Verdict-"
ENVELOPE_HEADER = "X-Local-Envelope-From"
_ID_ALPHABET = string.ascii_lowercase + string.digits


class NotReceived(Exception):
    """No receipt rule takes any recipient of the message: SES would refuse it."""


@dataclass(frozen=True)
class Received:
    message_id: str
    rule: str
    recipients: tuple[str, ...]
    invocations: tuple[Invocation, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "rule": self.rule,
            "recipients": list(self.recipients),
            "ran": [i.as_json() for i in self.invocations],
        }


def _headers(message: EmailMessage, name: str) -> list[str]:
    try:
        return [str(v) for v in message.get_all(name, [])]
    except (ValueError, TypeError, IndexError):
        return []


def receive(
    raw: bytes,
    *,
    provisioned: Provisioned,
    client: Callable[[str], Any],
    invoke: Callable[[str, Any, bool], Invocation],
    clock: Callable[[], datetime],
    region: str,
) -> Received:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    addressed = [
        a.lower()
        for _, a in getaddresses(_headers(message, "To") + _headers(message, "Cc"))
        if "@" in a
    ]
    rule, recipients = _rule(provisioned.receipt_rules, addressed)
    message_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(40))
    given = {
        name: _headers(message, VERDICT_HEADER + name)[0].strip().upper()
        for name in VERDICTS
        if _headers(message, VERDICT_HEADER + name)
    }
    verdicts = {name: given.get(name, "PASS") for name in VERDICTS}
    if "DMARC" not in given:
        verdicts["DMARC"] = _dmarc(message, verdicts)
    ran: list[Invocation] = []
    for action in rule.actions:
        if "S3Action" in action:
            stored = action["S3Action"]
            client("s3").put_object(
                Bucket=stored["BucketName"],
                Key=stored.get("ObjectKeyPrefix", "") + message_id,
                Body=raw,
            )
        elif "LambdaAction" in action:
            target = action["LambdaAction"]
            event = events.ses_received(
                message_id=message_id,
                source=_envelope_sender(message),
                recipients=recipients,
                headers=[(k, str(v)) for k, v in message.items()],
                verdicts=verdicts,
                function_arn=target["FunctionArn"],
                invocation_type=target.get("InvocationType", "Event"),
                rule_set=rule.rule_set,
                rule=rule.name,
                at=clock(),
                region=region,
            )
            asynchronous = target.get("InvocationType", "Event") == "Event"
            function = provisioned.function_by_name(target["FunctionArn"])
            ran.append(invoke(function, event, asynchronous))
    return Received(message_id, rule.name, recipients, tuple(ran))


def _dmarc(message: EmailMessage, verdicts: dict[str, str]) -> str:
    sender = parseaddr(" ".join(_headers(message, "From")))[1].rpartition("@")[2].lower()
    envelope = _envelope_sender(message).rpartition("@")[2].lower()
    spf_aligned = bool(sender) and (envelope == sender or envelope.endswith("." + sender))
    passed = verdicts["DKIM"] == "PASS" or (verdicts["SPF"] == "PASS" and spf_aligned)
    return "PASS" if passed else "FAIL"


def _envelope_sender(message: EmailMessage) -> str:
    given = _headers(message, ENVELOPE_HEADER) or _headers(message, "From")
    return parseaddr(" ".join(given))[1]


def _rule(rules: list[ReceiptRule], addressed: list[str]) -> tuple[ReceiptRule, tuple[str, ...]]:
    for rule in rules:
        taken = tuple(a for a in addressed if rule.matches(a))
        if rule.enabled and taken:
            return rule, taken
    raise NotReceived(
        f"no receipt rule takes any of {addressed or 'its recipients (To, Cc)'}: "
        f"the rules take {[r for rule in rules for r in rule.recipients] or 'nothing'}"
    )
