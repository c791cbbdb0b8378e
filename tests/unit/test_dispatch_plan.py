"""Who is due a theme when: the groups a theme's audience splits into, and their due instants.

Expected instants are written out by hand. Tuesday 16 March 2027: Tokyo UTC+9, Paris
still UTC+1 (it changes on the 28th), Montreal already UTC-4 (it changed on the 14th).
"""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palabre.core.directory import Directory
from palabre.core.jobs import JobKind
from palabre.core.models import Audience, Member, Role, Theme, ThemeKind
from palabre.dispatch.plan import AudienceGroup as Group
from palabre.dispatch.plan import plan
from palabre.store.dispatch import iso

PROMPT, REMINDER = JobKind.PROMPT, JobKind.REMINDER


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def member(
    name: str,
    circle: str,
    team: str,
    zone: str,
    role: Role = Role.MEMBER,
    *,
    active: bool = True,
) -> Member:
    return Member(
        email=f"{name}@exemple.org",
        first_name=name.capitalize(),
        circle=circle,
        team=team,
        locale="fr",
        timezone=zone,
        role=role,
        active=active,
    )


ROSTER = [
    member("helene", "Cercle Été", "Équipe Lyon", "Europe/Paris"),
    member("marc", "Cercle Été", "Équipe Paris", "Europe/Paris"),
    member("zoe", "Cercle Été", "Équipe Paris", "America/Montreal", Role.ADMIN),
    member("kenji", "Cercle Hiver", "Équipe Tokyo", "Asia/Tokyo"),
    member("ines", "Cercle Hiver", "Équipe Lyon", "Europe/Paris"),
    # neither an observer nor an inactive member makes their timezone due
    member("olga", "", "", "Asia/Kolkata", Role.OBSERVER),
    member("leo", "Cercle Hiver", "Équipe Tokyo", "Australia/Sydney", active=False),
]
DIRECTORY = Directory.of(ROSTER)


def theme(
    audience: Audience,
    *,
    send_on: date = date(2027, 3, 16),
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
        audience=audience,
    )


def summary(groups: list[Group]) -> list[tuple[str, str, str, datetime]]:
    return [(g.job.value, g.part, g.zone, g.due) for g in groups]


# ---------------------------------------------------------------------------- everyone
def test_everyone_is_one_group_per_role_and_timezone_each_due_at_nine_local() -> None:
    # Given a theme for everyone with reminders off
    for_all = theme(Audience(everyone=True), reminder_days=0)

    # When it is planned
    groups = plan(for_all, DIRECTORY)

    # Then each role is due at 09:00 in each timezone where someone of that role lives
    # (the only admin lives in Montreal: no empty admin group anywhere else)
    assert summary(groups) == [
        ("prompt", "role:member", "Asia/Tokyo", utc("2027-03-16 00:00")),
        ("prompt", "role:member", "Europe/Paris", utc("2027-03-16 08:00")),
        ("prompt", "role:admin", "America/Montreal", utc("2027-03-16 13:00")),
    ]


def test_everyone_with_a_reminder_adds_one_reminder_group_per_role_and_timezone() -> None:
    groups = plan(theme(Audience(everyone=True), reminder_days=2), DIRECTORY)

    reminders = [g for g in groups if g.job is REMINDER]
    # two days before the deadline day (Tuesday 23 March) is a Sunday: the Friday before,
    # at 09:00 local
    assert summary(reminders) == [
        ("reminder", "role:member", "Asia/Tokyo", utc("2027-03-19 00:00")),
        ("reminder", "role:member", "Europe/Paris", utc("2027-03-19 08:00")),
        ("reminder", "role:admin", "America/Montreal", utc("2027-03-19 13:00")),
    ]
    assert len(groups) == 6


def test_reminders_fall_on_the_organisations_own_working_days() -> None:
    """Given an organisation that works every day but Friday
    When a theme whose reminder would be on Sunday 21 March is planned
    Then its reminders stay on the Sunday; with Sunday off too, they come on Saturday."""
    no_friday = frozenset({0, 1, 2, 3, 5, 6})
    weekend_worker = plan(theme(Audience(everyone=True)), DIRECTORY, work_week=no_friday)
    saturday = plan(theme(Audience(everyone=True)), DIRECTORY, work_week=no_friday - {6})

    reminders = [g.due for g in weekend_worker if g.job is REMINDER]
    assert reminders == [utc("2027-03-21 00:00"), utc("2027-03-21 08:00"), utc("2027-03-21 13:00")]
    assert [g.due for g in saturday if g.job is REMINDER][1] == utc("2027-03-20 08:00")


