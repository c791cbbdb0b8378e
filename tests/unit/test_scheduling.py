"""Who is due when: local send times, deadlines and reminders across DST changes.

Every expected instant below is written out by hand from the tz rules, not computed:
- Europe/Paris: CEST (UTC+2) until Sun 2026-10-25 03:00 -> 02:00 CET (UTC+1);
  CET until Sun 2027-03-28 02:00 -> 03:00 CEST.
- America/Montreal: EDT (UTC-4) until Sun 2026-11-01 02:00 -> 01:00 EST (UTC-5);
  EST until Sun 2027-03-14 02:00 -> 03:00 EDT.
- Asia/Tokyo: JST (UTC+9), no DST.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palabre.core.local_time import (
    deadline,
    earliest_send,
    link_expiry,
    local_instant,
    reminder_instant,
    send_instant,
    working_days,
)
from palabre.core.models import Audience, Theme

PARIS = ZoneInfo("Europe/Paris")
MONTREAL = ZoneInfo("America/Montreal")
TOKYO = ZoneInfo("Asia/Tokyo")
ZONES = {"paris": PARIS, "montreal": MONTREAL, "tokyo": TOKYO}
EVERY_DAY = frozenset(range(7))


def utc(text: str) -> datetime:
    """'2026-10-20 07:00' read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def theme(
    send_on: date,
    *,
    send_at: time = time(9, 0),
    deadline_days: int = 7,
    reminder_days: int = 2,
) -> Theme:
    return Theme(
        id="one-to-ones",
        send_on=send_on,
        send_at=send_at,
        title="How do you run your weekly one-to-ones?",
        prompt="Tell us.",
        deadline_days=deadline_days,
        reminder_days=reminder_days,
        audience=Audience(everyone=True),
    )


# ------------------------------------------------------------------- ordinary 09:00 sends
NINE_OCLOCK = [
    # Paris, autumn: 09:00 is 07:00Z until the change, 08:00Z from the change day on
    ("paris", "2026-10-23", "2026-10-23 07:00"),
    ("paris", "2026-10-24", "2026-10-24 07:00"),
    ("paris", "2026-10-25", "2026-10-25 08:00"),
    ("paris", "2026-10-27", "2026-10-27 08:00"),
    # Paris, spring
    ("paris", "2027-03-23", "2027-03-23 08:00"),
    ("paris", "2027-03-27", "2027-03-27 08:00"),
    ("paris", "2027-03-28", "2027-03-28 07:00"),
    ("paris", "2027-03-30", "2027-03-30 07:00"),
    # Montreal, autumn: still EDT the week Paris has already changed
    ("montreal", "2026-10-27", "2026-10-27 13:00"),
    ("montreal", "2026-10-31", "2026-10-31 13:00"),
    ("montreal", "2026-11-01", "2026-11-01 14:00"),
    ("montreal", "2026-11-03", "2026-11-03 14:00"),
    # Montreal, spring: EDT two weeks before Paris changes
    ("montreal", "2027-03-09", "2027-03-09 14:00"),
    ("montreal", "2027-03-13", "2027-03-13 14:00"),
    ("montreal", "2027-03-14", "2027-03-14 13:00"),
    ("montreal", "2027-03-16", "2027-03-16 13:00"),
    ("montreal", "2027-03-23", "2027-03-23 13:00"),
    # Tokyo never shifts: always midnight UTC
    ("tokyo", "2026-10-20", "2026-10-20 00:00"),
    ("tokyo", "2026-10-27", "2026-10-27 00:00"),
    ("tokyo", "2026-11-03", "2026-11-03 00:00"),
    ("tokyo", "2027-03-16", "2027-03-16 00:00"),
    ("tokyo", "2027-03-30", "2027-03-30 00:00"),
]


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    NINE_OCLOCK,
    ids=[f"{zone}-{day}" for zone, day, _ in NINE_OCLOCK],
)
def test_a_theme_is_sent_at_nine_local_time_on_either_side_of_a_change(
    zone: str, day: str, expected: str
) -> None:
    sent = send_instant(theme(date.fromisoformat(day)), ZONES[zone])

    assert sent == utc(expected)
    assert sent.utcoffset() == timedelta(0)


def test_the_paris_montreal_gap_is_five_hours_for_the_week_between_the_autumn_changes() -> None:
    # Given a theme sent on Tuesday 27 October 2026: Paris has changed, Montreal not yet
    tuesday = theme(date(2026, 10, 27))

    # Then the usual six hours between the two offices are five that week only
    assert send_instant(tuesday, MONTREAL) - send_instant(tuesday, PARIS) == timedelta(hours=5)
    week_after = theme(date(2026, 11, 3))
    assert send_instant(week_after, MONTREAL) - send_instant(week_after, PARIS) == timedelta(
        hours=6
    )


