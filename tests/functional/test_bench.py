"""`make bench` at a small scale: every measurement still runs, and the figures the issues
set goals for still hold (the bench prints them at full scale)."""

import importlib

import pytest

from bench import (
    cold_start,
    dashboard_bench,
    digest_bench,
    dispatch_bench,
    library_bench,
    local_bench,
    roster_import,
)
from palabre_cli.template import translate


def test_the_import_bench_validates_every_row() -> None:
    assert roster_import.validate_rate(roster_import.roster(rows=200)) > 0


def test_the_roster_apply_bench_counts_two_writes_per_member_changed_and_none_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from palabre.imports import chunks

    monkeypatch.setattr(roster_import, "ROWS", 300)
    monkeypatch.setattr(roster_import, "APPLIED", 600)
    monkeypatch.setattr(chunks, "CHUNK_MEMBERS", 250)  # three chunks
    figures = roster_import.measure()

    first, again = figures["first upload"], figures["same file again"]
    assert first["chunk invocations"] >= 3
    assert first["changed"] == 600
    assert 2 * 600 <= first["writes"] <= roster_import.allowed_writes(600)
    assert (again["changed"], again["chunk invocations"]) == (0, 0)
    assert again["writes"] <= roster_import.allowed_writes(0)


def test_the_whole_path_of_a_prompt_through_palabre_local_is_counted_and_explained() -> None:
    with local_bench.running(demo=False) as local:
        assert local.upload("roster", "bench.csv", local_bench._roster(200))["ok"]
        assert local.upload(
            "calendar", "bench.csv", local_bench._calendar(("t1", local_bench.THEME_DAY))
        )["ok"]
        path = local_bench.whole_path(local, "Rituel t1")

    assert path["delivered"] == 200
    assert path["unexplained"] == [], path["calls"]
    calls = path["calls"]
    # one email, one send state read and one send record per prompt
    assert calls["sesv2:SendEmail"] == calls["dynamodb:BatchGetItem"] == 200
    assert calls["dynamodb:PutItem"] == 200
    assert path["ses_per_prompt"] == 1
    assert path["writes_per_prompt"] <= 1.2
    # ten messages per SendMessageBatch, across groups; each of the three ticks that queue
    # (09:00 in Paris, London, Montreal: 67, 67 and 66 jobs) puts its last few jobs two to
    # a message in its last call: 6 calls each, none part-filled
    assert path["sqs_sends_per_prompt"] == 18 / 200
    assert path["sqs_part_filled"] == 0
    assert path["sqs_pairs"] == 7 + 7 + 6
    assert path["ticks"] == 73


def test_the_scheduler_queues_ten_jobs_per_call() -> None:
    figures = dispatch_bench.scheduler_queue(recipients=2_000)
    assert figures["sqs_calls"] == 200


def test_a_stream_batch_writes_each_total_once_and_no_item_per_answer() -> None:
    figures = digest_bench.stream_batch_writes(answers=40)
    assert figures["transactions"] == 1
    assert figures["themes"] == 2
    assert figures["writes"] == (
        figures["members"] + figures["teams"] + figures["circles"] + figures["themes"]
    )
    assert figures["writes"] < figures["answers"] + figures["teams"] + figures["circles"]


def test_emails_build() -> None:
    assert dispatch_bench.email_build_seconds(runs=3) > 0
    assert digest_bench.digest_build(runs=3) > 0


def test_each_function_of_the_template_has_a_journey_of_modules_that_import() -> None:
    functions = translate().of_type("AWS::Lambda::Function")
    assert set(cold_start.JOURNEY_MODULES) == set(functions)
    for modules in cold_start.JOURNEY_MODULES.values():
        for module in modules:
            importlib.import_module(module)


def test_the_built_layer_is_measured() -> None:
    total, files, biggest = cold_start.layer_size()
    assert total >= sum(size for _, size in biggest) > 0
    assert files > 0


def test_the_first_request_renders_the_answer_form_from_the_built_artifact() -> None:
    """The probe asserts the page it gets: a 200 with the answer form."""
    assert cold_start.first_request() > 0


def test_the_library_page_reads_its_entries_in_one_query_page_and_one_batch_of_themes() -> None:
    figures = library_bench.alone(count=90, themes=12, runs=1)

    assert figures["entries"] == 90
    assert figures["expected"] == 3  # the reader's profile, one Query page, one BatchGetItem
    for page in (figures["whole"], figures["filtered"]):
        assert page["requests"] == 3, page["by_operation"]
        assert page["by_operation"] == {"GetItem": 1, "Query": 1, "BatchGetItem": 1}
        assert 0 < page["lambda_ms"] < page["cpu_ms"]
    # every entry shown, anonymous ones too (7 or 8 entries a theme, threshold 3);
    # the filter finds the tenth of them that holds its word, typed without its accent
    assert figures["whole"]["shown"] == 90
    assert 0 < figures["filtered"]["shown"] <= 9


def test_the_dashboard_bench_views_the_page_in_its_few_requests() -> None:
    figures = digest_bench._digest_reads(
        3, then=lambda stack, members: dashboard_bench.measure(stack, members)
    )["then"]
    # (the second GetItem: the sending pause, which every page of the space shows)
    assert figures["by_operation"] == {"GetItem": 2, "Query": 5, "BatchGetItem": 1}
    assert figures["themes_counted"] == 4  # three closed, one open (its silent prompts read)
    assert figures["cpu_ms"] > 0
