"""Tasks the worker tests queue: each records its runs in files, so a test can see what ran and how often."""

import os
import time
from pathlib import Path


def mark(directory: str, name: str, seconds: float) -> str:
    folder = Path(directory)
    with open(folder / f"{name}.started", "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    with open(folder / f"{name}.done", "a") as f:
        f.write(f"{os.getpid()}\n")
    return name


def runs(directory, name: str, stage: str = "done") -> int:
    path = Path(directory) / f"{name}.{stage}"
    return len(path.read_text().splitlines()) if path.exists() else 0
