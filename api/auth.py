"""Sign-in: signed, expiring bearer tokens (JWT, HS256) and the person behind a request.

``POST /auth/token`` takes the OAuth2 password form and answers a token
carrying the staff id; every request with ``Authorization: Bearer …`` is
then the person the directory holds under that id, read again on each
request, so a disabled account stops working at once. The event's actor and
role come from here, never from a request body.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from gridgis.errors import AccessDeniedError
from gridgis.people.staff import StaffMember

__all__ = [
    "ALGORITHM",
    "ANONYMOUS_TOO",
    "Person",
    "SignedIn",
    "TokenIssuer",
    "client_address",
    "current_person",
    "signed_in",
]

ALGORITHM = "HS256"
ANONYMOUS_TOO: dict[str, Any] = {"security": [{}]}
"""``openapi_extra`` of a route that anonymous readers may call too (sign-in optional)."""
_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False,
                               description="工号和密码登录后得到的令牌 / the token of "
                                           "POST /auth/token")


class TokenIssuer:
    """Issues and reads the service's tokens.

    Parameters
    ----------
    secret : str, optional
        The signing key (at least 32 characters). Default: a random key of
        this process (tokens then end with the process).
    minutes : int
        How long a token lasts.
    remember : int, default 10000
        How many verified tokens are remembered (by their exact text) with their
        staff id and expiry, so a repeated token skips the signature check; an
        expired one is refused all the same. Beyond this many, memory starts afresh.
    """

    def __init__(self, secret: str | None, *, minutes: int, remember: int = 10_000) -> None:
        self.secret = secret or secrets.token_urlsafe(48)
        self.minutes = minutes
        self.remember = remember
        self._verified: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, person: StaffMember, *, now: dt.datetime | None = None) -> str:
        """A token for ``person``."""
        now = now or dt.datetime.now(dt.UTC)
        claims = {"sub": person.staff_id, "role": person.role.value, "iat": now,
                  "exp": now + dt.timedelta(minutes=self.minutes)}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def staff_id(self, token: str) -> str:
        """The staff id a token names, or 401 when it is forged, expired or malformed."""
        known = self._verified.get(token)
        if known is not None:
            staff_id, expires = known
            if expires > time.time():  # PyJWT's rule: expired once exp <= now
                return staff_id
            with self._lock:
                self._verified.pop(token, None)
            raise _expired()
        try:
            claims = jwt.decode(token, self.secret, algorithms=[ALGORITHM],
                                options={"require": ["sub", "exp", "iat"]})
        except jwt.ExpiredSignatureError:
            raise _expired() from None
        except jwt.PyJWTError:
            raise _unauthorised("令牌无效，请重新登录 / the token is not valid; sign in "
                                "again") from None
        staff_id = str(claims["sub"])
        with self._lock:
            if len(self._verified) >= self.remember:
                self._verified.clear()
            self._verified[token] = (staff_id, float(int(claims["exp"])))
        return staff_id


def _expired() -> HTTPException:
    return _unauthorised("登录已过期，请重新登录 / the token has expired; sign in again")


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail,
                         headers={"WWW-Authenticate": "Bearer"})


def client_address(request: Request) -> str | None:
    """The address a request came from (as the server saw it), for the trail."""
    return request.client.host if request.client else None


async def current_person(request: Request,
                         token: Annotated[str | None, Depends(_bearer)]) -> StaffMember | None:
    """The signed-in person, or None for an anonymous request.

    Run on the event loop: a token check and one indexed read of the staff
    table take well under a millisecond, less than a hop to a worker thread.
    """
    if token is None:
        return None
    issuer: TokenIssuer = request.app.state.tokens
    staff_id = issuer.staff_id(token)
    person = request.app.state.dispatcher.store.staff.find(staff_id)
    if person is None or not person.active:
        raise _unauthorised("账号不存在或已停用 / the account is unknown or disabled")
    return person


Person = Annotated[StaffMember | None, Depends(current_person)]


async def signed_in(person: Person) -> StaffMember:
    """The signed-in person; 401 for an anonymous request."""
    if person is None:
        raise _unauthorised("请先登录 / sign in first (POST /auth/token)")
    return person


SignedIn = Annotated[StaffMember, Depends(signed_in)]


def require_roles(*roles: Any) -> Any:
    """A dependency letting only these roles through (403 with the reason otherwise)."""
    allowed = frozenset(str(r) for r in roles)

    async def check(person: SignedIn) -> StaffMember:
        if person.role.value not in allowed:
            raise AccessDeniedError(f"此操作仅限 {'、'.join(sorted(allowed))} / this is for "
                                    f"{', '.join(sorted(allowed))}")
        return person
    return check
