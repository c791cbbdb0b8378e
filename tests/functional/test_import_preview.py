"""Upload with a preview, then apply (issue 12 §2): what a file would change, by name;
the guards on files dropped in the bucket (mass deactivation, cancelled themes); the
admin space's upload form, its Apply and Decline; the history of uploads."""

import html
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from palabre.core.models import member_id
from palabre.imports.report import Change, Changes, ImportReport
from palabre.store.activity import ActivityLog
from palabre.store.import_history import ImportHistory
from palabre.store.table import DynamoTable
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.admin import admin_get, admin_path, admin_post
from tests.functional.conftest import (
    dynamodb_item,
    make_stack,
    organisation_items,
    sent,
)

ADMIN = demo.ADMIN
OTHER_ADMIN = "alice.david@demo.palabre.example"
LEAVING = [
    "hugo.bernard@demo.palabre.example",
    "lea.dubois@demo.palabre.example",
    "lucas.thomas@demo.palabre.example",
    "chloe.robert@demo.palabre.example",
    "manon.petit@demo.palabre.example",
]
HOSTILE = '<script>alert("x")</script> & Zoë'
HOSTILE_FILE = '<img src=x onerror=alert("x")> & Zoë'
"""a file name: no slash"""


def roster_without(*addresses: str, extra: str = "") -> bytes:
    lines = demo.roster().decode().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(addresses)] if addresses else lines
    return ("".join(kept) + extra).encode()


def calendar_of(stack: LocalStack, keep: int, *, february: bool = False) -> bytes:
    """The demo calendar's first `keep` themes (and a theme in February)."""
    themes = yaml.safe_load(demo.calendar(stack.clock().date()))["themes"]
    kept = themes[:keep]
    if february:
        kept.append(
            themes[0]
            | {"id": "february", "send_on": "2027-02-02", "title": "Février : nos réussites"}
        )
    return yaml.safe_dump({"themes": kept}, allow_unicode=True).encode()


def history(stack: LocalStack) -> ImportHistory:
    return ImportHistory(
        DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])
    )


def activity(stack: LocalStack) -> list[tuple[str, str, str]]:
    log = ActivityLog(
        DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])
    )
    return [(a.admin_email, a.action.value, str(a.detail.get("file"))) for a in log.recent()[0]]


def active(stack: LocalStack, address: str) -> bool:
    return dynamodb_item(stack, f"MEMBER#{member_id(address)}", "PROFILE")["active"]["BOOL"]


def stored_json(stack: LocalStack, key: str) -> dict[str, Any]:
    body = stack.client("s3").get_object(Bucket=stack.uploads_bucket(key.split("/")[0]), Key=key)
    loaded: dict[str, Any] = json.loads(body["Body"].read())
    return loaded


def drop(stack: LocalStack, kind: str, name: str, data: bytes, **metadata: str) -> Any:
    """A file Camille drops in the bucket (the CLI, automation): its report."""
    return stack.upload(kind, name, data, {"uploader": ADMIN, **metadata})


