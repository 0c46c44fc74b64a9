"""Administrative and grid codes: parse, check, and issue them.

Codes form a hierarchy in which each level's code extends its parent's
(DESIGN §1): a district (GB/T 2260, ``330304``), a township or street
(``330304001``), a community or village (``330304001001``) and a grid, the
community's code followed by a sequence (``330304001001007``). How many digits
each level adds is set by a :class:`CodeScheme`; :data:`DEFAULT_SCHEME` adds
6, 3, 3 and 3.

Codes are strings of ASCII digits, never numbers. Every segment below the
district is a sequence starting at 1, so an all-zero segment is malformed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import pairwise

import numpy as np
import pandas as pd

from gridgis.errors import CodeError

__all__ = [
    "DEFAULT_SCHEME",
    "LEVELS",
    "CodeScheme",
    "check_codes",
    "check_hierarchy",
    "child_code",
    "level_of",
    "parent_code",
    "validate_code",
]

LEVELS: tuple[str, ...] = ("district", "township", "community", "grid")
"""Levels of the hierarchy, from the top down."""


@dataclass(frozen=True)
class CodeScheme:
    """How many digits each level of the hierarchy adds to its parent's code.

    Parameters
    ----------
    district, township, community, grid : int
        Digits added at each level; positive integers. The defaults give
        codes of 6, 9, 12 and 15 digits.

    Raises
    ------
    CodeError
        If a digit count is not a positive integer.

    Examples
    --------
    >>> scheme = CodeScheme(grid=4)
    >>> scheme.length("grid")
    16
    >>> scheme.level_of("3303040010010007")
    'grid'
    """

    district: int = 6
    township: int = 3
    community: int = 3
    grid: int = 3

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise CodeError(
                    f"CodeScheme({f.name}={value!r}): the digits a level adds must be a "
                    "positive integer, e.g. CodeScheme(grid=4)"
                )

    def length(self, level: str) -> int:
        """Return the total number of digits of a code at `level`.

        Parameters
        ----------
        level : str
            One of :data:`LEVELS`.

        Returns
        -------
        int
            Length of the full code, parent digits included.

        Raises
        ------
        CodeError
            If `level` is not one of :data:`LEVELS`.

        Examples
        --------
        >>> DEFAULT_SCHEME.length("community")
        12
        """
        stop = LEVELS.index(_check_level(level)) + 1
        return sum(self._width(lv) for lv in LEVELS[:stop])

    def level_of(self, code: str) -> str:
        """Return the level of `code`, judged by its number of digits.

        Parameters
        ----------
        code : str
            A code; surrounding whitespace is ignored.

        Returns
        -------
        str
            One of :data:`LEVELS`.

        Raises
        ------
        CodeError
            If `code` is not a string of digits or its length matches no level.

        Examples
        --------
        >>> DEFAULT_SCHEME.level_of("330304001")
        'township'
        """
        return self._parse(code, None)[1]

    def validate(self, code: str, *, level: str | None = None) -> str:
        """Check a code and return it normalized (surrounding whitespace stripped).

        Parameters
        ----------
        code : str
            The code to check.
        level : str, optional
            Level the code must belong to; any level when omitted.

        Returns
        -------
        str
            The stripped code.

        Raises
        ------
        CodeError
            If `code` is not a string, holds anything but the digits 0-9, has
            the wrong number of digits, or has an all-zero segment. The
            message says what a code of the level looks like.

        Examples
        --------
        >>> DEFAULT_SCHEME.validate(" 330304001001007 ", level="grid")
        '330304001001007'
        """
        return self._parse(code, level)[0]

    def is_valid(self, code: object, *, level: str | None = None) -> bool:
        """Tell whether :meth:`validate` accepts `code`.

        Parameters
        ----------
        code : object
            The value to check; anything but a string is invalid.
        level : str, optional
            Level the code must belong to; any level when omitted.

        Returns
        -------
        bool
            True if the code is well formed (at `level`, when given).

        Raises
        ------
        CodeError
            If `level` is not one of :data:`LEVELS` (a bad code only gives False).

        Examples
        --------
        >>> DEFAULT_SCHEME.is_valid("33030400100", level="grid")
        False
        """
        if level is not None:
            _check_level(level)
        try:
            self._parse(code, level)
        except CodeError:
            return False
        return True

    def parent(self, code: str) -> str | None:
        """Return the code of the level just above, or None for a district.

        Parameters
        ----------
        code : str
            A valid code of any level.

        Returns
        -------
        str or None
            The parent code, a prefix of `code`.

        Raises
        ------
        CodeError
            If `code` is malformed.

        Examples
        --------
        >>> DEFAULT_SCHEME.parent("330304001001007")
        '330304001001'
        """
        code, level = self._parse(code, None)
        i = LEVELS.index(level)
        return None if i == 0 else code[: self.length(LEVELS[i - 1])]

    def ancestors(self, code: str) -> dict[str, str]:
        """Return the codes of every level above `code`, from the district down.

        Parameters
        ----------
        code : str
            A valid code of any level.

        Returns
        -------
        dict of str to str
            Level name to code; empty for a district code. The code itself is
            not included.

        Raises
        ------
        CodeError
            If `code` is malformed.

        Examples
        --------
        >>> DEFAULT_SCHEME.ancestors("330304001001007")
        {'district': '330304', 'township': '330304001', 'community': '330304001001'}
        """
        code, level = self._parse(code, None)
        return {lv: code[: self.length(lv)] for lv in LEVELS[: LEVELS.index(level)]}

    def sequence(self, code: str) -> int:
        """Return the last segment of `code` as an integer.

        Parameters
        ----------
        code : str
            A valid code of any level.

        Returns
        -------
        int
            The level's own segment (the whole code for a district).

        Raises
        ------
        CodeError
            If `code` is malformed.

        Examples
        --------
        >>> DEFAULT_SCHEME.sequence("330304001001007")
        7
        """
        code, level = self._parse(code, None)
        return int(code[-self._width(level) :])

    def child(self, parent_code: str, seq: int) -> str:
        """Return the code of child number `seq` under `parent_code`.

        Parameters
        ----------
        parent_code : str
            A valid code of any level above the grid.
        seq : int
            Sequence of the child, from 1; zero-padded to the level's digits.

        Returns
        -------
        str
            The child code.

        Raises
        ------
        CodeError
            If the parent is malformed or a grid code, or `seq` is not an
            integer that fits the child level's digits.

        Examples
        --------
        >>> DEFAULT_SCHEME.child("330304001001", 7)
        '330304001001007'
        """
        parent, below = self._child_level(parent_code)
        width = self._width(below)
        if isinstance(seq, bool) or not isinstance(seq, int | np.integer):
            raise CodeError(f"sequence {seq!r} is not an integer; use 1, 2, 3 …")
        if not 1 <= seq < 10**width:
            raise CodeError(
                f"sequence {seq} does not fit a {below} code under {parent}: a {below} "
                f"sequence has {width} digits, so it runs from 1 to {10**width - 1}"
            )
        return f"{parent}{int(seq):0{width}d}"

    def check_parent(self, child_code: str, parent_code: str) -> None:
        """Check that `child_code` lies directly under `parent_code`.

        Parameters
        ----------
        child_code : str
            A valid code below the district level.
        parent_code : str
            The code it should extend, one level up.

        Raises
        ------
        CodeError
            If either code is malformed, the parent is not exactly one level
            up, or the child does not start with the parent's code.

        Examples
        --------
        >>> DEFAULT_SCHEME.check_parent("330304001001007", "330304001001")  # no error
        >>> DEFAULT_SCHEME.is_valid("330304001001007", level="community")
        False
        """
        child, level = self._parse(child_code, None)
        parent, up = self._parse(parent_code, None)
        i = LEVELS.index(level)
        if i == 0 or LEVELS[i - 1] != up:
            above = "nothing: a district is the top level" if i == 0 else f"a {LEVELS[i - 1]}"
            raise CodeError(
                f"{level} code {child} cannot have the {up} code {parent} as parent; "
                f"the level above a {level} is {above}"
            )
        if not child.startswith(parent):
            raise CodeError(
                f"{level} code {child} does not extend {up} code {parent}; it belongs to "
                f"{up} {child[: len(parent)]}. A {level} code is its {up}'s code followed "
                f"by a {self._width(level)}-digit sequence"
            )

    def next_free(self, parent_code: str, existing_codes: Iterable[object]) -> str:
        """Return the child code after the highest one already used under a parent.

        Gaps left by retired codes are not reused, so an old code never comes
        to mean a different area.

        Parameters
        ----------
        parent_code : str
            A valid code of any level above the grid.
        existing_codes : iterable
            Codes in use; entries that are not children of `parent_code`
            (other parents, other levels, nulls) are ignored.

        Returns
        -------
        str
            The next child code (sequence 1 when none is used yet).

        Raises
        ------
        CodeError
            If the parent is malformed or the highest sequence is already the
            largest the child level's digits can hold.

        Examples
        --------
        >>> DEFAULT_SCHEME.next_free("330304001001", ["330304001001001", "330304001001004"])
        '330304001001005'
        """
        return self.issue(parent_code, 1, existing=existing_codes)[0]

    def issue(self, parent_code: str, n: int, *, existing: Iterable[object] = ()) -> list[str]:
        """Return `n` new consecutive child codes after the highest one in use.

        Parameters
        ----------
        parent_code : str
            A valid code of any level above the grid.
        n : int
            How many codes to issue; 0 gives an empty list.
        existing : iterable, optional
            Codes in use, as for :meth:`next_free`.

        Returns
        -------
        list of str
            The new codes, in order; none of them is in `existing`.

        Raises
        ------
        CodeError
            If the parent is malformed, `n` is negative, or fewer than `n`
            sequences remain after the highest one in use (nothing is issued).

        Examples
        --------
        >>> DEFAULT_SCHEME.issue("330304001", 2, existing=["330304001001"])
        ['330304001002', '330304001003']
        """
        parent, below = self._child_level(parent_code)
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise CodeError(f"cannot issue {n!r} codes; n must be an integer >= 0")
        width = self._width(below)
        top = 10**width - 1
        used = {
            int(c.strip()[-width:])
            for c in existing
            if isinstance(c, str) and self.is_valid(c, level=below) and c.strip().startswith(parent)
        }
        start = max(used, default=0) + 1
        if start + n - 1 > top:
            free = top - len(used)
            raise CodeError(
                f"cannot issue {n} more {below} code(s) under {parent}: the highest sequence "
                f"in use is {start - 1:0{width}d} and a {width}-digit sequence ends at {top}. "
                f"{free} unused sequence(s) remain in gaps; issue one on purpose with "
                f"child(), or use a CodeScheme with more {below} digits"
            )
        return [f"{parent}{s:0{width}d}" for s in range(start, start + n)]

    # -- private helpers -------------------------------------------------------------

    def _width(self, level: str) -> int:
        """Digits `level` adds to its parent's code."""
        return int(getattr(self, _check_level(level)))

    def _describe(self, level: str) -> str:
        total = self.length(level)
        if level == LEVELS[0]:
            example = ", such as 330304" if total == 6 else ""
            return f"a district code has {total} digits (GB/T 2260){example}"
        up = LEVELS[LEVELS.index(level) - 1]
        width = self._width(level)
        return (
            f"a {level} code has {total} digits: its {up}'s {self.length(up)}-digit code "
            f"followed by a {width}-digit sequence such as {1:0{width}d}"
        )

    def _parse(self, code: object, level: str | None) -> tuple[str, str]:
        """Validate `code` and return (stripped code, level)."""
        if level is not None:
            _check_level(level)
        what = f"{level} code" if level else "code"
        if level:
            shape = self._describe(level)
        else:
            sizes = ", ".join(f"{self.length(lv)} ({lv})" for lv in LEVELS)
            shape = f"a code is a string of {sizes} digits"
        if not isinstance(code, str):
            raise CodeError(
                f"{what} {code!r} is not a string; {shape}. Read code columns as text "
                "(e.g. dtype=str) so they are not turned into numbers"
            )
        text = code.strip()
        if not text:
            raise CodeError(f"{what} is empty; {shape}")
        if not (text.isascii() and text.isdigit()):
            raise CodeError(f"{what} {text!r} holds characters other than the digits 0-9; {shape}")
        found = next((lv for lv in LEVELS if self.length(lv) == len(text)), None)
        if level is not None and found != level:
            as_ = f" (a {found} code)" if found else ""
            raise CodeError(f"{what} {text!r} has {len(text)} digits{as_}; {shape}")
        if found is None:
            raise CodeError(f"{what} {text!r} has {len(text)} digits; {shape}")
        for lv in LEVELS[: LEVELS.index(found) + 1]:
            end = self.length(lv)
            segment = text[end - self._width(lv) : end]
            if not segment.strip("0"):
                raise CodeError(
                    f"{found} code {text!r} has an all-zero {lv} segment {segment!r}; "
                    f"sequences start at {1:0{len(segment)}d}. {self._describe(found)}"
                )
        return text, found

    def _child_level(self, parent_code: str) -> tuple[str, str]:
        parent, level = self._parse(parent_code, None)
        if level == LEVELS[-1]:
            raise CodeError(f"grid code {parent} has no children; pass a community code")
        return parent, LEVELS[LEVELS.index(level) + 1]


