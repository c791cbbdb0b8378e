"""A file lands in the uploads bucket: import it if an active admin uploaded it, and tell
them (or the admins, of a file refused) how it went."""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from palabre.core.i18n import N_, translations
from palabre.core.models import Member, Role
from palabre.core.text import is_email, one_line
from palabre.imports.importer import Importer, Organisation
from palabre.imports.report import KINDS, ImportReport, Issue, Kind
from palabre.imports.tabular import LIMITS
from palabre.mail.mime import build_message
from palabre.mail.outbox import Outbox
from palabre.mail.render import in_language, render
from palabre.observability import logger
from palabre.store.activity import Action, ActivityLog
from palabre.store.import_history import (
    HISTORY_METADATA,
    MODE_METADATA,
    PENDING,
    PREVIEWED_METADATA,
    REPORT_SUFFIXES,
    UPLOADER_METADATA,
    WRITTEN_FOR_METADATA,
    ImportHistory,
    preview_key,
    report_keys,
)

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

CONFIRM_METADATA = "confirm"
"""`yes` (`palabre upload --confirm`): past the guards, whatever the file deactivates or
cancels"""
ERRORS_IN_EMAIL = 100
NAMES_IN_EMAIL = 30
"""names per list of changes (deactivated, created, updated) in a report's email"""
NAME_IN_SUBJECT = 80
KEY_SHOWN = 200


def kind_of(key: str) -> Kind | None:
    top = key.split("/", 1)[0]
    return top if top in KINDS else None


def is_report(key: str) -> bool:
    """Reports are written beside the upload; their own notification is ignored."""
    return key.endswith(REPORT_SUFFIXES)


@dataclass(frozen=True)
class Fetched:
    uploader: str
    uploaded: datetime
    data: bytes | None
    """None: too large to read"""
    metadata: Mapping[str, str]
    etag: str

    @property
    def preview(self) -> bool:
        return self.metadata.get(MODE_METADATA, "") == "preview"

    @property
    def confirmed(self) -> bool:
        return self.metadata.get(CONFIRM_METADATA, "") == "yes"

    @property
    def previewed(self) -> str | None:
        return self.metadata.get(PREVIEWED_METADATA)

    @property
    def upload_id(self) -> str:
        return self.metadata.get(HISTORY_METADATA, "")[:80]


@dataclass(frozen=True)
class Mailroom:
    outbox: Outbox
    sender: str
    templates_dir: Path
    admin_address: str
    """the AdminAddress parameter: who may upload the first roster, while no admin exists"""


type Readers = Sequence[tuple[str, str]]
"""who gets a report: (address, locale)"""


