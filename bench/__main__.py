"""Print Palabre's figures: `make bench`."""

import os
import time
import warnings
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from palabre_cli.template import globals_environment, load_source

# Like a Lambda container: the Globals environment before any handler module loads; only
# errors in the logs, and no metric lines, so that the figures stay readable.
os.environ.update(globals_environment(load_source()))
os.environ |= {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}

from bench import (
    cold_start,
    dashboard_bench,
    digest_bench,
    dispatch_bench,
    library_bench,
    local_bench,
    machine,
    roster_import,
    space_bench,
)

if TYPE_CHECKING:
    from palabre.core.models import Member
    from sam_moto.stack import LocalStack

BENCH_GOAL_SECONDS = 180
_sections: dict[str, float] = {}
_started = time.perf_counter()


def _section(name: str) -> None:
    """Starts timing a section (ends the one before)."""
    _sections[name] = time.perf_counter()


def main() -> None:
    warnings.filterwarnings("ignore")
    print(f"Palabre bench — {machine.describe()}\n")
    _section("roster import")

    figures = roster_import.measure()
    goal = roster_import.GOAL_ROWS_PER_SECOND
    print(
        f"Roster import: {roster_import.ROWS:,} rows validated ({figures['megabytes']:.1f} MB "
        f"CSV), {roster_import.APPLIED:,} applied ({figures['applied megabytes']:.1f} MB)"
    )
    print(
        f"  parse + validate every cell, {roster_import.ROWS:,} rows  "
        f"{figures['validate']:>9,.0f} rows/s   (our code alone, CPU time; goal >= {goal:,}: "
        f"{_verdict(figures['validate'] >= goal)})"
    )
    for label in ("first upload", "same file again"):
        run = figures[label]
        calls = ", ".join(f"{n} {name}" for name, n in sorted(run["requests"].items()))
        print(
            f"  {label + ', end to end':<28} {run['rows/s']:>9,.0f} rows/s   "
            f"({run['seconds']:.1f} s against in-process moto, the import "
            f"{run['import seconds']:.1f} s and {run['chunk invocations']} chunk invocations; "
            f"DynamoDB: {calls})"
        )
        if run["chunk invocations"]:
            print(
                f"    {run['writes']:,} items written, {run['ms per write']:.2f} ms each on moto: "
                "the apply is bounded by its writes (2 per member changed, 1 staged + 1 "
                f"settled); {roster_import.ROWS:,} new members would take about "
                f"{run['ms per write'] * 2 * roster_import.ROWS / 1000:,.0f} s here"
            )
        allowed = roster_import.allowed_writes(run["changed"])
        print(
            f"    {run['writes']:,} writes for {run['changed']:,} members changed (goal <= "
            f"{roster_import.WRITES_PER_CHANGE} per member changed, "
            f"{roster_import.WRITES_PER_CHUNK} per chunk, {roster_import.WRITES_PER_ROSTER} "
            f"per roster: {allowed:,}): " + _verdict(run["writes"] <= allowed)
        )

    _section("dispatch")
    print("\nDispatch")
    build = dispatch_bench.email_build_seconds()
    print(f"  one personalised email (render + sign + MIME), median   {build * 1000:6.2f} ms")
    print(f"    goal <= 0.30 ms: {_verdict(build * 1000 <= 0.3)}")
    queue = dispatch_bench.scheduler_queue()
    print(
        f"  scheduler queueing {queue['recipients']:,} recipients of one theme      "
        f"{queue['seconds']:6.2f} s   ({queue['sqs_calls']:,} SendMessageBatch; "
        "in-memory table, SQS calls counted, not sent)"
    )

    _section("scores and digests")
    print("\nScores and digests")
    batch = digest_bench.stream_batch_writes()
    print(
        f"  one stream batch of {batch['answers']} answers: {batch['writes']} DynamoDB writes "
        f"in {batch['transactions']} transactions, for {batch['members']} distinct members, "
        f"{batch['teams']} teams, {batch['circles']} circles, {batch['themes']} themes"
    )
    goal = batch["members"] + batch["teams"] + batch["circles"] + batch["themes"]
    print(
        f"    goal ≤ {goal} (members {batch['members']} + teams {batch['teams']} + circles "
        f"{batch['circles']} + themes' tallies {batch['themes']}: one write per total, "
        "no item per answer)"
    )
    cost = digest_bench.digest_read_cost(then=_space_and_library)
    print(
        "  digest read cost, items read (requests) for 100 readers: "
        f"1 week of history {cost['one']['items']:,} ({cost['one']['requests']}), "
        f"52 weeks {cost['year']['items']:,} ({cost['year']['requests']}) "
        f"-> ratio {cost['ratio']:.3f} (goal <= 1.1)"
    )
    build = digest_bench.digest_build_seconds()
    print(f"  one reader's digest (render + sign its links + MIME), median   {build * 1000:.2f} ms")
    print(f"    goal <= 1.00 ms: {_verdict(build * 1000 <= 1.0)}")

    space = cost["then"]
    operations = ", ".join(f"{n} {name}" for name, n in sorted(space["by_operation"].items()))
    print(
        "  the member's space, one home page (52 weeks of history, "
        f"{space['members']:,} members): {space['requests']} DynamoDB requests "
        f"({operations}), {space['cpu_ms']:.1f} ms CPU, median of {space_bench.RUNS} "
        "(moto's side of the requests included: in-process)"
    )
    goals = space_bench.GOALS
    print(
        f"    goal <= {goals['requests']} requests, <= {goals['cpu_ms']:.0f} ms: "
        + _verdict(space["requests"] <= goals["requests"] and space["cpu_ms"] <= goals["cpu_ms"])
    )
    operations = ", ".join(f"{n} {name}" for name, n in sorted(space["theme_by_operation"].items()))
    print(
        f"  one theme page of the same member: {space['theme_requests']} DynamoDB requests "
        f"({operations}), goal <= {goals['theme_requests']}: "
        + _verdict(space["theme_requests"] <= goals["theme_requests"])
    )
    _library(space["library"])
    _dashboard(space["dashboard"])

    _section("built artifact and cold starts")
    _built_artifact()
    _section("local stack")
    _local_stack()
    _section("end")
    spent = {name: _sections[after] - _sections[name] for name, after in pairwise(_sections)}
    total = time.perf_counter() - _started
    print(
        f"\nmake bench: {total:.0f} s in all, goal <= {BENCH_GOAL_SECONDS} s: "
        f"{_verdict(total <= BENCH_GOAL_SECONDS)}  ("
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in spent.items())
        + ")"
    )


