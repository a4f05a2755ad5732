"""The cache backend: Redis, failing open to a per-process local-memory cache.

What sits in the cache (API throttle counters, the published evaluation) is never the only
copy of anything, and the sealed-bid deadline is enforced in the database. So a Redis outage
must not turn a request, least of all a bid sent before the deadline, into a 500: every cache
call that fails goes to a local-memory cache of this process instead and logs a warning. After
a failure Redis is left alone for ``RETRY_SECONDS`` (each request does not pay a connection
timeout), then tried again.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_SECONDS = 10.0
# Until when each Redis location is left alone, per process (cache objects are per thread).
_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


def _failing_open(method):
    name = method.__name__

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if not self.redis_down():
            try:
                return method(self, *args, **kwargs)
            except OUTAGE as exc:
                self.mark_down(exc)
        return getattr(self.local, name)(*args, **kwargs)

    return call


class FailoverRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self.location = server
        # LocMemCache keeps its data per name, so every thread of the process shares it.
        self.local = LocMemCache(f"failover-{server}", {"TIMEOUT": params.get("TIMEOUT", 300)})

    def redis_down(self) -> bool:
        return time.monotonic() < _down_until.get(self.location, 0.0)

    def mark_down(self, exc: BaseException) -> None:
        with _down_lock:
            first = not self.redis_down()
            _down_until[self.location] = time.monotonic() + RETRY_SECONDS
        if first:
            logger.warning(
                "cache: Redis unavailable (%s); using this process's local memory for %.0f s",
                exc,
                RETRY_SECONDS,
            )

    add = _failing_open(RedisCache.add)
    get = _failing_open(RedisCache.get)
    set = _failing_open(RedisCache.set)
    touch = _failing_open(RedisCache.touch)
    delete = _failing_open(RedisCache.delete)
    get_many = _failing_open(RedisCache.get_many)
    has_key = _failing_open(RedisCache.has_key)
    incr = _failing_open(RedisCache.incr)
    set_many = _failing_open(RedisCache.set_many)
    delete_many = _failing_open(RedisCache.delete_many)
    clear = _failing_open(RedisCache.clear)

    def count_hit(self, key: str, timeout: float) -> int:
        """Add one to a counter and return it, creating it to expire after ``timeout`` seconds:
        INCR and EXPIRE in one MULTI, so concurrent requests each see a distinct count."""
        if not self.redis_down():
            try:
                redis_key = self.make_and_validate_key(key)
                pipe = self._cache.get_client(redis_key, write=True).pipeline(transaction=True)
                pipe.incr(redis_key)
                pipe.expire(redis_key, max(1, int(timeout)), nx=True)
                return int(pipe.execute()[0])
            except OUTAGE as exc:
                self.mark_down(exc)
        return count_hit(self.local, key, timeout)


def count_hit(cache, key: str, timeout: float) -> int:
    """Count one hit on ``key`` atomically, with any cache backend."""
    if hasattr(cache, "count_hit"):
        return cache.count_hit(key, timeout)
    # Local memory (and other backends): add then incr. LocMemCache does each under its lock;
    # a counter that expired between the two is created again.
    for _ in range(3):
        cache.add(key, 0, timeout)
        try:
            return cache.incr(key)
        except ValueError:
            continue
    raise RuntimeError(f"cannot count hits on {key!r}")