# ------------------------------------------------------ times that do not exist or repeat
WALL_CLOCK = [
    # spring forward: the skipped time moves to the moment the clocks jump (03:00 local)
    ("paris-skipped-0230", "paris", "2027-03-28 02:30", "2027-03-28 01:00"),
    ("paris-skipped-0200", "paris", "2027-03-28 02:00", "2027-03-28 01:00"),
    ("paris-skipped-0259", "paris", "2027-03-28 02:59", "2027-03-28 01:00"),
    ("paris-just-before-gap", "paris", "2027-03-28 01:59", "2027-03-28 00:59"),
    ("paris-right-after-gap", "paris", "2027-03-28 03:00", "2027-03-28 01:00"),
    ("montreal-skipped-0230", "montreal", "2027-03-14 02:30", "2027-03-14 07:00"),
    ("montreal-skipped-0200", "montreal", "2027-03-14 02:00", "2027-03-14 07:00"),
    ("montreal-right-after-gap", "montreal", "2027-03-14 03:00", "2027-03-14 07:00"),
    # fall back: the repeated time is taken the first time (summer offset)
    ("paris-repeated-0230", "paris", "2026-10-25 02:30", "2026-10-25 00:30"),
    ("paris-repeated-0200", "paris", "2026-10-25 02:00", "2026-10-25 00:00"),
    ("paris-after-repeat-0300", "paris", "2026-10-25 03:00", "2026-10-25 02:00"),
    ("montreal-repeated-0130", "montreal", "2026-11-01 01:30", "2026-11-01 05:30"),
    ("montreal-repeated-0100", "montreal", "2026-11-01 01:00", "2026-11-01 05:00"),
    ("montreal-after-repeat-0200", "montreal", "2026-11-01 02:00", "2026-11-01 07:00"),
    # Tokyo: the same wall-clock times on the same days are ordinary
    ("tokyo-paris-spring-0230", "tokyo", "2027-03-28 02:30", "2027-03-27 17:30"),
    ("tokyo-paris-autumn-0230", "tokyo", "2026-10-25 02:30", "2026-10-24 17:30"),
    ("tokyo-montreal-spring-0230", "tokyo", "2027-03-14 02:30", "2027-03-13 17:30"),
    ("tokyo-montreal-autumn-0130", "tokyo", "2026-11-01 01:30", "2026-10-31 16:30"),
]


@pytest.mark.parametrize(
    ("zone", "local", "expected"),
    [case[1:] for case in WALL_CLOCK],
    ids=[case[0] for case in WALL_CLOCK],
)
def test_skipped_times_move_forward_and_repeated_times_are_taken_the_first_time(
    zone: str, local: str, expected: str
) -> None:
    wall = datetime.fromisoformat(local)

    assert local_instant(wall.date(), wall.time(), ZONES[zone]) == utc(expected)


def test_a_theme_whose_send_time_is_skipped_goes_out_when_the_clocks_jump() -> None:
    # Given a theme at 02:30 on the night Paris springs forward
    skipped = theme(date(2027, 3, 28), send_at=time(2, 30))

    # Then it goes out at 03:00 CEST, not an hour late at 03:30 nor before the jump
    assert send_instant(skipped, PARIS) == utc("2027-03-28 01:00")
    assert send_instant(skipped, PARIS).astimezone(PARIS).time() == time(3, 0)


# The nights the sampled zones change their clocks.
CHANGE_NIGHTS = [
    ("Europe/Paris", date(2026, 10, 25)),
    ("Europe/Paris", date(2027, 3, 28)),
    ("America/Montreal", date(2026, 11, 1)),
    ("America/Montreal", date(2027, 3, 14)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),  # half an hour: 02:00 -> 02:30
    ("Australia/Lord_Howe", date(2027, 4, 4)),
    ("Pacific/Chatham", date(2026, 9, 27)),  # UTC+12:45 -> +13:45 at 02:45
    ("Pacific/Chatham", date(2027, 4, 4)),
    ("America/Santiago", date(2026, 9, 6)),  # midnight does not exist
    ("America/Santiago", date(2027, 4, 3)),  # 23:00-24:00 happens twice
]
SMALL_HOURS = st.builds(
    time, st.sampled_from([0, 1, 2, 3, 4, 22, 23]), st.integers(0, 59), st.integers(0, 59)
)
ANY_DAY = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))
ANY_TIME = st.times().map(lambda t: t.replace(microsecond=0, fold=0))
ASKED = st.one_of(
    st.tuples(st.sampled_from(CHANGE_NIGHTS), SMALL_HOURS).map(lambda c: (*c[0], c[1])),
    st.tuples(st.sampled_from(sorted({z for z, _ in CHANGE_NIGHTS})), ANY_DAY, ANY_TIME),
)


