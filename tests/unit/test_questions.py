"""A member's question, without AWS: when it goes out, its id, what the form accepts."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from palabre.core.i18n import Translatable
from palabre.core.local_time import working_days
from palabre.core.models import Audience, Theme
from palabre.imports.calendar import _ID as CALENDAR_ID
from palabre.questions.asking import next_working_day, parse_question, question_id


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        (date(2026, 11, 30), date(2026, 12, 1)),  # Monday -> Tuesday
        (date(2026, 12, 3), date(2026, 12, 4)),  # Thursday -> Friday
        (date(2026, 12, 4), date(2026, 12, 7)),  # Friday -> Monday
        (date(2026, 12, 5), date(2026, 12, 7)),  # Saturday -> Monday
        (date(2026, 12, 6), date(2026, 12, 7)),  # Sunday -> Monday
    ],
)
def test_a_question_goes_out_the_next_working_day(asked: date, sent: date) -> None:
    assert next_working_day(asked) == sent


@pytest.mark.parametrize(
    ("days", "asked", "sent"),
    [
        ("Sun,Mon,Tue,Wed,Thu", date(2026, 12, 3), date(2026, 12, 6)),  # Thu -> Sun
        ("Sun,Mon,Tue,Wed,Thu", date(2026, 12, 4), date(2026, 12, 6)),  # Fri -> Sun
        ("Mon,Tue,Wed,Thu", date(2026, 12, 3), date(2026, 12, 7)),  # Thu -> Mon
        ("Wed", date(2026, 12, 2), date(2026, 12, 9)),  # a week later
    ],
)
def test_a_question_goes_out_the_organisations_next_working_day(
    days: str, asked: date, sent: date
) -> None:
    """Given the organisation's working days, when a member asks, then the question
    goes out on the first of them after the day asked."""
    assert next_working_day(asked, working_days(days)) == sent


def test_no_working_day_is_refused_rather_than_searched_forever() -> None:
    with pytest.raises(ValueError, match="no working day"):
        next_working_day(date(2026, 12, 4), frozenset())


def test_question_ids_sort_as_asked_and_never_look_like_a_calendar_id() -> None:
    now = datetime(2026, 12, 4, 14, tzinfo=UTC)
    ids = [question_id(now + timedelta(seconds=n)) for n in range(3)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    for theme_id in ids:
        assert re.fullmatch(r"q_20261204140\d{3}[a-z0-9]{8}", theme_id)
        assert not CALENDAR_ID.match(theme_id)  # what a calendar file may name
        Theme(id=theme_id, send_on=now.date(), title="T", prompt="P", audience=Audience())
    with pytest.raises(ValueError, match="pattern"):
        Theme(id="q-_x", send_on=now.date(), title="T", prompt="P", audience=Audience())


def test_the_form_is_normalised() -> None:
    form = parse_question({"title": ["  Comment   fais-tu ?\t"], "question": ["a\r\nb\r\n"]})
    assert (form.title, form.question) == ("Comment fais-tu ?", "a\nb")


@pytest.mark.parametrize(
    ("fields", "message", "params"),
    [
        ({"question": ["Q"]}, "Give your question a title.", {}),
        ({"title": ["T"], "question": [" \n "]}, "Write your question before sending it.", {}),
        (
            {"title": ["x" * 121], "question": ["Q"]},
            "The title is %(length)s characters long; the limit is %(limit)s.",
            {"length": 121, "limit": 120},
        ),
        (
            {"title": ["T"], "question": ["y" * 2000 + "\r\n" + "y"]},
            "Your question is %(length)s characters long; the limit is %(limit)s.",
            {"length": 2002, "limit": 2000},
        ),
        (
            {"title": ["T"], "question": ["y" * 9000]},
            "Your question is %(length)s characters long; the limit is %(limit)s.",
            {"length": 9000, "limit": 2000},
        ),
    ],
)
def test_bad_input_says_what_to_fix(
    fields: dict[str, list[str]], message: str, params: dict[str, int]
) -> None:
    with pytest.raises(Translatable) as refused:
        parse_question(fields)
    assert refused.value.message == message
    assert refused.value.params == params


def test_a_crlf_counts_as_one_character_at_the_limit() -> None:
    form = parse_question({"title": ["T"], "question": ["y" * 1000 + "\r\n" + "y" * 999]})
    assert len(form.question) == 2000
