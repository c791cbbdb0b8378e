"""The guard every test runs under: a Scan through palabre.aws fails the test."""

import pytest

import palabre.aws


def test_a_scan_through_the_handlers_clients_fails_the_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    dynamodb = palabre.aws.client("dynamodb")
    with pytest.raises(AssertionError, match="Scan on a production path"):
        dynamodb.scan(TableName="palabre")
    assert palabre.aws.client("dynamodb") is dynamodb  # still cached
