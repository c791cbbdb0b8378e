"""The exports page (`/admin/{token}/exports`): what each file holds, and its downloads
(`/admin/{token}/exports/answers.xlsx`...), each built on the click."""

from datetime import datetime

from aws_lambda_powertools.event_handler import Response

from palabre.admin.exports import (
    EXPORT_THEMES,
    EXPORT_WEEKS,
    AdminExports,
    Export,
    UnknownExport,
    Wanted,
)
from palabre.admin.pages import AdminPages
from palabre.spreadsheets import csv_style
from palabre.web import headers


class ExportPages:
    def __init__(self, pages: AdminPages, exports: AdminExports) -> None:
        self.pages = pages
        self.exports = exports

    def show(self, token: str, now: datetime) -> Response[str]:
        view = self.pages.open(token, now)
        style = csv_style(self.exports.locale)
        return self.pages.render(
            view,
            "admin_exports",
            exports=[e.value for e in Export],
            weeks=EXPORT_WEEKS,
            themes=EXPORT_THEMES,
            separator=style.separator,
            decimal=style.decimal,
            threshold=self.exports.threshold,
        )

    def download(self, token: str, name: str, now: datetime) -> Response[str]:
        """A redirect (302) to the file, built now; an unknown file name: the plain 404."""
        view = self.pages.open(token, now)
        try:
            wanted = Wanted.named(name)
        except UnknownExport:
            return self.pages.pages.not_found(view.admin.locale)
        download = self.exports.download(view, wanted, now)
        return Response(
            status_code=302,
            headers={**headers(self.pages.pages.templates_dir), "Location": download.url},
            body="",
        )
