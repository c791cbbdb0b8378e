"""What the figures were measured on."""

import gc
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def describe() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )


@contextmanager
def own_process() -> Iterator[None]:
    """An in-process figure as a Lambda, in its own process, would measure it: the heap
    earlier sections left (moto's tables, 20,000 members) is frozen, so the collector's
    passes do not walk it."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
