"""Throttles count atomically under concurrency, and a cache outage degrades them to this
process's memory (logged) instead of refusing requests, bids above all (issue 10 §5, §6)."""

from __future__ import annotations

import os
import threading
from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIRequestFactory

from api.throttles import AnonRateThrottle
from bidders.models import Bid
from tests.bidders.sealing import seal_bid

CLOSED_PORT = "redis://127.0.0.1:1/0"
MID_WINDOW = 1_800_000_030.0  # half-way through a minute


def burst(throttle_class, requests: int, ip: str = "203.0.113.7") -> Counter:
    """``requests`` threads ask the throttle at the same moment; count the answers."""
    barrier = threading.Barrier(requests)
    answers: Counter = Counter()
    lock = threading.Lock()

    def one() -> None:
        request = APIRequestFactory().get("/api/v1/tenders/", REMOTE_ADDR=ip)
        request.user = AnonymousUser()
        throttle = throttle_class()
        throttle.timer = lambda: MID_WINDOW  # the whole burst in one window, whenever it runs
        barrier.wait()
        allowed = throttle.allow_request(request, None)
        with lock:
            answers[allowed] += 1

    threads = [threading.Thread(target=one) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.fixture
def anon_rate(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "25/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF reads the rates once into the class attribute.
    original = AnonRateThrottle.THROTTLE_RATES
    AnonRateThrottle.THROTTLE_RATES = rates
    yield 25
    AnonRateThrottle.THROTTLE_RATES = original


def test_a_concurrent_burst_gets_exactly_the_rate_through(anon_rate):
    # With the configured cache: local memory here, Redis in CI (REDIS_URL).
    answers = burst(AnonRateThrottle, 80)
    assert answers == Counter({True: anon_rate, False: 80 - anon_rate})


def test_another_address_has_its_own_count(anon_rate):
    assert burst(AnonRateThrottle, 30, ip="198.51.100.1")[True] == anon_rate
    assert burst(AnonRateThrottle, 5, ip="198.51.100.2") == Counter({True: 5})


@pytest.mark.django_db
def test_the_throttled_answer_is_a_json_429_with_retry_after(api, anon_rate, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "timer", staticmethod(lambda: MID_WINDOW))
    for _ in range(anon_rate):
        assert api.get(reverse("api:regimes")).status_code == 200
    response = api.get(reverse("api:regimes"))
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert response["Retry-After"] == "30"  # the rest of the window


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_with_redis_the_counter_is_shared_and_atomic(settings, anon_rate):
    settings.CACHES = {
        "default": {
            "BACKEND": "procurement.cache.FailoverRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    cache.clear()
    assert not cache.redis_down()
    answers = burst(AnonRateThrottle, 60)
    assert answers == Counter({True: anon_rate, False: 60 - anon_rate})
    assert not cache.redis_down()


@pytest.fixture
def redis_down(settings, monkeypatch):
    # Each test meets the outage afresh (the process remembers one for RETRY_SECONDS).
    monkeypatch.setattr("procurement.cache._down_until", {})
    settings.CACHES = {
        "default": {"BACKEND": "procurement.cache.FailoverRedisCache", "LOCATION": CLOSED_PORT}
    }
    yield


def test_with_redis_down_the_throttle_degrades_to_local_counting_and_logs(
    redis_down, anon_rate, caplog
):
    with caplog.at_level("WARNING", logger="procurement.cache"):
        answers = burst(AnonRateThrottle, 40)
    assert answers == Counter({True: anon_rate, False: 40 - anon_rate})
    assert cache.redis_down()
    (record,) = [r for r in caplog.records if r.name == "procurement.cache"]
    assert "Redis unavailable" in record.getMessage()


@pytest.mark.django_db
def test_with_redis_down_a_bid_before_the_deadline_is_accepted(
    redis_down, api_as, make_tender, make_bidder, caplog
):
    tender = make_tender(publish=True)
    user, org = make_bidder()
    with caplog.at_level("WARNING", logger="procurement.cache"):
        response = api_as(user).post(
            reverse("api:tender-bids", args=[tender.reference]),
            data=seal_bid(tender, org.code),
            content_type="application/octet-stream",
        )
    assert response.status_code == 201, response.content
    assert Bid.objects.get(tender=tender).supplier == org
    assert any("Redis unavailable" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_with_redis_down_reads_still_answer(redis_down, api, client, make_tender):
    tender = make_tender(publish=True)
    assert api.get(reverse("api:tender", args=[tender.reference])).status_code == 200
    assert client.get(reverse("tender", args=[tender.reference])).status_code == 200
