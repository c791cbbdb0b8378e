"""The admin space's Retry sends parked work back as the template wires it: the stream
records it gives the score function are those the score trigger lets through."""

import json
from typing import Any

import pytest

from palabre.admin.parked import scored
from palabre_cli.template import Translated, translate
from sam_moto.dead_letters import sources
from sam_moto.filters import matches


@pytest.fixture(scope="module")
def translated() -> Translated:
    return translate()


def record(event: str, sort_key: str, **image: dict[str, Any]) -> dict[str, Any]:
    keys = {"PK": {"S": "THEME#t"}, "SK": {"S": sort_key}}
    return {"eventName": event, "dynamodb": {"Keys": keys, "NewImage": {**keys, **image}}}


SAMPLES = [
    record(event, sort_key, **image)
    for event in ("INSERT", "MODIFY", "REMOVE")
    for sort_key in ("PROMPT#m", "ANSWER#m", "VOTE#a#v", "RSVP#m", "SCORE", "PROFILE", "DISPATCH")
    for image in ({}, {"attended_rev": {"N": "2"}}, {"attended_rev": {"S": "2"}})
]


def test_the_records_retried_are_those_the_score_trigger_lets_through(
    translated: Translated,
) -> None:
    """Given the score function's FilterCriteria in template.yaml
    When a parked score batch is sent back from the admin space
    Then exactly the records the trigger would pass are given to the function."""
    [mapping] = [
        props
        for props in (
            r["Properties"] for r in translated.of_type("AWS::Lambda::EventSourceMapping").values()
        )
        if props["FunctionName"]["Ref"] == "ScoreStreamFunction"
    ]
    patterns = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    for sample in SAMPLES:
        assert scored(sample) == any(matches(p, sample) for p in patterns), sample
    assert any(scored(s) for s in SAMPLES)
    assert sources(translated)["ScoreFailureQueue"].logical_id == "ScoreStreamFunction"


def test_retry_sends_each_queue_back_to_the_functions_the_template_parks_it_from(
    translated: Translated,
) -> None:
    """Given where the template parks each function's failures
    Then the admin space's RETRY_FUNCTIONS names exactly those functions per queue, and
    its role may invoke them and no other."""
    function = translated.resources["AdminSpaceFunction"]["Properties"]
    text = function["Environment"]["Variables"]["RETRY_FUNCTIONS"]["Fn::Sub"]
    # A function is named by a reference, or (where a reference would be a cycle) by
    # its FunctionName, written the same way
    by_name = {
        props["FunctionName"]["Fn::Sub"]: logical_id
        for logical_id, resource in translated.resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
        and isinstance((props := resource["Properties"]).get("FunctionName"), dict)
    }

    def logical(name: str) -> str:
        return by_name.get(name) or name.removeprefix("${").removesuffix("}")

    named = {
        kind: {logical(f) for f in functions.split("+")}
        for kind, functions in (pair.split("=") for pair in text.split(","))
    }
    queues = {
        "score": "ScoreFailureQueue",
        "import": "ImportFailureQueue",
        "schedule": "ScheduleFailureQueue",
        "feedback": "FeedbackFailureQueue",
        "inbound": "InboundFailureQueue",
    }
    assert set(named) == set(queues)
    parked_from: dict[str, set[str]] = {}
    for resource in translated.resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] in (
            "AWS::Lambda::EventInvokeConfig",
            "AWS::Lambda::EventSourceMapping",
        ):
            target = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if isinstance(target, dict) and "Fn::GetAtt" in target:
                parked_from.setdefault(target["Fn::GetAtt"][0], set()).add(
                    props["FunctionName"]["Ref"]
                )
    for kind, queue in queues.items():
        assert named[kind] == parked_from[queue], kind
    role = translated.resources[function["Role"]["Fn::GetAtt"][0]]["Properties"]
    invokable = {
        resource["Fn::GetAtt"][0]
        if "Fn::GetAtt" in resource
        else logical(resource["Fn::Sub"].split(":function:")[1])
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if "lambda:InvokeFunction" in statement["Action"]
        for resource in statement["Resource"]
    }
    assert invokable == set().union(*named.values())
