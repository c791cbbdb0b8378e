"""A POST to the animators' space must come from its own pages (issue 12 §1)."""

import pytest

from palabre.admin.origin import ForeignOrigin, check_origin

HOST = "palabre.example.org"


@pytest.mark.parametrize(
    "origin",
    [
        "https://palabre.example.org",
        "https://PALABRE.example.org",
        "https://palabre.example.org/",
        "http://palabre.example.org",  # the local stack serves http
    ],
)
def test_the_spaces_own_origin_is_accepted(origin: str) -> None:
    check_origin(origin, HOST)


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "",
        "null",
        "https://evil.example",
        "https://palabre.example.org.evil.example",
        "https://palabre.example.org:8443",
        "https://evil@palabre.example.org",
        "ftp://palabre.example.org",
        "palabre.example.org",
    ],
)
def test_any_other_origin_is_refused_in_the_admins_language(origin: str | None) -> None:
    with pytest.raises(ForeignOrigin) as refused:
        check_origin(origin, HOST, "fr")
    assert refused.value.locale == "fr"


def test_a_request_without_a_host_is_refused() -> None:
    with pytest.raises(ForeignOrigin):
        check_origin("https://palabre.example.org", "")
