"""The service's guards at the door: trusted hosts, security headers, CORS.

Pure ASGI middleware, so they see every answer: routes, static files, errors
(the 500 of the outermost error handler included) and the answers of other
middleware. :func:`install_security` wires them on an application.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders", "TrustedHosts", "install_security"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'")
"""Everything from the service itself; no inline script or style, no frames around it."""

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_JSON_TYPES = (b"application/json", b"application/problem+json", b"application/geo+json",
               b"application/schema+json", b"application/vnd.oai.openapi+json")


class SecurityHeaders:
    """Add the security headers to every answer, and ``Cache-Control: no-store`` to JSON.

    A header the application already set is kept (a page may narrow its own policy).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Pass the request on; add the headers to the answer's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in HEADERS if name not in present]
                kind = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if b"cache-control" not in present and \
                        kind.split(b";")[0].strip().lower() in _JSON_TYPES:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _host_of(header: str) -> str:
    """The host name of a ``Host`` header, without its port (IPv6 without brackets)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class TrustedHosts:
    """Answer 400 problem+json when the ``Host`` header names a host not allowed.

    ``allowed`` holds names or IP addresses, ``*.example.org`` (the domain's
    subdomains) or ``*`` (any host). The refused host is never echoed back.
    """

    def __init__(self, app: Any, *, allowed: Iterable[str]) -> None:
        self.app = app
        allowed = [a.lower() for a in allowed]
        self.any = "*" in allowed
        self.names = frozenset(a for a in allowed if not a.startswith("*."))
        self.suffixes = tuple(a[1:] for a in allowed if a.startswith("*."))

    def allows(self, host: str) -> bool:
        """Whether requests for ``host`` (a ``Host`` header) are answered."""
        name = _host_of(host)
        return self.any or name in self.names or (
            bool(name) and name.endswith(self.suffixes) if self.suffixes else False)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Check the ``Host`` header, then pass the request on."""
        if scope["type"] not in ("http", "websocket") or self.any:
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for n, v in scope.get("headers") or []
                     if n == b"host"), "")
        if self.allows(host):
            await self.app(scope, receive, send)
            return
        body = json.dumps({
            "type": "about:blank", "title": "Bad request", "status": 400, "field": "Host",
            "detail": "请求头 Host 不是本服务的主机名 / the Host header names a host this "
                      "service does not answer for (see GRIDGIS_ALLOWED_HOSTS)"},
            ensure_ascii=False).encode()
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def install_security(app: FastAPI, *, allowed_hosts: Iterable[str],
                     cors_origins: Iterable[str]) -> None:
    """Wire trusted hosts, CORS (only when origins are given) and the security headers.

    The headers wrap the whole middleware stack, outside even the error handler
    that answers 500, so no answer leaves without them.
    """
    origins = list(cors_origins)
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins,
                           allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                           expose_headers=["Location"])
    app.add_middleware(TrustedHosts, allowed=list(allowed_hosts))
    build: Callable[[], Any] = app.build_middleware_stack

    def build_with_headers() -> Any:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
