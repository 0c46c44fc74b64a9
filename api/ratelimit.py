"""Rate limits on public intake and sign-in: a moving window per client (``limits``).

Limits are kept in this process's memory: each service worker counts its own
requests (a city running several workers behind one address divides the
limit by the number of workers, or puts the limit in its proxy).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fastapi import HTTPException, Request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["RateLimits"]


class RateLimits:
    """Per-client request limits of one service, by name (``signin``, ``intake``)."""

    def __init__(self) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def dependency(self, name: str, per_minute: int) -> Callable[[Request], None]:
        """A dependency answering 429 with ``Retry-After`` beyond ``per_minute`` per client."""
        item = RateLimitItemPerMinute(per_minute)

        def limit(request: Request) -> None:
            who = request.client.host if request.client else "unknown"
            if not self.limiter.hit(item, name, who):
                stats = self.limiter.get_window_stats(item, name, who)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                raise HTTPException(
                    status_code=429, headers={"Retry-After": str(wait)},
                    detail=f"请求过于频繁，请 {wait} 秒后再试 / too many requests; try again "
                           f"in {wait} s (at most {per_minute} a minute)")
        return limit
