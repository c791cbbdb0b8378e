"""template.yaml, as CloudFormation will see it after the SAM transform."""

import importlib.util
import re
from graphlib import CycleError, TopologicalSorter

import cfnlint.api
import pytest

from palabre_cli.template import TEMPLATE, Translated, load_source, translate
from sam_moto.provision import _dependencies
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def translated() -> Translated:
    return translate()


def test_the_template_translates_offline(translated: Translated) -> None:
    types = {r["Type"] for r in translated.resources.values()}
    assert {
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::SQS::Queue",
        "AWS::SecretsManager::Secret",
        "AWS::SES::ConfigurationSet",
    } <= types


def test_cfn_lint_finds_nothing() -> None:
    matches = cfnlint.api.lint_file(TEMPLATE)
    assert [str(m) for m in matches] == []


def test_resources_form_no_dependency_cycle(translated: Translated) -> None:
    graph = {
        logical_id: {
            d
            for d in _dependencies(resource.get("Properties", {}))
            | set(
                [resource["DependsOn"]]
                if isinstance(resource.get("DependsOn"), str)
                else resource.get("DependsOn", [])
            )
            if d in translated.resources
        }
        for logical_id, resource in translated.resources.items()
    }
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as cycle:  # pragma: no cover - the assertion says which
        pytest.fail(f"dependency cycle: {cycle.args[1]}")


def test_every_function_runs_python312_on_x86_with_the_layers(translated: Translated) -> None:
    functions = translated.of_type("AWS::Lambda::Function")
    assert functions
    for logical_id, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == "python3.12", logical_id
        assert props["Architectures"] == ["x86_64"], logical_id
        assert len(props["Layers"]) == 2, logical_id
        variables = props["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "palabre"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Palabre"


def test_every_handler_resolves_to_a_callable(translated: Translated) -> None:
    for logical_id, function in translated.of_type("AWS::Lambda::Function").items():
        module_name, _, attribute = function["Properties"]["Handler"].rpartition(".")
        path = translated.code_paths[logical_id] / f"{module_name}.py"
        spec = importlib.util.spec_from_file_location(f"infra_{logical_id}", path)
        assert spec is not None, path
        assert spec.loader is not None, path
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert callable(getattr(module, attribute)), f"{logical_id}: {attribute}"


def test_the_table_streams_new_and_old_images_and_is_never_replaced(
    translated: Translated,
) -> None:
    table = translated.of_type("AWS::DynamoDB::Table")["PalabreTable"]
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["DeletionPolicy"] == "Retain"
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"


def test_the_data_model_document_describes_the_table_as_built(translated: Translated) -> None:
    table = translated.of_type("AWS::DynamoDB::Table")["PalabreTable"]
    document = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    for index in table["Properties"]["GlobalSecondaryIndexes"]:
        assert f"`{index['IndexName']}`" in document, index["IndexName"]
    for attribute in table["Properties"]["AttributeDefinitions"]:
        assert f"`{attribute['AttributeName']}`" in document, attribute["AttributeName"]


def test_the_sending_table_written_at_each_email_stays_out_of_the_score_stream(
    translated: Translated,
) -> None:
    tables = translated.of_type("AWS::DynamoDB::Table")
    assert set(tables) == {"PalabreTable", "SendingTable"}
    assert "StreamSpecification" not in tables["SendingTable"]["Properties"]


def test_the_sending_domain_is_created_with_easy_dkim_and_mail_from_only_when_asked() -> None:
    source = load_source()
    identity = source["Resources"]["SendingDomainIdentity"]
    assert identity["Condition"] == "CreatesSendingDomain"
    assert source["Parameters"]["SendingDomain"]["Default"] == "existing"
    properties = identity["Properties"]
    assert properties["DkimSigningAttributes"] == {"NextSigningKeyLength": "RSA_2048_BIT"}
    assert properties["DkimAttributes"] == {"SigningEnabled": True}
    assert "MailFromDomain" in properties["MailFromAttributes"]


def test_every_queue_a_function_reads_has_a_dead_letter_queue(translated: Translated) -> None:
    queues = translated.of_type("AWS::SQS::Queue")
    for mapping in translated.of_type("AWS::Lambda::EventSourceMapping").values():
        source = mapping["Properties"]["EventSourceArn"]
        if "Fn::GetAtt" in source and source["Fn::GetAtt"][0] in queues:
            queue = queues[source["Fn::GetAtt"][0]]["Properties"]
            assert "RedrivePolicy" in queue, source
            assert "ReportBatchItemFailures" in mapping["Properties"]["FunctionResponseTypes"]


def test_asynchronous_functions_park_their_failures(translated: Translated) -> None:
    invoke_configs = {
        c["Properties"]["FunctionName"]["Ref"]: c["Properties"]
        for c in translated.of_type("AWS::Lambda::EventInvokeConfig").values()
    }
    notified = {
        config["Function"]["Fn::GetAtt"][0]
        for bucket in translated.of_type("AWS::S3::Bucket").values()
        for config in bucket["Properties"]
        .get("NotificationConfiguration", {})
        .get("LambdaConfigurations", [])
    }
    subscribed = {
        s["Properties"]["Endpoint"]["Fn::GetAtt"][0]
        for s in translated.of_type("AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "lambda"
    }
    # Scheduler invokes asynchronously too: a run that fails is Lambda's to park
    scheduled = {
        s["Properties"]["Target"]["Arn"]["Fn::GetAtt"][0]
        for s in translated.of_type("AWS::Scheduler::Schedule").values()
    }
    assert notified
    assert subscribed
    assert scheduled == {"SchedulePromptsFunction", "WeeklyDigestFunction"}
    notified |= subscribed | scheduled
    for function in notified:
        assert "OnFailure" in invoke_configs[function]["DestinationConfig"], function


def test_every_dead_letter_queue_raises_an_alarm_when_a_message_lands(
    translated: Translated,
) -> None:
    from sam_moto.dead_letters import sources

    watched = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in translated.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and alarm["Properties"]["Threshold"] == 0
        and alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    }
    assert set(sources(translated)) == watched


def test_every_function_has_an_errors_alarm_a_trace_and_logs_kept_log_retention_days(
    translated: Translated,
) -> None:
    functions = translated.of_type("AWS::Lambda::Function")
    errors = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for alarm in translated.of_type("AWS::CloudWatch::Alarm").values()
        if (alarm["Properties"]["Namespace"], alarm["Properties"]["MetricName"])
        == ("AWS/Lambda", "Errors")
        and alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    }
    assert errors == set(functions)
    groups = translated.of_type("AWS::Logs::LogGroup")
    for logical_id, function in functions.items():
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}, logical_id
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert load_source()["Parameters"]["LogRetentionDays"]["Default"] == 90


