"""IAM, as AWS evaluates a function's role, for the calls moto lets through unchecked.

A role is its statements (the template's inline policies as SAM expands them, and the few
AWS managed policies SAM attaches, written out below). A call is turned into the requests
AWS authorises it as — action, resource ARN, condition keys — and each request is allowed
only if a statement allows it and none denies it. moto checks no IAM: this is what makes a
missing permission fail a test rather than a deploy.

Why not a library: moto's own IAM check (INITIAL_NO_AUTH_ACTION_COUNT) knows actions and
resources of users' access keys, not a Lambda role's resources, DynamoDB's leading keys or
S3's 403 for a missing key without s3:ListBucket.
"""

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

type Context = Mapping[str, tuple[str, ...]]


class UnsupportedPolicy(Exception):
    """A statement the emulation cannot evaluate faithfully (an operator or element it does
    not know): better to stop than to allow or refuse by guess."""


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Context = field(default_factory=dict)

    def __str__(self) -> str:
        keys = ", ".join(f"{k}={list(v)}" for k, v in self.context.items())
        return f"{self.action} on {self.resource}" + (f" ({keys})" if keys else "")


def _equals(value: str, pattern: str) -> bool:
    return value == pattern


# Condition operators: how one request value matches one policy value.
_MATCH: Mapping[str, Callable[[str, str], bool]] = {
    "StringEquals": _equals,
    "StringLike": fnmatch.fnmatchcase,
}


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """(operator, key, values)"""
    origin: str = ""
    """where it comes from (the policy's name), for messages"""

    @classmethod
    def parse(cls, raw: Mapping[str, Any], origin: str) -> "Statement":
        unknown = set(raw) - {"Sid", "Effect", "Action", "Resource", "Condition"}
        if unknown:
            raise UnsupportedPolicy(f"{origin}: {sorted(unknown)} are not emulated")
        conditions = []
        for operator, tests in raw.get("Condition", {}).items():
            _, _, base = operator.rpartition(":")
            if base not in _MATCH or operator.split(":")[0] not in (
                base,
                "ForAllValues",
                "ForAnyValue",
            ):
                raise UnsupportedPolicy(f"{origin}: condition {operator} is not emulated")
            for key, values in tests.items():
                conditions.append((operator, key.lower(), tuple(_strings(values))))
        return cls(
            effect=raw["Effect"],
            actions=tuple(a.lower() for a in _strings(raw["Action"])),
            resources=tuple(_strings(raw["Resource"])),
            conditions=tuple(conditions),
            origin=origin,
        )

    def action_matching(self, action: str) -> str | None:
        """The statement's action pattern that covers `action`, if any."""
        return next((a for a in self.actions if fnmatch.fnmatchcase(action.lower(), a)), None)

    def applies(self, request: Request) -> bool:
        return (
            self.action_matching(request.action) is not None
            and any(_arn_like(request.resource, r) for r in self.resources)
            and all(self._holds(*condition, request.context) for condition in self.conditions)
        )

    @staticmethod
    def _holds(operator: str, key: str, patterns: tuple[str, ...], context: Context) -> bool:
        match = _MATCH[operator.rpartition(":")[2]]
        values = {k.lower(): v for k, v in context.items()}.get(key)
        if operator.startswith("ForAllValues:"):
            # As AWS: true when the request has no such key (pair it with another test if
            # that matters); every value must match one of the patterns.
            return all(any(match(v, p) for p in patterns) for v in values or ())
        if values is None:
            return False
        # StringEquals/StringLike on a single-valued key, ForAnyValue on a multivalued one
        return any(match(v, p) for v in values for p in patterns)


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]

    def allowing(self, request: Request) -> Statement | None:
        """The statement that allows the request, or None (no Allow, or a Deny)."""
        applicable = [s for s in self.statements if s.applies(request)]
        if any(s.effect == "Deny" for s in applicable):
            return None
        return next((s for s in applicable if s.effect == "Allow"), None)

    def allows(self, request: Request) -> bool:
        return self.allowing(request) is not None


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _arn_like(arn: str, pattern: str) -> bool:
    # IAM's ArnLike: * and ? within the whole ARN (a * crosses ':' and '/')
    return fnmatch.fnmatchcase(arn, pattern)


# The AWS managed policies SAM attaches to the roles it makes, as AWS publishes them.
# An unknown one stops the stack: its permissions cannot be guessed.
MANAGED: Mapping[str, tuple[dict[str, Any], ...]] = {
    "AWSLambdaBasicExecutionRole": (
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        },
    ),
    "AWSXrayWriteOnlyAccess": (
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        },
    ),
    "AWSLambdaSQSQueueExecutionRole": (
        {
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        },
    ),
    "AWSLambdaDynamoDBExecutionRole": (
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        },
    ),
}