@pytest.fixture
def org(aws: None) -> LocalStack:
    """The demo organisation's roster and calendar, nothing sent yet."""
    stack = make_stack()
    drop(stack, "roster", "demo-roster.csv", demo.roster())
    drop(stack, "calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
    stack.clear_mail()
    return stack


# ---------------------------------------------------------------------------- the guards
def test_a_roster_deactivating_more_than_a_fifth_waits_for_a_confirmation_naming_them(
    org: LocalStack,
) -> None:
    """Given the demo's 20 active people, when a roster without 5 of them (25 %) is
    dropped in the bucket, then nothing changes, and the report and its email say why,
    naming each; with the confirmation, the same file is applied."""
    before = organisation_items(org)

    report = drop(org, "roster", "roster.csv", roster_without(*LEAVING))

    assert report["ok"] is False
    assert report["status"] == "needs_confirmation"
    assert report["deactivated"] == 5
    [reason] = report["guard"]
    for name in ("Hugo Bernard", "Léa Dubois", "Lucas Thomas", "Chloé Robert", "Manon Petit"):
        assert name in reason
    assert "5" in reason
    assert "20" in reason
    assert sorted(c["detail"] for c in report["changes"]["removed"]) == sorted(LEAVING)
    assert organisation_items(org) == before
    # the preview is kept beside the file, and the upload waits in the history
    assert stored_json(org, "roster/roster.csv.preview.json")["changes"] == report["changes"]
    upload, *_ = history(org).latest()[0]
    assert (upload.status, upload.deactivated, upload.uploader) == ("needs_confirmation", 5, ADMIN)
    # the admin's email names them, and says how to confirm
    [message] = sent(org)
    assert message["To"] == ADMIN
    # (in French once the catalogue has it: "en attente de votre confirmation")
    assert "roster.csv" in message["Subject"]
    assert "confirmation" in message["Subject"]
    plain = message.get_body(("plain",)).get_content()
    assert "Léa Dubois" in plain
    assert "lea.dubois@demo.palabre.example" in plain
    assert "--confirm" in plain

    # When the same file comes with the confirmation (`palabre upload --confirm`)
    confirmed = org.upload(
        "roster", "roster.csv", roster_without(*LEAVING), {"uploader": ADMIN, "confirm": "yes"}
    )

    # Then it is applied, and its report still names who left
    assert (confirmed["ok"], confirmed["status"], confirmed["deactivated"]) == (True, "applied", 5)
    assert confirmed["guard"] == []
    assert len(confirmed["changes"]["removed"]) == 5
    assert not any(active(org, address) for address in LEAVING)


def test_a_roster_deactivating_a_fifth_exactly_is_applied(org: LocalStack) -> None:
    report = drop(org, "roster", "roster.csv", roster_without(*LEAVING[:4]))

    assert (report["status"], report["deactivated"], report["guard"]) == ("applied", 4, [])
    assert not active(org, LEAVING[0])
    assert active(org, LEAVING[4])


def test_max_deactivation_is_the_stacks_parameter(aws: None) -> None:
    stack = make_stack(MaxDeactivation="30")
    stack.upload("roster", "demo-roster.csv", demo.roster())

    assert stack.upload("roster", "roster.csv", roster_without(*LEAVING))["status"] == "applied"


def test_a_calendar_cancelling_three_scheduled_themes_waits_naming_each_by_title_and_date(
    org: LocalStack,
) -> None:
    """The field's story: a one-row "February" calendar silently cancelled three
    scheduled themes, the live session among them, with a green report."""
    before = organisation_items(org)

    report = drop(org, "calendar", "fevrier.yaml", calendar_of(org, 3, february=True))

    assert report["status"] == "needs_confirmation"
    assert report["deactivated"] == 3
    assert organisation_items(org) == before
    first = demo.first_tuesday_after(org.clock().date())
    removed = report["changes"]["removed"]
    assert [(c["name"], c["detail"], c["live"]) for c in removed] == [
        ("Vos one-to-ones", (first + timedelta(weeks=3)).isoformat(), False),
        ("Réussir une arrivée", (first + timedelta(weeks=4)).isoformat(), False),
        ("Atelier live : le feedback en pratique", (first + timedelta(weeks=5)).isoformat(), True),
    ]
    [reason] = report["guard"]
    assert "«\u00a0Atelier live : le feedback en pratique\u00a0» (5 janvier 2027)" in reason
    [created] = report["changes"]["created"]
    assert created["name"] == "Février : nos réussites"
    plain = sent(org)[-1].get_body(("plain",)).get_content()
    assert "Atelier live" in plain
    assert "2027-01-05" in plain
    assert "Vos one-to-ones" in plain


def test_a_calendar_cancelling_two_themes_is_applied_and_its_report_names_them(
    org: LocalStack,
) -> None:
    report = drop(org, "calendar", "calendar.yaml", calendar_of(org, 4))

    assert (report["status"], report["deactivated"]) == ("applied", 2)
    assert [c["name"] for c in report["changes"]["removed"]] == [
        "Réussir une arrivée",
        "Atelier live : le feedback en pratique",
    ]
    # the email that used to be green and silent names them
    plain = sent(org)[-1].get_body(("plain",)).get_content()
    assert "Réussir une arrivée" in plain
    assert dynamodb_item(org, "THEME#demo-6", "THEME")["active"] == {"BOOL": False}


def test_a_change_names_the_fields_it_changes(org: LocalStack) -> None:
    moved = (
        demo.roster()
        .decode()
        .replace(
            "lea.dubois@demo.palabre.example;Léa;Dubois;Bâtisseurs;Produit",
            "lea.dubois@demo.palabre.example;Léa;Dubois;Passeurs;Produit",
        )
    )

    report = drop(org, "roster", "roster.csv", moved.encode())

    [change] = report["changes"]["updated"]
    assert (change["name"], change["fields"]) == ("Léa Dubois", ["Cercle"])


# ---------------------------------------------------------------------------- preview mode
def test_a_preview_writes_nothing_but_the_preview_and_the_history(org: LocalStack) -> None:
    before = organisation_items(org)

    report = org.upload(
        "roster", "roster.csv", roster_without(LEAVING[0]), {"uploader": ADMIN, "mode": "preview"}
    )

    assert (report["ok"], report["status"], report["deactivated"]) == (True, "previewed", 1)
    assert report["changes"]["removed"][0]["name"] == "Hugo Bernard"
    assert organisation_items(org) == before
    assert active(org, LEAVING[0])
    assert stored_json(org, "roster/roster.csv.preview.json")["status"] == "previewed"
    # read on the page that asked for it: no email
    assert sent(org) == []
    upload, *_ = history(org).latest()[0]
    assert upload.status == "previewed"
    assert activity(org) == [(ADMIN, "upload", "roster.csv")]


# ---------------------------------------------------------------------------- Apply, Decline
def preview_as(stack: LocalStack, uploader: str, data: bytes) -> str:
    """A roster previewed from the admin space by `uploader`: its upload's id."""
    stack.upload("roster", "roster.csv", data, {"uploader": uploader, "mode": "preview"})
    [upload, *_] = history(stack).latest()[0]
    return upload.id


def test_apply_applies_the_previewed_file_as_the_links_admin(org: LocalStack) -> None:
    # Given a roster previewed by Alice, that would deactivate 5 people (past the guard)
    upload_id = preview_as(org, OTHER_ADMIN, roster_without(*LEAVING))
    path = admin_path(org, ADMIN)
    status, page = admin_get(org, f"{path}/imports/{upload_id}")
    assert status == 200
    assert "Léa Dubois" in page
    assert f'action="{path}/imports/{upload_id}/apply"' in page
    assert f'action="{path}/imports/{upload_id}/decline"' in page

    # When Camille applies it from her space
    status, headers, _ = admin_post(org, f"{path}/imports/{upload_id}/apply")
    assert status == 303
    assert headers["Location"] == f"{path}/imports/{upload_id}?notice=applying"
    org.drain()

    # Then it is applied past the guard, as Camille's: hers the report, hers the history
    assert not any(active(org, address) for address in LEAVING)
    head = org.client("s3").head_object(
        Bucket=org.uploads_bucket("roster"), Key="roster/roster.csv"
    )
    upload = history(org).get(upload_id)
    assert upload is not None
    assert head["Metadata"] == {
        "uploader": ADMIN,
        "history": upload_id,
        "previewed": upload.confirms,
    }
    assert (upload.status, upload.decided_by, upload.deactivated) == ("applied", ADMIN, 5)
    [message] = sent(org)
    assert message["To"] == ADMIN
    assert stored_json(org, "roster/roster.csv.report.json")["status"] == "applied"
    assert activity(org)[0] == (ADMIN, "apply-import", "roster.csv")
    # its page shows the report, and the preview it came from
    status, page = admin_get(org, f"{path}/imports/{upload_id}")
    assert "/apply" not in page
    assert f"{path}/imports/{upload_id}?show=preview" in html.unescape(page)
    assert "Léa Dubois" in admin_get(org, f"{path}/imports/{upload_id}", "show=preview")[1]

    # And a second Apply (a double click, another tab) does nothing more
    org.clear_mail()
    status, headers, _ = admin_post(org, f"{path}/imports/{upload_id}/apply")
    assert headers["Location"].endswith("?notice=decided")
    org.drain()
    assert sent(org) == []


def test_apply_is_refused_to_a_bad_link_and_from_another_site(org: LocalStack) -> None:
    upload_id = preview_as(org, ADMIN, roster_without(*LEAVING))
    before = organisation_items(org)
    refused = {
        "a member's link": admin_path(org, LEAVING[0]),
        "an expired link": admin_path(org, ADMIN, org.clock() - timedelta(days=15)),
    }
    for why, path in refused.items():
        assert admin_post(org, f"{path}/imports/{upload_id}/apply")[0] == 404, why
        assert admin_get(org, f"{path}/imports/{upload_id}")[0] == 404, why
    path = admin_path(org, ADMIN)
    status, _, _page = admin_post(
        org, f"{path}/imports/{upload_id}/apply", from_origin="https://evil.example"
    )
    assert status == 403
    assert admin_post(org, f"{path}/imports/{upload_id}/apply", from_origin=None)[0] == 403
    # an upload that does not exist is the plain 404
    assert admin_post(org, f"{path}/imports/20260101T000000000000Z-00000000/apply")[0] == 404
    assert admin_get(org, f"{path}/imports/{HOSTILE}")[0] == 404

    org.drain()
    assert organisation_items(org) == before
    upload = history(org).get(upload_id)
    assert upload is not None
    assert upload.status == "previewed"


def test_a_file_replaced_since_its_preview_is_not_applied(org: LocalStack) -> None:
    upload_id = preview_as(org, ADMIN, roster_without(*LEAVING))
    # someone puts another roster under the same name, unread yet
    org.client("s3").put_object(
        Bucket=org.uploads_bucket("roster"), Key="roster/roster.csv", Body=roster_without()
    )
    path = admin_path(org, ADMIN)

    _status, headers, _ = admin_post(org, f"{path}/imports/{upload_id}/apply")

    assert headers["Location"].endswith("?notice=changed")
    upload = history(org).get(upload_id)
    assert upload is not None
    assert upload.status == "previewed"
    assert all(active(org, address) for address in LEAVING)


def test_decline_records_the_decision_and_changes_nothing(org: LocalStack) -> None:
    upload_id = preview_as(org, ADMIN, roster_without(*LEAVING))
    before = organisation_items(org)
    path = admin_path(org, ADMIN)

    status, headers, _ = admin_post(org, f"{path}/imports/{upload_id}/decline")

    assert (status, headers["Location"]) == (303, f"{path}/imports/{upload_id}?notice=declined")
    org.drain()
    assert organisation_items(org) == before
    upload = history(org).get(upload_id)
    assert upload is not None
    assert (upload.status, upload.decided_by) == ("declined", ADMIN)
    assert activity(org)[0] == (ADMIN, "decline-import", "roster.csv")
    # declined, it can no longer be applied
    assert admin_post(org, f"{path}/imports/{upload_id}/apply")[1]["Location"].endswith(
        "?notice=decided"
    )


def test_names_and_titles_on_a_preview_are_escaped(org: LocalStack) -> None:
    newcomer = (
        f"zz@demo.palabre.example;{HOSTILE};{HOSTILE};Passeurs;Produit;fr;Europe/Paris;member\n"
    )
    upload_id = preview_as(org, ADMIN, roster_without(extra=newcomer))
    path = admin_path(org, ADMIN)

    status, page = admin_get(org, f"{path}/imports/{upload_id}")

    assert status == 200
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Zoë" in page
    assert "zz@demo.palabre.example" in page


# ---------------------------------------------------------------------------- the upload form
def upload_form(page: str, kind: str) -> tuple[str, dict[str, str]]:
    """The form's action and hidden fields, as a browser reads them."""
    for form in re.findall(r'<form class="upload"(.*?)</form>', page, re.S):
        fields = {
            html.unescape(n): html.unescape(v)
            for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', form)
        }
        if fields["key"].startswith(f"{kind}/"):
            [action] = re.findall(r'action="([^"]*)"', form)
            return html.unescape(action), fields
    raise AssertionError(f"no {kind} form")


@pytest.fixture
def form(org: LocalStack) -> tuple[LocalStack, str, str, dict[str, str]]:
    """The roster's upload form of Camille's imports page: the stack, her space's path,
    the form's action and its hidden fields."""
    path = admin_path(org, ADMIN)
    status, page = admin_get(org, f"{path}/imports")
    assert status == 200
    action, fields = upload_form(page, "roster")
    return org, path, action, fields


def post_file(action: str, fields: dict[str, str], name: str, data: bytes) -> requests.Response:
    return requests.post(
        action, data=fields, files={"file": (name, data)}, allow_redirects=False, timeout=10
    )


def test_the_upload_form_posts_straight_to_the_bucket_as_the_links_admin_for_a_preview(
    form: tuple[LocalStack, str, str, dict[str, str]],
) -> None:
    org, path, action, fields = form
    before = organisation_items(org)

    response = post_file(action, fields, f"{HOSTILE_FILE}.csv", roster_without(*LEAVING))

    # S3 stores it and sends the browser back to the imports page, with the key
    assert response.status_code == 303, response.text
    back = urlsplit(response.headers["Location"])
    assert (back.scheme, back.netloc, back.path) == ("http", "palabre.example", f"{path}/imports")
    [_key] = re.findall(r"key=([^&]+)", back.query)
    query = back.query
    # ... where it is being checked until the import has read it
    assert "notice" in admin_get(org, f"{path}/imports", query)[1]
    org.drain()

    status, page = admin_get(org, f"{path}/imports", query)
    assert status == 200
    upload, *_ = history(org).latest()[0]
    assert (upload.uploader, upload.status, upload.deactivated) == (ADMIN, "previewed", 5)
    assert upload.key.startswith("roster/web/")
    assert upload.key.endswith(f"{HOSTILE_FILE}.csv")
    assert 'role="status"' not in page  # checked: no longer "being checked"
    assert f'href="{path}/imports/{upload.id}"' in page
    assert "<img" not in page
    assert "&lt;img src=x" in page
    assert organisation_items(org) == before
    # nothing was applied, and the page asks for the decision
    status, page = admin_get(org, f"{path}/imports/{upload.id}")
    assert "<img" not in page
    assert f"{path}/imports/{upload.id}/apply" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("x-amz-meta-uploader", OTHER_ADMIN),
        ("x-amz-meta-mode", "apply"),
        ("key", "roster/elsewhere/${filename}"),
        ("success_action_redirect", "https://evil.example/"),
    ],
)
def test_the_upload_forms_policy_refuses_any_other_uploader_mode_or_place(
    form: tuple[LocalStack, str, str, dict[str, str]], field: str, value: str
) -> None:
    org, _, action, fields = form
    keys_before = org.client("s3").list_objects_v2(Bucket=org.uploads_bucket("roster"))["KeyCount"]

    response = post_file(action, fields | {field: value}, "roster.csv", roster_without())

    assert response.status_code == 403
    assert "AccessDenied" in response.text
    after = org.client("s3").list_objects_v2(Bucket=org.uploads_bucket("roster"))["KeyCount"]
    assert after == keys_before


