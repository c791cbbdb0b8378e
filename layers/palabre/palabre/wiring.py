"""The composition root: real adapters built from Settings, for every handler.

Tests and the local stack call the same functions with moto behind AWS_ENDPOINT_URL.
"""

from palabre import aws
from palabre.config import Settings
from palabre.importer import Importer, Organisation
from palabre.mail.outbox import Outbox
from palabre.store.table import Table
from palabre.uploads import Mailroom, UploadHandler


def organisation(settings: Settings) -> Organisation:
    return Organisation(
        name=settings.organisation_name,
        timezone=settings.organisation_timezone,
        locale=settings.default_locale,
    )


def table(settings: Settings) -> Table:
    return Table(aws.client("dynamodb"), settings.table_name)


def mailroom(settings: Settings) -> Mailroom:
    return Mailroom(
        outbox=Outbox(aws.client("sesv2"), settings.configuration_set),
        sender=settings.sender_address,
        templates_dir=settings.templates_dir,
        fallback_recipient=settings.admin_address,
    )


def upload_handler(settings: Settings) -> UploadHandler:
    return UploadHandler(
        importer=Importer(table(settings), organisation(settings)),
        s3=aws.client("s3"),
        bucket=settings.uploads_bucket,
        mailroom=mailroom(settings),
    )
