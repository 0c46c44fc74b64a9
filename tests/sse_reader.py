"""A server-sent event stream read in a thread, for tests that wait on what arrives."""

from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Message", "Stream", "open_stream"]

WAIT_S = 60.0
"""How long a test waits for a message it expects (a bound on a condition, not a sleep)."""


@dataclass
class Message:
    """One dispatched event: its type, id and JSON data."""

    event: str
    id: str | None
    data: Any


class Stream:
    """An open stream; every message lands in :attr:`seen` as it arrives."""

    def __init__(self, conn: http.client.HTTPConnection,
                 response: http.client.HTTPResponse) -> None:
        self.conn = conn
        self.response = response
        self.seen: list[Message] = []
        self._queue: queue.Queue[Message | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event, ident, data = "message", None, []
        try:
            while line := self.response.readline():
                text = line.decode("utf-8").rstrip("\r\n")
                if not text:
                    if data:
                        self._queue.put(Message(event, ident, json.loads("\n".join(data))))
                    event, data = "message", []
                    continue
                field, _, value = text.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    event = value
                elif field == "data":
                    data.append(value)
                elif field == "id":
                    ident = value
        except Exception:
            pass
        self._queue.put(None)

    def wait_for(self, test: Callable[[Message], bool], timeout: float = WAIT_S) -> Message:
        """The first message from now on that passes ``test`` (AssertionError past ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                message = self._queue.get(timeout=max(0.01, left))
            except queue.Empty:
                raise AssertionError(f"no such message within {timeout} s; "
                                     f"seen {[(m.event, m.id) for m in self.seen]}") from None
            if message is None:
                raise AssertionError(f"the stream ended; seen {self.seen}")
            self.seen.append(message)
            if test(message):
                return message

    def changes_of(self, incident_id: str) -> list[Message]:
        """The ``change`` messages seen so far about one incident."""
        return [m for m in self.seen if m.event == "change"
                and m.data["incident"]["incident_id"] == incident_id]

    def close(self) -> None:
        """End the connection (the reader thread then stops)."""
        try:
            if self.conn.sock is not None:
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
        self._thread.join(timeout=WAIT_S)


def open_stream(base: str, path: str, headers: dict[str, str] | None = None
                ) -> tuple[int, Stream | Any]:
    """GET ``path`` on ``base``: (200, an open :class:`Stream`) or (status, JSON answer)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT_S * 2)
    conn.request("GET", path, headers={"Accept": "text/event-stream", **(headers or {})})
    response = conn.getresponse()
    if response.status != 200:
        body = json.loads(response.read() or b"null")
        conn.close()
        return response.status, body
    return 200, Stream(conn, response)
