"""The space's imports: upload a roster or calendar from the browser, read what it would
change, then apply or decline it; the history of every upload.

The browser posts the file straight to the uploads bucket (a presigned POST: no file
goes through the function) under `<kind>/web/<instant>-<random>/`, with the link's admin
as uploader and `mode=preview`: the POST policy's conditions forbid any other key, uploader
or mode. The import function then writes the preview and records the upload; nothing is
applied. Apply copies the previewed object onto itself (the same bytes: the copy is
conditional on its ETag) with the link's admin as uploader and `previewed=<what the
preview showed>`, so the import function applies it through the same path as any file,
past the guards for the deactivations or cancellations the admin saw, and no others.
Decline only records the decision: the file stays in the bucket as history, until the
bucket's lifecycle forgets it (FileRetentionDays). Reports and previews are read only if
the import function wrote them (the form could write any key of its folder)."""

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response
from botocore.exceptions import ClientError

from palabre.admin.access import AdminView
from palabre.admin.pages import AdminPages
from palabre.core.tokens import InvalidToken
from palabre.observability import logger
from palabre.store.activity import Action
from palabre.store.import_history import (
    HISTORY_METADATA,
    MODE_METADATA,
    PREVIEWED_METADATA,
    UPLOADER_METADATA,
    WRITTEN_FOR_METADATA,
    ImportHistory,
    NotPending,
    Upload,
    preview_key,
    report_keys,
)
from palabre.store.roster_apply import RosterApplyStore

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

KINDS = ("roster", "calendar")
UPLOAD_LIMIT = 50 * 1024 * 1024
"""the largest file the upload form's policy lets through; the import refuses, with a
report, what is larger than it reads (imports/tabular.py)"""
FORM_LIFETIME = timedelta(hours=1)
"""how long an upload form's signature holds (a page left open longer: reload it)"""
WEB_FOLDER = "web"
STUCK_AFTER = timedelta(minutes=10)
"""how long an upload may say "applying" with its file not copied before Apply or Decline
may take it again (an Apply cut short between its decision and its copy)"""
CHANGES_SHOWN = 50
"""names shown per list of changes on a page (the report's counts say how many more)"""


@dataclass(frozen=True)
class UploadForm:
    kind: str
    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class RosterProgress:
    phase: str
    """staging (everyone sees the former roster), settling (switched: everyone sees the
    new one), abandoning (a newer file replaced it)"""
    done: int
    """parts staged (while staging) or settled (while settling)"""
    parts: int
    started: datetime | None


