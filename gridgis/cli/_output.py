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

__all__ = ["DATABASE_MODULES", "clear_errors", "err", "frame_table", "is_database_error", "out"]

out = Console(width=None if sys.stdout.isatty() else 140)
"""Standard output: the data a command answers with."""
err = Console(stderr=True, soft_wrap=True)
"""Standard error: progress, files written, errors."""

F = TypeVar("F", bound=Callable[..., object])


DATABASE_MODULES = ("sqlite3", "_sqlite3", "sqlalchemy", "psycopg", "psycopg2", "alembic")
"""Modules whose exceptions are database failures: told in one line, never a traceback."""


def is_database_error(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by a database driver or SQLAlchemy (no import needed)."""
    return any(type(exc).__module__.split(".")[0] == name for name in DATABASE_MODULES)


def clear_errors(func: F) -> F:
    """Turn expected failures into one line on stderr and exit code 2.

    A failure of the database underneath (a driver's or SQLAlchemy's error: a server that
    went away, a disk that filled up, a table changed by hand) is told in one line too,
    with exit code 3, since it is the machine's state rather than the user's input.
    """

    @wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except (GridGisError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            err.print(f"[bold red]错误 / error:[/] {escape(str(exc))}", highlight=False,
                      markup=True)
            raise typer.Exit(code=2) from None
        except Exception as exc:
            if not is_database_error(exc):
                raise
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            err.print(f"[bold red]数据库错误 / database error:[/] {escape(first)}"
                      "（请检查数据库服务与磁盘，或从备份恢复 / check the database server and "
                      "disk, or restore from a backup）", highlight=False, markup=True)
            raise typer.Exit(code=3) from None

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
