"""What the local stack's console shows of Palabre: an import's report in sentences, in
the language its messages were written in (the uploader's, as in the report's email),
what each function does in plain words, and the demo admin's way into the animators'
space."""

import gettext
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from palabre_cli import demo
from palabre_cli.template import ROOT
from sam_moto.hooks import Readable, Shortcut

if TYPE_CHECKING:
    from gettext import NullTranslations

    from palabre.core.models import Member
    from palabre.imports.report import ImportReport, ReportError
    from sam_moto.stack import LocalStack

TEMPLATES = ROOT / "templates"

FUNCTION_NAMES = {
    "SchedulePromptsFunction": "themes and reminders due",
    "WeeklyDigestFunction": "weekly digests",
    "SendEmailFunction": "sending emails",
    "ScoreStreamFunction": "points and standings",
    "ImportUploadFunction": "imports",
    "PersonalLinksFunction": "personal links",
    "SesFeedbackFunction": "bounces and complaints",
    "InboundReplyFunction": "answers by email",
    "AdminSpaceFunction": "the animators' space",
}


def _table(stack: "LocalStack") -> Any:
    from palabre.store.table import DynamoTable

    return DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])


def _admins(stack: "LocalStack") -> list["Member"]:
    from palabre.core.models import Role
    from palabre.store.members import MemberStore

    return MemberStore(_table(stack)).with_role(Role.ADMIN)


def describe_upload(stack: "LocalStack", key: str, result: dict[str, Any]) -> Readable:
    """The import report as its reader reads it: the same words as its email, in the
    uploader's language when an active admin uploaded it, else the organisation's (the
    language its messages were written in)."""
    from palabre.core.i18n import translations
    from palabre.imports.report import ImportReport

    report = ImportReport.model_validate(result)
    uploader = _uploader(stack, key)
    admin = next((a for a in _admins(stack) if a.email == uploader), None)
    locale = admin.locale if admin else stack.parameters["DefaultLocale"]
    refused = admin is None and not report.ok and report.rows == 0
    told = _readable(report, locale, translations(TEMPLATES, locale), refused=refused)
    return _spaced(told) if locale == "fr" else told


def _spaced(told: Readable) -> Readable:
    """French spacing around the prose's punctuation, as the report's email has it (the
    where of an issue holds a cell's value as typed: left as it is)."""
    from palabre.core.typography import french

    return replace(
        told,
        headline=french(told.headline),
        figures=[french(line) for line in told.figures],
        sections=[
            (french(title), [(where, french(what)) for where, what in items])
            for title, items in told.sections
        ],
        advice=french(told.advice),
    )


def _uploader(stack: "LocalStack", key: str) -> str:
    s3 = stack.client("s3")
    bucket = stack.uploads_bucket(key.split("/", 1)[0])
    try:
        metadata = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {})
    except s3.exceptions.ClientError:
        return ""
    return str(metadata.get("uploader", "")).strip().lower()


def _readable(
    report: "ImportReport", locale: str, tr: "NullTranslations", *, refused: bool
) -> Readable:
    from palabre.core.i18n import translate

    def _(message: str, **values: object) -> str:
        return translate(tr, message, values)

    def counted(singular: str, plural: str, items: Sequence[object]) -> str:
        # ngettext picks the form; translate writes the number as the reader does
        return translate(
            _Picked(tr, tr.ngettext(singular, plural, len(items))), "", {"num": len(items)}
        )

    issues = [_issue(error, tr) for error in report.errors]
    if refused:
        return Readable(
            lang=locale,
            ok=False,
            headline=_("Nothing was changed: this file was refused, and not read."),
            advice=_("Only an active admin of the roster may change the roster or the calendar."),
            sections=[("", issues)],
        )
    if not report.ok:
        return Readable(
            lang=locale,
            ok=False,
            headline=counted(
                "Nothing was changed: the file has %(num)s error.",
                "Nothing was changed: the file has %(num)s errors.",
                report.errors,
            ),
            advice=_(
                "Fix them and upload the whole file again; it is imported only when every "
                "row is right."
            ),
            sections=[("", issues)],
        )
    sections: list[tuple[str, Sequence[tuple[str, str]]]] = []
    if report.skipped:
        title = counted("%(num)s row was skipped:", "%(num)s rows were skipped:", report.skipped)
        sections.append((title, [_issue(row, tr) for row in report.skipped]))
    if report.warnings:
        title = counted("%(num)s thing to know:", "%(num)s things to know:", report.warnings)
        sections.append((title, [_issue(row, tr) for row in report.warnings]))
    gone = (
        "Deactivated (no longer in the roster): %(n)s"
        if report.kind == "roster"
        else "Cancelled (future themes no longer in the calendar): %(n)s"
    )
    return Readable(
        lang=locale,
        ok=True,
        headline=_("The file was imported."),
        figures=[
            _("Rows read: %(n)s", n=report.rows),
            _("Created: %(n)s", n=report.created),
            _("Updated: %(n)s", n=report.updated),
            _("Unchanged: %(n)s", n=report.unchanged),
            _(gone, n=report.deactivated),
        ],
        sections=sections,
    )


class _Picked(gettext.NullTranslations):
    """A message ngettext already picked and translated, for translate() to fill in."""

    def __init__(self, source: gettext.NullTranslations, picked: str) -> None:
        super().__init__()
        self._info = source.info()  # its language: how the number is written
        self.picked = picked

    def gettext(self, message: str) -> str:
        return self.picked


def _issue(issue: "ReportError", tr: "NullTranslations") -> tuple[str, str]:
    """(where, what): 'Row 5 · column Fuseau horaire · “Europe/Pariss”', its message."""
    where = []
    if issue.row:
        where.append(tr.gettext("Row %(row)s") % {"row": issue.row})
    if issue.column:
        where.append(tr.gettext("column %(column)s") % {"column": issue.column})
    if issue.value:
        where.append(f"“{issue.value}”")
    return " · ".join(where), issue.message


def shortcuts(stack: "LocalStack") -> list[Shortcut]:
    """The demo's admin (or, once the roster names others, its first active admin) and a
    fresh link to their animators' space, as `palabre admin-link` would print it."""
    admins = _admins(stack)
    admin = next((a for a in admins if a.email == demo.ADMIN), admins[0] if admins else None)
    if admin is None:
        return []
    return [
        Shortcut(
            label="Open the animators' space",
            url=_link(stack, admin),
            note=f"as {admin.display_name} ({admin.email}), an admin of the roster",
        )
    ]


def admin_link(stack: "LocalStack", email: str) -> str:
    """`palabre admin-link --local EMAIL`: that active admin's link to their space, on
    the stack's clock; LookupError (a sentence) for anyone else."""
    address = email.strip().lower()
    admin = next((a for a in _admins(stack) if a.email == address), None)
    if admin is None:
        raise LookupError(
            f"{email.strip()} is not an active admin of the roster: give them the role "
            "admin in the roster first."
        )
    return _link(stack, admin)


def _link(stack: "LocalStack", admin: "Member") -> str:
    from palabre.core.links import Links
    from palabre.core.tokens import signer_from_secret

    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    base = stack.runtime.overrides.get("PUBLIC_BASE_URL") or _public_base_url(stack)
    link: str = Links(base, signer_from_secret(secret["SecretString"])).admin(
        admin.id, stack.clock()
    )
    return link


def _public_base_url(stack: "LocalStack") -> str:
    """The address the functions' links use (the stack's server's, once it serves)."""
    return next(
        f.environment["PUBLIC_BASE_URL"]
        for f in stack.provisioned.functions.values()
        if "PUBLIC_BASE_URL" in f.environment
    )
