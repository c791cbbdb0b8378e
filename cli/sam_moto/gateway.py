"""The HTTP API as API Gateway (HTTP API, payload 2.0) serves it: the template's routes,
the most specific first, each request an event to its function."""

import base64
import json
import re
from typing import Any

from sam_moto import events
from sam_moto.clock import LocalClock
from sam_moto.cloudwatch import CloudWatch
from sam_moto.provision import Route
from sam_moto.runtime import Runtime

type HttpResponse = tuple[int, list[tuple[str, str]], bytes]


class Gateway:
    def __init__(
        self, routes: list[Route], runtime: Runtime, clock: LocalClock, cloudwatch: CloudWatch
    ) -> None:
        self.routes = routes
        self.runtime = runtime
        self.clock = clock
        self.cloudwatch = cloudwatch

    def route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        candidates = []
        for route in self.routes:
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

    def request(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> HttpResponse:
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
            response: HttpResponse = (
                500,
                [("Content-Type", "application/json")],
                b'{"message":"Internal Server Error"}',
            )
        else:
            response = _http_response(invocation.result)
        self.cloudwatch.api_response(route.api, response[0])
        self.cloudwatch.flush()
        return response


def _http_response(result: Any) -> HttpResponse:
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
