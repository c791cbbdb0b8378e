"""Settings read from the environment once per invocation, validated, with no guessing.

Every variable is set in template.yaml's Globals; a missing or malformed one fails the
invocation loudly instead of falling back to a default that hides misconfiguration.
"""

import os
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from palabre.core.text import EMAIL_PATTERN
from palabre.imports.cells import Invalid, timezone


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    uploads_bucket: str = Field(alias="UPLOADS_BUCKET", min_length=3)
    sender_address: str = Field(alias="SENDER_ADDRESS", pattern=EMAIL_PATTERN)
    organisation_name: str = Field(alias="ORGANISATION_NAME", min_length=1, max_length=80)
    organisation_timezone: str = Field(alias="ORGANISATION_TIMEZONE")
    default_locale: Literal["fr", "en"] = Field(alias="DEFAULT_LOCALE")
    admin_address: str = Field(alias="ADMIN_ADDRESS", pattern=f"^$|{EMAIL_PATTERN}")
    configuration_set: str = Field(alias="CONFIGURATION_SET", min_length=1)
    link_secret_arn: str = Field(alias="LINK_SECRET_ARN", min_length=1)
    templates_dir: Path = Field(alias="TEMPLATES_DIR")
    dead_letter_queues: dict[str, str] = Field(alias="DEAD_LETTER_QUEUES")
    """name -> URL of every queue where failures are parked"""

    @field_validator("dead_letter_queues", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
            if any(len(p) != 2 or not p[1] for p in pairs):
                raise ValueError("expected name=url,name=url")
            return {name.strip(): url.strip() for name, url in pairs}
        return value

    @field_validator("organisation_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:  # the roster's own rule
            return timezone(value)
        except Invalid:
            raise ValueError(f"unknown timezone {value!r}; use an IANA name") from None

    @field_validator("templates_dir")
    @classmethod
    def _existing_dir(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.organisation_timezone)

    @classmethod
    def from_env(cls) -> "Settings":
        return cls.model_validate(dict(os.environ))


class QueueSettings(Settings):
    """The scheduler and the digest also need the queue they fill."""

    send_queue_url: str = Field(alias="SEND_QUEUE_URL", min_length=1)


class LinkSettings(Settings):
    """Functions that write personal links need the public address of the HTTP API."""

    public_base_url: str = Field(alias="PUBLIC_BASE_URL", pattern=r"^https?://[^\s/]+(/\S*)?$")
