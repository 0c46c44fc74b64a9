"""Password hashing with argon2 (pwdlib), and checks that take the same time either way."""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

__all__ = ["MIN_PASSWORD_LENGTH", "check_password_strength", "hash_password", "verify_password"]

MIN_PASSWORD_LENGTH = 8


@cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a password of anyone")


def check_password_strength(password: str) -> None:
    """Refuse passwords too short or of one kind of character.

    Raises
    ------
    StaffError
        Naming ``password``.
    """
    from gridgis.errors import StaffError

    kinds = sum(any(test(c) for c in password) for test in (str.isdigit, str.isalpha))
    if len(password) < MIN_PASSWORD_LENGTH or kinds < 2 or len(password) > 128:
        raise StaffError(f"密码须 {MIN_PASSWORD_LENGTH}–128 位，含字母和数字 / a password has "
                         f"{MIN_PASSWORD_LENGTH} to 128 characters with letters and digits",
                         field="password")


def hash_password(password: str) -> str:
    """The argon2 hash of a password (salted; two hashes of one password differ).

    Examples
    --------
    >>> verify_password("gridgis2026", hash_password("gridgis2026"))
    True
    """
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches ``password_hash``.

    An unknown person (``password_hash`` None) costs the same time as a known
    one, so the answer's delay does not tell who exists.
    """
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False
    try:
        return _hasher().verify(password, password_hash)
    except Exception:  # a damaged hash never signs anyone in
        return False
