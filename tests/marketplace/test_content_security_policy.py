"""Every kind of page answers with a Content-Security-Policy that refuses inline code and
framing. That browsers apply it without refusing anything the pages need is checked in
real Chromium (tests/test_browser_csp.py, and every browser test)."""

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from csp.middleware import CSPMiddleware
from django.middleware.clickjacking import XFrameOptionsMiddleware

from marketplace.models import OutgoingEmail
from marketplace.views import mailbox_message
from tests.conftest import REPO_DIR
from tests.marketplace.page_helpers import SmallSite, en, small_site

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class PageType:
    address: Callable[[SmallSite], str]
    person: str = ""  # whom to log in as, if anyone: "bookseller" or "head_office"
    book_in_the_cart: bool = False
    status: int = 200


PAGE_TYPES = {
    "home": PageType(lambda site: en("home")),
    "drive list": PageType(lambda site: en("drives")),
    "drive": PageType(lambda site: en("drive", site.drive.slug)),
    "search results": PageType(lambda site: f"{en('search')}?drive={site.drive.slug}&q=etranger"),
    "book": PageType(lambda site: en("book", site.book.ean)),
    "shop": PageType(lambda site: en("shop", site.shop.slug)),
    "cart": PageType(lambda site: en("cart"), book_in_the_cart=True),
    "checkout": PageType(lambda site: en("checkout"), book_in_the_cart=True),
    "order": PageType(lambda site: en("order", site.order.token)),
    "customer login": PageType(lambda site: en("customer_login")),
    "customer sign-up": PageType(lambda site: en("customer_signup")),
    "shop application": PageType(lambda site: en("shops:apply")),
    "counter": PageType(lambda site: en("counter"), person="bookseller"),
    "admin login": PageType(lambda site: en("admin:login")),
    "admin index": PageType(lambda site: en("admin:index"), person="head_office"),
    "changelist": PageType(lambda site: en("admin:catalog_listing_changelist"), person="bookseller"),
    "change form": PageType(lambda site: en("admin:shops_shop_change", site.shop.pk), person="head_office"),
    "order in the admin": PageType(
        lambda site: en("admin:orders_order_change", site.order.pk), person="bookseller"
    ),
    "dashboard": PageType(lambda site: en("dashboard_network"), person="head_office"),
    "API documentation": PageType(lambda site: en("api-docs")),
    "API in a browser": PageType(lambda site: "/api/v1/drives/?format=api"),
    "not found": PageType(lambda site: f"{en('home')}no-such-page/", status=404),
}


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header, as {directive: [sources]}."""
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_every_kind_of_page_refuses_inline_code_and_framing(client, page_type):
    site = small_site()
    page = PAGE_TYPES[page_type]
    if page.person:
        client.force_login(getattr(site, page.person))
    if page.book_in_the_cart:
        client.post(en("cart_add", site.listing.pk), {"quantity": 1})

    response = client.get(page.address(site))

    assert response.status_code == page.status
    directives = policy(response)
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"] + directives["style-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert response["X-Frame-Options"] == "DENY"  # for browsers older than frame-ancestors


@pytest.mark.parametrize("name", ["home", "api-docs"])
def test_no_page_needs_a_nonce_every_script_is_a_file(client, name):
    response = client.get(en(name))

    assert policy(response)["script-src"] == ["'self'"]
    assert "<script>" not in response.content.decode()
    assert "<script nonce" not in response.content.decode()


def test_the_api_documentation_s_start_up_script_is_a_file_of_the_site(client):
    page = client.get(en("api-docs")).content.decode()

    script = re.search(r'<script src="([^"]+\?script=)"', page).group(1)
    assert client.get(script)["Content-Type"].startswith("application/javascript")


def test_the_demo_mailbox_frames_an_html_email_with_its_inline_styles(rf):
    """The demo's mailbox (DEBUG only: not routed in tests) shows the email in a frame of
    its own address, whose policy lets the email's inline styles apply, and only those."""
    email = OutgoingEmail.objects.create(
        event_key="order:1:customer-ready", to="annick@example.fr", language="en", subject="Ready",
        body_text="Ready", body_html='<p style="color: #0b5d57">Ready</p>',
    )  # fmt: skip
    serve = CSPMiddleware(XFrameOptionsMiddleware(lambda request: mailbox_message(request, email.pk)))

    response = serve(rf.get(f"/dev/mailbox/{email.pk}/", {"format": "html"}))

    directives = policy(response)
    assert directives["style-src"] == ["'unsafe-inline'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def img_src_with(**environment) -> list[str]:
    """The policy's img-src when the settings read `environment` (in a process of its own:
    the settings are read once)."""
    # Set, even empty, a variable wins over a developer's .env.
    no_s3 = {"AWS_STORAGE_BUCKET_NAME": "", "AWS_S3_CUSTOM_DOMAIN": "", "AWS_S3_ENDPOINT_URL": ""}
    database = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused"}  # read, never reached
    result = subprocess.run(
        [sys.executable, "-c", "from config import settings as s; "
         "print(' '.join(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"],
        cwd=REPO_DIR,
        env={**os.environ, **no_s3, **database, **environment},
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    return result.stdout.split()


@pytest.mark.parametrize(
    ("environment", "media_origin"),
    [
        ({"AWS_S3_CUSTOM_DOMAIN": "media.drive-solidaire.fr"}, "https://media.drive-solidaire.fr"),
        ({"AWS_S3_ENDPOINT_URL": "https://s3.fr-par.scw.cloud"}, "https://s3.fr-par.scw.cloud"),
        ({"AWS_S3_REGION_NAME": "eu-west-3"}, "https://drive-media.s3.amazonaws.com"),
    ],
)
def test_covers_and_logos_on_s3_may_be_shown(environment, media_origin):
    img_src = img_src_with(AWS_STORAGE_BUCKET_NAME="drive-media", **environment)

    assert img_src == ["'self'", "data:", media_origin]


def test_without_s3_images_come_from_the_site_only():
    assert img_src_with() == ["'self'", "data:"]
