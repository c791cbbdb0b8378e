"""HTTP on 127.0.0.1: the API routes as API Gateway serves them, and the /_local console."""

import json
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from sam_moto.clock import ClockBackwards
from sam_moto.moves import (
    BadRequest,
    ConsoleError,
    Failed,
    ForeignPage,
    Move,
    NotFound,
    NotReady,
    Unprocessable,
    backwards,
    busy,
    local_instant,
    wall_clock,
)
from sam_moto.receiving import NotReceived
from sam_moto.runtime import Invocation
from sam_moto.stack import REGION, LocalStack, UploadFailed

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
MAX_BODY = 12 * 1024 * 1024
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_FILE_TYPES = {".csv": "text/csv", ".yaml": "application/yaml", ".json": "application/json"}
_console = Environment(loader=FileSystemLoader(CONSOLE_DIR), autoescape=select_autoescape())
STEPS = {"PT5M": "+5 minutes", "PT1H": "+1 hour", "P1D": "+1 day", "P7D": "+1 week"}
"""the console's buttons that move the clock (ISO-8601 duration -> label)"""

__all__ = ["BadRequest", "LocalServer", "multipart", "parse_duration", "parse_instant"]


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip().upper())
    if not match or text.strip().upper() in ("P", "PT"):
        raise BadRequest(
            f"“{text.strip()}” is not a duration: write PT2H for two hours, P1D for a day "
            "or P7D for a week."
        )
    return timedelta(**{k: float(v) for k, v in match.groupdict().items() if v})


def parse_instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"“{text.strip()}” is not a date and time: write it as 2026-12-01T09:00:00+01:00."
        ) from None
    if moment.tzinfo is None:
        raise BadRequest(
            f"“{text.strip()}” does not say its offset from UTC: write it as "
            f"{text.strip()}+01:00, for example, or use the console's form."
        )
    return moment


def _part(query: str) -> str:
    return parse_qs(query).get("part", ["html"])[-1]


def multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, content) for a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        raise BadRequest("Send the file as a form (multipart/form-data), as the console does.")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if name:
            fields[str(name)] = (
                part.get_filename(),
                payload if isinstance(payload, bytes) else b"",
            )
    return fields


