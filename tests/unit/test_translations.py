"""Every message the code and the templates show has its French translation."""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.unit.examples import ROOT, TEMPLATES

KEYWORDS = {"N_": None, "_": None, "gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _message_ids() -> dict[str, str]:
    """msgid -> where it is first used, with the mapping babel.cfg gives `pybabel extract`."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, str] = {}
    for filename, line, message, _, _ in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(message, f"{filename}:{line}")
    return found


def _french() -> Catalog:
    with (TEMPLATES / "locales" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale="fr")


MESSAGES = _message_ids()
FRENCH = _french()


def test_extraction_finds_the_messages_of_code_and_templates() -> None:
    places = {Path(p.split(":")[0]).parts[0] for p in MESSAGES.values()}
    assert places == {"layers", "templates"}
    assert "The file is empty." in MESSAGES


@pytest.mark.parametrize("message", sorted(MESSAGES), ids=[m[:60] for m in sorted(MESSAGES)])
def test_message_has_a_french_translation_with_the_same_placeholders(message: str) -> None:
    translated = FRENCH.get(message)

    assert translated is not None, f"{MESSAGES[message]}: no msgid in the French catalog"
    assert translated.string, f"{MESSAGES[message]}: empty msgstr"
    assert sorted(PLACEHOLDER.findall(translated.string)) == sorted(PLACEHOLDER.findall(message))


HOSTILE = '<script>alert("x")</script> & 100%'
SAMPLE = (
    '{{ _("Hello %(name)s,", name=who) }}|{{ gettext("Your points: %(points)s", points=n) }}|'
    '{{ ngettext("your streak: %(num)s theme answered in a row", '
    '"your streak: %(num)s themes answered in a row", n) }}|'
    '{{ _("Your circle\'s participation this week: %(answers)s/%(prompts)s (%(percent)s %%).", '
    "answers=n, prompts=who, percent=n) }}|"
    '{{ ngettext("%(num)s answer by %(who)s", "%(num)s answers by %(who)s", 1, who=who) }}|'
    '{{ _("%(string)s, %(singular)s", string=who, singular=n) }}|'
    '{{ ngettext("%(num)s of %(plural)s", "%(num)s of %(plural)s", n, num=7, plural=who) }}'
)


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("n", [0, 1, 7])
def test_direct_gettext_renders_as_jinjas_i18n_extension(
    locale: str, autoescape: bool, n: int
) -> None:
    from jinja2 import Environment

    from palabre.core.i18n import translations
    from palabre.mail.render import _direct_gettext

    catalog = translations(TEMPLATES, locale)
    renders = []
    for direct in (False, True):
        env = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)
        env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
        if direct:
            env.globals.update(_direct_gettext(catalog, locale))
        renders.append(env.from_string(SAMPLE).render(who=HOSTILE, n=n))
    assert renders[0] == renders[1]
    assert ("&lt;script&gt;" in renders[1]) is autoescape


def test_a_compiled_catalog_translates_as_its_source(tmp_path: Path) -> None:
    from palabre.core.i18n import compile_catalogs, translations

    built = tmp_path / "templates"
    assert len(compile_catalogs(TEMPLATES, built)) == 1
    (built / "locales" / "fr" / "LC_MESSAGES" / "messages.po").write_text("broken", "utf-8")
    source, compiled = translations(TEMPLATES, "fr"), translations(built, "fr")
    with (TEMPLATES / "locales" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="fr")
    ids = [m.id for m in catalog if m.id]
    assert len(ids) > 100
    for message in ids:
        if isinstance(message, tuple):
            for n in (0, 1, 2, 5):
                assert compiled.ngettext(*message, n) == source.ngettext(*message, n)
        else:
            assert compiled.gettext(message) == source.gettext(message)
    assert compiled.gettext("Useful") != "Useful"
