"""SES receiving, locally: a raw message delivered as SES's receipt rules would deliver it.

The rules are the template's (provision.ReceiptRule): the first enabled rule that takes
one of the message's recipients runs its actions in order — an S3Action stores the message
under its prefix and SES's message id, a LambdaAction invokes its function with the
receipt (asynchronously for InvocationType Event: retried, then its on-failure
destination). SES's verdicts are PASS unless the message carries a header that says
otherwise, which is how a test fakes a forged or flagged message:

    X-Local-Verdict-SPF: FAIL        (also DKIM, DMARC, Spam, Virus)

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
    verdicts = {
        name: (_headers(message, VERDICT_HEADER + name) or ["PASS"])[0].strip().upper()
        for name in VERDICTS
    }
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
                source=parseaddr(" ".join(_headers(message, "From")))[1],
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


def _rule(rules: list[ReceiptRule], addressed: list[str]) -> tuple[ReceiptRule, tuple[str, ...]]:
    for rule in rules:
        taken = tuple(a for a in addressed if rule.matches(a))
        if rule.enabled and taken:
            return rule, taken
    raise NotReceived(
        f"no receipt rule takes any of {addressed or 'its recipients (To, Cc)'}: "
        f"the rules take {[r for rule in rules for r in rule.recipients] or 'nothing'}"
    )
