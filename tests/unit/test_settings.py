"""Settings: the organisation's timezone follows the roster's rule; each function reads
what it needs, and a missing or malformed variable fails loudly."""

from typing import Any

import pytest
from pydantic import ValidationError

from palabre.config import DigestSettings, DispatchSettings, OrganisationSettings, PagesSettings
from tests.unit.examples import TEMPLATES

VALID: dict[str, Any] = {
    "TABLE_NAME": "palabre",
    "RETENTION_MONTHS": "24",
    "UPLOADS_BUCKET": "uploads",
    "SENDER_ADDRESS": "palabre@example.com",
    "ORGANISATION_NAME": "Exemple",
    "ORGANISATION_TIMEZONE": "Europe/Paris",
    "WORKING_DAYS": "Mon,Tue,Wed,Thu,Fri",
    "DEFAULT_LOCALE": "fr",
    "ADMIN_ADDRESS": "",
    "LIBRARY_VOTES": "3",
    "GIVE_TO_GET": "on",
    "CONFIGURATION_SET": "palabre",
    "LINK_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:links",
    "TEMPLATES_DIR": str(TEMPLATES),
    "DEAD_LETTER_QUEUES": "SendDeadLetterQueue=https://sqs.example/q",
    "ANONYMITY_THRESHOLD": "3",
    "QUESTION_POINTS": "5",
}


def test_the_timezone_is_read_in_its_canonical_spelling() -> None:
    settings = OrganisationSettings.model_validate(
        VALID | {"ORGANISATION_TIMEZONE": "europe/paris"}
    )
    assert settings.organisation_timezone == "Europe/Paris"


@pytest.mark.parametrize("zone", ["localtime", "Factory", "Paris/France", ""])
def test_a_timezone_that_is_no_iana_place_is_refused(zone: str) -> None:
    with pytest.raises(ValidationError, match="ORGANISATION_TIMEZONE"):
        OrganisationSettings.model_validate(VALID | {"ORGANISATION_TIMEZONE": zone})


def test_each_function_reads_only_what_it_needs() -> None:
    # The HTTP function needs no SES address nor queue: their absence changes nothing
    pages = PagesSettings.model_validate(
        {k: v for k, v in VALID.items() if k not in ("SENDER_ADDRESS", "CONFIGURATION_SET")}
    )

    assert pages.table_name == "palabre"
    assert not hasattr(pages, "sender_address")


@pytest.mark.parametrize(
    "missing",
    [
        "TABLE_NAME",
        "RETENTION_MONTHS",
        "SEND_QUEUE_URL",
        "DEAD_LETTER_QUEUES",
        "ANONYMITY_THRESHOLD",
    ],
)
def test_a_missing_variable_fails_loudly(missing: str) -> None:
    given = VALID | {"SEND_QUEUE_URL": "https://sqs.example/send"}
    del given[missing]

    with pytest.raises(ValidationError, match=missing):
        DigestSettings.model_validate(given)


@pytest.mark.parametrize("threshold", ["0", "-3", "three", "51"])
def test_an_anonymity_threshold_below_one_or_not_a_number_is_refused(threshold: str) -> None:
    given = VALID | {"SEND_QUEUE_URL": "https://sqs.example/send"}

    with pytest.raises(ValidationError, match="ANONYMITY_THRESHOLD"):
        DigestSettings.model_validate(given | {"ANONYMITY_THRESHOLD": threshold})
    assert DigestSettings.model_validate(given).anonymity_threshold == 3


def test_working_days_are_read_as_weekday_numbers() -> None:
    given = VALID | {"SEND_QUEUE_URL": "https://sqs.example/send"}

    settings = DispatchSettings.model_validate(given | {"WORKING_DAYS": "Sun,Mon,Tue"})

    assert settings.working_days == frozenset({6, 0, 1})


@pytest.mark.parametrize("days", ["Mon,Friday", "", "mon", "Mon,Mon"])
def test_working_days_that_name_no_day_fail_the_cold_start_loudly(days: str) -> None:
    given = VALID | {"SEND_QUEUE_URL": "https://sqs.example/send", "WORKING_DAYS": days}

    with pytest.raises(ValidationError, match="WORKING_DAYS"):
        DispatchSettings.model_validate(given)