def test_the_themes_send_at_replaces_nine_oclock() -> None:
    early = theme(Audience(everyone=True), send_at=time(7, 30), reminder_days=0)

    dues = {(g.part, g.zone): g.due for g in plan(early, DIRECTORY)}

    assert dues[("role:member", "Asia/Tokyo")] == utc("2027-03-15 22:30")
    assert dues[("role:member", "Europe/Paris")] == utc("2027-03-16 06:30")
    assert dues[("role:admin", "America/Montreal")] == utc("2027-03-16 11:30")


def test_a_send_time_skipped_by_the_clocks_is_due_when_they_jump() -> None:
    # Given a theme at 02:30 on the night Paris springs forward
    night = theme(Audience(circles=("Cercle Été",)), send_on=date(2027, 3, 28), send_at=time(2, 30))

    dues = {(g.job, g.zone): g.due for g in plan(night, DIRECTORY)}

    assert dues[(PROMPT, "Europe/Paris")] == utc("2027-03-28 01:00")  # 03:00 CEST
    assert dues[(PROMPT, "America/Montreal")] == utc("2027-03-28 06:30")


# ---------------------------------------------------------------------- circles and teams
def test_a_circle_audience_is_due_only_in_the_timezones_of_that_circle() -> None:
    groups = plan(theme(Audience(circles=("Cercle Été",)), reminder_days=0), DIRECTORY)

    assert summary(groups) == [
        ("prompt", "circle:cercle ete", "Europe/Paris", utc("2027-03-16 08:00")),
        ("prompt", "circle:cercle ete", "America/Montreal", utc("2027-03-16 13:00")),
    ]


def test_circles_and_teams_are_matched_without_case_accents_or_extra_spaces() -> None:
    audience = Audience(circles=("  CERCLE   hiver ",), teams=("equipe paris",))

    groups = plan(theme(audience, reminder_days=0), DIRECTORY)

    assert [(g.part, g.zone) for g in groups] == [
        ("circle:cercle hiver", "Asia/Tokyo"),
        ("circle:cercle hiver", "Europe/Paris"),
        ("team:equipe paris", "Europe/Paris"),
        ("team:equipe paris", "America/Montreal"),
    ]


def test_a_circle_and_team_audience_has_groups_for_each_part_with_reminders() -> None:
    audience = Audience(circles=("Cercle Hiver",), teams=("Équipe Lyon",))

    groups = plan(theme(audience, reminder_days=2), DIRECTORY)

    assert Counter((g.job, g.part) for g in groups) == {
        (PROMPT, "circle:cercle hiver"): 2,  # Tokyo, Paris (Sydney's member is inactive)
        (REMINDER, "circle:cercle hiver"): 2,
        (PROMPT, "team:equipe lyon"): 1,  # Paris only
        (REMINDER, "team:equipe lyon"): 1,
    }


def test_unknown_circles_and_teams_are_ignored() -> None:
    audience = Audience(circles=("Cercle Été", "Cercle Fantôme"), teams=("Équipe Mars",))

    groups = plan(theme(audience, reminder_days=0), DIRECTORY)

    assert {g.part for g in groups} == {"circle:cercle ete"}


def test_a_circle_named_twice_in_the_audience_is_one_group() -> None:
    # Given an audience that names the same circle twice, spelled differently
    twice = theme(Audience(circles=("Cercle Été", "cercle ete")), reminder_days=0)

    # Then each timezone of the circle is still one group, claimed and run once
    names = [g.name for g in plan(twice, DIRECTORY)]
    assert names == [
        "prompt#circle:cercle ete#Europe/Paris",
        "prompt#circle:cercle ete#America/Montreal",
    ]


def test_an_audience_nobody_belongs_to_has_no_group() -> None:
    assert plan(theme(Audience(circles=("Cercle Fantôme",), teams=("Mars",))), DIRECTORY) == []
    assert plan(theme(Audience(everyone=True)), Directory()) == []


def test_observers_and_inactive_members_bring_no_timezone() -> None:
    zones = {g.zone for g in plan(theme(Audience(everyone=True)), DIRECTORY)}

    assert zones == {"Asia/Tokyo", "Europe/Paris", "America/Montreal"}