def test_a_field_left_out_of_the_policy_is_refused(
    form: tuple[LocalStack, str, str, dict[str, str]],
) -> None:
    _org, _, action, fields = form
    assert (
        post_file(action, fields | {"x-amz-meta-confirm": "yes"}, "r.csv", b"x").status_code == 403
    )
    without_mode = {k: v for k, v in fields.items() if k != "x-amz-meta-mode"}
    assert post_file(action, without_mode, "r.csv", b"x").status_code == 403


def test_the_imports_page_may_post_to_the_bucket_only(
    form: tuple[LocalStack, str, str, dict[str, str]],
) -> None:
    org, path, action, _ = form
    _status, headers, _ = org.api(
        method="GET",
        path=f"{path}/imports",
        query="",
        headers={"Host": "palabre.example"},
        body=b"",
    )
    policy = dict(headers)["Content-Security-Policy"]
    origin = f"{urlsplit(action).scheme}://{urlsplit(action).netloc}"
    assert f"form-action 'self' {origin};" in policy
    # every other page keeps its own
    _, headers, _ = org.api(
        method="GET", path=path, query="", headers={"Host": "palabre.example"}, body=b""
    )
    assert "form-action 'self';" in dict(headers)["Content-Security-Policy"]


# ---------------------------------------------------------------------------- the history
def test_the_history_lists_each_upload_with_its_outcome_newest_first(org: LocalStack) -> None:
    drop(org, "roster", "bad.csv", b"email\nnot-an-address\n")
    drop(org, "roster", "guarded.csv", roster_without(*LEAVING))
    org.upload(
        "roster", f"{HOSTILE_FILE}.csv", roster_without(), {"uploader": ADMIN, "mode": "preview"}
    )
    path = admin_path(org, ADMIN)

    status, page = admin_get(org, f"{path}/imports")

    assert status == 200
    history_list = page.split('<ul class="uploads">', 1)[1].split("</ul>", 1)[0]
    rows = re.findall(r"<li>(.*?)</li>", history_list, re.S)
    files = [re.findall(r'<a href="[^"]*">(.*?)</a>', row)[0] for row in rows]
    assert files == [
        "&lt;img src=x onerror=alert(&#34;x&#34;)&gt; &amp; Zoë.csv",
        "guarded.csv",
        "bad.csv",
        "demo-calendar.yaml",
        "demo-roster.csv",
    ]
    assert all(ADMIN in row for row in rows)
    assert "<img" not in page
    # each says what came of it, with its counts
    statuses = [u.status for u in history(org).latest()[0]]
    assert statuses == ["previewed", "needs_confirmation", "rejected", "applied", "applied"]
    outcomes = [re.sub(r"<[^>]+>|\s+", " ", row.split("<br>", 2)[2]).strip() for row in rows]
    assert len(set(outcomes[:3])) == 3
    assert re.search(r"\b5\b", outcomes[1])  # deactivated, were it applied
    assert re.search(r"\b20\b", outcomes[4])  # created
    # the waiting ones are listed apart, a click from their decision
    pending = page.split('<ul class="uploads">', 1)[0]
    assert pending.count(f"{path}/imports/") == 2


