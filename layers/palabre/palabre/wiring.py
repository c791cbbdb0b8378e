"""The composition root: each handler's journey, built from its Settings and adapters.

Every factory takes an optional `Adapters` bundle: what it holds replaces what the
factory would build (a fake table, an outbox over a flaky SES client...). A test that
runs a handler through the Lambda runtime passes its bundle with `override`, so no test
patches a class or a private method.

Each factory imports what its journey needs when it is called, not when this module is
imported: every handler imports this module, and a cold start should pay only for its own
journey (the answer page has no use for the digest builder, nor the sender for openpyxl).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from palabre import aws

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

    from palabre.admin.dashboard_page import DashboardPages
    from palabre.admin.deliverability import Deliverability
    from palabre.admin.deliverability_pages import DeliverabilityPages
    from palabre.admin.export_pages import ExportPages
    from palabre.admin.imports import ImportPages
    from palabre.admin.pages import AdminPages
    from palabre.admin.parked import ParkedWork
    from palabre.answers.pages import AnswerPages
    from palabre.bounces.pause_notice import PauseNotice
    from palabre.bounces.resuming import ResumePages
    from palabre.config import (
        AdminSettings,
        DeliverabilitySettings,
        DigestSettings,
        DispatchSettings,
        FeedbackSettings,
        ImportSettings,
        InboundReplySettings,
        MailSettings,
        PagesSettings,
        PersonalLinksSettings,
        ResumeSettings,
        RetrySettings,
        RosterChunkSettings,
        SenderSettings,
        SendingTableSettings,
        SigningSettings,
        TableSettings,
    )
    from palabre.core.tokens import Signer
    from palabre.digest.builder import DigestBuilder
    from palabre.digest.editions import Editions
    from palabre.digest.exports import Exports
    from palabre.dispatch.dispatcher import Dispatcher
    from palabre.imports.chunks import RosterApply, SqsChunkQueue
    from palabre.imports.importer import Organisation
    from palabre.imports.uploads import UploadHandler
    from palabre.inbound.replies import Replies
    from palabre.live.attendance_pages import AttendancePages
    from palabre.live.pages import RsvpPages
    from palabre.mail.outbox import Outbox
    from palabre.questions.pages import AskPages, CancelPages
    from palabre.queue import JobQueue
    from palabre.scoring.awards import ScoreKeeper
    from palabre.sending.batch import SendBatch
    from palabre.sending.pace import Pace
    from palabre.sending.sender import JobSender
    from palabre.space.library import LibraryPages
    from palabre.space.pages import SpacePages
    from palabre.store.library import LibraryStore
    from palabre.store.table import Table
    from palabre.subscriptions.pages import SubscriptionPages
    from palabre.subscriptions.preferences import PreferencesPages
    from palabre.votes.pages import VotePages
    from palabre.web import Pages


@dataclass(frozen=True)
class Adapters:
    """What a factory would otherwise build from Settings; None: build the real one."""

    table: Table | None = None
    outbox: Outbox | None = None
    queue: JobQueue | None = None
    signer: Signer | None = None
    s3: Any = None
    sqs: Any = None
    sesv2: Any = None
    sending_table: Table | None = None
    ses: Any = None
    sleep: Any = None
    """how the sender's pace waits (palabre.core.clock.sleep unless given)"""


_overrides = Adapters()


@contextmanager
def override(adapters: Adapters) -> Iterator[None]:
    """Every factory called meanwhile uses these adapters (where set): how a test gives a
    handler, run as Lambda runs it, a fake or a faulty adapter."""
    global _overrides
    previous = _overrides
    _overrides = replace(
        previous, **{f.name: v for f in fields(adapters) if (v := getattr(adapters, f.name))}
    )
    try:
        yield
    finally:
        _overrides = previous


def _given(adapters: Adapters | None) -> Adapters:
    if adapters is None:
        return _overrides
    return replace(
        _overrides, **{f.name: v for f in fields(adapters) if (v := getattr(adapters, f.name))}
    )


# ---------------------------------------------------------------- adapters
def sending_table(settings: SendingTableSettings, adapters: Adapters | None = None) -> Table:
    given = _given(adapters).sending_table
    if given is not None:
        return given
    from palabre.store.table import DynamoTable

    return DynamoTable(aws.client("dynamodb"), settings.sending_table)


def table(settings: TableSettings, adapters: Adapters | None = None) -> Table:
    given = _given(adapters).table
    if given is not None:
        return given
    from palabre.store.table import DynamoTable

    return DynamoTable(
        aws.client("dynamodb"), settings.table_name, retention_months=settings.retention_months
    )


