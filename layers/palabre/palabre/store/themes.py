"""Themes: the calendar, listed by send date."""

from collections.abc import Iterable
from datetime import date, datetime, time

from palabre.core.models import Audience, Theme, ThemeKind, ThemeText
from palabre.store import keys
from palabre.store.table import Item, Table


def theme_item(t: Theme) -> Item:
    return {
        **keys.theme(t.id),
        "GSI1PK": keys.CALENDAR,
        "GSI1SK": keys.calendar_sort(t.send_on.isoformat(), t.id),
        "type": "theme",
        "theme_id": t.id,
        "send_on": t.send_on.isoformat(),
        "send_at": t.send_at.strftime("%H:%M"),
        "title": t.title,
        "prompt": t.prompt,
        "prompt_html": t.prompt_html,
        "deadline_days": t.deadline_days,
        "reminder_days": t.reminder_days,
        "audience": {
            "everyone": t.audience.everyone,
            "circles": list(t.audience.circles),
            "teams": list(t.audience.teams),
        },
        "competency": t.competency,
        "kind": t.kind.value,
        "points": t.points,
        "starts_at": t.starts_at.isoformat() if t.starts_at else None,
        "duration_minutes": t.duration_minutes,
        "location": t.location,
        # only on a live session: other themes' items stay as they were
        "capacity": t.capacity,
        "sequence": t.sequence or None,
        "active": t.active,
        # only on a member's question: a calendar theme's item stays as it was
        "asker": t.asker or None,
        "asker_name": t.asker_name or None,
        # its languages: absent on a theme stored before they were kept
        "lang": t.lang or None,
        "translations": [text.model_dump() for text in t.translations] or None,
    }


def theme_from(item: Item) -> Theme:
    audience = item["audience"]
    return Theme(
        id=item["theme_id"],
        send_on=date.fromisoformat(item["send_on"]),
        send_at=time.fromisoformat(item["send_at"]),
        title=item["title"],
        prompt=item["prompt"],
        prompt_html=item.get("prompt_html", ""),
        deadline_days=item["deadline_days"],
        reminder_days=item["reminder_days"],
        audience=Audience(
            everyone=audience["everyone"],
            circles=tuple(audience["circles"]),
            teams=tuple(audience["teams"]),
        ),
        competency=item.get("competency", ""),
        kind=ThemeKind(item["kind"]),
        points=item["points"],
        starts_at=datetime.fromisoformat(item["starts_at"]) if item.get("starts_at") else None,
        duration_minutes=item.get("duration_minutes"),
        location=item.get("location", ""),
        capacity=item.get("capacity"),
        sequence=item.get("sequence") or 0,
        active=item["active"],
        asker=item.get("asker", ""),
        asker_name=item.get("asker_name", ""),
        lang=item.get("lang") or "",
        translations=tuple(ThemeText(**text) for text in item.get("translations") or ()),
    )


class ThemeStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def calendar(self) -> dict[str, Theme]:
        return {t.id: t for t in map(theme_from, self.table.query(keys.CALENDAR, index="GSI1"))}

    def between(self, first: date, last: date) -> list[Theme]:
        bounds = (f"{first.isoformat()}#", f"{last.isoformat()}#~")
        items = self.table.query(keys.CALENDAR, index="GSI1", between=bounds)
        return [theme_from(i) for i in items]

    def get(self, theme_id: str) -> Theme | None:
        item = self.table.get(keys.theme(theme_id))
        return theme_from(item) if item else None

    def get_many(self, theme_ids: Iterable[str]) -> dict[str, Theme]:
        found = self.table.get_many([keys.theme(t) for t in theme_ids])
        return {i["theme_id"]: theme_from(i) for i in found}

    def save(self, themes: Iterable[Theme]) -> int:
        return self.table.put_many(theme_item(t) for t in themes)