DEFAULT_SCHEME = CodeScheme()
"""The scheme of DESIGN §1: codes of 6, 9, 12 and 15 digits."""


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise CodeError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    return level


def level_of(code: str, *, scheme: CodeScheme = DEFAULT_SCHEME) -> str:
    """Return the level of `code`; see :meth:`CodeScheme.level_of`.

    Parameters
    ----------
    code : str
        A code of any level.
    scheme : CodeScheme, optional
        Digits per level; :data:`DEFAULT_SCHEME` by default.

    Returns
    -------
    str
        One of :data:`LEVELS`.

    Raises
    ------
    CodeError
        If `code` is malformed.

    Examples
    --------
    >>> level_of("330304001001")
    'community'
    """
    return scheme.level_of(code)


def parent_code(code: str, *, scheme: CodeScheme = DEFAULT_SCHEME) -> str | None:
    """Return the parent of `code`; see :meth:`CodeScheme.parent`.

    Parameters
    ----------
    code : str
        A code of any level.
    scheme : CodeScheme, optional
        Digits per level; :data:`DEFAULT_SCHEME` by default.

    Returns
    -------
    str or None
        The parent code, None for a district.

    Raises
    ------
    CodeError
        If `code` is malformed.

    Examples
    --------
    >>> parent_code("330304001")
    '330304'
    """
    return scheme.parent(code)


