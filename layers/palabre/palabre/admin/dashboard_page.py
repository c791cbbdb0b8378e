"""The admin space's home page: the dashboard (admin/dashboard.py) in the admin's
language, its chart drawn on the server (admin/chart.py), filtered by a circle or a team
through a plain GET form (`?circle=`, `?team=`: a circle first when both are given)."""

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from gettext import NullTranslations
from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from babel.numbers import format_percent

from palabre.admin.chart import Bar, WeekBars, participation_chart
from palabre.admin.dashboard import (
    DashboardReader,
    GroupFilter,
    ThemeFigures,
    UnknownGroup,
    chosen_group,
)
from palabre.admin.pages import AdminPages
from palabre.core.dates import format_skeleton
from palabre.core.i18n import N_, translate, translations

QUERY_LIMIT = 200
"""characters of a filter's name kept: a roster's names are shorter"""


class DashboardPages:
    def __init__(self, pages: AdminPages, reader: DashboardReader, templates_dir: Path) -> None:
        self.pages = pages
        self.reader = reader
        self.templates_dir = templates_dir

    def show(self, token: str, now: datetime, query: Mapping[str, str]) -> Response[str]:
        view = self.pages.open(token, now)
        locale = view.admin.locale
        tr = translations(self.templates_dir, locale)
        directory = self.reader.directory()
        asked = {k: query.get(k, "")[:QUERY_LIMIT] for k in ("circle", "team")}
        error, chosen = "", None
        try:
            chosen = chosen_group(asked, directory)
        except UnknownGroup as unknown:
            error = unknown.text(tr)
        dashboard = self.reader.read(view.admin, now, directory, chosen)
        percent = partial(_percent, locale=locale)
        chart = participation_chart(
            [
                WeekBars(
                    format_skeleton("Md", w.monday, locale=locale),  # 12/7, 07/12
                    tuple(_bar(f, tr, percent) for f in w.themes),
                )
                for w in dashboard.weeks
            ],
            title=_chart_title(dashboard.chosen, tr),
            percent=percent,
        )
        return self.pages.render(
            view,
            "admin_dashboard",
            section="home",
            status=400 if error else 200,
            d=dashboard,
            chart=chart,
            percent=percent,
            error=error,
        )


def _percent(rate: float, *, locale: str) -> str:
    """50 %, 50%: French spacing is the page's (core/typography.py, over the whole page)."""
    return format_percent(rate, locale=locale)


def _chart_title(chosen: GroupFilter | None, tr: NullTranslations) -> str:
    if chosen is None:
        return translate(tr, N_("Participation per theme, the last 12 weeks"), {})
    return translate(
        tr, N_("Participation of %(group)s per theme, the last 12 weeks"), {"group": chosen.name}
    )


def _bar(f: ThemeFigures, tr: NullTranslations, percent: Callable[[float], str]) -> Bar:
    params = {
        "title": str(f.title),
        "rate": percent(f.count.rate),
        "answers": f.count.answers,
        "prompts": f.count.prompts,
    }
    if not f.counted:
        message = N_("%(title)s: not counted yet")
    elif f.final:
        message = N_("%(title)s: %(rate)s (%(answers)s answers of %(prompts)s prompts sent)")
    else:
        message = N_("%(title)s: %(rate)s so far (%(answers)s answers of %(prompts)s prompts sent)")
    return Bar(f.count.rate, f.final, translate(tr, message, params))