def test_every_handler_is_traced_by_the_shared_tracer(translated: Translated) -> None:
    from palabre.observability import tracer

    assert tracer.disabled  # no X-Ray daemon in the tests, nor in the local stack
    for logical_id in translated.of_type("AWS::Lambda::Function"):
        path = translated.code_paths[logical_id] / "app.py"
        spec = importlib.util.spec_from_file_location(f"traced_{logical_id}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        # Each decorator's wrapper keeps the handler's name; its code keeps its own.
        layer, wrappers = module.lambda_handler, []
        while layer is not None:
            wrappers.append(layer.__code__.co_qualname)
            layer = getattr(layer, "__wrapped__", None)
        assert any(w.startswith("Tracer.capture_lambda_handler") for w in wrappers), logical_id


DISPOSABLE = {"SendingTable"}
"""the sender's pace and hourly counts: rebuilt by use, nothing to restore"""


def test_the_data_outlives_the_stack(translated: Translated) -> None:
    table = translated.resources["PalabreTable"]
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    for kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SecretsManager::Secret"):
        for logical_id, resource in translated.of_type(kind).items():
            if logical_id in DISPOSABLE:
                continue
            assert resource["DeletionPolicy"] == "Retain", logical_id
            assert resource["UpdateReplacePolicy"] == "Retain", logical_id


def test_topics_are_encrypted_with_a_key_alarms_and_ses_may_use(translated: Translated) -> None:
    keys = translated.of_type("AWS::KMS::Key")
    for logical_id, topic in translated.of_type("AWS::SNS::Topic").items():
        key = topic["Properties"]["KmsMasterKeyId"]["Ref"]  # not alias/aws/sns
        statements = keys[key]["Properties"]["KeyPolicy"]["Statement"]
        services = {
            service
            for statement in statements
            if {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(statement["Action"])
            for service in statement["Principal"].get("Service", [])
        }
        assert {"cloudwatch.amazonaws.com", "ses.amazonaws.com"} <= services, logical_id


def test_the_api_logs_each_request_and_throttles_its_forms_harder(
    translated: Translated,
) -> None:
    [stage] = translated.of_type("AWS::ApiGatewayV2::Stage").values()
    access = stage["Properties"]["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert "$context.routeKey" in access["Format"]
    assert "$context.path" not in access["Format"]  # a path carries a member's token
    default = stage["Properties"]["DefaultRouteSettings"]
    [api] = translated.of_type("AWS::ApiGatewayV2::Api").values()
    routes = {
        f"{method.upper()} {path}"
        for path, methods in api["Properties"]["Body"]["paths"].items()
        for method in methods
    }
    settings = stage["Properties"]["RouteSettings"]
    assert set(settings) <= routes  # no setting for a route that does not exist
    assert {r for r in routes if r.startswith("POST ")} <= set(settings)
    for route in settings.values():
        assert route["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]


@pytest.mark.parametrize("domain", ["", "palabre.example.com"])
def test_a_custom_domain_is_optional(domain: str) -> None:
    certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/abc" if domain else ""
    translated = translate({"DomainName": domain, "CertificateArn": certificate})
    source = load_source()
    for logical_id in ("ApiDomain", "ApiDomainMapping"):
        assert translated.resources[logical_id]["Condition"] == "HasDomain"
    assert source["Conditions"]["HasDomain"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]
    }


def test_parameters_cover_the_organisation() -> None:
    parameters = load_source()["Parameters"]
    assert {"SenderAddress", "OrganisationName", "OrganisationTimezone", "DefaultLocale"} <= set(
        parameters
    )


def test_no_production_code_scans_the_table() -> None:
    scans = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("functions", "layers")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.scan\(|[\"'][Ss]can[\"']", line)
    ]
    assert scans == []


def test_no_module_opens_a_client_or_reads_the_environment_at_import_time() -> None:
    offenders = []
    for folder in ("functions", "layers/palabre/palabre"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                top_level = not line.startswith((" ", "\t"))
                if top_level and re.search(r"boto3\.(client|resource)\(|os\.environ|getenv", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


def test_only_the_import_and_the_admin_upload_role_write_uploads_and_only_over_tls(
    translated: Translated,
) -> None:
    [policy] = translated.of_type("AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": "UploadsBucket"}
    listed = policy["Properties"]["PolicyDocument"]["Statement"]
    statements = {s["Sid"]: s for s in listed if "Sid" in s}
    bucket = {"Fn::GetAtt": ["UploadsBucket", "Arn"]}

    # With an inbound domain, SES stores replies under inbound/, nowhere else
    [(condition, ses, absent)] = [s["Fn::If"] for s in listed if "Fn::If" in s]
    assert (condition, absent) == ("HasInboundDomain", {"Ref": "AWS::NoValue"})
    assert (ses["Effect"], ses["Principal"], ses["Action"]) == (
        "Allow",
        {"Service": "ses.amazonaws.com"},
        "s3:PutObject",
    )
    assert ses["Resource"] == {"Fn::Sub": "${UploadsBucket.Arn}/inbound/*"}
    assert ses["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert (
        ":receipt-rule-set/${AWS::StackName}-inbound:"
        in (ses["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"])
    )

    tls = statements["TlsOnly"]
    assert (tls["Effect"], tls["Principal"], tls["Action"]) == ("Deny", "*", "s3:*")
    assert tls["Resource"] == [bucket, {"Fn::Sub": "${UploadsBucket.Arn}/*"}]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    # Every prefix the bucket notifies the import of is closed to all but two principals
    notified = {
        rule["Value"]
        for config in translated.resources["UploadsBucket"]["Properties"][
            "NotificationConfiguration"
        ]["LambdaConfigurations"]
        for rule in config["Filter"]["S3Key"]["Rules"]
        if rule["Name"] == "prefix"
    }
    assert notified == {"roster/", "calendar/"}
    imports = statements["ImportsOnlyFromTheAdminUploadRoleAndTheImport"]
    assert (imports["Effect"], imports["Principal"], imports["Action"]) == (
        "Deny",
        "*",
        "s3:PutObject",
    )
    assert {r["Fn::Sub"] for r in imports["Resource"]} == {
        f"${{UploadsBucket.Arn}}/{prefix}*" for prefix in notified
    }
    function_role = translated.resources["ImportUploadFunction"]["Properties"]["Role"]
    assert imports["Condition"] == {
        "ArnNotEquals": {
            "aws:PrincipalArn": [function_role, {"Fn::GetAtt": ["AdminUploadRole", "Arn"]}]
        }
    }

    # The admin upload role writes those files and reads their reports, nothing more
    role = translated.resources["AdminUploadRole"]["Properties"]
    [trusted] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trusted["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    [inline] = role["Policies"]
    granted = {
        (s["Action"], r["Fn::Sub"])
        for s in inline["PolicyDocument"]["Statement"]
        for r in s["Resource"]
    }
    assert granted == {
        *{("s3:PutObject", f"${{UploadsBucket.Arn}}/{p}*") for p in notified},
        *{("s3:GetObject", f"${{UploadsBucket.Arn}}/{p}*.report.json") for p in notified},
    }


INBOUND = {
    "InboundRuleSet": "AWS::SES::ReceiptRuleSet",
    "InboundRule": "AWS::SES::ReceiptRule",
    "InboundReplyPermission": "AWS::Lambda::Permission",
    "InboundReplyFunction": "AWS::Lambda::Function",
    "InboundReplyFunctionRole": "AWS::IAM::Role",
    "InboundReplyFunctionEventInvokeConfig": "AWS::Lambda::EventInvokeConfig",
    "InboundReplyLogGroup": "AWS::Logs::LogGroup",
    "InboundReplyErrorsAlarm": "AWS::CloudWatch::Alarm",
    "InboundFailureQueue": "AWS::SQS::Queue",
    "InboundFailureQueueAlarm": "AWS::CloudWatch::Alarm",
}


def test_replies_are_received_only_with_an_inbound_domain(translated: Translated) -> None:
    # Every resource of answering by reply is made only when InboundDomain is set
    for logical_id, kind in INBOUND.items():
        resource = translated.resources[logical_id]
        assert (resource["Type"], resource["Condition"]) == (kind, "HasInboundDomain")
    conditions = load_source()["Conditions"]
    assert conditions["HasInboundDomain"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "InboundDomain"}, ""]}]
    }
    assert load_source()["Parameters"]["InboundDomain"]["Default"] == ""


def test_the_receipt_rule_scans_stores_under_inbound_then_invokes_asynchronously(
    translated: Translated,
) -> None:
    rule = translated.resources["InboundRule"]
    assert set(rule["DependsOn"]) == {"UploadsBucketPolicy", "InboundReplyPermission"}
    properties = rule["Properties"]["Rule"]
    assert properties["Recipients"] == [{"Ref": "InboundDomain"}]
    assert (properties["Enabled"], properties["ScanEnabled"]) == (True, True)
    store, invoke = properties["Actions"]
    assert store["S3Action"] == {
        "BucketName": {"Ref": "UploadsBucket"},
        "ObjectKeyPrefix": "inbound/",
    }
    assert invoke["LambdaAction"] == {
        "FunctionArn": {"Fn::GetAtt": ["InboundReplyFunction", "Arn"]},
        "InvocationType": "Event",
    }
    permission = translated.resources["InboundReplyPermission"]["Properties"]
    assert permission["Principal"] == "ses.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert permission["SourceArn"]["Fn::Sub"].endswith(
        ":receipt-rule-set/${AWS::StackName}-inbound:receipt-rule/replies"
    )
    # SES's invocation is asynchronous: a failure is retried, then parked
    config = translated.resources["InboundReplyFunctionEventInvokeConfig"]["Properties"]
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["InboundFailureQueue", "Arn"]
    }


@pytest.mark.parametrize(
    "days",
    [
        "Mon,Tue,Wed,Thu,Fri",
        "Sun,Mon,Tue,Wed,Thu",
        "Mon",
        "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
        "Mon,Mon",
        "Mon,Tue,Wed,Mon",
        "Fri,Sat,Sun,Sat",
        "Mon,Tue,Wed,Thu,Fri,Sat,Sun,Mon",
        "mon",
        "Mon, Tue",
        "Monday",
        "",
    ],
)
def test_working_days_the_template_allows_are_those_the_functions_read(days: str) -> None:
    """A deploy refuses what the functions would refuse at their cold start ("Mon,Mon")."""
    from palabre.core.local_time import working_days

    pattern = load_source()["Parameters"]["WorkingDays"]["AllowedPattern"]
    try:
        working_days(days)
        read = days == days.replace(" ", "")  # (the functions forgive spaces; a deploy not)
    except ValueError:
        read = False
    assert bool(re.fullmatch(pattern, days)) == read
