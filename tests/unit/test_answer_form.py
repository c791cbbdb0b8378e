"""The answer form as posted: bounds, control characters, visibility, and what a member reads."""

import ast
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palabre.answers import answers
from palabre.answers.answers import MAX_ANSWER, AnswerForm, parse_form
from palabre.core.i18n import Translatable, translations
from palabre.core.local_time import iso_week
from palabre.core.models import Attribution, Visibility
from palabre.core.text import without_spoofing

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TOO_LONG = "Your answer is %(length)s characters long; the limit is %(limit)s."
CONTROL = (
    "Your answer contains invisible control characters (such as NUL); "
    "remove them and send it again."
)
EMPTY = "Write your answer before sending it."
VISIBILITY = "Choose who can read your answer."
ATTRIBUTION = "Choose whether to sign your answer with your name or to stay anonymous."


def posted(answer: str | None = None, visibility: str | None = None) -> dict[str, list[str]]:
    """The form as parse_qs gives it: each field a list of values."""
    fields = {}
    if answer is not None:
        fields["answer"] = [answer]
    if visibility is not None:
        fields["visibility"] = [visibility]
    return fields


def refusal(fields: dict[str, list[str]]) -> Translatable:
    with pytest.raises(Translatable) as raised:
        parse_form(fields)
    return raised.value


# ---------------------------------------------------------------------------------- length
@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ("x", "x"),
        ("  I ask what they need.  ", "I ask what they need."),
        ("\n\tindented first line\n", "indented first line"),
        ("é" * MAX_ANSWER, "é" * MAX_ANSWER),
        ("  " + "a" * MAX_ANSWER + "\n\n", "a" * MAX_ANSWER),
    ],
    ids=["one-character", "trimmed", "trimmed-newlines", "exactly-5000-accents", "5000-padded"],
)
def test_one_to_five_thousand_characters_after_trimming_are_accepted(
    answer: str, stored: str
) -> None:
    assert parse_form(posted(answer)).answer == stored


@pytest.mark.parametrize(
    ("answer", "length"),
    [
        ("a" * (MAX_ANSWER + 1), MAX_ANSWER + 1),
        (" " + "b" * 6000 + " ", 6000),
        ("c" * 30_000, 30_000),
    ],
    ids=["5001", "6000-padded", "far-too-long"],
)
def test_more_than_five_thousand_characters_is_refused_with_the_length(
    answer: str, length: int
) -> None:
    refused = refusal(posted(answer))

    assert refused.message == TOO_LONG
    assert refused.params == {"length": length, "limit": MAX_ANSWER}
    assert refused.message % refused.params == (
        f"Your answer is {length} characters long; the limit is 5000."
    )


def test_the_length_shown_counts_a_line_break_as_one_character() -> None:
    # Browsers post line breaks as CRLF; the limit counts each as one character, so the
    # length shown must too, or the member is told a number the form does not count.
    answer = "abcd\r\n" * 1000  # 6,000 as posted, 5,000 once normalised, 4,999 trimmed

    assert parse_form(posted(answer)).answer == ("abcd\n" * 1000).strip()
    refused = refusal(posted(answer + "x"))
    assert refused.params == {"length": 5001, "limit": MAX_ANSWER}


@pytest.mark.parametrize(
    "answer",
    ["", " ", "   \n\t  \r\n ", "\u00a0\u2003"],
    ids=["empty", "space", "whitespace-lines", "unicode-spaces"],
)
def test_an_empty_or_blank_answer_is_refused(answer: str) -> None:
    assert refusal(posted(answer)).message == EMPTY


def test_a_form_without_an_answer_field_is_refused_as_empty() -> None:
    assert refusal({"visibility": ["circle"]}).message == EMPTY
    assert refusal({"answer": []}).message == EMPTY


# ---------------------------------------------------------------------- control characters
@pytest.mark.parametrize(
    "character",
    ["\x00", "\x07", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9b"],
    ids=["NUL", "BEL", "BS", "VT", "ESC", "DEL", "NEL", "CSI"],
)
def test_control_characters_are_refused_with_a_clear_message(character: str) -> None:
    refused = refusal(posted(f"I ask{character} what they need."))

    assert refused.message == CONTROL
    assert "NUL" in refused.message


def test_a_lone_nul_is_refused_as_a_control_character_not_as_empty() -> None:
    assert refusal(posted("\x00")).message == CONTROL


def test_line_breaks_and_tabs_are_kept() -> None:
    form = parse_form(posted("First:\n\tlisten\nThen:\n\task"))

    assert form.answer == "First:\n\tlisten\nThen:\n\task"


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ("one\r\ntwo\r\n\r\nthree", "one\ntwo\n\nthree"),
        ("old\rmac", "old\nmac"),
        ("mixed\r\n\rend", "mixed\n\nend"),
    ],
    ids=["crlf", "lone-cr", "mixed"],
)
def test_line_breaks_are_normalised_to_lf(answer: str, stored: str) -> None:
    assert parse_form(posted(answer)).answer == stored


ANY_CHARACTER = st.characters(exclude_categories=("Cs",))
# Short texts, and a chunk repeated up to well past the limit (line breaks included).
POSTED = st.one_of(
    st.text(alphabet=ANY_CHARACTER, max_size=200),
    st.builds(
        lambda chunk, times: chunk * times,
        st.text(alphabet=st.sampled_from("ab é\r\n\t\x00"), min_size=1, max_size=12),
        st.integers(min_value=1, max_value=1500),
    ),
)


