"""``GET /docs``: the API reference, with Swagger UI served from the installed package.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline
script; this one names only files of the service (``/static/swagger-ui/``: the
Swagger UI 5 files that the ``fastapi-offline`` package ships, and
``/static/docs.js``), so it works offline and under the service's
Content-Security-Policy. Swagger UI 4 (the ``swagger-ui-bundle`` package)
cannot read the OpenAPI 3.1 document FastAPI writes. ReDoc is not served: it
injects ``<style>`` elements, which the policy refuses.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

__all__ = ["SWAGGER_UI", "SWAGGER_UI_URL", "create_router"]

SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"
"""Folder of the Swagger UI files (``swagger-ui-bundle.js``, ``swagger-ui.css``, an icon)."""
SWAGGER_UI_URL = "/static/swagger-ui"
"""Where the service mounts :data:`SWAGGER_UI`."""


def create_router(*, title: str, openapi_url: str = "/openapi.json") -> APIRouter:
    """The ``/docs`` route (left out of the OpenAPI document)."""
    router = APIRouter()

    @router.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        """The interactive API reference."""
        root = request.scope.get("root_path", "").rstrip("/")
        assets = f"{root}{SWAGGER_UI_URL}"
        page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — 接口文档 API reference</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi="{escape(root + openapi_url)}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{root}/static/docs.js"></script>
</body>
</html>
"""
        return HTMLResponse(page)

    return router
