"""The `palabre` command as an admin types it."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from palabre_cli import demo
from tests.conftest import ROOT
from tests.e2e.conftest import THIS_TREE, Local

PALABRE = str(Path(sys.executable).with_name("palabre"))
BAD = (
    b"email;first_name;circle;team;timezone\n"
    b"ana@client.example;Ana;Nord;Ventes;Europe/Paris\n"
    b"ANA@client.example;Ana;Nord;Ventes;Mars/Olympus\n"
)


def palabre(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PALABRE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **THIS_TREE, **(env or {})},
        check=False,
    )


def test_validate_prints_the_report_and_exits_0_when_the_file_is_good(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(demo.roster())
    result = palabre("validate", str(roster), "--kind", "roster", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ok": True,
        "kind": "roster",
        "rows": 20,
        "status": "previewed",
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "errors": [],
        "skipped": [],
        "warnings": [],
        "changes": {"created": [], "updated": [], "removed": []},
        "guard": [],
    }


def test_validate_exits_1_and_names_rows_and_columns(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(BAD)
    result = palabre("validate", str(roster), "--kind", "roster", "--locale", "en")
    assert result.returncode == 1
    assert "Nothing was changed: the file has 2 errors." in result.stdout
    assert "Row 3, column email" in result.stdout
    assert "Row 3, column timezone" in result.stdout


def test_validate_checks_a_calendar_audience_against_a_roster(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(demo.roster())
    calendar = tmp_path / "calendar.csv"
    calendar.write_text(
        "send_on,title,prompt,audience\n2099-01-05,Rituals,How?,Bâtisseurs;Finance\n"
    )
    result = palabre(
        "validate", str(calendar), "--kind", "calendar", "--roster", str(roster), "--json"
    )
    assert result.returncode == 1
    [error] = json.loads(result.stdout)["errors"]
    assert (error["row"], error["column"]) == (2, "audience")
    assert "Finance" in error["message"]


def test_upload_to_the_local_stack_prints_its_report(local: Local, tmp_path: Path) -> None:
    roster = tmp_path / "demo-roster.csv"
    roster.write_bytes(demo.roster())
    result = palabre("upload", str(roster), "--kind", "roster", "--local", local.url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["unchanged"] == 20


def test_upload_to_a_bucket_waits_for_the_import_report(local: Local, tmp_path: Path) -> None:
    # The deployed path (boto3 to S3, then wait for the report beside the file), here
    # against the local stack's moto endpoint, which runs the import as AWS would.
    bucket = json.loads(local.request("GET", "/_local/outputs").body)["UploadsBucketName"]
    roster = tmp_path / "bad-roster.csv"
    roster.write_bytes(BAD)
    result = palabre(
        "upload",
        str(roster),
        "--kind",
        "roster",
        "--bucket",
        bucket,
        "--uploader",
        demo.ADMIN,
        env={
            "AWS_ENDPOINT_URL": local.moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
        },
    )
    assert result.returncode == 1, result.stderr
    assert f"uploaded s3://{bucket}/roster/bad-roster.csv" in result.stderr
    report = json.loads(result.stdout)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "email"), (3, "timezone")]


def test_dead_letters_are_listed_and_replayed_from_the_command_line(local: Local) -> None:
    import boto3

    sqs = boto3.client(
        "sqs",
        endpoint_url=local.moto_url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    outputs = json.loads(local.request("GET", "/_local/outputs").body)
    job = {"job": "prompt", "theme": "demo-1", "member": "mnobody"}
    sqs.send_message(QueueUrl=outputs["SendDeadLetterQueueUrl"], MessageBody=json.dumps(job))

    listed = palabre("dlq", "list", "--local", local.url)
    assert listed.returncode == 0, listed.stderr
    parked = json.loads(listed.stdout)
    assert set(parked) == {
        "FeedbackFailureQueue",
        "ImportFailureQueue",
        "InboundFailureQueue",
        "RosterApplyDeadLetterQueue",
        "ScheduleFailureQueue",
        "ScoreFailureQueue",
        "SendDeadLetterQueue",
    }
    assert [p["body"] for p in parked["SendDeadLetterQueue"]] == [job]

    replayed = palabre("dlq", "replay", "SendDeadLetterQueue", "--local", local.url)
    assert replayed.returncode == 0, replayed.stderr
    result = json.loads(replayed.stdout)["SendDeadLetterQueue"]
    assert (result["source"], len(result["replayed"])) == ("SendQueue", 1)
    # Back in its queue, the job ran: a member no longer in the roster is skipped, recorded
    assert json.loads(
        palabre("dlq", "list", "SendDeadLetterQueue", "--local", local.url).stdout
    ) == {"SendDeadLetterQueue": []}

    missing = palabre("dlq", "list", "NoSuchQueue", "--local", local.url)
    assert missing.returncode != 0
    assert "not a dead-letter queue" in missing.stderr


def test_demo_0_starts_an_empty_stack() -> None:
    env = {
        **os.environ,
        **THIS_TREE,
        "PORT": "0",
        "DEMO": "0",
        "CLOCK_START": "2027-02-01T10:00:00+01:00",
    }
    process = subprocess.Popen(
        [PALABRE, "local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(6)]
        assert "empty" in banner[0]
        url = next(line.split()[1] for line in banner if line.strip().startswith("console"))
        with urllib.request.urlopen(url.removesuffix("/_local/") + "/_local/mail") as response:
            assert json.loads(response.read()) == []
        clock = next(line for line in banner if line.strip().startswith("clock"))
        assert "2027-02-01T10:00" in clock
    finally:
        process.terminate()
        process.wait(timeout=10)