class ImportPages:
    def __init__(
        self,
        pages: AdminPages,
        history: ImportHistory,
        s3: "S3Client",
        bucket: str,
        rosters: RosterApplyStore,
    ) -> None:
        self.pages = pages
        self.history = history
        self.activity = pages.activity
        self.s3 = s3
        self.bucket = bucket
        self.rosters = rosters

    # ------------------------------------------------------------------ pages
    def imports(
        self, token: str, now: datetime, *, back_to: str, before: str = "", uploaded: str = ""
    ) -> Response[str]:
        """The upload forms, the uploads waiting for a decision, the history (a page of
        it, from `before`). `back_to`: this page's absolute URL, where S3 sends the browser
        back once the file is stored (with its key: `uploaded`)."""
        view = self.pages.open(token, now)
        forms = [self._form(view, kind, now, back_to) for kind in KINDS]
        cursor = before if before and self.history.get(before) is not None else ""
        uploads, more = self.history.latest(cursor)
        # A file just stored that the import has not read yet: "being checked".
        checking = (
            uploaded
            if _from_the_space(uploaded) and all(u.key != uploaded for u in uploads)
            else ""
        )
        origins = tuple(sorted({_origin(form.url) for form in forms}))
        return self.pages.render(
            view,
            "admin_imports",
            form_action=origins,
            forms=forms,
            uploads=uploads,
            pending=[u for u in uploads if u.pending] if not cursor else [],
            more=more,
            checking=checking,
            roster_apply=self._roster_apply(),
        )

    def upload(
        self, token: str, upload_id: str, now: datetime, *, notice: str = "", show: str = ""
    ) -> Response[str]:
        """One upload: its outcome, what it changed or would change, and while it waits,
        Apply and Decline. `show=preview`: the preview an applied file was applied from."""
        view = self.pages.open(token, now)
        upload = self._known(upload_id)
        preview = (
            self._json(preview_key(upload.key), upload.sent_etag)
            if upload.status == "applied"
            else None
        )
        if preview is REPLACED:
            preview = None  # a later file of the same name's: not this upload's
        showing_preview = show == "preview" and preview is not None
        report = preview if showing_preview else self._json(report_keys(upload.key)[0], upload.etag)
        return self.pages.render(
            view,
            "admin_preview",
            section="imports",
            upload=upload,
            report=None if report is REPLACED else report,
            replaced=report is REPLACED,
            showing_preview=showing_preview,
            has_preview=preview is not None,
            notice=notice if notice in NOTICES else "",
            shown=CHANGES_SHOWN,
            roster_apply=self._roster_apply() if upload.kind == "roster" else None,
        )

    def _roster_apply(self) -> RosterProgress | None:
        """A roster being applied in parts, and how far (one GetItem of the pointer):
        its report says "applied" once its parts are queued, minutes before everyone
        sees it on a large roster."""
        pointer = self.rosters.pointer()
        if pointer.applying is None:
            return None
        done = pointer.settled if pointer.phase == "settling" else pointer.staged
        started = datetime.fromisoformat(pointer.started_at) if pointer.started_at else None
        return RosterProgress(pointer.phase, len(done), pointer.chunks, started)

    # ------------------------------------------------------------------ actions
    def apply(self, view: AdminView, upload_id: str, now: datetime) -> Response[str]:
        upload = self._known(upload_id)
        try:
            self.history.decide(
                upload.id, "applying", view.admin.email, now, stuck_before=self._stuck(upload, now)
            )
        except NotPending:
            return self.pages.redirect(view, f"imports/{upload.id}", "notice=decided")
        try:
            # The same bytes as previewed (If-Match on its ETag), the link's admin as
            # uploader whoever the first upload named, past the guards for what the
            # preview showed only: a file that would now deactivate or cancel anything
            # else (the roster or calendar changed since) waits again, with a new preview.
            self.s3.copy_object(
                Bucket=self.bucket,
                Key=upload.key,
                CopySource={"Bucket": self.bucket, "Key": upload.key},
                CopySourceIfMatch=upload.etag,
                MetadataDirective="REPLACE",
                Metadata={
                    UPLOADER_METADATA: view.admin.email,
                    HISTORY_METADATA: upload.id,
                    PREVIEWED_METADATA: upload.confirms,
                },
            )
        except ClientError as error:
            self.history.undo(upload)
            code = error.response.get("Error", {}).get("Code", "")
            logger.warning("apply refused by S3", extra={"key": upload.key, "code": code})
            # (AccessDenied: this role may not list the bucket, so a file gone is a 403)
            if code not in ("PreconditionFailed", "NoSuchKey", "AccessDenied", "412", "404"):
                raise
            return self.pages.redirect(view, f"imports/{upload.id}", "notice=changed")
        self.activity.record(
            view.admin, Action.APPLY_IMPORT, now, file=upload.file, kind=upload.kind
        )
        return self.pages.redirect(view, f"imports/{upload.id}", "notice=applying")

    def decline(self, view: AdminView, upload_id: str, now: datetime) -> Response[str]:
        upload = self._known(upload_id)
        try:
            self.history.decide(
                upload.id, "declined", view.admin.email, now, stuck_before=self._stuck(upload, now)
            )
        except NotPending:
            return self.pages.redirect(view, f"imports/{upload.id}", "notice=decided")
        self.activity.record(
            view.admin, Action.DECLINE_IMPORT, now, file=upload.file, kind=upload.kind
        )
        return self.pages.redirect(view, f"imports/{upload.id}", "notice=declined")

    # ------------------------------------------------------------------ parts
    def _known(self, upload_id: str) -> Upload:
        upload = self.history.get(upload_id)
        if upload is None:
            raise InvalidToken  # the plain 404, as for any bad link
        return upload

    def _stuck(self, upload: Upload, now: datetime) -> datetime | None:
        """For an upload "applying" for more than STUCK_AFTER whose file was never
        copied (an Apply stopped between its decision and its copy): the instant before
        which its decision may be taken again. None: it is not stuck."""
        if upload.status != "applying" or upload.decided_at is None:
            return None
        if now - upload.decided_at <= STUCK_AFTER:
            return None
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=upload.key)
        except ClientError as error:
            # (403: this role may not list the bucket, so a file gone is a 403)
            if error.response.get("Error", {}).get("Code", "") not in ("403", "404", "NoSuchKey"):
                raise
            return now - STUCK_AFTER  # gone: its Apply will find it changed
        if head.get("Metadata", {}).get(HISTORY_METADATA) == upload.id:
            return None  # copied: its import records the outcome
        return now - STUCK_AFTER

    def _form(self, view: AdminView, kind: str, now: datetime, back_to: str) -> UploadForm:
        folder = f"{kind}/{WEB_FOLDER}/{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}/"
        fields = {
            f"x-amz-meta-{UPLOADER_METADATA}": view.admin.email,
            f"x-amz-meta-{MODE_METADATA}": "preview",
            "success_action_redirect": back_to,
        }
        post = self.s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=folder + "${filename}",
            Fields=fields,
            Conditions=[
                ["starts-with", "$key", folder],
                *({name: value} for name, value in fields.items()),
                ["content-length-range", 1, UPLOAD_LIMIT],
            ],
            ExpiresIn=int(FORM_LIFETIME.total_seconds()),
        )
        return UploadForm(kind, post["url"], dict(post["fields"]))

    def _json(self, key: str, etag: str) -> dict[str, Any] | None:
        """A report or preview the import function wrote for the upload of the file
        whose ETag is `etag` (None: there is none yet; REPLACED: a later file of the same
        name wrote over it)."""
        try:
            obj = self.s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            # This role may not list the bucket: S3 answers 403, not NoSuchKey, for a key
            # that is not there (the preview of a file applied without one, a report past
            # the bucket's lifecycle). It may read every key it asks for: missing.
            if error.response.get("Error", {}).get("Code") not in ("NoSuchKey", "AccessDenied"):
                raise
            return None
        written_for = obj.get("Metadata", {}).get(WRITTEN_FOR_METADATA)
        if written_for is not None and written_for != etag:
            return REPLACED
        if UPLOADER_METADATA in obj.get("Metadata", {}):
            # The upload form may write any key of its folder, reports included, and
            # always with an uploader; the import function writes its reports without
            # one. A report the form wrote is a forgery: never shown as the file's.
            logger.warning("a report not written by the import is ignored", extra={"key": key})
            return None
        found: dict[str, Any] = json.loads(obj["Body"].read())
        # A theme's send date, to be written in the admin's language.
        for changes in found.get("changes", {}).values():
            for change in changes:
                change["on"] = (
                    _date(change.get("detail", "")) if found["kind"] == "calendar" else None
                )
        return found


REPLACED: dict[str, Any] = {}
"""what `_json` gives for a report or preview written for another upload of the file"""
NOTICES = ("applying", "declined", "decided", "changed")
"""what the upload's page says after an action"""


def _from_the_space(key: str) -> bool:
    kind, _, rest = key.partition("/")
    return kind in KINDS and rest.startswith(f"{WEB_FOLDER}/") and len(key) <= 1024


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
