"""A person's data exported and erased (GDPR Art. 15, 17, 20), `palabre member` against
moto: one organisation with a week of answers, votes, a library entry, a question, the
digest's editions and the admins' exports, then one of its members erased."""

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

import palabre.aws
from palabre.core.models import member_id
from palabre.core.retention import expires_at
from palabre_cli import demo
from palabre_cli.main import main
from sam_moto.stack import LocalStack
from tests.conftest import _refuse_scan
from tests.functional.conftest import dynamodb_item, put_member_item, sent, table_items, tick
from tests.functional.test_digest import monday, text
from tests.functional.test_dispatch import LEA, MONTREAL_MORNING
from tests.functional.test_import_upload import import_file, member_item
from tests.functional.test_library import EMMA
from tests.functional.test_questions import ask
from tests.functional.test_scores import HUGO, MANON, answer, vote
from tests.functional.test_weekly_details import demo_org

MANONS_ANSWER = "Un tour de météo intérieure, trois mots chacun, sans débat."
MANONS_QUESTION = "Comment fais-tu pour recadrer sans froisser ?"
MANONS_WORDS = "Je cherche une trame simple pour ces moments délicats."
LEAS_ANSWER = "Tour de table du lundi."
TRACES = ("manon", "petit", MANONS_ANSWER, MANONS_QUESTION, MANONS_WORDS)
"""her address (manon.petit@…), her first and last names, what she wrote"""


def everything(stack: LocalStack, *, records: bool = True) -> str:
    """Every item of the table (but erasure records, unless `records`) and every version
    of every object in the bucket, as one text (a test may scan and list)."""
    s3 = stack.client("s3")
    bucket = stack.provisioned.physical["UploadsBucket"]
    files = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            got = s3.get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
            files.append(f"{v['Key']} {got.get('Metadata')} {got['Body'].read().decode()}")
    items = [i for i in table_items(stack) if records or not i["PK"]["S"].startswith("ERASURE#")]
    return json.dumps(items, ensure_ascii=False) + "\n".join(files)


def standings(stack: LocalStack) -> list[dict[str, Any]]:
    return [i for i in table_items(stack) if i["PK"]["S"].startswith("BOARD#")]


def member(stack: LocalStack, *args: str) -> int:
    """`palabre member …` in this process, on the stack's table and bucket (moto)."""
    where = [
        "--table",
        stack.provisioned.tables["PalabreTable"],
        "--bucket",
        stack.provisioned.physical["UploadsBucket"],
    ]
    return main(["member", *args, *where])


def no_scan(service: str, client: Any) -> None:
    if service == "dynamodb":
        client.meta.events.register_first("before-call.dynamodb.Scan", _refuse_scan)


