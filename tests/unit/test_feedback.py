"""Bounces and complaints: which SES notifications suppress an address.

Messages follow the documented shapes of SES event publishing to SNS
(docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html, top-level
`eventType`) and of the older identity feedback notifications (`notificationType`).
"""

import json
from typing import Any

import pytest

from palabre.bounces.feedback import Suppression, suppressions_in
from tests.conftest import load_event

MAIL = {
    "timestamp": "2026-12-01T08:00:04.000Z",
    "source": "Palabre <palabre@example.com>",
    "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
    "sendingAccountId": "123456789012",
    "messageId": "0102018d-example-000000",
    "destination": ["Gabriel.Richard@Example.com", "zoe.roux@example.com"],
    "headersTruncated": False,
    "tags": {"ses:configuration-set": ["palabre-MailConfigurationSet"]},
}


def bounce(kind: str, sub_type: str, *addresses: str, field: str = "eventType") -> str:
    return json.dumps(
        {
            field: "Bounce",
            "bounce": {
                "bounceType": kind,
                "bounceSubType": sub_type,
                "bouncedRecipients": [
                    {
                        "emailAddress": address,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                    for address in addresses
                ],
                "timestamp": "2026-12-01T08:00:11.000Z",
                "feedbackId": "0102018d-fb-000000",
                "reportingMTA": "dsn; mta.example.com",
            },
            "mail": MAIL,
        }
    )


def complaint(*addresses: str, field: str = "eventType", **extra: Any) -> str:
    return json.dumps(
        {
            field: "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": a} for a in addresses],
                "timestamp": "2026-12-01T09:30:00.000Z",
                "feedbackId": "0102018d-cp-000000",
                "userAgent": "ExampleCorp Feedback Loop (V0.01)",
                **extra,
            },
            "mail": MAIL,
        }
    )


@pytest.mark.parametrize("field", ["eventType", "notificationType"], ids=["event", "notification"])
def test_a_permanent_bounce_suppresses_each_bounced_recipient_lower_cased(field: str) -> None:
    message = bounce(
        "Permanent", "General", "Gabriel.Richard@Example.com", "zoe.roux@example.com", field=field
    )

    assert suppressions_in(message) == [
        Suppression("gabriel.richard@example.com", "bounce", "smtp; 550 5.1.1 user unknown"),
        Suppression("zoe.roux@example.com", "bounce", "smtp; 550 5.1.1 user unknown"),
    ]


def test_a_permanent_bounce_without_a_diagnostic_keeps_its_sub_type() -> None:
    event = json.loads(bounce("Permanent", "OnAccountSuppressionList", "lea@example.com"))
    del event["bounce"]["bouncedRecipients"][0]["diagnosticCode"]

    assert suppressions_in(json.dumps(event)) == [
        Suppression("lea@example.com", "bounce", "OnAccountSuppressionList")
    ]


@pytest.mark.parametrize(
    ("kind", "sub_type"),
    [("Transient", "MailboxFull"), ("Transient", "General"), ("Undetermined", "Undetermined")],
    ids=["mailbox-full", "transient-general", "undetermined"],
)
@pytest.mark.parametrize("field", ["eventType", "notificationType"], ids=["event", "notification"])
def test_a_bounce_that_is_not_permanent_suppresses_nobody(
    kind: str, sub_type: str, field: str
) -> None:
    assert suppressions_in(bounce(kind, sub_type, "lea@example.com", field=field)) == []


@pytest.mark.parametrize("field", ["eventType", "notificationType"], ids=["event", "notification"])
def test_a_complaint_suppresses_each_complaining_recipient(field: str) -> None:
    message = complaint("Zoe.Roux@Example.com", field=field, complaintFeedbackType="abuse")

    assert suppressions_in(message) == [Suppression("zoe.roux@example.com", "complaint", "abuse")]


def test_a_complaint_without_a_feedback_type_still_suppresses() -> None:
    # Feedback loops often send no feedback type; SES then omits the field.
    assert suppressions_in(complaint("zoe.roux@example.com")) == [
        Suppression("zoe.roux@example.com", "complaint", "")
    ]


@pytest.mark.parametrize(
    "event",
    [
        {
            "eventType": "Delivery",
            "delivery": {
                "timestamp": "2026-12-01T08:00:06.000Z",
                "processingTimeMillis": 546,
                "recipients": ["lea@example.com"],
                "smtpResponse": "250 ok",
                "reportingMTA": "a8-70.smtp-out.amazonses.com",
            },
        },
        {"eventType": "Send", "send": {}},
        {"eventType": "Reject", "reject": {"reason": "Bad content"}},
        {
            "eventType": "DeliveryDelay",
            "deliveryDelay": {
                "delayType": "MailboxFull",
                "delayedRecipients": [{"emailAddress": "lea@example.com", "status": "4.2.2"}],
            },
        },
        {"eventType": "Open", "open": {"ipAddress": "192.0.2.1"}},
        {"notificationType": "Delivery", "delivery": {"recipients": ["lea@example.com"]}},
        {
            "notificationType": "AmazonSnsSubscriptionSucceeded",
            "message": "You have successfully subscribed your Amazon SNS topic.",
        },
    ],
    ids=[
        "delivery",
        "send",
        "reject",
        "delivery-delay",
        "open",
        "notification-delivery",
        "subscription-succeeded",
    ],
)
def test_other_events_suppress_nobody(event: dict[str, Any]) -> None:
    assert suppressions_in(json.dumps({**event, "mail": MAIL})) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [("permanent-bounce.json", "bounce"), ("complaint.json", "complaint")],
    ids=["bounce", "complaint"],
)
def test_the_sample_sns_events_each_suppress_their_recipient(name: str, reason: str) -> None:
    # The events `sam local invoke` uses: the SES event is the SNS record's Message
    (record,) = load_event(f"ses_feedback/{name}")["Records"]
    event = json.loads(record["Sns"]["Message"])
    recipients = event["mail"]["destination"]

    found = suppressions_in(record["Sns"]["Message"])

    assert [(s.email, s.reason) for s in found] == [(r.lower(), reason) for r in recipients]
