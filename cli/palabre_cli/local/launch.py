"""Starting the local stack: moto on a free loopback port, the template's resources, the
demo organisation, the HTTP server and the clock's ticker."""

import logging
import socket
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from moto.server import ThreadedMotoServer

from palabre_cli import demo
from palabre_cli.local.clock import LocalClock
from palabre_cli.local.server import LocalServer
from palabre_cli.local.stack import LocalStack
from palabre_cli.template import load_source, parameter_defaults


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Running:
    moto: ThreadedMotoServer
    stack: LocalStack
    server: LocalServer
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
    zone = ZoneInfo(parameter_defaults(load_source())["OrganisationTimezone"])
    # The console shows the organisation's wall clock.
    clock = LocalClock((clock_start or datetime.now(UTC)).astimezone(zone))
    stack = LocalStack(endpoint=moto_url, clock=clock, log_level=log_level)
    demo_files = {
        "roster.csv": demo.roster(),
        "calendar.yaml": demo.calendar(clock().astimezone(zone).date()),
    }
    server = LocalServer(stack, port, demo_files)
    stack.serve_api_at(server.url)
    if demo_org:
        stack.upload("roster", "demo-roster.csv", demo_files["roster.csv"], demo.ADMIN)
        stack.upload("calendar", "demo-calendar.yaml", demo_files["calendar.yaml"], demo.ADMIN)
    stack.start()
    return Running(moto=moto, stack=stack, server=server, moto_url=moto_url, demo_loaded=demo_org)
