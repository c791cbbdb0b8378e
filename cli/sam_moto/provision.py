"""Creating in moto every resource template.yaml declares, and reading how they are wired.

moto stands in for the AWS services; what it cannot run (functions, event source
mappings, HTTP APIs) is described here so that the runtime (stack.py) can wire it.
"""

import json
import re
import secrets
import string
import uuid
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from sam_moto.iam import Policy, Request, Resources, Statement, role_policy
from sam_moto.intrinsics import Resolver
from sam_moto.template import Translated

ACCOUNT = "123456789012"
_SUB_NAMES = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}")
_INTEGRATION_FUNCTION = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}")
_ALARM_PROPERTIES = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
)
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "SqsManagedSseEnabled",
)


@dataclass
class Function:
    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path
    environment: dict[str, str]
    timeout: int
    memory: int
    async_retries: int = 2
    on_failure: str | None = None
    policy: Policy | None = None
    """its role's statements (None: a role the template does not declare)"""
    exercised: set[tuple[Statement, str]] = field(default_factory=set)
    """each (statement, action pattern) that allowed a request of this function or of
    Lambda for it (its triggers, its logs): what the excess-permission check reads"""

    def authorise(self, request: Request) -> bool:
        """Whether its role allows the request; an allowed one is counted as exercised."""
        if self.policy is None:
            return True
        statement = self.policy.allowing(request)
        if statement is None:
            return False
        self.exercised.add((statement, statement.action_matching(request.action) or ""))
        return True


@dataclass
class Queue:
    logical_id: str
    url: str
    arn: str
    dead_letter_arn: str | None = None
    max_receive_count: int | None = None


@dataclass
class QueueTrigger:
    function: str
    queue: Queue
    batch_size: int
    report_failures: bool


@dataclass
class StreamTrigger:
    function: str
    stream_arn: str
    table: str
    batch_size: int
    report_failures: bool
    bisect: bool
    max_retries: int
    on_failure: str | None
    starting_position: str
    filters: list[dict[str, Any]] = field(default_factory=list)
    batching_window: float = 0.0
    """MaximumBatchingWindowInSeconds: how long Lambda waits to fill a batch"""


@dataclass
class TopicTrigger:
    """An SNS subscription of a function. Locally, a queue subscribed to the topic carries
    what is published; the stack delivers it to the function as SNS would."""

    function: str
    topic_arn: str
    subscription_arn: str
    queue_url: str


@dataclass
class BucketTrigger:
    function: str
    bucket: str
    events: str
    prefix: str = ""
    suffix: str = ""

    def matches(self, key: str) -> bool:
        return key.startswith(self.prefix) and key.endswith(self.suffix)


@dataclass
class ReceiptRule:
    """An SES receipt rule: which recipients it takes (a domain takes all its addresses)
    and what it does with each message, in order — store it in a bucket, invoke a
    function. SES receiving runs nothing locally: the stack delivers a message to it
    (LocalStack.receive_mail)."""

    rule_set: str
    name: str
    recipients: tuple[str, ...]
    enabled: bool
    scan: bool
    actions: tuple[dict[str, Any], ...]
    """each as the template writes it: {"S3Action": {...}} or {"LambdaAction": {...}},
    resolved (a LambdaAction's FunctionArn is the function's ARN)"""

    def matches(self, address: str) -> bool:
        """SES's rule: an address matches itself, a domain every address in it, a domain
        with a leading dot every address in its subdomains; no recipients: every one."""
        address = address.lower()
        domain = address.rpartition("@")[2]
        return not self.recipients or any(
            address == r or domain == r or (r.startswith(".") and domain.endswith(r))
            for r in (r.lower() for r in self.recipients)
        )


@dataclass
class Schedule:
    name: str
    function: str
    expression: str
    timezone: str
    input: str
    enabled: bool = True


