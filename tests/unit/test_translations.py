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
