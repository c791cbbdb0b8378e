"""Least privilege, checked on the local stack: each function's role (template.yaml, as SAM
expands it) refuses what its code does not do, and grants what S3, SQS and Lambda need to
behave as the code expects. The excess check (every granted action exercised by the
functional suite) is in conftest.py."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

import palabre.aws
from sam_moto.iam import Policy
from sam_moto.provision import Unauthorised, check_lambda_permissions
from sam_moto.stack import LocalStack
from tests.functional.conftest import make_stack, mocked_aws

OTHER_SENDER = "someone@elsewhere.example"


@contextmanager
def acting_as(stack: LocalStack, function: str) -> Iterator[None]:
    """Calls made meanwhile are that function's (its role decides), as in its handler."""
    stack.runtime.current = function
    try:
        yield
    finally:
        stack.runtime.current = None


def without(policy: Policy | None, action: str) -> Policy:
    """The role with the statements that grant `action` taken out."""
    assert policy is not None
    return Policy(tuple(s for s in policy.statements if s.action_matching(action) is None))


def refused(stack: LocalStack, function: str, call: Callable[[LocalStack], Any]) -> str:
    with acting_as(stack, function), pytest.raises(ClientError) as raised:
        call(stack)
    code = raised.value.response["Error"]["Code"]
    assert code in ("AccessDeniedException", "AccessDenied"), raised.value
    return str(raised.value)


# ------------------------------------------------------------------ calls outside a role
def table(stack: LocalStack) -> str:
    return stack.provisioned.tables["PalabreTable"]


def queue(stack: LocalStack, logical_id: str) -> str:
    return stack.provisioned.queues[logical_id].url


def bucket(stack: LocalStack) -> str:
    return stack.uploads_bucket("roster")


def scan(stack: LocalStack) -> Any:
    return palabre.aws.client("dynamodb").scan(TableName=table(stack))


def delete(pk: str) -> Callable[[LocalStack], Any]:
    def call(stack: LocalStack) -> Any:
        key = {"PK": {"S": pk}, "SK": {"S": "X"}}
        return palabre.aws.client("dynamodb").delete_item(TableName=table(stack), Key=key)

    return call


def put(pk: str) -> Callable[[LocalStack], Any]:
    def call(stack: LocalStack) -> Any:
        item = {"PK": {"S": pk}, "SK": {"S": "X"}}
        return palabre.aws.client("dynamodb").put_item(TableName=table(stack), Item=item)

    return call


def update(pk: str) -> Callable[[LocalStack], Any]:
    def call(stack: LocalStack) -> Any:
        return palabre.aws.client("dynamodb").update_item(
            TableName=table(stack),
            Key={"PK": {"S": pk}, "SK": {"S": "X"}},
            UpdateExpression="SET a = :a",
            ExpressionAttributeValues={":a": {"S": "b"}},
        )

    return call


def receive(logical_id: str) -> Callable[[LocalStack], Any]:
    def call(stack: LocalStack) -> Any:
        return palabre.aws.client("sqs").receive_message(QueueUrl=queue(stack, logical_id))

    return call


def send_to(logical_id: str) -> Callable[[LocalStack], Any]:
    def call(stack: LocalStack) -> Any:
        return palabre.aws.client("sqs").send_message(
            QueueUrl=queue(stack, logical_id), MessageBody="{}"
        )

    return call


def read(key: str) -> Callable[[LocalStack], Any]:
    def call(stack: LocalStack) -> Any:
        return palabre.aws.client("s3").get_object(Bucket=bucket(stack), Key=key)

    return call


def write(key: str) -> Callable[[LocalStack], Any]:
    def call(stack: LocalStack) -> Any:
        return palabre.aws.client("s3").put_object(Bucket=bucket(stack), Key=key, Body=b"x")

    return call


def email_from(sender: str) -> Callable[[LocalStack], Any]:
    def call(stack: LocalStack) -> Any:
        return palabre.aws.client("sesv2").send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": ["anyone@demo.palabre.example"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
            ConfigurationSetName=stack.outputs["ConfigurationSetName"],
        )

    return call


def secret(stack: LocalStack) -> Any:
    return palabre.aws.client("secretsmanager").get_secret_value(
        SecretId=stack.outputs["LinkSigningSecretArn"]
    )