@dataclass
class Route:
    method: str
    path: str
    function: str
    api: str = ""
    """the API's id (its Ref), as its CloudWatch metrics name it"""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Provisioned:
    region: str
    stack_name: str
    functions: dict[str, Function] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    bucket_triggers: list[BucketTrigger] = field(default_factory=list)
    queue_triggers: list[QueueTrigger] = field(default_factory=list)
    stream_triggers: list[StreamTrigger] = field(default_factory=list)
    topic_triggers: list[TopicTrigger] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    receipt_rules: list[ReceiptRule] = field(default_factory=list)
    """in the order SES applies them (each rule set's rules as the template lists them)"""
    routes: list[Route] = field(default_factory=list)
    alarms: dict[str, str] = field(default_factory=dict)
    """logical id -> alarm name"""
    outputs: dict[str, str] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    partition_keys: dict[str, dict[str | None, str]] = field(default_factory=dict)
    """table name -> index name (None: the table itself) -> its partition key attribute"""
    secrets: list[str] = field(default_factory=list)

    def iam_resources(self) -> Resources:
        return Resources(self.region, ACCOUNT, self.partition_keys, tuple(self.secrets))

    def function_by_name(self, name_or_arn: str) -> str:
        for logical_id, function in self.functions.items():
            if name_or_arn in (function.name, function.arn, logical_id):
                return logical_id
        raise KeyError(name_or_arn)

    def queue_by_arn(self, arn: str) -> Queue:
        return next(q for q in self.queues.values() if q.arn == arn)


def _dependencies(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else arg.split(".")[0])
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                local = set() if isinstance(arg, str) else set(arg[1])
                found |= {n for n in _SUB_NAMES.findall(text) if n not in local}
                if not isinstance(arg, str):
                    found |= _dependencies(arg[1])
            else:
                found |= _dependencies(arg)
    elif isinstance(value, list):
        for item in value:
            found |= _dependencies(item)
    return found


# Resources with nothing to run locally: only a name, for Ref and GetAtt. Any other type
# without a method below stops the stack, rather than being silently left out.
NAMES_ONLY = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Lambda::Permission",
        "AWS::Lambda::LayerVersion",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
        # Not applied: moto evaluates a bucket policy's Deny statements on every PutObject
        # without their principals or conditions, so a TLS-only or principal-scoped Deny
        # would refuse every upload. The import's own check of the uploader runs locally.
        "AWS::S3::BucketPolicy",
        "AWS::ApiGatewayV2::Stage",
        "AWS::Logs::LogGroup",
        # The topics' encryption key, and the optional custom domain: nothing to run locally.
        "AWS::KMS::Key",
        "AWS::ApiGatewayV2::ApiMapping",
    }
)


class Unauthorised(Exception):
    """A function's role lacks what Lambda itself needs to run its triggers (to poll its
    queue or stream, to park a failure): AWS refuses such a deploy, or loses the event."""


def lambda_requests(out: Provisioned) -> dict[str, list[Request]]:
    """What Lambda asks with each function's role: to poll its queue or stream (event
    source mappings), and to send a failed event to its on-failure destination."""
    needs: dict[str, list[Request]] = {logical_id: [] for logical_id in out.functions}
    for queue in out.queue_triggers:
        needs[queue.function] += [
            Request(f"sqs:{action}", queue.queue.arn)
            for action in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
        ]
    for stream in out.stream_triggers:
        needs[stream.function] += [
            Request(f"dynamodb:{action}", stream.stream_arn)
            for action in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")
        ]
        if stream.on_failure:
            needs[stream.function].append(_destination(stream.on_failure))
    for logical_id, function in out.functions.items():
        if function.on_failure:
            needs[logical_id].append(_destination(function.on_failure))
    return needs


def _destination(arn: str) -> Request:
    service = arn.split(":")[2]
    action = {"sqs": "sqs:SendMessage", "sns": "sns:Publish"}.get(service, "lambda:InvokeFunction")
    return Request(action, arn)


def check_lambda_permissions(out: Provisioned) -> None:
    for logical_id, requests in lambda_requests(out).items():
        function = out.functions[logical_id]
        refused = [r for r in requests if not function.authorise(r)]
        if refused:
            raise Unauthorised(
                f"{logical_id}: its role does not let Lambda "
                + "; ".join(str(r) for r in refused)
                + " (template.yaml: its role's policies)"
            )


class Unsupported(Exception):
    """template.yaml declares a resource type the local stack does not emulate."""


def _method(kind: str) -> str:
    return "_" + kind.replace("::", "_")


