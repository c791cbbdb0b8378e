"""The local stack's console served over real HTTP in the test's process (the stack on
moto in process, its LocalServer on a free port), and a plain HTTP client to talk to it."""

import html
import http.client
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sam_moto.server import LocalServer
from sam_moto.stack import LocalStack

FORM = "application/x-www-form-urlencoded"
BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
_ALERT = re.compile(r'<p class="alert" role="alert">(.*?)</p>', re.DOTALL)


@contextmanager
def served(stack: LocalStack, starting: str = "") -> Iterator[LocalServer]:
    server = LocalServer(stack, 0, starting=starting)
    stack.serve_api_at(server.url)
    server.serve_in_background()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)

    def alerts(self) -> list[str]:
        """The sentences the console's page shows as alerts, as a reader reads them."""
        return [html.unescape(a) for a in _ALERT.findall(self.text)]


def connect(server: LocalServer) -> http.client.HTTPConnection:
    host, port = server.server_address[:2]
    return http.client.HTTPConnection(str(host), int(port), timeout=300)


def call(
    server: LocalServer,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Answer:
    connection = connect(server)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


def browser_post(server: LocalServer, path: str, **form: str) -> Answer:
    """A form posted as a browser posts it, without script."""
    return call(
        server,
        "POST",
        path,
        urlencode(form).encode(),
        {"Content-Type": FORM, "Accept": BROWSER},
    )


def json_post(server: LocalServer, path: str, **fields: str) -> Answer:
    return call(
        server,
        "POST",
        path,
        json.dumps(fields).encode(),
        {"Content-Type": "application/json", "Accept": "application/json"},
    )


def multipart(fields: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """(name, filename or None, content) -> the body and its Content-Type."""
    boundary = "palabre-console-boundary"
    body = b""
    for name, filename, content in fields:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(
    server: LocalServer,
    kind: str,
    filename: str | None,
    data: bytes,
    uploader: str = "",
    accept: str = BROWSER,
) -> Answer:
    fields: list[tuple[str, str | None, bytes]] = [("kind", None, kind.encode())]
    if filename is not None:
        fields.append(("file", filename, data))
    if uploader:
        fields.append(("uploader", None, uploader.encode()))
    body, content_type = multipart(fields)
    return call(
        server, "POST", "/_local/upload", body, {"Content-Type": content_type, "Accept": accept}
    )