def validate_code(
    code: str, *, level: str | None = None, scheme: CodeScheme = DEFAULT_SCHEME
) -> str:
    """Check a code and return it stripped; see :meth:`CodeScheme.validate`.

    Parameters
    ----------
    code : str
        The code to check.
    level : str, optional
        Level the code must belong to; any level when omitted.
    scheme : CodeScheme, optional
        Digits per level; :data:`DEFAULT_SCHEME` by default.

    Returns
    -------
    str
        The stripped code.

    Raises
    ------
    CodeError
        If the code is malformed or not at `level`.

    Examples
    --------
    >>> validate_code("330304001001007", level="grid")
    '330304001001007'
    """
    return scheme.validate(code, level=level)


def child_code(parent: str, seq: int, *, scheme: CodeScheme = DEFAULT_SCHEME) -> str:
    """Return child number `seq` of `parent`; see :meth:`CodeScheme.child`.

    Parameters
    ----------
    parent : str
        A code of any level above the grid.
    seq : int
        Sequence of the child, from 1.
    scheme : CodeScheme, optional
        Digits per level; :data:`DEFAULT_SCHEME` by default.

    Returns
    -------
    str
        The zero-padded child code.

    Raises
    ------
    CodeError
        If the parent is malformed or `seq` does not fit.

    Examples
    --------
    >>> child_code("330304001", 12)
    '330304001012'
    """
    return scheme.child(parent, seq)