@settings(deadline=None, max_examples=200)
@given(asked=ASKED)
def test_the_instant_is_always_the_first_whose_wall_clock_reaches_the_asked_time(
    asked: tuple[str, date, time],
) -> None:
    zone, day, at = asked
    zone_info = ZoneInfo(zone)
    wanted = datetime.combine(day, at)

    moment = local_instant(day, at, zone_info)

    def wall(instant: datetime) -> datetime:
        return instant.astimezone(zone_info).replace(tzinfo=None)

    assert moment.tzinfo is not None
    assert wall(moment) >= wanted
    # No earlier instant reads the asked time: not a second before (a skipped time is not
    # overshot), nor within the two hours before (a repeated time is taken the first time).
    earlier = [timedelta(seconds=1)] + [timedelta(minutes=m) for m in range(15, 121, 15)]
    assert [wall(moment - d) for d in earlier if wall(moment - d) >= wanted] == []
    # A skipped time moves forward by no more than the jump (at most an hour here)
    assert wall(moment) - wanted <= timedelta(hours=1)


# -------------------------------------------------------------------------------- deadlines
DEADLINES = [
    # 7-day themes sent the Tuesday before a change: the deadline day is in the other offset
    ("paris-autumn", "paris", "2026-10-20", 7, "2026-10-27 23:00"),  # 28 Oct 00:00 CET
    ("paris-spring", "paris", "2027-03-23", 7, "2027-03-30 22:00"),  # 31 Mar 00:00 CEST
    ("montreal-autumn", "montreal", "2026-10-27", 7, "2026-11-04 05:00"),  # 4 Nov 00:00 EST
    ("montreal-spring", "montreal", "2027-03-09", 7, "2027-03-17 04:00"),  # 17 Mar 00:00 EDT
    ("tokyo-autumn", "tokyo", "2026-10-20", 7, "2026-10-27 15:00"),
    ("tokyo-spring", "tokyo", "2027-03-23", 7, "2027-03-30 15:00"),
    # the deadline day is the change day itself (a 25-hour and a 23-hour day)
    ("paris-on-autumn-change", "paris", "2026-10-18", 7, "2026-10-25 23:00"),
    ("paris-on-spring-change", "paris", "2027-03-21", 7, "2027-03-28 22:00"),
    ("montreal-on-autumn-change", "montreal", "2026-10-25", 7, "2026-11-02 05:00"),
    # same-day and next-day deadlines
    ("paris-same-day", "paris", "2026-10-25", 0, "2026-10-25 23:00"),
    ("montreal-next-day", "montreal", "2027-03-13", 1, "2027-03-15 04:00"),
]


@pytest.mark.parametrize(
    ("zone", "send_on", "days", "expected"),
    [case[1:] for case in DEADLINES],
    ids=[case[0] for case in DEADLINES],
)
def test_the_deadline_is_the_end_of_the_local_deadline_day(
    zone: str, send_on: str, days: int, expected: str
) -> None:
    due = deadline(theme(date.fromisoformat(send_on), deadline_days=days), ZONES[zone])

    assert due == utc(expected)
    assert due.astimezone(ZONES[zone]).time() == time(0, 0)


def test_a_deadline_across_the_autumn_change_is_not_a_multiple_of_24_hours() -> None:
    # Given a 7-day theme sent in Paris on the Tuesday before the clocks go back
    before_change = theme(date(2026, 10, 20), deadline_days=7)

    # When its answers close
    open_for = deadline(before_change, PARIS) - send_instant(before_change, PARIS)

    # Then they close at local midnight, one hour "later" in UTC than 24-hour days give
    assert open_for == timedelta(days=7, hours=16)


def test_the_deadline_follows_each_members_own_timezone() -> None:
    weekly = theme(date(2027, 3, 9))  # deadline day Tuesday 16 March

    assert deadline(weekly, TOKYO) == utc("2027-03-16 15:00")
    assert deadline(weekly, PARIS) == utc("2027-03-16 23:00")
    assert deadline(weekly, MONTREAL) == utc("2027-03-17 04:00")


