"""The built artifact (`make build`): the layer's size, and each handler's cold start as
Lambda runs it — a fresh interpreter with Lambda's sys.path (the function's build folder,
the layers' python/, the runtime's boto3, the standard library; palabre_cli.built), timed
as a ratio to `import boto3` in the same run, so that the machine's speed cancels out.

- `import app`: the handler module alone (goal <= 2.0x).
- `+ its journey`: with what its first call imports: its settings (palabre.config, the
  handler imports them with its first call), what else the handler imports then, and the
  modules palabre.wiring's factory imports.
- the personal links function's first request: `import app`, then a GET of the answer
  form rendered from an in-memory table and signer (goal <= 2.5x). The table's items and
  the link are made by this process and handed over as JSON, so the probe imports nothing
  of Palabre's outside the timed part but tests/fakes.py (and the palabre.store.table it
  stands in for, a few milliseconds the request would import too); the table and signer
  are injected through palabre.wiring.override. The real first request also creates its
  DynamoDB and Secrets Manager clients.
"""

import json
import statistics
import subprocess
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from palabre.core.models import Audience, Member, Prompt, Theme
from palabre.core.tokens import Purpose, Signer
from palabre.store import keys
from palabre.store.members import member_item
from palabre.store.themes import theme_item
from palabre_cli import built

RUNS = 7
IMPORT_GOAL = 2.0
FIRST_REQUEST_GOAL = 2.5
FIRST_REQUEST_FUNCTION = "PersonalLinksFunction"
ROOT = Path(__file__).resolve().parents[1]
SETTINGS = "palabre.config"
PARAMETERS = "aws_lambda_powertools.utilities.parameters"  # the link secret, for a signer
# What each handler's first call imports: its settings, what the handler imports with
# them, then what palabre.wiring's factory imports (the first page of an HTTP function).
JOURNEY_MODULES = {
    "AdminSpaceFunction": [
        SETTINGS,
        "palabre.admin.access",
        "palabre.admin.pages",
        "palabre.admin.dashboard",
        "palabre.admin.dashboard_page",
        PARAMETERS,
    ],
    "ImportUploadFunction": [
        SETTINGS,
        "palabre.imports.importer",
        "palabre.imports.uploads",
        "palabre.mail.outbox",
    ],
    "InboundReplyFunction": [
        SETTINGS,
        "palabre.inbound.replies",
        "palabre.answers.answers",
        "palabre.store.inbound",
        PARAMETERS,
    ],
    "PersonalLinksFunction": [
        SETTINGS,
        "palabre.answers.pages",
        "palabre.answers.answers",
        PARAMETERS,
    ],
    "RosterApplyFunction": [
        SETTINGS,
        "palabre.imports.chunk_record",
        "palabre.imports.chunks",
        "palabre.imports.arrivals",
    ],
    "SchedulePromptsFunction": [
        SETTINGS,
        "palabre.core.local_time",
        "palabre.dispatch.dispatcher",
        "palabre.core.jobs",
    ],
    "ScoreStreamFunction": [
        SETTINGS,
        "palabre.scoring.awards",
        "palabre.store.table",
        "palabre.store.library",
    ],
    "SendEmailFunction": [
        SETTINGS,
        "palabre.sending.job_record",
        "palabre.mail.outbox",
        "palabre.sending.batch",
        "palabre.sending.sender",
        "palabre.core.links",
        "palabre.core.tokens",
        PARAMETERS,
    ],
    "SesFeedbackFunction": [
        SETTINGS,
        "palabre.bounces.feedback",
        "palabre.bounces.guard",
        "palabre.store.sending",
        "palabre.store.table",
    ],
    "WeeklyDigestFunction": [
        SETTINGS,
        "palabre.core.local_time",
        "palabre.digest.builder",
        "palabre.core.jobs",
    ],
}

_IMPORT = """
import importlib, json, time
started = time.perf_counter()
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
print(json.dumps({"seconds": time.perf_counter() - started}))
"""

