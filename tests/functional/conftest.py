"""Handlers against moto, in process: the template's resources created by the local
stack's provisioner, the handlers invoked with the environment template.yaml gives them."""

import copy
import email
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

import palabre.aws
from palabre.core.models import member_id
from palabre.store.table import DynamoTable
from palabre_cli import demo
from palabre_cli.local import make_stack as palabre_stack
from sam_moto.clock import LocalClock
from sam_moto.iam import MANAGED
from sam_moto.provision import Function
from sam_moto.stack import REGION, LocalStack
from tests.conftest import load_event

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


# ------------------------------------------------------------------ least privilege
class Exercised:
    """Every permission of every role that a call of the functional suite needed: when the
    whole suite ran, a permission nobody needed is an excess (docs/local-stack.md)."""

    def __init__(self) -> None:
        self.functions: list[Function] = []

    def watch(self, stack: LocalStack) -> None:
        self.functions.extend(stack.provisioned.functions.values())

    def unused(self) -> list[str]:
        granted: dict[tuple[str, str, str], None] = {}
        used: set[tuple[str, str, str]] = set()
        for function in self.functions:
            for statement in function.policy.statements if function.policy else ():
                if statement.effect == "Allow" and statement.origin not in MANAGED:
                    for action in statement.actions:
                        granted[(function.logical_id, statement.origin, action)] = None
            used |= {(function.logical_id, s.origin, a) for s, a in function.exercised}
        return [
            f"{function}: {action} ({origin}) was never needed"
            for function, origin, action in granted
            if (function, origin, action) not in used
        ]


EXERCISED = Exercised()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Only a whole, passing run of tests/functional says what is never needed."""
    ran = {Path(str(item.fspath)).name for item in session.items}
    whole = {p.name for p in Path(__file__).parent.glob("test_*.py")}
    if (
        exitstatus != 0
        or ran != whole
        or session.config.getoption("deselect")
        or (session.config.getoption("keyword") or session.config.getoption("markexpr"))
    ):
        return
    unused = EXERCISED.unused()
    if unused:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "permissions no test needed (template.yaml: remove them)")
            for line in unused:
                reporter.write_line(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