@pytest.fixture(scope="module")
def erased(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Manon (Éclaireurs) shares an answer that enters the library by votes from two
    circles, votes for Léa's, asks her circle a question, is in the week's digests and
    exports, and her address bounced; then she is exported, and erased."""
    with demo_org() as org:
        tick(org, MONTREAL_MORNING)
        org.drain()
        answer(org, MANON, MANONS_ANSWER, visibility="organisation")
        answer(org, LEA, LEAS_ANSWER, visibility="organisation")
        for voter in (HUGO, LEA, EMMA):
            vote(org, author=MANON, voter=voter)
        vote(org, author=LEA, voter=MANON)
        vote(org, author=LEA, voter=HUGO)
        org.drain()
        status, _, _ = ask(org, MANON, title=MANONS_QUESTION, question=MANONS_WORDS)
        assert status == 200
        monday(org)
        put_member_item(org, MANON, "SUPPRESSED", email=MANON, reason="bounce", at="2026-12-07")
        hold_the_last_seat(org)
        before = everything(org)
        asked = next(i for i in table_items(org) if i["SK"]["S"].startswith("ASKED#"))
        assert all(t.casefold() in before.casefold() for t in TRACES)  # the test sees them

        remove = palabre.aws.on_every_client(no_scan)
        exported = tmp_path_factory.mktemp("export") / "manon.json"
        erasure = exported.with_name("erasure.json")
        results = {
            "export": member(org, "export", MANON.upper(), "--output", str(exported)),
            "exported": json.loads(exported.read_text()),
            "standings": standings(org),
            "leas_votes": dynamodb_item(org, "THEME#demo-1", f"ANSWER#{member_id(LEA)}")["useful"],
            "erase": member(org, "erase", MANON, "--yes", "--output", str(erasure)),
            "erasure": json.loads(erasure.read_text()),
            "after": everything(org),
            "standings_after": standings(org),
        }
        results["seats_after"] = {
            sk: dynamodb_item(org, f"THEME#{LIVE}", sk) for sk in ("SEATS", f"RSVP#{LEAS}")
        }
        yield results | {"org": org, "remove": remove, "asked": asked}
        remove()


LIVE = "demo-6"
"""the demo's live session, weeks ahead of the erasure"""
LEAS = member_id(LEA)


def hold_the_last_seat(stack: LocalStack) -> None:
    """Manon holds the live session's last seat (and was sent its day-before reminder,
    and again once the session was moved: its sequence 1); Léa waits for one."""
    manon = member_id(MANON)
    items = [
        {"SK": "SEATS", "theme_id": LIVE, "taken": 12},
        {
            "SK": f"RSVP#{manon}",
            "type": "rsvp",
            "theme_id": LIVE,
            "member_id": manon,
            "response": "yes",
            "at": "2026-12-01T10:00:00+00:00",
            "first_name": "Manon",
            "last_name": "Petit",
            "locale": "fr",
            "timezone": "Europe/Paris",
        },
        {
            "SK": f"RSVP#{LEAS}",
            "type": "rsvp",
            "theme_id": LIVE,
            "member_id": LEAS,
            "response": "waiting",
            "waiting_since": "2026-12-02T10:00:00+00:00",
            "at": "2026-12-02T10:00:00+00:00",
            "first_name": "Léa",
            "locale": "fr",
            "timezone": "America/Montreal",
        },
        {"SK": f"LIVE#session-eve#{manon}", "theme_id": LIVE, "status": "sent"},
        {"SK": f"LIVE#session-eve#{manon}#1", "theme_id": LIVE, "status": "sent"},
    ]
    client = stack.client("dynamodb")
    client.update_item(
        TableName=stack.provisioned.tables["PalabreTable"],
        Key={"PK": {"S": f"THEME#{LIVE}"}, "SK": {"S": "THEME"}},
        UpdateExpression="SET #sequence = :one",
        ExpressionAttributeNames={"#sequence": "sequence"},
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    for item in items:
        client.put_item(
            TableName=stack.provisioned.tables["PalabreTable"],
            Item={"PK": {"S": f"THEME#{LIVE}"}}
            | {k: {"N": str(v)} if isinstance(v, int) else {"S": v} for k, v in item.items()},
        )


def test_her_seat_at_a_session_to_come_goes_to_the_first_waiting_not_to_nobody(
    erased: dict[str, Any],
) -> None:
    """Given Manon holds the last seat of a session still to come and Léa waits, when
    Manon is erased, then her response and the session's emails to her (before and after
    it moved) are gone with the rest, the seat is Léa's (promoted, to be told by the
    scheduler) and the count stays."""
    exported = {i["SK"].split("#")[0] for i in erased["exported"]["live_sessions"]}
    assert exported == {"RSVP", "LIVE"}
    assert erased["erasure"]["removed"]["live_sessions"] == 3
    leas, seats = erased["seats_after"][f"RSVP#{LEAS}"], erased["seats_after"]["SEATS"]
    assert (leas["response"]["S"], "promoted_at" in leas) == ("yes", True)
    assert seats["taken"]["N"] == "12"
    assert f"RSVP#{member_id(MANON)}" not in erased["after"]


def test_the_export_holds_her_profile_answers_votes_question_and_the_files_naming_her(
    erased: dict[str, Any],
) -> None:
    assert erased["export"] == 0
    exported = erased["exported"]
    assert exported["address"] == MANON
    profile = next(i for i in exported["profile_and_state"] if i["SK"] == "PROFILE")
    assert (profile["first_name"], profile["last_name"]) == ("Manon", "Petit")
    assert [a["text"] for a in exported["answers"]] == [MANONS_ANSWER]
    assert [q["title"] for q in exported["questions"]] == [MANONS_QUESTION]
    assert [v["author_id"] for v in exported["votes_cast"]] == [member_id(LEA)]
    assert len(exported["votes_received"]) == 3
    assert {"SUPPRESSED", "SCORE", "ASKING"} <= {i["SK"] for i in exported["profile_and_state"]}
    assert exported["prompts"]
    assert exported["weekly_emails"]
    files = {f["key"] for f in exported["files"]}
    assert "roster/demo-roster.csv" in files
    assert any(k.startswith("digests/") for k in files)
    assert any(k.startswith("exports/") for k in files)


def test_no_trace_of_her_address_name_or_words_remains_in_the_table_or_the_bucket(
    erased: dict[str, Any],
) -> None:
    assert erased["erase"] == 0
    after = erased["after"].casefold()
    assert [t for t in TRACES if t.casefold() in after] == []


def test_the_counts_stay_without_her(erased: dict[str, Any]) -> None:
    # the teams' and circles' points, answers and prompts; Léa's answer keeps her vote
    assert erased["standings_after"] == erased["standings"]
    org = erased["org"]
    leas = dynamodb_item(org, "THEME#demo-1", f"ANSWER#{member_id(LEA)}")
    assert leas["useful"] == erased["leas_votes"]
    assert leas["text"]["S"] == LEAS_ANSWER
    assert LEAS_ANSWER in erased["after"]  # others' words are kept


def test_the_erasure_is_recorded_under_her_id_and_a_second_run_changes_nothing(
    erased: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    org = erased["org"]
    record = dynamodb_item(org, f"ERASURE#{member_id(MANON)}", "ERASURE")
    assert record["GSI1PK"]["S"] == "ERASURES"
    assert erased["erasure"]["removed"]["answers"] == 1  # what the first run said
    assert record["removed"]["M"]["answers"]["N"] == "1"
    before = everything(org, records=False)

    assert member(org, "erase", MANON, "--yes") == 0

    again = json.loads(capsys.readouterr().out)
    assert again["again"] is True
    assert again["deleted"] == []
    assert again["rewritten"] == []
    assert set(again["removed"].values()) == {0}
    assert everything(org, records=False) == before
    kept = dynamodb_item(org, f"ERASURE#{member_id(MANON)}", "ERASURE")
    assert (kept["erased_at"], kept["removed"]) == (record["erased_at"], record["removed"])


def test_an_unknown_address_is_refused_and_nothing_changes(
    erased: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    org = erased["org"]
    before = everything(org)

    assert member(org, "erase", "nobody@demo.palabre.example", "--yes") == 1
    assert member(org, "export", "nobody@demo.palabre.example") == 1

    err = capsys.readouterr().err
    assert "Palabre holds nothing about nobody@demo.palabre.example" in err
    assert "nothing was changed" in err
    assert everything(org) == before


def test_bad_input_is_a_usage_error_that_reads_nothing(
    erased: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    org = erased["org"]
    with pytest.raises(SystemExit) as refused:
        member(org, "erase", "not-an-address", "--yes")
    assert refused.value.code == 2
    assert "'not-an-address' is not an email address" in capsys.readouterr().err
    with pytest.raises(SystemExit) as unconfirmed:
        member(org, "erase", LEA)
    assert "cannot be undone; add --yes" in str(unconfirmed.value.code)
    assert dynamodb_item(org, f"MEMBER#{member_id(LEA)}", "PROFILE")


def test_the_table_and_bucket_names_go_together(erased: dict[str, Any]) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["member", "export", LEA, "--table", "t"])
    assert "give --table and --bucket together" in str(refused.value.code)


def test_answers_send_records_votes_and_questions_expire_after_the_retention(
    erased: dict[str, Any],
) -> None:
    org, lea, hugo = erased["org"], member_id(LEA), member_id(HUGO)
    written = {
        "answer": dynamodb_item(org, "THEME#demo-1", f"ANSWER#{lea}"),
        "prompt": dynamodb_item(org, "THEME#demo-1", f"PROMPT#{lea}"),
        "vote": dynamodb_item(org, "THEME#demo-1", f"VOTE#{lea}#{hugo}"),
        "digest": dynamodb_item(org, "DIGEST#2026-W49", f"MEMBER#{lea}"),
        "question": erased["asked"],
    }
    for name, item in written.items():
        at = next(item[a]["S"] for a in ("created_at", "sent_at", "at", "asked_at") if a in item)
        expected = expires_at(datetime.fromisoformat(at), 24)  # RetentionMonths' default
        assert item["expires_at"] == {"N": str(expected)}, name


def test_a_later_roster_listing_her_skips_her_row_says_why_and_applies_the_rest(
    erased: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given Manon erased, and the admins' roster file that still lists her
    org = erased["org"]
    erased_on = dynamodb_item(org, f"ERASURE#{member_id(MANON)}", "ERASURE")["erased_at"]["S"]
    row = 1 + next(
        n for n, line in enumerate(demo.roster().decode().splitlines()) if line.startswith(MANON)
    )
    before = len(sent(org))

    # When it is uploaded again
    report = import_file(org, "roster/demo-roster.csv", demo.roster(), uploader=demo.ADMIN)

    # Then her row is skipped, and the report (JSON and email) says why; the rest applies
    assert member_item(org, MANON) == {}
    assert (report["ok"], report["created"], report["unchanged"]) == (True, 0, 19)
    [skipped] = report["skipped"]
    assert (skipped["row"], skipped["value"]) == (row, MANON)
    assert f"effacée le {erased_on[:10]} à la demande de la personne" in skipped["message"]
    [message] = sent(org)[before:]
    plain, html = text(message), message.get_body(("html",))
    assert "1 ligne a été ignorée" in plain
    assert f'Ligne {row}, "{MANON}"' in plain
    assert "palabre member unerase" in plain
    assert html is not None
    assert f"effacée le {erased_on[:10]}" in html.get_content()

    # And an operator lifts it (she rejoined and agreed): asked to confirm, then done
    with pytest.raises(SystemExit, match="add --yes"):
        member(org, "unerase", MANON)
    assert member(org, "unerase", MANON, "--yes") == 0
    lifted = json.loads(capsys.readouterr().out)["unerased"]
    assert (lifted["member_id"], lifted["erased_at"]) == (member_id(MANON), erased_on)
    assert dynamodb_item(org, f"ERASURE#{member_id(MANON)}", "ERASURE") == {}
    assert member(org, "unerase", MANON, "--yes") == 1  # no record left: refused
    assert "was never erased" in capsys.readouterr().err

    report = import_file(org, "roster/demo-roster.csv", demo.roster(), uploader=demo.ADMIN)
    assert (report["created"], report["skipped"]) == (1, [])
    assert member_item(org, MANON)["active"] == {"BOOL": True}
