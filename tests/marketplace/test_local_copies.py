"""marketplace.cache.cached_with_local_copy: what every page reads and nobody changes often
(the drive in the address, the kinds of product, the subjects) is kept a few seconds by
the process in front of Redis."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from marketplace import cache as local
from shops.drive_session import drive_in_url
from tests.factories import DriveFactory

pytestmark = pytest.mark.django_db


def test_a_value_is_read_once_then_served_by_the_process_until_its_seconds_are_up():
    reads = []

    def read():
        reads.append(1)
        return {"answer": len(reads)}

    with mock.patch.object(local.time, "monotonic", return_value=1000.0):
        first = local.cached_with_local_copy("test-local", read, timeout=60, local_seconds=10)
        cache.delete("test-local")  # another process changed it: this one keeps its copy a while
        kept = local.cached_with_local_copy("test-local", read, timeout=60, local_seconds=10)
    with mock.patch.object(local.time, "monotonic", return_value=1011.0):
        later = local.cached_with_local_copy("test-local", read, timeout=60, local_seconds=10)

    assert (first, kept, later) == ({"answer": 1}, {"answer": 1}, {"answer": 2})


def test_made_up_drives_in_addresses_are_not_kept_by_the_process():
    DriveFactory(slug="lorient")
    factory = RequestFactory()

    for number in range(50):
        assert drive_in_url(factory.get("/search/", {"drive": f"no-such-drive-{number}"})) is None
    found = drive_in_url(factory.get("/search/", {"drive": "lorient"}))

    assert found.slug == "lorient"
    assert list(local._local_copies) == ["drive:lorient"]


def test_the_copies_are_bounded(monkeypatch):
    monkeypatch.setattr(local, "MAX_LOCAL_COPIES", 3)
    for number in range(7):
        local.cached_with_local_copy(f"test-bound-{number}", lambda: 1, timeout=60, local_seconds=10)

    assert len(local._local_copies) <= 3
