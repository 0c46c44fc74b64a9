"""Progress bars on standard error (rich), or nothing when they are off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["Steps", "steps"]


class Steps:
    """Advance a bar through named steps of a long job."""

    def __init__(self, progress: Progress | None, task: int | None) -> None:
        self._progress = progress
        self._task = task

    def __call__(self, label: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=label)


@contextmanager
def steps(title: str, total: int, *, show: bool) -> Iterator[Steps]:
    """Context manager yielding a :class:`Steps` callback; a bar on stderr when ``show``."""
    if not show:
        yield Steps(None, None)
        return
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]{task.description:<28}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task(title, total=total)
        yield Steps(progress, task)
        progress.update(task, description=f"{title}: done")
