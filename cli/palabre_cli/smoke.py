"""`palabre smoke`: is a deployed (or the local) stack ready to serve?

What to check is read from template.yaml: the outputs it declares, and for each one the
kind of resource it names (the table, the bucket, the secret, the queues, the schedules,
the configuration set), the dead-letter queues, and the HTTP API's GET routes. Where to
find each resource is read from the stack's outputs. Nothing is written, except the one
test email that `--to` asks for.
"""

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from palabre_cli.template import Translated
from sam_moto.dead_letters import sources

type Status = Literal["ok", "warn", "FAIL"]
type Clients = Callable[[str], Any]

FORGED = "smoke-forged-link"
"""What stands for every path parameter of a route: no link ever looks like it."""
MIN_KEY_LENGTH = 32
SANDBOX_HINT = (
    "in the SES sandbox, only verified addresses receive mail: request production access "
    "(docs/deploy.md#ses-production-access-and-quota)"
)


@dataclass(frozen=True)
class Line:
    status: Status
    check: str
    detail: str

    def __str__(self) -> str:
        return f"{self.status:<4}  {self.check}: {self.detail}"


class MissingOutput(Exception):
    """The stack lacks an output this template.yaml declares."""


@dataclass(frozen=True)
class Plan:
    """What template.yaml says a stack holds, by output name."""

    outputs: tuple[str, ...]
    named: dict[str, tuple[str, ...]]
    """resource type -> the outputs that name a resource of that type"""
    dead_letters: frozenset[str]
    """outputs that name a dead-letter queue"""
    routes: tuple[str, ...]
    """the HTTP API's GET paths"""
    recovering: frozenset[str] = frozenset()
    """outputs that name a table the template gives point-in-time recovery (the data;
    not the sender's pace and hourly counts, which use rebuilds)"""

    @classmethod
    def of(cls, translated: Translated) -> "Plan":
        named: dict[str, list[str]] = {}
        dead_letters = set(sources(translated))
        parked: set[str] = set()
        recovering: set[str] = set()
        outputs = []
        for name, spec in translated.outputs.items():
            if "Condition" in spec:
                continue
            outputs.append(name)
            value = spec["Value"]
            target = value.get("Ref") if isinstance(value, dict) else None
            if target in translated.resources:
                named.setdefault(translated.resources[target]["Type"], []).append(name)
                if target in dead_letters:
                    parked.add(name)
                recovery = (
                    translated.resources[target]
                    .get("Properties", {})
                    .get("PointInTimeRecoverySpecification", {})
                )
                if recovery.get("PointInTimeRecoveryEnabled") is True:
                    recovering.add(name)
        routes = [
            path
            for api in translated.of_type("AWS::ApiGatewayV2::Api").values()
            for path, methods in api["Properties"].get("Body", {}).get("paths", {}).items()
            if "get" in methods
        ]
        return cls(
            outputs=tuple(outputs),
            named={kind: tuple(names) for kind, names in named.items()},
            dead_letters=frozenset(parked),
            routes=tuple(sorted(routes)),
            recovering=frozenset(recovering),
        )

    def of_type(self, kind: str) -> tuple[str, ...]:
        return self.named.get(kind, ())


@dataclass
class Target:
    """A running stack: its outputs, and clients to reach its resources."""

    name: str
    outputs: dict[str, str]
    clients: Clients
    moto: bool = False
    """moto stands in for AWS: it reports no SES account, nor a configuration set's
    sending switch (it nests the flag in its reply, which then reads as false)"""
    _made: dict[str, Any] = field(default_factory=dict)

    def output(self, name: str) -> str:
        if name not in self.outputs:
            raise MissingOutput(name)
        return self.outputs[name]

    def client(self, service: str) -> Any:
        if service not in self._made:
            self._made[service] = self.clients(service)
        return self._made[service]


# ---------------------------------------------------------------------------- checks
def run(target: Target, plan: Plan, to: str | None = None) -> list[Line]:
    checks: list[tuple[str, Callable[[], Iterator[Line]]]] = [
        ("outputs", lambda: _outputs(target, plan)),
        ("routes", lambda: _routes(target, plan)),
        ("secret", lambda: _secrets(target, plan)),
        ("schedules", lambda: _schedules(target, plan)),
        ("table", lambda: _tables(target, plan)),
        ("bucket", lambda: _buckets(target, plan)),
        ("queues", lambda: _queues(target, plan)),
        ("ses", lambda: _ses(target, plan)),
    ]
    if to:
        checks.append(("test email", lambda: _test_email(target, plan, to)))
    lines: list[Line] = []
    for name, check in checks:
        try:
            lines.extend(check())
        except MissingOutput as missing:
            lines.append(
                Line("FAIL", name, f"the stack has no output {missing}: `sam deploy` this version")
            )
        except ClientError as error:
            lines.append(Line("FAIL", name, _aws_error(error)))
        except BotoCoreError as error:
            lines.append(Line("FAIL", name, str(error)))
    return lines


