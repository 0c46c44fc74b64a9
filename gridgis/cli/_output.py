"""What every command shares: the two consoles, clear errors and frames as tables."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gridgis.errors import GridGisError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["clear_errors", "err", "frame_table", "out"]

out = Console(width=None if sys.stdout.isatty() else 140)
"""Standard output: the data a command answers with."""
err = Console(stderr=True, soft_wrap=True)
"""Standard error: progress, files written, errors."""

F = TypeVar("F", bound=Callable[..., object])


def clear_errors(func: F) -> F:
    """Turn expected failures into one line on stderr and exit code 2."""

    @wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except (GridGisError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            err.print(f"[bold red]错误 / error:[/] {escape(str(exc))}", highlight=False,
                      markup=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    """A data frame as a rich table: the index in bold, then one column per column."""
    table = Table(title=title, title_justify="left")
    table.add_column(frame.index.name or "", style="bold")
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for idx, row in frame.iterrows():
        table.add_row(str(idx), *[_fmt(v) for v in row])
    return table


def _fmt(value: object) -> str:
    import pandas as pd

    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
