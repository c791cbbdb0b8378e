"""The local console as a non-developer meets it, over real HTTP: every mistake is one
sentence on the organisation's wall clock (no UTC, no stack trace) and changes nothing,
and an upload's result reads as its report, in the uploader's language."""

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from palabre.core.i18n import translate, translations
from palabre.core.typography import french
from palabre_cli import demo
from sam_moto.runtime import Invocation
from sam_moto.server import LocalServer
from tests.conftest import TEMPLATES
from tests.functional.conftest import make_stack, mocked_aws, organisation_items
from tests.functional.console_http import (
    BROWSER,
    FORM,
    browser_post,
    call,
    json_post,
    served,
    upload,
)

HUGO = "hugo.bernard@demo.palabre.example"  # a plain member
BAD_ROSTER = (
    "Courriel;Prénom;Nom;Cercle;Équipe;Langue;Fuseau horaire\r\n"
    "hugo.bernard@demo.palabre.example;Hugo;Bernard;Bâtisseurs;Opérations;fr;Europe/Paris\r\n"
    "Hugo.Bernard@Demo.Palabre.Example;Hugo;Bernard;Bâtisseurs;Opérations;fr;Europe/Paris\r\n"
    "chloe.robert@demo.palabre.example;Chloé;Robert;Bâtisseurs;Produit;fr;Europe/Pariss\r\n"
    "ines.leroy@demo.palabre.example;Inès;Leroy;Bâtisseurs;Produit;fr;"
    "<img src=x onerror=alert(1)>\r\n"
).encode("cp1252")
HOSTILE = "<img src=x onerror=alert(1)>"
NOT_SHOWN = ("UTC", "+00:00", "+01:00", "Traceback", "Error")
"""what an error sentence never holds: UTC arithmetic, a stack trace, an exception's name"""


def fr(message: str, **values: object) -> str:
    """A message as a French reader reads it (the catalogue, numbers grouped, spacing)."""
    return french(translate(translations(TEMPLATES, "fr"), message, values))


def fr_plural(singular: str, plural: str, num: int) -> str:
    picked = translations(TEMPLATES, "fr").ngettext(singular, plural, num)
    return french(picked % {"num": num})


@pytest.fixture(scope="module")
def shared() -> Iterator[LocalServer]:
    """The demo organisation on the stack's clock (Monday 30 November, 08:00 in Paris),
    its console served; the tests here move nothing forward."""
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        stack = make_stack()
        stack.upload("roster", "demo-roster.csv", demo.roster())
        stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
        with served(stack) as server:
            yield server


@pytest.fixture
def console(shared: LocalServer) -> LocalServer:
    # each test forgets the clock and the clients' hooks (IAM) when it ends
    shared.stack.hooks.use_clock(shared.stack.clock)
    shared.stack.runtime.watch()
    return shared


@pytest.fixture
def unchanged(console: LocalServer) -> Iterator[None]:
    """Whatever the test does, the table (but its logs: the uploads' history) and the clock
    are as they were."""
    stack = console.stack
    before, clock = organisation_items(stack), stack.clock()
    yield
    assert organisation_items(stack) == before
    assert (stack.clock() - clock).total_seconds() < 60  # real time ran; nothing jumped


def assert_one_sentence(sentence: str) -> None:
    assert sentence.endswith("."), sentence
    assert "\n" not in sentence
    for shown in NOT_SHOWN:
        assert shown not in sentence, sentence


# ---------------------------------------------------------------------------- the clock
def test_a_post_from_another_sites_page_does_nothing(console: LocalServer, unchanged: None) -> None:
    """Given a web page elsewhere that posts to the developer's local console (a clock
    move, a drain) When their browser sends it (with that page's Origin)
    Then the console refuses it in one sentence, and nothing moves."""
    for path, body in (("/_local/clock", b"by=P7D"), ("/_local/drain", b"")):
        answer = call(
            console,
            "POST",
            path,
            body,
            {"Content-Type": FORM, "Accept": BROWSER, "Origin": "https://evil.example"},
        )
        assert answer.status == 403, path
        [alert] = answer.alerts()
        assert alert.startswith("This request came from another site's page"), alert
        assert_one_sentence(alert)