def _aws_error(error: ClientError) -> str:
    info = error.response.get("Error", {})
    return f"{info.get('Code', 'error')}: {info.get('Message', str(error))}"


def _outputs(target: Target, plan: Plan) -> Iterator[Line]:
    missing = [name for name in plan.outputs if name not in target.outputs]
    if missing:
        yield Line(
            "FAIL",
            "outputs",
            f"missing {', '.join(missing)}: the stack runs an older template.yaml; "
            "`sam deploy` this version",
        )
    else:
        yield Line("ok", "outputs", f"all {len(plan.outputs)} outputs of template.yaml")


def _routes(target: Target, plan: Plan) -> Iterator[Line]:
    """A forged link on every GET route gets the plain not-found page: the function runs,
    reads its secret and table, and refuses the link. A POST would need a real link."""
    families: dict[str, list[str]] = {}
    for path in plan.routes:
        families.setdefault("/" + path.strip("/").split("/")[0], []).append(path)
    base = target.output("ApiUrl").rstrip("/")
    for family, paths in families.items():
        wrong = []
        for path in paths:
            url = base + re.sub(r"\{[^}]+\}", FORGED, path)
            status, content_type = _get(url)
            if status != 404 or not content_type.startswith("text/html"):
                wrong.append(f"GET {path} answered {status} {content_type or ''}".rstrip())
        if wrong:
            hint = "see the function's logs" if any(" 5" in w for w in wrong) else "expected 404"
            yield Line("FAIL", f"routes {family}/*", f"{'; '.join(wrong)} ({hint})")
        else:
            yield Line(
                "ok",
                f"routes {family}/*",
                f"{len(paths)} GET route(s) answer a forged link with the plain 404 page",
            )


def _get(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", "")
    except (urllib.error.URLError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        return 0, f"(no answer: {reason})"


def _secrets(target: Target, plan: Plan) -> Iterator[Line]:
    secrets = target.client("secretsmanager")
    for name in plan.of_type("AWS::SecretsManager::Secret"):
        text = secrets.get_secret_value(SecretId=target.output(name))["SecretString"]
        yield link_secret_line(text)


def link_secret_line(text: str) -> Line:
    """The link keys as palabre.core.tokens reads them: {"current": KEY, "previous": [...]}."""
    fix = (
        'put {"current": KEY, "previous": [OLD, ...]} back '
        "(docs/operations.md#rotating-the-link-key)"
    )
    try:
        secret = json.loads(text)
    except ValueError:
        return Line("FAIL", "secret", f"not JSON: every personal link is refused; {fix}")
    if not isinstance(secret, dict):
        return Line("FAIL", "secret", f"not a JSON object; {fix}")
    current = secret.get("current")
    previous = secret.get("previous", [])
    if not isinstance(current, str) or not current:
        return Line("FAIL", "secret", f'no "current" key: no link can be signed; {fix}')
    if isinstance(previous, str):
        # palabre.core.tokens reads a lone string as one key: it works, but is not the shape.
        return Line("warn", "secret", f'"previous" is a string, not a list of keys; {fix}')
    if not isinstance(previous, list) or not all(isinstance(k, str) and k for k in previous):
        return Line("FAIL", "secret", f'"previous" is not a list of keys; {fix}')
    if len(current) < MIN_KEY_LENGTH:
        return Line(
            "warn",
            "secret",
            f'the "current" key has {len(current)} characters: rotate to a random one of 64',
        )
    return Line("ok", "secret", f"a current key and {len(previous)} previous")


def _schedules(target: Target, plan: Plan) -> Iterator[Line]:
    scheduler = target.client("scheduler")
    for name in plan.of_type("AWS::Scheduler::Schedule"):
        schedule = scheduler.get_schedule(Name=target.output(name))
        where = f"{schedule['Name']} ({schedule['ScheduleExpression']})"
        if schedule.get("State") == "ENABLED":
            yield Line("ok", "schedule", f"{where} is ENABLED")
        else:
            yield Line(
                "FAIL",
                "schedule",
                f"{where} is {schedule.get('State')}: nothing it runs goes out; "
                "`sam deploy` again sets it ENABLED",
            )


def _tables(target: Target, plan: Plan) -> Iterator[Line]:
    dynamodb = target.client("dynamodb")
    for name in plan.of_type("AWS::DynamoDB::Table"):
        table = target.output(name)
        status = dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]
        if status != "ACTIVE":
            yield Line("FAIL", "table", f"{table} is {status}, not ACTIVE")
            continue
        if name not in plan.recovering:
            yield Line("ok", "table", f"{table} is ACTIVE")
            continue
        backups = dynamodb.describe_continuous_backups(TableName=table)
        recovery = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
        if recovery.get("PointInTimeRecoveryStatus") == "ENABLED":
            yield Line("ok", "table", f"{table} is ACTIVE, point-in-time recovery on")
        else:
            yield Line(
                "warn",
                "table",
                f"{table} is ACTIVE but point-in-time recovery is off: turn it on "
                "(docs/operations.md)",
            )


def _buckets(target: Target, plan: Plan) -> Iterator[Line]:
    s3 = target.client("s3")
    for name in plan.of_type("AWS::S3::Bucket"):
        bucket = target.output(name)
        s3.head_bucket(Bucket=bucket)
        yield Line("ok", "bucket", f"{bucket} is there")


def _queues(target: Target, plan: Plan) -> Iterator[Line]:
    sqs = target.client("sqs")
    for name in plan.of_type("AWS::SQS::Queue"):
        url = target.output(name)
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        count = int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )
        queue = name.removesuffix("Url")
        if name not in plan.dead_letters:
            yield Line("ok", "queue", f"{queue} is there ({count} message(s) in flight)")
        elif count:
            yield Line(
                "warn",
                "queue",
                f"{queue} holds {count} parked message(s): `palabre dlq list {queue}`, then "
                "fix and `palabre dlq replay` (docs/operations.md#dead-letter-queues)",
            )
        else:
            yield Line("ok", "queue", f"{queue} is empty")


