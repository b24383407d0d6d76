"""The public page cache's two levels (Redis, and each process's own copies) and the
shops' version they both obey. Other processes are played by writing to the shared
cache directly, as they would."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from marketplace import page_cache
from shops import cache_version
from shops.cache_version import SHOPS_VERSION_KEY, shops_cache_version
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book_pages():
    DriveFactory(slug="lorient", latitude=47.754, longitude=-3.39)
    shop = ShopFactory(latitude=47.75, longitude=-3.37)
    urls = []
    for _ in range(3):
        book = BookFactory()
        ListingFactory(shop=shop, book=book)
        with translation.override("en"):
            urls.append(reverse("book", args=[book.ean]) + "?drive=lorient")
    return urls


def served(client, url) -> str:
    return client.get(url)["X-Page-Cache"]


class Clock:
    """Moves the clocks the cache reads (monotonic for the version, Unix for expiries)."""

    def __init__(self, monkeypatch):
        self.ahead = 0.0
        real_monotonic, real_time = cache_version.time.monotonic, page_cache.time.time
        monkeypatch.setattr(cache_version.time, "monotonic", lambda: real_monotonic() + self.ahead)
        monkeypatch.setattr(page_cache.time, "time", lambda: real_time() + self.ahead)

    def advance(self, seconds: float) -> None:
        self.ahead += seconds


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def test_a_shop_changed_by_another_process_shows_within_a_second(client, book_pages, clock):
    url = book_pages[0]
    assert (served(client, url), served(client, url)) == ("miss", "hit")

    cache.incr(SHOPS_VERSION_KEY)  # another process saved a shop
    still = served(client, url)
    clock.advance(cache_version.SHOPS_VERSION_RECHECK + 0.1)
    after = served(client, url)

    assert (still, after) == ("hit", "miss")


def test_a_page_kept_by_this_process_expires_with_the_shared_one(client, book_pages, clock, monkeypatch):
    url = book_pages[0]
    served(client, url)
    # Only this process's copy is looked at (locmem would expire the shared one by the real clock).
    monkeypatch.setattr(page_cache, "_shared_page", lambda key, shops_version: None)

    clock.advance(page_cache.PAGE_TTL - 1)
    before_expiry = served(client, url)
    clock.advance(2)
    after_expiry = served(client, url)

    assert (before_expiry, after_expiry) == ("hit", "miss")


def test_this_process_keeps_the_pages_served_last_and_the_others_come_from_redis(
    client, book_pages, monkeypatch
):
    monkeypatch.setattr(page_cache, "LOCAL_PAGES", 2)
    for url in book_pages:
        served(client, url)

    assert len(page_cache._local_pages) == 2
    assert served(client, book_pages[0]) == "hit"  # dropped here, still shared
    assert len(page_cache._local_pages) == 2


def test_an_emptied_cache_never_gives_back_an_old_version():
    first = shops_cache_version()
    cache.clear()
    cache_version.forget_shops_version()

    assert shops_cache_version() != first


# --- Stale while revalidate: past its fresh time, one process renders, the others serve the old page


def held_by_another_process(url_count: int = 1) -> None:
    """Take the rendering locks of the pages this process holds, as another process
    rendering them again would."""
    for key in list(page_cache._local_pages)[:url_count]:
        assert cache.add(page_cache._rendering_lock(key), 1, page_cache.LOCK_SECONDS)


def test_a_page_past_its_time_is_served_as_it_was_while_another_process_renders_it(client, book_pages, clock):
    url = book_pages[0]
    first = client.get(url)
    clock.advance(page_cache.PAGE_TTL + 1)
    held_by_another_process()

    meanwhile = client.get(url)

    assert (first["X-Page-Cache"], meanwhile["X-Page-Cache"]) == ("miss", "stale")
    assert meanwhile.content == first.content


def test_only_one_process_renders_a_page_past_its_time_again(client, book_pages, clock):
    url = book_pages[0]
    served(client, url)
    (key, old_page) = next(iter(page_cache._local_pages.items()))
    clock.advance(page_cache.PAGE_TTL + 1)

    renderer = served(client, url)  # this process took the lock and renders it again
    # Another process, whose request came while it rendered, still sees the old page.
    page_cache.forget_local_pages()
    cache.set(key, old_page, 60)
    other = served(client, url)

    assert (renderer, other) == ("miss", "stale")


def test_a_page_past_its_time_is_never_served_once_a_shop_changed(client, book_pages, clock):
    url = book_pages[0]
    served(client, url)
    clock.advance(page_cache.PAGE_TTL + 1)
    held_by_another_process()

    cache_version.shops_changed()  # e.g. a shop suspended

    assert served(client, url) == "miss"


def test_a_page_is_never_served_past_its_grace(client, book_pages, clock):
    url = book_pages[0]
    served(client, url)
    clock.advance(page_cache.PAGE_TTL + page_cache.STALE_GRACE + 1)
    held_by_another_process()

    assert served(client, url) == "miss"


def test_once_rendered_again_the_page_is_fresh_for_every_process(client, book_pages, clock):
    url = book_pages[0]
    served(client, url)
    clock.advance(page_cache.PAGE_TTL + 1)
    served(client, url)  # rendered again
    page_cache.forget_local_pages()  # another process asks Redis

    assert served(client, url) == "hit"


def test_a_stale_page_is_not_served_while_redis_cannot_be_reached(client, book_pages, clock, redis_cache):
    url = book_pages[0]
    served(client, url)
    clock.advance(page_cache.PAGE_TTL + 1)
    outage = redis_cache._outage
    outage.since, outage.retry_at = 0.0, float("inf")  # as after a failed call: Redis left alone
    try:
        during = served(client, url)
    finally:
        outage.since, outage.retry_at = None, 0.0

    assert during == "bypass"


def test_the_rendering_lock_is_taken_in_redis_once(book_pages, redis_cache):
    key = "page:test-lock"

    assert [page_cache._renders_again(key), page_cache._renders_again(key)] == [True, False]
