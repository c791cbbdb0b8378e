"""Palabre on the local stack: the hooks that tie the `palabre` package to sam_moto, and
`palabre local` itself — moto on a free loopback port, the template's resources, the demo
organisation, the HTTP server and the clock's ticker.

This module is the only place that knows both: sam_moto imports nothing from palabre.
"""

import json
import logging
import socket
import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from moto import mock_aws
from moto.server import ThreadedMotoServer

from palabre_cli import console, demo
from palabre_cli.template import LOCAL_PARAMETERS, TEMPLATE, load_source, parameter_defaults
from sam_moto.clock import LocalClock
from sam_moto.hooks import ClientWatch, Clock, Console
from sam_moto.server import LocalServer
from sam_moto.stack import REGION, LocalStack

__all__ = ["REGION", "PalabreHooks", "Running", "launch", "make_stack"]

STACK_NAME = "palabre-local"
LOCAL_INBOUND_DOMAIN = "inbound.palabre.localhost"
REPORT_SUFFIX = ".report.json"


class PalabreHooks:
    """How the stack reaches Palabre: its clock, its AWS clients, its metrics, its
    templates layer, and the console's upload form and demo files."""

    # templates/'s Makefile copies the templates layer under /opt/templates.
    layer_mounts: Mapping[str, str] = {"/opt/templates": "TemplatesLayer"}

    def __init__(self, timezone: str, files: Mapping[str, bytes] | None = None) -> None:
        self.timezone = timezone
        self.files = dict(files or {})

    def use_clock(self, clock: Clock) -> None:
        from palabre.core import clock as palabre_clock

        if not isinstance(clock, LocalClock):
            palabre_clock.use(clock)
            return
        local = clock

        def wait(seconds: float) -> None:
            # A handler that waits (the sender's pace) moves the stack's clock instead.
            local.move_to(local() + timedelta(seconds=seconds))

        palabre_clock.use(clock, wait)

    def watch_clients(self, watch: ClientWatch) -> Callable[[], None]:
        import palabre.aws

        return palabre.aws.on_every_client(watch)

    def after_invocation(self) -> None:
        """With POWERTOOLS_METRICS_DISABLED, Powertools neither prints nor clears the
        metric set at the end of an invocation, and add_metric prints it anyway once a
        metric holds 100 values: in a long-lived local stack, metrics would pile up and
        burst out. Lambda never disables them; here they are dropped after each one."""
        observability = sys.modules.get("palabre.observability")
        if observability is None:
            return
        from aws_lambda_powertools.metrics.functions import is_metrics_disabled

        if is_metrics_disabled():
            observability.metrics.clear_metrics()

    def console(self) -> Console:
        return Console(
            title="Palabre",
            timezone=self.timezone,
            upload_metadata={
                "uploader": "Uploader's email (optional: the first active admin, or else "
                "the AdminAddress parameter)"
            },
            files=self.files,
            upload_result=import_report,
            upload_defaults=acting_admin,
            describe_upload=console.describe_upload,
            function_names=console.FUNCTION_NAMES,
            shortcuts=console.shortcuts,
            admin_link=console.admin_link,
        )


def acting_admin(stack: LocalStack, metadata: Mapping[str, str]) -> dict[str, str]:
    """An upload through the local stack (console, `curl`, `palabre upload --local`, the
    demo) that names no uploader acts as the roster's first active admin, or, while there
    is none, as the AdminAddress parameter: the import function itself believes no one
    else (see docs/files.md)."""
    if metadata.get("uploader"):
        return dict(metadata)
    from palabre.core.models import Role
    from palabre.store.members import MemberStore
    from palabre.store.table import DynamoTable

    table = DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])
    admins = MemberStore(table).with_role(Role.ADMIN)
    uploader = admins[0].email if admins else stack.parameters.get("AdminAddress", "")
    return {**metadata, "uploader": uploader} if uploader else dict(metadata)