@pytest.mark.parametrize(
    ("form", "status", "sentence"),
    [
        (
            {"local": "2026-11-29T09:00"},
            409,
            r"The clock only moves forward: Sunday 29 November 2026, 09:00 is before the "
            r"clock, which shows Monday 30 November 2026, 08:0\d \(Europe/Paris\)\.",
        ),
        (
            {"local": "2027-03-28T02:30"},
            400,
            r"Sunday 28 March 2027, 02:30 does not exist in Europe/Paris: the clocks go "
            r"forward that night; pick a time an hour later\.",
        ),
        (
            {"local": "30/11/2026 9h"},
            400,
            r"“30/11/2026 9h” is not a date and time: pick one, e\.g\. 2026-12-01 at 09:00\.",
        ),
        (
            {"advance": "soon"},
            400,
            r"“soon” is not a duration: write PT2H for two hours, P1D for a day or P7D for "
            r"a week\.",
        ),
        ({}, 400, r"Pick the date and time to move the clock to, or press one of the buttons\."),
    ],
    ids=["backwards", "in-the-spring-gap", "not-a-date", "not-a-duration", "nothing"],
)
def test_a_clock_move_the_console_cannot_make_is_one_sentence_on_its_page(
    console: LocalServer, unchanged: None, form: dict[str, str], status: int, sentence: str
) -> None:
    """Given the console's clock form, without script
    When the move asked for cannot be made
    Then the console's page comes back with one sentence in local time, nothing moved."""
    answer = browser_post(console, "/_local/clock", **form)

    assert answer.status == status
    assert answer.headers["Content-Type"].startswith("text/html")
    [alert] = answer.alerts()
    assert re.fullmatch(sentence, alert), alert
    assert_one_sentence(alert)
    assert "<h1>Palabre — local stack</h1>" in answer.text  # the console, ready to try again


def test_a_program_moving_the_clock_back_gets_the_same_sentence_and_where_the_clock_is(
    console: LocalServer, unchanged: None
) -> None:
    answer = json_post(console, "/_local/clock", now="2026-11-29T09:00:00+01:00")

    assert answer.status == 409
    body = answer.json()
    assert body["message"].startswith(
        "The clock only moves forward: Sunday 29 November 2026, 09:00 is before the clock"
    )
    assert_one_sentence(body["message"])
    assert datetime.fromisoformat(body["now"]) >= datetime.fromisoformat(
        "2026-11-30T08:00:00+01:00"
    )


def test_a_time_without_its_offset_sent_by_a_program_is_refused_in_one_sentence(
    console: LocalServer, unchanged: None
) -> None:
    answer = json_post(console, "/_local/clock", now="2027-01-01T09:00")

    assert answer.status == 400
    assert answer.json()["message"] == (
        "“2027-01-01T09:00” does not say its offset from UTC: write it as "
        "2027-01-01T09:00+01:00, for example, or use the console's form."
    )


# ---------------------------------------------------------------------------- uploads
def test_an_upload_without_a_file_or_a_kind_is_refused_in_one_sentence(
    console: LocalServer, unchanged: None
) -> None:
    no_file = upload(console, "roster", None, b"")
    no_kind = upload(console, "roster.csv", "roster.csv", demo.roster())

    assert (no_file.status, no_file.alerts()) == (400, ["Choose the file to upload."])
    assert (no_kind.status, no_kind.alerts()) == (
        400,
        ["Say what the file is: calendar or roster."],
    )


