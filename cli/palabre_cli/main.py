"""`palabre`: validate admin files offline, upload them, check a stack, run the local stack."""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from palabre_cli.template import ROOT, local_parameters

if TYPE_CHECKING:
    from palabre.store.sending import SendingHealth

TEMPLATES = ROOT / "templates"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="palabre", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check a roster or calendar, offline")
    validate.add_argument("file", type=_file)
    validate.add_argument("--kind", choices=["roster", "calendar"], required=True)
    validate.add_argument("--roster", type=_file, help="check a calendar's audience against it")
    validate.add_argument(
        "--timezone", type=_timezone, help="organisation timezone (default: template's)"
    )
    validate.add_argument("--locale", choices=["fr", "en"], help="report language and default")
    validate.add_argument("--json", action="store_true", help="print the JSON report")
    validate.set_defaults(run=_validate)

    upload = commands.add_parser("upload", help="upload a file to the deployed or local stack")
    upload.add_argument("file", type=_file)
    upload.add_argument("--kind", choices=["roster", "calendar"], required=True)
    where = upload.add_mutually_exclusive_group()
    _stack_option(where)
    where.add_argument("--bucket", help="the uploads bucket, if you know it")
    _local_option(where)
    upload.add_argument(
        "--uploader",
        help="your address: an active admin of the roster (or, for the first roster, the "
        "AdminAddress parameter); a file naming anyone else is refused",
    )
    upload.add_argument(
        "--role-arn",
        default=os.environ.get("PALABRE_UPLOAD_ROLE"),
        help="the admin upload role to assume (default: the stack's AdminUploadRoleArn "
        "output; with --bucket, none)",
    )
    upload.add_argument(
        "--confirm",
        action="store_true",
        help="apply the file even if it deactivates more than MaxDeactivation %% of the "
        "active members or cancels more than two scheduled themes (without it, such a file "
        "changes nothing and its report names who or what it would remove)",
    )
    upload.add_argument("--no-wait", action="store_true", help="do not wait for the report")
    upload.set_defaults(run=_upload)

    dlq = commands.add_parser("dlq", help="show or replay what failed and was parked")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("queue", nargs="?", help="e.g. SendDeadLetterQueue (none: every queue)")
    dlq_where = dlq.add_mutually_exclusive_group()
    _stack_option(dlq_where)
    _local_option(dlq_where)
    dlq.set_defaults(run=_dlq)

    smoke = commands.add_parser(
        "smoke", help="check that a deployed (or the local) stack is ready to serve"
    )
    smoke_where = smoke.add_mutually_exclusive_group()
    _stack_option(smoke_where)
    _local_option(smoke_where)
    smoke.add_argument("--region", help="the stack's region (default: AWS_REGION or profile's)")
    smoke.add_argument(
        "--to", type=_address, metavar="ADDRESS", help="also send one test email to ADDRESS"
    )
    smoke.set_defaults(run=_smoke)

    member = commands.add_parser(
        "member",
        help="export or erase all that Palabre holds about a person (GDPR); unerase: let "
        "a roster list an erased person again (they rejoined and agreed)",
    )
    member.add_argument("action", choices=["export", "erase", "unerase"])
    member.add_argument("email", type=_address)
    member_where = member.add_mutually_exclusive_group()
    _stack_option(member_where)
    member_where.add_argument(
        "--table", help="the table, with --bucket (e.g. the local stack's, at AWS_ENDPOINT_URL)"
    )
    member.add_argument("--bucket", help="the uploads bucket, with --table")
    member.add_argument("--output", type=Path, help="write the JSON there, not to stdout")
    member.add_argument("--yes", action="store_true", help="erase, unerase: yes, do it")
    member.set_defaults(run=_member)

    sending = commands.add_parser(
        "sending", help="whether new sends are paused (bounces, complaints); resume them"
    )
    sending.add_argument("action", choices=["status", "resume"])
    _stack_option(sending)
    sending.add_argument("--by", default=os.environ.get("USER", "cli"), help="who resumes")
    sending.set_defaults(run=_sending)

    tally = commands.add_parser(
        "tally",
        help="rebuild the participation tallies of the themes closed in the last weeks from "
        "their records, and place the open ones' non-responders (once, for themes sent "
        "before tallies and that index were kept)",
    )
    tally.add_argument("action", choices=["rebuild"])
    tally.add_argument("--weeks", type=_weeks, default=12, help="how far back (default: 12)")
    tally_where = tally.add_mutually_exclusive_group()
    _stack_option(tally_where)
    tally_where.add_argument(
        "--table", help="the table (e.g. the local stack's, at AWS_ENDPOINT_URL)"
    )
    tally.set_defaults(run=_tally)

    admin_link = commands.add_parser(
        "admin-link", help="print an admin's link to the animators' space (valid 14 days)"
    )
    admin_link.add_argument("email", type=_address, help="an active admin of the roster")
    admin_link_where = admin_link.add_mutually_exclusive_group()
    _stack_option(admin_link_where)
    _local_option(admin_link_where)
    admin_link.set_defaults(run=_admin_link)

    local = commands.add_parser("local", help="run the local stack with its console")
    # String defaults go through `type` too: a bad PORT or CLOCK_START is a usage error.
    local.add_argument("--port", type=int, default=os.environ.get("PORT", "3000"))
    local.add_argument(
        "--no-demo",
        action="store_true",
        default=os.environ.get("DEMO", "1") == "0",
        help="start empty",
    )
    local.add_argument(
        "--clock-start",
        type=_instant,
        default=os.environ.get("CLOCK_START") or None,
        help="ISO-8601 instant the clock starts from (default: CLOCK_START, or now)",
    )
    local.set_defaults(run=_local)

    args = parser.parse_args(argv)
    status: int = args.run(args)
    return status


