"""Rate limits count atomically: N requests at once against a limit of L get exactly L
through, in the local-memory cache and on the real Redis alike."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache

from marketplace import rate_limits
from marketplace.rate_limits import Rate, hit


def hits_at_once(count: int, *, rate: str, who: str = "198.51.100.1") -> list[bool]:
    """`count` hits sent together from as many threads, released by a barrier."""
    barrier = threading.Barrier(count)

    def one(_):
        barrier.wait()
        return hit(scope="test", who=who, rate=rate).allowed

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.parametrize(("text", "rate"), [("20/min", Rate(20, 60)), ("5/hour", Rate(5, 3600)),
                                            ("3/10min", Rate(3, 600)), (" 1 / s ", Rate(1, 1))])  # fmt: skip
def test_rates_are_written_as_people_say_them(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "many", "5/fortnight", "-1/min"])
def test_a_rate_that_does_not_parse_is_refused(text):
    with pytest.raises(ValueError, match="not a rate"):
        Rate.parse(text)


def test_the_limit_lets_through_exactly_its_count():
    verdicts = [hit(scope="test", who="a", rate="3/hour") for _ in range(5)]

    assert [verdict.allowed for verdict in verdicts] == [True, True, True, False, False]
    assert 0 < verdicts[-1].retry_after <= 3600


def test_each_client_and_each_scope_counts_apart():
    for _ in range(3):
        hit(scope="test", who="a", rate="3/hour")

    assert hit(scope="test", who="b", rate="3/hour").allowed
    assert hit(scope="other", who="a", rate="3/hour").allowed
    assert not hit(scope="test", who="a", rate="3/hour").allowed


def test_concurrent_hits_never_pass_the_limit_in_memory():
    allowed = hits_at_once(40, rate="20/hour")

    assert allowed.count(True) == 20


def test_concurrent_hits_never_pass_the_limit_on_redis(redis_cache):
    allowed = hits_at_once(40, rate="20/hour")

    assert allowed.count(True) == 20


def test_an_unreachable_cache_lets_requests_through_and_says_so_once(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "add", broken)
    monkeypatch.setattr(rate_limits, "_cache_failing", False)

    verdicts = [hit(scope="test", who="a", rate="1/hour") for _ in range(3)]

    assert all(verdict.allowed for verdict in verdicts)
    assert sum("cannot be reached" in record.getMessage() for record in caplog.records) == 1
