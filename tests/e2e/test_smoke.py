"""`palabre smoke` against `palabre local`: the checks an operator runs after a deploy,
for real over HTTP and moto's server, on a healthy stack and on a broken one."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.e2e.conftest import Local
from tests.e2e.test_cli import palabre


def _lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line[:4] in ("ok  ", "warn", "FAIL")]


def _aws(local: Local, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=local.moto_url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(account_id_endpoint_mode="disabled"),
    )


def _outputs(local: Local) -> dict[str, str]:
    outputs: dict[str, str] = local.request("GET", "/_local/outputs").json()
    return outputs


def test_a_healthy_stack_passes_and_the_test_email_is_traceable(local: Local) -> None:
    # Given the local stack as `make run` starts it
    # When the operator runs the smoke check with a test address
    result = palabre("smoke", "--local", local.url, "--to", "ops@company.example")

    # Then every check passes; only what moto cannot tell is a warning
    assert result.returncode == 0, result.stdout + result.stderr
    lines = _lines(result.stdout)
    assert [line for line in lines if not line.startswith("ok")] == [
        "warn  ses: configuration set palabre-local-MailConfigurationSet is there "
        "(moto reports no sending switch: not checked)",
        "warn  ses: account not checked (moto has no SES account)",
    ]
    checked = {line.split(":")[0].split(maxsplit=1)[1] for line in lines}
    assert {
        "outputs",
        "routes /answer/*",
        "routes /vote/*",
        "routes /unsubscribe/*",
        "routes /space/*",
        "routes /export/*",
        "secret",
        "schedule",
        "table",
        "bucket",
        "queue",
        "ses",
        "test email",
    } <= checked
    assert "ok    schedule: palabre-local-dispatch (rate(5 minutes)) is ENABLED" in lines
    assert "ok    queue: SendDeadLetterQueue is empty" in lines
    # the summary counts every line (one per route family, table, queue... of the template)
    assert result.stdout.splitlines()[-1].endswith(f": 0 FAIL, 2 warn, {len(lines)} checks")

    # And the test email went through the stack's configuration set, its run id traceable
    [email_line] = [line for line in lines if line.startswith("ok    test email")]
    run_id = email_line.split("run ")[1].split(",")[0]
    [mail] = [m for m in local.mail() if m["headers"].get("X-Palabre-Smoke") == run_id]
    assert mail["to"] == ["ops@company.example"]
    assert mail["subject"] == f"Palabre smoke test {run_id}"
    assert mail["from"] == "palabre@example.com"


@pytest.fixture
def broken(local: Local) -> Iterator[None]:
    """The dispatch schedule disabled, the link secret overwritten, a score batch parked;
    all put back afterwards."""
    outputs = _outputs(local)
    scheduler = _aws(local, "scheduler")
    secrets = _aws(local, "secretsmanager")
    sqs = _aws(local, "sqs")
    schedule = scheduler.get_schedule(Name=outputs["DispatchScheduleName"])
    keys = secrets.get_secret_value(SecretId=outputs["LinkSigningSecretArn"])["SecretString"]

    def set_state(state: str) -> None:
        scheduler.update_schedule(
            Name=schedule["Name"],
            ScheduleExpression=schedule["ScheduleExpression"],
            ScheduleExpressionTimezone=schedule["ScheduleExpressionTimezone"],
            FlexibleTimeWindow=schedule["FlexibleTimeWindow"],
            Target=schedule["Target"],
            State=state,
        )

    set_state("DISABLED")
    secrets.put_secret_value(
        SecretId=outputs["LinkSigningSecretArn"], SecretString=json.dumps({"previous": []})
    )
    sqs.send_message(QueueUrl=outputs["ScoreFailureQueueUrl"], MessageBody="{}")
    try:
        yield
    finally:
        set_state("ENABLED")
        secrets.put_secret_value(SecretId=outputs["LinkSigningSecretArn"], SecretString=keys)
        sqs.purge_queue(QueueUrl=outputs["ScoreFailureQueueUrl"])


def test_a_broken_stack_fails_with_a_line_for_each_fault(local: Local, broken: None) -> None:
    result = palabre("smoke", "--local", local.url)

    assert result.returncode == 1, result.stdout
    lines = _lines(result.stdout)
    assert (
        "FAIL  schedule: palabre-local-dispatch (rate(5 minutes)) is DISABLED: nothing it runs "
        "goes out; `sam deploy` again sets it ENABLED"
    ) in lines
    assert (
        'FAIL  secret: no "current" key: no link can be signed; put {"current": KEY, '
        '"previous": [OLD, ...]} back (docs/operations.md#rotating-the-link-key)'
    ) in lines
    assert (
        "warn  queue: ScoreFailureQueue holds 1 parked message(s): `palabre dlq list "
        "ScoreFailureQueue`, then fix and `palabre dlq replay` "
        "(docs/operations.md#dead-letter-queues)"
    ) in lines
    # the other checks still ran and passed
    assert "ok    schedule: palabre-local-digest (cron(0 8 ? * MON *)) is ENABLED" in lines
    assert result.stdout.splitlines()[-1].endswith(f": 2 FAIL, 3 warn, {len(lines)} checks")


def test_no_local_stack_is_one_line_and_exit_1() -> None:
    result = palabre("smoke", "--local", "http://127.0.0.1:9")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("no local stack at http://127.0.0.1:9 (")
    assert result.stderr.rstrip().endswith("start it with `make run`")
