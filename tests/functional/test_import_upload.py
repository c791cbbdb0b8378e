"""The import journey against moto: S3 event -> import -> report beside it -> email."""

import json
import time
from typing import Any

import pytest

from palabre.core.directory import Directory
from palabre.core.i18n import translations
from palabre.core.models import Member, member_id
from palabre.core.retention import expires_at
from palabre.store.members import MemberStore, directory_fields
from palabre.store.table import DynamoTable
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.conftest import TEMPLATES
from tests.functional.conftest import (
    make_stack,
    organisation_items,
    put_member_item,
    s3_event,
    sent,
    table_items,
)

ADMIN = demo.ADMIN
ALICE = "alice.david@demo.palabre.example"
BAD_ROSTER = (
    "Courriel;Prénom;Nom;Cercle;Équipe;Fuseau horaire\r\n"
    "anne.leroux@demo.palabre.example;Anne;Le Roux;Bâtisseurs;Opérations;Europe/Paris\r\n"
    "ANNE.LEROUX@demo.palabre.example;Anne;Leroux;Bâtisseurs;Opérations;Europe/Paris\r\n"
    "marc.faure@demo.palabre.example;Marc;Fauré;Éclaireurs;Produit;Paris/France\r\n"
).encode("cp1252")


def put(stack: LocalStack, key: str, data: bytes, uploader: str | None = None) -> None:
    stack.client("s3").put_object(
        Bucket=stack.uploads_bucket(key.split("/")[0]),
        Key=key,
        Body=data,
        Metadata={"uploader": uploader} if uploader else {},
    )


def import_file(stack: LocalStack, key: str, data: bytes, uploader: str | None = None) -> Any:
    put(stack, key, data, uploader)
    return run_import(stack, key, len(data))


def run_import(stack: LocalStack, key: str, size: int) -> Any:
    """The import function on the notification of an object already in the bucket."""
    event_name = "import_upload/roster-uploaded.json"
    if key.startswith("calendar/"):
        event_name = "import_upload/calendar-uploaded.json"
    event = s3_event(stack, event_name, key=key, size=size)
    invocation = stack.runtime.invoke("ImportUploadFunction", event)
    assert invocation.error is None, invocation.error
    return invocation.result["reports"][key]