# ------------------------------------------------------------------------------- reminders
REMINDERS = [
    # two days before the deadline day, at the send time, in the offset of that day
    ("paris-on-autumn-change", "paris", "2026-10-20", 7, 2, "2026-10-25 08:00"),
    ("paris-spring", "paris", "2027-03-23", 7, 2, "2027-03-28 07:00"),
    ("montreal-on-autumn-change", "montreal", "2026-10-27", 7, 2, "2026-11-01 14:00"),
    ("montreal-spring", "montreal", "2027-03-09", 7, 2, "2027-03-14 13:00"),
    ("tokyo", "tokyo", "2026-10-20", 7, 2, "2026-10-25 00:00"),
    ("paris-one-day-before", "paris", "2026-10-20", 7, 1, "2026-10-26 08:00"),
    ("paris-day-after-sending", "paris", "2026-10-20", 3, 2, "2026-10-21 07:00"),
]


@pytest.mark.parametrize(
    ("zone", "send_on", "deadline_days", "reminder_days", "expected"),
    [case[1:] for case in REMINDERS],
    ids=[case[0] for case in REMINDERS],
)
def test_the_reminder_comes_reminder_days_before_the_deadline_day_at_the_send_time(
    zone: str, send_on: str, deadline_days: int, reminder_days: int, expected: str
) -> None:
    weekly = theme(
        date.fromisoformat(send_on), deadline_days=deadline_days, reminder_days=reminder_days
    )

    # (every day a working day: these Sundays are where the clocks change)
    assert reminder_instant(weekly, ZONES[zone], work_week=EVERY_DAY) == utc(expected)


def test_a_reminder_at_a_skipped_time_goes_out_when_the_clocks_jump() -> None:
    # Given a theme sent at 02:30 whose reminder day is the night Paris springs forward
    night = theme(date(2027, 3, 23), send_at=time(2, 30), deadline_days=7, reminder_days=2)

    assert reminder_instant(night, PARIS, work_week=EVERY_DAY) == utc("2027-03-28 01:00")


def test_a_tuesday_themes_reminder_comes_on_the_friday_before_not_on_sunday() -> None:
    """Given a theme sent on Tuesday 1 December with the default deadline and reminder
    (the reminder day, two days before the next Tuesday, is Sunday 6)
    When its reminder is planned for a member in Paris, in Tokyo and in Montreal
    Then it comes on Friday 4 at the send time, each in their own timezone."""
    tuesday = theme(date(2026, 12, 1))

    assert reminder_instant(tuesday, PARIS) == utc("2026-12-04 08:00")
    assert reminder_instant(tuesday, ZONES["tokyo"]) == utc("2026-12-04 00:00")
    assert reminder_instant(tuesday, MONTREAL) == utc("2026-12-04 14:00")
    assert reminder_instant(tuesday, PARIS, work_week=EVERY_DAY) == utc("2026-12-06 08:00")


def test_an_organisation_that_works_on_saturday_is_reminded_on_saturday() -> None:
    """Given an organisation whose working days are Monday to Saturday
    When a Tuesday theme's reminder (due on Sunday) is planned
    Then it comes on the Saturday, and a reminder due on a working day does not move."""
    six_days = working_days("Mon,Tue,Wed,Thu,Fri,Sat")
    tuesday = theme(date(2026, 12, 1))
    thursday_reminder = theme(date(2026, 12, 1), reminder_days=5)

    assert reminder_instant(tuesday, PARIS, work_week=six_days) == utc("2026-12-05 08:00")
    assert reminder_instant(thursday_reminder, PARIS) == utc("2026-12-03 08:00")


def test_a_reminder_moved_back_to_the_sending_day_or_before_is_not_sent() -> None:
    """Given a theme sent on Friday whose reminder day would be Sunday
    When reminders fall on working days only
    Then moving it back would reach the Friday of the prompt itself: there is no reminder;
    but a theme sent on Thursday keeps its reminder on the Friday."""
    friday = theme(date(2026, 12, 4), deadline_days=3, reminder_days=1)
    thursday = theme(date(2026, 12, 3), deadline_days=4, reminder_days=1)

    assert reminder_instant(friday, PARIS) is None
    assert reminder_instant(thursday, PARIS) == utc("2026-12-04 08:00")