# `import app` timed; then, untimed, an in-memory table holding the items this process
# made (one theme, the prompt a member was sent, the member) and a signer; then the first
# request, timed: GET /answer/<token>.
_FIRST_REQUEST = """
import importlib.util, json, time
started = time.perf_counter()
import app
imported = time.perf_counter() - started

from palabre.core.tokens import Signer
from palabre.wiring import Adapters, override

spec = importlib.util.spec_from_file_location("fakes", sys.argv[1])
fakes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fakes)
fixture = json.loads(open(sys.argv[3], encoding="utf-8").read())
table = fakes.FakeTable(fixture["items"])
signer = Signer(fixture["keys"])
event = json.loads(open(sys.argv[2], encoding="utf-8").read())
old = event["pathParameters"]["token"]
event = json.loads(json.dumps(event).replace(old, fixture["token"]))

class Context:
    function_name = "PersonalLinksFunction"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:PersonalLinksFunction"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    log_group_name = "/aws/lambda/PersonalLinksFunction"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 10_000

with override(Adapters(table=table, signer=signer)):
    started = time.perf_counter()
    response = app.lambda_handler(event, Context())
    request = time.perf_counter() - started
assert response["statusCode"] == 200, response
assert '<form method="post"' in response["body"], response["body"][:500]
assert "Listening</h1>" in response["body"], response["body"][:500]
assert "you <strong>hear</strong> this" in response["body"], response["body"][:2000]
print(json.dumps({"seconds": imported + request, "import": imported, "request": request}))
"""


class Lambda:
    """The built functions, and the runtime stand-in their interpreters share."""

    def __init__(self, folder: Path) -> None:
        self.functions = built.functions()
        self.runtime = built.runtime_stand_in(folder / "runtime")

    def run(self, logical_id: str, code: str, *args: str) -> dict[str, Any]:
        function = self.functions[logical_id]
        output = subprocess.run(
            built.lambda_python(function, self.runtime, code, *args),
            env=built.lambda_environment(function),
            cwd=function.task_root,
            capture_output=True,
            text=True,
            check=False,
        )
        if output.returncode != 0:
            raise RuntimeError(f"{logical_id}: {output.stderr}")
        result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
        return result


def _answer_fixture(folder: Path) -> Path:
    """The first request's table items (a theme, the prompt a member was sent, the member,
    as the calendar and roster imports store them), its signing keys and the link, as
    JSON: made here, so that the probe's interpreter imports none of it untimed."""
    now = datetime.now(UTC)
    theme = Theme(
        id="listening",
        send_on=now.date(),
        title="Listening",
        prompt="What did you **hear** this week?",
        prompt_html="<p>What did you <strong>hear</strong> this week?</p>\n",
        audience=Audience(everyone=True),
    )
    lina = Member(  # in the roster: her link may write
        email="lina@example.com",
        first_name="Lina",
        circle="Nord",
        locale="fr",
        timezone="Europe/Paris",
    )
    prompt = Prompt(
        theme_id=theme.id,
        member_id=lina.id,
        status="sent",
        at=now,
        sent_at=now - timedelta(hours=1),
        deadline=now + timedelta(days=6),
        first_name="Lina",
        locale="fr",
        timezone="Europe/Paris",
        circle="Nord",
    )
    sent = {**keys.prompt(theme.id, prompt.member_id), **prompt.model_dump(mode="json")}
    secret = ["k" * 64]
    token = Signer(secret).sign(
        Purpose.ANSWER, [theme.id, prompt.member_id], now + timedelta(days=6)
    )
    fixture = {
        "items": [theme_item(theme), sent, member_item(lina)],
        "keys": secret,
        "token": token,
    }
    path = folder / "answer-fixture.json"
    path.write_text(json.dumps(fixture), encoding="utf-8")
    return path