# ------------------------------------------------------------------------ order and names
def test_groups_are_sorted_by_due_instant_across_dst_changes() -> None:
    # Given a theme sent the Sunday Montreal springs forward (Paris two weeks later)
    sunday = theme(Audience(everyone=True), send_on=date(2027, 3, 14))

    groups = plan(sunday, DIRECTORY)

    # Then Tokyo comes first, Montreal (already UTC-4) last, the reminders after every prompt
    assert [(g.job, g.zone, g.due) for g in groups] == [
        (PROMPT, "Asia/Tokyo", utc("2027-03-14 00:00")),
        (PROMPT, "Europe/Paris", utc("2027-03-14 08:00")),
        (PROMPT, "America/Montreal", utc("2027-03-14 13:00")),
        (REMINDER, "Asia/Tokyo", utc("2027-03-19 00:00")),
        (REMINDER, "Europe/Paris", utc("2027-03-19 08:00")),
        (REMINDER, "America/Montreal", utc("2027-03-19 13:00")),
    ]


@settings(deadline=None, max_examples=100)
@given(
    send_on=st.dates(min_value=date(2026, 10, 1), max_value=date(2027, 4, 30)),
    send_at=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
    deadline_days=st.integers(0, 14),
    reminder_days=st.integers(0, 5),
    audience=st.one_of(
        st.just(Audience(everyone=True)),
        st.builds(
            Audience,
            # names may repeat, in other spellings: still one group each
            circles=st.lists(
                st.sampled_from(["Cercle Été", "cercle ete", "cercle hiver", "Autre"]), max_size=4
            ).map(tuple),
            teams=st.lists(
                st.sampled_from(["Équipe Lyon", "EQUIPE PARIS", "Équipe Tokyo", "Nulle"]),
                max_size=4,
            ).map(tuple),
        ),
    ),
)
def test_any_plan_is_sorted_and_names_each_job_part_and_zone_once(
    send_on: date,
    send_at: time,
    deadline_days: int,
    reminder_days: int,
    audience: Audience,
) -> None:
    any_theme = theme(
        audience,
        send_on=send_on,
        send_at=send_at,
        deadline_days=deadline_days,
        reminder_days=reminder_days,
    )

    groups = plan(any_theme, DIRECTORY, work_week=frozenset(range(7)))

    dues = [g.due for g in groups]
    assert dues == sorted(dues)
    names = [g.name for g in groups]
    assert len(set(names)) == len(names)
    for group in groups:
        assert group.name == f"{group.job.value}#{group.part}#{group.zone}"
        assert group.due.utcoffset() == timedelta(0)
        local = group.due.astimezone(ZoneInfo(group.zone))
        if group.job is PROMPT:
            assert local.date() == send_on
        else:
            assert local.date() == send_on + timedelta(days=deadline_days - reminder_days)
    prompts = {(g.part, g.zone) for g in groups if g.job is PROMPT}
    reminders = {(g.part, g.zone) for g in groups if g.job is REMINDER}
    assert reminders <= prompts
    if reminder_days == 0 or deadline_days <= reminder_days:
        assert reminders == set()
    else:
        assert reminders == prompts


def test_a_group_name_is_unique_per_job_part_and_zone() -> None:
    due = utc("2027-03-16 08:00")
    names = {
        Group(job, part, zone, due).name
        for job in JobKind
        for part in ("role:member", "role:admin", "circle:cercle ete", "team:cercle ete")
        for zone in ("Europe/Paris", "Asia/Tokyo")
    }

    assert len(names) == len(JobKind) * 4 * 2
    assert Group(PROMPT, "team:equipe lyon", "Europe/Paris", due).name == (
        "prompt#team:equipe lyon#Europe/Paris"
    )


# ------------------------------------------------------------------------------------ iso
@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (utc("2027-03-16 08:00"), "2027-03-16T08:00:00Z"),
        (datetime(2027, 3, 16, 9, 0, tzinfo=ZoneInfo("Europe/Paris")), "2027-03-16T08:00:00Z"),
        (datetime(2027, 3, 16, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")), "2027-03-16T00:00:00Z"),
        (
            datetime(2026, 11, 1, 1, 30, tzinfo=timezone(timedelta(hours=-4))),
            "2026-11-01T05:30:00Z",
        ),
        (datetime(2027, 3, 16, 8, 0, 59, 999_999, tzinfo=UTC), "2027-03-16T08:00:59Z"),
    ],
    ids=["utc", "paris", "tokyo", "fixed-offset", "drops-microseconds"],
)
def test_iso_is_utc_text_to_the_second(moment: datetime, text: str) -> None:
    assert iso(moment) == text


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


