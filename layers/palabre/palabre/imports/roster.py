"""The roster: who takes part, in which circle and team, where and in which language."""

from dataclasses import dataclass

from palabre.core.i18n import N_
from palabre.core.models import Locale, Member, Role, group_key
from palabre.core.text import is_email
from palabre.imports.cells import RowReader, choice, text, timezone
from palabre.imports.report import Issue
from palabre.imports.tabular import RowStream, Sheet

LOCALES: dict[str, Locale] = {
    "fr": "fr",
    "francais": "fr",
    "french": "fr",
    "en": "en",
    "anglais": "en",
    "english": "en",
}
ROLES = {
    "member": "member",
    "membre": "member",
    "manager": "member",
    "admin": "admin",
    "administrateur": "admin",
    "administratrice": "admin",
    "animateur": "admin",
    "animatrice": "admin",
    "observer": "observer",
    "observateur": "observer",
    "observatrice": "observer",
}
NAME_LIMIT = 100
GROUP_LIMIT = 64


@dataclass(frozen=True)
class OrgDefaults:
    locale: Locale
    timezone: str


def _locale(value: object) -> Locale:
    # "fr-FR", "en_GB": the language is what matters.
    return choice(LOCALES, "fr, en")(str(value).replace("_", "-").split("-")[0])


def validate_roster(
    sheet: Sheet | RowStream, defaults: OrgDefaults
) -> tuple[list[Member], list[Issue], dict[str, int]]:
    """The roster's members, its issues, and each member's row (by address); a stream's
    rows are validated as they are read."""
    issues: list[Issue] = []
    if "email" not in sheet.columns:
        missing_email = Issue(
            N_("The required column %(name)s is missing."), 1, "email", params={"name": "email"}
        )
        return [], [missing_email], {}
    rows = _RosterRows(defaults, [c for c in ("circle", "team") if c not in sheet.columns])
    members = [
        member
        for row in (sheet.rows if isinstance(sheet, Sheet) else sheet)
        if (member := rows.member(RowReader(sheet, row, issues))) is not None
    ]
    if rows.takes_part:
        issues.extend(
            Issue(N_("The required column %(name)s is missing."), 1, name, params={"name": name})
            for name in rows.missing
        )
    if not (sheet.rows if isinstance(sheet, Sheet) else sheet.count):
        issues.append(Issue(N_("The file has a header but no rows.")))
    return ([], issues, {}) if issues else (members, [], rows.first_row_of)


class _RosterRows:
    """Reads the rows one by one, remembering what the rows before said: addresses seen,
    the first spelling of each circle and team, whether anyone takes part."""

    def __init__(self, defaults: OrgDefaults, missing: list[str]) -> None:
        self.defaults = defaults
        self.missing = missing
        """the circle and team columns the file lacks"""
        self.takes_part = False
        self.first_row_of: dict[str, int] = {}
        self.circles: dict[str, str] = {}
        self.teams: dict[str, str] = {}

    def member(self, cells: RowReader) -> Member | None:
        """The row's member, or None when a cell is wrong (each wrong cell is an issue)."""
        email = self._email(cells)
        role = Role(cells.read("role", choice(ROLES, "member, admin, observer"), "member"))
        circle = cells.read("circle", text(GROUP_LIMIT, forbidden=";"), "")
        team = cells.read("team", text(GROUP_LIMIT, forbidden=";"), "")
        if role is not Role.OBSERVER:
            self.takes_part = True
            for column, value in (("circle", circle), ("team", team)):
                if not value and column not in cells.failed and column not in self.missing:
                    cells.issue(
                        column,
                        N_("Required for members and admins (only observers may leave it empty)."),
                    )
        fields = {
            "email": email,
            "first_name": cells.read("first_name", text(NAME_LIMIT), ""),
            "last_name": cells.read("last_name", text(NAME_LIMIT), ""),
            # The first spelling of a circle or team names it; "Cercle A" and "cercle a"
            # are the same circle.
            "circle": self.circles.setdefault(group_key(circle), circle) if circle else "",
            "team": self.teams.setdefault(group_key(team), team) if team else "",
            "locale": cells.read("locale", _locale, self.defaults.locale),
            "timezone": cells.read("timezone", timezone, self.defaults.timezone),
            "role": role,
        }
        if cells.failed or not email:
            return None
        return Member(**fields)

    def _email(self, cells: RowReader) -> str:
        email = cells.read("email", text(254), "").lower()
        if not email:
            if "email" not in cells.failed:
                cells.issue("email", N_("An email address is required."))
        elif not is_email(email):
            cells.issue("email", N_("This is not a valid email address."), cells.raw("email"))
        elif email in self.first_row_of:
            cells.issue(
                "email",
                N_("This address is already on row %(first)s (addresses ignore case)."),
                cells.raw("email"),
                first=self.first_row_of[email],
            )
        else:
            self.first_row_of[email] = cells.row.number
        return email
