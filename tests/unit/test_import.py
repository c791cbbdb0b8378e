"""Valid rosters and calendars, in every format admins upload, and what importing them does."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from palabre.core.directory import Directory
from palabre.core.local_time import earliest_send
from palabre.core.models import Audience, Member, Role, Theme, ThemeKind
from palabre.imports.importer import ImportBusy, Importer, validate_file
from palabre.imports.report import ImportReport, Kind
from palabre.store import keys
from palabre.store.members import MemberStore, directory_fields
from palabre.store.themes import ThemeStore
from tests.fakes import FakeTable
from tests.unit.examples import (
    CALENDAR,
    CORPUS,
    EN,
    FORMER_MEMBER,
    FUTURE_THEME,
    NOW,
    ORG,
    PAST_THEME,
    ROSTER,
    TODAY,
    table_with,
)

VALID = CORPUS / "valid"
ROSTERS = ["roster.csv", "roster_fr.csv", "roster.xlsx", "roster.yaml"]
CALENDARS = ["calendar.csv", "calendar_fr.csv", "calendar.xlsx", "calendar.yaml"]
FORMAT_IDS = ["csv-comma", "csv-semicolon-cp1252-fr", "xlsx", "yaml"]


def _import(
    table: FakeTable,
    kind: Kind,
    filename: str,
    data: bytes | None = None,
    *,
    confirmed: bool = False,
) -> ImportReport:
    data = (VALID / filename).read_bytes() if data is None else data
    return Importer(table, ORG).run(
        kind, filename, data, now=NOW, translations=EN, confirmed=confirmed
    )


def _counts(report: ImportReport) -> tuple[int, int, int, int, int]:
    return report.rows, report.created, report.updated, report.unchanged, report.deactivated


def _lock_only(kind: str) -> list[tuple[str, dict]]:
    lock = keys.lock(f"import-{kind}")
    expires = int((NOW + timedelta(minutes=15)).timestamp())
    return [("update", {**lock, "lease_until": expires}), ("update", {**lock, "lease_until": 0})]


def _roster_csv(*members: Member) -> bytes:
    lines = ["email,first_name,last_name,circle,team,locale,timezone,role"]
    lines += [
        f"{m.email},{m.first_name},{m.last_name},{m.circle},{m.team},{m.locale},{m.timezone},"
        f"{m.role.value}"
        for m in members
    ]
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------------------- roster
@pytest.mark.parametrize("filename", ROSTERS, ids=FORMAT_IDS)
def test_valid_roster_is_imported_the_same_from_every_format(filename: str) -> None:
    table = table_with()

    report = _import(table, "roster", filename)

    assert report.ok, report.errors
    assert _counts(report) == (4, 4, 0, 0, 0)
    assert MemberStore(table).roster() == {m.email: m for m in ROSTER}


@pytest.mark.parametrize("filename", ROSTERS, ids=FORMAT_IDS)
def test_reimporting_the_same_roster_changes_nothing(filename: str) -> None:
    table = table_with()
    _import(table, "roster", filename)
    before = table.snapshot()
    table.writes.clear()

    report = _import(table, "roster", filename)

    assert report.ok
    assert _counts(report) == (4, 0, 0, 4, 0)
    # the import lock is taken and released; no member, no directory is written
    assert table.writes == _lock_only("roster")
    assert table.items == before


def test_member_missing_from_a_new_roster_is_deactivated_never_deleted() -> None:
    table = table_with(ROSTER)
    marc = ROSTER[2]
    marc_key = keys.member(marc.id)

    # (one of four is more than the 20 % a roster deactivates unconfirmed)
    report = _import(table, "roster", "r.csv", _roster_csv(*ROSTER[:2], ROSTER[3]), confirmed=True)

    assert _counts(report) == (3, 0, 0, 3, 1)
    # Nothing of a member is deleted: only the directory's previous page, and what the
    # apply staged (his profile listed as inactive until it settled, the apply's chunk)
    deleted = [key for kind, key in table.writes if kind == "delete"]
    assert [k["SK"] for k in deleted if k["SK"] != keys.STAGED_PROFILE] == [
        k["SK"] for k in deleted if k["SK"].startswith(("DIRECTORY#", keys.ROSTER_CHUNKS))
    ]
    assert [k["PK"] for k in deleted if k["SK"] == keys.STAGED_PROFILE] == [marc_key["PK"]]
    kept = table.items[(marc_key["PK"], marc_key["SK"])]
    assert kept["active"] is False
    assert kept["GSI1PK"] == "ROSTER#inactive"
    # no longer listed in his circle or team, so no theme is sent to him
    assert "GSI2PK" not in kept
    assert "GSI3PK" not in kept
    assert MemberStore(table).roster()[marc.email] == marc.model_copy(update={"active": False})
    # Cercle Hiver had no one else: it leaves the directory
    assert set(MemberStore(table).directory().circles) == {"cercle ete"}


def test_member_back_on_the_roster_is_reactivated() -> None:
    table = table_with([*ROSTER, FORMER_MEMBER])
    back = FORMER_MEMBER.model_copy(update={"active": True})

    report = _import(table, "roster", "r.csv", _roster_csv(*ROSTER, back))

    assert _counts(report) == (5, 0, 1, 4, 0)
    assert MemberStore(table).roster()[back.email] == back


def test_roster_import_writes_the_circle_and_team_directory() -> None:
    table = table_with()

    _import(table, "roster", "roster.csv")

    directory = directory_fields(MemberStore(table).directory())
    # Inès, an observer in Asia/Tokyo, takes no part: she is in no circle, team or zone.
    assert directory == {
        "circles": {
            "cercle ete": {
                "name": "Cercle Été",
                "zones": {"Europe/Paris": 1, "America/Montreal": 1},
            },
            "cercle hiver": {"name": "Cercle Hiver", "zones": {"Europe/Paris": 1}},
        },
        "teams": {
            "equipe lyon": {"name": "Équipe Lyon", "zones": {"Europe/Paris": 2}},
            "equipe paris": {"name": "Équipe Paris", "zones": {"America/Montreal": 1}},
        },
        "zones": {"Europe/Paris": 2, "America/Montreal": 1},
        # members and admins are listed apart: the scheduler needs each one's timezones
        "roles": {"member": {"Europe/Paris": 2}, "admin": {"America/Montreal": 1}},
    }


def test_observers_need_no_circle_or_team_column() -> None:
    data = "email,rôle\nines.benali@exemple.org,Observatrice\n".encode()

    report, members = validate_file("roster", "r.csv", data, ORG, today=TODAY, translations=EN)

    assert report.ok
    assert members == [
        Member(
            email="ines.benali@exemple.org",
            locale="fr",
            timezone="Europe/Paris",
            role=Role.OBSERVER,
        )
    ]


@pytest.mark.parametrize(
    "header",
    [
        "email,first_name,last_name,circle,team,locale,timezone,role",
        "EMAIL,First_Name,LAST NAME,Circle,TEAM,Locale,TimeZone,ROLE",
        "Courriel,Prénom,Nom,Cercle,Équipe,Langue,Fuseau horaire,Rôle",
        "COURRIEL,PRENOM,NOM DE FAMILLE,CERCLE,EQUIPE,LANGUE,FUSEAU,ROLE",
        "Adresse e-mail,prénom,nom,cercle,équipe,language,fuseau horaire,rôle",
        " Mail , Prenom , Nom , cercle , equipe , langue , Time zone , role ",
    ],
    ids=["canonical", "mixed-case", "french", "french-upper-no-accents", "aliases", "padded"],
)
def test_headers_are_case_and_accent_insensitive(header: str) -> None:
    data = f"{header}\nzoe@exemple.org,Zoé,Dupont,C1,T1,en,Asia/Tokyo,admin\n".encode()

    report, members = validate_file("roster", "r.csv", data, ORG, today=TODAY, translations=EN)

    assert report.ok, report.errors
    assert members == [
        Member(
            email="zoe@exemple.org",
            first_name="Zoé",
            last_name="Dupont",
            circle="C1",
            team="T1",
            locale="en",
            timezone="Asia/Tokyo",
            role=Role.ADMIN,
        )
    ]


@pytest.mark.parametrize(
    ("written", "role"),
    [
        ("observateur", Role.OBSERVER),
        ("Observatrice", Role.OBSERVER),
        ("OBSERVER", Role.OBSERVER),
        ("membre", Role.MEMBER),
        ("Manager", Role.MEMBER),
        ("administrateur", Role.ADMIN),
        ("Animatrice", Role.ADMIN),
        ("", Role.MEMBER),
    ],
)
def test_french_and_english_roles(written: str, role: Role) -> None:
    data = f"email,cercle,équipe,rôle\nzoe@exemple.org,C1,T1,{written}\n".encode()

    _, members = validate_file("roster", "r.csv", data, ORG, today=TODAY, translations=EN)

    assert [m.role for m in members] == [role]


@pytest.mark.parametrize(
    ("written", "locale"),
    [
        ("français", "fr"),
        ("Francais", "fr"),
        ("fr_FR", "fr"),
        ("anglais", "en"),
        ("English", "en"),
        ("en-GB", "en"),
        ("EN", "en"),
        ("", "fr"),  # the organisation's
    ],
)
def test_french_and_english_locales(written: str, locale: str) -> None:
    data = f"email,cercle,équipe,langue\nzoe@exemple.org,C1,T1,{written}\n".encode()

    _, members = validate_file("roster", "r.csv", data, ORG, today=TODAY, translations=EN)

    assert [m.locale for m in members] == [locale]


@pytest.mark.parametrize("separator", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
@pytest.mark.parametrize("before", ["", "\r\n\r\n", " \n"], ids=["", "empty-lines", "spaces"])
def test_separator_is_the_one_the_header_line_uses(separator: str, before: str) -> None:
    header = separator.join(["email", "first_name", "circle", "team"])
    # the quoted name holds the other separators: they are text, not separators
    row = separator.join(["zoe@exemple.org", '"Zoé, dite ""Zo""; ou\tZ"', "C1", "T1"])
    data = f"{before}{header}\r\n{row}\r\n".encode()

    report, members = validate_file("roster", "r.csv", data, ORG, today=TODAY, translations=EN)

    assert report.ok, report.errors
    assert [(m.email, m.first_name, m.circle, m.team) for m in members] == [
        ("zoe@exemple.org", 'Zoé, dite "Zo"; ou Z', "C1", "T1")
    ]


def test_first_spelling_of_a_circle_or_team_names_it() -> None:
    data = (
        "email,circle,team\n"
        "a@exemple.org,Cercle Été,Équipe Lyon\n"
        "b@exemple.org,CERCLE ETE,equipe  lyon\n"
    ).encode()

    _, members = validate_file("roster", "r.csv", data, ORG, today=TODAY, translations=EN)

    assert {(m.circle, m.team) for m in members} == {("Cercle Été", "Équipe Lyon")}


# ---------------------------------------------------------------------------- calendar
@pytest.mark.parametrize("filename", CALENDARS, ids=FORMAT_IDS)
def test_valid_calendar_is_imported_the_same_from_every_format(filename: str) -> None:
    table = table_with(ROSTER)

    report = _import(table, "calendar", filename)

    assert report.ok, report.errors
    assert _counts(report) == (3, 3, 0, 0, 0)
    assert ThemeStore(table).calendar() == {t.id: t for t in CALENDAR}


@pytest.mark.parametrize("filename", CALENDARS, ids=FORMAT_IDS)
def test_reimporting_the_same_calendar_changes_nothing(filename: str) -> None:
    table = table_with(ROSTER)
    _import(table, "calendar", filename)
    before = table.snapshot()
    table.writes.clear()

    report = _import(table, "calendar", filename)

    assert report.ok
    assert _counts(report) == (3, 0, 0, 3, 0)
    assert table.writes == _lock_only("calendar")
    assert table.items == before


def test_live_session_start_is_read_in_the_organisation_timezone() -> None:
    table = table_with(ROSTER)

    _import(table, "calendar", "calendar.csv")

    item = table.get(keys.theme("atelier-mars"))
    assert item["starts_at"] == "2027-03-24T14:00:00+01:00"
    assert (item["send_on"], item["send_at"]) == ("2027-03-22", "08:00")


@pytest.mark.parametrize("header", ["capacity", "Capacité", "places", "Nombre de places"])
def test_a_live_sessions_capacity_is_read_under_its_french_names_too(header: str) -> None:
    table = table_with(ROSTER)
    calendar = (
        f"id,send_on,title,prompt,audience,kind,starts_at,location,{header}\n"
        "atelier,2027-03-22,Atelier,Venez.,all,live,2027-03-24 14:00,Salle 2,12\n"
        "libre,2027-03-23,Atelier libre,Venez.,all,live,2027-03-24 16:00,Salle 3,\n"
    ).encode()

    report = _import(table, "calendar", "calendar.csv", calendar)

    assert report.ok, report
    assert table.get(keys.theme("atelier"))["capacity"] == 12
    assert "capacity" not in table.get(keys.theme("libre"))  # no limit


def test_theme_without_id_is_updated_on_reupload_not_duplicated() -> None:
    table = table_with(ROSTER)
    original = (VALID / "calendar.csv").read_bytes()
    _import(table, "calendar", "calendar.csv", original)
    edited = original.replace(
        b"Quel feedback avez-vous donn\xc3\xa9 cette semaine ?", b"Quel feedback avez-vous recu ?"
    )
    assert edited != original

    report = _import(table, "calendar", "calendar.csv", edited)

    assert _counts(report) == (3, 0, 1, 2, 0)
    themes = ThemeStore(table).calendar()
    assert sorted(themes) == sorted(t.id for t in CALENDAR)
    assert themes["2027-03-15-donner-du-feedback"].prompt == "Quel feedback avez-vous recu ?"


def test_future_theme_missing_from_the_calendar_is_cancelled_past_ones_are_kept() -> None:
    table = table_with(ROSTER, [PAST_THEME, FUTURE_THEME])

    report = _import(table, "calendar", "calendar.csv")

    assert _counts(report) == (3, 3, 0, 0, 1)
    themes = ThemeStore(table).calendar()
    assert themes[FUTURE_THEME.id] == FUTURE_THEME.model_copy(update={"active": False})
    assert themes[PAST_THEME.id] == PAST_THEME
    # Nothing is deleted but the cancelled theme's place in the dispatch queue
    assert [w for w in table.writes if w[0] == "delete"] == [
        ("delete", keys.dispatch(FUTURE_THEME.id)),
    ]


@pytest.mark.parametrize(("status", "kept"), [("sent", True), ("skipped", False)])
def test_a_theme_of_today_missing_from_the_calendar_is_kept_once_a_prompt_went_out(
    status: str, kept: bool
) -> None:
    # Dated today, already at its send time somewhere: cancelled only if nobody got it
    today = FUTURE_THEME.model_copy(update={"id": "aujourdhui", "send_on": TODAY})
    table = table_with(ROSTER, [today])
    table.put({**keys.prompt(today.id, ROSTER[0].id), "status": status})

    report = _import(table, "calendar", "calendar.csv")

    assert report.deactivated == (0 if kept else 1)
    assert ThemeStore(table).calendar()[today.id].active is kept


def test_new_themes_are_opened_for_dispatch_at_their_earliest_send_time() -> None:
    table = table_with(ROSTER, [])

    _import(table, "calendar", "calendar.csv")

    opened = {
        w[1]["theme_id"]: w[1]["GSI2SK"]
        for w in table.writes
        if w[0] == "put" and w[1]["SK"] == "DISPATCH"
    }
    assert sorted(opened) == sorted(t.id for t in CALENDAR)
    for theme in CALENDAR:
        # 09:00 on the send date in UTC+14, the first place on Earth it is due
        expected = earliest_send(theme).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert opened[theme.id] == expected
        assert expected.startswith((theme.send_on - timedelta(days=1)).isoformat())


def _past_theme_csv(prompt: str) -> bytes:
    return (
        "id,send_on,title,prompt,audience\n"
        f"{PAST_THEME.id},2027-02-15,{PAST_THEME.title},{prompt},all\n"
        "ecoute-active,2027-03-08,Écoute active,Racontez.,all\n"
    ).encode()


def test_past_theme_may_stay_in_the_file_unchanged() -> None:
    table = table_with(ROSTER, [PAST_THEME])

    report = _import(table, "calendar", "c.csv", _past_theme_csv(PAST_THEME.prompt))

    assert report.ok, report.errors
    assert _counts(report) == (2, 1, 0, 1, 0)


def test_past_theme_cannot_be_changed() -> None:
    table = table_with(ROSTER, [PAST_THEME])

    report = _import(table, "calendar", "c.csv", _past_theme_csv("Autre consigne."))

    assert [(e.row, e.column, e.value) for e in report.errors] == [(2, "send_on", "2027-02-15")]
    assert table.writes == []


def test_offline_validation_knows_no_roster_yet() -> None:
    data = (VALID / "calendar.csv").read_bytes()

    offline, themes = validate_file("calendar", "c.csv", data, ORG, today=TODAY, translations=EN)
    empty, _ = validate_file(
        "calendar", "c.csv", data, ORG, today=TODAY, translations=EN, directory=Directory()
    )
    known, checked = validate_file(
        "calendar",
        "c.csv",
        data,
        ORG,
        today=TODAY,
        translations=EN,
        directory=Directory.of(ROSTER),
    )

    # without a directory every audience name is taken for a circle, resolved at import
    assert offline.ok
    assert themes[1].audience.circles == ("Cercle Été", "Équipe Lyon")
    assert [(e.row, e.column, e.message) for e in empty.errors] == [
        (3, "audience", "No circle or team is called Cercle Été in the current roster."),
        (3, "audience", "No circle or team is called Équipe Lyon in the current roster."),
        (4, "audience", "No circle or team is called Cercle Hiver in the current roster."),
    ]
    assert known.ok
    assert checked == CALENDAR


# ---------------------------------------------------------------------------- lock
def test_import_waits_for_another_import_of_the_same_kind() -> None:
    table = table_with(ROSTER)
    held = int((NOW + timedelta(minutes=5)).timestamp())
    table.put({**keys.lock("import-roster"), "lease_until": held})
    table.writes.clear()
    before = table.snapshot()

    with pytest.raises(ImportBusy):
        _import(table, "roster", "roster.csv")

    assert table.writes == []
    assert table.items == before


def test_import_takes_over_an_expired_lock() -> None:
    table = table_with(ROSTER)
    expired = int((NOW - timedelta(seconds=1)).timestamp())
    table.put({**keys.lock("import-calendar"), "lease_until": expired})

    report = _import(table, "calendar", "calendar.yaml")

    assert report.ok
    assert table.get(keys.lock("import-calendar"))["lease_until"] == 0  # released


def test_who_arrives_in_an_audience_with_a_new_roster() -> None:
    from palabre.imports.importer import _arrives

    before = ROSTER[0]
    assert not _arrives(before, before.model_copy(update={"last_name": "Autre"}))
    for change in ({"circle": "Cercle Hiver"}, {"team": "Équipe Nantes"}, {"role": Role.ADMIN}):
        assert _arrives(before, before.model_copy(update=change))
    assert _arrives(before.model_copy(update={"active": False}), before)
    assert _arrives(before, before.model_copy(update={"timezone": "Asia/Tokyo"}))


# ---------------------------------------------------------------------------- guards
LIVE_SENT = Theme(
    id="atelier-fevrier",
    send_on=date(2027, 2, 26),
    title="Atelier de février",
    prompt="Venez.",
    audience=Audience(everyone=True),
    kind=ThemeKind.LIVE,
    starts_at=datetime(2027, 3, 3, 14, 0, tzinfo=ZoneInfo("Europe/Paris")),
    duration_minutes=60,
    location="Salle Lumière",
)
SUMMER = FUTURE_THEME.model_copy(update={"id": "ete", "send_on": date(2027, 6, 7), "title": "Été"})


def _with_sent_session(*themes: Theme) -> FakeTable:
    table = table_with(ROSTER, [*CALENDAR, *themes])
    table.put({**keys.prompt(LIVE_SENT.id, ROSTER[0].id), "status": "sent"})
    table.writes.clear()
    return table


def test_a_calendar_cancelling_three_themes_one_a_session_already_announced_is_held() -> None:
    # Given two future themes and a live session whose invitation went out, none in the file
    table = _with_sent_session(FUTURE_THEME, SUMMER, LIVE_SENT)

    report = _import(table, "calendar", "calendar.csv")

    # Then nothing is written (not even the lock's upload time), and the report says why
    assert (report.ok, report.status, report.deactivated) == (False, "needs_confirmation", 3)
    assert [w for w in table.writes if w[1]["SK"] != "LOCK#import-calendar"] == []
    [reason] = report.guard
    assert "3" in reason
    assert "“Atelier de février” (February 26, 2027)" in reason
    removed = {c.name: c for c in report.changes.removed}
    assert set(removed) == {"Printemps", "Été", "Atelier de février"}
    assert (removed["Atelier de février"].live, removed["Atelier de février"].sent) == (True, True)
    assert removed["Printemps"].sent is False
    assert all(t.active for t in ThemeStore(table).calendar().values())

    # When confirmed, all three are cancelled, the session's invitees to be told
    confirmed = _import(table, "calendar", "calendar.csv", confirmed=True)
    assert (confirmed.status, confirmed.deactivated, confirmed.guard) == ("applied", 3, [])
    stored = ThemeStore(table).calendar()
    assert not stored[LIVE_SENT.id].active
    assert stored[LIVE_SENT.id].sequence == LIVE_SENT.sequence + 1


def test_a_calendar_cancelling_two_themes_is_applied() -> None:
    table = _with_sent_session(FUTURE_THEME, LIVE_SENT)

    report = _import(table, "calendar", "calendar.csv")

    assert (report.status, report.deactivated) == ("applied", 2)


def test_a_preview_writes_nothing_at_all() -> None:
    table = table_with(ROSTER)

    report = Importer(table, ORG).run(
        "roster",
        "r.csv",
        _roster_csv(*(m for m in ROSTER if m.is_admin)),
        now=NOW,
        translations=EN,
        preview=True,
    )

    assert (report.ok, report.status) == (True, "previewed")
    assert report.deactivated == len([m for m in ROSTER if not m.is_admin])
    assert report.guard  # it would need a confirmation, and says so
    assert table.writes == []