class Provisioner:
    def __init__(self, translated: Translated, clients: Any, *, region: str, stack_name: str):
        self.translated = translated
        self.clients = clients
        self.out = Provisioned(region=region, stack_name=stack_name)
        stack_id = f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack_name}/{uuid.uuid4()}"
        self.resolve = Resolver(
            parameters=translated.parameters,
            pseudo={
                "AWS::Region": region,
                "AWS::AccountId": ACCOUNT,
                "AWS::StackName": stack_name,
                "AWS::StackId": stack_id,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
            },
            ref=self._ref,
            get_att=self._get_att,
            conditions=translated.source.get("Conditions", {}),
        )

    def _ref(self, logical_id: str) -> str:
        return self.out.physical[logical_id]

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) in self.out.attributes:
            return self.out.attributes[(logical_id, attribute)]
        if attribute == "Arn":
            return self.out.physical[logical_id]
        raise KeyError(f"{logical_id}.{attribute}")

    def run(self) -> Provisioned:
        resources = self.translated.resources
        for logical_id, resource in resources.items():  # before creating anything
            kind = resource["Type"]
            if "Condition" in resource and not self.resolve.condition(resource["Condition"]):
                continue  # not created with these parameters: nothing to stand in for
            if not hasattr(self, _method(kind)) and kind not in NAMES_ONLY:
                raise Unsupported(
                    f"{logical_id}: the local stack cannot stand in for {kind} yet; teach "
                    "cli/palabre_cli/local/provision.py how (or list it in NAMES_ONLY if "
                    "nothing runs locally)"
                )
        graph = {
            logical_id: {
                d
                for d in _dependencies(resource.get("Properties", {}))
                | set(_as_list(resource.get("DependsOn")))
                if d in resources
            }
            for logical_id, resource in resources.items()
        }
        # Notifications make the bucket depend on the functions it calls, as in CloudFormation.
        for logical_id in TopologicalSorter(graph).static_order():
            resource = resources[logical_id]
            if "Condition" in resource and not self.resolve.condition(resource["Condition"]):
                continue
            create = getattr(self, _method(resource["Type"]), self._placeholder)
            create(logical_id, resource.get("Properties", {}))
        self.out.outputs = {
            name: str(self.resolve(spec["Value"]))
            for name, spec in self.translated.outputs.items()
            if "Condition" not in spec or self.resolve.condition(spec["Condition"])
        }
        check_lambda_permissions(self.out)
        return self.out

    # ------------------------------------------------------------------ helpers
    def _name(self, logical_id: str, limit: int = 64) -> str:
        return f"{self.out.stack_name}-{logical_id}"[:limit]

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.out.region}:{ACCOUNT}:{resource}"

    def _placeholder(self, logical_id: str, props: dict[str, Any]) -> None:
        """Roles, permissions, layers, stages: nothing to run locally, only a name."""
        self.out.physical[logical_id] = self._arn("local", logical_id)

    # ------------------------------------------------------------------ data
    def _AWS_DynamoDB_Table(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolve(props)
        name = props.get("TableName") or self._name(logical_id)
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
            if key in props:
                request[key] = props[key]
        if "StreamSpecification" in props:
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        client = self.clients("dynamodb")
        table = client.create_table(**request)["TableDescription"]
        if props.get("TimeToLiveSpecification", {}).get("Enabled"):
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"]
            )
        recovery = props.get("PointInTimeRecoverySpecification", {})
        if recovery.get("PointInTimeRecoveryEnabled"):
            client.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification=recovery
            )
        self.out.physical[logical_id] = name
        self.out.tables[logical_id] = name
        self.out.partition_keys[name] = {
            index: next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
            for index, schema in [
                (None, props["KeySchema"]),
                *(
                    (i["IndexName"], i["KeySchema"])
                    for i in props.get("GlobalSecondaryIndexes", [])
                ),
                *((i["IndexName"], i["KeySchema"]) for i in props.get("LocalSecondaryIndexes", [])),
            ]
        }
        self.out.attributes[(logical_id, "Arn")] = table["TableArn"]
        if "LatestStreamArn" in table:
            self.out.attributes[(logical_id, "StreamArn")] = table["LatestStreamArn"]

    def _AWS_S3_Bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        notifications = props.get("NotificationConfiguration", {})
        props = self.resolve({k: v for k, v in props.items() if k != "NotificationConfiguration"})
        name = props.get("BucketName") or self._name(logical_id, 63).lower()
        client = self.clients("s3")
        if self.out.region == "us-east-1":
            client.create_bucket(Bucket=name)
        else:
            client.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.out.region}
            )
        if props.get("VersioningConfiguration"):
            client.put_bucket_versioning(
                Bucket=name, VersioningConfiguration=props["VersioningConfiguration"]
            )
        self.out.physical[logical_id] = name
        self.out.buckets[logical_id] = name
        self.out.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"
        for config in notifications.get("LambdaConfigurations", []):
            rules = {
                r["Name"].lower(): r["Value"]
                for r in config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            }
            function_id = config["Function"]["Fn::GetAtt"][0]
            self.out.bucket_triggers.append(
                BucketTrigger(
                    function=function_id,
                    bucket=name,
                    events=config["Event"],
                    prefix=rules.get("prefix", ""),
                    suffix=rules.get("suffix", ""),
                )
            )

    def _AWS_SecretsManager_Secret(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolve(props)
        value = props.get("SecretString")
        if value is None:
            generate = props.get("GenerateSecretString", {})
            alphabet = string.ascii_letters + string.digits
            if not generate.get("ExcludePunctuation"):
                alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
            password = "".join(
                secrets.choice(alphabet) for _ in range(int(generate.get("PasswordLength", 32)))
            )
            if "GenerateStringKey" in generate:
                body = json.loads(generate.get("SecretStringTemplate", "{}"))
                body[generate["GenerateStringKey"]] = password
                value = json.dumps(body)
            else:
                value = password
        secret = self.clients("secretsmanager").create_secret(
            Name=props.get("Name") or self._name(logical_id), SecretString=value
        )
        self.out.physical[logical_id] = secret["ARN"]
        self.out.secrets.append(secret["ARN"])

    def _AWS_SES_ConfigurationSet(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolve(props)
        name = props.get("Name") or self._name(logical_id)
        self.clients("sesv2").create_configuration_set(ConfigurationSetName=name)
        self.out.physical[logical_id] = name

    def _AWS_SES_ConfigurationSetEventDestination(
        self, logical_id: str, props: dict[str, Any]
    ) -> None:
        props = self.resolve(props)
        destination = props["EventDestination"]
        request: dict[str, Any] = {
            "Name": destination.get("Name") or self._name(logical_id),
            "Enabled": destination.get("Enabled", False),
            "MatchingEventTypes": destination["MatchingEventTypes"],
        }
        if "SnsDestination" in destination:
            request["SNSDestination"] = {"TopicARN": destination["SnsDestination"]["TopicARN"]}
        # moto implements event destinations in the SES v1 API only.
        self.clients("ses").create_configuration_set_event_destination(
            ConfigurationSetName=props["ConfigurationSetName"], EventDestination=request
        )
        self.out.physical[logical_id] = request["Name"]

    def _AWS_SES_ReceiptRuleSet(self, logical_id: str, props: dict[str, Any]) -> None:
        """In moto's SES, and active: on AWS the deployer activates it once
        (CloudFormation cannot); the local stack plays the deployer."""
        props = self.resolve(props)
        name = props.get("RuleSetName") or self._name(logical_id)
        ses = self.clients("ses")
        ses.create_receipt_rule_set(RuleSetName=name)
        ses.set_active_receipt_rule_set(RuleSetName=name)
        self.out.physical[logical_id] = name

    def _AWS_SES_ReceiptRule(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolve(props)
        rule = props["Rule"]
        name = rule.get("Name") or self._name(logical_id)
        actions = tuple(rule.get("Actions", []))
        unknown = {k for a in actions for k in a} - {"S3Action", "LambdaAction"}
        if unknown:
            raise Unsupported(f"{logical_id}: the local stack runs no {sorted(unknown)} action")
        # moto checks that a LambdaAction's function is in its Lambda backend, where the
        # local stack puts none (it runs the handlers itself): moto keeps the other actions.
        self.clients("ses").create_receipt_rule(
            RuleSetName=props["RuleSetName"],
            Rule={
                **{k: v for k, v in rule.items() if k != "Actions"},
                "Name": name,
                "Actions": [a for a in actions if "LambdaAction" not in a],
            },
        )
        self.out.physical[logical_id] = name
        self.out.receipt_rules.append(
            ReceiptRule(
                rule_set=props["RuleSetName"],
                name=name,
                recipients=tuple(rule.get("Recipients", [])),
                enabled=bool(rule.get("Enabled", False)),
                scan=bool(rule.get("ScanEnabled", False)),
                actions=actions,
            )
        )

    def _AWS_SNS_Subscription(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolve(props)
        if props["Protocol"] == "email":
            self._placeholder(logical_id, props)  # nobody to email locally: a name only
            return
        if props["Protocol"] != "lambda":
            raise ValueError(f"{logical_id}: only lambda subscriptions are wired locally")
        sqs = self.clients("sqs")
        name = self._name(f"{logical_id}-local", 80)
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        subscription = self.clients("sns").subscribe(
            TopicArn=props["TopicArn"], Protocol="sqs", Endpoint=arn
        )["SubscriptionArn"]
        self.out.physical[logical_id] = subscription
        self.out.topic_triggers.append(
            TopicTrigger(
                function=self.out.function_by_name(props["Endpoint"]),
                topic_arn=props["TopicArn"],
                subscription_arn=subscription,
                queue_url=url,
            )
        )

    def _AWS_SNS_Topic(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolve(props)
        name = props.get("TopicName") or self._name(logical_id)
        arn = self.clients("sns").create_topic(Name=name)["TopicArn"]
        self.out.physical[logical_id] = arn
        self.out.attributes[(logical_id, "TopicArn")] = arn

    # ------------------------------------------------------------------ monitoring
    def _AWS_CloudWatch_Alarm(self, logical_id: str, props: dict[str, Any]) -> None:
        """In moto's CloudWatch, which evaluates no alarm: the tests read each alarm there
        and hold its threshold to the metrics the stack publishes (cloudwatch.py)."""
        props = self.resolve(props)
        name = props.get("AlarmName") or self._name(logical_id, 255)
        self.clients("cloudwatch").put_metric_alarm(
            AlarmName=name,
            **{k: v for k, v in props.items() if k in _ALARM_PROPERTIES},
        )
        self.out.physical[logical_id] = name
        self.out.alarms[logical_id] = name

    def _AWS_CloudWatch_Dashboard(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolve(props)
        name = props.get("DashboardName") or self._name(logical_id, 255)
        self.clients("cloudwatch").put_dashboard(
            DashboardName=name, DashboardBody=props["DashboardBody"]
        )
        self.out.physical[logical_id] = name

    # ------------------------------------------------------------------ queues
    def _AWS_SQS_Queue(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolve(props)
        name = props.get("QueueName") or self._name(logical_id, 80)
        attributes = {k: _attr(props[k]) for k in _QUEUE_ATTRIBUTES if k in props}
        redrive = props.get("RedrivePolicy")
        if redrive:
            attributes["RedrivePolicy"] = json.dumps(redrive)
        client = self.clients("sqs")
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self._arn("sqs", name)
        self.out.physical[logical_id] = url
        self.out.attributes[(logical_id, "Arn")] = arn
        self.out.attributes[(logical_id, "QueueName")] = name
        self.out.attributes[(logical_id, "QueueUrl")] = url
        self.out.queues[logical_id] = Queue(
            logical_id=logical_id,
            url=url,
            arn=arn,
            dead_letter_arn=redrive["deadLetterTargetArn"] if redrive else None,
            max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
        )

    # ------------------------------------------------------------------ functions
    def _AWS_Lambda_Function(self, logical_id: str, props: dict[str, Any]) -> None:
        named = props.get("FunctionName")
        name = str(self.resolve(named)) if named else self._name(logical_id)
        arn = self._arn("lambda", f"function:{name}")
        self.out.physical[logical_id] = name
        self.out.attributes[(logical_id, "Arn")] = arn
        environment = self.resolve(props.get("Environment", {}).get("Variables", {}))
        self.out.functions[logical_id] = Function(
            logical_id=logical_id,
            name=name,
            arn=arn,
            handler=props["Handler"],
            code_dir=self.translated.code_paths[logical_id],
            environment={k: str(v) for k, v in environment.items()},
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            policy=self._policy(props.get("Role")),
        )

    def _policy(self, role: Any) -> Policy | None:
        """The function's role: its inline policies (SAM expands its policy templates into
        them), resolved against the stack, and its managed policies."""
        if not (isinstance(role, dict) and "Fn::GetAtt" in role):
            return None
        properties = self.translated.resources[role["Fn::GetAtt"][0]]["Properties"]
        return role_policy(
            self.resolve(properties.get("Policies", [])),
            self.resolve(properties.get("ManagedPolicyArns", [])),
        )

    def _AWS_Lambda_EventInvokeConfig(self, logical_id: str, props: dict[str, Any]) -> None:
        self._placeholder(logical_id, props)
        props = self.resolve(props)
        function = self.out.functions[self.out.function_by_name(props["FunctionName"])]
        function.async_retries = int(props.get("MaximumRetryAttempts", 2))
        on_failure = props.get("DestinationConfig", {}).get("OnFailure", {})
        function.on_failure = on_failure.get("Destination")

    def _AWS_Lambda_EventSourceMapping(self, logical_id: str, props: dict[str, Any]) -> None:
        self._placeholder(logical_id, props)
        props = self.resolve(props)
        function = self.out.function_by_name(props["FunctionName"])
        source = props["EventSourceArn"]
        report = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        if ":sqs:" in source:
            self.out.queue_triggers.append(
                QueueTrigger(
                    function=function,
                    queue=self.out.queue_by_arn(source),
                    batch_size=int(props.get("BatchSize", 10)),
                    report_failures=report,
                )
            )
            return
        table = next(
            name
            for logical, name in self.out.tables.items()
            if self.out.attributes.get((logical, "StreamArn")) == source
        )
        self.out.stream_triggers.append(
            StreamTrigger(
                function=function,
                stream_arn=source,
                table=table,
                batch_size=int(props.get("BatchSize", 100)),
                report_failures=report,
                bisect=bool(props.get("BisectBatchOnFunctionError", False)),
                max_retries=int(props.get("MaximumRetryAttempts", -1)),
                on_failure=props.get("DestinationConfig", {})
                .get("OnFailure", {})
                .get("Destination"),
                starting_position=props.get("StartingPosition", "TRIM_HORIZON"),
                batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                filters=[
                    json.loads(f["Pattern"])
                    for f in props.get("FilterCriteria", {}).get("Filters", [])
                ],
            )
        )

    def _AWS_Scheduler_Schedule(self, logical_id: str, props: dict[str, Any]) -> None:
        props = self.resolve(props)
        name = props.get("Name") or self._name(logical_id)
        target = props["Target"]
        self.clients("scheduler").create_schedule(
            Name=name,
            ScheduleExpression=props["ScheduleExpression"],
            ScheduleExpressionTimezone=props.get("ScheduleExpressionTimezone", "UTC"),
            FlexibleTimeWindow=props.get("FlexibleTimeWindow", {"Mode": "OFF"}),
            Target={k: v for k, v in target.items() if k in ("Arn", "RoleArn", "Input")},
            State=props.get("State", "ENABLED"),
        )
        self.out.physical[logical_id] = name
        self.out.schedules.append(
            Schedule(
                name=name,
                function=self.out.function_by_name(target["Arn"]),
                expression=props["ScheduleExpression"],
                timezone=props.get("ScheduleExpressionTimezone", "UTC"),
                input=target.get("Input", "{}"),
                enabled=props.get("State", "ENABLED") == "ENABLED",
            )
        )

    def _AWS_ApiGatewayV2_DomainName(self, logical_id: str, props: dict[str, Any]) -> None:
        """A custom domain: its name, and where its DNS would point (nothing serves it)."""
        props = self.resolve(props)
        self.out.physical[logical_id] = props["DomainName"]
        self.out.attributes[(logical_id, "RegionalDomainName")] = (
            f"d-local.execute-api.{self.out.region}.amazonaws.com"
        )

    def _AWS_ApiGatewayV2_Api(self, logical_id: str, props: dict[str, Any]) -> None:
        self._placeholder(logical_id, props)
        self.out.physical[logical_id] = f"local{logical_id.lower()[:6]}"
        for path, methods in props.get("Body", {}).get("paths", {}).items():
            for method, spec in methods.items():
                integration = spec["x-amazon-apigateway-integration"]["uri"]
                text = integration["Fn::Sub"] if isinstance(integration, dict) else integration
                function = _INTEGRATION_FUNCTION.search(text if isinstance(text, str) else text[0])
                if function is None:
                    raise ValueError(f"{method} {path}: no function in its integration")
                http_method = "ANY" if method == "x-amazon-apigateway-any-method" else method
                self.out.routes.append(
                    Route(
                        http_method.upper(),
                        path,
                        function.group(1),
                        self.out.physical[logical_id],
                    )
                )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _attr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