def test_an_import_that_fails_before_its_report_says_so_without_its_stack_trace(
    console: LocalServer, unchanged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an import function that crashes before it writes any report
    stack = console.stack
    invoke = stack.runtime.invoke

    def crashing(function: str, event: Any) -> Invocation:
        if function != "ImportUploadFunction":
            return invoke(function, event)
        failed = Invocation(
            function=function,
            at=stack.clock(),
            error={
                "errorType": "KeyError",
                "errorMessage": "'Records'",
                "stackTrace": ["Traceback (most recent call last):\n", '  File "app.py"\n'],
            },
        )
        stack.runtime.history.append(failed)  # as the runtime records each run
        return failed

    monkeypatch.setattr(stack.runtime, "invoke", crashing)

    answer = upload(console, "roster", "effectifs.csv", demo.roster())

    assert answer.status == 502
    [alert] = answer.alerts()
    assert alert == (
        "The import of “effectifs.csv” stopped on an unexpected error before writing its "
        "report, and may have changed nothing: the recent invocations name the error."
    )
    assert "Traceback" not in answer.text
    # the recent invocations say which error, in a line
    assert "failed: KeyError: &#39;Records&#39;" in answer.text


def test_a_rejected_roster_reads_as_its_report_in_the_uploaders_language(
    console: LocalServer, unchanged: None
) -> None:
    """Given a roster with three faulty rows (one value hostile), uploaded by the demo's
    (French) admin
    Then the console shows the report's sentences in French, by row and column, the
    hostile value as text."""
    answer = upload(console, "roster", "effectifs.csv", BAD_ROSTER, uploader=demo.ADMIN)

    assert answer.status == 200
    page = answer.text
    assert '<div lang="fr">' in page
    assert "<pre>" not in page  # no JSON
    errors = fr_plural(
        "Nothing was changed: the file has %(num)s error.",
        "Nothing was changed: the file has %(num)s errors.",
        3,
    )
    assert f"<strong>{escaped(errors)}</strong>" in page
    assert (
        escaped(fr("Row %(row)s", row=4) + " · " + fr("column %(column)s", column="Fuseau horaire"))
        in page
    )
    assert "“Europe/Pariss”" in page
    assert HOSTILE not in page
    assert "“&lt;img src=x onerror=alert(1)&gt;”" in page
    assert (
        escaped(
            fr(
                "Fix them and upload the whole file again; it is imported only when every row "
                "is right."
            )
        )
        in page
    )


def test_an_imported_roster_reads_as_what_changed(console: LocalServer) -> None:
    answer = upload(console, "roster", "demo-roster.csv", demo.roster(), uploader=demo.ADMIN)

    assert answer.status == 200
    page = answer.text
    assert f"<strong>{escaped(fr('The file was imported.'))}</strong>" in page
    for line in (
        fr("Rows read: %(n)s", n=20),
        fr("Created: %(n)s", n=0),
        fr("Unchanged: %(n)s", n=20),
        fr("Deactivated (no longer in the roster): %(n)s", n=0),
    ):
        assert f"<li>{escaped(line)}</li>" in page


def test_a_file_from_a_plain_member_reads_as_refused_and_hostile_names_stay_text(
    console: LocalServer, unchanged: None
) -> None:
    # Given a roster that would make Hugo, a plain member, an admin, sent as from him, its
    # name and a cell hostile
    roster = b"".join(
        line.replace(b";member", b";admin").replace(b"Bernard", HOSTILE.encode())
        if line.startswith(HUGO.encode())
        else line
        for line in demo.roster().splitlines(keepends=True)
    )
    answer = upload(console, "roster", f"{HOSTILE}.csv", roster, uploader=HUGO)

    assert answer.status == 200
    page = answer.text
    refused = fr("Nothing was changed: this file was refused, and not read.")
    assert f"<strong>{escaped(refused)}</strong>" in page
    assert (
        escaped(fr("Only an active admin of the roster may change the roster or the calendar."))
        in page
    )
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in page


# ---------------------------------------------------------------------------- the rest
def test_the_console_opens_the_animators_space_of_the_demos_admin(
    console: LocalServer,
) -> None:
    """Given the demo organisation on the console
    When its reader follows "Open the animators' space"
    Then the space opens as the demo's admin (Camille Martin), in her language."""
    page = call(console, "GET", "/_local/", headers={"Accept": BROWSER}).text

    [href] = re.findall(
        r'<a class="action shortcut" href="([^"]+)">Open the animators&#39; space</a>', page
    )
    assert "as Camille Martin (camille.martin@demo.palabre.example)" in page
    assert href.startswith(f"{console.url}/admin/")
    space = call(
        console,
        "GET",
        urlsplit(href).path,
        headers={"Accept": BROWSER, "Host": urlsplit(console.url).netloc},
    )
    assert space.status == 200
    assert f"<h1>{escaped(fr('Dashboard'))}</h1>" in space.text


def test_admin_link_prints_an_active_admins_link_and_says_why_for_anyone_else(
    console: LocalServer,
) -> None:
    alice = call(console, "GET", "/_local/admin-link?email=Alice.David@demo.palabre.example")
    hugo = call(console, "GET", f"/_local/admin-link?email={HUGO}")
    nobody = call(console, "GET", "/_local/admin-link?email=")

    assert alice.status == 200
    assert alice.headers["Content-Type"] == "text/plain; charset=utf-8"
    link = alice.text.strip()
    assert link.startswith(f"{console.url}/admin/")
    assert call(console, "GET", urlsplit(link).path).status == 200
    assert (hugo.status, hugo.text) == (
        404,
        f"{HUGO} is not an active admin of the roster: give them the role admin in the "
        "roster first.\n",
    )
    assert nobody.status == 400
    assert nobody.json() == {"message": "Give the admin's address: /_local/admin-link?email=…"}


@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("/_local/nothing-here", "The console has no such page: its address is /_local/."),
        (
            "/_local/mail/no-such-id",
            "The mailbox holds no such email (it was emptied, or the stack restarted).",
        ),
        (
            "/_local/demo/secrets.txt",
            "The demo has no file named secrets.txt.",
        ),
        ("/_local/dlq/NoSuchQueue", "NoSuchQueue: not a dead-letter queue; try one of "),
    ],
    ids=["page", "email", "demo-file", "queue"],
)
def test_what_the_console_does_not_have_is_one_sentence(
    console: LocalServer, path: str, sentence: str
) -> None:
    page = call(console, "GET", path, headers={"Accept": BROWSER})
    program = call(console, "GET", path)

    assert page.status == program.status == 404
    assert '<p role="alert">' + escaped(sentence) in page.text
    assert '<a href="/_local/">Open the console</a>' in page.text
    assert program.json()["message"].startswith(sentence)
    assert_one_sentence(program.json()["message"])


def test_a_stack_still_starting_says_so_and_the_page_tries_again(console: LocalServer) -> None:
    with served(console.stack, starting="loading the demo organisation") as starting:
        page = call(starting, "GET", "/_local/", headers={"Accept": BROWSER})
        program = call(starting, "POST", "/_local/drain")
        api = call(starting, "GET", "/space/anything", headers={"Accept": BROWSER})

    sentence = (
        "The local stack is still starting (loading the demo organisation): this page will "
        "answer in a few seconds."
    )
    assert page.status == program.status == api.status == 503
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert f'<p role="status">{sentence}</p>' in page.text
    assert program.json() == {"message": sentence}


def test_a_browser_that_leaves_before_its_answer_is_no_error_but_a_real_one_is_told(
    console: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    for error in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset")):
        try:
            raise error
        except ConnectionError:
            console.handle_error(None, ("127.0.0.1", 50000))
    assert capsys.readouterr().err == ""

    try:
        raise ValueError("a bug in the stack")
    except ValueError:
        console.handle_error(None, ("127.0.0.1", 50000))
    assert "ValueError: a bug in the stack" in capsys.readouterr().err


def escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
