"""The local stack: template.yaml's resources in moto, its triggers and schedules wired to
the same handlers, a clock to travel in time, and a mailbox of what SES was asked to send.
"""

import base64
import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import palabre.core.clock
from palabre_cli.dlq import DeadLetters
from palabre_cli.local import events, moto_fixes
from palabre_cli.local.clock import LocalClock
from palabre_cli.local.filters import matches
from palabre_cli.local.peek import Peek
from palabre_cli.local.provision import (
    ACCOUNT,
    Provisioned,
    Provisioner,
    QueueTrigger,
    Route,
    StreamTrigger,
)
from palabre_cli.local.runtime import Invocation, Runtime
from palabre_cli.local.schedules import Expression
from palabre_cli.template import translate

REGION = "eu-west-1"
STACK_NAME = "palabre-local"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Where a layer's content appears in Lambda, and which layer (by its logical id in
# template.yaml) provides it: templates/'s Makefile copies it under /opt/templates.
LAYER_MOUNTS = {"/opt/templates": "TemplatesLayer"}
STREAM_RETRY_CAP = 50
SCHEDULE_RETRY_CAP = 5


class UploadFailed(Exception):
    pass


@dataclass
class _Shard:
    checkpoint: str | None = None


class LocalStack:
    def __init__(
        self,
        *,
        endpoint: str | None,
        clock: LocalClock,
        parameters: dict[str, str] | None = None,
        log_level: str = "WARNING",
    ) -> None:
        self.endpoint = endpoint
        self.clock = clock
        moto_fixes.apply()
        self.translated = translate(parameters=parameters, region=REGION)
        self.parameters = self.translated.parameters
        self._clients: dict[str, Any] = {}
        self.lock = threading.RLock()
        self.provisioned: Provisioned = Provisioner(
            self.translated, self.client, region=REGION, stack_name=STACK_NAME
        ).run()
        mounts = {mount: self.translated.code_paths[layer] for mount, layer in LAYER_MOUNTS.items()}
        # Only what makes local runs readable: the log level, and metrics (CloudWatch EMF
        # lines on stdout) unless you asked for INFO or DEBUG logs.
        overrides = {"POWERTOOLS_LOG_LEVEL": log_level}
        if log_level not in ("DEBUG", "INFO"):
            overrides["POWERTOOLS_METRICS_DISABLED"] = "true"
        self.runtime = Runtime(
            self.provisioned.functions, self.handler_environment(), mounts, clock, overrides
        )
        # The handlers run in this process: every time-dependent decision reads this clock.
        palabre.core.clock.use(clock)
        self.client("sesv2").create_email_identity(EmailIdentity=self.parameters["SenderAddress"])
        self._seen_objects: set[tuple[str, str, str]] = set()
        self._shards: dict[tuple[str, str], _Shard] = {}
        self._hidden: dict[str, tuple[str, str, datetime]] = {}
        self._versions_seen: dict[str, int] = {}
        self._records_seen: dict[str, int] = {}
        self.peek = Peek(REGION)
        self._last_tick = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def serve_api_at(self, url: str) -> None:
        """Links in emails point at the local HTTP server, not at execute-api."""
        self.runtime.overrides["PUBLIC_BASE_URL"] = url

    # ------------------------------------------------------------------ plumbing
    def handler_environment(self) -> dict[str, str]:
        endpoint = {"AWS_ENDPOINT_URL": self.endpoint} if self.endpoint else {}
        return {**endpoint, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, **CREDENTIALS}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.session.Session().client(
                service,
                region_name=REGION,
                endpoint_url=self.endpoint,
                aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                config=Config(account_id_endpoint_mode="disabled"),
            )
        return self._clients[service]

    @property
    def outputs(self) -> dict[str, str]:
        return self.provisioned.outputs

    def start(self, interval: float = 1.0) -> None:
        """Follow real time: fire due schedules and run pending work every `interval`."""

        def loop() -> None:
            while not self._stop.wait(interval):
                self.tick()

        self._thread = threading.Thread(target=loop, name="palabre-local-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    # ------------------------------------------------------------------ invocation
    def invoke_async(self, function_id: str, event: Any) -> Invocation:
        """An asynchronous invocation (S3, Scheduler): retried, then sent to on-failure."""
        function = self.provisioned.functions[function_id]
        attempts = 0
        while True:
            attempts += 1
            invocation = self.runtime.invoke(function_id, event)
            if invocation.error is None or attempts > function.async_retries:
                break
        if invocation.error is not None and function.on_failure:
            record = events.async_failure(
                function_arn=function.arn,
                payload=event,
                error=invocation.error,
                attempts=attempts,
                at=self.clock(),
            )
            self._send_to(function.on_failure, record)
        return invocation

    def _send_to(self, arn: str, body: Any) -> None:
        queue = self.provisioned.queue_by_arn(arn)
        self.client("sqs").send_message(QueueUrl=queue.url, MessageBody=json.dumps(body))

    # ------------------------------------------------------------------ triggers
    def poll_buckets(self) -> list[Invocation]:
        ran: list[Invocation] = []
        s3 = self.client("s3")
        for bucket in sorted({t.bucket for t in self.provisioned.bucket_triggers}):
            versions = self.peek.object_versions(bucket)
            if self._versions_seen.get(bucket) == versions:
                continue  # nothing was written since the last look
            self._versions_seen[bucket] = versions
            created = []
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for version in page.get("Versions", []):
                    identity = (version["Key"], version["VersionId"], version["ETag"])
                    if identity not in self._seen_objects:
                        self._seen_objects.add(identity)
                        created.append(version)
            for version in sorted(created, key=lambda v: v["LastModified"]):
                for trigger in self.provisioned.bucket_triggers:
                    if trigger.bucket == bucket and trigger.matches(version["Key"]):
                        event = events.s3_created(
                            region=REGION,
                            bucket=bucket,
                            key=version["Key"],
                            size=version["Size"],
                            etag=version["ETag"],
                            version=version["VersionId"],
                            at=self.clock(),
                        )
                        ran.append(self.invoke_async(trigger.function, event))
        return ran

    def poll_queues(self) -> list[Invocation]:
        self._release_due_messages()
        ran = []
        for trigger in self.provisioned.queue_triggers:
            invocation = self._queue_batch(trigger)
            if invocation is not None:
                ran.append(invocation)
        return ran

    def _queue_batch(self, trigger: QueueTrigger) -> Invocation | None:
        if not self.peek.visible_messages(trigger.queue.url):
            return None
        sqs = self.client("sqs")
        received = sqs.receive_message(
            QueueUrl=trigger.queue.url,
            MaxNumberOfMessages=min(trigger.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return None
        event = events.sqs_batch(received, arn=trigger.queue.arn, region=REGION)
        invocation = self.runtime.invoke(trigger.function, event)
        ids = {m["MessageId"] for m in received}
        if invocation.error is not None:
            failed = ids
        elif trigger.report_failures and isinstance(invocation.result, dict):
            failed = {f["itemIdentifier"] for f in invocation.result.get("batchItemFailures", [])}
        else:
            failed = set()
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=trigger.queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        for message in received:
            if message["MessageId"] in failed:
                self._hide_until_retry(trigger.queue, message)
        return invocation

    def _hide_until_retry(self, queue: Any, message: dict[str, Any]) -> None:
        """A failed message comes back when its visibility timeout ends, as in AWS, but on
        the stack's clock: moving the clock forward brings retries (and, after
        maxReceiveCount, the dead-letter queue) without waiting in real time. A timeout
        the handler changed itself (ChangeMessageVisibility) is kept as it set it."""
        visible_at = self.peek.message_visible_at(queue.url, message["MessageId"])
        if visible_at is None:
            return
        remaining = max(0.0, visible_at - time.time())
        self._hidden[message["MessageId"]] = (
            queue.url,
            message["ReceiptHandle"],
            self.clock() + timedelta(seconds=remaining),
        )

    def _release_due_messages(self) -> None:
        sqs = self.client("sqs")
        now = self.clock()
        for message_id, (url, handle, visible_at) in list(self._hidden.items()):
            if visible_at <= now:
                del self._hidden[message_id]
                # Deleted, or received again meanwhile: then there is nothing to release.
                with contextlib.suppress(ClientError):
                    sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
                    )

    def poll_topics(self) -> list[Invocation]:
        """SNS subscriptions: what was published reaches the function, one message per
        asynchronous invocation, as SNS delivers it."""
        ran: list[Invocation] = []
        sqs = self.client("sqs")
        for trigger in self.provisioned.topic_triggers:
            if not self.peek.visible_messages(trigger.queue_url):
                continue
            for message in sqs.receive_message(
                QueueUrl=trigger.queue_url, MaxNumberOfMessages=10
            ).get("Messages", []):
                event = events.sns_notification(
                    json.loads(message["Body"]), subscription_arn=trigger.subscription_arn
                )
                ran.append(self.invoke_async(trigger.function, event))
                sqs.delete_message(
                    QueueUrl=trigger.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return ran

    def poll_streams(self) -> list[Invocation]:
        ran: list[Invocation] = []
        streams = self.client("dynamodbstreams")
        for trigger in self.provisioned.stream_triggers:
            length = self.peek.stream_records(trigger.table)
            if self._records_seen.get(trigger.function) == length:
                continue  # no new record, and every batch before was settled
            description = streams.describe_stream(StreamArn=trigger.stream_arn)
            for shard in description["StreamDescription"]["Shards"]:
                state = self._shards.setdefault((trigger.function, shard["ShardId"]), _Shard())
                if state.checkpoint is None:
                    iterator = streams.get_shard_iterator(
                        StreamArn=trigger.stream_arn,
                        ShardId=shard["ShardId"],
                        ShardIteratorType="TRIM_HORIZON",
                    )
                else:
                    iterator = streams.get_shard_iterator(
                        StreamArn=trigger.stream_arn,
                        ShardId=shard["ShardId"],
                        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                        SequenceNumber=state.checkpoint,
                    )
                records = events.one_insert_per_write(
                    streams.get_records(
                        ShardIterator=iterator["ShardIterator"], Limit=trigger.batch_size + 1
                    )["Records"],
                    trigger.batch_size,
                )
                if records:
                    shaped = [events.stream_record(r, arn=trigger.stream_arn) for r in records]
                    # FilterCriteria: records no filter matches never reach the function.
                    wanted = [
                        r
                        for r in shaped
                        if not trigger.filters or any(matches(f, r) for f in trigger.filters)
                    ]
                    if wanted:
                        ran.extend(self._stream_batch(trigger, shard["ShardId"], wanted, state))
                    state.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]
            if not ran:
                self._records_seen[trigger.function] = length
        return ran

    def _stream_batch(
        self, trigger: StreamTrigger, shard_id: str, records: list[dict[str, Any]], state: _Shard
    ) -> list[Invocation]:
        """Lambda's rules: checkpoint before the first failure, retry from it, bisect on
        error, and after the last retry send the batch's location to on-failure."""
        ran: list[Invocation] = []
        retries = 0
        limit = trigger.max_retries if trigger.max_retries >= 0 else STREAM_RETRY_CAP
        while records:
            invocation = self.runtime.invoke(trigger.function, {"Records": records})
            ran.append(invocation)
            sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
            if invocation.error is not None:
                first_failed = 0
            elif trigger.report_failures and isinstance(invocation.result, dict):
                failed = {
                    f["itemIdentifier"] for f in invocation.result.get("batchItemFailures", [])
                }
                first_failed = min(
                    (sequence.index(f) for f in failed if f in sequence), default=len(records)
                )
            else:
                first_failed = len(records)
            if first_failed > 0:
                state.checkpoint = sequence[first_failed - 1]
            records = records[first_failed:]
            if not records:
                break
            if trigger.bisect and len(records) > 1:
                middle = len(records) // 2
                ran.extend(self._stream_batch(trigger, shard_id, records[:middle], state))
                ran.extend(self._stream_batch(trigger, shard_id, records[middle:], state))
                break
            retries += 1
            if retries > limit:
                if trigger.on_failure:
                    function = self.provisioned.functions[trigger.function]
                    self._send_to(
                        trigger.on_failure,
                        events.stream_failure(
                            function_arn=function.arn,
                            stream_arn=trigger.stream_arn,
                            shard_id=shard_id,
                            records=records,
                            attempts=retries,
                            at=self.clock(),
                        ),
                    )
                state.checkpoint = records[-1]["dynamodb"]["SequenceNumber"]
                break
        return ran

    def drain(self) -> list[Invocation]:
        """Run pending uploads, queue messages and stream records until nothing is left."""
        ran: list[Invocation] = []
        with self.lock:
            while True:
                batch = [
                    *self.poll_buckets(),
                    *self.poll_queues(),
                    *self.poll_streams(),
                    *self.poll_topics(),
                ]
                if not batch:
                    return ran
                ran.extend(batch)

    # ------------------------------------------------------------------ time
    def _fire(self, schedule_name: str, at: datetime) -> Invocation:
        schedule = next(s for s in self.provisioned.schedules if s.name == schedule_name)
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = (
            schedule.input.replace("<aws.scheduler.scheduled-time>", stamp)
            .replace("<aws.scheduler.schedule-arn>", f"arn:aws:scheduler:::{schedule.name}")
            .replace("<aws.scheduler.execution-id>", stamp)
            .replace("<aws.scheduler.attempt-number>", "1")
        )
        # EventBridge Scheduler retries the target itself, then parks the event.
        event = json.loads(payload)
        for _ in range(min(schedule.retries, SCHEDULE_RETRY_CAP) + 1):
            invocation = self.runtime.invoke(schedule.function, event)
            if invocation.error is None:
                return invocation
        if schedule.dead_letter:
            # As EventBridge Scheduler parks an event: the target's input, and attributes.
            function = self.provisioned.functions[schedule.function]
            attributes = {
                "ERROR_CODE": invocation.error["errorType"],
                "ERROR_MESSAGE": invocation.error["errorMessage"][:1000],
                "SCHEDULE_ARN": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/"
                f"{schedule.name}",
                "TARGET_ARN": function.arn,
                "RETRY_ATTEMPTS": str(min(schedule.retries, SCHEDULE_RETRY_CAP)),
            }
            self.client("sqs").send_message(
                QueueUrl=self.provisioned.queue_by_arn(schedule.dead_letter).url,
                MessageBody=json.dumps(event),
                MessageAttributes={
                    k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
                },
            )
        return invocation

    def _due(self, after: datetime, until: datetime) -> list[tuple[datetime, str]]:
        due = [
            (moment, schedule.name)
            for schedule in self.provisioned.schedules
            if schedule.enabled
            for moment in Expression(schedule.expression, schedule.timezone).fires(after, until)
        ]
        return sorted(due)

    def advance_to(self, moment: datetime) -> list[Invocation]:
        """Move the clock forward, firing every schedule due on the way, in order: the
        clock stands at each firing's time while it and the work it causes run, as it
        would have had time passed by itself."""
        with self.lock:
            if moment < self.clock():
                self.clock.move_to(moment)  # refused (ClockBackwards) before anything runs
            return self._catch_up(moment)

    def tick(self) -> list[Invocation]:
        with self.lock:
            return self._catch_up(self.clock())

    def _catch_up(self, until: datetime) -> list[Invocation]:
        ran: list[Invocation] = []
        for at, name in self._due(self._last_tick, until):
            if at > self.clock():
                self.clock.move_to(at)
            ran.append(self._fire(name, at))
            ran.extend(self.drain())
        if until > self.clock():  # the work may have run the clock past it already
            self.clock.move_to(until)
        self._last_tick = max(self._last_tick, until)
        ran.extend(self.drain())
        return ran

    # ------------------------------------------------------------------ HTTP API
    def route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        candidates = []
        for route in self.provisioned.routes:
            if route.method not in (method, "ANY"):
                continue
            pattern = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(route.path))
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
            if match := re.fullmatch(pattern, path):
                # API Gateway prefers the most specific route: fewest parameters first.
                candidates.append((route.path.count("{"), route, match.groupdict()))
        if not candidates:
            return None
        _, route, parameters = min(candidates, key=lambda c: c[0])
        return route, parameters

    def api(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        found = self.route(method, path)
        if found is None:
            return 404, [("Content-Type", "application/json")], b'{"message":"Not Found"}'
        route, parameters = found
        event = events.http_api(
            method=method,
            raw_path=path,
            query=query,
            headers=headers,
            body=body,
            route_key=route.key,
            path_parameters=parameters,
            api_id="local",
            at=self.clock(),
            source_ip=source_ip,
        )
        invocation = self.runtime.invoke(route.function, event)
        if invocation.error is not None:
            return (
                500,
                [("Content-Type", "application/json")],
                b'{"message":"Internal Server Error"}',
            )
        return _http_response(invocation.result)

    # ------------------------------------------------------------------ mailbox
    def _sent(self) -> list[Any]:
        return self.peek.sent_messages()

    def mailbox(self) -> list[dict[str, Any]]:
        return [_mail(m) for m in list(self._sent())]

    def raw_mail(self) -> list[bytes]:
        """Every message SES was given, as bytes, oldest first."""
        return [_raw(m) for m in list(self._sent())]

    def mail(self, message_id: str) -> dict[str, Any] | None:
        return next((m for m in self.mailbox() if m["id"] == message_id), None)

    def clear_mail(self) -> None:
        self._sent().clear()

    # ------------------------------------------------------------------ uploads
    def uploads_bucket(self, kind: str) -> str:
        for trigger in self.provisioned.bucket_triggers:
            if trigger.matches(f"{kind}/x"):
                return trigger.bucket
        raise UploadFailed(f"no bucket notifies a function for {kind}/ uploads")

    def upload(
        self, kind: str, filename: str, data: bytes, uploader: str | None = None
    ) -> dict[str, Any]:
        """Put the file where an admin would, let the notification run, return the report."""
        bucket = self.uploads_bucket(kind)
        key = f"{kind}/{Path(filename).name}"
        s3 = self.client("s3")
        with self.lock:
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=data,
                Metadata={"uploader": uploader} if uploader else {},
            )
            ran = self.drain()
        failures = [i for i in ran if i.error is not None]
        try:
            report = s3.get_object(Bucket=bucket, Key=f"{key}.report.json")["Body"].read()
        except s3.exceptions.NoSuchKey:
            detail = failures[-1].error if failures else {"errorMessage": "no report written"}
            raise UploadFailed(json.dumps(detail)) from None
        return json.loads(report)

    # ------------------------------------------------------------------ dead letters
    def dead_letters(self) -> "DeadLetters":
        def invoke(function: str, event: Any, asynchronous: bool) -> Any:
            invocation = (
                self.invoke_async(function, event)
                if asynchronous
                else self.runtime.invoke(function, event)
            )
            if invocation.error is not None:
                raise RuntimeError(invocation.error["errorMessage"])
            return invocation.result

        return DeadLetters(
            self.translated,
            queue_url=lambda logical_id: self.provisioned.queues[logical_id].url,
            sqs=self.client("sqs"),
            streams=self.client("dynamodbstreams"),
            invoke=invoke,
            function_logical_id=self.provisioned.function_by_name,
        )

    def dead_letter_queues(self) -> list[dict[str, Any]]:
        """Every queue template.yaml parks failures in, and how many messages each holds."""
        sqs = self.client("sqs")
        found = []
        for logical_id in self.dead_letters().names():
            queue = self.provisioned.queues[logical_id]
            attributes = sqs.get_queue_attributes(
                QueueUrl=queue.url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            found.append(
                {
                    "queue": logical_id,
                    "url": queue.url,
                    "messages": int(attributes["ApproximateNumberOfMessages"])
                    + int(attributes["ApproximateNumberOfMessagesNotVisible"]),
                }
            )
        return found


def _http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    if not (isinstance(result, dict) and "statusCode" in result):
        # Payload 2.0: anything else is a 200 JSON answer.
        return 200, [("Content-Type", "application/json")], json.dumps(result).encode()
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values)
    headers.extend(("Set-Cookie", c) for c in result.get("cookies") or [])
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return int(result["statusCode"]), headers, data


def _raw(sent: Any) -> bytes:
    return sent.raw_data if isinstance(sent.raw_data, bytes) else sent.raw_data.encode()


def _mail(sent: Any) -> dict[str, Any]:
    message = message_from_bytes(_raw(sent), policy=policy.default)
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers[name] = f"{headers[name]}\n{value}" if name in headers else str(value)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return {
        "id": sent.id,
        "from": str(message["From"]),
        "to": [address for _, address in getaddresses(message.get_all("To", []))],
        "subject": str(message["Subject"]),
        "date": str(message["Date"]),
        "headers": headers,
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
        "attachments": [
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(part.get_payload(decode=True) or b""),
            }
            for part in message.iter_attachments()
        ],
    }