def test_the_history_is_paged(org: LocalStack) -> None:
    for n in range(26):
        drop(org, "roster", f"same-{n:02d}.csv", demo.roster())
    path = admin_path(org, ADMIN)

    page = admin_get(org, f"{path}/imports")[1]

    assert "same-25.csv" in page
    assert "same-01.csv" in page
    assert "same-00.csv" not in page
    [older] = re.findall(r'href="[^"]*/imports\?before=([^"]+)"', page)
    page = admin_get(org, f"{path}/imports", f"before={older}")[1]
    assert "same-00.csv" in page
    assert "demo-roster.csv" in page
    assert "same-01.csv" not in page


def test_names_in_a_reports_email_are_escaped_and_on_one_line(org: LocalStack) -> None:
    newcomer = (
        f"zz@demo.palabre.example;{HOSTILE}\u202e;Zo\u200bë;Passeurs;Produit;fr;Europe/Paris;"
        "member\n"
    )

    report = drop(org, "roster", "roster.csv", roster_without(extra=newcomer))

    assert report["status"] == "applied"
    [message] = sent(org)
    html_part = message.get_body(("html",)).get_content()
    assert "<script>" not in html_part
    assert "&lt;script&gt;" in html_part
    plain = message.get_body(("plain",)).get_content()
    assert "zz@demo.palabre.example" in plain
    for part in (plain, html_part):
        assert "\u202e" not in part
        assert "\u200b" not in part


