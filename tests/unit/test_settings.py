"""Settings: the organisation's timezone follows the roster's rule."""

from typing import Any

import pytest
from pydantic import ValidationError

from palabre.config import Settings
from tests.unit.examples import TEMPLATES

VALID: dict[str, Any] = {
    "TABLE_NAME": "palabre",
    "UPLOADS_BUCKET": "uploads",
    "SENDER_ADDRESS": "palabre@example.com",
    "ORGANISATION_NAME": "Exemple",
    "ORGANISATION_TIMEZONE": "Europe/Paris",
    "DEFAULT_LOCALE": "fr",
    "ADMIN_ADDRESS": "",
    "CONFIGURATION_SET": "palabre",
    "LINK_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:links",
    "TEMPLATES_DIR": str(TEMPLATES),
    "DEAD_LETTER_QUEUES": "SendDeadLetterQueue=https://sqs.example/q",
}


def test_the_timezone_is_read_in_its_canonical_spelling() -> None:
    settings = Settings.model_validate(VALID | {"ORGANISATION_TIMEZONE": "europe/paris"})
    assert settings.organisation_timezone == "Europe/Paris"


@pytest.mark.parametrize("zone", ["localtime", "Factory", "Paris/France", ""])
def test_a_timezone_that_is_no_iana_place_is_refused(zone: str) -> None:
    with pytest.raises(ValidationError, match="ORGANISATION_TIMEZONE"):
        Settings.model_validate(VALID | {"ORGANISATION_TIMEZONE": zone})