def _ses(target: Target, plan: Plan) -> Iterator[Line]:
    sesv2 = target.client("sesv2")
    yield _identity_line(sesv2, target.output("SenderAddress"))
    for name in plan.of_type("AWS::SES::ConfigurationSet"):
        configuration = sesv2.get_configuration_set(ConfigurationSetName=target.output(name))
        if target.moto:
            yield Line(
                "warn",
                "ses",
                f"configuration set {target.output(name)} is there "
                "(moto reports no sending switch: not checked)",
            )
        else:
            yield configuration_set_line(configuration)
    if target.moto:
        yield Line("warn", "ses", "account not checked (moto has no SES account)")
    else:
        yield account_line(sesv2.get_account())


def configuration_set_line(configuration: dict[str, Any]) -> Line:
    """SES v2 GetConfigurationSet: are its emails sent?"""
    name = configuration["ConfigurationSetName"]
    if configuration.get("SendingOptions", {}).get("SendingEnabled", True):
        return Line("ok", "ses", f"configuration set {name} sends")
    return Line(
        "FAIL",
        "ses",
        f"configuration set {name} has sending paused: no email goes out; "
        f"`aws sesv2 put-configuration-set-sending-options --configuration-set-name {name} "
        "--sending-enabled`",
    )


def _identity_line(sesv2: Any, sender: str) -> Line:
    domain = sender.rpartition("@")[2]
    for identity in (sender, domain):
        try:
            found = sesv2.get_email_identity(EmailIdentity=identity)
        except sesv2.exceptions.NotFoundException:
            continue
        # moto sets only VerificationStatus; SES sets both once the identity is verified.
        if found.get("VerifiedForSendingStatus") or found.get("VerificationStatus") == "SUCCESS":
            return Line("ok", "ses", f"{identity} is verified for sending from {sender}")
        return Line(
            "FAIL",
            "ses",
            f"{identity} is not verified yet (status {found.get('VerificationStatus')}): "
            "publish its DNS records (docs/deploy.md#domain-and-dns)",
        )
    return Line(
        "FAIL",
        "ses",
        f"neither {sender} nor {domain} is an SES identity in this region: create it "
        "(docs/deploy.md#domain-and-dns)",
    )


