"""The local stack's emulation of Lambda event filtering (FilterCriteria), starting with the
pattern template.yaml puts on the score stream: only new prompts, answers and votes."""

import json
from typing import Any

import pytest

from palabre_cli.template import translate
from sam_moto.filters import UnsupportedPattern, matches
from tests.conftest import load_event


def score_stream_patterns() -> list[dict[str, Any]]:
    """The FilterCriteria of the score stream's trigger, as CloudFormation receives them."""
    mappings = translate().of_type("AWS::Lambda::EventSourceMapping")
    (mapping,) = (
        m
        for m in mappings.values()
        if m["Properties"]["FunctionName"] == {"Ref": "ScoreStreamFunction"}
    )
    return [json.loads(f["Pattern"]) for f in mapping["Properties"]["FilterCriteria"]["Filters"]]


def passes(record: dict[str, Any]) -> bool:
    return any(matches(pattern, record) for pattern in score_stream_patterns())


def stream_record(event_name: str, sort_key: str) -> dict[str, Any]:
    keys = {"PK": {"S": "THEME#one-to-ones"}, "SK": {"S": sort_key}}
    image = {**keys, "theme_id": {"S": "one-to-ones"}}
    changed: dict[str, Any] = {
        "INSERT": {"NewImage": image},
        "MODIFY": {"OldImage": image, "NewImage": image},
        "REMOVE": {"OldImage": image},
    }[event_name]
    return {
        "eventID": "c81e728d9d4c2f636f067f89cc148620",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "Keys": keys,
            **changed,
            "SequenceNumber": "1100000000017454423020",
            "SizeBytes": 120,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


# ---------------------------------------------------------------------------- the score stream
@pytest.mark.parametrize(
    "sort_key",
    ["PROMPT#m6egcql6wjcxuz7zbj2ndwsve", "ANSWER#m6egcql6wjcxuz7zbj2ndwsve", "VOTE#ma#mb"],
    ids=["prompt", "answer", "vote"],
)
def test_the_score_stream_gets_new_prompts_answers_and_votes(sort_key: str) -> None:
    assert passes(stream_record("INSERT", sort_key))


@pytest.mark.parametrize("sort_key", ["ANSWER#m1", "PROMPT#m1", "VOTE#ma#mb"])
@pytest.mark.parametrize("event_name", ["MODIFY", "REMOVE"], ids=["edit", "delete"])
def test_the_score_stream_never_gets_edits_or_deletions(event_name: str, sort_key: str) -> None:
    # An edited answer is a MODIFY: filtering it out is why an edit earns nothing more
    assert not passes(stream_record(event_name, sort_key))


@pytest.mark.parametrize(
    "sort_key",
    [
        "THEME",
        "DISPATCH",
        "CURSOR#prompt#all#Europe/Paris",
        "AWARD#answer#one-to-ones",
        "SCORE",
        "STREAK",
        "PROFILE",
        "answer#m1",
        "XANSWER#m1",
    ],
    ids=[
        "theme",
        "dispatch",
        "cursor",
        "award",
        "score",
        "streak",
        "profile",
        "lower-case-prefix",
        "prefix-not-at-start",
    ],
)
def test_the_score_stream_ignores_its_own_writes_and_other_items(sort_key: str) -> None:
    assert not passes(stream_record("INSERT", sort_key))


@pytest.mark.parametrize("name", ["answer-inserted.json", "vote-inserted.json"])
def test_every_record_of_the_sample_score_events_passes_the_filter(name: str) -> None:
    records = load_event(f"score_stream/{name}")["Records"]

    assert records
    assert all(passes(r) for r in records)


# ---------------------------------------------------------------------------- operators
@pytest.mark.parametrize(
    ("value", "expected"),
    [("ANSWER#m1", True), ("ANSWER#", True), ("ANSWE", False), ("VOTE#ANSWER#", False), (7, False)],
    ids=["prefixed", "prefix-only", "shorter", "elsewhere", "not-a-string"],
)
def test_prefix(value: object, expected: bool) -> None:
    assert matches({"SK": [{"prefix": "ANSWER#"}]}, {"SK": value}) is expected
    assert matches({"SK": [{"prefix": "ANSWER#"}]}, {}) is False


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ({"anything-but": ["REMOVE", "MODIFY"]}, "INSERT", True),
        ({"anything-but": ["REMOVE", "MODIFY"]}, "REMOVE", False),
        ({"anything-but": "REMOVE"}, "MODIFY", True),
        ({"anything-but": "REMOVE"}, "REMOVE", False),
        ({"anything-but": [3]}, 4, True),
    ],
    ids=["list-other", "list-excluded", "scalar-other", "scalar-excluded", "number"],
)
def test_anything_but(rule: dict, value: object, expected: bool) -> None:
    assert matches({"eventName": [rule]}, {"eventName": value}) is expected


