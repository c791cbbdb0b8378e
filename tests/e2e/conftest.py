"""The local stack as a newcomer runs it (`palabre local`), on a free port, and Debian's
Chromium driven by Playwright (no browser download)."""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

ARTIFACTS = ROOT / "artifacts"
DOCS_IMAGES = ROOT / "docs" / "images"


def screenshot_path(name: str, *, docs: bool = False) -> Path:
    """Where a screenshot goes: artifacts/; a screenshot the documentation shows (`docs`)
    goes to docs/images/ instead when `make screenshots` asks for them
    (PALABRE_SCREENSHOTS=docs), so a test run never changes the repository."""
    wanted = docs and os.environ.get("PALABRE_SCREENSHOTS") == "docs"
    folder = DOCS_IMAGES if wanted else ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


THIS_TREE = {
    "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "palabre"), str(ROOT / "cli"), str(ROOT)])
}
"""what a `palabre` subprocess needs to run this tree's code, whichever tree the
environment's entry point was installed from (pytest's pythonpath reaches no subprocess)"""
CLOCK_START = "2026-11-30T08:00:00+01:00"  # a Monday morning in Paris
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Local:
    url: str
    moto_url: str
    output: list[str]

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())

    def mail(self) -> list[dict[str, Any]]:
        response = self.request("GET", "/_local/mail")
        assert response.status == 200
        return response.json()

    def move_clock(self, **body: str) -> dict[str, Any]:
        response = self.request("POST", "/_local/clock", json_body=body)
        assert response.status == 200, response.body
        return response.json()

    def upload(self, kind: str, filename: str, data: bytes, uploader: str = "") -> Response:
        boundary = "palabre-e2e-boundary"
        fields = [("kind", None, kind.encode()), ("file", filename, data)]
        if uploader:
            fields.append(("uploader", None, uploader.encode()))
        body = b""
        for name, file_name, content in fields:
            disposition = f'form-data; name="{name}"' + (
                f'; filename="{file_name}"' if file_name else ""
            )
            body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
            body += content + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        return self.request(
            "POST",
            "/_local/upload",
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )


@pytest.fixture(scope="module")
def local() -> Iterator[Local]:
    """A fresh stack per test module: the clock only moves forward, so modules that travel
    in time must not share one."""
    palabre = Path(sys.executable).with_name("palabre")
    env = {**os.environ, **THIS_TREE, "PORT": "0", "DEMO": "1", "CLOCK_START": CLOCK_START}
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [str(palabre), "local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    found: dict[str, str] = {}
    try:
        while len(found) < 2:
            line = lines.get(timeout=120)
            if line.strip().startswith("console"):
                found["url"] = line.split()[1].removesuffix("/_local/")
            if line.strip().startswith("AWS (moto)"):
                found["moto_url"] = line.split()[2]
    except queue.Empty:
        process.kill()
        pytest.fail("the local stack did not start:\n" + "".join(output))
    yield Local(url=found["url"], moto_url=found["moto_url"], output=output)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(
            "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()