def account_line(account: dict[str, Any]) -> Line:
    """SES v2 GetAccount: can the account send, to anyone, and how much?"""
    quota = account.get("SendQuota", {})
    sent = quota.get("SentLast24Hours", 0)
    limits = (
        f"{sent:.0f} of {quota.get('Max24HourSend', 0):.0f} sent in 24 h, "
        f"{quota.get('MaxSendRate', 0):.0f}/s"
    )
    if not account.get("SendingEnabled", False):
        return Line(
            "FAIL",
            "ses",
            f"sending is disabled for the account ({account.get('EnforcementStatus')}): "
            "see the SES console's reputation dashboard",
        )
    if not account.get("ProductionAccessEnabled", False):
        return Line("warn", "ses", f"{limits}; {SANDBOX_HINT}")
    return Line("ok", "ses", f"production access, {limits}")


def _test_email(target: Target, plan: Plan, to: str) -> Iterator[Line]:
    """One plain email from the stack's sender through its configuration set, so bounces
    and complaints take the stack's own path; its id is in the subject, a header and a
    tag, to find it in the SES console, the inbox or the logs."""
    sender = target.output("SenderAddress")
    run_id = uuid.uuid4().hex[:12]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"Palabre smoke test {run_id}"
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message["X-Palabre-Smoke"] = run_id
    message.set_content(
        f"palabre smoke sent this email to check that {target.name} can send.\n"
        f"Run {run_id}. Nothing to do; no member was written to.\n"
    )
    [configuration_set] = plan.of_type("AWS::SES::ConfigurationSet")
    sesv2 = target.client("sesv2")
    try:
        sent = sesv2.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [to]},
            Content={"Raw": {"Data": message.as_bytes()}},
            ConfigurationSetName=target.output(configuration_set),
            EmailTags=[{"Name": "palabre-smoke", "Value": run_id}],
        )
    except sesv2.exceptions.MessageRejected as error:
        yield Line("FAIL", "test email", f"{_aws_error(error)}; {SANDBOX_HINT}")
        return
    yield Line(
        "ok", "test email", f"sent to {to}: run {run_id}, SES message id {sent['MessageId']}"
    )


# ---------------------------------------------------------------------------- targets
class NoStack(Exception):
    """The stack cannot be reached: the message says why and what to do."""


def deployed(stack: str, region: str | None) -> Target:
    """A CloudFormation stack, with the caller's credentials (or AWS_ENDPOINT_URL's)."""
    import boto3
    from botocore.exceptions import NoCredentialsError, NoRegionError

    session = boto3.session.Session(region_name=region)
    try:
        found = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    except NoRegionError:
        raise NoStack("no AWS region: give --region or set AWS_REGION") from None
    except NoCredentialsError:
        raise NoStack("no AWS credentials: set AWS_PROFILE or run `aws configure`") from None
    except ClientError as error:
        if "does not exist" in str(error):
            raise NoStack(
                f"no stack {stack} in {session.region_name}: give --stack and --region, "
                "or deploy it (docs/deploy.md)"
            ) from None
        raise NoStack(_aws_error(error)) from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}

    def clients(service: str) -> Any:
        return session.client(service)  # type: ignore[call-overload]

    return Target(f"stack {stack}", outputs, clients)


def local(url: str) -> Target:
    """The local stack: its outputs and moto's endpoint come from its console."""
    import boto3
    from botocore.config import Config

    base = url.rstrip("/")
    outputs = _console_json(base, "/_local/outputs")
    aws = _console_json(base, "/_local/aws")
    if not aws.get("endpoint_url"):
        # Never fall through to AWS itself with the local stack's names.
        raise NoStack(f"the local stack at {base} serves no AWS endpoint outside its process")
    # Locally the HTTP API answers on the console's own port, not on execute-api.
    outputs = {**outputs, "ApiUrl": base}
    session = boto3.session.Session(
        region_name=aws["region"], aws_access_key_id="testing", aws_secret_access_key="testing"
    )

    def clients(service: str) -> Any:
        return session.client(
            service,  # type: ignore[call-overload]
            endpoint_url=aws["endpoint_url"],
            config=Config(account_id_endpoint_mode="disabled"),
        )

    return Target(f"the local stack at {base}", outputs, clients, moto=True)


def _console_json(base: str, path: str) -> dict[str, Any]:
    url = base + path
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            value: dict[str, Any] = json.loads(response.read())
            return value
    except urllib.error.HTTPError as error:
        raise NoStack(f"{url} answered {error.code}: is it a Palabre local stack?") from None
    except urllib.error.URLError as error:
        raise NoStack(
            f"no local stack at {base} ({error.reason}): start it with `make run`"
        ) from None
