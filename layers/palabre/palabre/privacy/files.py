"""A person's traces in the uploads bucket: found, and erased.

The bucket is versioned, so erasing means every version, not just the current one: each
version of each object is read (an operator's command lists the bucket: there is no
index of who a file mentions). What is found is handled by kind:

- a week's digest editions and admin report (`digests/<week>/*.json`) are rewritten
  without the person's answers, name, address and questions' words;
- a week's CSV exports (`exports/<week>/*.csv`) are rewritten without their rows;
- anything else that mentions them — a roster file (it lists every address), a file's
  import report, a calendar they uploaded (its metadata names the uploader), the printable
  library page, an admin's export under `downloads/` (an .xlsx is read unpacked) — is
  deleted: these are inputs whose data lives in the table, or files the next week's
  export or the next click rebuilds.

A shared file loses the person's lines, and, where they were shown among anonymous
answers, the theme's anonymous answers too: fewer answers around them would weaken their
anonymity (core/attribution.py's rule), and a file cannot be rebuilt here.
"""

import csv
import html
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

from palabre.store.privacy import ERASED, ERASED_TITLE

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

ANONYMOUS = "anonymous"
BOM = "\ufeff"


@dataclass(frozen=True)
class Traces:
    """What identifies a person in a file."""

    address: str
    member_id: str
    texts: frozenset[str]
    names: frozenset[str]
    questions: frozenset[str]
    """the ids of the questions they asked"""

    def found_in(self, data: bytes) -> bool:
        """Their address, name or words, in a file as it is stored (HTML- or XML-escaped
        too; an .xlsx unpacked)."""
        text = _unpacked(data).decode("utf-8", errors="replace").casefold()
        needles = {self.address, *self.names, *self.texts}
        return any(
            n.casefold() in text
            or html.escape(n).casefold() in text
            or xml_escape(n).casefold() in text
            for n in needles
            if n
        )


def _unpacked(data: bytes) -> bytes:
    """A file's bytes where its words can be read: an .xlsx (an admin's export under
    downloads/, a zip archive of XML parts) unpacked, anything else as it is."""
    if not data.startswith(b"PK\x03\x04"):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    except zipfile.BadZipFile:
        return data


@dataclass(frozen=True)
class Version:
    key: str
    version_id: str
    latest: bool


def versions(s3: "S3Client", bucket: str) -> Iterator[Version]:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            yield Version(v["Key"], v.get("VersionId") or "null", bool(v.get("IsLatest")))


@dataclass(frozen=True)
class Stored:
    data: bytes
    metadata: dict[str, str]
    content_type: str


def read(s3: "S3Client", bucket: str, version: Version) -> Stored:
    found = s3.get_object(Bucket=bucket, Key=version.key, VersionId=version.version_id)
    return Stored(
        found["Body"].read(),
        dict(found.get("Metadata", {})),
        found.get("ContentType", "binary/octet-stream"),
    )


def mentions(traces: Traces, stored: Stored) -> bool:
    return traces.found_in(stored.data) or traces.found_in(json.dumps(stored.metadata).encode())


def scrubbed(key: str, data: bytes, traces: Traces) -> bytes | None:
    """The file without the person (None: it cannot be rewritten, delete it)."""
    if key.startswith("digests/") and key.endswith(".json"):
        content = scrub_json(json.loads(data), traces)
        return json.dumps(content, ensure_ascii=False).encode()
    if key.startswith("exports/") and key.endswith(".csv"):
        return scrub_csv(data, traces)
    return None


# ---------------------------------------------------------------------------- JSON
def scrub_json(value: Any, traces: Traces) -> Any:
    if isinstance(value, list):
        kept = [v for v in value if not _theirs(v, traces)]
        if len(kept) < len(value) and any(_anonymous(v) for v in kept):
            kept = [v for v in kept if not _anonymous(v)]
        return [scrub_json(v, traces) for v in kept]
    if isinstance(value, dict):
        cleaned = {k: scrub_json(v, traces) for k, v in value.items()}
        if cleaned.get("asker") == traces.member_id or (
            "asker_name" in cleaned and cleaned.get("id") in traces.questions
        ):
            blank = {"asker_name": "", "prompt": "", "prompt_html": "", "title": ERASED_TITLE}
            cleaned |= {k: v for k, v in blank.items() if k in cleaned}
            if "asker" in cleaned:
                cleaned["asker"] = ERASED
        return cleaned
    return value


def _theirs(value: Any, traces: Traces) -> bool:
    if not isinstance(value, dict):
        return False
    return (
        traces.member_id in (value.get("author_id"), value.get("member_id"))
        or str(value.get("email", "")).casefold() == traces.address
        or str(value.get("text", "")) in traces.texts
    )


def _anonymous(value: Any) -> bool:
    return isinstance(value, dict) and value.get("attribution") == ANONYMOUS


# ---------------------------------------------------------------------------- CSV
def scrub_csv(data: bytes, traces: Traces) -> bytes:
    """Rows without theirs, and without the anonymous rows of a theme that lost one; the
    cells as they were written (already made safe for a spreadsheet), with the file's
    own separator (palabre.spreadsheets: `;` for a French organisation, `,` otherwise)."""
    text = data.decode("utf-8").removeprefix(BOM)
    separator = ";" if ";" in text.partition("\n")[0] else ","  # our headers hold neither
    rows = list(csv.reader(io.StringIO(text), delimiter=separator))
    if not rows:
        return data
    header, body = rows[0], rows[1:]
    theme = header.index("theme") if "theme" in header else 0
    lost = {row[theme] for row in body if _their_row(row, traces)}
    kept = [
        row
        for row in body
        if not _their_row(row, traces) and not (row[theme] in lost and ANONYMOUS in row)
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerows([header, *kept])
    return (BOM + buffer.getvalue()).encode("utf-8")


def _their_row(row: list[str], traces: Traces) -> bool:
    cells = {c.removeprefix("'") for c in row} | set(row)
    return bool(
        cells & traces.texts
        or traces.member_id in cells
        or any(c.casefold() == traces.address for c in row)
    )