def test_palabre_upload_confirm_applies_past_the_guard(org: LocalStack, tmp_path: Any) -> None:
    """Given a roster that deactivates a quarter of the members, when `palabre upload`
    puts it, it waits; then with `--confirm` (the object's `confirm=yes`), it is applied."""
    from palabre_cli.main import main

    roster = tmp_path / "effectifs.csv"
    roster.write_bytes(roster_without(*LEAVING))
    bucket = org.uploads_bucket("roster")
    argv = ["upload", str(roster), "--kind", "roster", "--bucket", bucket, "--uploader", ADMIN]

    assert main([*argv, "--no-wait"]) == 0
    head = org.client("s3").head_object(Bucket=bucket, Key="roster/effectifs.csv")
    assert head["Metadata"] == {"uploader": ADMIN}
    org.drain()
    assert all(active(org, address) for address in LEAVING)

    assert main([*argv, "--no-wait", "--confirm"]) == 0
    head = org.client("s3").head_object(Bucket=bucket, Key="roster/effectifs.csv")
    assert head["Metadata"] == {"uploader": ADMIN, "confirm": "yes"}
    org.drain()
    assert not any(active(org, address) for address in LEAVING)


# ---------------------------------------------------------------------------- what Apply binds
def test_apply_of_an_old_preview_deactivating_more_now_waits_with_a_fresh_preview(
    org: LocalStack,
) -> None:
    """Given Alice's preview of a roster that would deactivate one person, when the roster
    changes since (another admin adds newcomers the file does not list) and Camille
    applies the old preview, then nothing is deactivated past the guard: the upload waits
    for a confirmation with a fresh preview naming everyone it would now deactivate, and
    a second Apply, of that preview, applies it."""
    upload_id = preview_as(org, OTHER_ADMIN, roster_without(LEAVING[0]))
    newcomers = "".join(
        f"new{n}@demo.palabre.example;Nouveau;N{n};Passeurs;Produit;fr;Europe/Paris;member\n"
        for n in range(10)
    )
    assert drop(org, "roster", "grown.csv", roster_without(extra=newcomers))["status"] == "applied"
    org.clear_mail()
    path = admin_path(org, ADMIN)

    _status, headers, _ = admin_post(org, f"{path}/imports/{upload_id}/apply")
    assert headers["Location"].endswith("?notice=applying")
    org.drain()

    # 11 of the 30 active would leave: held, and nothing changed
    assert active(org, LEAVING[0])
    assert active(org, "new0@demo.palabre.example")
    upload = history(org).get(upload_id)
    assert upload is not None
    assert (upload.status, upload.deactivated) == ("needs_confirmation", 11)
    status, page = admin_get(org, f"{path}/imports/{upload_id}")
    assert status == 200
    assert "Nouveau N0" in page
    assert f"{path}/imports/{upload_id}/apply" in page
    assert "11" in page

    # When she applies what she now sees, it is applied
    admin_post(org, f"{path}/imports/{upload_id}/apply")
    org.drain()
    assert not active(org, LEAVING[0])
    assert not active(org, "new0@demo.palabre.example")
    upload = history(org).get(upload_id)
    assert upload is not None
    assert (upload.status, upload.deactivated) == ("applied", 11)


