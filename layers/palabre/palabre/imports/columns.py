"""Column names of the admin files, with the French names admins may use (docs/files.md)."""

from collections.abc import Mapping

from palabre.core.text import fold

ROSTER = {
    "email": ("courriel", "e-mail", "mail", "adresse email", "adresse e-mail", "adresse mail"),
    "first_name": ("prénom", "first name", "firstname"),
    "last_name": ("nom", "last name", "lastname", "nom de famille"),
    "circle": ("cercle",),
    "team": ("équipe",),
    "locale": ("langue", "language", "lang"),
    "timezone": ("fuseau horaire", "fuseau", "time zone", "tz"),
    "role": ("rôle",),
}

CALENDAR = {
    "id": ("identifiant",),
    "send_on": ("date", "date d'envoi", "send on"),
    "send_at": ("heure", "heure d'envoi", "send at"),
    "title": ("titre",),
    "prompt": ("question", "consigne"),
    # the theme in each language, beside title and prompt (in the organisation's)
    "title_en": ("titre en", "titre (en)", "titre anglais", "titre (anglais)", "title (en)"),
    "prompt_en": (
        "question en",
        "question (en)",
        "question (anglais)",
        "consigne en",
        "consigne (anglais)",
        "prompt (en)",
    ),
    "title_fr": ("titre fr", "titre (fr)", "titre français", "titre (français)", "title (fr)"),
    "prompt_fr": (
        "question fr",
        "question (fr)",
        "question (français)",
        "consigne fr",
        "consigne (français)",
        "prompt (fr)",
    ),
    "deadline_days": ("délai", "délai (jours)", "deadline", "deadline (days)"),
    "reminder_days": ("rappel", "rappel (jours)", "relance", "reminder", "reminder (days)"),
    "audience": ("public", "destinataires"),
    "competency": ("compétence",),
    "kind": ("type",),
    "points": (),
    "starts_at": ("début", "starts at"),
    "duration_minutes": ("durée", "durée (minutes)", "duration", "duration (minutes)"),
    "location": ("lieu",),
    "capacity": ("capacité", "places", "nombre de places", "seats"),
}

SPECS = {"roster": ROSTER, "calendar": CALENDAR}


def header_index(spec: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Folded header text -> canonical column name."""
    index: dict[str, str] = {}
    for canonical, aliases in spec.items():
        for name in (canonical, *aliases):
            index[fold(name)] = canonical
    return index