class UploadHandler:
    """Only an active admin of the current roster changes the roster or the calendar:
    the `uploader` metadata must name one (or, while the roster has no active admin, the
    AdminAddress parameter, for a roster). Anyone else's file is refused, changes
    nothing, and the active admins are told; reports go to roster addresses only."""

    def __init__(self, importer: Importer, s3: "S3Client", bucket: str, mailroom: Mailroom) -> None:
        self.importer = importer
        self.s3 = s3
        self.bucket = bucket
        self.mailroom = mailroom
        self.history = ImportHistory(importer.table)
        self.activity = ActivityLog(importer.table)

    @property
    def org(self) -> Organisation:
        return self.importer.org

    def handle(self, key: str, size: int | None, now: datetime) -> ImportReport | None:
        kind = kind_of(key)
        if kind is None or is_report(key):
            logger.info("not an upload to import", extra={"key": key})
            return None
        fetched = self._fetch(key, size, LIMITS[kind].max_bytes)
        uploader = fetched.uploader
        admins = self.importer.members.with_role(Role.ADMIN)
        refusal = self._refusal(kind, uploader, admins)
        if refusal is not None:
            refused = self._refuse(key, kind, refusal, admins, now, fetched.etag)
            self._record(key, kind, fetched, refused, now)
            return refused
        admin = next((a for a in admins if a.email == uploader), None)
        locale = admin.locale if admin is not None else self.org.locale
        tr = translations(self.mailroom.templates_dir, locale)
        if fetched.data is None:
            report = ImportReport.rejected(kind, 0, [_too_large(kind)], tr)
        else:
            report = self.importer.run(
                kind,
                PurePosixPath(key).name,
                fetched.data,
                now=now,
                translations=tr,
                uploaded=fetched.uploaded,
                preview=fetched.preview,
                confirmed=fetched.confirmed,
                previewed=fetched.previewed,
            )
        self._publish(key, report, locale, now, fetched.etag)
        self._record(key, kind, fetched, report, now)
        if fetched.preview and admin is not None:
            # Sent from the admin space (its form sets the mode): the upload is theirs.
            self.activity.record(admin, Action.UPLOAD, now, file=PurePosixPath(key).name, kind=kind)
        # A preview is read on the page that asked for it; everything else is emailed.
        if report.status != "previewed":
            self._email(key, lambda _: report, [(uploader, locale)], now)
        logger.info(
            "import finished",
            extra={
                "key": key,
                "report": report.model_dump(exclude={"errors", "changes", "guard"}),
                "errors": len(report.errors),
            },
        )
        return report

    def _record(
        self, key: str, kind: Kind, fetched: Fetched, report: ImportReport, now: datetime
    ) -> None:
        self.history.record(
            key=key,
            kind=kind,
            file=PurePosixPath(key).name,
            uploader=fetched.uploader,
            status=report.status,
            counts={
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "deactivated": report.deactivated,
                "errors": len(report.errors),
            },
            etag=fetched.etag,
            now=now,
            upload_id=fetched.upload_id,
            confirms=report.confirms,
        )

    def _refusal(self, kind: Kind, uploader: str, admins: list[Member]) -> Issue | None:
        """Why `uploader` may not upload this file (None: they may)."""
        if any(admin.email == uploader for admin in admins):
            return None
        bootstrap = self.mailroom.admin_address.strip().lower()
        if not admins and uploader and uploader == bootstrap:
            if kind == "roster":
                return None
            return Issue(
                N_(
                    "The organisation has no admin yet: upload its roster first (it must "
                    "name at least one admin), then the calendar."
                )
            )
        if not uploader:
            return Issue(
                N_(
                    "The file does not say who uploaded it (its uploader metadata): only an "
                    "active admin of the roster may change the roster or the calendar."
                )
            )
        if not admins:
            return Issue(
                N_(
                    "%(uploader)s may not upload this file: the organisation has no admin "
                    "yet, and its first roster must come from its AdminAddress parameter."
                ),
                params={"uploader": uploader},
            )
        return Issue(
            N_(
                "%(uploader)s is not an active admin of the roster: only an active admin may "
                "change the roster or the calendar."
            ),
            params={"uploader": uploader},
        )

    def _refuse(
        self,
        key: str,
        kind: Kind,
        refusal: Issue,
        admins: list[Member],
        now: datetime,
        etag: str,
    ) -> ImportReport:
        """Nothing is imported; the report is stored beside the file, and the active
        admins (or, before there is one, the AdminAddress) hear of it, each in their own
        language. The uploader named in the file hears nothing: they may be anyone."""

        def translated(locale: str) -> ImportReport:
            return ImportReport.rejected(
                kind, 0, [refusal], translations(self.mailroom.templates_dir, locale)
            ).model_copy(update={"status": "refused"})

        report = translated(self.org.locale)
        self._publish(key, report, self.org.locale, now, etag, refused=True)
        readers = [(admin.email, admin.locale) for admin in admins]
        if not readers and self.mailroom.admin_address:
            readers = [(self.mailroom.admin_address.strip().lower(), self.org.locale)]

        self._email(key, translated, readers, now, refused=True)
        logger.warning("upload refused", extra={"key": key, "reason": refusal.message})
        return report

    def _fetch(self, key: str, size: int | None, limit: int) -> Fetched:
        """Who uploaded the file, when (S3's LastModified), how (its metadata), and its
        bytes (None: larger than `limit`)."""
        if size is not None and size > limit:
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
            metadata = head.get("Metadata", {})
            return Fetched(
                _uploader(metadata), head["LastModified"], None, metadata, head.get("ETag", "")
            )
        obj = self.s3.get_object(Bucket=self.bucket, Key=key)
        # Read one byte past the limit: enough to know the file is too large.
        data = obj["Body"].read(limit + 1)
        metadata = obj.get("Metadata", {})
        return Fetched(
            _uploader(metadata),
            obj["LastModified"],
            None if len(data) > limit else data,
            metadata,
            obj.get("ETag", ""),
        )

    def _publish(
        self,
        key: str,
        report: ImportReport,
        locale: str,
        now: datetime,
        etag: str,
        *,
        refused: bool = False,
    ) -> None:
        """The report (JSON and text) beside the file, and its preview while it waits,
        each saying which upload of the file it was written for (its ETag)."""
        json_key, text_key = report_keys(key)
        written_for = {WRITTEN_FOR_METADATA: etag}
        body = json.dumps(report.model_dump(), ensure_ascii=False, indent=2).encode()
        text = render(
            self.mailroom.templates_dir,
            "email/import_report.txt",
            locale,
            **self._context(key, report, now, refused),
        )
        self.s3.put_object(
            Bucket=self.bucket,
            Key=json_key,
            Body=body,
            ContentType="application/json",
            Metadata=written_for,
        )
        self.s3.put_object(
            Bucket=self.bucket,
            Key=text_key,
            Body=text.encode(),
            ContentType="text/plain",
            Metadata=written_for,
        )
        if report.status in PENDING:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=preview_key(key),
                Body=body,
                ContentType="application/json",
                Metadata=written_for,
            )

    def _context(
        self, key: str, report: ImportReport, now: datetime, refused: bool
    ) -> dict[str, Any]:
        return {
            "organisation": self.org.name,
            # A key may hold any character: shown on one line, as a header would show it.
            "key": one_line(key, KEY_SHOWN),
            "report": report,
            "refused": refused,
            "errors": report.errors[:ERRORS_IN_EMAIL],
            "more_errors": max(0, len(report.errors) - ERRORS_IN_EMAIL),
            "names_shown": NAMES_IN_EMAIL,
            "when": now.astimezone(self.org.zone),
        }

    def _email(
        self,
        key: str,
        reports: Callable[[str], ImportReport],
        readers: Readers,
        now: datetime,
        *,
        refused: bool = False,
    ) -> None:
        """One message per reader, in their language (`reports` gives the report in a
        locale); never to an address that bounced or complained (SES feedback)."""
        wanted = [address for address, _ in readers if address]
        suppressed = self.importer.members.suppressed(wanted) if wanted else set()
        by_locale: dict[str, list[str]] = {}
        for address, locale in readers:
            if address and address not in suppressed:
                by_locale.setdefault(locale, []).append(address)
        if not by_locale:
            logger.warning("no one to send the import report to", extra={"key": key})
            return
        for locale, recipients in by_locale.items():
            self._send(key, reports(locale), locale, recipients, now, refused)

    def _send(
        self,
        key: str,
        report: ImportReport,
        locale: str,
        recipients: list[str],
        now: datetime,
        refused: bool,
    ) -> None:
        tr = translations(self.mailroom.templates_dir, locale)
        # The name reaches the Subject header: no line break, bidi trick or endless name.
        name = one_line(PurePosixPath(key).name, NAME_IN_SUBJECT)
        if refused:
            subject = tr.gettext("Palabre import of %(file)s: refused, nothing changed") % {
                "file": name
            }
        elif report.status == "needs_confirmation":
            subject = tr.gettext(
                "Palabre import of %(file)s: waiting for your confirmation, nothing changed"
            ) % {"file": name}
        elif report.ok:
            subject = tr.gettext("Palabre import of %(file)s: done") % {"file": name}
        else:
            subject = tr.ngettext(
                "Palabre import of %(file)s: %(count)s error, nothing changed",
                "Palabre import of %(file)s: %(count)s errors, nothing changed",
                len(report.errors),
            ) % {"file": name, "count": len(report.errors)}
        subject = in_language(subject, locale)
        context = self._context(key, report, now, refused) | {"subject": subject}
        text = render(self.mailroom.templates_dir, "email/import_report.txt", locale, **context)
        html = render(self.mailroom.templates_dir, "email/import_report.html", locale, **context)
        # One message per recipient: admins do not see each other's addresses, and a long
        # list of admins never meets SES's recipient limit.
        for recipient in recipients:
            message = build_message(
                sender=(self.org.name, self.mailroom.sender),
                to=[recipient],
                subject=subject,
                text=text,
                html=html,
                date=now,
            )
            self.mailroom.outbox.send(message, tags={"kind": "import-report"})


def _uploader(metadata: Mapping[str, str]) -> str:
    address = metadata.get(UPLOADER_METADATA, "").strip().lower()
    return address if is_email(address) else ""


def _too_large(kind: Kind) -> Issue:
    return Issue(
        N_("The file is larger than %(limit)s MB; split it."),
        params={"limit": LIMITS[kind].megabytes},
    )
