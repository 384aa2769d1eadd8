"""The limits' counters: atomic under concurrency in every shared cache the settings may choose."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command

from core import counters
from core.models import RateCounter


@pytest.fixture(params=["cache", "database cache", "redis"])
def shared_cache(request, settings):
    if request.param == "database cache":  # production without REDIS_URL
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                       "LOCATION": "test_counters_cache"}}
        call_command("createcachetable", verbosity=0)
    if request.param == "redis":  # production with REDIS_URL, on a Redis of this test's own
        request.getfixturevalue("on_redis")
    return request.param


@pytest.mark.django_db(transaction=True)
def test_simultaneous_hits_are_each_counted_once(shared_cache):
    start = threading.Barrier(40)

    def one(_):
        start.wait()
        return counters.hit("race", window=3600).hits

    with ThreadPoolExecutor(40) as pool:
        seen = list(pool.map(one, range(40)))
    assert counters.peek("race", window=3600).hits == 40  # no hit lost
    assert max(seen) == 40
    # each caller's number is at least its place in line: never two callers both see "1"
    assert seen.count(1) <= 1
    assert sum(1 for n in seen if n <= 10) <= 10
    if shared_cache != "database cache":
        assert sorted(seen) == list(range(1, 41))
    else:
        assert RateCounter.objects.filter(key__startswith="race:").count() == 1


@pytest.mark.django_db
def test_windows_and_retry_after(shared_cache):
    assert counters.hit("w", window=60, now=120.5) == counters.Count(1, 60)
    assert counters.hit("w", window=60, now=179.2) == counters.Count(2, 1)
    assert counters.hit("w", window=60, now=180.0) == counters.Count(1, 60)  # a new window
    assert counters.peek("w", window=60, now=181.0) == counters.Count(1, 59)
    counters.reset("w", window=60, now=181.0)
    assert counters.peek("w", window=60, now=181.0).hits == 0
    assert counters.first_time("pair", window=60, now=10) is True
    assert counters.first_time("pair", window=60, now=20) is False
    assert counters.first_time("pair", window=60, now=70) is True


@pytest.mark.django_db
def test_on_redis_a_hit_is_one_round_trip_and_the_window_expires(on_redis):
    """``ResilientRedisCache.count``: the counter is made with the window's time to live, then counted up
    without touching that time; a hit costs Redis one transaction, not add + exists + incr."""
    raw = on_redis.raw()
    before = raw.info("commandstats")
    assert counters.hit("rt", window=60, now=120.5).hits == 1
    assert counters.hit("rt", window=60, now=130.0).hits == 2
    stats = raw.info("commandstats")
    calls = {name: stats[name]["calls"] - before.get(name, {"calls": 0})["calls"]
             for name in stats if name.startswith("cmdstat_")}
    sent = {name: n for name, n in calls.items() if n and name not in ("cmdstat_info", "cmdstat_hello")}
    assert sent == {"cmdstat_multi": 2, "cmdstat_set": 2, "cmdstat_incrby": 2, "cmdstat_exec": 2}
    [key] = raw.keys("*rt:120*")
    assert 59 <= raw.ttl(key) <= 61 and int(raw.get(key)) == 2
    assert counters.peek("rt", window=60, now=150.0).hits == 2  # what get reads is the plain integer