def _space_and_library(stack: "LocalStack", members: "list[Member]") -> dict[str, Any]:
    """The space's pages, on the year's stack once its digest is out."""
    return space_bench.measure(stack, members) | {
        "library": library_bench.measure(stack, members),
        "dashboard": dashboard_bench.measure(stack, members),
    }


def _library(library: dict[str, Any]) -> None:
    goal = library_bench.GOALS["cpu_ms"]
    print(
        f"  the library page with {library['entries']} entries ({library['themes']} themes, "
        f"{library['characters']:,} characters, {library['anonymous']} anonymous; "
        f"{library['kilobytes']:,.0f} KB of items), median of {library_bench.RUNS}:"
    )
    for name, what in (
        ("whole", "the whole page"),
        ("filtered", f"filtered, ?q={library_bench.FILTER}"),
    ):
        page = library[name]
        operations = ", ".join(f"{n} {op}" for op, n in sorted(page["by_operation"].items()))
        print(
            f"    {what + ',':<32} {page['shown']:>3} shown: {page['requests']} requests "
            f"({operations}), {page['cpu_ms']:5.1f} ms CPU (moto's side {page['moto_ms']:5.1f}, "
            f"the Lambda's {page['lambda_ms']:4.1f})"
        )
    pages = (library["whole"], library["filtered"])
    print(
        f"    goal: the library page with {library_bench.ENTRIES} entries ≤ {goal:.0f} ms, "
        "moto's side included as for the home: "
        + _verdict(all(p["cpu_ms"] <= goal for p in pages))
        + f" (the Lambda's side alone: {_verdict(all(p['lambda_ms'] <= goal for p in pages))});"
        f"\n    ≤ {library['expected']} requests (its reader's profile, a Query page per MB, a "
        "BatchGetItem per 100 themes): "
        + _verdict(all(p["requests"] <= library["expected"] for p in pages))
    )


