"""The history of uploads: one item per file, in a partition of its own, newest first.

An upload is recorded when the import function has read it (previewed, applied,
rejected, refused or waiting for a confirmation); an admin's Apply or Decline moves it on,
each a conditional write on the status it read, so that two clicks do one thing."""

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from palabre.core.retention import expires_at
from palabre.store import keys
from palabre.store.table import ConditionFailed, Table, newest_page

UPLOAD_ID = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{8}")
"""an upload's id: its instant (UTC, to the microsecond) and a random part, safe in a URL"""
PENDING = ("previewed", "needs_confirmation")
"""statuses an admin may still apply or decline"""
PAGE = 25

# What an upload's object and the files written beside it are called: the import
# (imports/uploads.py) writes them, the admin space (admin/imports.py) reads and forms them.
UPLOADER_METADATA = "uploader"
"""who uploaded the file (the admin space's upload form forces the link's admin)"""
MODE_METADATA = "mode"
"""`preview` (the admin space's upload form): say what the file would change, write nothing"""
HISTORY_METADATA = "history"
"""the upload an admin applied from the admin space (its id in the history)"""
PREVIEWED_METADATA = "previewed"
"""what the admin space's Apply confirms: the `confirms` of the preview the admin saw (the
file is held again if it would now deactivate or cancel anything else)"""
WRITTEN_FOR_METADATA = "written-for"
"""on a report or preview: the ETag of the upload it was written for (a later file of the
same name writes over them: the history's page of the former must not show the latter's)"""
REPORT_SUFFIXES = (".report.json", ".report.txt", ".preview.json")


def report_keys(key: str) -> tuple[str, str]:
    """The report of a file's latest import, as JSON and as text, written beside it."""
    return f"{key}.report.json", f"{key}.report.txt"


def preview_key(key: str) -> str:
    """What a file would change, kept beside it once previewed (the report that follows
    an Apply replaces the report, not the preview)."""
    return f"{key}.preview.json"


@dataclass(frozen=True)
class Upload:
    id: str
    key: str
    kind: str
    file: str
    uploader: str
    at: datetime
    status: str
    """previewed, needs_confirmation, applying, applied, rejected, refused or declined"""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: int = 0
    etag: str = ""
    sent_etag: str = ""
    """the file as it was sent (its preview was written for it): an Apply's copy of a
    file sent in parts has another ETag (`etag`, from then on)"""
    """the object as previewed: Apply copies that one, not one put over it since"""
    decided_by: str = ""
    decided_at: datetime | None = None
    confirms: str = ""
    """what Apply confirms: the guarded changes the upload's preview showed (a digest of
    the members it deactivates or the themes it cancels, imports/importer.py)"""

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    @classmethod
    def of(cls, item: dict[str, Any]) -> "Upload":
        decided = item.get("decided_at")
        return cls(
            id=item["SK"],
            key=item["key"],
            kind=item["kind"],
            file=item["file"],
            uploader=item.get("uploader", ""),
            at=datetime.fromisoformat(item["at"]),
            status=item["status"],
            created=int(item.get("created", 0)),
            updated=int(item.get("updated", 0)),
            unchanged=int(item.get("unchanged", 0)),
            deactivated=int(item.get("deactivated", 0)),
            errors=int(item.get("errors", 0)),
            etag=item.get("etag", ""),
            sent_etag=item.get("sent_etag", item.get("etag", "")),
            decided_by=item.get("decided_by", ""),
            decided_at=datetime.fromisoformat(decided) if decided else None,
            confirms=item.get("confirms", ""),
        )


class NotPending(Exception):
    """The upload was applied, declined or refused already (or never existed)."""


class ImportHistory:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(
        self,
        *,
        key: str,
        kind: str,
        file: str,
        uploader: str,
        status: str,
        counts: dict[str, int],
        etag: str,
        now: datetime,
        upload_id: str = "",
        confirms: str = "",
    ) -> str:
        """A new upload's outcome, or (`upload_id`: the one an admin applied) its new
        status. Returns the upload's id.

        Any file may name an upload (its `history` metadata): only the upload of the same
        key that an Apply moved to "applying" takes the outcome; anything else is
        recorded as an upload of its own."""
        figures = {name: int(counts.get(name, 0)) for name in _FIGURES}
        if upload_id:
            try:
                self.table.update(
                    keys.import_upload(upload_id),
                    "SET #s = :status, etag = :etag, confirms = :confirms, "
                    + ", ".join(f"{name} = :{name}" for name in figures),
                    {
                        ":status": status,
                        ":etag": etag,
                        ":confirms": confirms,
                        ":key": key,
                        ":applying": "applying",
                        **{f":{n}": v for n, v in figures.items()},
                    },
                    names={"#s": "status", "#k": "key"},
                    condition="#k = :key AND #s = :applying",
                )
                return upload_id
            except ConditionFailed:
                pass  # gone (expired), or not the upload applied: recorded anew below
        made = f"{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"
        self.table.put(
            {
                **keys.import_upload(made),
                "key": key,
                "kind": kind,
                "file": file,
                "uploader": uploader,
                "at": now.astimezone(UTC).isoformat(),
                "status": status,
                "etag": etag,
                "sent_etag": etag,
                "confirms": confirms,
                "expires_at": expires_at(now, self.table.retention_months),
                **figures,
            }
        )
        return made

    def get(self, upload_id: str) -> Upload | None:
        if not UPLOAD_ID.fullmatch(upload_id):
            return None
        item = self.table.get(keys.import_upload(upload_id), consistent=True)
        return Upload.of(item) if item else None

    def latest(self, before: str = "", limit: int = PAGE) -> tuple[list[Upload], str]:
        """A page of uploads, newest first, and the id the next page starts before ("":
        none)."""
        items, more = newest_page(self.table, keys.IMPORTS, before, limit)
        page = [Upload.of(i) for i in items]
        return page, page[-1].id if more and page else ""

    def decide(
        self,
        upload_id: str,
        status: str,
        admin: str,
        now: datetime,
        *,
        stuck_before: datetime | None = None,
    ) -> Upload:
        """An admin applies ("applying") or declines ("declined") a pending upload: once.
        `stuck_before`: an upload an Apply moved to "applying" before then is taken too
        (the caller knows its file was never copied: that Apply stopped short)."""
        values = {
            ":status": status,
            ":admin": admin,
            ":at": now.astimezone(UTC).isoformat(),
            ":previewed": PENDING[0],
            ":waiting": PENDING[1],
        }
        condition = "#s IN (:previewed, :waiting)"
        if stuck_before is not None:
            condition += " OR (#s = :applying AND decided_at < :stuck)"
            values |= {":applying": "applying", ":stuck": stuck_before.astimezone(UTC).isoformat()}
        try:
            item = self.table.update(
                keys.import_upload(upload_id),
                "SET #s = :status, decided_by = :admin, decided_at = :at",
                values,
                names={"#s": "status"},
                condition=condition,
                returns="ALL_NEW",
            )
        except ConditionFailed:
            raise NotPending(upload_id) from None
        return Upload.of(item)

    def undo(self, upload: Upload) -> None:
        """An Apply whose copy failed: the upload is pending again, as it was (previewed,
        if it was taken stuck in "applying")."""
        self.table.update(
            keys.import_upload(upload.id),
            "SET #s = :status REMOVE decided_by, decided_at",
            {":status": upload.status if upload.pending else PENDING[0], ":applying": "applying"},
            names={"#s": "status"},
            condition="#s = :applying",
        )


_FIGURES = ("created", "updated", "unchanged", "deactivated", "errors")
