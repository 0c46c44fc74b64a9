"""Stream tickets: how a browser's EventSource, which cannot send headers, signs in.

``POST /events/ticket`` (with the bearer token) answers a ticket; the console opens
``GET /events/stream?ticket=…``. A ticket

- is a JWT signed with the service's key (every worker shares it), for the audience
  :data:`AUDIENCE` only: it is no bearer token (``Authorization`` refuses it, as a
  ticket's ``aud`` claim is not the sign-in token's), and a bearer token is no ticket;
- lasts :data:`TICKET_SECONDS` (60 s): long enough to open the stream and for the
  browser's own reconnects, short for a URL that may land in an access log;
- grants one thing, reading the stream of the person's jurisdiction, and names the
  moment the person's sign-in ends (``until``): the stream closes then, as a token
  would stop working. The person is read again from the directory when the stream
  opens and while it runs, so a disabled account stops at once.
"""

from __future__ import annotations

import datetime as dt

import jwt
from fastapi import HTTPException

from api.auth import ALGORITHM, TokenIssuer
from gridgis.people.staff import StaffMember

__all__ = ["AUDIENCE", "TICKET_SECONDS", "Ticket", "issue_ticket", "read_ticket",
           "session_end"]

AUDIENCE = "gridgis:events-stream"
TICKET_SECONDS = 60


class Ticket:
    """What a valid ticket says: who, and until when their stream may run."""

    def __init__(self, staff_id: str, until: dt.datetime) -> None:
        self.staff_id = staff_id
        self.until = until


def _refused(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail,
                         headers={"WWW-Authenticate": "Bearer"})


def session_end(issuer: TokenIssuer, token: str) -> dt.datetime:
    """When the sign-in ``token`` (already checked) expires, in UTC."""
    claims = jwt.decode(token, issuer.secret, algorithms=[ALGORITHM])
    return dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)


def issue_ticket(issuer: TokenIssuer, person: StaffMember, *, until: dt.datetime,
                 now: dt.datetime | None = None) -> str:
    """A stream ticket for ``person`` whose stream may run until ``until`` (UTC)."""
    now = now or dt.datetime.now(dt.UTC)
    claims = {"sub": person.staff_id, "aud": AUDIENCE, "iat": now,
              "exp": now + dt.timedelta(seconds=TICKET_SECONDS),
              "until": int(until.timestamp())}
    return jwt.encode(claims, issuer.secret, algorithm=ALGORITHM)


def read_ticket(issuer: TokenIssuer, ticket: str | None) -> Ticket:
    """The ticket's person and end, or 401 (missing, forged, expired, or not a ticket)."""
    if not ticket:
        raise _refused("实时更新需先取得凭证 / the live stream needs a ticket: POST "
                       "/events/ticket while signed in, then GET /events/stream?ticket=…")
    try:
        claims = jwt.decode(ticket, issuer.secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["sub", "exp", "iat", "aud", "until"]})
    except jwt.ExpiredSignatureError:
        raise _refused("实时更新凭证已过期，请重新获取 / the stream ticket has expired; ask for "
                       "a new one (POST /events/ticket)") from None
    except jwt.PyJWTError:
        raise _refused("实时更新凭证无效 / the stream ticket is not valid; ask for a new one "
                       "(POST /events/ticket)") from None
    return Ticket(str(claims["sub"]), dt.datetime.fromtimestamp(int(claims["until"]), dt.UTC))
