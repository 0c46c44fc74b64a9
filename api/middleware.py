"""A pure ASGI guard that refuses request bodies over the configured size (413)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException

__all__ = ["BodyLimit", "LargerBody"]


@dataclass(frozen=True)
class LargerBody:
    """A route that admits a larger body: uploads (method, path pattern, content type)."""

    method: str
    path: re.Pattern[str]
    content_type: str
    max_bytes: int

    def matches(self, scope: Any, content_type: str) -> bool:
        """Whether a request is of this route and content type."""
        return (scope.get("method") == self.method and bool(self.path.fullmatch(
            scope.get("path", ""))) and content_type.lower().startswith(self.content_type))


class BodyLimit:
    """Answer 413 when the declared or the streamed body exceeds ``max_bytes``.

    ``larger`` names the routes (uploads) that admit more, each its own limit.
    """

    def __init__(self, app: Any, *, max_bytes: int,
                 larger: Sequence[LargerBody] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple(larger)

    def _limit(self, scope: Any, headers: dict[bytes, bytes]) -> int:
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        return next((r.max_bytes for r in self.larger if r.matches(scope, content_type)),
                    self.max_bytes)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Check the declared size, then count the streamed bytes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = self._limit(scope, headers)
        detail = f"the request body exceeds {limit} bytes"
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            body = json.dumps({"type": "about:blank", "title": "Request too large",
                               "status": 413, "detail": detail,
                               "field": "body"}).encode()
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"application/problem+json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        seen = 0

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # a chunked body that never declared its size
                    raise HTTPException(status_code=413, detail=detail)
            return message

        await self.app(scope, limited_receive, send)
