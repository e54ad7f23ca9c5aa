"""Rate limits, counted in one place: the Django cache (the shared Redis when ``GRIDGOV_REDIS_URL`` is set).

One algorithm for every limit: a **fixed window that opens at a caller's first request** and lasts ``window``
seconds. The first ``limit`` requests in it pass; later ones are refused until it ends, and are counted too, so
hammering does not shorten the wait. A refused caller is told the window's end as ``Retry-After`` (whole seconds,
rounded up, at most a second late, never early). (At worst a
caller gets ``limit`` requests at the end of one window and ``limit`` more at the start of the next: the usual
fixed-window trade for one cache key and two cache round trips per request.)

Limits in use:

* 12345 hotline and Open311 clients: ``GRIDGOV_CLIENT_REQUESTS_PER_MINUTE`` per client (:func:`client_rate_hit`,
  :class:`ClientRateThrottle`);
* citizens reporting through a grid's QR code: ``GRIDGOV_CITIZEN_REPORTS_PER_HOUR`` per address
  (``gridgov.events.citizen.rate_limit``).

Without Redis every web process counts on its own (Django's per-process memory cache), so N processes let a caller
through up to N times the limit: set ``GRIDGOV_REDIS_URL`` when running several.

Storage: one integer per caller and window, ``opened_at * 10**9 + count``. ``cache.add`` opens the window (only if
none is open) and ``cache.incr`` counts atomically (Redis ``INCR``), returning in one number both the count and the
second the window opened, from which ``Retry-After`` follows; the key expires with the window.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from ninja.throttling import BaseThrottle

log = logging.getLogger("gridgov.ratelimit")

CLIENT_WINDOW_SECONDS = 60
_clock = time.time
_SCALE = 10**9  # count capacity per window; opened_at * _SCALE stays below 2**63 until the year 2262


@dataclass(frozen=True)
class RateHit:
    """The outcome of counting one request."""

    allowed: bool
    count: int  # requests counted in the current window, this one included
    limit: int
    retry_after: int  # whole seconds until the window has surely ended (1 to window)


def rate_hit(key: str, *, limit: int, window: int) -> RateHit:
    """Count one request of the caller ``key`` against ``limit`` requests per ``window`` seconds."""
    now = _clock()
    cache_key = f"ratelimit:{key}"
    fresh = int(now) * _SCALE
    cache.add(cache_key, fresh, timeout=window)
    try:
        value = cache.incr(cache_key)
    except ValueError:  # the window ended between add and incr: open the next one with this request
        value = fresh + 1
        cache.set(cache_key, value, timeout=window)
    opened_at, count = divmod(value, _SCALE)
    # opened_at is the whole second of the first request, which came up to a second later: never tell too early.
    retry_after = max(1, min(window, math.ceil(opened_at + 1 + window - now)))
    return RateHit(allowed=count <= limit, count=count, limit=limit, retry_after=retry_after)


def client_rate_hit(channel: str, client_id) -> RateHit:
    """Count one request of an API client (``channel`` is "hotline" or "open311") against
    ``GRIDGOV_CLIENT_REQUESTS_PER_MINUTE``."""
    hit = rate_hit(f"client:{channel}:{client_id}", limit=settings.GRIDGOV_CLIENT_REQUESTS_PER_MINUTE,
                   window=CLIENT_WINDOW_SECONDS)
    if not hit.allowed and hit.count == hit.limit + 1:  # once per window, not once per refused request
        log.warning("%s client %s reached its limit of %d requests a minute", channel, client_id, hit.limit)
    return hit


class ClientRateThrottle(BaseThrottle):
    """django-ninja throttle for an operation authenticated as a client (``request.auth`` has ``pk``).

    Throttles run after authentication and before the body is read, so every authenticated request counts and a
    refused one changes nothing. Over the limit django-ninja answers 429 with ``Retry-After`` through the API's
    error handler (the same ``{"code", "message"}`` JSON as the endpoint's other errors).
    """

    def __init__(self, channel: str):
        self.channel = channel
        self._last = threading.local()  # wait() takes no request: keep this thread's last hit

    def allow_request(self, request) -> bool:
        hit = client_rate_hit(self.channel, request.auth.pk)
        self._last.hit = hit
        return hit.allowed

    def wait(self) -> float | None:
        hit = getattr(self._last, "hit", None)
        return hit.retry_after if hit is not None else None
