"""API throttles counted atomically.

DRF's throttles read a list of timestamps from the cache, decide, and write it back: two
requests arriving together both read the same list, so a concurrent burst let about 15 % more
through than the rate. These count each request with one atomic increment on a counter per
fixed window (Redis INCR in a MULTI; under the local-memory cache's lock otherwise), so no more
than the rate passes in a window whatever the concurrency. With Redis down the counter lives
in the process's local memory (``procurement.cache``): throttling degrades, requests go on.
"""

from __future__ import annotations

from rest_framework import throttling

from procurement.cache import count_hit


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle counted by fixed window; subclasses list DRF's throttle first, so
    its ``get_cache_key`` (and ScopedRateThrottle's choice of rate) come before this."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        count = count_hit(self.cache, f"{self.key}:{window}", self.duration + 1)
        self.retry_in = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self) -> float:
        return self.retry_in


class AnonRateThrottle(throttling.AnonRateThrottle, WindowRateThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, WindowRateThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, WindowRateThrottle):
    pass
