"""Live updates: every change of an incident in one's jurisdiction, pushed as it happens.

``POST /events/ticket`` (signed in) answers a short-lived stream ticket
(:mod:`api.live_tickets`); ``GET /events/stream?ticket=…`` is a server-sent event
stream (``text/event-stream``, what a browser's ``EventSource`` reads) of

- ``ready`` — first, with the stream's cursor as its ``id``;
- ``change`` — one per event of an incident the reader may see, its ``id`` the
  event id, its data :class:`api.live_messages.LiveChange` (the incident as
  ``GET /incidents`` shows it to the reader, and the step taken);
- ``reset`` — the stream fell too far behind (or resumed from too far back): reload
  the board;
- ``bye`` — the sign-in has ended: sign in again.

Between messages an ``id``-only keep-alive moves the browser's cursor on every 15 s.
A reconnect sends ``Last-Event-ID`` (the browser does so itself; a new ticket's
stream takes ``last_event_id`` in the query) and resumes after it: every change in
between is sent, none twice. Changes of every service worker reach every stream:
each process watches the store (PostgreSQL ``LISTEN/NOTIFY``, SQLite a poll of the
event log every 250 ms; :mod:`gridgis.store.changes`).

The stream is sse-starlette's ``EventSourceResponse``: the event framing, the
client-disconnect watch and closing the streams when uvicorn shuts down (a plain
``StreamingResponse`` holds a shutdown until its clients leave).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyQuery
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, JSONServerSentEvent, ServerSentEvent

from api.auth import SignedIn, TokenIssuer
from api.errors import problem_responses
from api.live_feed import LiveFeed
from api.live_messages import message_for, replay
from api.live_tickets import TICKET_SECONDS, issue_ticket, read_ticket, session_end
from gridgis.dispatch import Dispatcher
from gridgis.errors import SignInError
from gridgis.people.staff import StaffMember

__all__ = ["KEEPALIVE_S", "StreamTicket", "create_router", "feed_of"]

KEEPALIVE_S = 15.0
"""Seconds of quiet after which the stream sends a keep-alive (and re-reads the person)."""
_ticket_query = APIKeyQuery(name="ticket", scheme_name="StreamTicket", auto_error=False,
                            description="POST /events/ticket 取得的实时更新凭证（60 秒）/ "
                                        "the stream ticket of POST /events/ticket (60 s)")


class StreamTicket(BaseModel):
    """A ticket that opens one's live stream."""

    ticket: str
    expires_in: int = Field(description="seconds")
    stream: str = Field(description="the stream's URL with the ticket")


def feed_of(request: Request) -> LiveFeed:
    """The process's live feed (made on first use)."""
    state = request.app.state
    if getattr(state, "live_feed", None) is None:
        state.live_feed = LiveFeed(state.dispatcher.store)
    return state.live_feed


def _cursor(header: str | None, query: int | None) -> int | None:
    if header is not None:
        try:
            value = int(header.strip())
        except ValueError:
            return None  # not one of ours: start afresh
        return value if 0 <= value < 2**63 else None
    return query


