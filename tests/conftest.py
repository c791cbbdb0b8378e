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


# ------------------------------------------------------------------ least privilege
class Exercised:
    """Every permission of every role that a call of the functional suite needed: when the
    whole suite ran and passed, a permission nobody needed is an excess
    (docs/local-stack.md). With pytest-xdist, each worker sends what it saw to the
    controller, which judges once every file has run on one worker or another."""

    def __init__(self) -> None:
        self.functions: list[Any] = []
        self.granted: dict[tuple[str, str, str], None] = {}
        self.used: set[tuple[str, str, str]] = set()
        self.files: set[str] = set()
        """the functional test files that ran (in any process)"""

    def watch(self, stack: Any) -> None:
        self.functions.extend(stack.provisioned.functions.values())

    def _settle(self) -> None:
        from sam_moto.iam import MANAGED

        for function in self.functions:
            for statement in function.policy.statements if function.policy else ():
                if statement.effect == "Allow" and statement.origin not in MANAGED:
                    for action in statement.actions:
                        self.granted[(function.logical_id, statement.origin, action)] = None
            self.used |= {(function.logical_id, s.origin, a) for s, a in function.exercised}
        self.functions.clear()

    def dump(self) -> dict[str, list[list[str]]]:
        self._settle()
        return {"granted": [list(g) for g in self.granted], "used": [list(u) for u in self.used]}

    def merge(self, seen: dict[str, list[list[str]]]) -> None:
        self.granted |= {(f, o, a): None for f, o, a in seen["granted"]}
        self.used |= {(f, o, a) for f, o, a in seen["used"]}

    def unused(self) -> list[str]:
        self._settle()
        return [
            f"{function}: {action} ({origin}) was never needed"
            for function, origin, action in self.granted
            if (function, origin, action) not in self.used
        ]


EXERCISED = Exercised()
FUNCTIONAL = Path(__file__).parent / "functional"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Called where the run is judged: in the controller for the workers' tests too.
    path = ROOT / report.nodeid.split("::", 1)[0]
    if report.when == "call" and path.parent == FUNCTIONAL:
        EXERCISED.files.add(path.name)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller hears what a worker's stacks exercised."""
    seen = getattr(node, "workeroutput", {}).get("palabre_iam")
    if seen:
        EXERCISED.merge(seen)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Only a whole, passing run of tests/functional says what is never needed."""
    config: Any = session.config
    if hasattr(config, "workeroutput"):  # a worker: the controller judges
        config.workeroutput["palabre_iam"] = EXERCISED.dump()
        return
    whole = {p.name for p in FUNCTIONAL.glob("test_*.py")}
    if (
        exitstatus != 0
        or EXERCISED.files != whole
        or config.getoption("deselect")
        or config.getoption("keyword")
        or config.getoption("markexpr")
    ):
        return
    unused = EXERCISED.unused()
    if unused:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "permissions no test needed (template.yaml: remove them)")
            for line in unused:
                reporter.write_line(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
