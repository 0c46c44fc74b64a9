"""Paging: the ``self``, ``next`` and ``prev`` links of a paged listing, built in one place."""

from __future__ import annotations

from fastapi import Request

__all__ = ["page_links"]


def page_links(request: Request, *, offset: int, limit: int, matched: int,
               media_type: str) -> list[dict[str, str]]:
    """Links of the page at ``offset`` of ``limit`` items out of ``matched``.

    ``next`` appears while items follow, ``prev`` unless this is the first
    page; both repeat the request's other parameters with a new ``offset``
    (absolute URLs, as OGC API Features asks).

    Parameters
    ----------
    request : fastapi.Request
        The request of this page.
    offset, limit, matched : int
        Where the page starts, its size, and how many items match in all.
    media_type : str
        The ``type`` of the linked pages.

    Returns
    -------
    list of dict
        ``href``, ``rel`` and ``type`` of each link.
    """
    links = [{"href": str(request.url), "rel": "self", "type": media_type}]
    if offset + limit < matched:
        links.append({"href": str(request.url.include_query_params(offset=offset + limit)),
                      "rel": "next", "type": media_type})
    if offset > 0:
        links.append({"href": str(request.url.include_query_params(
            offset=max(0, offset - limit))), "rel": "prev", "type": media_type})
    return links
