"""Translations: English message ids, French catalog in templates/locales.

Why gettext catalogs rather than one template per language: a page or email is written
once, so a fix to its layout reaches every language, and translators work on a .po file
with the usual tools. The repository keeps only the .po source: where there is no
compiled catalog beside it (the tests, the local stack) it is compiled at first use, a
few milliseconds once per process; the built templates layer carries the .mo that
`make build` compiled from it (checked against the source by tests/infra), which the
standard library reads without Babel.
"""

import gettext
import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

LOCALES = ("fr", "en")
_AS_TEXT = re.compile(r"%\((\w+)\)s")
SOURCE_LOCALE = "en"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


@cache
def translations(templates_dir: Path, locale: str) -> gettext.NullTranslations:
    if locale == SOURCE_LOCALE:
        return gettext.NullTranslations()
    po = templates_dir / "locales" / locale / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if mo.is_file():
        with mo.open("rb") as built:
            return gettext.GNUTranslations(built)
    with po.open("rb") as source:
        return gettext.GNUTranslations(compile_po(source, locale))


def compile_catalogs(templates_dir: Path, target: Path) -> list[Path]:
    """Every locale's .po of `templates_dir` compiled to its .mo under `target` (the
    templates layer's copy of it); returns the files written."""
    written = []
    for po in sorted(templates_dir.glob("locales/*/LC_MESSAGES/messages.po")):
        mo = target / po.relative_to(templates_dir).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            mo.write_bytes(compile_po(source, po.parts[-3]).getvalue())
        written.append(mo)
    return written


def compile_po(source: BinaryIO, locale: str) -> BytesIO:
    """A .po catalog compiled to .mo, in memory (Babel, as pybabel compile does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = BytesIO()
    write_mo(compiled, read_po(source, locale=locale))
    compiled.seek(0)
    return compiled


class Translatable(Exception):
    """Something the reader must fix, said in their language: `message` is a message id
    (marked with N_) with %(name)s fields filled from `params` once translated.

    The one error type that crosses into a page, an email or a report: a cell of an
    uploaded file, an answer form, a file refused whole."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, translations: gettext.NullTranslations) -> str:
        return translate(translations, self.message, self.params)


def translate(
    translations: gettext.NullTranslations, message: str, params: Mapping[str, object]
) -> str:
    """The message in the catalogue's language, its whole numbers written as its readers
    write them (5 000 in French, 5,000 in English), as the templates' counts are."""
    translated = translations.gettext(message)
    if not params:
        return translated
    locale = translations.info().get("language", "") or SOURCE_LOCALE
    shown = set(_AS_TEXT.findall(translated))  # %(n)d stays a number
    return translated % {k: _grouped(v, locale) if k in shown else v for k, v in params.items()}


class Dated(tuple[tuple[str, date], ...]):
    """Titles with their dates, for one sentence (a calendar's themes it would cancel):
    written as the reader writes them — « Titre » (22 décembre 2026), “Title” (December
    22, 2026) — the first `shown`, then how many more."""

    shown = 10

    def text(self, locale: str) -> str:
        from palabre.core.dates import format_date  # loaded only where a date is shown

        left, right = ("«\u00a0", "\u00a0»") if locale == "fr" else ("“", "”")
        listed = [
            f"{left}{title}{right} ({format_date(day, 'long', locale=locale)})"
            for title, day in self[: self.shown]
        ]
        more = len(self) - self.shown
        return ", ".join(listed) + (f" (+{more})" if more > 0 else "")


def _grouped(value: object, locale: str) -> object:
    if isinstance(value, Dated):
        return value.text(locale)
    if isinstance(value, int) and not isinstance(value, bool):
        from babel.numbers import format_decimal  # loaded only where a number is shown

        return format_decimal(value, locale=locale)
    return value