def role_policy(inline: Iterable[Mapping[str, Any]], managed_arns: Iterable[str]) -> Policy:
    """A role's statements: its inline policies (already resolved) and its managed ones."""
    statements: list[Statement] = []
    for policy in inline:
        raw = policy["PolicyDocument"]["Statement"]
        for item in [raw] if isinstance(raw, dict) else raw:
            statements.append(Statement.parse(item, policy.get("PolicyName", "inline")))
    for arn in managed_arns:
        name = arn.rpartition("/")[2]
        if name not in MANAGED:
            raise UnsupportedPolicy(f"managed policy {arn} is not known to the local stack")
        statements.extend(Statement.parse(s, name) for s in MANAGED[name])
    return Policy(tuple(statements))


# ---------------------------------------------------------------- calls -> requests
@dataclass(frozen=True)
class Resources:
    """What turns a call's parameters into ARNs: the stack's region and account, and each
    table's partition key attribute (of the table, and of each index)."""

    region: str
    account: str
    partition_keys: Mapping[str, Mapping[str | None, str]] = field(default_factory=dict)
    """table name -> index name (None: the table) -> partition key attribute"""
    secrets: tuple[str, ...] = ()
    """secret ARNs, to find one named by its name"""

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


_DYNAMO_ITEM = {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
_TRANSACT |= {"ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def dynamodb_requests(operation: str, params: Mapping[str, Any], res: Resources) -> list[Request]:
    if operation in _DYNAMO_ITEM:
        key = params.get("Key") or params.get("Item") or {}
        return [_item_request(operation, params["TableName"], [key], res)]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            _item_request(
                _TRANSACT[kind], body["TableName"], [body.get("Key") or body["Item"]], res
            )
            for item in params.get("TransactItems", [])
            for kind, body in item.items()
        ]
    if operation == "BatchGetItem":
        return [
            _item_request(operation, table, request["Keys"], res)
            for table, request in params.get("RequestItems", {}).items()
        ]
    if operation == "BatchWriteItem":
        return [
            _item_request(
                operation,
                table,
                [w.get("PutRequest", {}).get("Item") or w["DeleteRequest"]["Key"] for w in writes],
                res,
            )
            for table, writes in params.get("RequestItems", {}).items()
        ]
    if operation in ("Query", "Scan"):
        table, index = params["TableName"], params.get("IndexName")
        resource = res.arn("dynamodb", f"table/{table}" + (f"/index/{index}" if index else ""))
        context: dict[str, tuple[str, ...]] = {}
        leading = _query_partition(params, res.partition_keys.get(table, {}).get(index))
        if leading is not None:
            context["dynamodb:LeadingKeys"] = (leading,)
        return [Request(f"dynamodb:{operation}", resource, context)]
    table = params.get("TableName", "*")
    return [Request(f"dynamodb:{operation}", res.arn("dynamodb", f"table/{table}"))]


def _item_request(
    operation: str, table: str, keys: list[Mapping[str, Any]], res: Resources
) -> Request:
    attribute = res.partition_keys.get(table, {}).get(None, "")
    leading = tuple(sorted({_scalar(k[attribute]) for k in keys if attribute in k}))
    context = {"dynamodb:LeadingKeys": leading} if leading else {}
    return Request(f"dynamodb:{operation}", res.arn("dynamodb", f"table/{table}"), context)


def _scalar(value: Mapping[str, Any]) -> str:
    return str(next(iter(value.values())))


def _query_partition(params: Mapping[str, Any], attribute: str | None) -> str | None:
    """The partition key value a Query names (`#pk = :pk` in its key condition)."""
    if attribute is None or "KeyConditionExpression" not in params:
        return None
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    for clause in re.split(r"\s+AND\s+", params["KeyConditionExpression"], flags=re.I):
        left, equals, right = (p.strip() for p in clause.partition("="))
        if equals and names.get(left, left) == attribute and right in values:
            return _scalar(values[right])
    return None


# SQS: batch calls are authorised as their single action.
_SQS_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def sqs_requests(operation: str, params: Mapping[str, Any], res: Resources) -> list[Request]:
    action = f"sqs:{_SQS_ACTIONS.get(operation, operation)}"
    if "QueueUrl" in params:
        name = urlparse(params["QueueUrl"]).path.rstrip("/").rpartition("/")[2]
    else:
        name = params.get("QueueName") or params.get("QueueNamePrefix", "") + "*"
    account = params.get("QueueOwnerAWSAccountId") or res.account
    return [Request(action, f"arn:aws:sqs:{res.region}:{account}:{name}")]


_S3_OBJECT = {
    "GetObject": "GetObject",
    "HeadObject": "GetObject",
    "PutObject": "PutObject",
    "DeleteObject": "DeleteObject",
    "GetObjectTagging": "GetObjectTagging",
}
_S3_BUCKET = {"ListObjects": "ListBucket", "ListObjectsV2": "ListBucket"}


def s3_requests(operation: str, params: Mapping[str, Any], res: Resources) -> list[Request]:
    bucket = params.get("Bucket", "*")
    if operation in _S3_OBJECT:
        action = _S3_OBJECT[operation]
        if params.get("VersionId") and action == "GetObject":
            action = "GetObjectVersion"
        return [Request(f"s3:{action}", f"arn:aws:s3:::{bucket}/{params['Key']}")]
    if operation == "CopyObject":
        source = params["CopySource"]
        source = (
            f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else source
        ).lstrip("/")
        return [
            Request("s3:GetObject", f"arn:aws:s3:::{source}"),
            Request("s3:PutObject", f"arn:aws:s3:::{bucket}/{params['Key']}"),
        ]
    context = {"s3:prefix": (params["Prefix"],)} if "Prefix" in params else {}
    action = _S3_BUCKET.get(operation, operation)
    return [Request(f"s3:{action}", f"arn:aws:s3:::{bucket}", context)]


def list_bucket(bucket: str) -> Request:
    """What S3 checks before it says a key does not exist: without it, 403, not 404."""
    return Request("s3:ListBucket", f"arn:aws:s3:::{bucket}")


_ADDRESS = re.compile(r"<([^>]+)>\s*$")


def ses_requests(operation: str, params: Mapping[str, Any], res: Resources) -> list[Request]:
    """SESv2 SendEmail is authorised on the sending identity and on the configuration set
    it names, each with the From address as ses:FromAddress. The identity is the address
    itself (the local stack verifies the address, not its domain)."""
    if operation != "SendEmail":
        return [Request(f"ses:{operation}", res.arn("ses", "*"))]
    sender = str(params.get("FromEmailAddress", ""))
    match = _ADDRESS.search(sender)
    address = match.group(1) if match else sender.strip()
    context = {"ses:FromAddress": (address,)}
    requests = [Request("ses:SendEmail", res.arn("ses", f"identity/{address}"), context)]
    if "ConfigurationSetName" in params:
        configuration = res.arn("ses", f"configuration-set/{params['ConfigurationSetName']}")
        requests.append(Request("ses:SendEmail", configuration, context))
    return requests


def secretsmanager_requests(
    operation: str, params: Mapping[str, Any], res: Resources
) -> list[Request]:
    secret = str(params.get("SecretId", "*"))
    if not secret.startswith("arn:"):
        named = [a for a in res.secrets if a.rpartition(":")[2].rpartition("-")[0] == secret]
        secret = named[0] if named else res.arn("secretsmanager", f"secret:{secret}")
    return [Request(f"secretsmanager:{operation}", secret)]


def streams_requests(operation: str, params: Mapping[str, Any], res: Resources) -> list[Request]:
    """DynamoDB Streams' calls are authorised as dynamodb:<operation> on the stream's ARN,
    which a shard iterator starts with (`<stream arn>|1|<opaque>`)."""
    stream = params.get("StreamArn") or str(params.get("ShardIterator", "*")).split("|")[0]
    return [Request(f"dynamodb:{operation}", stream)]


def lambda_requests(operation: str, params: Mapping[str, Any], res: Resources) -> list[Request]:
    """Invoke is authorised as lambda:InvokeFunction on the function's ARN (named by
    its name, its ARN, or a qualified ARN)."""
    action = "InvokeFunction" if operation in ("Invoke", "InvokeAsync") else operation
    name = str(params.get("FunctionName", "*"))
    arn = name if name.startswith("arn:") else res.arn("lambda", f"function:{name}")
    return [Request(f"lambda:{action}", ":".join(arn.split(":")[:7]))]


REQUESTS = {
    "dynamodb": dynamodb_requests,
    "dynamodbstreams": streams_requests,
    "lambda": lambda_requests,
    "sqs": sqs_requests,
    "s3": s3_requests,
    "sesv2": ses_requests,
    "ses": ses_requests,  # v1: the pace's GetSendQuota
    "secretsmanager": secretsmanager_requests,
}
"""the services whose calls are checked"""