@lru_cache(maxsize=64)
def _pattern(scheme: CodeScheme, level: str) -> re.Pattern[str]:
    # one segment per level down to `level`; a lookahead forbids all-zero segments
    parts = [
        f"(?!0{{{scheme._width(lv)}}})[0-9]{{{scheme._width(lv)}}}"
        for lv in LEVELS[: LEVELS.index(level) + 1]
    ]
    return re.compile("".join(parts))


def _as_text(values: pd.Series) -> pd.Series:
    """Strip strings; turn nulls and non-strings into ""."""
    if not isinstance(values, pd.Series):
        raise TypeError(f"expected a pandas Series of codes, got {type(values).__name__}")
    raw = values.to_numpy(dtype=object)
    is_str = np.fromiter((isinstance(v, str) for v in raw), dtype=bool, count=len(raw))
    text = np.where(is_str, raw, "")
    return pd.Series(text, index=values.index, dtype="str").str.strip()


def _matches(text: pd.Series, scheme: CodeScheme, level: str) -> pd.Series:
    return text.str.fullmatch(_pattern(scheme, level)).astype(bool)


def check_codes(codes: pd.Series, *, level: str, scheme: CodeScheme = DEFAULT_SCHEME) -> pd.Series:
    """Tell, row by row, whether each value is a well-formed code at `level`.

    Parameters
    ----------
    codes : pandas.Series
        Codes, as strings; surrounding whitespace is ignored.
    level : str
        One of :data:`LEVELS`.
    scheme : CodeScheme, optional
        Digits per level; :data:`DEFAULT_SCHEME` by default.

    Returns
    -------
    pandas.Series of bool
        Same index and name as `codes`; False for nulls, non-strings and
        malformed codes (the same verdict as :meth:`CodeScheme.is_valid`).

    Raises
    ------
    CodeError
        If `level` is not one of :data:`LEVELS`.

    Examples
    --------
    >>> s = pd.Series(["330304001001007", "33030400100"], index=[10, 20])
    >>> check_codes(s, level="grid").tolist()
    [True, False]
    """
    _check_level(level)
    out = _matches(_as_text(codes), scheme, level)
    out.name = codes.name
    return out


