"""What a public page weighs (issue 19): htmx only where it is used, and a first load of
HTML, CSS and JavaScript within 30 KB once compressed."""

import gzip

import pytest
from django.contrib.staticfiles import finders

from tests.factories import DriveFactory

pytestmark = pytest.mark.django_db

HTMX = "vendor/htmx-2.0.11/htmx.min.js"


def compressed_size(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=6))


def static_bytes(path: str) -> bytes:
    with open(finders.find(path), "rb") as file:
        return file.read()


def test_htmx_is_loaded_only_by_the_application_form_that_uses_it(client):
    DriveFactory()

    assert HTMX not in client.get("/").text
    assert HTMX not in client.get("/drives/").text
    assert HTMX in client.get("/shops/apply/").text


def test_the_home_page_s_first_load_is_within_30_kb_compressed(client):
    DriveFactory()
    html = client.get("/").content

    total = compressed_size(html) + sum(
        compressed_size(static_bytes(path)) for path in ("css/site.css", "js/site.js")
    )

    assert total <= 30 * 1024, f"{total} bytes"
