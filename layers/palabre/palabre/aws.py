"""Lazily created, cached AWS clients: nothing opens a client at import time.

Handlers take clients from here and pass them into the domain, so tests and the local
stack reach moto through `AWS_ENDPOINT_URL` with no change to the code.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
# Presigned S3 URLs (the admin report's exports) signed with SigV4, as S3 requires for
# new buckets; botocore would otherwise presign with the legacy SigV2.
_S3 = _CONFIG.merge(Config(signature_version="s3v4"))

type ClientHook = Callable[[str, Any], None]
_hooks: list[ClientHook] = []


@cache
def client(service: str) -> Any:
    made = boto3.session.Session().client(service, config=_S3 if service == "s3" else _CONFIG)
    for hook in _hooks:
        hook(service, made)
    return made


def on_every_client(hook: ClientHook) -> Callable[[], None]:
    """Runs `hook(service, client)` on each client made from now on: how the local stack
    checks IAM and the tests refuse a Scan, on the handlers' own clients. Returns what
    takes the hook off again (clients made meanwhile are forgotten)."""
    _hooks.append(hook)
    client.cache_clear()

    def remove() -> None:
        if hook in _hooks:
            _hooks.remove(hook)
        client.cache_clear()

    return remove


def reset() -> None:
    """Forget cached clients (tests switch endpoints and credentials between cases)."""
    client.cache_clear()


def forget_hooks() -> None:
    """Take every hook off (between tests: each test's stack watches its own clients)."""
    _hooks.clear()
    client.cache_clear()