def outbox(settings: MailSettings, adapters: Adapters | None = None) -> Outbox:
    given = _given(adapters).outbox
    if given is not None:
        return given
    from palabre.mail.outbox import Outbox

    return Outbox(_given(adapters).sesv2 or aws.client("sesv2"), settings.configuration_set)


def queue(url: str, adapters: Adapters | None = None) -> JobQueue:
    given = _given(adapters).queue
    if given is not None:
        return given
    from palabre.queue import JobQueue

    return JobQueue(_given(adapters).sqs or aws.client("sqs"), url)


def _s3(adapters: Adapters | None) -> S3Client:
    return _given(adapters).s3 or aws.client("s3")


def secrets() -> Any:
    """One provider per container: it caches the link keys between invocations. Kept per
    function name: the local stack runs every function in one process, and one function
    must not be served keys another fetched (as no Lambda container is)."""
    return _secrets(os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""))


@cache
def _secrets(function: str) -> Any:
    from aws_lambda_powertools.utilities import parameters

    return parameters.SecretsProvider(boto3_client=aws.client("secretsmanager"))


def signer(settings: SigningSettings, adapters: Adapters | None = None) -> Signer:
    given = _given(adapters).signer
    if given is not None:
        return given
    from palabre.core.tokens import LinkSecretUnusable, signer_for
    from palabre.observability import logger

    # One error line a metric filter can count ("LinkSecretUnusable"): every function
    # that opens or mints links says so while the secret is broken.
    try:
        made = signer_for(settings.link_secret_arn, secrets())
    except LinkSecretUnusable as error:
        logger.error("LinkSecretUnusable", reason=str(error), signs=False, verifies=False)
        raise
    if not made.signs:
        logger.error("LinkSecretUnusable", reason='no "current" key', signs=False, verifies=True)
    return made


def reset() -> None:
    """Forget what a container keeps between invocations (tests switch endpoints)."""
    global _overrides
    _overrides = Adapters()
    _secrets.cache_clear()
    editions.cache_clear()
    _sending.clear()


def organisation(settings: ImportSettings) -> Organisation:
    from palabre.imports.importer import Organisation

    return Organisation(
        name=settings.organisation_name,
        timezone=settings.organisation_timezone,
        locale=settings.default_locale,
        work_week=settings.working_days,
    )


def pages(settings: PagesSettings) -> Pages:
    from palabre.web import Pages

    return Pages(settings.templates_dir, settings.organisation_name, settings.default_locale)


# ---------------------------------------------------------------- one factory per journey
def upload_handler(settings: ImportSettings, adapters: Adapters | None = None) -> UploadHandler:
    from palabre.imports.importer import Guards, Importer
    from palabre.imports.uploads import Mailroom, UploadHandler

    return UploadHandler(
        importer=Importer(
            table(settings, adapters),
            organisation(settings),
            queue(settings.send_queue_url, adapters),
            chunks=chunk_queue(settings.roster_apply_queue_url, adapters),
            guards=Guards(max_deactivation=settings.max_deactivation),
        ),
        s3=_s3(adapters),
        bucket=settings.uploads_bucket,
        mailroom=Mailroom(
            outbox=outbox(settings, adapters),
            sender=settings.sender_address,
            templates_dir=settings.templates_dir,
            admin_address=settings.admin_address,
        ),
    )


def chunk_queue(url: str, adapters: Adapters | None = None) -> SqsChunkQueue:
    from palabre.imports.chunks import SqsChunkQueue

    return SqsChunkQueue(_given(adapters).sqs or aws.client("sqs"), url)


def roster_apply(settings: RosterChunkSettings, adapters: Adapters | None = None) -> RosterApply:
    from palabre.imports.arrivals import LateArrivals
    from palabre.imports.chunks import RosterApply

    shared = table(settings, adapters)
    return RosterApply(
        shared,
        LateArrivals(
            shared,
            settings.zone,
            settings.working_days,
            queue(settings.send_queue_url, adapters),
        ),
        chunk_queue(settings.roster_apply_queue_url, adapters),
    )


def dispatcher(
    settings: DispatchSettings,
    time_left: Callable[[], float],
    adapters: Adapters | None = None,
) -> Dispatcher:
    from palabre.dispatch.dispatcher import Dispatcher

    return Dispatcher(
        table(settings, adapters),
        queue(settings.send_queue_url, adapters),
        time_left=time_left,
        work_week=settings.working_days,
    )


