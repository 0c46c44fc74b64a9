"""The few SQL functions whose spelling differs between SQLite and PostgreSQL.

The store's statements are SQLAlchemy Core, the same for both databases, but
for JSON: SQLite's ``json_each``, ``json_extract`` and ``json_group_array``
are PostgreSQL's ``json_array_elements``, ``->>`` and ``json_agg``. Each is
one construct here, compiled per database.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["json_items", "json_list", "json_strings", "json_text"]


class json_items(FunctionElement[Any]):  # noqa: N801 - an SQL function's name
    """The elements of a JSON array column, one row each (column ``value``).

    Use as ``json_items(column).table_valued("value")``.
    """

    name = "json_items"
    inherit_cache = True


@compiles(json_items)
def _items_sqlite(element: json_items, compiler: Any, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(json_items, "postgresql")
def _items_postgresql(element: json_items, compiler: Any, **kw: Any) -> str:
    return f"json_array_elements({compiler.process(element.clauses, **kw)})"


class json_strings(FunctionElement[Any]):  # noqa: N801 - an SQL function's name
    """The strings of a JSON array of strings, one row each (column ``value``, text).

    Use as ``json_strings(column).table_valued("value")``.
    """

    name = "json_strings"
    inherit_cache = True


@compiles(json_strings)
def _strings_sqlite(element: json_strings, compiler: Any, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(json_strings, "postgresql")
def _strings_postgresql(element: json_strings, compiler: Any, **kw: Any) -> str:
    return f"json_array_elements_text({compiler.process(element.clauses, **kw)})"


class json_text(FunctionElement[str]):  # noqa: N801 - an SQL function's name
    """One member of a JSON object as text (``json_text(value, "unit_id")``)."""

    name = "json_text"
    type = sa.String()
    inherit_cache = True

    def __init__(self, value: Any, key: str) -> None:
        if not key.isidentifier():
            raise ValueError(f"json_text's key is a plain name, not {key!r}")
        # a literal column, so the key is part of the statement's cache key
        super().__init__(value, sa.literal_column(key))


def _parts(element: FunctionElement[Any], compiler: Any, **kw: Any) -> tuple[str, str]:
    value, key = list(element.clauses)
    return compiler.process(value, **kw), key.name


@compiles(json_text)
def _text_sqlite(element: json_text, compiler: Any, **kw: Any) -> str:
    value, key = _parts(element, compiler, **kw)
    return f"json_extract({value}, '$.{key}')"


@compiles(json_text, "postgresql")
def _text_postgresql(element: json_text, compiler: Any, **kw: Any) -> str:
    value, key = _parts(element, compiler, **kw)
    return f"({value} ->> '{key}')"


class json_list(FunctionElement[Any]):  # noqa: N801 - an SQL function's name
    """The values of a group as a JSON array, in the order of a second expression.

    ``json_list(value, order)``: SQLite keeps the rows' order (the caller's
    subquery scans them in ``order``); PostgreSQL orders the aggregate. An
    empty group gives ``[]`` in SQLite and NULL in PostgreSQL.
    """

    name = "json_list"
    inherit_cache = True


@compiles(json_list)
def _list_sqlite(element: json_list, compiler: Any, **kw: Any) -> str:
    value, _order = list(element.clauses)
    return f"json_group_array({compiler.process(value, **kw)})"


@compiles(json_list, "postgresql")
def _list_postgresql(element: json_list, compiler: Any, **kw: Any) -> str:
    value, order = list(element.clauses)
    return (f"json_agg({compiler.process(value, **kw)} ORDER BY "
            f"{compiler.process(order, **kw)})")
