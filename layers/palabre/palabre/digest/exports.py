"""The admin report's CSV exports, downloaded through personal links.

A presigned URL made when the report is sent is signed with the sender's temporary
credentials and dies with them, hours later. The report links `/export/{token}` instead:
a signed link naming the week, the file and the admin, which mints a five-minute
presigned URL when it is clicked — while its reader is still an active admin.
"""

import re
from datetime import datetime
from typing import TYPE_CHECKING

from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.members import MemberStore

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

EXPORT_PREFIX = "exports"
EXPORT_FILES = ("answers", "scores", "participation", "library", "library.html")
"""a name without an extension is a CSV file"""
DOWNLOAD_SECONDS = 300
_WEEK = re.compile(r"\d{4}-W\d{2}")


def file_name(name: str) -> str:
    """An export's file name: `library.html` as it is, `answers` a CSV file."""
    return name if "." in name else f"{name}.csv"


def content_type(name: str) -> str:
    return "text/html; charset=utf-8" if name.endswith(".html") else "text/csv; charset=utf-8"


def export_key(week: str, name: str) -> str:
    return f"{EXPORT_PREFIX}/{week}/{file_name(name)}"


class Exports:
    def __init__(self, members: MemberStore, s3: "S3Client", bucket: str, signer: Signer) -> None:
        self.members = members
        self.s3 = s3
        self.bucket = bucket
        self.signer = signer

    def download_url(self, token: str, now: datetime) -> str:
        """A fresh presigned URL for the file the link names; InvalidToken otherwise
        (forged, expired, another purpose, or its reader is no longer an admin)."""
        claims = self.signer.verify(Purpose.EXPORT, token, now)
        if len(claims.ids) != 3:
            raise InvalidToken
        week, name, member = claims.ids
        if name not in EXPORT_FILES or not _WEEK.fullmatch(week):
            raise InvalidToken
        reader = self.members.recipient(self.signer.member(member, Purpose.EXPORT, week, name))
        if reader is None or not reader.member.is_admin:
            raise InvalidToken
        return self.s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": export_key(week, name),
                "ResponseContentDisposition": (
                    f'attachment; filename="palabre-{week}-{file_name(name)}"'
                ),
            },
            ExpiresIn=DOWNLOAD_SECONDS,
        )