@pytest.mark.parametrize(
    ("names", "problem"),
    [("Mon,Funday", "unknown day 'Funday'"), ("", "unknown day ''"), ("Mon,Mon", "twice")],
)
def test_working_days_that_name_no_day_or_one_twice_are_refused(names: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        working_days(names)


WORK_WEEKS = st.frozensets(st.integers(0, 6), min_size=1)


@settings(deadline=None, max_examples=300)
@given(
    send_on=st.dates(min_value=date(2026, 9, 1), max_value=date(2027, 5, 1)),
    send_at=st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    deadline_days=st.integers(1, 21),
    reminder_days=st.integers(1, 7),
    zone=st.sampled_from(sorted(ZONES)),
    work_week=WORK_WEEKS,
)
def test_a_reminder_falls_on_a_working_day_before_its_day_and_after_sending(
    send_on: date,
    send_at: time,
    deadline_days: int,
    reminder_days: int,
    zone: str,
    work_week: frozenset[int],
) -> None:
    any_theme = theme(
        send_on, send_at=send_at, deadline_days=deadline_days, reminder_days=reminder_days
    )
    here = ZONES[zone]

    moved = reminder_instant(any_theme, here, work_week=work_week)
    unmoved = reminder_instant(any_theme, here, work_week=EVERY_DAY)

    if moved is not None:
        assert moved.astimezone(here).weekday() in work_week
        assert unmoved is not None
        assert moved <= unmoved
        assert send_instant(any_theme, here) < moved
        # the last working day before it: no working day between the two
        between = range(1, (unmoved.astimezone(here).date() - moved.astimezone(here).date()).days)
        assert all(
            (moved.astimezone(here).date() + timedelta(days=n)).weekday() not in work_week
            for n in between
        )
    elif unmoved is not None:
        # moving it back reached the prompt's own instant, or before
        day = unmoved.astimezone(here).date()
        while day.weekday() not in work_week:
            day -= timedelta(days=1)
        assert day <= send_on


NO_REMINDER = [
    ("reminders-off", 7, 0),
    ("negative", 7, -1),
    ("reminder-at-the-send-time", 2, 2),
    ("reminder-before-sending", 1, 2),
    ("same-day-deadline", 0, 2),
]


@pytest.mark.parametrize(
    ("deadline_days", "reminder_days"),
    [case[1:] for case in NO_REMINDER],
    ids=[case[0] for case in NO_REMINDER],
)
@pytest.mark.parametrize("zone", ZONES)
def test_there_is_no_reminder_when_off_or_when_it_would_not_come_after_sending(
    zone: str, deadline_days: int, reminder_days: int
) -> None:
    short = theme(date(2026, 10, 20), deadline_days=deadline_days, reminder_days=reminder_days)

    assert reminder_instant(short, ZONES[zone], work_week=EVERY_DAY) is None
    assert reminder_instant(short, ZONES[zone]) is None


@settings(deadline=None, max_examples=150)
@given(
    send_on=st.dates(min_value=date(2026, 9, 1), max_value=date(2027, 5, 1)),
    send_at=st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    deadline_days=st.integers(0, 21),
    reminder_days=st.integers(0, 7),
    zone=st.sampled_from(sorted(ZONES)),
)
def test_a_reminder_always_falls_between_sending_and_the_deadline(
    send_on: date, send_at: time, deadline_days: int, reminder_days: int, zone: str
) -> None:
    any_theme = theme(
        send_on, send_at=send_at, deadline_days=deadline_days, reminder_days=reminder_days
    )

    reminder = reminder_instant(any_theme, ZONES[zone], work_week=EVERY_DAY)

    if reminder is not None:
        assert send_instant(any_theme, ZONES[zone]) < reminder < deadline(any_theme, ZONES[zone])
        local_day = reminder.astimezone(ZONES[zone]).date()
        assert local_day == send_on + timedelta(days=deadline_days - reminder_days)
    else:
        assert reminder_days == 0 or deadline_days <= reminder_days


# --------------------------------------------------------------------- first send, links
def test_the_earliest_send_is_the_send_time_on_the_kiribati_line() -> None:
    # 09:00 at UTC+14 on Tuesday 27 October is 19:00Z the day before
    assert earliest_send(theme(date(2026, 10, 27))) == utc("2026-10-26 19:00")


@pytest.mark.parametrize(
    "send_on", [date(2026, 10, 25), date(2026, 11, 1), date(2027, 3, 14), date(2027, 3, 28)]
)
def test_no_timezone_on_earth_is_due_before_the_earliest_send(send_on: date) -> None:
    # The dispatch index opens a theme at this instant: a zone due earlier would be missed.
    any_theme = theme(send_on)
    earliest = earliest_send(any_theme)

    late = {
        name: send_instant(any_theme, ZoneInfo(name))
        for name in available_timezones()
        if send_instant(any_theme, ZoneInfo(name)) < earliest
    }

    assert late == {}


def test_links_stay_open_thirty_days_after_the_deadline() -> None:
    weekly = theme(date(2026, 10, 20))  # deadline 2026-10-27 23:00Z in Paris

    assert link_expiry(weekly, PARIS) == utc("2026-11-26 23:00")
    assert link_expiry(weekly, MONTREAL) == utc("2026-11-27 04:00")
