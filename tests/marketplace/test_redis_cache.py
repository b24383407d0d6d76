"""The page cache on the real Redis, as production runs it (the other tests use an
in-memory cache): one round trip per cached page, one redis-py client per process."""

import multiprocessing

import pytest
from django.core.cache import cache, caches
from django.urls import reverse
from django.utils import translation

from marketplace.cache import RedisCache
from shops.cache_version import shops_changed
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory
from tests.marketplace.test_configuration import manage

pytestmark = pytest.mark.django_db


def test_a_redis_cache_url_selects_the_project_backend():
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        CACHE_URL="redis://127.0.0.1:6379/3",
    )  # fmt: skip

    assert "marketplace.cache.RedisCache" in result.stdout.splitlines(), result.stderr


def test_one_client_serves_every_call(redis_cache):
    backend = caches["default"]
    client = backend._cache.get_client()

    redis_cache.set("a", 1)
    redis_cache.get_many(["a", "b"])

    assert isinstance(backend, RedisCache)
    assert backend._cache.get_client() is client
    assert backend._cache.get_client(write=True) is client  # one server: one pool, one client


def _use_after_fork(queue):
    cache.set("child", "written by the child", 30)
    queue.put(cache.get("parent"))


def test_a_forked_worker_talks_to_redis_on_its_own_connection(redis_cache):
    """gunicorn forks its workers: the inherited client must not share the parent's socket."""
    redis_cache.set("parent", "written by the parent", 30)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_use_after_fork, args=(queue,))
    child.start()
    child.join(20)

    assert child.exitcode == 0
    assert queue.get(timeout=5) == "written by the parent"
    assert redis_cache.get("child") == "written by the child"
    assert redis_cache.get("parent") == "written by the parent"  # the parent's connection still answers


def test_a_cached_page_is_served_until_a_shop_changes(client, redis_cache):
    DriveFactory(slug="lorient", latitude=47.754, longitude=-3.39)
    shop = ShopFactory(latitude=47.75, longitude=-3.37)
    book = BookFactory()
    ListingFactory(shop=shop, book=book)
    with translation.override("en"):
        url = reverse("book", args=[book.ean]) + "?drive=lorient"

    first, second = client.get(url), client.get(url)
    shops_changed()  # what Shop.save does once a change is committed
    third, fourth = client.get(url), client.get(url)

    assert [page["X-Page-Cache"] for page in (first, second, third, fourth)] == ["miss", "hit", "miss", "hit"]
    assert second.content == first.content


def test_redis_is_given_up_on_within_half_a_second_unless_the_cache_url_says_otherwise():
    default = RedisCache("redis://127.0.0.1:6379/3", {})
    patient = RedisCache("redis://127.0.0.1:6379/3?socket_timeout=2", {"OPTIONS": {"socket_timeout": 2}})

    assert default._cache._pool_options["socket_connect_timeout"] == 0.25
    assert default._cache._pool_options["socket_timeout"] == 0.5
    assert patient._cache._pool_options["socket_timeout"] == 2


def test_an_unreachable_redis_is_an_empty_cache_that_keeps_nothing(caplog):
    gone = RedisCache("redis://127.0.0.1:1/0", {})  # nothing listens on port 1

    gone.set("drive", "lorient")

    assert gone.get("drive", "none") == "none"
    assert gone.get_many(["drive"]) == {}
    assert not gone.has_key("drive")
    assert gone.add("drive", "lorient") is False
    assert gone.get_or_set("subjects", lambda: ["BD", "Roman"]) == ["BD", "Roman"]
    with pytest.raises(ValueError, match="not found"):  # as for a key that is not there
        gone.incr("counter")
    assert gone.unreachable
    assert sum("cannot be reached" in record.getMessage() for record in caplog.records) == 1
