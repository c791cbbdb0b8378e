"""The import lock: one import of a kind at a time, never an older file after a newer one."""

from datetime import UTC, datetime, timedelta

from palabre.store import keys
from palabre.store.table import ConditionFailed, Table

LOCK_SECONDS = 900


class ImportBusy(Exception):
    """Another import of the same kind is running; the invocation is retried later."""


class Superseded(Exception):
    """A file of the same kind uploaded later was imported already: this older one, come
    late (a retry after ImportBusy, or events delivered out of order), must not undo it."""

    def __init__(self, newer: datetime) -> None:
        super().__init__(newer.isoformat())
        self.newer = newer


class ImportLock:
    """One import of a kind at a time: two at once could each deactivate the other's rows.

    The lock item stays once released, holding the upload time of the last file imported,
    so that an older file that comes late is refused (Superseded) rather than applied."""

    def __init__(self, table: Table, kind: str, now: datetime, uploaded: datetime | None) -> None:
        self.table = table
        self.key = keys.lock(f"import-{kind}")
        self.now = now
        self.uploaded = uploaded.astimezone(UTC).isoformat() if uploaded else None
        self._applied = False

    def __enter__(self) -> "ImportLock":
        expires = int((self.now + timedelta(seconds=LOCK_SECONDS)).timestamp())
        values: dict[str, object] = {":expires": expires, ":now": int(self.now.timestamp())}
        condition = "(attribute_not_exists(lease_until) OR lease_until < :now)"
        if self.uploaded:
            values[":uploaded"] = self.uploaded
            condition += " AND (attribute_not_exists(uploaded) OR uploaded <= :uploaded)"
        try:
            self.table.update(self.key, "SET lease_until = :expires", values, condition=condition)
        except ConditionFailed as failed:
            found = failed.item or {}
            if int(found.get("lease_until", 0)) >= int(self.now.timestamp()):
                raise ImportBusy(self.key["SK"]) from None
            raise Superseded(datetime.fromisoformat(found["uploaded"])) from None
        return self

    def applied(self) -> None:
        """The file was written: once released, an older one changes nothing. (A file
        that waits for a confirmation was not: an older one may still come.)"""
        self._applied = True

    def __exit__(self, *exc: object) -> None:
        if self._applied and self.uploaded:
            self.table.update(
                self.key,
                "SET lease_until = :released, uploaded = :uploaded",
                {":released": 0, ":uploaded": self.uploaded},
            )
        else:
            self.table.update(self.key, "SET lease_until = :released", {":released": 0})
