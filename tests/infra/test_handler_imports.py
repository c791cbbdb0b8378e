"""Each function loads only what its journey needs: a cold start pays for its own imports.

A fresh interpreter imports the handler, then builds its journey through the wiring
factory (in-memory adapters, no AWS), and reports which of the heavy libraries and
which of Palabre's journeys it loaded. Only the importer may load the spreadsheet
readers (openpyxl, PyYAML, palabre.imports.tabular); no function loads another
journey's modules. The handler's import alone loads none of them, nor pydantic: its
settings and journey come with its first call (docs/performance.md).
"""

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from palabre_cli.template import ROOT, translate

# Libraries whose import costs a cold start tens of milliseconds or more.
HEAVY = (
    "openpyxl",
    "yaml",
    "jinja2",
    "babel",
    "css_inline",
    "icalendar",
    "markdown_it",
    "nh3",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.parameters",
    "aws_lambda_powertools.utilities.parser",
)
JOURNEYS = (
    "palabre.imports",
    "palabre.dispatch",
    "palabre.sending",
    "palabre.answers",
    "palabre.scoring",
    "palabre.digest",
    "palabre.votes",
    "palabre.subscriptions",
    "palabre.bounces",
    "palabre.live",
    "palabre.inbound",
)
MAIL = ("jinja2", "babel", "css_inline", "markdown_it", "nh3")
PAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.parameters")

# What a handler's module body never needs: its first call imports them (the settings'
# and the core's pydantic models, Powertools' parser for a queue's records, the mail and
# page renderers, the journeys), not its cold start. (An HTTP function's module builds
# its resolver: Powertools' event handler is the one heavy library it imports.)
FIRST_CALL = (
    "pydantic",
    "palabre.config",
    "palabre.core.models",
    *(m for m in HEAVY if m != "aws_lambda_powertools.event_handler"),
    *JOURNEYS,
)

# What each function may load; anything else it loads fails the test.
ALLOWED = {
    "ImportUploadFunction": {"openpyxl", "yaml", *MAIL, "palabre.imports"},
    "SchedulePromptsFunction": {"palabre.dispatch"},
    "SendEmailFunction": {
        *MAIL,
        "icalendar",
        "aws_lambda_powertools.utilities.parameters",
        "aws_lambda_powertools.utilities.parser",
        "palabre.sending",
        "palabre.digest",  # weekly emails are sent by the same function
        "palabre.live",  # a live session's invitation
    },
    "PersonalLinksFunction": {
        *(m for m in MAIL if m != "markdown_it"),  # prompts come rendered by the import
        *PAGES,
        "palabre.answers",
        "palabre.votes",
        "palabre.subscriptions",
        "palabre.digest",  # the admin report's exports
        "palabre.live",  # a live session on the answer page
    },
    "AdminSpaceFunction": {
        *(m for m in MAIL if m != "markdown_it"),
        *PAGES,
        "palabre.admin",
    },
    "RosterApplyFunction": {
        "aws_lambda_powertools.utilities.parser",  # its records are parsed by their model
        "palabre.imports",  # a roster's chunks: no spreadsheet read
    },
    "ScoreStreamFunction": {"palabre.scoring"},
    "WeeklyDigestFunction": {"palabre.digest"},
    "SesFeedbackFunction": {"palabre.bounces"},  # (and its guard's store/sending.py)
    "InboundReplyFunction": {
        *(m for m in MAIL if m != "markdown_it"),
        "aws_lambda_powertools.utilities.parameters",
        "palabre.inbound",
        "palabre.answers",  # a reply is saved as the answer form saves it
    },
}