def test_apply_of_a_preview_past_the_guard_applies_what_it_showed(org: LocalStack) -> None:
    """Given a preview deactivating 5 of 20 (past the guard) and a roster unchanged since,
    when it is applied, then the preview is the confirmation: it is applied."""
    upload_id = preview_as(org, ADMIN, roster_without(*LEAVING))
    path = admin_path(org, ADMIN)

    admin_post(org, f"{path}/imports/{upload_id}/apply")
    org.drain()

    assert not any(active(org, address) for address in LEAVING)
    head = org.client("s3").head_object(
        Bucket=org.uploads_bucket("roster"), Key="roster/roster.csv"
    )
    assert "confirm" not in head["Metadata"]  # no blanket confirmation


# ---------------------------------------------------------------------------- forged reports
def test_a_report_or_preview_posted_through_the_upload_form_is_never_shown(
    form: tuple[LocalStack, str, str, dict[str, str]],
) -> None:
    """Given a harmful roster uploaded through the form (it deactivates 5 people), when
    the same form posts a forged report and preview beside it that show nothing harmful,
    then the upload's page never shows them as the file's report or preview."""
    org, path, action, fields = form
    assert post_file(action, fields, "harm.csv", roster_without(*LEAVING)).status_code == 303
    org.drain()
    upload, *_ = history(org).latest()[0]
    forged = ImportReport(
        ok=True,
        kind="roster",
        rows=20,
        status="previewed",
        created=1,
        changes=Changes(created=[Change(name="Forged Harmless", detail="x@y.example")]),
    ).model_dump()
    for suffix in (".report.json", ".preview.json"):
        response = post_file(action, fields, f"harm.csv{suffix}", json.dumps(forged).encode())
        assert response.status_code == 303, response.text
    org.drain()

    _status, page = admin_get(org, f"{path}/imports/{upload.id}")
    assert _status == 200
    assert "Forged Harmless" not in page
    # applied, its page offers no forged preview either
    admin_post(org, f"{path}/imports/{upload.id}/apply")
    org.drain()
    post_file(action, fields, "harm.csv.preview.json", json.dumps(forged).encode())
    org.drain()
    for query in ("", "show=preview"):
        status, page = admin_get(org, f"{path}/imports/{upload.id}", query)
        assert status == 200
        assert "Forged Harmless" not in page


