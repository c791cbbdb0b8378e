"""Every CloudWatch alarm in template.yaml watches a metric the local stack publishes as
AWS would (cli/sam_moto/cloudwatch.py): with the table gone from under the functions,
each alarm's metric moves past its threshold."""

import json
import operator
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from palabre.core.models import member_id
from palabre.core.tokens import Purpose
from palabre_cli.template import load_source
from sam_moto.stack import LocalStack
from tests.functional.conftest import START, make_stack, mocked_aws
from tests.functional.test_answers import signer

ALARMS = sorted(
    logical_id
    for logical_id, resource in load_source()["Resources"].items()
    if resource["Type"] == "AWS::CloudWatch::Alarm"
)
NAMESPACES = {"AWS/Lambda", "AWS/SQS", "AWS/ApiGateway"}
"""what the stack publishes (moto's own S3 storage metrics aside)"""
BREACHES: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


def test_a_stack_where_all_is_well_publishes_nothing(aws: None) -> None:
    # First in the module: moto's backends are shared with the module's troubled stack
    stack = make_stack()
    stack.advance_to(stack.clock() + timedelta(minutes=30))
    published = stack.client("cloudwatch").list_metrics()["Metrics"]
    assert [m for m in published if m["Namespace"] in NAMESPACES] == []


def _gone_table(stack: LocalStack) -> None:
    """Everything that can go wrong when the functions lose their table, in one stack."""
    stack.runtime.overrides["TABLE_NAME"] = "palabre-gone"
    sqs = stack.client("sqs")
    # A change to score, read from the stream 20 minutes late (a poller held up)
    stack.client("dynamodb").put_item(
        TableName=stack.provisioned.tables["PalabreTable"],
        Item={
            "PK": {"S": "MEMBER#late"},
            "SK": {"S": "PROMPT#demo-1"},
            **{k: {"S": v} for k, v in (("status", "sent"), ("theme_id", "demo-1"))},
            "member_id": {"S": member_id("late@client.example")},
        },
    )
    stack.clock.move_to(stack.clock() + timedelta(minutes=20))
    stack.drain()
    # Six members open their space; an upload, a bounce notification, the digest's run
    token = signer(stack).sign(
        Purpose.SPACE, [member_id("lea@client.example")], START + timedelta(days=30)
    )
    for _ in range(6):
        stack.api(method="GET", path=f"/space/{token}", query="", headers={}, body=b"")
    stack.client("s3").put_object(
        Bucket=stack.uploads_bucket("roster"), Key="roster/roster.csv", Body=b"email\n"
    )
    stack.client("sns").publish(
        TopicArn=stack.outputs["MailFeedbackTopicArn"],
        Message=json.dumps(
            {
                "eventType": "Bounce",
                "bounce": {
                    "bounceType": "Permanent",
                    "bouncedRecipients": [{"emailAddress": "lea@client.example"}],
                },
            }
        ),
    )
    stack.drain()
    # A reply by email (it is retried twice, then parked)
    stack.receive_mail(
        b"From: lea@client.example\r\nTo: reply+x@inbound.palabre.localhost\r\n"
        b"Subject: Re: theme\r\n\r\nMa reponse\r\n"
    )
    [digest] = [s for s in stack.provisioned.schedules if s.function == "WeeklyDigestFunction"]
    stack.fire(digest.name, stack.clock())
    # A send job that keeps failing, and one held by a consumer (the sender holds jobs so
    # when SES's daily quota is spent)
    send_queue = stack.provisioned.queues["SendQueue"].url
    job = {"job": "prompt", "theme": "demo-1", "member": member_id("lea@client.example")}
    sqs.send_message(QueueUrl=send_queue, MessageBody=json.dumps(job))
    stack.drain()
    sqs.send_message(QueueUrl=send_queue, MessageBody=json.dumps(job))
    sqs.receive_message(QueueUrl=send_queue, VisibilityTimeout=43200)
    # An admin opens their space; a chunk of a roster being applied fails (its own
    # retries take hours: one parked earlier waits in its dead-letter queue)
    admin = signer(stack).hide(member_id("camille@client.example"), Purpose.ADMIN)
    token = signer(stack).sign(Purpose.ADMIN, [admin], START + timedelta(days=14))
    stack.api(method="GET", path=f"/admin/{token}", query="", headers={}, body=b"")
    chunk = json.dumps({"version": 2, "chunk": 0, "phase": "staging"})
    sqs.send_message(QueueUrl=stack.provisioned.queues["RosterApplyQueue"].url, MessageBody=chunk)
    sqs.send_message(
        QueueUrl=stack.provisioned.queues["RosterApplyDeadLetterQueue"].url, MessageBody=chunk
    )
    stack.drain()
    # An hour goes by: ticks fail and are parked, the failing job reaches its dead letters
    stack.advance_to(stack.clock() + timedelta(minutes=65))


@pytest.fixture(scope="module")
def troubled() -> Iterator[LocalStack]:
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        stack = make_stack()
        _gone_table(stack)
        yield stack


def _alarm(stack: LocalStack, logical_id: str) -> dict[str, Any]:
    [alarm] = stack.client("cloudwatch").describe_alarms(
        AlarmNames=[stack.provisioned.alarms[logical_id]]
    )["MetricAlarms"]
    return dict(alarm)


def _values(stack: LocalStack, alarm: dict[str, Any]) -> list[float]:
    """The alarm's statistic over each of its periods since the stack started."""
    points = stack.client("cloudwatch").get_metric_statistics(
        Namespace=alarm["Namespace"],
        MetricName=alarm["MetricName"],
        Dimensions=alarm["Dimensions"],
        StartTime=START,
        EndTime=stack.clock() + timedelta(minutes=5),
        Period=alarm["Period"],
        Statistics=[alarm["Statistic"]],
    )["Datapoints"]
    return [float(p[alarm["Statistic"]]) for p in points]


@pytest.mark.parametrize("logical_id", ALARMS)
def test_each_alarms_metric_moves_past_its_threshold_when_things_go_wrong(
    troubled: LocalStack, logical_id: str
) -> None:
    alarm = _alarm(troubled, logical_id)
    assert alarm["AlarmActions"] == [troubled.outputs["AlertsTopicArn"]]
    values = _values(troubled, alarm)
    breaches = BREACHES[alarm["ComparisonOperator"]]
    assert any(breaches(v, alarm["Threshold"]) for v in values), (alarm["MetricName"], values)