OUTSIDE = {
    "PersonalLinksFunction": [
        ("scan the table", scan),
        ("delete a digest marker", delete("DIGEST#2026-W49")),
        ("write a digest marker", put("DIGEST#2026-W49")),
        ("write the standings", update("BOARD#circle")),
        ("receive the send queue's messages", receive("SendQueue")),
        ("read a digest edition", read("digests/2026-W49/organisation.json")),
        ("overwrite a roster", write("roster/roster.csv")),
    ],
    "SendEmailFunction": [
        ("scan the table", scan),
        ("delete an item", delete("THEME#t")),
        ("receive another queue's messages", receive("ImportFailureQueue")),
        ("send from another identity", email_from(OTHER_SENDER)),
        ("read an upload", read("roster/roster.csv")),
    ],
    "ScoreStreamFunction": [
        ("scan the table", scan),
        ("write a digest marker", put("DIGEST#2026-W49")),
        ("receive the send queue's messages", receive("SendQueue")),
        ("read the link keys", secret),
    ],
    "SesFeedbackFunction": [
        ("update a member's item", update("MEMBER#m")),
        ("write outside the members", put("THEME#t")),
        # (it sends the admins' pause email, from the sender address only)
        ("send from another identity", email_from(OTHER_SENDER)),
    ],
    "WeeklyDigestFunction": [
        ("scan the table", scan),
        ("delete an item", delete("THEME#t")),
        ("receive the send queue's messages", receive("SendQueue")),
        ("overwrite a roster", write("roster/roster.csv")),
    ],
    "SchedulePromptsFunction": [
        ("scan the table", scan),
        ("write an item", put("THEME#t")),
        ("send to a dead-letter queue", send_to("SendDeadLetterQueue")),
        ("read the link keys", secret),
    ],
    "InboundReplyFunction": [
        ("scan the table", scan),
        ("write outside the inbound records", put("THEME#t")),
        ("delete an item", delete("THEME#t")),
        ("read an upload", read("roster/roster.csv")),
        ("overwrite a roster", write("roster/roster.csv")),
        ("receive the send queue's messages", receive("SendQueue")),
        ("send from another identity", email_from(OTHER_SENDER)),
    ],
    "ImportUploadFunction": [
        ("scan the table", scan),
        ("delete an item", delete("ORG")),
        ("write a digest edition", write("digests/2026-W49/organisation.json")),
        ("read the link keys", secret),
    ],
}


@pytest.fixture(scope="module")
def shared() -> Iterator[LocalStack]:
    """One stack for the refusals: nothing they try is written."""
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        stack = make_stack()
        # moto would accept it (the other identity is verified, the queue and keys exist)
        stack.client("sesv2").create_email_identity(EmailIdentity=OTHER_SENDER)
        yield stack


@pytest.fixture
def roles(shared: LocalStack) -> LocalStack:
    shared.runtime.watch()  # each test forgets the clients' hooks when it ends
    return shared


@pytest.mark.parametrize(
    ("function", "what", "call"),
    [(f, what, call) for f, calls in OUTSIDE.items() for what, call in calls],
    ids=[f"{f}-{what}" for f, calls in OUTSIDE.items() for what, _ in calls],
)
def test_a_call_outside_the_functions_role_is_refused(
    roles: LocalStack, function: str, what: str, call: Callable[[LocalStack], Any]
) -> None:
    message = refused(roles, function, call)

    assert "is not authorized to perform" in message


# ------------------------------------------------------------------ what Lambda needs
@pytest.mark.parametrize(
    ("function", "action"),
    [
        ("SendEmailFunction", "sqs:ReceiveMessage"),
        ("ScoreStreamFunction", "dynamodb:GetRecords"),
        ("ScoreStreamFunction", "sqs:SendMessage"),
        ("ImportUploadFunction", "sqs:SendMessage"),
        ("SesFeedbackFunction", "sqs:SendMessage"),
    ],
)
def test_a_role_without_what_lambda_needs_for_its_triggers_stops_the_stack(
    roles: LocalStack, monkeypatch: pytest.MonkeyPatch, function: str, action: str
) -> None:
    # (polling its queue or stream, parking a failure in its on-failure destination)
    role = roles.provisioned.functions[function]
    monkeypatch.setattr(role, "policy", without(role.policy, action))

    with pytest.raises(Unauthorised, match=f"{function}: .*{action}"):
        check_lambda_permissions(roles.provisioned)


# ------------------------------------------------------------------ S3: 403, not 404
def test_a_missing_key_reads_as_403_without_list_bucket_and_404_with_it(
    roles: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = read("digests/2026-W49/organisation.json")
    with acting_as(roles, "SendEmailFunction"), pytest.raises(ClientError) as found:
        missing(roles)
    assert found.value.response["Error"]["Code"] == "NoSuchKey"

    function = roles.provisioned.functions["SendEmailFunction"]
    monkeypatch.setattr(function, "policy", without(function.policy, "s3:ListBucket"))
    with acting_as(roles, "SendEmailFunction"), pytest.raises(ClientError) as forbidden:
        missing(roles)
    assert forbidden.value.response["Error"]["Code"] == "AccessDenied"
    assert forbidden.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
