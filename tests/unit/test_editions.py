"""The sender reads each week's digest editions once per container, not once per batch."""

import io
from datetime import date
from typing import Any

import pytest

from palabre import wiring
from palabre.digest.editions import DigestTheme, Edition, Editions, Rate, Report, edition_key
from tests.unit.test_digest_helpers import answer
from tests.unit.test_same_email_again import report as a_report


class NoSuchKey(Exception):
    pass


class CountingS3:
    """get_object over a dict, counting reads, with the client's NoSuchKey."""

    class exceptions:
        NoSuchKey = NoSuchKey

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.reads: list[str] = []

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        self.reads.append(Key)
        if Key not in self.objects:
            raise NoSuchKey(Key)
        return {"Body": io.BytesIO(self.objects[Key])}


def edition(week: str, circle: str) -> Edition:
    return Edition(
        week=week,
        start=date(2026, 11, 30),
        end=date(2026, 12, 6),
        scope="circle" if circle else "organisation",
        circle=circle,
        themes=[],
        top=[],
        participation=Rate(name=circle),
        teams=[],
    )


def stored(*editions: Edition) -> dict[str, bytes]:
    return {edition_key(e.week, e.circle): e.model_dump_json().encode() for e in editions}


def test_an_edition_is_read_once_however_many_readers() -> None:
    s3 = CountingS3(stored(edition("2026-W49", "Bâtisseurs"), edition("2026-W49", "")))
    editions = Editions(s3, "bucket")

    for _ in range(25):
        assert editions.edition("2026-W49", "Bâtisseurs").circle == "Bâtisseurs"
        assert editions.edition("2026-W49", "").scope == "organisation"

    assert len(s3.reads) == 2


def test_a_circle_without_an_edition_reads_the_organisations_once() -> None:
    s3 = CountingS3(stored(edition("2026-W49", "")))
    editions = Editions(s3, "bucket")

    for _ in range(3):
        assert editions.edition("2026-W49", "Nouveau cercle").scope == "organisation"

    assert len(s3.reads) == 2  # the missing circle's key, then the organisation's


def test_a_new_week_forgets_the_previous_one() -> None:
    s3 = CountingS3(stored(edition("2026-W49", ""), edition("2026-W50", "")))
    editions = Editions(s3, "bucket")

    editions.edition("2026-W49", "")
    editions.edition("2026-W50", "")
    editions.edition("2026-W49", "")

    assert len(s3.reads) == 3


def test_the_sender_keeps_one_editions_cache_per_container(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert wiring.editions("bucket") is wiring.editions("bucket")
    assert wiring.editions("other") is not wiring.editions("bucket")


def test_an_edition_is_worth_reading_with_a_theme_or_a_useful_practice() -> None:
    empty = edition("2026-W49", "Nord").model_copy(update={"themes": [], "top": []})
    assert not empty.worth_reading
    themed = empty.model_copy(update={"themes": [DigestTheme(id="t1", title="T", answers=[])]})
    assert themed.worth_reading  # sent to the circle this week, still open: worth a nudge
    top = answer("t0", "Léa", useful=2)
    assert empty.model_copy(update={"top": [top]}).worth_reading


@pytest.mark.parametrize(
    ("open_themes", "dead_letters", "worth"),
    [(0, {}, False), (0, {"send": 0}, False), (0, {"send": 2}, True), (1, {}, True)],
)
def test_a_report_is_worth_reading_with_an_open_theme_or_parked_messages(
    open_themes: int, dead_letters: dict[str, int], worth: bool
) -> None:
    report = a_report().model_copy(
        update={"dead_letters": dead_letters, "open_themes": open_themes}
    )
    assert report.worth_reading is worth
    # A report stored before open themes were counted is sent as it was
    older = Report.model_validate(report.model_dump(exclude={"open_themes"}))
    assert older.open_themes is None
    assert older.worth_reading
