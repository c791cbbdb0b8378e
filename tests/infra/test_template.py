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
    assert notified
    assert subscribed
    notified |= subscribed
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