# ---------------------------------------------------------------------------- arguments
# argparse turns ArgumentTypeError into "palabre CMD: error: argument X: ..." and exit 2.
def _file(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory, not a file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    return path


def _stack_option(parser: Any) -> None:
    """--stack: the deployed stack a command reaches (PALABRE_STACK, else palabre)."""
    parser.add_argument(
        "--stack",
        default=os.environ.get("PALABRE_STACK", "palabre"),
        help="deployed CloudFormation stack (default: palabre)",
    )


def _local_option(parser: Any) -> None:
    """--local [URL]: the local stack instead (`make run` serves it on :3000)."""
    parser.add_argument(
        "--local",
        nargs="?",
        const="http://127.0.0.1:3000",
        metavar="URL",
        help="the local stack (default http://127.0.0.1:3000)",
    )


def _timezone(text: str) -> str:
    from palabre.core.zones import known_zone

    name = known_zone(text)
    if name is None:
        raise argparse.ArgumentTypeError(
            f"unknown timezone {text!r}; use an IANA name such as Europe/Paris"
        )
    return name


def _address(text: str) -> str:
    from palabre.core.text import is_email

    if not is_email(text.strip().casefold()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an email address")
    return text.strip().casefold()


def _instant(text: str) -> datetime:
    example = "e.g. 2026-11-30T08:00:00+01:00"
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} (or CLOCK_START) is not an ISO-8601 instant, {example}"
        ) from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} (or CLOCK_START) needs an offset, {example}")
    return instant


def _defaults() -> dict[str, str]:
    return local_parameters()


