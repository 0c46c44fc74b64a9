"""Progress bars on standard error (rich), or nothing when they are off.

With the environment variable ``GRIDGIS_PROGRESS=json`` a shown progress is one
JSON line per step on standard error instead of a bar,
``{"progress": 0.33, "step": "grids", "title": "sample district"}``, for
programs that drive the command line (the QGIS plugin).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["PROGRESS_ENV", "Steps", "steps"]

PROGRESS_ENV = "GRIDGIS_PROGRESS"
"""Environment variable: ``json`` turns progress bars into JSON lines on standard error."""


class Steps:
    """Advance a bar through named steps of a long job."""

    def __init__(self, progress: Progress | None, task: int | None) -> None:
        self._progress = progress
        self._task = task

    def __call__(self, label: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=label)


class _JsonSteps(Steps):
    """Steps written as JSON lines on standard error."""

    def __init__(self, title: str, total: int) -> None:
        super().__init__(None, None)
        self._title, self._total, self._done = title, max(total, 1), 0

    def emit(self, label: str) -> None:
        line = {"progress": round(self._done / self._total, 4), "step": label,
                "title": self._title}
        sys.stderr.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stderr.flush()

    def __call__(self, label: str) -> None:
        self._done = min(self._done + 1, self._total)
        self.emit(label)


@contextmanager
def steps(title: str, total: int, *, show: bool) -> Iterator[Steps]:
    """Context manager yielding a :class:`Steps` callback; a bar on stderr when ``show``."""
    if not show:
        yield Steps(None, None)
        return
    if os.environ.get(PROGRESS_ENV, "").lower() == "json":
        json_steps = _JsonSteps(title, total)
        json_steps.emit(title)
        yield json_steps
        json_steps._done = json_steps._total
        json_steps.emit(f"{title}: done")
        return
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]{task.description:<28}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task(title, total=total)
        yield Steps(progress, task)
        progress.update(task, description=f"{title}: done")
