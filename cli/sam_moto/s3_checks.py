"""What S3 checks and moto 5.2.5 does not.

A copy's `x-amz-copy-source-if-match` (CopySourceIfMatch): moto copies whatever the source
is; S3 refuses (412 PreconditionFailed) when its ETag is not the one given.

S3's browser uploads (an HTML form POSTed straight to a bucket), checked as S3 checks
them. moto stores whatever a form posts: no signature, no expiry, no condition of
the policy is looked at, so a page that hands out an upload form could not be tested for
what the form allows. Here, as S3 documents it (RFC-like rules of "Creating a POST
policy"):

- the form carries a policy and its signature (SigV4: `x-amz-credential`,
  `x-amz-signature`; or the legacy SigV2: `AWSAccessKeyId`, `signature`), made with the
  secret of the access key it names (the local stack's, in the environment);
- the policy has not expired (the machine's clock: botocore signs with it too);
- every condition holds (`eq`, `starts-with`, `content-length-range`, `{name: value}`),
  and every field of the form but the exempt ones is named by a condition.

Anything else is refused as S3 refuses it: 403 AccessDenied, nothing stored.
"""

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlparse

_installed = False

EXEMPT = {"policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"}
"""fields S3 does not ask the policy to name (besides x-ignore-*)"""


class Refused(Exception):
    """Why S3 would refuse the form."""


def check(form: dict[str, str], size: int, now: datetime, secrets: dict[str, str]) -> None:
    """Raises Refused unless S3 would accept the form (`secrets`: access key -> secret)."""
    fields = {k.lower(): v for k, v in form.items()}
    encoded = fields.get("policy", "")
    if not encoded:
        raise Refused("Bucket POST must contain a field named 'policy'.")
    _signature(fields, encoded, secrets)
    try:
        policy = json.loads(base64.b64decode(encoded))
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
        conditions = policy["conditions"]
    except (ValueError, KeyError, TypeError):
        raise Refused("Invalid Policy: Invalid JSON.") from None
    if expiration <= now:
        raise Refused("Invalid according to Policy: Policy expired.")
    named = {"bucket"}
    for condition in conditions:
        named.add(_holds(condition, fields, size))
    extra = sorted(
        name
        for name in fields
        if name not in EXEMPT and name not in named and not name.startswith("x-ignore-")
    )
    if extra:
        raise Refused(f"Invalid according to Policy: Extra input fields: {extra[0]}")


def _holds(condition: Any, fields: dict[str, str], size: int) -> str:
    """The field a condition names, once it holds."""
    if isinstance(condition, dict) and len(condition) == 1:
        [(name, value)] = condition.items()
        operator, field, expected = "eq", f"${name}", value
    elif isinstance(condition, list) and len(condition) == 3:
        operator, field, expected = condition
    else:
        raise Refused("Invalid Policy: Invalid Condition.")
    if operator == "content-length-range":
        if not int(field) <= size <= int(expected):
            raise Refused(
                "Your proposed upload exceeds the maximum allowed size."
                if size > int(expected)
                else "Your proposed upload is smaller than the minimum allowed size."
            )
        return ""
    name = str(field).lstrip("$").lower()
    given = fields.get(name, "")
    if name == "bucket":
        return name  # the bucket is the URL's: moto routed the request there
    if (operator == "eq" and given != expected) or (
        operator == "starts-with" and not given.startswith(str(expected))
    ):
        raise Refused(
            "Invalid according to Policy: Policy Condition failed: "
            f'["{operator}", "${name}", "{expected}"]'
        )
    return name


def _signature(fields: dict[str, str], encoded: str, secrets: dict[str, str]) -> None:
    if "x-amz-signature" in fields:
        credential = fields.get("x-amz-credential", "").split("/")
        if len(credential) != 5:
            raise Refused("Invalid according to Policy: bad x-amz-credential.")
        key, day, region, service, _ = credential
        secret = secrets.get(key)
        if secret is None:
            raise Refused("The AWS Access Key Id you provided does not exist in our records.")
        signing = f"AWS4{secret}".encode()
        for part in (day, region, service, "aws4_request"):
            signing = hmac.new(signing, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(signing, encoded.encode(), hashlib.sha256).hexdigest()
        given = fields["x-amz-signature"]
    else:
        secret = secrets.get(fields.get("awsaccesskeyid", ""))
        if secret is None:
            raise Refused("The AWS Access Key Id you provided does not exist in our records.")
        expected = base64.b64encode(
            hmac.new(secret.encode(), encoded.encode(), hashlib.sha1).digest()
        ).decode()
        given = fields.get("signature", "")
    if not hmac.compare_digest(expected, given):
        raise Refused(
            "The request signature we calculated does not match the signature you provided."
        )


def _secrets() -> dict[str, str]:
    """The access keys that may sign: the local stack's functions' (stack.CREDENTIALS),
    and the environment's (moto's own under mock_aws)."""
    from sam_moto.stack import CREDENTIALS

    found = {CREDENTIALS["AWS_ACCESS_KEY_ID"]: CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    return found | ({key: secret} if key and secret else {})


def install() -> None:
    """Checks every POST upload and conditional copy moto's S3 receives, once per
    process."""
    global _installed
    if _installed:
        return
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_post

    def checked(self: Any, request: Any, bucket_name: str) -> Any:
        self.path = self._get_path(request)
        if self.is_delete_keys() or not request.headers.get("Content-Length"):
            return original(self, request, bucket_name)
        raw = self.raw_body if isinstance(self.raw_body, bytes) else str(self.raw_body).encode()
        try:
            check(dict(self.form_data.items()), len(raw), datetime.now(UTC), _secrets())
        except Refused as refused:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                f"<Message>{_xml(str(refused))}</Message></Error>"
            )
            return 403, {"Content-Type": "application/xml"}, body
        return original(self, request, bucket_name)

    copy = S3Response.copy_object

    def copy_if_match(self: Any) -> Any:
        wanted = self.headers.get("x-amz-copy-source-if-match")
        if wanted:
            from moto.s3.exceptions import PreconditionFailed

            source = urlparse(str(self.headers.get("x-amz-copy-source", "")))
            bucket, key = unquote(source.path).lstrip("/").split("/", 1)
            found = self.backend.get_object(bucket, key)
            if found is None or found.etag.strip('"') != wanted.strip('"'):
                raise PreconditionFailed(failed_condition="x-amz-copy-source-If-Match")
        return copy(self)

    S3Response._bucket_response_post = checked  # type: ignore[method-assign]
    S3Response.copy_object = copy_if_match  # type: ignore[method-assign]
    _installed = True


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
