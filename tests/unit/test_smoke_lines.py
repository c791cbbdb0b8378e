"""How `palabre smoke` reads what AWS answers: the link secret, the SES account and the
configuration set, each fault on one line that says what to do."""

import json

import pytest

from palabre_cli.main import main
from palabre_cli.smoke import account_line, configuration_set_line, link_secret_line

KEY = "k" * 64
QUOTA = {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 3.0}


@pytest.mark.parametrize(
    ("secret", "status", "says"),
    [
        ({"current": KEY, "previous": []}, "ok", "a current key and 0 previous"),
        ({"current": KEY, "previous": ["o" * 64]}, "ok", "a current key and 1 previous"),
        ({"current": KEY}, "ok", "a current key and 0 previous"),
        ({"current": KEY, "previous": "old"}, "warn", '"previous" is a string'),
        ({"current": "short"}, "warn", "has 5 characters: rotate"),
        ({"previous": [KEY]}, "FAIL", 'no "current" key: no link can be signed'),
        ({"current": "", "previous": []}, "FAIL", 'no "current" key'),
        ({"current": KEY, "previous": [KEY, 3]}, "FAIL", '"previous" is not a list of keys'),
        ([KEY], "FAIL", "not a JSON object"),
    ],
)
def test_the_link_secret_must_have_the_shape_the_functions_read(
    secret: object, status: str, says: str
) -> None:
    line = link_secret_line(json.dumps(secret))

    assert (line.status, line.check) == (status, "secret")
    assert says in line.detail


def test_a_secret_that_is_not_json_fails_and_says_how_to_put_it_back() -> None:
    line = link_secret_line("current=abc")

    assert line.status == "FAIL"
    assert line.detail.startswith("not JSON: every personal link is refused")
    assert "docs/operations.md#rotating-the-link-key" in line.detail


def test_an_account_in_the_sandbox_is_a_warning_with_its_quota() -> None:
    line = account_line(
        {"SendingEnabled": True, "ProductionAccessEnabled": False, "SendQuota": QUOTA}
    )

    assert line.status == "warn"
    assert line.detail.startswith("3 of 200 sent in 24 h, 1/s; in the SES sandbox")
    assert "request production access" in line.detail


def test_an_account_in_production_passes() -> None:
    line = account_line(
        {
            "SendingEnabled": True,
            "ProductionAccessEnabled": True,
            "SendQuota": {**QUOTA, "Max24HourSend": 50000.0, "MaxSendRate": 14.0},
        }
    )

    assert str(line) == "ok    ses: production access, 3 of 50000 sent in 24 h, 14/s"


def test_an_account_whose_sending_is_paused_fails() -> None:
    line = account_line(
        {
            "SendingEnabled": False,
            "ProductionAccessEnabled": True,
            "EnforcementStatus": "SHUTDOWN",
            "SendQuota": QUOTA,
        }
    )

    assert line.status == "FAIL"
    assert "sending is disabled for the account (SHUTDOWN)" in line.detail


def test_a_configuration_set_with_sending_paused_fails_with_the_command_to_resume() -> None:
    paused = {"ConfigurationSetName": "mail", "SendingOptions": {"SendingEnabled": False}}
    sending = {"ConfigurationSetName": "mail", "SendingOptions": {"SendingEnabled": True}}

    assert configuration_set_line(sending).status == "ok"
    line = configuration_set_line(paused)
    assert line.status == "FAIL"
    assert "--configuration-set-name mail --sending-enabled" in line.detail


def test_smoke_refuses_a_test_address_that_is_not_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["smoke", "--to", "ops-at-company"])

    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "palabre smoke: error: argument --to: 'ops-at-company' is not an email address"
    )


def test_smoke_takes_a_stack_or_the_local_stack_not_both(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["smoke", "--stack", "prod", "--local"])

    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_region_means_nothing_to_the_local_stack() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["smoke", "--local", "--region", "eu-west-3"])

    assert exited.value.code == "--region is for a deployed stack; the local stack says its own"
