"""Running the handlers as Lambda would: one invocation at a time, with the function's
environment, and the retry rules of each kind of trigger."""

import importlib.util
import io
import json
import os
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from sam_moto.hooks import Hooks, NoHooks
from sam_moto.iam import REQUESTS, Request, Resources, list_bucket
from sam_moto.provision import Function


class LambdaContext:
    def __init__(self, function: Function) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + function.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    function: str
    at: datetime
    result: Any = None
    error: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "at": self.at.isoformat(),
            "result": self.result if self.error is None else {"error": self.error},
        }


class Runtime:
    """Loads each function's handler once and invokes it with that function's environment."""

    def __init__(
        self,
        functions: Mapping[str, Function],
        base_environment: Mapping[str, str],
        path_map: Mapping[str, Path],
        clock: Callable[[], datetime],
        overrides: Mapping[str, str] | None = None,
        *,
        hooks: Hooks | None = None,
        in_process: bool = False,
        resources: Resources | None = None,
    ) -> None:
        self.functions = functions
        self.resources = resources or Resources(region="eu-west-1", account="123456789012")
        """how a call's parameters name ARNs (the stack's region, account, key schemas)"""
        self.in_process = in_process
        """the handlers reach moto's backends in this process: their calls need no
        signature (moto checks none), except those to the SIGNED services"""
        self.hooks: Hooks = hooks or NoHooks()
        self.base_environment = dict(base_environment)
        self.overrides = dict(overrides or {})
        self.path_map = dict(path_map)
        self.clock = clock
        self.lock = threading.RLock()
        self._modules: dict[str, ModuleType] = {}
        self.current: str | None = None
        """the function running now (tools that count AWS calls attribute them by it)"""
        self.invoke_event: Callable[[str, Any], Invocation] | None = None
        """how a handler's asynchronous Invoke of another function runs (the stack's
        pollers: retried, then parked as Lambda would); None: once, here"""
        self.history: deque[Invocation] = deque(maxlen=500)
        self.listeners: list[Callable[[Function, Invocation], None]] = []
        """told of each invocation once it is over (CloudWatch counts the failed ones)"""
        # moto checks no IAM: each client the handlers make refuses what the running
        # function's role does not allow, as AWS would (a missing permission shows in the
        # tests, not after a deploy).
        self.stop_watching: Callable[[], None] = lambda: None
        self.watch()

    def watch(self) -> None:
        """Check the handlers' clients made from now on (again, if the application forgot)."""
        self.stop_watching = self.hooks.watch_clients(self._watch)

    def environment(self, function: Function) -> dict[str, str]:
        env = {**self.base_environment, **function.environment, **self.overrides}
        for name, value in env.items():
            for deployed, local in self.path_map.items():
                if value == deployed or value.startswith(deployed + "/"):
                    env[name] = str(local) + value[len(deployed) :]
        env |= {
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        }
        return env

    def _handler(self, function: Function) -> Callable[[Any, Any], Any]:
        module_name, _, attribute = function.handler.rpartition(".")
        if function.logical_id not in self._modules:
            path = function.code_dir / (module_name.replace(".", "/") + ".py")
            spec = importlib.util.spec_from_file_location(
                f"local_function_{function.logical_id}", path
            )
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self._modules[function.logical_id] = module
        handler: Callable[[Any, Any], Any] = getattr(self._modules[function.logical_id], attribute)
        return handler

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        function = self.functions[logical_id]
        invocation = Invocation(function=logical_id, at=self.clock())
        with self.lock, _environ(self.environment(function)):
            # A handler may invoke another function (lambda:Invoke): its calls are the
            # other's, then the caller's again.
            caller = self.current
            self.current = logical_id
            self._logs(function)
            try:
                invocation.result = self._handler(function)(event, LambdaContext(function))
            except Exception as error:  # noqa: BLE001 - reported as Lambda reports it
                invocation.error = {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exception(error)[-6:],
                }
            finally:
                self.current = caller
                self.hooks.after_invocation()
        self.history.append(invocation)
        for listener in self.listeners:
            listener(function, invocation)
        return invocation

    def _watch(self, service: str, client: Any) -> None:
        if self.in_process and service not in SIGNED:
            # SigV4 was a fifth of each in-process call, and moto checks no signature
            client.meta.events.register(
                f"choose-signer.{client.meta.service_model.service_id.hyphenize()}",
                _unsigned,
                unique_id=f"local-unsigned-{id(self)}",
            )
        if service in REQUESTS:
            client.meta.events.register_first(
                f"provide-client-params.{client.meta.service_model.service_id.hyphenize()}.*",
                self._authorise,
                unique_id=f"local-iam-{id(self)}",
            )
        if service == "lambda":
            # moto would run the function in Docker: run it here, as the stack runs it.
            client.meta.events.register(
                "provide-client-params.lambda.Invoke",
                _keep_params,
                unique_id=f"local-lambda-params-{id(self)}",
            )
            client.meta.events.register(
                "before-call.lambda.Invoke",
                self._lambda_invoke,
                unique_id=f"local-lambda-invoke-{id(self)}",
            )
        if service == "s3":
            for operation in ("GetObject", "HeadObject"):
                client.meta.events.register(
                    f"after-call.s3.{operation}",
                    self._missing_key,
                    unique_id=f"local-iam-404-{id(self)}",
                )

    def _authorise(
        self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        function = self.functions.get(self.current or "")
        if function is None:
            return  # not a function's call: the stack's own
        if context.get("is_presign_request") and model.name == "CreateBucket":
            # A presigned POST (botocore builds its URL from CreateBucket): nothing is
            # called; S3 checks the signer's s3:PutObject when the form is posted, which
            # the emulation leaves to the policy's own conditions (s3_checks.py).
            return
        service = model.service_model.service_name
        if service not in REQUESTS:
            return
        for request in REQUESTS[service](model.name, params, self.resources):
            if not function.authorise(request):
                raise _denied(
                    service, model.name, f"{function.name} is not authorized to perform: {request}"
                )
        if service == "s3" and "Bucket" in params:
            context["local_iam"] = (function, params["Bucket"])

    def _missing_key(
        self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        """S3 tells a missing key (404) only to who may list the bucket; anyone else gets
        403, as if the key were there and forbidden."""
        code = parsed.get("Error", {}).get("Code")
        if code not in ("NoSuchKey", "404", "NoSuchVersion") or "local_iam" not in context:
            return
        function, bucket = context["local_iam"]
        if function.authorise(list_bucket(bucket)):
            return
        head = model.name == "HeadObject"
        parsed["Error"] = {
            "Code": "403" if head else "AccessDenied",
            "Message": "Forbidden"
            if head
            else f"{function.name} is not authorized to perform: "
            f"{list_bucket(bucket)}, so S3 does not say the key is missing",
        }
        parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = 403

    def _lambda_invoke(self, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        """A handler's lambda:Invoke of a function of the stack, answered as Lambda
        answers: 202 for an event (run now, with the pollers' retries and on-failure
        destination), or 200 with the function's result, and FunctionError when it
        raised."""
        params = context["local_lambda"]
        name = str(params["FunctionName"])
        logical_id = next(
            (
                f.logical_id
                for f in self.functions.values()
                if name in (f.name, f.logical_id) or name.startswith(f.arn)
            ),
            None,
        )
        if logical_id is None:
            error = {"Code": "ResourceNotFoundException", "Message": f"Function not found: {name}"}
            return _Http(404), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 404}}
        raw = params.get("Payload") or b"null"
        payload = json.loads(raw.read() if hasattr(raw, "read") else raw)
        if params.get("InvocationType") == "Event":
            run = self.invoke_event or self.invoke
            run(logical_id, payload)
            return _Http(202), {"StatusCode": 202, "Payload": _body(b"")}
        invocation = self.invoke(logical_id, payload)
        parsed: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
        if invocation.error is not None:
            parsed["FunctionError"] = "Unhandled"
            parsed["Payload"] = _body(json.dumps(invocation.error).encode())
        else:
            parsed["Payload"] = _body(json.dumps(invocation.result, default=str).encode())
        return _Http(200), parsed

    def _logs(self, function: Function) -> None:
        """Lambda writes the function's logs with its role: counted, never refused (a role
        without them runs, unlogged)."""
        group = f"log-group:/aws/lambda/{function.name}:*"
        for action in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"):
            function.authorise(Request(action, self.resources.arn("logs", group)))


_DENIED = {"s3": "AccessDenied", "sqs": "AccessDenied"}
"""the error code each service answers a refusal with (AccessDeniedException elsewhere)"""


def _denied(service: str, operation: str, message: str) -> ClientError:
    code = "403" if operation == "HeadObject" else _DENIED.get(service, "AccessDeniedException")
    response: Any = {
        "Error": {"Code": code, "Message": f"{message} (template.yaml: its role's policies)"},
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
    return ClientError(response, operation)


SIGNED = {"s3", "sqs", "dynamodbstreams"}
"""services whose calls stay signed in process: S3's presigned URLs carry a signature,
moto finds an SQS call's region in its signature (its queue URLs do not name one), and
DynamoDB Streams' service in it (it signs as "dynamodb")"""


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """An Invoke's parameters, for before-call (which sees only the serialised request)."""
    context["local_lambda"] = dict(params)


@dataclass(frozen=True)
class _Http:
    """What botocore reads of the HTTP response a before-call handler answers with."""

    status_code: int
    headers: Mapping[str, str] = field(default_factory=dict)


def _body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def _unsigned(**_: Any) -> Any:
    return botocore.UNSIGNED


@contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
