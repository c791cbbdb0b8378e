"""SES bounce and complaint events. A permanent bounce or a complaint marks
the address suppressed at once; the sender skips it from then on."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from palabre.store.members import MemberStore
from palabre.store.table import Table


@dataclass(frozen=True)
class Suppression:
    email: str
    reason: str
    detail: str


def suppressions_in(message: str) -> list[Suppression]:
    """The addresses an SES event (as published to SNS) asks us to stop writing to."""
    event: dict[str, Any] = json.loads(message)
    kind = event.get("eventType") or event.get("notificationType")
    if kind == "Bounce":
        bounce = event.get("bounce", {})
        if bounce.get("bounceType") != "Permanent":
            return []  # transient: SES retried; the next email may well get through
        return [
            Suppression(
                r["emailAddress"].lower(),
                "bounce",
                r.get("diagnosticCode") or bounce.get("bounceSubType", ""),
            )
            for r in bounce.get("bouncedRecipients", [])
        ]
    if kind == "Complaint":
        complaint = event.get("complaint", {})
        return [
            Suppression(
                r["emailAddress"].lower(), "complaint", complaint.get("complaintFeedbackType", "")
            )
            for r in complaint.get("complainedRecipients", [])
        ]
    return []


def suppress(table: Table, suppression: Suppression, now: datetime) -> None:
    MemberStore(table).suppress(suppression.email, suppression.reason, suppression.detail, now)
