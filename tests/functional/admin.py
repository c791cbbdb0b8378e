"""Reaching the animators' space in tests: an admin's link, and a request as the space's
own pages (or another site's) make it."""

import json
from datetime import datetime
from urllib.parse import urlencode, urlparse

from palabre.core.links import Links
from palabre.core.models import member_id
from palabre.core.tokens import Signer, keys_from_secret
from sam_moto.stack import LocalStack

FORM = "application/x-www-form-urlencoded"


def stack_signer(stack: LocalStack) -> Signer:
    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    return Signer(keys_from_secret(json.loads(secret["SecretString"])))


HOST = "palabre.example"
"""the host the tests' requests reach (their Host header): the space's own origin"""
ORIGIN = f"https://{HOST}"


def public_base_url(stack: LocalStack) -> str:
    return ORIGIN


def admin_path(stack: LocalStack, email: str, issued: datetime | None = None) -> str:
    """The path of `email`'s admin link (their space's home), issued now by default."""
    links = Links(public_base_url(stack), stack_signer(stack))
    return urlparse(links.admin(member_id(email), issued or stack.clock())).path


def admin_get(stack: LocalStack, path: str, query: str = "") -> tuple[int, str]:
    status, _, data = stack.api(
        method="GET", path=path, query=query, headers={"Host": HOST}, body=b""
    )
    return status, data.decode()


def admin_post(
    stack: LocalStack,
    path: str,
    fields: dict[str, str] | None = None,
    *,
    from_origin: str | None = "",
) -> tuple[int, dict[str, str], str]:
    """A form posted from the space's own page (`from_origin` "": the space's origin;
    None: no Origin header at all; else that origin)."""
    headers = {"Content-Type": FORM, "Host": HOST}
    given = ORIGIN if from_origin == "" else from_origin
    if given is not None:
        headers["Origin"] = given
    status, response_headers, data = stack.api(
        method="POST",
        path=path,
        query="",
        headers=headers,
        body=urlencode(fields or {}).encode(),
    )
    return status, dict(response_headers), data.decode()