def import_report(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """The import's report, which the import writes beside the file it imported."""
    try:
        body = s3.get_object(Bucket=bucket, Key=f"{key}{REPORT_SUFFIX}")["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    report: dict[str, Any] = json.loads(body)
    return report


def make_stack(
    *,
    endpoint: str | None,
    clock: LocalClock,
    parameters: dict[str, str] | None = None,
    log_level: str = "WARNING",
    files: Mapping[str, bytes] | None = None,
) -> LocalStack:
    """Palabre's template.yaml on the local stack."""
    zone = (parameters or {}).get("OrganisationTimezone") or parameter_defaults(load_source())[
        "OrganisationTimezone"
    ]
    # The demo's admin may upload the first roster of an empty local stack (the
    # template's default is empty: no one may, on AWS, until the deployer names someone).
    # Replies to theme emails are received at a .localhost domain, which no real mail
    # reaches: the console's "Reply" button and POST /_local/inbound deliver them.
    parameters = {
        "AdminAddress": demo.ADMIN,
        "InboundDomain": LOCAL_INBOUND_DOMAIN,
        **LOCAL_PARAMETERS,
        **(parameters or {}),
    }
    return LocalStack(
        TEMPLATE,
        hooks=PalabreHooks(zone, files),
        endpoint=endpoint,
        clock=clock,
        parameters=parameters,
        log_level=log_level,
        stack_name=STACK_NAME,
    )


def upload(
    stack: LocalStack, kind: str, filename: str, data: bytes, uploader: str | None = None
) -> dict[str, Any]:
    """Put a roster or calendar where an admin would; the import report comes back."""
    return stack.upload(kind, filename, data, {"uploader": uploader} if uploader else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Running:
    moto: ThreadedMotoServer
    in_process: Any
    stack: LocalStack
    server: LocalServer
    serving: threading.Thread
    moto_url: str
    demo_loaded: bool

    def banner(self) -> str:
        routes = ", ".join(r.key for r in self.stack.provisioned.routes) or "none yet"
        lines = [
            f"Palabre local stack — {self.stack.parameters['OrganisationName']} "
            f"({self.stack.parameters['OrganisationTimezone']})"
            + (", demo organisation loaded" if self.demo_loaded else ", empty"),
            f"  console     {self.server.url}/_local/",
            f"  mailbox     {self.server.url}/_local/mail",
            f"  API         {self.server.url}/   (routes: {routes})",
            f"  AWS (moto)  {self.moto_url}   (AWS_ENDPOINT_URL for the aws CLI or boto3)",
            f"  clock       {self.stack.clock().isoformat(timespec='seconds')}",
            "Ctrl-C stops it; everything lives in memory.",
        ]
        return "\n".join(lines)

    def close(self) -> None:
        self.stack.stop()
        self.server.shutdown()
        self.server.server_close()
        self.in_process.stop()
        self.moto.stop()


def launch(
    *,
    port: int = 3000,
    demo_org: bool = True,
    clock_start: datetime | None = None,
    log_level: str = "WARNING",
) -> Running:
    # moto's server logs every request through werkzeug, even with verbose=False.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    moto_url = f"http://127.0.0.1:{moto_port}"
    # The handlers and the stack reach moto in this process, without HTTP; the server
    # serves the same backends to the aws CLI or boto3 outside (AWS_ENDPOINT_URL).
    in_process = mock_aws()
    in_process.start(reset=False)
    zone = ZoneInfo(parameter_defaults(load_source())["OrganisationTimezone"])
    # The console shows the organisation's wall clock.
    clock = LocalClock((clock_start or datetime.now(UTC)).astimezone(zone))
    demo_files = {
        "roster.csv": demo.roster(),
        "calendar.yaml": demo.calendar(clock().astimezone(zone).date()),
    }
    stack = make_stack(endpoint=None, clock=clock, log_level=log_level, files=demo_files)
    # The console answers while the demo loads: a page left open from an earlier run,
    # reloaded, says the stack is starting instead of failing to connect.
    server = LocalServer(
        stack, port, starting="loading the demo organisation" if demo_org else "starting"
    )
    stack.serve_api_at(server.url)
    stack.share_s3_at(moto_url)
    serving = server.serve_in_background()
    if demo_org:
        upload(stack, "roster", "demo-roster.csv", demo_files["roster.csv"], demo.ADMIN)
        upload(stack, "calendar", "demo-calendar.yaml", demo_files["calendar.yaml"], demo.ADMIN)
    stack.start()
    server.starting = ""
    return Running(
        moto=moto,
        in_process=in_process,
        stack=stack,
        server=server,
        serving=serving,
        moto_url=moto_url,
        demo_loaded=demo_org,
    )
