"""Pieces of the local stack that need no AWS: schedule expressions, durations,
CloudFormation intrinsics, the upload progress bar."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from palabre_cli.main import Progress
from palabre_cli.template import TEMPLATE, load_source, translate
from sam_moto import template
from sam_moto.intrinsics import NO_VALUE, Resolver
from sam_moto.provision import Provisioner, ReceiptRule, Unsupported
from sam_moto.schedules import Expression
from sam_moto.server import BadRequest, parse_duration, parse_instant


def fires(expression: str, zone: str, after: str, until: str) -> list[str]:
    moments = Expression(expression, zone).fires(
        datetime.fromisoformat(after), datetime.fromisoformat(until)
    )
    return [m.isoformat() for m in moments]


def test_rate_ticks_on_round_multiples() -> None:
    assert fires(
        "rate(5 minutes)", "UTC", "2026-11-30T08:01:00+00:00", "2026-11-30T08:16:00+00:00"
    ) == [
        "2026-11-30T08:05:00+00:00",
        "2026-11-30T08:10:00+00:00",
        "2026-11-30T08:15:00+00:00",
    ]


def test_cron_is_read_in_its_timezone() -> None:
    # Monday 08:00 in Paris is 07:00 UTC in winter and 06:00 UTC in summer
    assert fires(
        "cron(0 8 ? * MON *)",
        "Europe/Paris",
        "2027-03-20T00:00:00+00:00",
        "2027-04-06T00:00:00+00:00",
    ) == [
        "2027-03-22T07:00:00+00:00",
        "2027-03-29T06:00:00+00:00",
        "2027-04-05T06:00:00+00:00",
    ]


def test_cron_skips_a_time_the_clocks_skip_and_runs_a_repeated_time_once() -> None:
    # 02:30 does not exist in Paris on 2027-03-28; 02:30 happens twice on 2026-10-25
    assert fires(
        "cron(30 2 * * ? *)",
        "Europe/Paris",
        "2027-03-27T12:00:00+00:00",
        "2027-03-29T12:00:00+00:00",
    ) == ["2027-03-29T00:30:00+00:00"]
    assert fires(
        "cron(30 2 * * ? *)",
        "Europe/Paris",
        "2026-10-24T12:00:00+00:00",
        "2026-10-25T12:00:00+00:00",
    ) == ["2026-10-25T00:30:00+00:00"]


def test_cron_lists_ranges_and_steps() -> None:
    assert fires(
        "cron(0/20 9-10 1,15 * ? 2027)",
        "UTC",
        "2027-01-01T00:00:00+00:00",
        "2027-01-01T23:59:00+00:00",
    ) == [f"2027-01-01T{h:02d}:{m:02d}:00+00:00" for h in (9, 10) for m in (0, 20, 40)]


def test_unknown_expressions_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        Expression("every monday")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT2H", timedelta(hours=2)),
        ("P1D", timedelta(days=1)),
        ("P1W", timedelta(weeks=1)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("pt90s", timedelta(seconds=90)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["2H", "P", "PT", "soon", "P-1D"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(BadRequest):
        parse_duration(text)


def test_instants_need_an_offset() -> None:
    assert parse_instant("2026-12-01T09:00:00Z") == datetime(2026, 12, 1, 9, tzinfo=UTC)
    with pytest.raises(BadRequest, match="offset"):
        parse_instant("2026-12-01T09:00:00")


def test_intrinsics_resolve_against_what_was_created() -> None:
    resolve = Resolver(
        parameters={"Env": "prod"},
        pseudo={"AWS::Region": "eu-west-1", "AWS::StackId": "arn:aws:cf:::stack/s/uuid-1"},
        ref=lambda name: {"Table": "palabre-table"}[name],
        get_att=lambda name, attribute: f"arn:{name}:{attribute}",
        conditions={"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    )
    assert resolve({"Fn::Sub": "${Table}-${AWS::Region}-${Queue.Arn}"}) == (
        "palabre-table-eu-west-1-arn:Queue:Arn"
    )
    assert resolve({"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}) == "uuid-1"
    assert resolve({"Fn::If": ["IsProd", "yes", "no"]}) == "yes"
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}) == "a-prod"
    assert resolve({"Keep": 1, "Drop": {"Ref": "AWS::NoValue"}}) == {"Keep": 1}
    assert resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_progress_bar_counts_up_to_the_total(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(1_000_000, "roster.csv")
    progress.shown = True  # as on a terminal
    for _ in range(4):
        progress(250_000)
    shown = capsys.readouterr().err
    assert "[##############################] 100% 1.0/1.0 MB" in shown
    assert shown.endswith("\n")


def test_a_resource_the_local_stack_cannot_emulate_stops_it() -> None:
    translated = translate()
    resources = {
        **translated.resources,
        "NightlyRule": {"Type": "AWS::Events::Rule", "Properties": {}},
    }
    with_rule = dataclasses.replace(translated, resources=resources)
    with pytest.raises(Unsupported, match=r"NightlyRule: .* AWS::Events::Rule"):
        Provisioner(with_rule, None, region="eu-west-1", stack_name="t").run()


def test_a_receipt_rule_takes_an_address_its_domain_or_subdomains_as_ses_does() -> None:
    rule = ReceiptRule("set", "replies", ("inbound.example",), True, True, ())
    assert rule.matches("reply+abc@inbound.example")
    assert rule.matches("Reply+ABC@Inbound.Example")
    assert not rule.matches("reply+abc@sub.inbound.example")
    assert not rule.matches("reply+abc@example.com")
    assert ReceiptRule("set", "any", (), True, True, ()).matches("x@y.example")
    assert ReceiptRule("set", "sub", (".example",), True, True, ()).matches("x@a.example")


def test_a_template_parameter_without_default_or_value_stops_the_translation() -> None:
    """Given template.yaml, whose OrganisationName has no default (a deployer must name
    their community)
    When it is translated without a value for it, as CloudFormation would refuse
    Then the local stack says which parameter is missing; the local value passes."""
    with pytest.raises(ValueError, match="needs a value for OrganisationName"):
        template.translate(TEMPLATE, parameters={}, region="eu-west-1")

    assert translate().parameters["OrganisationName"] == "Palabre démo"
    assert "Default" not in load_source()["Parameters"]["OrganisationName"]