async def _messages(request: Request, person: StaffMember, after: int | None,
                    until: dt.datetime) -> AsyncIterator[ServerSentEvent]:
    dispatcher: Dispatcher = request.app.state.dispatcher
    feed = feed_of(request)
    subscription = feed.subscribe()  # first: what commits from now on reaches the queue
    try:
        await run_in_threadpool(feed.ensure_watching)
        if after is None:
            cursor = await run_in_threadpool(lambda: _newest(dispatcher))
            yield JSONServerSentEvent({"cursor": cursor, "resumed": False}, event="ready",
                                      id=str(cursor), retry=3000)
        else:
            replayed, cursor, complete = await run_in_threadpool(replay, dispatcher, person,
                                                                 after)
            if not complete:
                yield JSONServerSentEvent({"cursor": cursor, "reason": "behind"},
                                          event="reset", id=str(cursor))
            yield JSONServerSentEvent({"cursor": cursor, "resumed": complete,
                                       "replayed": len(replayed)},
                                      event="ready", id=str(cursor), retry=3000)
            for event_id, message in replayed:
                yield JSONServerSentEvent(message, event="change", id=str(event_id))
        while True:
            left = (until - dt.datetime.now(dt.UTC)).total_seconds()
            if left <= 0:
                yield JSONServerSentEvent({"reason": "signed_out"}, event="bye")
                return
            try:
                batch = await asyncio.wait_for(subscription.queue.get(),
                                               min(KEEPALIVE_S, left))
            except TimeoutError:
                found = await run_in_threadpool(dispatcher.store.staff.find, person.staff_id)
                if found is None or not found.active:
                    yield JSONServerSentEvent({"reason": "disabled"}, event="bye")
                    return
                person = found
                yield ServerSentEvent(id=str(cursor), comment="keep-alive")
                continue
            if subscription.overflowed:  # the client stopped reading for a while
                while not subscription.queue.empty():
                    subscription.queue.get_nowait()
                subscription.overflowed = False
                cursor = await run_in_threadpool(lambda: _newest(dispatcher))
                yield JSONServerSentEvent({"cursor": cursor, "reason": "behind"},
                                          event="reset", id=str(cursor))
                continue
            fresh = [c for c in batch if c["event"]["event_id"] > cursor]
            if not fresh:
                continue
            shown = await run_in_threadpool(_shown, dispatcher, person, fresh)
            for event_id, message in shown:
                cursor = event_id
                if message is not None:
                    yield JSONServerSentEvent(message, event="change", id=str(event_id))
    finally:
        feed.unsubscribe(subscription)


def _shown(dispatcher: Dispatcher, person: StaffMember, changes: list[Any]
           ) -> list[tuple[int, dict[str, Any] | None]]:
    return [(c["event"]["event_id"], message_for(dispatcher, person, c)) for c in changes]


def _newest(dispatcher: Dispatcher) -> int:
    from gridgis.store.changes import last_event_id

    return last_event_id(dispatcher.store.engine)


def create_router() -> APIRouter:
    """``POST /events/ticket`` and ``GET /events/stream``."""
    router = APIRouter(prefix="/events", tags=["live"])

    @router.post("/ticket", response_model=StreamTicket,
                 responses=problem_responses(401, 503))
    async def ticket(request: Request, person: SignedIn) -> StreamTicket:
        """A 60-second ticket that opens your live stream.

        The browser's EventSource cannot send the bearer token; the ticket goes in
        the stream's URL instead (see ``GET /events/stream``).
        """
        issuer: TokenIssuer = request.app.state.tokens
        token = request.headers["authorization"].split(" ", 1)[1].strip()
        value = issue_ticket(issuer, person, until=session_end(issuer, token))
        return StreamTicket(ticket=value, expires_in=TICKET_SECONDS,
                            stream=f"/events/stream?ticket={value}")

    answers = problem_responses(401, 422, 503)
    answers[200] = {"description": "text/event-stream: ready, change, reset and bye events",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}}

    @router.get("/stream", response_class=EventSourceResponse, responses=answers)
    async def stream(
        request: Request,
        ticket: Annotated[str | None, Depends(_ticket_query)],
        last_event_id: Annotated[int | None, Query(
            ge=0, lt=2**63, description="resume after this event (when the browser's "
            "Last-Event-ID header cannot be sent: a new ticket's stream)")] = None,
        last_event_id_header: Annotated[str | None, Header(
            alias="Last-Event-ID", max_length=32, include_in_schema=False)] = None,
    ) -> Any:
        """Changes of the incidents of your jurisdiction as server-sent events.

        Opened with a ticket of ``POST /events/ticket`` (401 without, or with an
        expired or forged one); resumes after ``Last-Event-ID``.
        """
        issuer: TokenIssuer = request.app.state.tokens
        held = read_ticket(issuer, ticket)
        person = await run_in_threadpool(request.app.state.dispatcher.store.staff.find,
                                         held.staff_id)
        if person is None or not person.active:
            raise SignInError("账号不存在或已停用 / the account is unknown or disabled")
        after = _cursor(last_event_id_header, last_event_id)
        return EventSourceResponse(
            _messages(request, person, after, held.until),
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return router