def test_anything_but_does_not_match_a_missing_field() -> None:
    assert not matches({"eventName": [{"anything-but": ["REMOVE"]}]}, {"other": "INSERT"})


@pytest.mark.parametrize(
    ("exists", "event", "expected"),
    [
        (True, {"NewImage": "x"}, True),
        (True, {}, False),
        (False, {}, True),
        (False, {"NewImage": "x"}, False),
    ],
    ids=["wanted-present", "wanted-absent", "unwanted-absent", "unwanted-present"],
)
def test_exists(exists: bool, event: dict, expected: bool) -> None:
    assert matches({"NewImage": [{"exists": exists}]}, event) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("INSERT", True),
        ("MODIFY", True),
        ("REMOVE", False),
        ("insert", False),
        (["REMOVE", "INSERT"], True),
        (["REMOVE"], False),
    ],
    ids=["first", "second", "other", "case-sensitive", "array-containing", "array-without"],
)
def test_a_list_of_exact_values_matches_any_of_them(value: object, expected: bool) -> None:
    assert matches({"eventName": ["INSERT", "MODIFY"]}, {"eventName": value}) is expected


def test_null_matches_a_present_null_only() -> None:
    assert matches({"deadline": [None]}, {"deadline": None})
    assert not matches({"deadline": [None]}, {})


def test_numeric_equality() -> None:
    assert matches({"points": [{"numeric": ["=", 10]}]}, {"points": 10.0})
    assert not matches({"points": [{"numeric": ["=", 10]}]}, {"points": 15})


def test_every_field_of_a_pattern_must_match_at_every_depth() -> None:
    pattern = {"eventName": ["INSERT"], "dynamodb": {"Keys": {"SK": {"S": [{"prefix": "VOTE#"}]}}}}

    assert matches(pattern, {"eventName": "INSERT", "dynamodb": {"Keys": {"SK": {"S": "VOTE#a"}}}})
    assert not matches(pattern, {"eventName": "INSERT"})
    assert not matches(pattern, {"eventName": "INSERT", "dynamodb": {"Keys": "VOTE#a"}})
    assert not matches(pattern, {"dynamodb": {"Keys": {"SK": {"S": "VOTE#a"}}}})


def test_an_empty_pattern_matches_everything() -> None:
    assert matches({}, {"eventName": "REMOVE"})


@pytest.mark.parametrize(
    "pattern",
    [
        {"SK": [{"suffix": "#m1"}]},
        {"SK": [{"equals-ignore-case": "answer#m1"}]},
        {"SK": [{"wildcard": "ANSWER#*"}]},
        {"points": [{"numeric": [">", 0]}]},
        {"SK": [{"anything-but": {"prefix": "AWARD#"}}]},
        {"eventName": "INSERT"},
    ],
    ids=[
        "suffix",
        "equals-ignore-case",
        "wildcard",
        "numeric-range",
        "anything-but-prefix",
        "leaf-not-a-list",
    ],
)
def test_a_pattern_the_emulator_does_not_know_is_refused_not_guessed(pattern: dict) -> None:
    with pytest.raises(UnsupportedPattern):
        matches(pattern, {"SK": "ANSWER#m1", "points": 10, "eventName": "INSERT"})
