"""A file lands in the uploads bucket; import it and tell the admin how it went."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from palabre.core.i18n import N_, translations
from palabre.core.models import Role, member_id
from palabre.core.text import is_email
from palabre.imports.importer import Importer, Organisation
from palabre.imports.report import KINDS, ImportReport, Issue, Kind
from palabre.imports.tabular import MAX_BYTES
from palabre.mail.mime import build_message
from palabre.mail.outbox import Outbox
from palabre.mail.render import render
from palabre.observability import logger

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

REPORT_SUFFIXES = (".report.json", ".report.txt")
UPLOADER_METADATA = "uploader"
ERRORS_IN_EMAIL = 100


def kind_of(key: str) -> Kind | None:
    top = key.split("/", 1)[0]
    return top if top in KINDS else None


def is_report(key: str) -> bool:
    """Reports are written beside the upload; their own notification is ignored."""
    return key.endswith(REPORT_SUFFIXES)


def report_keys(key: str) -> tuple[str, str]:
    return f"{key}.report.json", f"{key}.report.txt"


@dataclass(frozen=True)
class Mailroom:
    outbox: Outbox
    sender: str
    templates_dir: Path
    fallback_recipient: str


class UploadHandler:
    def __init__(self, importer: Importer, s3: "S3Client", bucket: str, mailroom: Mailroom) -> None:
        self.importer = importer
        self.s3 = s3
        self.bucket = bucket
        self.mailroom = mailroom

    @property
    def org(self) -> Organisation:
        return self.importer.org

    def handle(self, key: str, size: int | None, now: datetime) -> ImportReport | None:
        kind = kind_of(key)
        if kind is None or is_report(key):
            logger.info("not an upload to import", extra={"key": key})
            return None
        uploader, uploaded, data = self._fetch(key, size)
        recipient_locale = self._locale_of(uploader)
        tr = translations(self.mailroom.templates_dir, recipient_locale)
        if data is None:
            report = ImportReport.rejected(kind, 0, [_too_large()], tr)
        else:
            report = self.importer.run(
                kind, PurePosixPath(key).name, data, now=now, translations=tr, uploaded=uploaded
            )
        text = self._publish(key, report, recipient_locale, now)
        self._email(key, report, uploader, recipient_locale, text, now)
        logger.info(
            "import finished",
            extra={
                "key": key,
                "report": report.model_dump(exclude={"errors"}),
                "errors": len(report.errors),
            },
        )
        return report

    def _fetch(self, key: str, size: int | None) -> tuple[str, datetime, bytes | None]:
        """Who uploaded the file, when (S3's LastModified), and its bytes (None: too large)."""
        if size is not None and size > MAX_BYTES:
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
            return _uploader(head.get("Metadata", {})), head["LastModified"], None
        obj = self.s3.get_object(Bucket=self.bucket, Key=key)
        # Read one byte past the limit: enough to know the file is too large.
        data = obj["Body"].read(MAX_BYTES + 1)
        uploader = _uploader(obj.get("Metadata", {}))
        return uploader, obj["LastModified"], None if len(data) > MAX_BYTES else data

    def _locale_of(self, uploader: str) -> str:
        member = self.importer.members.get(member_id(uploader)) if uploader else None
        return member.locale if member else self.org.locale

    def _publish(self, key: str, report: ImportReport, locale: str, now: datetime) -> str:
        json_key, text_key = report_keys(key)
        text = render(
            self.mailroom.templates_dir,
            "email/import_report.txt",
            locale,
            **self._context(key, report, now),
        )
        self.s3.put_object(
            Bucket=self.bucket,
            Key=json_key,
            Body=json.dumps(report.model_dump(), ensure_ascii=False, indent=2).encode(),
            ContentType="application/json",
        )
        self.s3.put_object(
            Bucket=self.bucket, Key=text_key, Body=text.encode(), ContentType="text/plain"
        )
        return text

    def _context(self, key: str, report: ImportReport, now: datetime) -> dict[str, Any]:
        return {
            "organisation": self.org.name,
            "key": key,
            "report": report,
            "errors": report.errors[:ERRORS_IN_EMAIL],
            "more_errors": max(0, len(report.errors) - ERRORS_IN_EMAIL),
            "when": now.astimezone(self.org.zone),
        }

    def _recipients(self, uploader: str) -> list[str]:
        """The uploader, or else the admins, or else the fallback address; never an address
        that bounced or complained (SES feedback), as for every other email."""
        if uploader:
            wanted = [uploader]
        else:
            admins = [m.email for m in self.importer.members.with_role(Role.ADMIN)]
            fallback = self.mailroom.fallback_recipient
            wanted = admins or ([fallback] if fallback else [])
        suppressed = self.importer.members.suppressed(wanted) if wanted else set()
        return [address for address in wanted if address not in suppressed]

    def _email(
        self, key: str, report: ImportReport, uploader: str, locale: str, text: str, now: datetime
    ) -> None:
        recipients = self._recipients(uploader)
        if not recipients:
            logger.warning("no one to send the import report to", extra={"key": key})
            return
        tr = translations(self.mailroom.templates_dir, locale)
        name = PurePosixPath(key).name
        if report.ok:
            subject = tr.gettext("Palabre import of %(file)s: done") % {"file": name}
        else:
            subject = tr.ngettext(
                "Palabre import of %(file)s: %(count)s error, nothing changed",
                "Palabre import of %(file)s: %(count)s errors, nothing changed",
                len(report.errors),
            ) % {"file": name, "count": len(report.errors)}
        context = self._context(key, report, now) | {"subject": subject}
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


def _too_large() -> Issue:
    return Issue(N_("The file is larger than 5 MB; split it."))
