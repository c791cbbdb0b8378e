"""Handlers against moto, in process: the template's resources created by the local
stack's provisioner, the handlers invoked with the environment template.yaml gives them."""

import copy
import email
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from moto import mock_aws

import palabre.aws
from palabre.core.models import member_id
from palabre.store.table import DynamoTable
from palabre_cli import demo
from palabre_cli.local import make_stack as palabre_stack
from sam_moto.clock import LocalClock
from sam_moto.stack import REGION, LocalStack
from tests.conftest import EXERCISED, load_event

START = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
PARIS_MORNING = datetime.fromisoformat("2026-12-01T09:00:00+01:00")


@contextmanager
def mocked_aws(env: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in place of AWS: test credentials, no endpoint."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        env.setenv(name, value)
    env.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with mocked_aws(monkeypatch):
        yield


def make_stack(**parameters: str) -> LocalStack:
    stack = palabre_stack(endpoint=None, clock=LocalClock(START), parameters=parameters or None)
    EXERCISED.watch(stack)
    return stack


@pytest.fixture
def stack(aws: None) -> LocalStack:
    return make_stack()


def s3_event(stack: LocalStack, name: str, **object_fields: Any) -> dict[str, Any]:
    """A sample event from events/, pointed at this stack's bucket."""
    event = copy.deepcopy(load_event(name))
    for record in event["Records"]:
        bucket = stack.uploads_bucket(record["s3"]["object"]["key"].split("/")[0])
        record["s3"]["bucket"]["name"] = bucket
        record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        record["s3"]["object"].update(object_fields)
    return event


def sent(stack: LocalStack) -> list[EmailMessage]:
    """Every email SES was given, parsed by Python's email package."""
    return [email.message_from_bytes(raw, policy=policy.default) for raw in stack.raw_mail()]


def table_items(stack: LocalStack) -> list[dict[str, Any]]:
    # A Scan is fine in a test: it reads back everything the handlers wrote.
    table = stack.provisioned.tables["PalabreTable"]
    pages = stack.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    items = [i for page in pages for i in page["Items"]]
    return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def organisation_items(stack: LocalStack) -> list[dict[str, Any]]:
    """The table but the logs: the history of uploads, which records every file, imported
    or not, and the admins' activity."""
    return [i for i in table_items(stack) if i["PK"]["S"] not in ("IMPORTS", "ACTIVITY")]


def tick(stack: LocalStack, at: datetime) -> dict[str, Any]:
    """The scheduler's invocation for the schedule's time `at` (the clock reads `at` too)."""
    if at > stack.clock():
        stack.clock.move_to(at)
    invocation = stack.runtime.invoke("SchedulePromptsFunction", {"time": at.isoformat()})
    assert invocation.error is None, invocation.error
    return invocation.result


def put_member_item(stack: LocalStack, address: str, sk: str, **fields: str) -> None:
    """One item of a member's partition (PREFS, SUPPRESSED...), as its owner writes it."""
    stack.client("dynamodb").put_item(
        TableName=stack.provisioned.tables["PalabreTable"],
        Item={"PK": {"S": f"MEMBER#{member_id(address)}"}, "SK": {"S": sk}}
        | {k: {"S": v} for k, v in fields.items()},
    )


def handlers_table(stack: LocalStack) -> DynamoTable:
    """The table as the handlers reach it (their client, their IAM check): what a test
    wraps to make it fail or wait, then hands to the handlers with wiring.override."""
    return DynamoTable(palabre.aws.client("dynamodb"), stack.provisioned.tables["PalabreTable"])


def dynamodb_item(stack: LocalStack, pk: str, sk: str) -> dict[str, Any]:
    table = stack.provisioned.tables["PalabreTable"]
    key = {"PK": {"S": pk}, "SK": {"S": sk}}
    return (
        stack.client("dynamodb")
        .get_item(TableName=table, Key=key, ConsistentRead=True)
        .get("Item", {})
    )


def demo_with_more_managers(stack: LocalStack, count: int, prefix: str = "extra") -> None:
    """Imports the demo roster with `count` more managers in Paris (circle Bâtisseurs),
    and the demo calendar: nothing sent yet."""
    extra = "".join(
        f"{prefix}{n:03d}@demo.palabre.example;Prénom{n};Nom{n};Bâtisseurs;Opérations;fr;"
        "Europe/Paris;member\n"
        for n in range(count)
    )
    stack.upload("roster", "roster.csv", demo.roster() + extra.encode())
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))


def demo_organisation(stack: LocalStack) -> LocalStack:
    """The demo organisation, its first theme sent on Tuesday at 09:00 in Paris (and
    Tokyo); London and Montreal come later that day."""
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
    tick(stack, PARIS_MORNING)
    stack.drain()
    return stack


@pytest.fixture
def org(stack: LocalStack) -> LocalStack:
    return demo_organisation(stack)