def _probes(artifact: Lambda, folder: Path) -> dict[tuple[str, str], tuple[str, str, list[str]]]:
    """(function or "boto3", what) -> (the function whose path it runs with, code, args)"""
    probes = {("boto3", ""): (FIRST_REQUEST_FUNCTION, _IMPORT, [json.dumps(["boto3"])])}
    for logical_id, function in artifact.functions.items():
        probes[logical_id, "import"] = (logical_id, _IMPORT, [json.dumps([function.module])])
        if logical_id in JOURNEY_MODULES:
            journey = [function.module, *JOURNEY_MODULES[logical_id]]
            probes[logical_id, "journey"] = (logical_id, _IMPORT, [json.dumps(journey)])
    probes[FIRST_REQUEST_FUNCTION, "first request"] = (
        FIRST_REQUEST_FUNCTION,
        _FIRST_REQUEST,
        [
            str(ROOT / "tests" / "fakes.py"),
            str(ROOT / "events" / "personal_links" / "show-answer.json"),
            str(_answer_fixture(folder)),
        ],
    )
    return probes


def measure(runs: int = RUNS) -> dict[str, Any]:
    """{"boto3": median seconds of `import boto3`, function: {"import" and "journey", and
    "first request" for FIRST_REQUEST_FUNCTION: (median seconds, median ratio)}}.

    Each of the `runs` rounds starts every probe once, boto3 first, and each ratio is
    taken within its round: the load of a shared machine then weighs on both sides."""
    samples: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as folder:
        artifact = Lambda(Path(folder))
        probes = _probes(artifact, Path(folder))
        for _ in range(runs):
            for key, (logical_id, code, args) in probes.items():
                samples[key].append(artifact.run(logical_id, code, *args)["seconds"])
    baseline = samples.pop(("boto3", ""))
    figures: dict[str, Any] = {"boto3": statistics.median(baseline)}
    for (logical_id, what), seconds in samples.items():
        figures.setdefault(logical_id, {})[what] = (
            statistics.median(seconds),
            statistics.median(s / b for s, b in zip(seconds, baseline, strict=True)),
        )
    return figures


def first_request() -> float:
    """One first request of FIRST_REQUEST_FUNCTION, in seconds (the probe checks the
    page it gets)."""
    with tempfile.TemporaryDirectory() as folder:
        artifact = Lambda(Path(folder))
        probes = _probes(artifact, Path(folder))
        logical_id, code, args = probes[FIRST_REQUEST_FUNCTION, "first request"]
        return float(artifact.run(logical_id, code, *args)["seconds"])


def layer_size(top: int = 8) -> tuple[int, int, list[tuple[str, int]]]:
    """The PalabreLayer as it unzips: bytes, files, and the biggest entries of python/
    (every package's .dist-info counted together)."""
    python = built.layer(built.template(), "PalabreLayer") / "python"
    sizes: Counter[str] = Counter()
    files = 0
    for path in python.rglob("*"):
        if path.is_file():
            files += 1
            entry = path.relative_to(python).parts[0]
            sizes["*.dist-info" if entry.endswith(".dist-info") else entry] += path.stat().st_size
    return sum(sizes.values()), files, sizes.most_common(top)


def heaviest_imports(top: int = 6) -> dict[str, list[tuple[str, float]]]:
    """Per function, `import app` under -X importtime (one fresh interpreter each): the
    top-level packages that cost most, as the self time of all their modules (seconds)."""
    heaviest = {}
    with tempfile.TemporaryDirectory() as folder:
        artifact = Lambda(Path(folder))
        for logical_id, function in artifact.functions.items():
            command = built.lambda_python(function, artifact.runtime, f"import {function.module}")
            command[1:1] = ["-X", "importtime"]
            output = subprocess.run(
                command,
                env=built.lambda_environment(function),
                cwd=function.task_root,
                capture_output=True,
                text=True,
                check=True,
            )
            per_package: defaultdict[str, float] = defaultdict(float)
            for line in output.stderr.splitlines():
                if not line.startswith("import time:") or "self [us]" in line:
                    continue
                self_us, _, name = (part.strip() for part in line[12:].split("|"))
                per_package[name.split(".")[0]] += int(self_us) / 1e6
            heaviest[logical_id] = sorted(per_package.items(), key=lambda kv: -kv[1])[:top]
    return heaviest