def without_lock(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table but the import lock, which records each import's upload time, and the
    history of uploads."""
    return [i for i in items if not i["SK"]["S"].startswith("LOCK#") and i["PK"]["S"] != "IMPORTS"]


def member_item(stack: LocalStack, address: str) -> dict[str, Any]:
    table = stack.provisioned.tables["PalabreTable"]
    key = {"PK": {"S": f"MEMBER#{member_id(address)}"}, "SK": {"S": "PROFILE"}}
    return stack.client("dynamodb").get_item(TableName=table, Key=key).get("Item", {})


def test_roster_is_imported_reported_beside_the_upload_and_emailed(stack: LocalStack) -> None:
    # Given the demo roster dropped by its admin
    # When the notification reaches the handler
    report = import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)

    # Then every member is stored, the report sits beside the upload, and the admin has it
    changes = report.pop("changes")
    assert report == {
        "ok": True,
        "kind": "roster",
        "rows": 20,
        "status": "applied",
        "created": 20,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "errors": [],
        "skipped": [],
        "warnings": [],
        "guard": [],
    }
    # each member created is named, by name and address
    assert len(changes["created"]) == 20
    assert {"name": "Léa Dubois", "detail": "lea.dubois@demo.palabre.example"}.items() <= next(
        c for c in changes["created"] if c["name"] == "Léa Dubois"
    ).items()
    assert changes["updated"] == changes["removed"] == []
    assert member_item(stack, "lea.dubois@demo.palabre.example")["circle"] == {"S": "Bâtisseurs"}
    s3 = stack.client("s3")
    bucket = stack.uploads_bucket("roster")
    stored = json.loads(
        s3.get_object(Bucket=bucket, Key="roster/demo-roster.csv.report.json")["Body"].read()
    )
    assert stored == report | {"changes": changes}
    text = s3.get_object(Bucket=bucket, Key="roster/demo-roster.csv.report.txt")["Body"].read()
    assert "Créées\u00a0: 20" in text.decode()

    [message] = sent(stack)
    assert message["To"] == ADMIN
    assert message["Subject"] == "Import Palabre de demo-roster.csv\u00a0: terminé"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Créées\u00a0: 20" in plain
    assert "Créées\u00a0: 20" in html
    assert 'style="' in html  # CSS inlined for mail clients that drop <style>
    assert message["Message-ID"].endswith("@example.com>")


def test_a_file_with_errors_changes_nothing_and_the_report_names_each_row(
    stack: LocalStack,
) -> None:
    import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)
    before = organisation_items(stack)

    # A semicolon CSV written by Excel in Windows-1252, French headers, one address twice
    # (differing in case) and one impossible timezone
    report = import_file(stack, "roster/effectifs.csv", BAD_ROSTER, uploader=ADMIN)

    assert report["ok"] is False
    assert report["created"] == report["updated"] == report["deactivated"] == 0
    assert [(e["row"], e["column"], e["value"]) for e in report["errors"]] == [
        (3, "Courriel", "ANNE.LEROUX@demo.palabre.example"),
        (4, "Fuseau horaire", "Paris/France"),
    ]
    assert "ligne 2" in report["errors"][0]["message"]
    assert organisation_items(stack) == before
    rejected = sent(stack)[-1]
    assert rejected["Subject"] == (
        "Import Palabre de effectifs.csv\u00a0: 2 erreurs, rien n'a changé"
    )
    plain = rejected.get_body(("plain",)).get_content()
    assert "Ligne 3, colonne Courriel" in plain
    assert "Ligne 4, colonne Fuseau horaire" in plain


def test_uploading_the_same_roster_again_changes_nothing(stack: LocalStack) -> None:
    import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)
    before = without_lock(table_items(stack))
    writes: list[str] = []

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in (
            "PutItem",
            "BatchWriteItem",
            "UpdateItem",
            "DeleteItem",
            "TransactWriteItems",
        ):
            key = params.get("Item") or params.get("Key") or {}
            writes.append(f"{model.name} {key.get('SK', {}).get('S', '')}")

    import palabre.aws

    palabre.aws.client("dynamodb").meta.events.register("provide-client-params.dynamodb.*", count)
    report = import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)

    assert report["unchanged"] == 20
    assert report["created"] == report["updated"] == report["deactivated"] == 0
    assert without_lock(table_items(stack)) == before
    # Only the import lock is taken and released, and the upload goes in the history; no
    # member, no directory is rewritten.
    assert writes[:2] == ["UpdateItem LOCK#import-roster", "UpdateItem LOCK#import-roster"]
    [history] = writes[2:]
    assert history.startswith("PutItem 20261130T")


def test_a_member_missing_from_a_new_roster_is_deactivated_never_deleted(
    stack: LocalStack,
) -> None:
    import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)
    lines = demo.roster().decode("utf-8").splitlines()
    leaving = "hugo.bernard@demo.palabre.example"
    smaller = "\n".join(line for line in lines if not line.startswith(leaving)).encode()

    started = stack.clock()
    report = import_file(stack, "roster/demo-roster.csv", smaller, uploader=ADMIN)
    ended = stack.clock()  # the local clock runs: the import's instant is in between

    assert (report["unchanged"], report["deactivated"]) == (19, 1)
    item = member_item(stack, leaving)
    assert item["active"] == {"BOOL": False}
    assert item["GSI1PK"] == {"S": "ROSTER#inactive"}
    assert "GSI2PK" not in item  # out of the circle's list: never sent a theme again
    # kept RetentionMonths (24 by default) after leaving, then DynamoDB's TTL deletes it
    expiry = int(item["expires_at"]["N"])
    assert expires_at(started, 24) <= expiry <= expires_at(ended, 24)

    # And coming back reactivates them with their history, kept for as long as they stay
    report = import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)
    assert (report["updated"], report["unchanged"]) == (1, 19)
    item = member_item(stack, leaving)
    assert item["active"] == {"BOOL": True}
    assert "expires_at" not in item


def test_an_older_upload_that_comes_late_never_undoes_a_newer_one(stack: LocalStack) -> None:
    import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)
    nina = "nina.nouveau@demo.palabre.example"
    older = "\n".join(demo.roster().decode().splitlines()[:-3]).encode()  # 3 rows fewer
    newer = (
        demo.roster() + f"{nina};Nina;Nouveau;Bâtisseurs;Produit;fr;Europe/Paris;member\n".encode()
    )
    # Two uploads a second apart (S3 dates objects to the second) ...
    put(stack, "roster/premier.csv", older, uploader=ADMIN)
    time.sleep(1.1)
    put(stack, "roster/second.csv", newer, uploader=ADMIN)

    # ... imported in the opposite order: the older one's import was busy, and retried
    assert run_import(stack, "roster/second.csv", len(newer))["created"] == 1
    late = run_import(stack, "roster/premier.csv", len(older))

    assert late["ok"] is False
    assert late["deactivated"] == 0
    assert "déjà été importé" in late["errors"][0]["message"]
    for line in newer.decode().splitlines()[1:]:
        assert member_item(stack, line.split(";")[0])["active"] == {"BOOL": True}


def test_an_address_that_bounced_or_complained_gets_no_import_report(stack: LocalStack) -> None:
    import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)
    put_member_item(stack, ADMIN, "SUPPRESSED", reason="complaint")
    stack.clear_mail()

    report = import_file(stack, "roster/demo-roster.csv", demo.roster(), ADMIN)
    import_file(stack, "roster/demo-roster.csv", demo.roster(), "uploader@client.example")

    # The suppressed admin gets no report, and the report is still stored beside the
    # upload; the other admin still hears of the refused file
    assert [m["To"] for m in sent(stack)] == ["alice.david@demo.palabre.example"]
    assert report["ok"] is True
    bucket = stack.uploads_bucket("roster")
    stored = stack.client("s3").get_object(Bucket=bucket, Key="roster/demo-roster.csv.report.json")
    assert json.loads(stored["Body"].read())["ok"] is False  # the refused one, last


def test_one_error_reads_one_error(stack: LocalStack) -> None:
    lines = BAD_ROSTER.decode("cp1252").splitlines(keepends=True)
    one_error = "".join(lines[:3]).replace("ANNE.LEROUX", "anne.leroux2").encode("cp1252")
    import_file(stack, "roster/effectifs.csv", one_error + lines[3].encode("cp1252"), ADMIN)

    rejected = sent(stack)[-1]
    assert rejected["Subject"] == "Import Palabre de effectifs.csv\u00a0: 1 erreur, rien n'a changé"
    assert "le fichier contient 1 erreur." in rejected.get_body(("plain",)).get_content()


def test_the_first_roster_comes_from_the_admin_address_and_names_an_admin(aws: None) -> None:
    owner = "owner@client.example"
    stack = make_stack(AdminAddress=owner)
    empty = organisation_items(stack)

    # A stranger's roster, and the owner's calendar before any roster: refused, the owner told
    assert (
        import_file(
            stack, "roster/r.csv", demo.roster(), uploader="hugo.bernard@demo.palabre.example"
        )["ok"]
        is False
    )
    calendar = demo.calendar(stack.clock().date())
    refused = import_file(stack, "calendar/c.yaml", calendar, uploader=owner)
    assert "annuaire" in refused["errors"][0]["message"]
    # The owner's roster that names no admin: refused
    no_admin = demo.roster().replace(b";admin\n", b";member\n")
    assert import_file(stack, "roster/r.csv", no_admin, uploader=owner)["ok"] is False
    assert organisation_items(stack) == empty
    assert [m["To"] for m in sent(stack)] == [owner, owner, owner]

    # The owner's roster naming admins is the first roster; then only its admins may upload
    assert import_file(stack, "roster/r.csv", demo.roster(), uploader=owner)["created"] == 20
    assert sent(stack)[-1]["To"] == owner
    assert import_file(stack, "roster/r.csv", demo.roster(), uploader=owner)["ok"] is False
    assert import_file(stack, "calendar/c.yaml", calendar, uploader=demo.ADMIN)["created"] == 6


def test_the_calendar_audience_is_checked_against_the_roster(stack: LocalStack) -> None:
    # A first roster with only Alice, of the Passeurs
    lines = demo.roster().decode().splitlines(keepends=True)
    alice = "".join(line for line in lines if line.startswith(("Courriel", "alice."))).encode()
    assert import_file(stack, "roster/demo-roster.csv", alice, uploader=ADMIN)["ok"]
    calendar = demo.calendar(stack.clock().date())
    report = import_file(stack, "calendar/demo-calendar.yaml", calendar, uploader=ALICE)
    assert report["ok"] is False
    assert {(e["row"], e["column"]) for e in report["errors"]} == {(3, "audience"), (6, "audience")}

    assert import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ALICE)["ok"]
    report = import_file(stack, "calendar/demo-calendar.yaml", calendar, uploader=ADMIN)
    assert (report["ok"], report["created"]) == (True, 6)


def test_report_files_and_other_keys_are_not_imported(stack: LocalStack) -> None:
    event = s3_event(stack, "import_upload/report-written.json")
    invocation = stack.runtime.invoke("ImportUploadFunction", event)
    assert invocation.error is None
    assert invocation.result == {"reports": {}}
    assert sent(stack) == []


def test_keys_arrive_url_encoded_as_s3_sends_them(stack: LocalStack) -> None:
    key = "roster/Effectifs décembre.csv"
    put(stack, key, demo.roster(), ADMIN)
    event = s3_event(stack, "import_upload/roster-uploaded-encoded-key.json")
    invocation = stack.runtime.invoke("ImportUploadFunction", event)
    assert invocation.result["reports"][key]["created"] == 20


def test_a_calendar_over_5_mb_is_refused_without_being_read(stack: LocalStack) -> None:
    # (a roster may be 50 MB: tests/functional/test_roster_chunks.py)
    import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)
    big = b"title\n" + b"x" * (5 * 1024 * 1024)
    report = import_file(stack, "calendar/huge.csv", big, uploader=ADMIN)
    assert report["ok"] is False
    assert [e["row"] for e in report["errors"]] == [None]
    french = translations(TEMPLATES, "fr").gettext(
        "The file is larger than %(limit)s MB; split it."
    )
    assert report["errors"][0]["message"] == french % {"limit": 5}


def test_a_busy_import_is_retried_then_parked_in_the_failure_queue(stack: LocalStack) -> None:
    table = stack.provisioned.tables["PalabreTable"]
    stack.client("dynamodb").put_item(
        TableName=table,
        Item={
            "PK": {"S": "ORG"},
            "SK": {"S": "LOCK#import-roster"},
            "lease_until": {"N": str(int(stack.clock().timestamp()) + 600)},
        },
    )
    put(stack, "roster/demo-roster.csv", demo.roster(), ADMIN)
    event = s3_event(stack, "import_upload/roster-uploaded.json")

    invocation = stack.invoke_async("ImportUploadFunction", event)

    assert invocation.error["errorType"] == "ImportBusy"
    queue = stack.provisioned.queues["ImportFailureQueue"].url
    [parked] = stack.client("sqs").receive_message(QueueUrl=queue)["Messages"]
    failure = json.loads(parked["Body"])
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["requestPayload"] == event
    assert member_item(stack, ADMIN) == {}


@pytest.mark.parametrize("missing", ["TABLE_NAME", "SENDER_ADDRESS"])
def test_a_missing_setting_fails_loudly(stack: LocalStack, missing: str) -> None:
    function = stack.provisioned.functions["ImportUploadFunction"]
    del function.environment[missing]
    event = s3_event(stack, "import_upload/roster-uploaded.json")
    invocation = stack.runtime.invoke("ImportUploadFunction", event)
    assert invocation.error["errorType"] == "ValidationError"
    assert missing in invocation.error["errorMessage"]


def test_a_directory_of_thousands_of_circles_fits_dynamodbs_item_limit(
    stack: LocalStack,
) -> None:
    # 20,000 members in circles of five, teams of four, over three timezones: far more
    # circles and teams than one 400 KB item holds
    zones = ["Europe/Paris", "America/Montreal", "Asia/Tokyo"]
    members = [
        Member(
            email=f"m{n}@client.example",
            first_name="M",
            circle=f"Cercle numéro {n // 5:05d} de l'organisation",
            team=f"Équipe numéro {n // 4:05d} de l'organisation",
            timezone=zones[n % 3],
            locale="fr",
            role="member",
        )
        for n in range(20_000)
    ]
    directory = Directory.of(members)
    table = DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])
    store = MemberStore(table)

    store.save_directory(directory)  # moto refuses an item over 400 KB, as DynamoDB does
    assert directory_fields(store.directory()) == directory_fields(directory)

    # A smaller roster later: the head moves to the new pages and the old ones go
    smaller = Directory.of(members[:10])
    store.save_directory(smaller)
    assert directory_fields(store.directory()) == directory_fields(smaller)
    pages = list(table.query("ORG", prefix="DIRECTORY#"))
    assert len(pages) == 1


def test_an_admin_may_hand_over_then_no_longer_uploads(stack: LocalStack) -> None:
    import_file(stack, "roster/demo-roster.csv", demo.roster(), uploader=ADMIN)
    handed_over = "".join(
        line.replace(";admin", ";member") if line.startswith(ADMIN) else line
        for line in demo.roster().decode().splitlines(keepends=True)
    ).encode()
    stack.clear_mail()

    # Camille's roster makes her a member; Alice stays admin: accepted, Camille told
    assert import_file(stack, "roster/demo-roster.csv", handed_over, ADMIN)["updated"] == 1
    assert [m["To"] for m in sent(stack)] == [ADMIN]

    # Her next file is refused, and Alice, the one admin left, hears of it
    assert import_file(stack, "roster/demo-roster.csv", demo.roster(), ADMIN)["ok"] is False
    assert sent(stack)[-1]["To"] == ALICE
    assert member_item(stack, ADMIN)["role"] == {"S": "member"}


def test_each_admin_reads_of_a_refused_file_in_their_own_language(stack: LocalStack) -> None:
    english_alice = demo.roster().replace(
        b"alice.david@demo.palabre.example;Alice;David;Passeurs;Op\xc3\xa9rations;fr;",
        b"alice.david@demo.palabre.example;Alice;David;Passeurs;Op\xc3\xa9rations;en;",
    )
    assert english_alice != demo.roster()
    import_file(stack, "roster/demo-roster.csv", english_alice, uploader=ADMIN)
    stack.clear_mail()

    import_file(stack, "calendar/plan.yaml", b"[]", uploader="someone@elsewhere.example")

    subjects = {m["To"]: m["Subject"] for m in sent(stack)}
    assert subjects == {
        ALICE: "Palabre import of plan.yaml: refused, nothing changed",
        ADMIN: "Import Palabre de plan.yaml\u00a0: refusé, rien n'a changé",
    }
    english = next(m for m in sent(stack) if m["To"] == ALICE)
    assert "someone@elsewhere.example is not an active admin" in (
        english.get_body(("plain",)).get_content()
    )