def job_sender(
    settings: SenderSettings, adapters: Adapters | None = None, paced: Pace | None = None
) -> JobSender:
    from palabre.core.links import Links
    from palabre.digest.delivery import WeeklyDelivery
    from palabre.mail.personal import Letterhead
    from palabre.sending.prompts import PromptDelivery
    from palabre.sending.sender import JobSender

    store = table(settings, adapters)
    mail = outbox(settings, adapters)
    if _given(adapters).outbox is None:
        mail.pace = paced or pace(settings, adapters)
    links = Links(settings.public_base_url, signer(settings, adapters), settings.inbound_domain)
    letterhead = Letterhead(
        organisation=settings.organisation_name,
        address=settings.sender_address,
        templates_dir=settings.templates_dir,
    )
    weekly_editions = (
        editions(settings.uploads_bucket)
        if _given(adapters).s3 is None
        else _editions(_given(adapters).s3, settings.uploads_bucket)
    )
    return JobSender(
        PromptDelivery(store, mail, links, letterhead),
        WeeklyDelivery(store, weekly_editions, mail, links, letterhead),
    )


# What a sender's container keeps between invocations: SES's rate (read every five
# minutes), the last pace instant it saw, whether sending is paused (read every minute),
# the sends it has not counted yet (counted every minute).
_sending: dict[str, Any] = {}


def pace(settings: SenderSettings, adapters: Adapters | None = None) -> Pace:
    """One per container (SES's rate is read every five minutes; the last instant seen
    says whether the pace is busy), unless a test gives its own table, SES or sleep."""
    from palabre.core import clock
    from palabre.sending.pace import Pace, SendRate

    given = _given(adapters)
    own = given.sending_table is None and given.ses is None and given.sleep is None
    if own and "pace" in _sending:
        kept: Pace = _sending["pace"]
        return kept
    made = Pace(
        sending_table(settings, adapters),
        SendRate(
            given.ses or aws.client("ses"),
            settings.send_rate_share / 100,
            monotonic=lambda: clock.now().timestamp(),
        ),
        now=lambda: clock.now().timestamp(),
        sleep=given.sleep or clock.sleep,
    )
    if own:
        _sending["pace"] = made
    return made


def send_batch(settings: SenderSettings, adapters: Adapters | None = None) -> SendBatch:
    """The sender, and what it does with the jobs that may not go yet."""
    from palabre.core import clock
    from palabre.sending.batch import PauseCheck, SendBatch, SendTally
    from palabre.store.sending import SendingHealth

    given = _given(adapters)
    store = sending_table(settings, adapters)
    check = _sending.get("pause")
    if check is None or given.sending_table is not None:
        check = PauseCheck(SendingHealth(store), lambda: clock.now().timestamp())
        if given.sending_table is None:
            _sending["pause"] = check
    paced = pace(settings, adapters)
    tally = SendTally() if given.sending_table is not None else _sending.get("tally")
    if tally is None:
        tally = _sending["tally"] = SendTally()
    return SendBatch(
        job_sender(settings, adapters, paced),
        given.sqs or aws.client("sqs"),
        settings.send_queue_url,
        pace=paced,
        pause=check,
        health=SendingHealth(store),
        tally=tally,
    )


def _editions(s3: S3Client, bucket: str) -> Editions:
    from palabre.digest.editions import Editions

    return Editions(s3, bucket)


@cache
def editions(bucket: str) -> Editions:
    """One per container, so a digest week reads each edition once, not once per batch."""
    return _editions(aws.client("s3"), bucket)


def answer_pages(settings: PersonalLinksSettings, adapters: Adapters | None = None) -> AnswerPages:
    from palabre.answers.answers import Answers
    from palabre.answers.pages import AnswerPages

    answers = Answers(table(settings, adapters), signer(settings, adapters), settings.zone)
    return AnswerPages(
        answers, pages(settings), settings.templates_dir, threshold=settings.anonymity_threshold
    )


def vote_pages(settings: PagesSettings, adapters: Adapters | None = None) -> VotePages:
    from palabre.votes.pages import VotePages
    from palabre.votes.votes import Votes

    votes = Votes(table(settings, adapters), signer(settings, adapters), settings.zone)
    return VotePages(votes, pages(settings))


def rsvp_pages(settings: PagesSettings, adapters: Adapters | None = None) -> RsvpPages:
    from palabre.live.pages import RsvpPages
    from palabre.live.rsvp import Rsvps

    rsvps = Rsvps(table(settings, adapters), signer(settings, adapters))
    return RsvpPages(rsvps, pages(settings), settings.templates_dir)


def subscription_pages(
    settings: PagesSettings, adapters: Adapters | None = None
) -> SubscriptionPages:
    from palabre.subscriptions.pages import SubscriptionPages
    from palabre.subscriptions.subscriptions import Subscriptions

    subscriptions = Subscriptions(table(settings, adapters), signer(settings, adapters))
    return SubscriptionPages(subscriptions, pages(settings))