class Handler(BaseHTTPRequestHandler):
    server: "LocalServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the handlers' own structured logs say what happened

    # -------------------------------------------------------------- dispatch
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        try:
            body = self._body()
            if self.server.starting:
                raise NotReady(
                    f"The local stack is still starting ({self.server.starting}): this page "
                    "will answer in a few seconds."
                )
            if url.path == "/_local" or url.path.startswith("/_local/"):
                if method != "GET":
                    self._same_origin()
                self._console(method, url.path.removeprefix("/_local").rstrip("/"), url.query, body)
            else:
                status, headers, data = self.server.stack.api(
                    method=method,
                    path=url.path,
                    query=url.query,
                    headers=dict(self.headers.items()),
                    body=body,
                    source_ip=self.client_address[0],
                )
                self._send(status, data, headers)
        except ConsoleError as error:
            self._refuse(error)

    def _same_origin(self) -> None:
        """A browser says where a POST comes from (Origin): any web page the developer
        visits could otherwise post a roster, move the clock or replay dead letters on
        their local stack. A program (the CLI, curl, the tests) sends no Origin."""
        origin = self.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != self.headers.get("Host", ""):
            raise ForeignPage(
                "This request came from another site's page, so the console did nothing: "
                "use the console's own buttons."
            )

    def _refuse(self, error: ConsoleError) -> None:
        """One sentence: on the console's page for a browser, as JSON for a program."""
        if not self._wants_html():
            self._json({"message": error.sentence, **error.detail}, error.status)
        elif isinstance(error, NotReady | NotFound):
            self._html(
                _console.get_template("notice.html").render(
                    sentence=error.sentence, starting=isinstance(error, NotReady)
                ),
                error.status,
            )
        else:
            self._html(self.server.render_console(error=error.sentence), error.status)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True  # what it sent is left unread
            raise BadRequest(
                f"What was sent is larger than the console takes ({MAX_BODY // 2**20} MB)."
            )
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, data: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        names = {name.lower() for name, _ in headers}
        for name, value in headers:
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _json(self, value: Any, status: int = HTTPStatus.OK) -> None:
        data = json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()
        self._send(status, data, [("Content-Type", "application/json; charset=utf-8")])

    def _html(self, text: str, status: int = HTTPStatus.OK) -> None:
        self._send(status, text.encode(), [("Content-Type", "text/html; charset=utf-8")])

    def _wants_html(self) -> bool:
        return "text/html" in self.headers.get("Accept", "")

    def _form(self, body: bytes) -> dict[str, str]:
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            try:
                value = json.loads(body or b"{}")
            except json.JSONDecodeError as error:
                raise BadRequest(f"What was sent is not JSON ({error}).") from None
            if not isinstance(value, dict):
                raise BadRequest('Send a JSON object, e.g. {"advance": "PT2H"}.')
            return {k: str(v) for k, v in value.items()}
        return {k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()}

    # -------------------------------------------------------------- the console
    def _console(self, method: str, path: str, query: str, body: bytes) -> None:
        """The console's routes: fixed paths first, then those ending in a name."""
        stack = self.server.stack
        fixed: dict[tuple[str, str], Callable[[], None]] = {
            ("GET", ""): lambda: self._html(self.server.render_console()),
            ("GET", "/mail"): lambda: self._json(stack.mailbox.messages()),
            ("DELETE", "/mail"): self._clear_mail,
            ("GET", "/clock"): lambda: self._json(
                {"now": stack.clock().astimezone(UTC).isoformat()}
            ),
            ("POST", "/clock"): lambda: self._move_clock(self._form(body)),
            ("POST", "/drain"): lambda: self._json({"ran": [i.as_json() for i in stack.drain()]}),
            ("POST", "/upload"): lambda: self._upload(body),
            ("POST", "/inbound"): lambda: self._inbound(body),
            ("GET", "/dlq"): lambda: self._json(stack.dead_letter_queues()),
            ("GET", "/outputs"): lambda: self._json(stack.outputs),
            ("GET", "/admin-link"): lambda: self._admin_link(query),
            ("GET", "/aws"): lambda: self._json(
                {"endpoint_url": stack.served_at or stack.endpoint, "region": REGION}
            ),
        }
        if (method, path) in fixed:
            fixed[(method, path)]()
            return
        named: list[tuple[str, str, str, Callable[[str], None]]] = [
            ("GET", "/mail/", "", lambda name: self._mail(name, _part(query))),
            ("GET", "/dlq/", "", lambda name: self._dead_letters(lambda d: d.peek(name))),
            (
                "POST",
                "/dlq/",
                "/replay",
                lambda name: self._dead_letters(lambda d: d.replay(name), back_to_console=True),
            ),
            ("GET", "/demo/", "", self._file),
            ("POST", "/mail/", "/reply", lambda name: self._reply(name, body)),
        ]
        for verb, prefix, suffix, action in named:
            if method == verb and path.startswith(prefix) and path.endswith(suffix):
                action(path.removeprefix(prefix).removesuffix(suffix))
                return
        raise NotFound("The console has no such page: its address is /_local/.")

    def _admin_link(self, query: str) -> None:
        """`palabre admin-link --local EMAIL`: the link alone, or why there is none, as
        plain text lines."""
        stack = self.server.stack
        mint = stack.hooks.console().admin_link
        email = parse_qs(query).get("email", [""])[-1]
        if mint is None:
            raise NotFound("This application has no admin pages to link to.")
        if not email.strip():
            raise BadRequest("Give the admin's address: /_local/admin-link?email=…")
        try:
            link = mint(stack, email)
        except LookupError as refused:
            text = [("Content-Type", "text/plain; charset=utf-8")]
            self._send(HTTPStatus.NOT_FOUND, (str(refused.args[0]) + "\n").encode(), text)
            return
        self._send(
            HTTPStatus.OK, (link + "\n").encode(), [("Content-Type", "text/plain; charset=utf-8")]
        )

    def _clear_mail(self) -> None:
        self.server.stack.clear_mail()
        self._send(HTTPStatus.NO_CONTENT, b"", [])

    def _dead_letters(self, action: Any, back_to_console: bool = False) -> None:
        stack = self.server.stack
        try:
            with stack.lock:
                result = action(stack.dead_letters())
                stack.drain()  # what was sent back runs now, as it would in AWS
        except KeyError as error:
            raise NotFound(f"{error.args[0]}.") from None
        if back_to_console and self._wants_html():
            self._redirect("/_local/")
        else:
            self._json(result)

    def _mail(self, message_id: str, part: str) -> None:
        mail = self.server.stack.mailbox.get(message_id)
        if mail is None:
            raise NotFound(
                "The mailbox holds no such email (it was emptied, or the stack restarted)."
            )
        elif part == "text":
            self._send(
                HTTPStatus.OK,
                mail["text"].encode(),
                [("Content-Type", "text/plain; charset=utf-8")],
            )
        else:
            self._html(mail["html"] or f"<pre>{mail['text']}</pre>")

    def _move_clock(self, form: dict[str, str]) -> None:
        stack = self.server.stack
        if form.get("now"):
            target = parse_instant(form["now"])
        elif form.get("local"):
            target = local_instant(form["local"], self.server.zone)
        elif form.get("advance"):
            target = stack.clock() + parse_duration(form["advance"])
        elif self.headers.get("Content-Type", "").startswith("application/json"):
            raise BadRequest(
                'Say where to move the clock: {"now": "2026-12-01T09:00:00+01:00"} or '
                '{"advance": "PT2H"}.'
            )
        else:
            raise BadRequest(
                "Pick the date and time to move the clock to, or press one of the buttons."
            )
        if "text/event-stream" in self.headers.get("Accept", ""):
            self._stream_move(target)
            return
        summary, ran = self._run_move(target, lambda _: None)
        if self._wants_html() and not self.headers.get("Content-Type", "").startswith(
            "application/json"
        ):
            self._redirect("/_local/#clock")
            return
        self._json(
            {
                "now": stack.clock().astimezone(UTC).isoformat(),
                "summary": summary["text"],
                "ran": [i.as_json() for i in ran],
            }
        )

    def _run_move(
        self, target: datetime, tell: Callable[[dict[str, Any]], None]
    ) -> tuple[dict[str, Any], list[Invocation]]:
        """One move at a time: a second one is told the clock is busy, not made to wait
        unseen; each step is told to `tell` as it ends."""
        server, stack = self.server, self.server.stack
        if not server.moving.acquire(blocking=False):
            raise busy(stack.clock(), server.zone)
        try:
            if target < stack.clock():
                raise backwards(target, stack.clock(), server.zone)
            move = Move(
                zone=server.zone,
                names=stack.hooks.console().function_names,
                emails_sent=stack.mailbox.count,
                function_of={s.name: s.function for s in stack.provisioned.schedules},
                tell=tell,
            )
            heading = f"Moving the clock to {wall_clock(target, server.zone)}…"
            tell({"event": "start", "text": heading})
            try:
                ran = stack.advance_to(target, move.step)
            except ClockBackwards as error:
                raise backwards(error.moment, error.current, server.zone) from None
            summary = move.summary(stack.clock(), ran)
            server.last_move = summary
            return summary, ran
        finally:
            server.moving.release()

    def _stream_move(self, target: datetime) -> None:
        """Server-sent events in a chunked response, one per step as it ends, then the
        summary: the console's script shows them as they come."""
        opened = False
        gone = False

        def tell(event: dict[str, Any]) -> None:
            nonlocal opened, gone
            if not opened:  # a refusal before the move starts is a plain HTTP error
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                opened = True
            if gone:
                return
            data = json.dumps(event, ensure_ascii=False)
            chunk = f"event: {event['event']}\ndata: {data}\n\n".encode()
            try:
                self.wfile.write(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
            except OSError:
                gone = True  # the reader left; the move goes on, as time would

        try:
            summary, _ = self._run_move(target, tell)
        except ConsoleError as error:
            if not opened:
                raise
            tell({"event": "error", "text": error.sentence})
        else:
            tell(summary)
        if not gone:
            try:
                self.wfile.write(b"0\r\n\r\n")
                return
            except OSError:
                pass
        self.close_connection = True

    def _upload(self, body: bytes) -> None:
        stack = self.server.stack
        fields = multipart(self.headers.get("Content-Type", ""), body)
        filename, data = fields.get("file", (None, b""))
        kind = fields.get("kind", (None, b""))[1].decode(errors="replace").strip()
        metadata = {
            name: value
            for name in stack.hooks.console().upload_metadata
            if (value := fields.get(name, (None, b""))[1].decode(errors="replace").strip())
        }
        kinds = stack.upload_prefixes()
        if kind not in kinds:
            raise BadRequest(f"Say what the file is: {' or '.join(kinds)}.")
        if not filename:
            raise BadRequest("Choose the file to upload.")
        try:
            report = stack.upload(kind, filename, data, metadata)
        except UploadFailed:
            raise Failed(
                f"The import of “{Path(filename).name}” stopped on an unexpected error before "
                "writing its report, and may have changed nothing: the recent invocations "
                "name the error."
            ) from None
        if self._wants_html():
            key = f"{kind}/{Path(filename).name}"
            self._html(
                self.server.render_console(
                    report=report, readable=stack.describe_upload(key, report), uploaded=key
                )
            )
        else:
            self._json(report)

    def _inbound(self, body: bytes, back_to_console: bool = False) -> None:
        """A raw RFC 822 message, received as SES would receive it (receiving.py)."""
        if not body.strip():
            raise BadRequest("Send the raw message (RFC 822) as the request's body.")
        try:
            received = self.server.stack.receive_mail(body)
        except NotReceived as refused:
            raise Unprocessable(str(refused)) from None
        if back_to_console:
            self._redirect("/_local/")
        else:
            self._json(received.as_json())

    def _reply(self, message_id: str, body: bytes) -> None:
        """The mailbox's Reply button: the recipient's reply to that email, built as their
        mail client would, received as POST /_local/inbound receives it."""
        stack = self.server.stack
        text = self._form(body).get("text", "")
        raw = stack.mailbox.reply(message_id, text, stack.clock())
        if raw is None:
            raise NotFound(
                "The mailbox holds no such email, or it cannot be answered (it has no Reply-To)."
            )
        self._inbound(raw, back_to_console=self._wants_html())

    def _file(self, name: str) -> None:
        files = self.server.stack.hooks.console().files
        if name not in files:
            known = ", ".join(sorted(files))
            raise NotFound(
                f"The demo has no file named {name}" + (f": try {known}." if known else ".")
            )
        kind = _FILE_TYPES.get(Path(name).suffix, "application/octet-stream")
        self._send(
            HTTPStatus.OK,
            files[name],
            [
                ("Content-Type", kind + "; charset=utf-8"),
                ("Content-Disposition", f'attachment; filename="{name}"'),
            ],
        )

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.SEE_OTHER, b"", [("Location", location)])


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, stack: LocalStack, port: int, starting: str = "") -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.stack = stack
        self.zone = ZoneInfo(stack.hooks.console().timezone)
        """the application's wall clock: every time the console shows or reads"""
        self.starting = starting
        """while not empty, what the stack is still doing: every request is told so"""
        self.moving = threading.Lock()
        self.last_move: dict[str, Any] | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that leaves before its answer is written (a reload, a closed tab) is
        no error of the stack's: nothing to print."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def serve_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="local-console", daemon=True)
        thread.start()
        return thread

    def render_console(self, **extra: Any) -> str:
        stack = self.stack
        console = stack.hooks.console()
        now = stack.clock().astimezone(self.zone)  # the application's wall clock
        return _console.get_template("console.html").render(
            title=console.title,
            now=now,
            now_shown=wall_clock(now),
            next_hour=(now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00"),
            steps=STEPS,
            timezone=console.timezone,
            kinds=stack.upload_prefixes(),
            upload_metadata=console.upload_metadata,
            mails=[
                {**mail, "shown": _shown_date(mail["date"], self.zone)}
                for mail in reversed(stack.mailbox.messages())
            ],
            dead_letters=stack.dead_letter_queues(),
            routes=stack.provisioned.routes,
            outputs=stack.outputs,
            files=sorted(console.files),
            history=[
                {**i.as_json(), "shown": wall_clock(i.at, self.zone), "failed": _failure(i)}
                for i in list(stack.runtime.history)[-15:]
            ][::-1],
            shortcuts=console.shortcuts(stack) if console.shortcuts else [],
            last_move=self.last_move,
            url=self.url,
            **extra,
        )


def _failure(invocation: Invocation) -> str:
    """A failed run in a line — its error's type and message, never its stack trace (the
    terminal running the stack has that); "" for a run that did not fail."""
    if invocation.error is None:
        return ""
    error = invocation.error
    return f"failed: {error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"[:300]


def _shown_date(header: str, zone: ZoneInfo) -> str:
    try:
        return wall_clock(parsedate_to_datetime(header), zone)
    except (TypeError, ValueError):
        return header
