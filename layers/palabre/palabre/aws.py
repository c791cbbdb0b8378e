"""Lazily created, cached AWS clients: nothing opens a client at import time.

Handlers take clients from here and pass them into the domain, so tests and the local
stack reach moto through `AWS_ENDPOINT_URL` with no change to the code.
"""

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)


def reset() -> None:
    """Forget cached clients (tests switch endpoints and credentials between cases)."""
    client.cache_clear()
