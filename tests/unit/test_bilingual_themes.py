"""A theme in both languages (issue 11): the calendar's title_en/prompt_en/title_fr/
prompt_fr columns beside title/prompt (the organisation's language); each reader gets
theirs, else the theme's own; a translation that changes is a change."""

import pytest

from palabre.core.models import Audience, Theme, ThemeText
from palabre.imports.importer import validate_file
from palabre.store.themes import theme_from, theme_item
from tests.unit.examples import EN, ORG, PAST_THEME, TODAY, table_with
from tests.unit.test_import import _counts, _import

HEADER = "id,send_on,{columns},audience\n"


def calendar(columns: str, *cells: str) -> bytes:
    return (HEADER.format(columns=columns) + f"rituels,2027-03-08,{','.join(cells)},all\n").encode()


def check(data: bytes) -> tuple[list[tuple[int | None, str | None, str]], list[Theme]]:
    report, themes = validate_file("calendar", "c.csv", data, ORG, today=TODAY, translations=EN)
    return [(e.row, e.column, e.message) for e in report.errors], themes  # type: ignore[misc]


def test_a_theme_in_both_languages_keeps_each_with_its_rendered_prompt() -> None:
    """Given a French organisation's calendar row with title/prompt and title_en/prompt_en
    When it is validated
    Then the theme is French, with its English text and the English prompt rendered."""
    errors, [theme] = check(
        calendar(
            "titre,consigne,titre (anglais),prompt_en",
            "Nos rituels",
            "Racontez *un* rituel.",
            "Our rituals",
            "Tell us *one* ritual.",
        )
    )

    assert errors == []
    assert (theme.title, theme.lang) == ("Nos rituels", "fr")
    assert theme.translations == (
        ThemeText(
            lang="en",
            title="Our rituals",
            prompt="Tell us *one* ritual.",
            prompt_html="<p>Tell us <em>one</em> ritual.</p>\n",
        ),
    )
    assert (theme.title_for("en"), theme.title_for("en").lang) == ("Our rituals", "en")
    assert (theme.title_for("fr"), theme.title_for("fr").lang) == ("Nos rituels", "fr")
    assert theme.prompt_for("en") == "Tell us *one* ritual."


def test_a_theme_only_in_english_is_the_english_one_for_everybody() -> None:
    """Given a French organisation's row with only title_en and prompt_en
    When it is validated
    Then the theme's own text is English (lang en), which French readers get too."""
    errors, [theme] = check(calendar("title_en,prompt_en", "Our rituals", "Tell us."))

    assert errors == []
    assert (theme.title, theme.lang, theme.translations) == ("Our rituals", "en", ())
    assert theme.title_for("fr").lang == "en"


@pytest.mark.parametrize(
    ("columns", "cells", "expected"),
    [
        ("title_en,prompt_en", ("Our rituals", ""), [(2, "prompt_en", "A value is required.")]),
        (
            "title,prompt,title_en",
            ("Rituels", "Racontez.", "Our rituals"),
            [(2, "prompt_en", "A value is required.")],
        ),
        (
            "title,prompt",
            ("", ""),
            [(2, "title", "A value is required."), (2, "prompt", "A value is required.")],
        ),
        (
            "title,title_fr,prompt",
            ("Rituels", "Rituels bis", "Racontez."),
            [(2, "title_fr", "Columns title_fr and title both give it: keep one.")],
        ),
    ],
    ids=["english-title-alone", "a-translation-without-its-prompt", "nothing", "french-twice"],
)
def test_a_language_needs_its_title_and_its_prompt_once(
    columns: str, cells: tuple[str, ...], expected: list[tuple[int, str, str]]
) -> None:
    errors, themes = check(calendar(columns, *cells))

    assert errors == expected
    assert themes == []


def test_without_any_title_column_the_title_is_missing() -> None:
    errors, _ = check(b"send_on,prompt_en\n2027-03-08,Tell us.\n")

    assert errors[0] == (1, "title", "The required column title is missing.")


THEME = Theme(
    id="rituels",
    send_on=TODAY,
    title="Nos rituels",
    prompt="Racontez.",
    audience=Audience(everyone=True),
    lang="fr",
    translations=(ThemeText(lang="en", title="Our rituals", prompt="Tell us."),),
)


def test_the_translations_are_stored_and_read_back() -> None:
    # (None is no attribute: the table adapter writes none)
    stored = {k: v for k, v in theme_item(THEME).items() if v is not None}
    assert theme_from(stored) == THEME
    assert theme_item(PAST_THEME)["translations"] is None


def test_a_changed_translation_is_a_change_and_a_theme_stored_before_is_the_same() -> None:
    """Given a theme in both languages
    Then changing only its English prompt changes it; rendering again (prompt_html) or
    a theme stored before languages were kept (lang "") does not."""
    reworded = THEME.model_copy(
        update={"translations": (ThemeText(lang="en", title="Our rituals", prompt="Say."),)}
    )

    assert not THEME.same_as(reworded)
    assert THEME.same_as(THEME.model_copy(update={"lang": ""}))
    rendered = (ThemeText(lang="en", title="Our rituals", prompt="Tell us.", prompt_html="<p/>"),)
    assert THEME.same_as(THEME.model_copy(update={"translations": rendered}))


def test_a_past_theme_may_not_change_its_translation() -> None:
    """Given a past theme already imported (French only)
    When the calendar adds an English translation to it
    Then the upload is refused on its date, and nothing is written."""
    table = table_with([], [PAST_THEME])
    data = (
        "id,send_on,title,prompt,title_en,prompt_en,audience\n"
        f"{PAST_THEME.id},2027-02-15,{PAST_THEME.title},{PAST_THEME.prompt},T,P,all\n"
    ).encode()

    report = _import(table, "calendar", "c.csv", data)

    assert [(e.row, e.column) for e in report.errors] == [(2, "send_on")]
    assert _counts(report)[0] == 1
