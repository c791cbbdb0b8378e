"""core.text's folding rules."""

import unicodedata

import pytest

from palabre.core.text import strip_accents


def _one_character_at_a_time(value: str) -> str:
    """strip_accents as it was first written: the rule it keeps."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain ascii, unchanged",
        "Élodie a décidé : « rétrospective » à l’œuvre, ça marche !",
        "Tiếng Việt: những dấu chồng lên nhau",  # stacked marks
        "ﬁn de ½ journée, Ⅻ, ㎏",  # compatibility forms NFKD rewrites
        "e\u0301 already decomposed, and a lone mark \u0301",
        "한국어, 日本語, עִבְרִית, العَرَبِيَّة",  # Hangul, CJK, Hebrew and Arabic points
        "emoji 👩🏽‍💻 and a variation selector ☺\ufe0f",
    ],
)
def test_accents_are_stripped_as_one_character_at_a_time(value: str) -> None:
    assert strip_accents(value) == _one_character_at_a_time(value)


def test_every_combining_mark_of_the_basic_plane_is_stripped() -> None:
    value = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    assert strip_accents(value) == _one_character_at_a_time(value)
