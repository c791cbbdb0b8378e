"""`palabre smoke --stack`: the stack's outputs read from CloudFormation (moto's)."""

import json

import boto3
import pytest

from palabre_cli import smoke
from sam_moto.stack import REGION

STACK = {
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {"SendQueueUrl": {"Value": {"Ref": "Queue"}}},
}


def test_a_deployed_stack_is_found_by_name_with_its_outputs(aws: None) -> None:
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="palabre-prod", TemplateBody=json.dumps(STACK)
    )

    target = smoke.deployed("palabre-prod", REGION)

    assert target.name == "stack palabre-prod"
    [queue_url] = boto3.client("sqs", region_name=REGION).list_queues()["QueueUrls"]
    assert target.output("SendQueueUrl") == queue_url
    with pytest.raises(smoke.MissingOutput):
        target.output("ApiUrl")


def test_a_stack_that_does_not_exist_says_where_it_looked(aws: None) -> None:
    with pytest.raises(smoke.NoStack) as missing:
        smoke.deployed("palabre-nope", REGION)

    assert str(missing.value) == (
        f"no stack palabre-nope in {REGION}: give --stack and --region, "
        "or deploy it (docs/deploy.md)"
    )


def test_a_stack_missing_outputs_fails_the_checks_that_need_them(aws: None) -> None:
    from palabre_cli.template import translate

    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="palabre-old", TemplateBody=json.dumps(STACK)
    )
    target = smoke.deployed("palabre-old", REGION)

    lines = smoke.run(target, smoke.Plan.of(translate()))

    assert lines[0].status == "FAIL"
    assert lines[0].detail.startswith(
        "missing ApiUrl, UploadsBucketName, AdminUploadRoleArn, TableName"
    )
    assert str(lines[1]) == (
        "FAIL  routes: the stack has no output ApiUrl: `sam deploy` this version"
    )
