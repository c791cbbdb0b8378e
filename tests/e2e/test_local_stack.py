"""The local stack over HTTP, as a newcomer uses it after `make run`."""

from datetime import datetime, timedelta
from typing import Any

from palabre_cli import demo
from tests.e2e.conftest import ARTIFACTS, CLOCK_START, Local

MAIL_KEYS = {"id", "from", "to", "subject", "date", "headers", "text", "html", "attachments"}
BAD_ROSTER = (
    "Courriel;Prénom;Nom;Cercle;Équipe;Langue;Fuseau horaire\r\n"
    "hugo.bernard@demo.palabre.example;Hugo;Bernard;Bâtisseurs;Opérations;fr;Europe/Paris\r\n"
    "Hugo.Bernard@Demo.Palabre.Example;Hugo;Bernard;Bâtisseurs;Opérations;fr;Europe/Paris\r\n"
    "léa.dubois@demo.palabre.example;Léa;Dubois;Bâtisseurs;Produit;fr;Europe/Paris\r\n"
    "chloe.robert@demo.palabre.example;Chloé;Robert;Bâtisseurs;Produit;fr;Europe/Pariss\r\n"
).encode("cp1252")


def mailbox(local: Local) -> list[dict[str, Any]]:
    response = local.request("GET", "/_local/mail")
    assert response.status == 200
    return response.json()


def test_the_demo_organisation_is_loaded_and_its_reports_are_in_the_mailbox(local: Local) -> None:
    mails = mailbox(local)
    subjects = [m["subject"] for m in mails[:2]]
    assert subjects == [
        "Import Palabre de demo-roster.csv\u00a0: terminé",
        "Import Palabre de demo-calendar.yaml\u00a0: terminé",
    ]
    for mail in mails[:2]:
        assert set(mail) == MAIL_KEYS
        assert mail["to"] == [demo.ADMIN]
        assert mail["html"].startswith("<!DOCTYPE html>")
        assert "Créées\u00a0: 20" in mails[0]["text"]
        assert mail["headers"]["Content-Type"].startswith("multipart/alternative")


def test_uploading_the_demo_roster_again_reports_everything_unchanged(local: Local) -> None:
    response = local.upload("roster", "demo-roster.csv", demo.roster())
    assert response.status == 200
    report = response.json()
    assert report == {
        "ok": True,
        "kind": "roster",
        "rows": 20,
        "created": 0,
        "updated": 0,
        "unchanged": 20,
        "deactivated": 0,
        "errors": [],
        "skipped": [],
        "warnings": [],
    }


def test_a_bad_excel_csv_names_each_faulty_row_and_changes_nothing(local: Local) -> None:
    response = local.upload("roster", "effectifs.csv", BAD_ROSTER, uploader=demo.ADMIN)
    report = response.json()
    assert report["ok"] is False
    assert [(e["row"], e["column"], e["value"]) for e in report["errors"]] == [
        (3, "Courriel", "Hugo.Bernard@Demo.Palabre.Example"),
        (4, "Courriel", "léa.dubois@demo.palabre.example"),
        (5, "Fuseau horaire", "Europe/Pariss"),
    ]
    # Nothing changed: the demo roster is still exactly what is stored
    again = local.upload("roster", "demo-roster.csv", demo.roster()).json()
    assert (again["unchanged"], again["deactivated"]) == (20, 0)
    # and the uploader got the report by email, in French
    [rejected] = [m for m in mailbox(local) if "effectifs.csv" in m["subject"]]
    assert rejected["subject"] == (
        "Import Palabre de effectifs.csv\u00a0: 3 erreurs, rien n'a changé"
    )
    assert rejected["to"] == [demo.ADMIN]
    assert "Ligne 5, colonne Fuseau horaire" in rejected["text"]


def test_an_email_is_readable_as_a_page_and_as_text(local: Local) -> None:
    first = mailbox(local)[0]
    page = local.request("GET", f"/_local/mail/{first['id']}")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert b"Import de roster/demo-roster.csv" in page.body
    text = local.request("GET", f"/_local/mail/{first['id']}?part=text")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.body.decode() == first["text"]
    assert local.request("GET", "/_local/mail/no-such-id").status == 404