# ---------------------------------------------------------------------------- validate
def _validate(args: argparse.Namespace) -> int:
    from palabre.core.directory import Directory
    from palabre.core.i18n import translations
    from palabre.imports.importer import Organisation, validate_file
    from palabre.mail.render import render

    defaults = _defaults()
    org = Organisation(
        name=defaults["OrganisationName"],
        timezone=args.timezone or defaults["OrganisationTimezone"],
        locale=args.locale or defaults["DefaultLocale"],  # type: ignore[arg-type]
    )
    tr = translations(TEMPLATES, org.locale)
    today = datetime.now(UTC).astimezone(org.zone).date()
    directory = None
    if args.roster:
        report, members = validate_file(
            "roster",
            args.roster.name,
            args.roster.read_bytes(),
            org,
            today=today,
            translations=tr,
        )
        if not report.ok:
            print(
                f"{args.roster}: the roster itself has errors; validate it first.", file=sys.stderr
            )
            return 2
        directory = Directory.of(members)  # type: ignore[arg-type]
    report, _ = validate_file(
        args.kind,
        args.file.name,
        args.file.read_bytes(),
        org,
        today=today,
        translations=tr,
        directory=directory,
    )
    if args.json:
        print(json.dumps(report.model_dump(), ensure_ascii=False, indent=2))
    else:
        print(
            render(
                TEMPLATES,
                "email/import_report.txt",
                org.locale,
                organisation=org.name,
                key=str(args.file),
                report=report,
                refused=False,
                errors=report.errors,
                more_errors=0,
                when=datetime.now(UTC).astimezone(org.zone),
            ).rstrip()
        )
    return 0 if report.ok else 1


