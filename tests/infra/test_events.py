"""Every sample event under events/ feeds its handler (the same files `sam local invoke
-e` takes), against the template's resources in moto."""

from collections.abc import Callable
from pathlib import Path

import pytest

from palabre_cli import demo
from palabre_cli.local.stack import LocalStack
from palabre_cli.template import translate
from tests.conftest import EVENTS, load_event
from tests.functional.conftest import aws, make_stack  # noqa: F401 - fixture

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


GIVEN: dict[str, Callable[[LocalStack, dict], None]] = {"import_upload": _given_uploads}


def event_files() -> list[Path]:
    return sorted(EVENTS.rglob("*.json"))


def test_every_events_folder_names_a_function() -> None:
    assert event_files()
    for path in event_files():
        assert path.parent.name in FUNCTIONS, f"{path}: no function in functions/{path.parent.name}"


@pytest.mark.parametrize("path", event_files(), ids=lambda p: str(p.relative_to(EVENTS)))
def test_the_event_feeds_its_handler(aws: None, path: Path) -> None:  # noqa: F811
    stack = make_stack()
    stack.upload("roster", "demo-roster.csv", demo.roster())
    event = load_event(str(path.relative_to(EVENTS)))
    GIVEN.get(path.parent.name, lambda *_: None)(stack, event)

    invocation = stack.runtime.invoke(FUNCTIONS[path.parent.name], event)

    assert invocation.error is None, invocation.error
