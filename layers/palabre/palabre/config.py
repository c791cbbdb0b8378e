"""Settings read from the environment once per invocation, validated, with no guessing.

Every variable is set in template.yaml; a missing or malformed one fails the invocation
loudly instead of falling back to a default that hides misconfiguration. Each function
reads only what it needs: one small model per need, combined per function.
"""

import os
from pathlib import Path
from typing import Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from palabre.core.local_time import working_days
from palabre.core.text import EMAIL_PATTERN
from palabre.core.zones import known_zone


class _FromEnv(BaseModel):
    # Built on first use: a function validates only its own combination, once.
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    @classmethod
    def from_env(cls) -> Self:
        return cls.model_validate(dict(os.environ))


class TableSettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    retention_months: int = Field(alias="RETENTION_MONTHS", ge=1, le=120)
    """how long answers and other personal items are kept (the table's TTL)"""


class OrganisationSettings(_FromEnv):
    organisation_name: str = Field(alias="ORGANISATION_NAME", min_length=1, max_length=80)
    organisation_timezone: str = Field(alias="ORGANISATION_TIMEZONE")
    default_locale: Literal["fr", "en"] = Field(alias="DEFAULT_LOCALE")

    @field_validator("organisation_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        name = known_zone(value)  # the roster's own rule
        if name is None:
            raise ValueError(f"unknown timezone {value!r}; use an IANA name")
        return name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.organisation_timezone)


class WorkingDaysSettings(_FromEnv):
    """The days reminders may fall on: one that would fall on another moves to the last
    working day before it."""

    working_days: frozenset[int] = Field(alias="WORKING_DAYS")

    @field_validator("working_days", mode="before")
    @classmethod
    def _day_names(cls, value: object) -> object:
        return working_days(value) if isinstance(value, str) else value


