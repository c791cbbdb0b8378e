"""The demo organisation: a French community of managers and a calendar that starts on
the first Tuesday after the stack's clock, so its themes are always ahead of you."""

from datetime import date, timedelta
from importlib import resources

import yaml

ADMIN = "camille.martin@demo.palabre.example"

THEMES: list[dict[str, str | bool]] = [
    {
        "title": "Nos rituels d'équipe",
        "prompt": (
            "Quel **rituel d'équipe** vous aide le plus à garder le lien ?\n\n"
            "- Quand a-t-il lieu, combien de temps dure-t-il ?\n"
            "- Qu'avez-vous changé depuis que vous l'avez lancé ?"
        ),
        "competency": "animation d'équipe",
        "kind": "practice",
        "audience": "all",
    },
    {
        "title": "Installer la confiance",
        "prompt": (
            "Racontez un moment où vous avez **gagné (ou regagné) la confiance** d'un membre "
            "de votre équipe. Qu'avez-vous fait concrètement ?"
        ),
        "competency": "confiance",
        "kind": "question",
        "audience": "Bâtisseurs; Éclaireurs",
    },
    {
        "title": "Le feedback qui fait grandir",
        "prompt": (
            "Comment préparez-vous un **feedback difficile** ? Partagez votre trame, vos "
            "phrases d'ouverture, ce que vous évitez désormais."
        ),
        "competency": "feedback",
        "kind": "practice",
        "audience": "all",
    },
    {
        "title": "Vos one-to-ones",
        "prompt": (
            "Comment menez-vous vos **one-to-ones** hebdomadaires ? Ordre du jour, durée, "
            "qui prend les notes, ce que vous ne sautez jamais."
        ),
        "competency": "accompagnement",
        "kind": "practice",
        "audience": "all",
    },
    {
        "title": "Réussir une arrivée",
        "prompt": (
            "Qu'avez-vous mis en place pour les **trente premiers jours** d'une nouvelle "
            "recrue ? Une idée que vos pairs peuvent reprendre lundi."
        ),
        "competency": "onboarding",
        "kind": "practice",
        "audience": "Produit",
    },
    {
        "title": "Atelier live : le feedback en pratique",
        "prompt": (
            "Rejoignez l'atelier en direct : deux mises en situation de feedback, puis un "
            "temps d'échange entre pairs. Venez avec une situation réelle."
        ),
        "competency": "feedback",
        "kind": "live",
        "audience": "all",
        "live": True,
    },
]


def roster() -> bytes:
    return resources.files("palabre_cli.demo").joinpath("roster.csv").read_bytes()


def first_tuesday_after(day: date) -> date:
    return day + timedelta(days=(1 - day.weekday()) % 7 or 7)


def calendar(today: date) -> bytes:
    """The demo calendar as YAML, dated from the first Tuesday after `today`."""
    start = first_tuesday_after(today)
    entries: list[dict[str, object]] = []
    for week, theme in enumerate(THEMES):
        send_on = start + timedelta(weeks=week)
        entry: dict[str, object] = {
            "id": f"demo-{week + 1}",
            "send_on": send_on.isoformat(),
            "send_at": "09:00",
            "title": theme["title"],
            "prompt": theme["prompt"],
            "deadline_days": 7,
            "audience": theme["audience"],
            "competency": theme["competency"],
            "kind": theme["kind"],
            "points": 10,
        }
        if theme.get("live"):
            entry |= {
                "starts_at": f"{(send_on + timedelta(days=2)).isoformat()} 14:00",
                "duration_minutes": 60,
                "location": "https://meet.example.com/palabre-atelier",
                # a few seats: the tour can fill them and see the waiting list
                "capacity": 12,
            }
        entries.append(entry)
    text = yaml.safe_dump({"themes": entries}, allow_unicode=True, sort_keys=False)
    return text.encode()
