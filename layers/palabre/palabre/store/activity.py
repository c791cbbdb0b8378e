"""What admins did in the animators' space, who and when: one item per action in the
ACTIVITY partition, newest first on the activity page, kept RetentionMonths (it names
people)."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from palabre.core.models import Member
from palabre.core.retention import TTL_ATTRIBUTE, expires_at
from palabre.store import keys
from palabre.store.table import Item, Table, newest_page

PAGE = 50
"""actions per page of the activity page"""
DETAIL_LIMIT = 500
"""the longest detail value kept (a file name, an address)"""


class Action(StrEnum):
    """Every action an admin takes in their space (the activity page says each in words:
    templates/web/admin_activity.html)."""

    UPLOAD = "upload"
    """a file sent from the space (its preview follows)"""
    APPLY_IMPORT = "apply-import"
    DECLINE_IMPORT = "decline-import"
    UNSUPPRESS = "unsuppress"
    RETRY_DEAD_LETTERS = "retry-dead-letters"
    EXPORT = "export"


@dataclass(frozen=True)
class Activity:
    at: datetime
    admin_id: str
    admin_name: str
    admin_email: str
    action: Action
    detail: Mapping[str, str | int] = field(default_factory=dict)
    cursor: str = ""
    """the item's sort key: the next page starts before it"""


class ActivityLog:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(self, admin: Member, action: Action, now: datetime, **detail: str | int) -> None:
        """One action, as it happens (an action is recorded once it is done)."""
        self.table.put(
            {
                **keys.activity(now.isoformat(), secrets.token_hex(4)),
                "type": "activity",
                "at": now.isoformat(),
                "admin_id": admin.id,
                "admin_name": admin.display_name,
                "admin_email": admin.email,
                "action": action.value,
                "detail": {k: _bounded(v) for k, v in detail.items()},
                TTL_ATTRIBUTE: expires_at(now, self.table.retention_months),
            }
        )

    def recent(self, before: str = "", limit: int = PAGE) -> tuple[list[Activity], str]:
        """A page of actions, newest first, from before `before` (a cursor a page gave;
        "": the newest), and the cursor of the next page ("": no more). One Query."""
        items, more = newest_page(self.table, keys.ACTIVITY, before, limit)
        page = [_activity(i) for i in items]
        return page, page[-1].cursor if more else ""


def _bounded(value: str | int) -> str | int:
    return value if isinstance(value, int) else str(value)[:DETAIL_LIMIT]


def _activity(item: Item) -> Activity:
    return Activity(
        at=datetime.fromisoformat(item["at"]),
        admin_id=item.get("admin_id", ""),
        admin_name=item.get("admin_name", ""),
        admin_email=item.get("admin_email", ""),
        action=Action(item["action"]),
        detail={k: v if isinstance(v, str) else int(v) for k, v in item.get("detail", {}).items()},
        cursor=item["SK"],
    )