# ---------------------------------------------------------------------------- upload
class Progress:
    """A progress bar on stderr, for files large enough to wait for."""

    def __init__(self, total: int, label: str) -> None:
        self.total = max(total, 1)
        self.label = label
        self.done = 0
        self.shown = total >= 256 * 1024 and sys.stderr.isatty()

    def __call__(self, sent: int) -> None:
        self.done += sent
        if self.shown:
            ratio = min(self.done / self.total, 1.0)
            bar = "#" * int(ratio * 30)
            sys.stderr.write(
                f"\r{self.label} [{bar:<30}] {ratio:4.0%} "
                f"{self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _upload(args: argparse.Namespace) -> int:
    data = args.file.read_bytes()
    report: dict[str, Any] | None
    if args.local:
        report = _upload_local(
            args.local, args.kind, args.file.name, data, args.uploader, confirm=args.confirm
        )
    elif not args.uploader:
        # The import would refuse it: only a file naming an active admin is imported.
        print(
            "palabre upload: --uploader is required: your address, an active admin of the "
            "roster (or, for the first roster, the AdminAddress parameter)",
            file=sys.stderr,
        )
        return 2
    else:
        report = _upload_aws(args, data)
    if report is None:
        return 0
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if report.get("status") == "needs_confirmation":
        print(
            "palabre upload: nothing was changed: "
            + " ".join(report.get("guard", []))
            + " Upload it again with --confirm to apply it anyway.",
            file=sys.stderr,
        )
    return 0 if report.get("ok") else 1


def _upload_local(
    url: str,
    kind: str,
    filename: str,
    data: bytes,
    uploader: str | None,
    *,
    confirm: bool = False,
) -> dict[str, Any]:
    import urllib.error
    import urllib.request
    import uuid

    boundary = uuid.uuid4().hex
    parts = [
        ("kind", None, kind.encode()),
        *([("uploader", None, uploader.encode())] if uploader else []),
        *([("confirm", None, b"yes")] if confirm else []),
        ("file", filename, data),
    ]
    body = b""
    for name, file_name, content in parts:
        disposition = f'form-data; name="{name}"'
        if file_name:
            disposition += f'; filename="{file_name}"'
        body += (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    progress = Progress(len(body), filename)

    class Body:
        def __init__(self) -> None:
            self.offset = 0

        def read(self, size: int = -1) -> bytes:
            size = 64 * 1024 if size < 0 else size
            chunk = body[self.offset : self.offset + size]
            self.offset += len(chunk)
            progress(len(chunk))
            return chunk

    request = urllib.request.Request(
        f"{url.rstrip('/')}/_local/upload",
        data=Body(),
        method="POST",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(body)),
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            report: dict[str, Any] = json.loads(response.read())
            return report
    except urllib.error.HTTPError as error:
        return {"ok": False, "message": error.read().decode(errors="replace")}


def _upload_aws(args: argparse.Namespace, data: bytes) -> dict[str, Any] | None:
    import boto3

    bucket = args.bucket or _stack_output(boto3, args.stack, "UploadsBucketName")
    role = args.role_arn or (
        None if args.bucket else _stack_output(boto3, args.stack, "AdminUploadRoleArn")
    )
    key = f"{args.kind}/{args.file.name}"
    s3 = _uploads_client(boto3, role)
    metadata = {"uploader": args.uploader} if args.uploader else {}
    if args.confirm:
        metadata["confirm"] = "yes"
    extra = {"Metadata": metadata} if metadata else {}
    started = time.time()
    s3.upload_file(str(args.file), bucket, key, ExtraArgs=extra, Callback=Progress(len(data), key))
    print(f"uploaded s3://{bucket}/{key}", file=sys.stderr)
    if args.no_wait:
        return None
    report_key = f"{key}.report.json"
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            head = s3.head_object(Bucket=bucket, Key=report_key)
        except s3.exceptions.ClientError:
            head = None
        if head and head["LastModified"].timestamp() >= started - 5:
            report: dict[str, Any] = json.loads(
                s3.get_object(Bucket=bucket, Key=report_key)["Body"].read()
            )
            return report
        time.sleep(2)
    print("no report after 5 minutes; see the import function's logs", file=sys.stderr)
    return {"ok": False, "message": "timed out waiting for the report"}


def _uploads_client(boto3: Any, role: str | None) -> Any:
    """S3 as the admin upload role when there is one: the bucket's policy lets only that
    role (and the import) write roster/ and calendar/ files."""
    if not role:
        return boto3.client("s3")
    credentials = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="palabre-upload")[
        "Credentials"
    ]
    return boto3.client(
        "s3",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def _stack_output(boto3: Any, stack: str, name: str) -> str:
    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    for output in outputs.get("Outputs", []):
        if output["OutputKey"] == name:
            return str(output["OutputValue"])
    raise SystemExit(f"stack {stack} has no output {name}")


# ---------------------------------------------------------------------------- sending
def _sending(args: argparse.Namespace) -> int:
    import boto3

    from palabre.store.sending import SendingHealth
    from palabre.store.table import DynamoTable

    name = _stack_output(boto3, args.stack, "SendingTableName")
    health = SendingHealth(DynamoTable(boto3.client("dynamodb"), name))
    print(json.dumps(sending_command(health, args.action, args.by, datetime.now(UTC)), indent=2))
    return 0


def sending_command(health: "SendingHealth", action: str, by: str, now: datetime) -> dict[str, Any]:
    """`status`: the last pause and the last 24 hours' figures; `resume`: ends the pause
    (jobs held meanwhile go out as they come back, within 15 minutes)."""
    from dataclasses import asdict

    resumed = health.resume(now, by) if action == "resume" else None
    pause = health.last_pause(consistent=True)
    since = datetime.fromisoformat(pause.resumed_at) if pause and pause.resumed_at else None
    return {
        "paused": pause is not None and pause.active,
        "pause": asdict(pause) if pause else None,
        **({"resumed": resumed} if resumed is not None else {}),
        "last_24_hours": asdict(health.last_day(now, since)),
    }


# ---------------------------------------------------------------------------- dlq
def _dlq(args: argparse.Namespace) -> int:
    if args.local:
        result = _dlq_local(args.local, args.action, args.queue)
    else:
        from palabre_cli.template import translate
        from sam_moto.dead_letters import sources

        dead_letters = _dead_letters_aws(args.stack)
        names = [args.queue] if args.queue else sorted(sources(translate()))
        result = {
            name: dead_letters.peek(name) if args.action == "list" else dead_letters.replay(name)
            for name in names
        }
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    failed = [q for q in result.values() if isinstance(q, dict) and q.get("failed")]
    return 1 if failed else 0


def _dlq_local(url: str, action: str, queue: str | None) -> dict[str, Any]:
    import urllib.error
    import urllib.request

    base = url.rstrip("/") + "/_local/dlq"

    def call(path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(
            base + path, method=method, headers={"Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise SystemExit(json.loads(error.read()).get("message", str(error))) from None

    names = [queue] if queue else [q["queue"] for q in call("")]
    return {
        name: call(f"/{name}") if action == "list" else call(f"/{name}/replay", "POST")
        for name in names
    }


def _dead_letters_aws(stack: str) -> Any:
    import boto3

    from palabre_cli.template import translate
    from sam_moto.dead_letters import DeadLetters

    cloudformation = boto3.client("cloudformation")
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack)
        for r in page["StackResourceSummaries"]
    }
    lambda_ = boto3.client("lambda")

    def invoke(function: str, event: Any, asynchronous: bool) -> Any:
        response = lambda_.invoke(
            FunctionName=resources[function],
            InvocationType="Event" if asynchronous else "RequestResponse",
            Payload=json.dumps(event).encode(),
        )
        if response.get("FunctionError"):
            raise RuntimeError(response["Payload"].read().decode())
        if asynchronous:
            return response.get("StatusCode")
        # What the function returned: a batch handler's batchItemFailures keep it parked.
        return json.loads(response["Payload"].read() or b"null")

    def function_logical_id(arn: str) -> str:
        name = arn.split(":function:")[-1].split(":")[0]
        return next(k for k, v in resources.items() if v == name)

    return DeadLetters(
        translate(),
        queue_url=lambda logical_id: resources[logical_id],
        sqs=boto3.client("sqs"),
        streams=boto3.client("dynamodbstreams"),
        invoke=invoke,
        function_logical_id=function_logical_id,
    )


# ---------------------------------------------------------------------------- smoke
def _smoke(args: argparse.Namespace) -> int:
    from palabre_cli import smoke
    from palabre_cli.template import translate

    if args.local and args.region:
        raise SystemExit("--region is for a deployed stack; the local stack says its own")
    try:
        target = smoke.local(args.local) if args.local else smoke.deployed(args.stack, args.region)
    except smoke.NoStack as error:
        raise SystemExit(str(error)) from None
    lines = smoke.run(target, smoke.Plan.of(translate()), to=args.to)
    for line in lines:
        print(line, flush=True)
    failed = [line for line in lines if line.status == "FAIL"]
    warned = [line for line in lines if line.status == "warn"]
    print(f"{target.name}: {len(failed)} FAIL, {len(warned)} warn, {len(lines)} checks")
    return 1 if failed else 0


# ---------------------------------------------------------------------------- member
def _member(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from palabre import aws
    from palabre.privacy.person import PersonalData, UnknownPerson
    from palabre.store.table import DynamoTable

    if bool(args.table) != bool(args.bucket):
        raise SystemExit("palabre member: give --table and --bucket together (or --stack)")
    if args.action == "erase" and not args.yes:
        raise SystemExit(f"palabre member erase: erasing {args.email} cannot be undone; add --yes")
    if args.action == "unerase" and not args.yes:
        raise SystemExit(
            f"palabre member unerase: a roster may then re-create {args.email}; do it only if "
            "they rejoined and agreed (keep their agreement), and add --yes"
        )
    if args.table:
        table, bucket = args.table, args.bucket
    else:
        import boto3

        table = _stack_output(boto3, args.stack, "TableName")
        bucket = _stack_output(boto3, args.stack, "UploadsBucketName")
    data = PersonalData(DynamoTable(aws.client("dynamodb"), table), aws.client("s3"), bucket)
    now = datetime.now(UTC)
    try:
        if args.action == "export":
            result: Any = data.export(args.email, now)
        elif args.action == "unerase":
            result = data.unerase(args.email)
        else:
            result = asdict(data.erase(args.email, now))
    except UnknownPerson as unknown:
        print(unknown, file=sys.stderr)
        return 1
    text = json.dumps(result, ensure_ascii=False, indent=2, default=str)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


# ---------------------------------------------------------------------------- tally
def _weeks(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 104:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of weeks from 1 to 104")
    return int(text)


def _tally(args: argparse.Namespace) -> int:
    """Each closed theme's tally counted again from its records, written whole; each
    open one's prompts put in their place among its silent ones."""
    from palabre import aws
    from palabre.core import clock
    from palabre.store.sends import SendRecords
    from palabre.store.table import DynamoTable
    from palabre.store.tallies import rebuild_closed

    if args.table:
        name = args.table
    else:
        import boto3

        name = _stack_output(boto3, args.stack, "TableName")
    # the clock every decision reads: the system's, or the local stack's in its process;
    # the organisation's own zone counts only when the roster is empty
    table = DynamoTable(aws.client("dynamodb"), name)
    rebuilt, still_open = rebuild_closed(table, clock.now(), args.weeks, "UTC")
    for theme in rebuilt:
        print(f"{theme}: counted again")
    records = SendRecords(table)
    for theme in still_open:
        # its non-responders listed by the dashboard, if sent before that index was kept
        placed = records.place_silent(theme)
        print(
            f"{theme}: still open somewhere, left as it is: run this again once it has "
            f"closed; {placed} of its prompts placed among its non-responders"
        )
    if not rebuilt and not still_open:
        print(f"no theme was sent in the last {args.weeks} weeks")
    return 0


# ---------------------------------------------------------------------------- admin-link
def _admin_link(args: argparse.Namespace) -> int:
    """The link of an active admin (their personal one: keep it to yourself)."""
    if args.local:
        import urllib.error
        import urllib.parse
        import urllib.request

        query = urllib.parse.urlencode({"email": args.email})
        url = f"{args.local.rstrip('/')}/_local/admin-link?{query}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                print(response.read().decode().strip())
        except urllib.error.HTTPError as refused:
            print(refused.read().decode().strip(), file=sys.stderr)
            return 1
        except OSError as error:
            raise SystemExit(
                f"palabre admin-link: no local stack at {args.local} ({error})"
            ) from None
        return 0
    import boto3

    from palabre import aws
    from palabre.core.links import Links
    from palabre.core.models import member_id
    from palabre.core.tokens import signer_from_secret
    from palabre.store.members import MemberStore
    from palabre.store.table import DynamoTable

    table = _stack_output(boto3, args.stack, "TableName")
    admin = MemberStore(DynamoTable(aws.client("dynamodb"), table)).get(member_id(args.email))
    if admin is None or not admin.active or not admin.is_admin:
        print(
            f"{args.email} is not an active admin of the roster: give them the role admin "
            "in the roster first.",
            file=sys.stderr,
        )
        return 1
    secret = aws.client("secretsmanager").get_secret_value(
        SecretId=_stack_output(boto3, args.stack, "LinkSigningSecretArn")
    )
    signer = signer_from_secret(secret["SecretString"])
    links = Links(_stack_output(boto3, args.stack, "ApiUrl"), signer)
    print(links.admin(admin.id, datetime.now(UTC)))
    return 0


# ---------------------------------------------------------------------------- local
def _local(args: argparse.Namespace) -> int:
    from palabre_cli.local import launch

    running = launch(
        port=args.port,
        demo_org=not args.no_demo,
        clock_start=args.clock_start,
        log_level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
    )
    print(running.banner(), flush=True)
    try:
        running.serving.join()  # the server serves in its thread until Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        running.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
