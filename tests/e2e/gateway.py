"""A stack's API gateway behind a real HTTP server on a free port, for Chromium: the
browser follows redirects and posts forms itself."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sam_moto.stack import LocalStack


@contextmanager
def serve_gateway(stack: LocalStack) -> Iterator[str]:
    """Serves `stack.api` (GET and POST) until the block ends; yields its base URL."""

    class Gateway(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            # a module-scoped stack: each test forgets the application's clock when it ends
            stack.hooks.use_clock(stack.clock)
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            status, headers, body = stack.api(
                method=self.command,
                path=path,
                query=query,
                headers=dict(self.headers.items()),
                body=self.rfile.read(length),
            )
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _forward

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