def _dashboard(dashboard: dict[str, Any]) -> None:
    goals = dashboard_bench.GOALS
    operations = ", ".join(f"{n} {op}" for op, n in sorted(dashboard["by_operation"].items()))
    print(
        f"  the admins' dashboard (12 weeks, {dashboard['themes_counted']} themes counted, "
        f"the same stack), one view: {dashboard['requests']} DynamoDB requests ({operations}), "
        f"{dashboard['cpu_ms']:.1f} ms CPU, median of {dashboard_bench.RUNS}, "
        f"{dashboard['kilobytes']:.0f} KB of HTML"
    )
    print(
        f"    goal <= {goals['requests']} requests, <= {goals['cpu_ms']:.0f} ms: "
        + _verdict(
            dashboard["requests"] <= goals["requests"] and dashboard["cpu_ms"] <= goals["cpu_ms"]
        )
    )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def _local_stack() -> None:
    """`palabre local` in its own process, driven over HTTP as a user drives it."""
    goals = local_bench.GOALS
    print("\nLocal stack (`palabre local` in its own process, its console and API over HTTP)")
    org = local_bench.organisation()
    send = org["send"]
    rows = [
        (
            f"one theme to {org['members']:,} members in 3 timezones, clock moved across "
            "09:00 (queued, rendered, sent, recorded, scored)",
            f"{send['emails_per_second']:.0f} emails/s ({send['delivered']:,} in "
            f"{send['seconds']:.1f} s)",
            f">= {goals['emails_per_second']:.0f}",
            send["emails_per_second"] >= goals["emails_per_second"],
        ),
        (
            "an idle tick (5 minutes, nothing due), median of 15",
            f"{org['idle_tick_ms']:.1f} ms",
            f"<= {goals['idle_tick_ms']:.0f}",
            org["idle_tick_ms"] <= goals["idle_tick_ms"],
        ),
        (
            f"an answer POST, median of 40, with 8 weeks of history "
            f"({org['history_items']:,} items)",
            f"{org['answer_ms']:.1f} ms",
            f"<= {goals['answer_ms']:.0f}",
            org["answer_ms"] <= goals["answer_ms"],
        ),
    ]
    demo = local_bench.demo_weeks()
    rows += [
        (
            "the demo organisation, 8 weeks of time travel one week at a time",
            f"{demo['total']:.1f} s (" + ", ".join(f"{w:.1f}" for w in demo["weeks"]) + ")",
            f"<= {goals['demo_seconds']:.0f} s",
            demo["total"] <= goals["demo_seconds"],
        ),
        (
            "  its 8th week beside its 1st",
            f"{demo['last_week_ratio']:.2f}x",
            f"<= {goals['last_week_ratio']:.1f}x",
            demo["last_week_ratio"] <= goals["last_week_ratio"],
        ),
    ]
    for what, figure, goal, met in rows:
        print(f"  {what}\n    {figure:<44} goal {goal:<10} {_verdict(met)}")
    print(
        f"  peak memory of the stack: {org['peak_mb']:.0f} MB with {org['members']:,} members, "
        f"{demo['peak_mb']:.0f} MB for the demo"
    )

    print(
        f"\n  The whole path of one delivered prompt, counted at moto's door (its request "
        f"recorder),\n  over the {send['ticks']} ticks across 09:00, per prompt delivered:"
    )
    for name, unit in (
        ("ses_per_prompt", "SES calls"),
        ("writes_per_prompt", "DynamoDB write calls"),
        ("sqs_sends_per_prompt", "SQS send calls"),
    ):
        met = send[name] <= goals[name] + 1e-9
        print(f"    {unit:<20} {send[name]:6.4f}  goal <= {goals[name]:<4} {_verdict(met)}")
    print(
        f"      (SQS: {send['sqs_part_filled']} part-filled call(s) among "
        f"{round(send['sqs_sends_per_prompt'] * send['delivered']):,}; {send['sqs_pairs']} "
        f"message(s) carried two jobs: the last few of each of the {len(local_bench.ZONES)} "
        "ticks that queued, in its last call rather than one more)"
    )
    print("    every call, by operation:")
    for call, count in sorted(send["calls"].items(), key=lambda c: -c[1]):
        why = local_bench.why(call) or "UNEXPLAINED"
        print(f"      {count:>6,} {call:<44} {count / send['delivered']:6.3f}  {why}")


def _built_artifact() -> None:
    total, files, biggest = cold_start.layer_size()
    print("\nThe built artifact (.aws-sam/build, what `make build` deploys)")
    print(f"  PalabreLayer unzipped: {total / 2**20:.1f} MiB in {files:,} files; biggest:")
    print("    " + ", ".join(f"{name} {size / 2**20:.1f}" for name, size in biggest) + " MiB")

    figures = cold_start.measure()
    baseline = figures.pop("boto3")
    print(
        f"\nCold start of the built artifact with Lambda's sys.path: median of "
        f"{cold_start.RUNS} fresh interpreters, as a ratio to `import boto3` "
        f"({baseline * 1000:.0f} ms)\n  in the same round (each round starts every probe "
        "once, so a busy machine weighs on both sides)"
    )
    goal = f"goal <= {cold_start.IMPORT_GOAL:.1f}x"
    print(f"  {'':<26} {'import app':>10} {'(' + goal + ')':<16} {'+ its journey':>16}")
    for function, measured in figures.items():
        alone, ratio = measured["import"]
        verdict = "met" if ratio <= cold_start.IMPORT_GOAL else "NOT MET"
        journey, journey_ratio = measured["journey"]  # what its first call imports too
        then = f"{journey * 1000:>7.0f} ms {journey_ratio:4.2f}x"
        print(f"  {function:<26} {alone * 1000:>5.0f} ms {ratio:4.2f}x  {verdict:<8}  {then}")
    first, ratio = figures[cold_start.FIRST_REQUEST_FUNCTION]["first request"]
    verdict = "met" if ratio <= cold_start.FIRST_REQUEST_GOAL else "NOT MET"
    print(
        f"  {cold_start.FIRST_REQUEST_FUNCTION} first request (import + GET of the answer "
        f"form): {first * 1000:.0f} ms {ratio:4.2f}x "
        f"(goal <= {cold_start.FIRST_REQUEST_GOAL:.1f}x: {verdict})"
    )
    print(
        "    its table and signer are in memory, injected after the timed import through "
        "palabre.wiring.override;\n    on AWS the first request also creates its DynamoDB and "
        "Secrets Manager clients"
    )

    print("\nHeaviest imports of `import app` (-X importtime, self time per top-level package)")
    for function, packages in cold_start.heaviest_imports().items():
        print(
            f"  {function:<26} "
            + ", ".join(f"{name} {seconds * 1000:.0f}" for name, seconds in packages)
            + " ms"
        )


if __name__ == "__main__":
    main()
