"""Translations: English message ids, French catalog in templates/locales.

Why gettext catalogs rather than one template per language: a page or email is written
once, so a fix to its layout reaches every language, and translators work on a .po file
with the usual tools. The catalog is read from its .po source at first use (a few
milliseconds, once per cold start), so there is no compiled file to keep in sync.
"""

import gettext
from collections.abc import Mapping
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("fr", "en")
SOURCE_LOCALE = "en"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


@cache
def translations(templates_dir: Path, locale: str) -> gettext.NullTranslations:
    if locale == SOURCE_LOCALE:
        return gettext.NullTranslations()
    po = templates_dir / "locales" / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


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
    translated = translations.gettext(message)
    return translated % params if params else translated
