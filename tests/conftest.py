"""Shared test setup. Each suite is marked by its folder, named by what it costs:
unit (no AWS, no sockets), functional (handlers against moto), e2e (the local stack over
HTTP and a real browser), infra (the translated template)."""

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
TEMPLATES = ROOT / "templates"
SUITES = ("unit", "functional", "e2e", "infra")


def pytest_configure(config: pytest.Config) -> None:
    """The test process is one Lambda container for every function: like Lambda, it has
    the template's Globals environment before any handler module is imported, so
    module-level Logger and Metrics resolve the service and namespace whichever test
    imports them first."""
    from palabre_cli.template import globals_environment, load_source

    for name, value in globals_environment(load_source()).items():
        os.environ.setdefault(name, value)
    # As in the local stack: no X-Ray daemon to send traces to.
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        suite = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        if suite in SUITES:
            item.add_marker(getattr(pytest.mark, suite))


def load_event(name: str) -> Any:
    """An event from events/, the same file `sam local invoke -e` takes."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def _refuse_scan(**_: Any) -> None:
    raise AssertionError("a DynamoDB Scan on a production path")


@pytest.fixture(autouse=True)
def _no_scan() -> Iterator[None]:
    """Every client the handlers and the domain take from palabre.aws refuses Scan, in
    every test: no production path may scan the table (tests read it back with their own
    clients)."""
    import palabre.aws

    def refuse_scan(service: str, client: Any) -> None:
        if service == "dynamodb":
            client.meta.events.register_first(
                "before-call.dynamodb.Scan", _refuse_scan, unique_id="palabre-no-scan"
            )

    remove = palabre.aws.on_every_client(refuse_scan)
    yield
    remove()


@pytest.fixture(autouse=True)
def _reset_global_state() -> Any:
    """Module-level state must not leak between tests: clock, clients, caches."""
    import palabre.aws
    import palabre.core.clock
    import palabre.wiring

    yield
    palabre.core.clock.reset()
    palabre.aws.forget_hooks()
    palabre.wiring.reset()
