"""Translations: English message ids, French catalog in templates/locales.

Why gettext catalogs rather than one template per language: a page or email is written
once, so a fix to its layout reaches every language, and translators work on a .po file
with the usual tools. The catalog is read from its .po source at first use (a few
milliseconds, once per cold start), so there is no compiled file to keep in sync.
"""

import gettext
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
