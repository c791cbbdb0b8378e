"""The animators' CSV exports for an English organisation: `,` and a decimal point, as
English Excel splits and reads them (test_admin_exports.py has the French one's)."""

import pytest

from tests.functional.conftest import demo_organisation, make_stack, mocked_aws
from tests.functional.test_admin_exports import download, read_csv
from tests.functional.test_dispatch import LEA
from tests.functional.test_scores import answer


def test_an_english_organisations_csv_is_comma_separated_with_a_decimal_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given an English organisation where Léa alone has answered the first theme, When
    its (French-speaking) admin downloads participation.csv, Then `,` between cells and a
    rate with a decimal point (`5.9`), as English Excel reads them; the headers in the
    admin's own language."""
    with mocked_aws(monkeypatch):
        stack = demo_organisation(make_stack(DefaultLocale="en"))
        answer(stack, LEA, "One idea, then another.")
        stack.drain()

        rows = read_csv(download(stack, "participation.csv")[1], ",")

    assert rows[0][:3] == ["Thème (id)", "Envoyé le", "Thème"]
    [everyone] = [row for row in rows if row[4] == "Organisation"]
    assert everyone[1] == "2026-12-01"
    assert everyone[6:] == ["17", "1", "5.9"]
