"""The composition root: real adapters built from Settings, for every handler.

Tests and the local stack call the same functions with moto behind AWS_ENDPOINT_URL.
Each factory imports what its journey needs when it is called, not when this module is
imported: every handler imports this module, and a cold start should pay only for its own
journey (the import handler has no use for the answer pages, nor the sender for openpyxl).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from palabre import aws

if TYPE_CHECKING:
    from palabre.answers.pages import AnswerPages
    from palabre.config import LinkSettings, QueueSettings, Settings
    from palabre.core.tokens import Signer
    from palabre.digest.builder import DigestBuilder
    from palabre.digest.exports import Exports
    from palabre.dispatch.dispatcher import Dispatcher
    from palabre.imports.importer import Organisation
    from palabre.imports.uploads import Mailroom, UploadHandler
    from palabre.scoring.awards import ScoreKeeper
    from palabre.sending.sender import Editions, JobSender
    from palabre.store.table import Table
    from palabre.subscriptions.pages import SubscriptionPages
    from palabre.votes.pages import VotePages
    from palabre.web import Pages


def organisation(settings: Settings) -> Organisation:
    from palabre.imports.importer import Organisation

    return Organisation(
        name=settings.organisation_name,
        timezone=settings.organisation_timezone,
        locale=settings.default_locale,
    )


def table(settings: Settings) -> Table:
    from palabre.store.table import Table

    return Table(aws.client("dynamodb"), settings.table_name)


def mailroom(settings: Settings) -> Mailroom:
    from palabre.imports.uploads import Mailroom
    from palabre.mail.outbox import Outbox

    return Mailroom(
        outbox=Outbox(aws.client("sesv2"), settings.configuration_set),
        sender=settings.sender_address,
        templates_dir=settings.templates_dir,
        fallback_recipient=settings.admin_address,
    )


def upload_handler(settings: QueueSettings) -> UploadHandler:
    from palabre.core.jobs import JobQueue
    from palabre.imports.importer import Importer
    from palabre.imports.uploads import UploadHandler

    queue = JobQueue(aws.client("sqs"), settings.send_queue_url)
    return UploadHandler(
        importer=Importer(table(settings), organisation(settings), queue),
        s3=aws.client("s3"),
        bucket=settings.uploads_bucket,
        mailroom=mailroom(settings),
    )


@cache
def secrets() -> Any:
    """One provider per container: it caches the link keys between invocations."""
    from aws_lambda_powertools.utilities import parameters

    return parameters.SecretsProvider(boto3_client=aws.client("secretsmanager"))


def reset() -> None:
    secrets.cache_clear()
    editions.cache_clear()


def signer(settings: Settings) -> Signer:
    from palabre.core.tokens import signer_for

    return signer_for(settings.link_secret_arn, secrets())


def dispatcher(settings: QueueSettings, time_left: Callable[[], float]) -> Dispatcher:
    from palabre.core.jobs import JobQueue
    from palabre.dispatch.dispatcher import Dispatcher

    queue = JobQueue(aws.client("sqs"), settings.send_queue_url)
    return Dispatcher(table(settings), queue, time_left=time_left)


def job_sender(settings: LinkSettings) -> JobSender:
    from palabre.core.links import Links
    from palabre.sending.prompt_mail import Sender
    from palabre.sending.sender import JobSender

    return JobSender(
        table(settings),
        mailroom(settings).outbox,
        Links(settings.public_base_url, signer(settings)),
        Sender(
            organisation=settings.organisation_name,
            address=settings.sender_address,
            templates_dir=settings.templates_dir,
        ),
        editions(settings.uploads_bucket),
    )


@cache
def editions(bucket: str) -> Editions:
    """One per container, so a digest week reads each edition once, not once per batch."""
    from palabre.sending.sender import Editions

    return Editions(aws.client("s3"), bucket)


def pages(settings: Settings) -> Pages:
    from palabre.web import Pages

    return Pages(settings.templates_dir, settings.organisation_name, settings.default_locale)


def answer_pages(settings: Settings) -> AnswerPages:
    from palabre.answers.answers import Answers
    from palabre.answers.pages import AnswerPages

    answers = Answers(table(settings), signer(settings), settings.zone)
    return AnswerPages(answers, pages(settings), settings.templates_dir)


def vote_pages(settings: Settings) -> VotePages:
    from palabre.votes.pages import VotePages
    from palabre.votes.votes import Votes

    return VotePages(Votes(table(settings), signer(settings), settings.zone), pages(settings))


def subscription_pages(settings: Settings) -> SubscriptionPages:
    from palabre.subscriptions.pages import SubscriptionPages
    from palabre.subscriptions.subscriptions import Subscriptions

    return SubscriptionPages(Subscriptions(table(settings), signer(settings)), pages(settings))


def exports(settings: Settings) -> Exports:
    from palabre.digest.exports import Exports
    from palabre.store.members import MemberStore

    return Exports(
        MemberStore(table(settings)), aws.client("s3"), settings.uploads_bucket, signer(settings)
    )


def score_keeper(settings: Settings) -> ScoreKeeper:
    from palabre.scoring.awards import ScoreKeeper

    return ScoreKeeper(table(settings))


def digest_builder(settings: QueueSettings) -> DigestBuilder:
    from palabre.core.jobs import JobQueue
    from palabre.digest.builder import DigestBuilder

    return DigestBuilder(
        table(settings),
        aws.client("s3"),
        settings.uploads_bucket,
        JobQueue(aws.client("sqs"), settings.send_queue_url),
        settings.zone,
        sqs=aws.client("sqs"),
        dead_letter_queues=settings.dead_letter_queues,
    )
