"""core.text's folding rules."""

import unicodedata

import pytest

from palabre.core.text import one_line, strip_accents, without_spoofing


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


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("effectifs\r\nBcc: x@elsewhere.example.csv", "effectifs Bcc: x@elsewhere.example.csv"),
        ("a\u2028b\u2029c\x85d\x00e\x1bf", "a b c d e f"),
        ("facture\u202egpj.exe", "facturegpj.exe"),  # a bidi override would show "exe.jpg"
        ("a\u2066b\u2069\u200bc\ufeff", "abc"),
        ("  roster   2026.csv ", "roster 2026.csv"),
        ("\u2028\u202e", "…"),
        ("Équipe 😀.csv", "Équipe 😀.csv"),
    ],
)
def test_one_line_keeps_what_a_reader_sees_and_nothing_that_breaks_a_header(
    value: str, shown: str
) -> None:
    assert one_line(value) == shown


def test_one_line_cuts_a_long_value_with_an_ellipsis() -> None:
    assert one_line("x" * 500, 80) == "x" * 79 + "…"
    assert one_line("x" * 80, 80) == "x" * 80


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Rapport\u202efdp.exe", "Rapportfdp.exe"),  # right-to-left override
        ("\u2067Léa\u2069 Dubois", "Léa Dubois"),  # isolates
        ("pay\u200bpal", "paypal"),  # zero-width space
        ("Hu\u200cgo\u2060\ufeff", "Hugo"),  # non-joiner, word joiner, BOM
        ("a\u200db", "ab"),  # a joiner outside an emoji sequence
        ("\u200e\u200f\u061cok", "ok"),  # marks
        ("Léa Ærø Ñuñez", "Léa Ærø Ñuñez"),
        ("Ελληνικά — مرحبا — 日本語", "Ελληνικά — مرحبا — 日本語"),
        ("👩\u200d💻 et 🏳️\u200d🌈 et 👍🏽", "👩\u200d💻 et 🏳️\u200d🌈 et 👍🏽"),
    ],
    ids=[
        "rlo",
        "isolates",
        "zwsp",
        "invisible",
        "lone-zwj",
        "marks",
        "accents",
        "scripts",
        "emoji-sequences",
    ],
)
def test_bidi_controls_and_invisible_characters_go_letters_and_emoji_stay(
    typed: str, kept: str
) -> None:
    assert without_spoofing(typed) == kept