def preferences_pages(
    settings: PagesSettings, adapters: Adapters | None = None
) -> PreferencesPages:
    from palabre.subscriptions.preferences import PreferencesPages
    from palabre.subscriptions.subscriptions import Subscriptions

    subscriptions = Subscriptions(table(settings, adapters), signer(settings, adapters))
    return PreferencesPages(subscriptions, pages(settings))


def space_pages(settings: PersonalLinksSettings, adapters: Adapters | None = None) -> SpacePages:
    from palabre.space.pages import SpacePages

    return SpacePages(
        table(settings, adapters),
        signer(settings, adapters),
        pages(settings),
        give_to_get=settings.give_to_get,
        threshold=settings.anonymity_threshold,
    )


def library_pages(
    settings: PersonalLinksSettings, adapters: Adapters | None = None
) -> LibraryPages:
    from palabre.space.library import LibraryPages

    return LibraryPages(
        table(settings, adapters),
        signer(settings, adapters),
        pages(settings),
        threshold=settings.anonymity_threshold,
    )


def ask_pages(settings: PersonalLinksSettings, adapters: Adapters | None = None) -> AskPages:
    from palabre.questions.asking import Asking
    from palabre.questions.pages import AskPages

    asking = Asking(
        table(settings, adapters),
        signer(settings, adapters),
        settings.question_points,
        work_week=settings.working_days,
    )
    return AskPages(
        asking, pages(settings), settings.templates_dir, threshold=settings.anonymity_threshold
    )


def cancel_pages(settings: PagesSettings, adapters: Adapters | None = None) -> CancelPages:
    from palabre.questions.cancelling import Cancelling
    from palabre.questions.pages import CancelPages

    cancelling = Cancelling(table(settings, adapters), signer(settings, adapters))
    return CancelPages(cancelling, pages(settings))


def attendance_pages(settings: PagesSettings, adapters: Adapters | None = None) -> AttendancePages:
    from palabre.live.attendance import Attendance
    from palabre.live.attendance_pages import AttendancePages

    attendance = Attendance(table(settings, adapters), signer(settings, adapters))
    return AttendancePages(attendance, pages(settings))


def admin_pages(settings: AdminSettings, adapters: Adapters | None = None) -> AdminPages:
    from palabre.admin.access import AdminAccess
    from palabre.admin.pages import AdminPages
    from palabre.store.activity import ActivityLog
    from palabre.store.members import MemberStore
    from palabre.store.sending import SendingHealth

    table_ = table(settings, adapters)
    access = AdminAccess(MemberStore(table_), signer(settings, adapters))
    health = SendingHealth(sending_table(settings, adapters))
    return AdminPages(access, ActivityLog(table_), pages(settings), health)


def dashboard_pages(settings: AdminSettings, adapters: Adapters | None = None) -> DashboardPages:
    from zoneinfo import ZoneInfo

    from palabre.admin.dashboard import DashboardReader
    from palabre.admin.dashboard_page import DashboardPages

    reader = DashboardReader(table(settings, adapters), ZoneInfo(settings.organisation_timezone))
    return DashboardPages(admin_pages(settings, adapters), reader, settings.templates_dir)


def deliverability_pages(
    settings: AdminSettings, adapters: Adapters | None = None
) -> DeliverabilityPages:
    from palabre.admin.deliverability_pages import DeliverabilityPages

    return DeliverabilityPages(
        deliverability(settings, adapters),
        parked_work(settings, adapters),
        admin_pages(settings, adapters),
        settings.templates_dir,
    )


def export_pages(settings: AdminSettings, adapters: Adapters | None = None) -> ExportPages:
    from palabre.admin.export_pages import ExportPages
    from palabre.admin.exports import AdminExports
    from palabre.core.i18n import translations
    from palabre.store.activity import ActivityLog

    table_ = table(settings, adapters)
    exports = AdminExports(
        table_,
        ActivityLog(table_),
        _s3(adapters),
        settings.uploads_bucket,
        threshold=settings.anonymity_threshold,
        zone=settings.zone,
        locale=settings.default_locale,
        translations=lambda locale: translations(settings.templates_dir, locale),
    )
    return ExportPages(admin_pages(settings, adapters), exports)


def import_pages(settings: AdminSettings, adapters: Adapters | None = None) -> ImportPages:
    from palabre.admin.imports import ImportPages
    from palabre.store.import_history import ImportHistory
    from palabre.store.roster_apply import RosterApplyStore

    table_ = table(settings, adapters)
    return ImportPages(
        admin_pages(settings, adapters),
        ImportHistory(table_),
        _s3(adapters),
        settings.uploads_bucket,
        RosterApplyStore(table_),
    )


