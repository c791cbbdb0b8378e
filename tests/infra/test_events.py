"""Every sample event under events/ feeds its handler (the same files `sam local invoke
-e` takes), against the template's resources in moto."""

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from palabre.core.models import member_id
from palabre.core.tokens import Purpose, Signer, keys_from_secret
from palabre_cli import demo
from palabre_cli.template import translate
from sam_moto.stack import LocalStack
from tests.conftest import EVENTS, load_event
from tests.functional.conftest import (  # noqa: F401 - fixture
    aws,
    dynamodb_item,
    make_stack,
    sent,
)

FUNCTIONS = {
    path.name: logical_id
    for logical_id, path in translate().code_paths.items()
    if path.parent.name == "functions"
}


def _given_uploads(stack: LocalStack, event: dict) -> None:
    """An S3 notification is about an object that exists: put the demo file there."""
    for record in event["Records"]:
        key = record["s3"]["object"]["key"].replace("+", " ")
        from urllib.parse import unquote

        key = unquote(key)
        kind = key.split("/")[0]
        bucket = stack.uploads_bucket(kind)
        record["s3"]["bucket"]["name"] = bucket
        data = demo.roster() if kind == "roster" else demo.calendar(stack.clock().date())
        stack.client("s3").put_object(Bucket=bucket, Key=key, Body=data)


def _given_calendar(stack: LocalStack, event: dict) -> None:
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))


def _given_a_sent_prompt(stack: LocalStack, event: dict) -> None:
    """A personal link is about a prompt that was sent (and, for a vote, answered): send
    it, answer it, then sign a real token for the link's purpose."""
    _given_calendar(stack, event)
    lea = member_id("lea.dubois@demo.palabre.example")
    hugo = member_id("hugo.bernard@demo.palabre.example")
    stack.client("sqs").send_message(
        QueueUrl=stack.provisioned.queues["SendQueue"].url,
        MessageBody=json.dumps({"job": "prompt", "theme": "demo-1", "member": lea}),
    )
    stack.drain()
    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    signer = Signer(keys_from_secret(json.loads(secret["SecretString"])))
    later = stack.clock() + timedelta(days=9)
    answer = signer.sign(Purpose.ANSWER, ["demo-1", lea], later)
    purpose = event["rawPath"].split("/")[1]
    if purpose == "vote":
        status, _, _ = stack.api(
            method="POST",
            path=f"/answer/{answer}",
            query="",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=b"answer=Un+tour+de+table&visibility=organisation",
        )
        assert status == 303
    token = {
        "answer": answer,
        "vote": signer.sign(Purpose.VOTE, ["demo-1", lea, hugo], later),
        "unsubscribe": signer.sign(Purpose.UNSUBSCRIBE, [lea, "nothing"], later),
        "export": signer.sign(
            Purpose.EXPORT, ["2026-W49", "answers", member_id(demo.ADMIN)], later
        ),
    }[purpose]
    old = event["pathParameters"]["token"]
    event["rawPath"] = event["rawPath"].replace(old, token)
    event["requestContext"]["http"]["path"] = event["rawPath"]
    event["pathParameters"]["token"] = token


def _given_a_received_reply(stack: LocalStack, event: dict) -> None:
    """A reply is about a prompt that was sent, and is where the receipt rule stored it:
    send Léa's prompt, store her reply, and address it to her prompt's Reply-To."""
    _given_calendar(stack, event)
    lea = member_id("lea.dubois@demo.palabre.example")
    stack.client("sqs").send_message(
        QueueUrl=stack.provisioned.queues["SendQueue"].url,
        MessageBody=json.dumps({"job": "prompt", "theme": "demo-1", "member": lea}),
    )
    stack.drain()
    [prompt] = sent(stack)[-1:]
    reply_to = str(prompt["Reply-To"])
    [record] = event["Records"]
    record["ses"]["receipt"]["recipients"] = [reply_to]
    message = "\r\n".join(
        [
            "From: Léa Dubois <lea.dubois@demo.palabre.example>",
            f"To: {reply_to}",
            "Subject: Re: Nos rituels d'équipe",
            "Message-ID: <CAF1@mail.demo.palabre.example>",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Un tour de table chaque lundi.",
        ]
    )
    stack.client("s3").put_object(
        Bucket=stack.uploads_bucket("roster"),
        Key="inbound/" + record["ses"]["mail"]["messageId"],
        Body=message.encode(),
    )


def _given_an_admin_link(stack: LocalStack, event: dict) -> None:
    """The animators' space opens for the demo's admin: sign their link."""
    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    signer = Signer(keys_from_secret(json.loads(secret["SecretString"])))
    admin = signer.hide(member_id(demo.ADMIN), Purpose.ADMIN)
    token = signer.sign(Purpose.ADMIN, [admin], stack.clock() + timedelta(days=14))
    old = event["pathParameters"]["token"]
    event["rawPath"] = event["rawPath"].replace(old, token)
    event["requestContext"]["http"]["path"] = event["rawPath"]
    event["pathParameters"]["token"] = token


GIVEN: dict[str, Callable[[LocalStack, dict], None]] = {
    "import_upload": _given_uploads,
    "schedule_prompts": _given_calendar,
    "send_email": _given_calendar,
    "personal_links": _given_a_sent_prompt,
    "weekly_digest": _given_calendar,
    "inbound_reply": _given_a_received_reply,
    "admin_space": _given_an_admin_link,
}


def event_files() -> list[Path]:
    return sorted(EVENTS.rglob("*.json"))


def test_every_events_folder_names_a_function_and_every_function_has_events() -> None:
    assert event_files()
    for path in event_files():
        assert path.parent.name in FUNCTIONS, f"{path}: no function in functions/{path.parent.name}"
    assert {p.parent.name for p in event_files()} == set(FUNCTIONS)


@pytest.mark.parametrize("path", event_files(), ids=lambda p: str(p.relative_to(EVENTS)))
def test_the_event_feeds_its_handler(aws: None, path: Path) -> None:  # noqa: F811
    stack = make_stack()
    stack.upload("roster", "demo-roster.csv", demo.roster())
    event = load_event(str(path.relative_to(EVENTS)))
    GIVEN.get(path.parent.name, lambda *_: None)(stack, event)

    invocation = stack.runtime.invoke(FUNCTIONS[path.parent.name], event)

    assert invocation.error is None, invocation.error
    if path.name == "download-export.json":  # to a fresh presigned URL of the file
        assert invocation.result["statusCode"] == 302
        assert "/exports/2026-W49/answers.csv?" in invocation.result["headers"]["Location"]
    elif path.name == "submit-answer.json":  # saved: to the thank-you page
        assert invocation.result["statusCode"] == 303, invocation.result["body"]
        assert invocation.result["headers"]["Location"].endswith("?saved=created")
    elif path.parent.name in ("personal_links", "admin_space"):
        assert invocation.result["statusCode"] == 200, invocation.result["body"]
    if path.parent.name == "inbound_reply":  # the reply is Léa's answer
        assert invocation.result == {"outcomes": ["saved"]}
    if path.name == "submit-answer.json":  # a base64 body, as API Gateway may send it
        stored = dynamodb_item(
            stack, "THEME#demo-1", f"ANSWER#{member_id('lea.dubois@demo.palabre.example')}"
        )
        assert stored["text"] == {
            "S": "Chaque lundi, un tour de table de 10 minutes : une réussite, un blocage."
        }