@settings(deadline=None, max_examples=150)
@given(text=POSTED)
def test_whatever_is_posted_is_either_a_clean_answer_or_a_known_refusal(text: str) -> None:
    # what a reader sees: line breaks as LF, no bidi control or invisible character
    cleaned = without_spoofing(text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    controls = [c for c in cleaned if unicodedata.category(c) == "Cc" and c not in "\n\t"]
    try:
        form = parse_form(posted(text))
    except Translatable as error:
        refused = error
    else:
        assert form.answer == cleaned
        assert 1 <= len(form.answer) <= MAX_ANSWER
        assert controls == []
        return
    if controls:
        assert refused.message == CONTROL
    elif not cleaned:
        assert refused.message == EMPTY
    else:
        assert refused.message == TOO_LONG
        assert refused.params["length"] == len(cleaned) > MAX_ANSWER


# ------------------------------------------------------------------------------ visibility
@pytest.mark.parametrize(
    ("value", "visibility"),
    [("circle", Visibility.CIRCLE), ("organisation", Visibility.ORGANISATION)],
    ids=["circle", "organisation"],
)
def test_circle_and_organisation_are_the_visibilities(value: str, visibility: Visibility) -> None:
    assert parse_form(posted("An answer", value)).visibility is visibility


@pytest.mark.parametrize(
    "value",
    ["", "public", "Circle", "ORGANISATION", "organization", "circle ", "team", "all"],
    ids=["empty", "public", "capitalised", "upper-case", "american", "space", "team", "all"],
)
def test_any_other_visibility_is_refused(value: str) -> None:
    assert refusal(posted("An answer", value)).message == VISIBILITY


def test_visibility_defaults_to_the_circle() -> None:
    assert parse_form(posted("An answer")).visibility is Visibility.CIRCLE
    assert parse_form({"answer": ["An answer"], "visibility": []}).visibility is Visibility.CIRCLE


def test_a_duplicated_field_takes_its_last_value() -> None:
    form = parse_form(
        {"answer": ["first draft", "final answer"], "visibility": ["organisation", "circle"]}
    )

    assert form == AnswerForm(answer="final answer", visibility=Visibility.CIRCLE)


def test_a_duplicated_field_is_judged_on_its_last_value() -> None:
    assert refusal({"answer": ["fine", "   "]}).message == EMPTY
    assert parse_form({"answer": ["\x00", "fine"]}).answer == "fine"


def test_the_answer_is_checked_before_the_visibility() -> None:
    assert refusal(posted("", "nobody")).message == EMPTY


def test_an_answer_is_signed_unless_its_author_chooses_anonymous() -> None:
    assert parse_form(posted("An answer")).attribution is Attribution.NAMED
    anonymous = parse_form(posted("An answer") | {"attribution": ["named", "anonymous"]})
    assert anonymous.attribution is Attribution.ANONYMOUS


@pytest.mark.parametrize("value", ["", "anonyme", "Anonymous", "signed", "anonymous "])
def test_any_other_signature_is_refused(value: str) -> None:
    assert refusal(posted("An answer") | {"attribution": [value]}).message == ATTRIBUTION


# ----------------------------------------------------------------------------- translations
REFUSALS = {
    "too-long": posted("a" * (MAX_ANSWER + 1)),
    "control": posted("\x1b[31m"),
    "empty": posted("  "),
    "visibility": posted("fine", "everyone"),
    "attribution": posted("fine") | {"attribution": ["nobody"]},
}


def _marked_messages() -> set[str]:
    """Every message id answers.py marks with N_(): a new refusal cannot skip the catalog."""
    tree = ast.parse(Path(answers.__file__).read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "N_"
        and isinstance(node.args[0], ast.Constant)
    }


def test_every_refusal_is_a_marked_message() -> None:
    raised = {refusal(fields).message for fields in REFUSALS.values()}

    assert raised == {TOO_LONG, CONTROL, EMPTY, VISIBILITY, ATTRIBUTION}
    assert raised <= _marked_messages()


@pytest.mark.parametrize("message", sorted(_marked_messages()))
def test_every_answer_message_has_a_french_translation(message: str) -> None:
    french = translations(TEMPLATES, "fr").gettext(message)

    assert french != message
    assert french.strip()
    if "%(" in message:
        params = {"length": 5001, "limit": 5000}
        assert "5001" in french % params
        assert "5000" in french % params


# -------------------------------------------------------------------------------- iso week
@pytest.mark.parametrize(
    ("moment", "week"),
    [
        (datetime(2027, 3, 16, 9, 0, tzinfo=UTC), "2027-W11"),
        (datetime(2026, 12, 31, 12, 0, tzinfo=UTC), "2026-W53"),  # 2026 has 53 ISO weeks
        (datetime(2027, 1, 3, 23, 0, tzinfo=UTC), "2026-W53"),  # Sunday: still 2026's week
        (datetime(2027, 1, 4, 0, 0, tzinfo=UTC), "2027-W01"),
        (datetime(2024, 12, 30, 8, 0, tzinfo=UTC), "2025-W01"),  # Monday: already 2025's
        (datetime(2027, 1, 10, 12, 0, tzinfo=UTC), "2027-W01"),
    ],
    ids=["ordinary", "w53", "sunday-of-w53", "first-monday", "december-in-w01", "padded"],
)
def test_iso_week_is_the_iso_year_and_zero_padded_week(moment: datetime, week: str) -> None:
    assert iso_week(moment) == week


def test_iso_week_reads_the_day_in_the_zone_it_is_given() -> None:
    # Sunday 23:30 UTC is already Monday in Paris: the week follows the organisation's day.
    sunday_night = datetime(2027, 1, 3, 23, 30, tzinfo=UTC)

    assert iso_week(sunday_night) == "2026-W53"
    assert iso_week(sunday_night.astimezone(ZoneInfo("Europe/Paris"))) == "2027-W01"