@settings(deadline=None, max_examples=150)
@given(
    first=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, ZoneInfo("Europe/Paris"), ZoneInfo("Pacific/Kiritimati")]),
    ),
    second=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, ZoneInfo("America/Montreal"), ZoneInfo("Asia/Tokyo")]),
    ),
)
def test_iso_text_sorts_as_the_instants_do(first: datetime, second: datetime) -> None:
    # The dispatch index compares these as strings: text order must be time order.
    assert (iso(first) < iso(second)) == (_second(first) < _second(second))
    assert (iso(first) == iso(second)) == (_second(first) == _second(second))


# ---------------------------------------------------------------------------- live sessions
def live_theme(audience: Audience) -> Theme:
    """Sent Tuesday 16 March 2027; the session is Thursday 18 March, 14:00-15:30 in Paris
    (13:00 UTC)."""
    return theme(audience).model_copy(
        update={
            "kind": ThemeKind.LIVE,
            "starts_at": datetime(2027, 3, 18, 14, 0, tzinfo=ZoneInfo("Europe/Paris")),
            "duration_minutes": 90,
            "location": "https://meet.example.com/x",
        }
    )


def test_a_live_session_has_its_own_reminders_and_no_answer_reminder() -> None:
    groups = plan(live_theme(Audience(everyone=True)), DIRECTORY)

    assert not [g for g in groups if g.job is REMINDER]
    session = [g for g in groups if g.job is not PROMPT]
    # The day before at 09:00 in each timezone of the audience (Tokyo's session day is
    # the 18th too: 22:00 there), closing when the session's day begins there ("tomorrow"
    # would be wrong) or the hour before is due; the hour before everywhere, closing at
    # the start; the attendance list to the admins at its end.
    assert [(g.job.value, g.part, g.zone, g.due, g.closes) for g in session] == [
        ("session-eve", "rsvp", "Asia/Tokyo", utc("2027-03-17 00:00"), utc("2027-03-17 15:00")),
        ("session-eve", "rsvp", "Europe/Paris", utc("2027-03-17 08:00"), utc("2027-03-17 23:00")),
        (
            "session-eve",
            "rsvp",
            "America/Montreal",
            utc("2027-03-17 13:00"),
            utc("2027-03-18 04:00"),
        ),
        ("session-hour", "rsvp", "*", utc("2027-03-18 12:00"), utc("2027-03-18 13:00")),
        (
            "attendance",
            "role:admin",
            "America/Montreal",
            utc("2027-03-18 14:30"),
            utc("2027-04-17 14:30"),
        ),
    ]


def test_a_changed_sessions_own_groups_are_new_ones() -> None:
    """Given a session moved after its invitation (sequence 2), When it is planned, Then
    its reminders are groups of their own (what the old time's groups sent does not
    count); its prompts' groups stay the ones already run, and its attendance lists,
    planned at its end, too."""
    moved = live_theme(Audience(everyone=True)).model_copy(update={"sequence": 2})
    names = {g.job: g.name for g in plan(moved, DIRECTORY)}
    assert names[JobKind.SESSION_HOUR] == "session-hour#rsvp#*#2"
    assert names[JobKind.SESSION_EVE] == "session-eve#rsvp#America/Montreal#2"
    assert names[JobKind.ATTENDANCE] == "attendance#role:admin#America/Montreal"
    assert names[PROMPT].count("#") == 2
    first = {g.job: g.name for g in plan(live_theme(Audience(everyone=True)), DIRECTORY)}
    assert first[JobKind.SESSION_HOUR] == "session-hour#rsvp#*"


def test_no_day_before_reminder_where_it_would_not_come_after_the_prompt() -> None:
    # Given a session the morning after the send day: in Tokyo, the day before is the
    # send day itself, at the same 09:00 (not after the prompt)
    tomorrow = live_theme(Audience(circles=("Cercle Hiver",))).model_copy(
        update={"starts_at": datetime(2027, 3, 17, 2, 0, tzinfo=UTC)}  # 11:00 in Tokyo
    )
    eves = [g.zone for g in plan(tomorrow, DIRECTORY) if g.job is JobKind.SESSION_EVE]
    assert eves == []
