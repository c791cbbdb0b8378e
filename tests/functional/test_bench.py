"""`make bench` at a small scale: every measurement still runs, and the figures the issues
set goals for still hold (the bench prints them at full scale)."""

import importlib

from bench import cold_start, digest_bench, dispatch_bench, roster_import
from palabre_cli.template import translate


def test_the_import_bench_validates_every_row() -> None:
    assert roster_import.validate_rate(roster_import.roster(rows=200)) > 0


def test_a_delivered_prompt_costs_one_ses_call_and_a_tenth_of_an_sqs_call() -> None:
    figures = dispatch_bench.calls_per_prompt(recipients=200)  # 50 per timezone
    assert figures["delivered"] == 200
    assert figures["ses"] == 1
    assert figures["sqs"] <= 0.1
    # one send record per prompt, plus the scheduler's leases and cursors per group
    assert figures["dynamodb_writes"] == 1 + figures["bookkeeping_writes"] / 200
    assert 0 < figures["bookkeeping_writes"] <= 20


def test_the_scheduler_queues_ten_jobs_per_call() -> None:
    figures = dispatch_bench.scheduler_queue(recipients=2_000)
    assert figures["sqs_calls"] == 200


def test_a_stream_batch_writes_each_total_once_and_no_item_per_answer() -> None:
    figures = digest_bench.stream_batch_writes(answers=40)
    assert figures["transactions"] == 1
    assert figures["writes"] == figures["members"] + figures["teams"] + figures["circles"]
    assert figures["writes"] < figures["answers"] + figures["teams"] + figures["circles"]


def test_emails_build() -> None:
    assert dispatch_bench.email_build_seconds(runs=3) > 0
    assert digest_bench.digest_build(runs=3) > 0


def test_each_journey_names_a_function_of_the_template_and_modules_that_import() -> None:
    functions = translate().of_type("AWS::Lambda::Function")
    assert set(cold_start.JOURNEY_MODULES) <= set(functions)
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