# ---------------------------------------------------------------------------- the history's ids
def test_a_file_naming_another_uploads_id_does_not_rewrite_its_history(org: LocalStack) -> None:
    """Given an upload previewed (and another being applied), when a file is dropped in
    the bucket with `history=<its id>`, then neither upload's history changes: the file
    is recorded as an upload of its own."""
    previewed = preview_as(org, ADMIN, roster_without(*LEAVING))
    applying = preview_as(org, ADMIN, roster_without(LEAVING[0]))
    history(org).decide(applying, "applying", ADMIN, org.clock())
    before = {i: history(org).get(i) for i in (previewed, applying)}

    for upload_id in (previewed, applying):
        drop(org, "roster", "other.csv", demo.roster(), history=upload_id, confirm="yes")

    assert {i: history(org).get(i) for i in (previewed, applying)} == before
    files = [u.file for u in history(org).latest()[0]]
    assert files[:2] == ["other.csv", "other.csv"]


# ---------------------------------------------------------------------------- an Apply cut short
def test_an_upload_left_applying_by_an_apply_cut_short_can_be_applied_after_ten_minutes(
    org: LocalStack,
) -> None:
    """Given an Apply that stopped between its decision and its copy 11 minutes ago (the
    upload says "applying", the file was never copied), when an admin applies it again,
    then it is applied."""
    upload_id = preview_as(org, ADMIN, roster_without(LEAVING[0]))
    history(org).decide(upload_id, "applying", OTHER_ADMIN, org.clock() - timedelta(minutes=11))
    path = admin_path(org, ADMIN)

    _status, headers, _ = admin_post(org, f"{path}/imports/{upload_id}/apply")

    assert headers["Location"].endswith("?notice=applying")
    org.drain()
    assert not active(org, LEAVING[0])
    upload = history(org).get(upload_id)
    assert upload is not None
    assert (upload.status, upload.decided_by) == ("applied", ADMIN)


def test_an_upload_applying_for_less_than_ten_minutes_or_copied_is_not_taken_again(
    org: LocalStack,
) -> None:
    """Given an Apply decided 5 minutes ago, and another 11 minutes ago whose file was
    copied (its import is on its way), when an admin applies or declines either, then
    nothing is done: the Apply in flight stays the one."""
    recent = preview_as(org, ADMIN, roster_without(LEAVING[0]))
    history(org).decide(recent, "applying", OTHER_ADMIN, org.clock() - timedelta(minutes=5))
    org.upload("roster", "copied.csv", roster_without(), {"uploader": ADMIN, "mode": "preview"})
    [copied_upload, *_] = history(org).latest()[0]
    copied = copied_upload.id
    history(org).decide(copied, "applying", OTHER_ADMIN, org.clock() - timedelta(minutes=11))
    bucket = org.uploads_bucket("roster")
    org.client("s3").copy_object(
        Bucket=bucket,
        Key=copied_upload.key,
        CopySource={"Bucket": bucket, "Key": copied_upload.key},
        MetadataDirective="REPLACE",
        Metadata={"uploader": OTHER_ADMIN, "history": copied},
    )
    path = admin_path(org, ADMIN)

    for upload_id in (recent, copied):
        for action in ("apply", "decline"):
            _status, headers, _ = admin_post(org, f"{path}/imports/{upload_id}/{action}")
            assert headers["Location"].endswith("?notice=decided"), (upload_id, action)
        upload = history(org).get(upload_id)
        assert upload is not None
        assert (upload.status, upload.decided_by) == ("applying", OTHER_ADMIN)


def test_an_upload_left_applying_can_be_declined_after_ten_minutes(org: LocalStack) -> None:
    upload_id = preview_as(org, ADMIN, roster_without(LEAVING[0]))
    history(org).decide(upload_id, "applying", OTHER_ADMIN, org.clock() - timedelta(minutes=11))
    path = admin_path(org, ADMIN)

    _status, headers, _ = admin_post(org, f"{path}/imports/{upload_id}/decline")

    assert headers["Location"].endswith("?notice=declined")
    org.drain()
    assert active(org, LEAVING[0])
    upload = history(org).get(upload_id)
    assert upload is not None
    assert (upload.status, upload.decided_by) == ("declined", ADMIN)


def test_apply_of_a_calendar_preview_confirms_the_cancellations_it_showed_and_no_others(
    org: LocalStack,
) -> None:
    """Given a calendar previewed cancelling three themes, when another upload adds a
    theme the previewed file does not list before it is applied, then Apply holds it (it
    would now cancel four) with a fresh preview; applied again, the four are cancelled."""
    org.upload(
        "calendar",
        "fevrier.yaml",
        calendar_of(org, 3, february=True),
        {"uploader": ADMIN, "mode": "preview"},
    )
    [upload, *_] = history(org).latest()[0]
    assert (upload.status, upload.deactivated) == ("previewed", 3)
    grown = yaml.safe_load(demo.calendar(org.clock().date()))["themes"]
    grown.append(grown[-1] | {"id": "extra", "title": "En plus"})
    extra = yaml.safe_dump({"themes": grown}, allow_unicode=True).encode()
    assert drop(org, "calendar", "grown.yaml", extra)["status"] == "applied"
    path = admin_path(org, ADMIN)

    admin_post(org, f"{path}/imports/{upload.id}/apply")
    org.drain()

    held = history(org).get(upload.id)
    assert held is not None
    assert (held.status, held.deactivated) == ("needs_confirmation", 4)
    assert dynamodb_item(org, "THEME#extra", "THEME")["active"] == {"BOOL": True}
    assert "En plus" in admin_get(org, f"{path}/imports/{upload.id}")[1]

    admin_post(org, f"{path}/imports/{upload.id}/apply")
    org.drain()

    applied = history(org).get(upload.id)
    assert applied is not None
    assert applied.status == "applied"
    assert dynamodb_item(org, "THEME#extra", "THEME")["active"] == {"BOOL": False}