def resume_pages(settings: ResumeSettings, adapters: Adapters | None = None) -> ResumePages:
    from palabre.bounces.resuming import ResumePages, Resuming
    from palabre.store.members import MemberStore
    from palabre.store.sending import SendingHealth

    resuming = Resuming(
        MemberStore(table(settings, adapters)),
        SendingHealth(sending_table(settings, adapters)),
        signer(settings, adapters),
    )
    return ResumePages(resuming, pages(settings))


def deliverability(
    settings: DeliverabilitySettings, adapters: Adapters | None = None
) -> Deliverability:
    from palabre.admin.deliverability import Deliverability
    from palabre.store.members import MemberStore
    from palabre.store.sending import SendingHealth

    return Deliverability(
        MemberStore(table(settings, adapters)), SendingHealth(sending_table(settings, adapters))
    )


def parked_work(settings: RetrySettings, adapters: Adapters | None = None) -> ParkedWork:
    from palabre.admin.parked import ParkedWork, Sources
    from palabre.core.parked import kind_of

    functions = {
        kind: names
        for name, names in settings.retry_functions.items()
        if (kind := kind_of(name)) is not None
    }
    return ParkedWork(
        _given(adapters).sqs or aws.client("sqs"),
        settings.dead_letter_queues,
        Sources(settings.send_queue_url, settings.roster_apply_queue_url, functions),
        lambda_=lambda: aws.client("lambda"),
        streams=lambda: aws.client("dynamodbstreams"),
    )


def pause_notice(settings: FeedbackSettings, adapters: Adapters | None = None) -> PauseNotice:
    from palabre.bounces.pause_notice import PauseNotice
    from palabre.core.links import Links
    from palabre.store.members import MemberStore

    return PauseNotice(
        members=MemberStore(table(settings, adapters)),
        outbox=outbox(settings, adapters),
        links=Links(settings.public_base_url, signer(settings, adapters)),
        sender=(settings.organisation_name, settings.sender_address),
        templates_dir=settings.templates_dir,
    )


def inbound_replies(settings: InboundReplySettings, adapters: Adapters | None = None) -> Replies:
    from palabre.answers.answers import Answers
    from palabre.core.links import Links
    from palabre.inbound.replies import InboundObjects, Replies, Sender
    from palabre.store.inbound import InboundStore
    from palabre.store.members import MemberStore
    from palabre.store.sending import SendingHealth

    store = table(settings, adapters)
    signs = signer(settings, adapters)
    return Replies(
        answers=Answers(store, signs, settings.zone),
        store=InboundStore(store),
        members=MemberStore(store),
        health=SendingHealth(sending_table(settings, adapters)),
        mailroom=InboundObjects(_s3(adapters), settings.uploads_bucket),
        links=Links(settings.public_base_url, signs, settings.inbound_domain),
        sender=Sender(
            organisation=settings.organisation_name,
            address=settings.sender_address,
            outbox=outbox(settings, adapters),
            templates_dir=settings.templates_dir,
        ),
        default_locale=settings.default_locale,
    )


def exports(settings: PagesSettings, adapters: Adapters | None = None) -> Exports:
    from palabre.digest.exports import Exports
    from palabre.store.members import MemberStore

    return Exports(
        MemberStore(table(settings, adapters)),
        _s3(adapters),
        settings.uploads_bucket,
        signer(settings, adapters),
    )


def score_keeper(settings: TableSettings, adapters: Adapters | None = None) -> ScoreKeeper:
    from palabre.scoring.awards import ScoreKeeper

    return ScoreKeeper(table(settings, adapters))


def library(settings: TableSettings, adapters: Adapters | None = None) -> LibraryStore:
    from palabre.store.library import LibraryStore

    return LibraryStore(table(settings, adapters))


def digest_builder(settings: DigestSettings, adapters: Adapters | None = None) -> DigestBuilder:
    from palabre.digest.builder import DigestBuilder

    return DigestBuilder(
        table(settings, adapters),
        _s3(adapters),
        settings.uploads_bucket,
        queue(settings.send_queue_url, adapters),
        settings.zone,
        sqs=_given(adapters).sqs or aws.client("sqs"),
        dead_letter_queues=settings.dead_letter_queues,
        anonymity_threshold=settings.anonymity_threshold,
        locale=settings.default_locale,
        templates=(settings.templates_dir, settings.default_locale, settings.organisation_name),
    )
