"""Events shaped as Lambda delivers them: S3 notifications, SQS batches, DynamoDB stream
records, API Gateway HTTP API (payload 2.0) requests, and async failure records."""

import base64
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote_plus

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def s3_created(
    *, region: str, bucket: str, key: str, size: int, etag: str, version: str, at: datetime
) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": _iso(at),
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:LOCAL"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": uuid.uuid4().hex,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "local",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "LOCAL"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag.strip('"'),
                        "versionId": version,
                        "sequencer": f"{time.time_ns():X}",
                    },
                },
            }
        ]
    }


def sqs_batch(messages: Sequence[Mapping[str, Any]], *, arn: str, region: str) -> dict[str, Any]:
    records = []
    for message in messages:
        attributes = {
            k: v
            for k, v in message.get("Attributes", {}).items()
            if k
            in (
                "ApproximateReceiveCount",
                "SentTimestamp",
                "SenderId",
                "ApproximateFirstReceiveTimestamp",
                "MessageGroupId",
                "MessageDeduplicationId",
            )
        }
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": attributes,
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def stream_record(record: Mapping[str, Any], *, arn: str) -> dict[str, Any]:
    """moto's record, as Lambda gives it: with its source ARN and epoch-second times."""
    shaped = {**record, "eventSourceARN": arn}
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        if created.tzinfo is None:  # moto keeps UTC without saying so
            created = created.replace(tzinfo=UTC)
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    shaped["dynamodb"] = dynamodb
    return shaped


def http_api(
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    route_key: str,
    path_parameters: Mapping[str, str],
    api_id: str,
    at: datetime,
    source_ip: str,
) -> dict[str, Any]:
    lowered: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers.items():
        if name.lower() == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    # API Gateway says how the client reached it: always https there, http here.
    lowered["x-forwarded-proto"] = "http"
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    content_type = lowered.get("content-type", "")
    # API Gateway passes text as is and base64-encodes everything else, form posts included
    # (and text that is not UTF-8, which a JSON event cannot carry as it is).
    textual = not body or (content_type.startswith(_TEXT_TYPES) and _utf8(body))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": api_id,
            "domainName": lowered.get("host", "127.0.0.1"),
            "domainPrefix": lowered.get("host", "127.0.0.1").split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route_key,
            "stage": "$default",
            "time": at.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(at.timestamp() * 1000),
        },
        "isBase64Encoded": not textual,
    }
    if cookies:
        event["cookies"] = cookies
    if parameters:
        event["queryStringParameters"] = parameters
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        event["body"] = body.decode() if textual else base64.b64encode(body).decode()
    return event


def _utf8(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def async_failure(
    *, function_arn: str, payload: Any, error: Mapping[str, Any], attempts: int, at: datetime
) -> dict[str, Any]:
    """What Lambda sends to an on-failure destination after the last async retry."""
    return {
        "version": "1.0",
        "timestamp": _iso(at),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": payload,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": dict(error),
    }


def stream_failure(
    *,
    function_arn: str,
    stream_arn: str,
    shard_id: str,
    records: Sequence[Mapping[str, Any]],
    attempts: int,
    at: datetime,
) -> dict[str, Any]:
    """What Lambda sends to a stream trigger's on-failure destination: where the batch was."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": _iso(at),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(
                datetime.fromtimestamp(first["ApproximateCreationDateTime"], UTC)
            ),
            "approximateArrivalOfLastRecord": _iso(
                datetime.fromtimestamp(last["ApproximateCreationDateTime"], UTC)
            ),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def sns_notification(envelope: Mapping[str, Any], *, subscription_arn: str) -> dict[str, Any]:
    """An SNS message (the envelope an SQS subscriber receives) as Lambda gets it."""
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": envelope.get("SignatureVersion", "1"),
                    "Timestamp": envelope.get("Timestamp"),
                    "Signature": envelope.get("Signature", ""),
                    "SigningCertUrl": envelope.get("SigningCertURL", ""),
                    "MessageId": envelope["MessageId"],
                    "Message": envelope["Message"],
                    "MessageAttributes": envelope.get("MessageAttributes", {}),
                    "Type": envelope.get("Type", "Notification"),
                    "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                    "TopicArn": envelope["TopicArn"],
                    "Subject": envelope.get("Subject"),
                },
            }
        ]
    }


def one_insert_per_write(records: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """moto records an UpdateItem that creates an item as two INSERTs, the first holding
    only the key; DynamoDB records one, with the whole item. Drop moto's extra one, and
    keep at most `limit` records (one more was read to see past the page's end)."""

    def key_only(record: dict[str, Any]) -> bool:
        image = record["dynamodb"].get("NewImage", {})
        return record["eventName"] == "INSERT" and set(image) == set(record["dynamodb"]["Keys"])

    kept = []
    for index, record in enumerate(records):
        following = records[index + 1] if index + 1 < len(records) else None
        if (
            key_only(record)
            and following is not None
            and following["eventName"] == "INSERT"
            and (following["dynamodb"]["Keys"] == record["dynamodb"]["Keys"])
        ):
            continue
        if key_only(record) and following is None and len(records) > limit:
            break  # its twin is past the page: take both next time
        kept.append(record)
    return kept[:limit]


def ses_received(
    *,
    message_id: str,
    source: str,
    recipients: Sequence[str],
    headers: Sequence[tuple[str, str]],
    verdicts: Mapping[str, str],
    function_arn: str,
    invocation_type: str,
    rule_set: str,
    rule: str,
    at: datetime,
    region: str,
) -> dict[str, Any]:
    """What a receipt rule's Lambda action gives the function: the mail (its common
    headers) and the receipt (the recipients the rule took, SES's verdicts)."""
    first = {name.lower(): value for name, value in reversed(headers)}

    def addresses(name: str) -> list[str]:
        return [a.strip() for a in first.get(name, "").split(",") if a.strip()]

    def verdict(name: str) -> dict[str, str]:
        return {"status": verdicts.get(name, "PASS")}

    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": _iso(at),
                        "source": source,
                        "messageId": message_id,
                        "destination": list(recipients),
                        "headersTruncated": False,
                        "headers": [{"name": n, "value": v} for n, v in headers],
                        "commonHeaders": {
                            "returnPath": first.get("return-path", source),
                            "from": addresses("from"),
                            "date": first.get("date", ""),
                            "to": addresses("to"),
                            "messageId": first.get("message-id", ""),
                            "subject": first.get("subject", ""),
                        },
                    },
                    "receipt": {
                        "timestamp": _iso(at),
                        "processingTimeMillis": 1,
                        "recipients": list(recipients),
                        "spamVerdict": verdict("Spam"),
                        "virusVerdict": verdict("Virus"),
                        "spfVerdict": verdict("SPF"),
                        "dkimVerdict": verdict("DKIM"),
                        "dmarcVerdict": verdict("DMARC"),
                        "action": {
                            "type": "Lambda",
                            "functionArn": function_arn,
                            "invocationType": invocation_type,
                        },
                    },
                },
            }
        ]
    }