def check_hierarchy(
    child_codes: pd.Series, parent_codes: pd.Series, *, scheme: CodeScheme = DEFAULT_SCHEME
) -> pd.Series:
    """Tell, row by row, whether each child code lies directly under its parent code.

    Parameters
    ----------
    child_codes : pandas.Series
        Codes of any level below the district (e.g. a ``grid_code`` column).
    parent_codes : pandas.Series
        Codes one level up (e.g. the ``community_code`` column of the same
        table), with the same index as `child_codes`.
    scheme : CodeScheme, optional
        Digits per level; :data:`DEFAULT_SCHEME` by default.

    Returns
    -------
    pandas.Series of bool
        Indexed like `child_codes`; True where both codes are well formed, the
        parent is exactly one level up and the child starts with it. Nulls
        give False.

    Raises
    ------
    CodeError
        If the two Series do not have the same index.

    Examples
    --------
    >>> grids = pd.DataFrame({"code": ["330304001001007", "330304001002001"],
    ...                       "community_code": ["330304001001", "330304001001"]})
    >>> check_hierarchy(grids["code"], grids["community_code"]).tolist()
    [True, False]
    """
    if not child_codes.index.equals(parent_codes.index):
        raise CodeError(
            "child and parent codes must have the same index (columns of one table); "
            "align them first, e.g. parent_codes.reindex(child_codes.index)"
        )
    child, parent = _as_text(child_codes), _as_text(parent_codes)
    out = pd.Series(False, index=child_codes.index, dtype=bool)
    for up, level in pairwise(LEVELS):
        extends = child.str.slice(0, scheme.length(up)) == parent
        out |= _matches(child, scheme, level) & _matches(parent, scheme, up) & extends
    out.name = child_codes.name
    return out