def test_the_clock_only_moves_forward(local: Local) -> None:
    start = datetime.fromisoformat(local.request("GET", "/_local/clock").json()["now"])
    assert start >= datetime.fromisoformat(CLOCK_START)

    moved = local.request("POST", "/_local/clock", json_body={"advance": "PT2H"})
    assert moved.status == 200
    now = datetime.fromisoformat(moved.json()["now"])
    assert timedelta(hours=2) <= now - start < timedelta(hours=2, minutes=1)
    assert start.utcoffset() == now.utcoffset() == timedelta(0)  # the JSON speaks UTC
    assert isinstance(moved.json()["ran"], list)

    target = (now + timedelta(days=1)).isoformat()
    assert local.request("POST", "/_local/clock", json_body={"now": target}).status == 200

    backwards = local.request("POST", "/_local/clock", json_body={"now": CLOCK_START})
    assert backwards.status == 409
    assert datetime.fromisoformat(backwards.json()["now"]) >= datetime.fromisoformat(target)

    assert local.request("POST", "/_local/clock", json_body={"advance": "soon"}).status == 400
    assert (
        local.request("POST", "/_local/clock", json_body={"now": "2027-01-01T09:00"}).status == 400
    )


def test_drain_runs_pending_work_until_idle(local: Local) -> None:
    response = local.request("POST", "/_local/drain")
    assert response.status == 200
    assert response.json() == {"ran": []}


def test_mail_can_be_emptied(local: Local) -> None:
    assert local.request("DELETE", "/_local/mail").status == 204
    assert mailbox(local) == []


def test_an_upload_through_the_console_form_in_chromium(local: Local, page: Any, tmp_path) -> None:
    roster = tmp_path / "demo-roster.csv"
    roster.write_bytes(demo.roster())

    page.goto(f"{local.url}/_local/")
    assert page.title() == "Palabre — local stack"
    page.set_input_files("#file", str(roster))
    page.select_option("#kind", "roster")
    page.fill("#uploader", demo.ADMIN)
    page.click("button:has-text('Upload')")

    page.wait_for_selector("text=Report for roster/demo-roster.csv")
    assert "imported" in page.inner_text("#report h3")
    # in sentences, in the admin's language, as the report's email says it
    assert "Inchangées\u00a0: 20" in page.inner_text("#report [lang=fr]")
    page.screenshot(path=str(ARTIFACTS / "console-upload.png"), full_page=True)

    # The report email is in the mailbox section, and opens as a page
    page.goto(f"{local.url}/_local/")
    with page.expect_navigation():
        page.click("text=HTML >> nth=0")
    assert "Import de roster/demo-roster.csv" in page.inner_text("h1")


def test_a_file_from_a_plain_member_is_refused_and_the_admins_read_why_on_a_phone(
    local: Local, browser: Any
) -> None:
    # Given a roster that would make Hugo, a plain member, an admin, sent as from him, under
    # a hostile name longer than a phone is wide
    name = "<img src=x onerror=document.title=1>" + "effectifs-" * 12 + ".csv"
    hugo = "hugo.bernard@demo.palabre.example"
    roster = b"".join(
        line.replace(b";member", b";admin") if line.startswith(hugo.encode()) else line
        for line in demo.roster().splitlines(keepends=True)
    )
    report = local.upload("roster", name, roster, uploader=hugo).json()
    assert report["ok"] is False

    # Then each active admin (not Hugo) has an email saying who sent it and why
    refused = [m for m in mailbox(local) if "refusé" in m["subject"]]
    assert sorted(m["to"][0] for m in refused) == [
        "alice.david@demo.palabre.example",
        demo.ADMIN,
    ]
    assert hugo in refused[0]["text"]

    # And it reads on a phone: nothing wider than the screen, the name shown, not run
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{local.url}/_local/mail/{refused[0]['id']}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert "<img src=x" in page.locator("h1").inner_text()
        assert page.title() != "1"
        page.screenshot(path=str(ARTIFACTS / "import-refused-phone.png"), full_page=True)
    finally:
        context.close()
