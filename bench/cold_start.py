"""Each handler's cold import time, as a ratio to `import boto3` measured in the same run.

Two figures per handler: `import app` alone, and with the journey modules the
composition root imports on the first invocation (palabre.wiring defers them, so that a
handler never pays for another journey's modules) — the latter is what a cold start pays.
"""

import statistics
import subprocess
import sys
from pathlib import Path

RUNS = 9
# What palabre.wiring's factory for each handler imports when first called.
JOURNEY_MODULES = {
    "ImportUploadFunction": [
        "palabre.imports.importer",
        "palabre.imports.uploads",
        "palabre.mail.outbox",
    ],
    "SchedulePromptsFunction": ["palabre.dispatch.dispatcher", "palabre.core.jobs"],
    "SendEmailFunction": [
        "palabre.sending.sender",
        "palabre.core.links",
        "palabre.core.tokens",
        "aws_lambda_powertools.utilities.parameters",
    ],
    "PersonalLinksFunction": [
        "palabre.answers.pages",
        "palabre.answers.answers",
        "palabre.web",
        "aws_lambda_powertools.utilities.parameters",
    ],
    "WeeklyDigestFunction": ["palabre.digest.builder", "palabre.core.jobs"],
    # ScoreStreamFunction and SesFeedbackFunction import their journey with the handler.
}
_PROBE = (
    "import sys, time, importlib; sys.path[:0] = {paths!r}; started = time.perf_counter(); "
    "[importlib.import_module(m) for m in {modules!r}]; print(time.perf_counter() - started)"
)


def _import_seconds(modules: list[str], paths: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        output = subprocess.run(
            [sys.executable, "-c", _PROBE.format(paths=paths, modules=modules)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return statistics.median(samples)


def measure() -> dict[str, tuple[float, float]]:
    from palabre_cli.template import translate

    translated = translate()
    layer = str(translated.code_paths["PalabreLayer"])
    baseline = _import_seconds(["boto3"], [])
    figures = {"boto3": (baseline, baseline)}
    for logical_id, function in sorted(translated.of_type("AWS::Lambda::Function").items()):
        module = function["Properties"]["Handler"].rpartition(".")[0]
        paths = [str(Path(translated.code_paths[logical_id])), layer]
        figures[logical_id] = (
            _import_seconds([module], paths),
            _import_seconds([module, *JOURNEY_MODULES.get(logical_id, [])], paths),
        )
    return figures
