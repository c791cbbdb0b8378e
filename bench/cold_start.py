"""Each handler's cold import time, as a ratio to `import boto3` measured in the same run."""

import statistics
import subprocess
import sys
from pathlib import Path

RUNS = 9
_PROBE = (
    "import sys, time; sys.path[:0] = {paths!r}; started = time.perf_counter(); "
    "import {module}; print(time.perf_counter() - started)"
)


def _import_seconds(module: str, paths: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        output = subprocess.run(
            [sys.executable, "-c", _PROBE.format(paths=paths, module=module)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return statistics.median(samples)


def measure() -> dict[str, float]:
    from palabre_cli.template import translate

    translated = translate()
    layer = str(translated.code_paths["PalabreLayer"])
    figures = {"boto3": _import_seconds("boto3", [])}
    for logical_id, function in sorted(translated.of_type("AWS::Lambda::Function").items()):
        module = function["Properties"]["Handler"].rpartition(".")[0]
        code_dir = str(Path(translated.code_paths[logical_id]))
        figures[logical_id] = _import_seconds(module, [code_dir, layer])
    return figures
