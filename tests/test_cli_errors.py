"""Failures underneath a command end in one line on stderr, never a traceback."""

import sqlite3

import pytest
import typer
from typer.testing import CliRunner

from gridgis.cli._output import clear_errors, is_database_error
from gridgis.errors import GridGisError

runner = CliRunner()


def _command(exc: BaseException):
    app = typer.Typer()

    @app.command()
    @clear_errors
    def run() -> None:
        raise exc

    return app


@pytest.mark.parametrize("exc", [
    sqlite3.OperationalError("disk I/O error\nsecond line"),
    sqlite3.DatabaseError("database disk image is malformed"),
])
def test_a_database_failure_is_one_line_with_exit_code_3(exc):
    result = runner.invoke(_command(exc), [])
    assert result.exit_code == 3
    assert "数据库错误 / database error:" in result.output
    assert str(exc).splitlines()[0] in result.output
    assert "second line" not in result.output and "Traceback" not in result.output


def test_a_sqlalchemy_failure_counts_as_a_database_error():
    from sqlalchemy.exc import OperationalError

    exc = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    assert is_database_error(exc)
    assert runner.invoke(_command(exc), []).exit_code == 3


def test_an_input_error_keeps_exit_code_2():
    result = runner.invoke(_command(GridGisError("网格编码有误 / bad grid code")), [])
    assert result.exit_code == 2 and "网格编码有误" in result.output


def test_a_programming_error_is_not_hidden():
    result = runner.invoke(_command(KeyError("bug")), [])
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)
    assert not is_database_error(KeyError("bug"))
