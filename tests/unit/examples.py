"""The organisation, roster and calendar the unit tests share, and what the corpus holds."""

from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from palabre.core.directory import Directory
from palabre.core.i18n import translations
from palabre.core.models import Audience, Member, Role, Theme, ThemeKind
from palabre.imports.importer import Organisation
from palabre.store.members import MemberStore
from palabre.store.themes import ThemeStore
from tests.fakes import FakeTable

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus"
TEMPLATES = ROOT / "templates"
EN = translations(TEMPLATES, "en")
FR = translations(TEMPLATES, "fr")

ORG = Organisation(name="Exemple", timezone="Europe/Paris", locale="fr")
PARIS = ZoneInfo("Europe/Paris")
# 09:00 in Paris on Monday 1 March 2027: "today" for every import below.
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=ZoneInfo("UTC"))
TODAY = date(2027, 3, 1)

# What every file of corpus/valid/roster.* describes, whatever its format.
ROSTER = [
    Member(
        email="helene.martin@exemple.org",
        first_name="Hélène",
        last_name="Martin",
        circle="Cercle Été",
        team="Équipe Lyon",
        locale="fr",
        timezone="Europe/Paris",
        role=Role.MEMBER,
    ),
    Member(
        email="zoe.dupont@exemple.org",
        first_name="Zoé",
        last_name="Dupont",
        circle="Cercle Été",
        team="Équipe Paris",
        locale="en",
        timezone="America/Montreal",
        role=Role.ADMIN,
    ),
    # locale, timezone and role left empty: the organisation's defaults
    Member(
        email="marc.leroy@exemple.org",
        first_name="Marc",
        last_name="Leroy",
        circle="Cercle Hiver",
        team="Équipe Lyon",
        locale="fr",
        timezone="Europe/Paris",
        role=Role.MEMBER,
    ),
    Member(
        email="ines.benali@exemple.org",
        first_name="Inès",
        last_name="Benali",
        locale="en",
        timezone="Asia/Tokyo",
        role=Role.OBSERVER,
    ),
]

# What every file of corpus/valid/calendar.* describes.
CALENDAR = [
    Theme(
        id="ecoute-active",
        send_on=date(2027, 3, 8),
        title="Écoute active",
        prompt="Racontez une conversation où vous avez vraiment écouté.\n\n"
        "- Qu'avez-vous remarqué ?",
        prompt_html="<p>Racontez une conversation où vous avez vraiment écouté.</p>\n"
        "<ul>\n<li>Qu'avez-vous remarqué ?</li>\n</ul>\n",
        audience=Audience(everyone=True),
        competency="écoute",
        lang="fr",  # the organisation's: the plain title and prompt columns
    ),
    Theme(
        id="2027-03-15-donner-du-feedback",  # no id in the files: date + title
        send_on=date(2027, 3, 15),
        send_at=time(9, 30),
        title="Donner du feedback",
        prompt="Quel feedback avez-vous donné cette semaine ?",
        prompt_html="<p>Quel feedback avez-vous donné cette semaine ?</p>\n",
        deadline_days=5,
        reminder_days=1,
        audience=Audience(circles=("Cercle Été",), teams=("Équipe Lyon",)),
        competency="feedback",
        kind=ThemeKind.QUESTION,
        points=15,
        lang="fr",  # the organisation's: the plain title and prompt columns
    ),
    Theme(
        id="atelier-mars",
        send_on=date(2027, 3, 22),
        send_at=time(8, 0),
        title="Atelier en direct",
        prompt="Rejoignez l'atelier.",
        prompt_html="<p>Rejoignez l'atelier.</p>\n",
        audience=Audience(circles=("Cercle Hiver",)),
        kind=ThemeKind.LIVE,
        starts_at=datetime(2027, 3, 24, 14, 0, tzinfo=PARIS),
        duration_minutes=90,
        location="Salle Lumière",
        lang="fr",  # the organisation's: the plain title and prompt columns
    ),
]

FORMER_MEMBER = Member(
    email="ancien@exemple.org",
    circle="Cercle Hiver",
    team="Équipe Lyon",
    locale="fr",
    timezone="Europe/Paris",
    active=False,
)
PAST_THEME = Theme(
    id="bienvenue",
    send_on=date(2027, 2, 15),
    title="Bienvenue",
    prompt="Présentez-vous.",
    audience=Audience(everyone=True),
)
FUTURE_THEME = Theme(
    id="printemps",
    send_on=date(2027, 4, 5),
    title="Printemps",
    prompt="Qu'allez-vous essayer ?",
    audience=Audience(teams=("Équipe Paris",)),
)


def table_with(members: Sequence[Member] = (), themes: Sequence[Theme] = ()) -> FakeTable:
    """A table holding `members` (and their directory) and `themes`, with no write recorded."""
    table = FakeTable()
    if members:
        MemberStore(table).save(members)
        MemberStore(table).save_directory(Directory.of(members))
    ThemeStore(table).save(themes)
    table.writes.clear()
    return table


def populated_table() -> FakeTable:
    """An organisation already running: a roster, a former member, past and future themes."""
    return table_with([*ROSTER, FORMER_MEMBER], [PAST_THEME, *CALENDAR, FUTURE_THEME])
