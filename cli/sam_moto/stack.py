"""The local stack: a SAM template's resources in moto, its triggers and schedules wired
to the same handlers, a clock to travel in time, and a mailbox of what SES was asked to
send. It is made of four parts — pollers (the event sources), time travel (schedules and
the clock), the gateway (the HTTP API) and the mailbox — around the provisioned resources
and the runtime; the application reaches it only through its Hooks.
"""

import json
import os
import threading
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from sam_moto import moto_patches
from sam_moto.clock import LocalClock
from sam_moto.cloudwatch import CloudWatch
from sam_moto.dead_letters import DeadLetters
from sam_moto.gateway import Gateway, HttpResponse
from sam_moto.hooks import Hooks, NoHooks, Readable
from sam_moto.mailbox import Mailbox
from sam_moto.peek import Peek
from sam_moto.pollers import Pollers
from sam_moto.provision import Provisioned, Provisioner, Route
from sam_moto.receiving import Received, receive
from sam_moto.runtime import Invocation, Runtime
from sam_moto.template import translate
from sam_moto.time_travel import Progress, TimeTravel

REGION = "eu-west-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class UploadFailed(Exception):
    pass


class LocalStack:
    def __init__(
        self,
        template: Path,
        *,
        hooks: Hooks | None = None,
        endpoint: str | None,
        clock: LocalClock,
        parameters: dict[str, str] | None = None,
        log_level: str = "WARNING",
        stack_name: str = "local",
    ) -> None:
        self.hooks: Hooks = hooks or NoHooks()
        self.endpoint = endpoint
        self.clock = clock
        moto_patches.apply()
        self.translated = translate(template, parameters=parameters, region=REGION)
        self.parameters = self.translated.parameters
        self._clients: dict[str, Any] = {}
        self._s3_endpoints_before: str | None = None
        self.served_at: str | None = None
        """where moto's server serves these resources outside this process, if it does"""
        self.provisioned: Provisioned = Provisioner(
            self.translated, self.client, region=REGION, stack_name=stack_name
        ).run()
        mounts = {
            mount: self.translated.code_paths[layer]
            for mount, layer in self.hooks.layer_mounts.items()
        }
        # Only what makes local runs readable: the log level, and metrics (CloudWatch EMF
        # lines on stdout) unless you asked for INFO or DEBUG logs.
        # X-Ray's tracer is off: there is no X-Ray daemon here, and it would patch botocore
        # in this process for every function.
        overrides = {"POWERTOOLS_LOG_LEVEL": log_level, "POWERTOOLS_TRACE_DISABLED": "true"}
        if log_level not in ("DEBUG", "INFO"):
            overrides["POWERTOOLS_METRICS_DISABLED"] = "true"
        self.runtime = Runtime(
            self.provisioned.functions,
            self.handler_environment(),
            mounts,
            clock,
            overrides,
            hooks=self.hooks,
            in_process=endpoint is None,
            resources=self.provisioned.iam_resources(),
        )
        # The handlers run in this process: every time-dependent decision reads this clock.
        self.hooks.use_clock(clock)
        if "SenderAddress" in self.parameters:
            # moto's SES refuses to send from an unverified identity, as SES does.
            self.client("sesv2").create_email_identity(
                EmailIdentity=self.parameters["SenderAddress"]
            )
            _out_of_the_sandbox()
        peek = Peek(REGION)
        self.cloudwatch = CloudWatch(self.provisioned, self.client, clock, peek)
        self.runtime.listeners.append(self.cloudwatch.invoked)
        self.pollers = Pollers(
            self.provisioned, self.runtime, self.client, peek, clock, REGION, self.cloudwatch
        )
        self.time = TimeTravel(
            self.provisioned, self.runtime, self.pollers, clock, self.client, REGION
        )
        self.gateway = Gateway(self.provisioned.routes, self.runtime, clock, self.cloudwatch)
        self.mailbox = Mailbox(peek)
        self.lock: threading.RLock = self.pollers.lock

    def serve_api_at(self, url: str) -> None:
        """Links in emails point at the local HTTP server, not at execute-api."""
        self.runtime.overrides["PUBLIC_BASE_URL"] = url

    def share_s3_at(self, url: str) -> None:
        """S3 URLs the handlers hand out (presigned exports) point at the moto server that
        serves outside this process; moto in this process still answers the handlers' own
        calls to that address (it maps a custom S3 endpoint back to S3 on every request)."""
        self.runtime.overrides["AWS_ENDPOINT_URL_S3"] = url
        self.served_at = url
        self._s3_endpoints_before = os.environ.get("MOTO_S3_CUSTOM_ENDPOINTS")
        known = [e for e in (self._s3_endpoints_before or "").split(",") if e]
        os.environ["MOTO_S3_CUSTOM_ENDPOINTS"] = ",".join([*known, url])

    # ------------------------------------------------------------------ plumbing
    def handler_environment(self) -> dict[str, str]:
        endpoint = {"AWS_ENDPOINT_URL": self.endpoint} if self.endpoint else {}
        return {**endpoint, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, **CREDENTIALS}

    def client(self, service: str) -> Any:
        with _MAKING:
            if service not in self._clients:
                self._clients[service] = _session().client(
                    service,  # type: ignore[call-overload]
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

    # ------------------------------------------------------------------ the four parts
    def start(self, interval: float = 1.0) -> None:
        self.time.start(interval)

    def stop(self) -> None:
        self.time.stop()
        self.runtime.stop_watching()
        if "AWS_ENDPOINT_URL_S3" in self.runtime.overrides:
            if self._s3_endpoints_before is None:
                os.environ.pop("MOTO_S3_CUSTOM_ENDPOINTS", None)
            else:
                os.environ["MOTO_S3_CUSTOM_ENDPOINTS"] = self._s3_endpoints_before

    def drain(self) -> list[Invocation]:
        """Run pending uploads, queue messages and stream records until nothing is left."""
        return self.pollers.drain()

    def advance_to(self, moment: datetime, progress: Progress | None = None) -> list[Invocation]:
        return self.time.advance_to(moment, progress)

    def tick(self) -> list[Invocation]:
        return self.time.tick()

    def fire(self, schedule_name: str, at: datetime) -> Invocation:
        return self.time.fire(schedule_name, at)

    def invoke_async(self, function_id: str, event: Any) -> Invocation:
        return self.pollers.invoke_async(function_id, event)

    def route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        return self.gateway.route(method, path)

    def api(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> HttpResponse:
        return self.gateway.request(
            method=method, path=path, query=query, headers=headers, body=body, source_ip=source_ip
        )

    def receive_mail(self, raw: bytes) -> Received:
        """A raw RFC 822 message, received by SES as the template's receipt rules say
        (receiving.py: where it is stored, which function is invoked, the verdicts)."""

        def invoke(function: str, event: Any, asynchronous: bool) -> Invocation:
            if asynchronous:
                return self.invoke_async(function, event)
            return self.runtime.invoke(function, event)

        with self.lock:
            received = receive(
                raw,
                provisioned=self.provisioned,
                client=self.client,
                invoke=invoke,
                clock=self.clock,
                region=REGION,
            )
            self.drain()  # what the function set in motion (its emails, the stream)
        return received

    def raw_mail(self) -> list[bytes]:
        return self.mailbox.raw()

    def clear_mail(self) -> None:
        self.mailbox.clear()

    # ------------------------------------------------------------------ uploads
    def upload_prefixes(self) -> list[str]:
        """The key prefixes a bucket notification sends to a function (roster/...)."""
        return sorted({t.prefix.rstrip("/") for t in self.provisioned.bucket_triggers if t.prefix})

    def uploads_bucket(self, kind: str) -> str:
        for trigger in self.provisioned.bucket_triggers:
            if trigger.matches(f"{kind}/x"):
                return trigger.bucket
        raise UploadFailed(f"no bucket notifies a function for {kind}/ uploads")

    def upload(
        self, kind: str, filename: str, data: bytes, metadata: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Put the file where an admin would, let the notification run, return what the
        application says it made of it (its Console's upload_result)."""
        bucket = self.uploads_bucket(kind)
        key = f"{kind}/{Path(filename).name}"
        s3 = self.client("s3")
        console = self.hooks.console()
        with self.lock:
            given = dict(metadata or {})
            filled = console.upload_defaults(self, given) if console.upload_defaults else given
            s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata=filled)
            ran = self.drain()
        failures = [i for i in ran if i.error is not None]
        reader = console.upload_result
        result = reader(s3, bucket, key) if reader else {"key": key, "ran": len(ran)}
        if result is None:
            detail = failures[-1].error if failures else {"errorMessage": "no result written"}
            raise UploadFailed(json.dumps(detail))
        return result

    def describe_upload(self, key: str, result: dict[str, Any]) -> Readable | None:
        """What the application says of an upload's result, in sentences (None: it says
        nothing, and the console shows the result as it is)."""
        describe = self.hooks.console().describe_upload
        return describe(self, key, result) if describe else None

    # ------------------------------------------------------------------ dead letters
    def dead_letters(self) -> DeadLetters:
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
        """Every queue the template parks failures in, and how many messages each holds."""
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


_MAKING = threading.Lock()
"""one client made at a time: a boto3 session is not safe to share between threads while
it makes clients (the local server's threads ask for them)"""


@cache
def _session() -> boto3.session.Session:
    """The stacks' clients share one session: each new session would read botocore's
    service models again (about 0.3 s of JSON for a stack's eight clients)."""
    return boto3.session.Session()


def _out_of_the_sandbox() -> None:
    """moto answers GetSendQuota as SES does for an account in its sandbox (one email a
    second, 200 a day) yet sends to anyone, as an account out of it: the stack's account
    is out of it, with SES's default production quota (14 a second, 50,000 a day)."""
    from moto.ses import models

    class ProductionQuota(models.SESQuota):
        def __init__(self, sent: int) -> None:
            super().__init__(sent)
            self.max24_hour_send = 50_000
            self.max_send_rate = 14

    models.SESQuota = ProductionQuota  # type: ignore[misc]
