"""Running the handlers as Lambda would: one invocation at a time, with the function's
environment, and the retry rules of each kind of trigger."""

import fnmatch
import importlib.util
import os
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore
from botocore.exceptions import ClientError

from sam_moto.hooks import Hooks, NoHooks
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
    ) -> None:
        self.functions = functions
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
        self.history: deque[Invocation] = deque(maxlen=500)
        self.listeners: list[Callable[[Function, Invocation], None]] = []
        """told of each invocation once it is over (CloudWatch counts the failed ones)"""
        # moto checks no IAM: each client the handlers make refuses what the running
        # function's role does not allow, as AWS would (a missing permission shows in the
        # tests, not after a deploy).
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
            self.current = logical_id
            try:
                invocation.result = self._handler(function)(event, LambdaContext(function))
            except Exception as error:  # noqa: BLE001 - reported as Lambda reports it
                invocation.error = {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exception(error)[-6:],
                }
            finally:
                self.current = None
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
        if service == "dynamodb":
            client.meta.events.register_first(
                "provide-client-params.dynamodb.*",
                self._authorise,
                unique_id=f"local-iam-{id(self)}",
            )

    def _authorise(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        function = self.functions.get(self.current or "")
        if function is None or not function.allowed:
            return  # not a function's call (the stack's own), or a role not modelled
        for action in _dynamodb_actions(model.name, params):
            if not any(fnmatch.fnmatchcase(action, allowed) for allowed in function.allowed):
                raise ClientError(
                    {
                        "Error": {
                            "Code": "AccessDeniedException",
                            "Message": f"{function.name} is not authorized to perform: "
                            f"{action} (template.yaml: its role's policies)",
                        }
                    },
                    model.name,
                )


SIGNED = {"s3", "sqs"}
"""services whose calls stay signed in process: S3's presigned URLs carry a signature, and
moto finds an SQS call's region in its signature (its queue URLs do not name one)"""


def _unsigned(**_: Any) -> Any:
    return botocore.UNSIGNED


def _dynamodb_actions(operation: str, params: dict[str, Any]) -> set[str]:
    """The IAM actions a DynamoDB call needs: a transaction needs each item's own."""
    if operation == "TransactWriteItems":
        kinds = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        return {
            f"dynamodb:{kinds[kind]}" for item in params.get("TransactItems", []) for kind in item
        }
    if operation == "TransactGetItems":
        return {"dynamodb:GetItem"}
    return {f"dynamodb:{operation}"}


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
