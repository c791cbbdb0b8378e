"""Lazily created, cached AWS clients: nothing opens a client at import time.

Handlers take clients from here and pass them into the domain, so tests and the local
stack reach moto through `AWS_ENDPOINT_URL` with no change to the code.
"""

from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

import boto3
from botocore.client import BaseClient
from botocore.config import Config

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_dynamodbstreams import DynamoDBStreamsClient
    from types_boto3_s3 import S3Client
    from types_boto3_secretsmanager import SecretsManagerClient
    from types_boto3_sesv2 import SESV2Client
    from types_boto3_sqs import SQSClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
# Presigned S3 URLs (the admin report's exports) signed with SigV4, as S3 requires for
# new buckets; botocore would otherwise presign with the legacy SigV2.
_S3 = _CONFIG.merge(Config(signature_version="s3v4"))

# The services Palabre talks to; each gets its typed client from `client`.
type Service = Literal[
    "dynamodb", "dynamodbstreams", "lambda", "s3", "secretsmanager", "ses", "sesv2", "sqs"
]
type ClientHook = Callable[[Service, BaseClient], None]
_hooks: list[ClientHook] = []


class SESClient(Protocol):
    """SES (v1), for the one figure SES v2's GetAccount gives that moto lacks: the send
    rate (there are no SES v1 stubs among the project's types-boto3 packages)."""

    def get_send_quota(self) -> Mapping[str, Any]: ...


class LambdaClient(Protocol):
    """Lambda's Invoke, for the admin space's Retry of parked work (there are no Lambda
    stubs among the project's types-boto3 packages)."""

    def invoke(
        self, *, FunctionName: str, InvocationType: str, Payload: bytes
    ) -> Mapping[str, Any]: ...


@overload
def client(service: Literal["dynamodb"]) -> "DynamoDBClient": ...
@overload
def client(service: Literal["dynamodbstreams"]) -> "DynamoDBStreamsClient": ...
@overload
def client(service: Literal["lambda"]) -> LambdaClient: ...
@overload
def client(service: Literal["s3"]) -> "S3Client": ...
@overload
def client(service: Literal["secretsmanager"]) -> "SecretsManagerClient": ...
@overload
def client(service: Literal["ses"]) -> SESClient: ...
@overload
def client(service: Literal["sesv2"]) -> "SESV2Client": ...
@overload
def client(service: Literal["sqs"]) -> "SQSClient": ...
def client(service: Service) -> Any:
    return _client(service)


@cache
def _session() -> boto3.session.Session:
    """One session for the process, as `boto3.client` has: a new session reads botocore's
    service models and endpoint rules again (megabytes of JSON, a few hundred ms for five
    clients at a cold start, and in each test that makes its clients afresh). Clients
    still read the region and endpoint from the environment when they are made."""
    return boto3.session.Session()


@cache
def _client(service: Service) -> BaseClient:
    made = _session().client(service, config=_S3 if service == "s3" else _CONFIG)
    for hook in _hooks:
        hook(service, made)
    return made


def on_every_client(hook: ClientHook) -> Callable[[], None]:
    """Runs `hook(service, client)` on each client made from now on: how the local stack
    checks IAM and the tests refuse a Scan, on the handlers' own clients. Returns what
    takes the hook off again (clients made meanwhile are forgotten)."""
    _hooks.append(hook)
    _client.cache_clear()

    def remove() -> None:
        if hook in _hooks:
            _hooks.remove(hook)
        _client.cache_clear()

    return remove


def reset() -> None:
    """Forget cached clients (tests switch endpoints and credentials between cases)."""
    _client.cache_clear()


def forget_hooks() -> None:
    """Take every hook off (between tests: each test's stack watches its own clients)."""
    _hooks.clear()
    _client.cache_clear()
