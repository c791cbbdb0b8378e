"""A person's data, exported (GDPR Art. 15 and 20) and erased (Art. 17).

`PersonalData` is what `palabre member export|erase` runs, and what an admin-space button
can run later: it reads the table through the person's keys and the indexes
(store/privacy.py) and lists the bucket's versions (privacy/files.py).
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from palabre.core.models import member_id
from palabre.core.text import is_email
from palabre.privacy.files import Traces, mentions, read, scrubbed, versions
from palabre.store.privacy import Holdings, PrivacyStore
from palabre.store.table import Item, Table

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

EXPORT_FORMAT = 1


class NotAnAddress(ValueError):
    def __init__(self, address: str) -> None:
        super().__init__(f"{address!r} is not an email address: nothing was read or changed")


class UnknownPerson(LookupError):
    def __init__(self, address: str) -> None:
        super().__init__(
            f"Palabre holds nothing about {address} and has erased no one with this "
            "address: nothing was changed"
        )


class NotErased(UnknownPerson):
    def __init__(self, address: str) -> None:
        LookupError.__init__(self, f"{address} was never erased: nothing was changed")


@dataclass
class Erasure:
    member_id: str
    erased_at: str
    removed: dict[str, int] = field(default_factory=dict)
    rewritten: list[str] = field(default_factory=list)
    """bucket objects rewritten without the person (a new version; the old ones deleted)"""
    deleted: list[str] = field(default_factory=list)
    """bucket object versions deleted, as key@version"""
    again: bool = False
    """the person had been erased before (this run removed what was left, if anything)"""


class PersonalData:
    def __init__(self, table: Table, s3: "S3Client", bucket: str) -> None:
        self.store = PrivacyStore(table)
        self.s3 = s3
        self.bucket = bucket

    def export(self, address: str, now: datetime) -> dict[str, Any]:
        """Everything Palabre holds about the person, as one JSON document. Files that
        mention them are listed, not copied: a roster or a digest holds other people too."""
        address = _address(address)
        held = self.store.holdings(member_id(address), now.date())
        if held.empty and held.erasure is None:
            raise UnknownPerson(address)
        traces = _traces(address, held)
        files = []
        for version in versions(self.s3, self.bucket):
            if mentions(traces, read(self.s3, self.bucket, version)):
                files.append({"key": version.key, "version": version.version_id})
        return {
            "format": EXPORT_FORMAT,
            "exported_at": now.isoformat(),
            "address": address,
            "member_id": held.member_id,
            "profile_and_state": [_plain(i) for i in held.own],
            "prompts": [_plain(i) for i in held.prompts],
            "live_sessions": [_plain(i) for i in held.sessions],
            "answers": [_plain(i) for i in held.answers],
            "questions": [_plain(i) for i in held.questions],
            "votes_cast": [_plain(i) for i in held.votes_cast],
            "votes_received": [_plain(i) for i in held.votes_received],
            "weekly_emails": [_plain(i) for i in held.weekly],
            "erasure": _plain(held.erasure) if held.erasure else None,
            "files": files,
        }

    def erase(self, address: str, now: datetime) -> Erasure:
        """Removes the person's address, names and words from the table and the bucket,
        keeps the anonymous counts, and records the erasure under their id. Safe to run
        again; an address never seen is refused, and nothing is changed."""
        address = _address(address)
        mid = member_id(address)
        held = self.store.holdings(mid, now.date())
        if held.empty and held.erasure is None:
            raise UnknownPerson(address)
        traces = _traces(address, held)
        done = Erasure(mid, now.isoformat(), again=held.erasure is not None)
        # The bucket first: the table's items are what tells which words are theirs.
        self._erase_files(traces, done)
        done.removed = self.store.erase(held, now)
        return done

    def unerase(self, address: str) -> dict[str, Any]:
        """The person rejoined and agreed: a roster may list them again. Their erasure
        record is removed and returned (for the operator to keep with the agreement); an
        address never erased is refused."""
        record = self.store.lift(member_id(_address(address)))
        if record is None:
            raise NotErased(address)
        return {"unerased": _plain(record)}

    def _erase_files(self, traces: Traces, done: Erasure) -> None:
        for version in list(versions(self.s3, self.bucket)):
            stored = read(self.s3, self.bucket, version)
            if not mentions(traces, stored):
                continue
            clean = scrubbed(version.key, stored.data, traces) if version.latest else None
            if clean is not None and not mentions(traces, replace(stored, data=clean)):
                written = self.s3.put_object(
                    Bucket=self.bucket,
                    Key=version.key,
                    Body=clean,
                    ContentType=stored.content_type,
                    Metadata=stored.metadata,
                )
                done.rewritten.append(version.key)
                if written.get("VersionId", "null") == "null":
                    continue  # an unversioned bucket: the file was replaced in place
            self.s3.delete_object(Bucket=self.bucket, Key=version.key, VersionId=version.version_id)
            done.deleted.append(f"{version.key}@{version.version_id}")


def _address(address: str) -> str:
    folded = address.strip().casefold()
    if not is_email(folded):
        raise NotAnAddress(address)
    return folded


def _traces(address: str, held: Holdings) -> Traces:
    asked = {str(q["PK"]).removeprefix("THEME#") for q in held.questions}
    return Traces(
        address=address,
        member_id=held.member_id,
        texts=frozenset(held.texts()),
        names=frozenset(held.names()),
        questions=frozenset(asked),
    )


def _plain(item: Item) -> dict[str, Any]:
    """An item as JSON holds it: sets as sorted lists."""
    return {k: sorted(v) if isinstance(v, set) else v for k, v in sorted(item.items())}