def test_a_file_sent_again_under_the_same_name_never_lends_its_report_to_the_former(
    org: LocalStack,
) -> None:
    """Given a roster dropped in the bucket and held (5 people would leave), when another
    file is dropped under the same name (its report written over the first's), then the
    first upload's page says its report was replaced and offers no Apply, and the second's
    shows its own report."""
    drop(org, "roster", "roster.csv", roster_without(*LEAVING))
    held = history(org).latest()[0][0]
    drop(org, "roster", "roster.csv", roster_without(LEAVING[0]))
    latest = history(org).latest()[0][0]
    assert (held.deactivated, latest.deactivated) == (5, 1)

    space = admin_path(org, ADMIN)
    status, page = admin_get(org, f"{space}/imports/{held.id}")
    assert status == 200
    assert "imports/" + held.id + "/apply" not in page
    assert "imports/" + held.id + "/decline" in page
    assert "Léa Dubois" not in page  # nothing of the later file's report
    assert 'role="status"' in page

    status, page = admin_get(org, f"{space}/imports/{latest.id}")
    assert status == 200
    assert "Hugo Bernard" in html.unescape(page)


def test_the_page_of_a_file_applied_without_a_preview_shows_its_report(org: LocalStack) -> None:
    """Given the demo roster dropped in the bucket and applied at once (no preview kept,
    and the space's role may not list the bucket: S3 answers 403 for the missing preview)
    When its page in the history is opened
    Then it shows its report, with no link to a preview."""
    upload = next(u for u in history(org).latest()[0] if u.file == "demo-roster.csv")

    status, page = admin_get(org, f"{admin_path(org, ADMIN)}/imports/{upload.id}")

    assert status == 200
    assert "demo-roster.csv" in page
    assert "show=preview" not in page


def test_a_file_applied_keeps_its_preview_though_the_copy_has_another_etag(
    org: LocalStack,
) -> None:
    """Given a previewed roster applied from the space, its copy given another ETag than
    the file sent (as S3 gives the copy of a file sent in parts: "…-2" becomes a plain
    one), its report written for the copy
    When its page is opened
    Then the preview it was applied from is still linked and shown (it was written for
    the file as sent), and its report is its own."""
    upload_id = preview_as(org, OTHER_ADMIN, roster_without(*LEAVING))
    path = admin_path(org, ADMIN)
    admin_post(org, f"{path}/imports/{upload_id}/apply")
    org.drain()
    # the copy's ETag, as S3 would give it for a file sent in parts
    copied = '"0123456789abcdef0123456789abcdef"'
    table = org.provisioned.tables["PalabreTable"]
    org.client("dynamodb").update_item(
        TableName=table,
        Key={"PK": {"S": "IMPORTS"}, "SK": {"S": upload_id}},
        UpdateExpression="SET etag = :e",
        ExpressionAttributeValues={":e": {"S": copied}},
    )
    s3, bucket = org.client("s3"), org.uploads_bucket("roster")
    key = "roster/roster.csv.report.json"
    s3.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key},
        MetadataDirective="REPLACE",
        Metadata={"written-for": copied},
        ContentType="application/json",
    )

    status, page = admin_get(org, f"{path}/imports/{upload_id}")

    assert status == 200
    assert f"{path}/imports/{upload_id}?show=preview" in html.unescape(page)
    assert "Léa Dubois" in admin_get(org, f"{path}/imports/{upload_id}", "show=preview")[1]


def test_a_file_deleted_since_its_preview_is_not_applied_and_says_so(org: LocalStack) -> None:
    """Given a previewed roster whose file was deleted since (the bucket's lifecycle, an
    operator), which this role sees as a 403: it may not list the bucket
    When Camille applies it
    Then nothing is applied and the page says the file is no longer the one checked."""
    upload_id = preview_as(org, ADMIN, roster_without(*LEAVING))
    org.client("s3").delete_object(Bucket=org.uploads_bucket("roster"), Key="roster/roster.csv")
    path = admin_path(org, ADMIN)

    status, headers, _ = admin_post(org, f"{path}/imports/{upload_id}/apply")

    assert status == 303
    assert headers["Location"].endswith("?notice=changed")
    assert all(active(org, address) for address in LEAVING)
    upload = history(org).get(upload_id)
    assert upload is not None
    assert upload.pending