class TemplateSettings(_FromEnv):
    templates_dir: Path = Field(alias="TEMPLATES_DIR")

    @field_validator("templates_dir")
    @classmethod
    def _existing_dir(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value


class SendingTableSettings(_FromEnv):
    """The sender's pace, sending's hourly counts and its pause (store/sending.py)."""

    sending_table: str = Field(alias="SENDING_TABLE", min_length=3)


class BucketSettings(_FromEnv):
    uploads_bucket: str = Field(alias="UPLOADS_BUCKET", min_length=3)


class SigningSettings(_FromEnv):
    link_secret_arn: str = Field(alias="LINK_SECRET_ARN", min_length=1)


class PublicLinkSettings(_FromEnv):
    """Functions that write personal links need the public address of the HTTP API."""

    public_base_url: str = Field(alias="PUBLIC_BASE_URL", pattern=r"^https?://[^\s/]+(/\S*)?$")


class MailSettings(_FromEnv):
    sender_address: str = Field(alias="SENDER_ADDRESS", pattern=EMAIL_PATTERN)
    configuration_set: str = Field(alias="CONFIGURATION_SET", min_length=1)


class AdminAddressSettings(_FromEnv):
    admin_address: str = Field(alias="ADMIN_ADDRESS", pattern=f"^$|{EMAIL_PATTERN}")


class QueueSettings(_FromEnv):
    """The scheduler, the importer and the digest fill the send queue."""

    send_queue_url: str = Field(alias="SEND_QUEUE_URL", min_length=1)


class RosterApplySettings(_FromEnv):
    """The queue of a roster's chunks (imports/chunks.py)."""

    roster_apply_queue_url: str = Field(alias="ROSTER_APPLY_QUEUE_URL", min_length=1)


class DeadLetterSettings(_FromEnv):
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


class DeliverabilitySettings(TableSettings, SendingTableSettings):
    """The admin space's deliverability page: suppressions, and the hourly counts."""


class RetrySettings(DeadLetterSettings, RosterApplySettings, QueueSettings):
    """Where the admin space's Retry sends parked work back (admin/parked.py)."""

    retry_functions: dict[str, tuple[str, ...]] = Field(alias="RETRY_FUNCTIONS")
    """queue name -> the functions its messages go back to: `score=f,schedule=f1+f2`"""

    @field_validator("retry_functions", mode="before")
    @classmethod
    def _functions(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [p.split("=", 1) for p in value.split(",") if p.strip()]
            if any(len(p) != 2 or not p[1].strip() for p in pairs):
                raise ValueError("expected name=function,name=function+function")
            return {
                name.strip(): tuple(f.strip() for f in functions.split("+") if f.strip())
                for name, functions in pairs
            }
        return value


class InboundSettings(_FromEnv):
    """Where replies to theme emails are received (InboundDomain); empty: nowhere."""

    inbound_domain: str = Field(
        alias="INBOUND_DOMAIN",
        pattern=r"^$|^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$",
    )


class LibrarySettings(_FromEnv):
    library_votes: int = Field(alias="LIBRARY_VOTES", ge=1, le=1000)
    """"useful" votes (from two circles at least) that put an answer in the library"""


class SpaceSettings(_FromEnv):
    give_to_get: bool = Field(alias="GIVE_TO_GET")
    """others' answers to a theme still open for a member wait until they have answered"""


class AnonymitySettings(_FromEnv):
    """Outputs that show others' answers hold an anonymous one back until they show this
    many answers to its theme (core.attribution)."""

    anonymity_threshold: int = Field(alias="ANONYMITY_THRESHOLD", ge=1, le=50)


# ---------------------------------------------------------------- one model per function
class FeedbackSettings(
    TableSettings,
    SendingTableSettings,
    OrganisationSettings,
    TemplateSettings,
    SigningSettings,
    PublicLinkSettings,
    MailSettings,
):
    """ses_feedback (bounces and complaints counted for the deliverability guard, whose
    pause the admins are emailed, with a link to resume)"""


class ScoreSettings(TableSettings, LibrarySettings):
    """score_stream"""


class DispatchSettings(TableSettings, QueueSettings, WorkingDaysSettings):
    """schedule_prompts"""


class PagesSettings(
    TableSettings,
    OrganisationSettings,
    TemplateSettings,
    SigningSettings,
    BucketSettings,
):
    """personal_links: the pages behind every link an email carries"""


class PersonalLinksSettings(PagesSettings, AnonymitySettings, SpaceSettings, WorkingDaysSettings):
    """personal_links: its pages show others' answers (the anonymity threshold), and ask
    the circle questions (what one is worth, sent on the next working day)"""

    question_points: int = Field(alias="QUESTION_POINTS", ge=0, le=1000)


class AdminSettings(PagesSettings, AnonymitySettings, DeliverabilitySettings, RetrySettings):
    """admin_space: the animators' space (its answers export holds anonymous answers back
    as every output does)"""


class ResumeSettings(PagesSettings, SendingTableSettings):
    """personal_links' resume pages (the deliverability guard's pause)"""


class SenderSettings(
    PagesSettings,
    PublicLinkSettings,
    MailSettings,
    QueueSettings,
    SendingTableSettings,
    InboundSettings,
):
    """send_email (its queue: jobs that may not go yet are queued again)"""

    send_rate_share: int = Field(alias="SEND_RATE_SHARE", ge=1, le=100)
    """percent of the account's SES send rate this stack uses (several stacks share it)"""


class InboundReplySettings(
    TableSettings,
    SendingTableSettings,
    OrganisationSettings,
    TemplateSettings,
    SigningSettings,
    PublicLinkSettings,
    MailSettings,
    BucketSettings,
    InboundSettings,
):
    """inbound_reply: a reply to a theme's email becomes the answer; the member is told,
    straight through SES (the pause and suppressions respected)"""


class DigestSettings(
    TableSettings,
    OrganisationSettings,
    BucketSettings,
    QueueSettings,
    DeadLetterSettings,
    AnonymitySettings,
    TemplateSettings,
):
    """weekly_digest (its templates: the library's printable export)"""


class ImportSettings(
    TableSettings,
    OrganisationSettings,
    WorkingDaysSettings,
    TemplateSettings,
    MailSettings,
    AdminAddressSettings,
    BucketSettings,
    QueueSettings,
    RosterApplySettings,
):
    """import_upload"""

    max_deactivation: int = Field(alias="MAX_DEACTIVATION", ge=0, le=100)
    """percent of the active members a roster dropped in the bucket may deactivate
    without a confirmation"""


class RosterChunkSettings(
    TableSettings, OrganisationSettings, WorkingDaysSettings, QueueSettings, RosterApplySettings
):
    """roster_apply"""