# Builds each function's journey as its handler's first invocation does, with fakes.
_BUILD = {
    "ImportUploadFunction": "wiring.upload_handler(ImportSettings.from_env(), fakes)",
    "SchedulePromptsFunction": "wiring.dispatcher(DispatchSettings.from_env(), lambda: 60, fakes)",
    "SendEmailFunction": "wiring.send_batch(SenderSettings.from_env(), fakes)",
    "PersonalLinksFunction": (
        "[f(PersonalLinksSettings.from_env(), fakes) for f in (wiring.answer_pages,"
        " wiring.vote_pages, wiring.subscription_pages, wiring.exports)]"
    ),
    "AdminSpaceFunction": (
        "[f(AdminSettings.from_env(), fakes) for f in (wiring.admin_pages, wiring.dashboard_pages)]"
    ),
    "RosterApplyFunction": "wiring.roster_apply(RosterChunkSettings.from_env(), fakes)",
    "ScoreStreamFunction": "wiring.score_keeper(ScoreSettings.from_env(), fakes)",
    "WeeklyDigestFunction": "wiring.digest_builder(DigestSettings.from_env(), fakes)",
    "SesFeedbackFunction": "wiring.table(FeedbackSettings.from_env(), fakes)",
    "InboundReplyFunction": "wiring.inbound_replies(InboundReplySettings.from_env(), fakes)",
}
_PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", {app!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
after_import = sorted(sys.modules)
before_fakes = set(sys.modules)
from tests.fakes import FakeTable
fakes_alone = set(sys.modules) - before_fakes
from palabre import wiring
from palabre.config import *
from palabre.core.tokens import Signer
fakes = wiring.Adapters(
    table=FakeTable(),
    sending_table=FakeTable(),
    signer=Signer(["k" * 32]),
    s3=object(),
    sqs=object(),
    sesv2=object(),
    ses=object(),
)
{build}
loaded = [m for m in sys.modules if m not in fakes_alone]  # the settings too
print(json.dumps({{"import": after_import, "journey": loaded}}))
"""
ENVIRONMENT = {
    "TABLE_NAME": "palabre",
    "UPLOADS_BUCKET": "palabre-uploads",
    "SENDER_ADDRESS": "palabre@example.com",
    "ORGANISATION_NAME": "Palabre",
    "ORGANISATION_TIMEZONE": "Europe/Paris",
    "WORKING_DAYS": "Mon,Tue,Wed,Thu,Fri",
    "DEFAULT_LOCALE": "fr",
    "ADMIN_ADDRESS": "",
    "LIBRARY_VOTES": "3",
    "GIVE_TO_GET": "on",
    "CONFIGURATION_SET": "palabre",
    "LINK_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:links",
    "TEMPLATES_DIR": str(ROOT / "templates"),
    "DEAD_LETTER_QUEUES": "send=https://sqs.example/send-dlq",
    "SEND_QUEUE_URL": "https://sqs.example/send",
    "ROSTER_APPLY_QUEUE_URL": "https://sqs.example/roster-apply",
    "RETRY_FUNCTIONS": "score=palabre-score,schedule=palabre-tick+palabre-digest",
    "SEND_RATE_SHARE": "100",
    "MAX_DEACTIVATION": "20",
    "SENDING_TABLE": "palabre-sending",
    "ANONYMITY_THRESHOLD": "3",
    "QUESTION_POINTS": "5",
    "RETENTION_MONTHS": "24",
    "PUBLIC_BASE_URL": "https://palabre.example.com",
    "INBOUND_DOMAIN": "replies.example.com",
    "POWERTOOLS_SERVICE_NAME": "palabre",
    "POWERTOOLS_METRICS_NAMESPACE": "Palabre",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


def _families(modules: list[str], families: tuple[str, ...] = (*HEAVY, *JOURNEYS)) -> set[str]:
    found = set()
    for name in modules:
        for family in families:
            if name == family or name.startswith(family + "."):
                found.add(family)
    return found


def _functions() -> dict[str, Path]:
    translated = translate({"InboundDomain": "replies.example.com"})
    return {
        logical_id: translated.code_paths[logical_id] / "app.py"
        for logical_id in translated.of_type("AWS::Lambda::Function")
    }


def test_every_function_is_listed() -> None:
    assert set(_functions()) == set(ALLOWED) == set(_BUILD)


@cache
def _loaded(function: str) -> dict[str, Any]:
    """{"import": the modules `import app` loaded, "journey": those with its journey}"""
    probe = _PROBE.format(app=str(_functions()[function]), build=_BUILD[function])
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={
            **ENVIRONMENT,
            "PYTHONPATH": f"{ROOT / 'layers' / 'palabre'}:{ROOT}",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize("function", sorted(ALLOWED))
def test_a_function_loads_only_what_its_journey_needs(function: str) -> None:
    loaded = _loaded(function)

    on_import = _families(loaded["import"])
    with_journey = _families(loaded["journey"])

    assert on_import <= with_journey
    assert with_journey - ALLOWED[function] == set(), f"{function} loads more than it needs"
    if function not in ("ImportUploadFunction", "RosterApplyFunction"):
        assert not {"openpyxl", "yaml", "palabre.imports"} & with_journey
    # a roster's chunks need the import's code, never its spreadsheet readers
    assert not {"openpyxl", "yaml"} & (with_journey - ALLOWED[function])


@pytest.mark.parametrize("function", sorted(ALLOWED))
def test_a_cold_import_leaves_pydantic_the_settings_and_the_journey_to_the_first_call(
    function: str,
) -> None:
    """Given a function's handler module, when a fresh interpreter imports it (Lambda's
    init), then it has loaded none of what only an invocation uses — pydantic, the
    settings, the core models, Powertools' parser, the renderers, any journey — which
    were a third or more of every cold start (2.03x to 2.39x `import boto3`)."""
    loaded = _loaded(function)

    assert _families(loaded["import"], FIRST_CALL) == set()
    # and the first call does load them: they were deferred, not dropped
    assert "palabre.config" in loaded["journey"]
