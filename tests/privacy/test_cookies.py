"""No cookie banner: the site sets only the cookies it cannot work without (the session,
the forms' CSRF token, the language chosen), which need no consent (ePrivacy directive,
art. 5(3); CNIL, "cookies et traceurs", exemptions). Any other cookie, set by the site or
by a library it adds one day, would need the banner: every customer journey is walked
here with a client that records every cookie every response sets, redirects included.

What the browser holds, scripts' cookies included, is checked in real Chromium
(tests/test_browser_privacy.py). The Secure flag in production is Django's deployment
checklist's (tests/marketplace/test_configuration.py), the language cookie's is here."""

from http.cookies import Morsel

import pytest
from django.conf import settings
from django.test import Client

from catalog.models import StockAlert
from marketplace.models import OutgoingEmail
from orders.models import Order
from tests.accounts.test_customer_signup import choose_password, confirmation_link, sign_up
from tests.catalog.test_listing_reports import send_report
from tests.factories import BookFactory, UserFactory
from tests.marketplace.page_helpers import en, small_site
from tests.marketplace.test_configuration import PRODUCTION_ENV, manage
from tests.orders.test_checkout_pages import add, details

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password


class CookieWatchingClient(Client):
    """A test client that keeps every cookie any response sets or deletes, including the
    responses of redirects it follows."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cookies_set: list[Morsel] = []

    def request(self, **request):
        response = super().request(**request)
        self.cookies_set.extend(response.cookies.values())
        return response


@pytest.fixture
def visitor():
    return CookieWatchingClient()


def strictly_necessary() -> set[str]:
    return {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}


def assert_only_strictly_necessary_cookies(visitor: CookieWatchingClient) -> None:
    """Only the three cookies, none sent with requests another site starts, the session's
    never readable by a script."""
    names = {cookie.key for cookie in visitor.cookies_set}
    assert names, "the journey set no cookie at all: the client saw nothing"
    assert names <= strictly_necessary(), names - strictly_necessary()
    for cookie in visitor.cookies_set:
        assert cookie["samesite"] == "Lax", cookie.OutputString()
        if cookie.key == settings.SESSION_COOKIE_NAME and cookie.value:  # a deletion holds nothing
            assert cookie["httponly"], cookie.OutputString()


def emailed_path(email: OutgoingEmail) -> str:
    """The address of the link an email carries, as the test client requests it."""
    return email.context["link"].removeprefix(settings.SITE_URL)


def test_a_guest_who_reserves_sets_only_strictly_necessary_cookies(visitor):
    site = small_site()

    # home, a drive, a search, a book page
    for address in ("/", en("drives"), en("drive", site.drive.slug)):
        assert visitor.get(address).status_code == 200
    assert visitor.post(en("drive_choose", site.drive.slug), follow=True).status_code == 200
    assert visitor.get(en("search"), {"q": "etranger", "drive": site.drive.slug}).status_code == 200
    assert visitor.get(en("book", site.book.ean), follow=True).status_code == 200
    assert visitor.get(en("shop", site.shop.slug)).status_code == 200

    # reserved, the order's page, and the guest's way to their personal data
    add(visitor, site.listing)
    assert visitor.get(en("cart")).status_code == 200
    done = visitor.post(en("checkout"), details(visitor), follow=True)
    assert done.status_code == 200
    order = Order.objects.exclude(pk=site.order.pk).get()
    assert visitor.get(en("order", order.token)).status_code == 200
    assert visitor.get(en("order_data", order.token)).status_code == 200
    assert visitor.post(en("order_data", order.token)).status_code == 200
    data_link = emailed_path(OutgoingEmail.objects.get(template="emails/privacy/data_link"))
    assert visitor.get(data_link).status_code == 200
    assert visitor.get(f"{data_link}download/").status_code == 200

    assert_only_strictly_necessary_cookies(visitor)


def test_a_visitor_who_asks_for_an_alert_and_reports_a_listing_sets_only_strictly_necessary_cookies(visitor):
    site = small_site()
    in_stock_nowhere = BookFactory(title="L'Anomalie")

    alert_form = f"{en('alert_new', in_stock_nowhere.ean)}?drive={site.drive.slug}"
    assert visitor.get(alert_form).status_code == 200
    assert visitor.post(alert_form, {"email": "annick@example.fr"}).status_code == 200
    confirm = en("alert_confirm", StockAlert.objects.get(email="annick@example.fr").token)
    assert visitor.get(confirm).status_code == 200
    assert visitor.post(confirm).status_code == 200

    assert visitor.get(en("listing_report", site.listing.pk)).status_code == 200
    assert send_report(visitor, site.listing, email="annick@example.fr").status_code == 302

    assert visitor.get(en("privacy")).status_code == 200
    assert visitor.get("/privacy/").status_code == 200

    assert_only_strictly_necessary_cookies(visitor)


def test_a_customer_who_signs_up_logs_out_and_in_sets_only_strictly_necessary_cookies(visitor):
    assert visitor.get(en("customer_signup")).status_code == 200
    assert sign_up(visitor, email="maelle@example.fr").status_code == 302
    assert choose_password(visitor, confirmation_link("maelle@example.fr"), PASSWORD).status_code == 302
    assert visitor.get(en("my_orders")).status_code == 200
    assert visitor.get(en("my_data")).status_code == 200
    assert visitor.post(en("customer_logout")).status_code == 302

    assert visitor.get(en("customer_login")).status_code == 200
    logged_in = visitor.post(en("customer_login"), {"username": "maelle@example.fr", "password": PASSWORD})
    assert logged_in.status_code == 302
    assert visitor.post(en("customer_logout")).status_code == 302

    assert_only_strictly_necessary_cookies(visitor)


def test_switching_the_language_sets_only_the_language_cookie_among_the_allowed(visitor):
    small_site()

    switched = visitor.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert switched.status_code == 302
    assert visitor.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert visitor.get("/", follow=True).status_code == 200
    assert_only_strictly_necessary_cookies(visitor)


def test_a_bookseller_who_logs_in_to_the_shops_space_sets_only_strictly_necessary_cookies(visitor):
    site = small_site()

    assert visitor.get(en("admin:login")).status_code == 200
    logged_in = visitor.post(en("admin:login"), {"username": site.bookseller.email, "password": PASSWORD})
    assert logged_in.status_code == 302
    assert visitor.get(en("admin:index")).status_code == 200
    assert visitor.get(en("counter")).status_code == 200
    assert visitor.post(en("admin:logout")).status_code == 200

    assert_only_strictly_necessary_cookies(visitor)


def test_a_logged_in_customer_s_session_cookie_is_not_readable_by_scripts(visitor):
    customer = UserFactory(email="annick@example.fr")

    visitor.post(en("customer_login"), {"username": customer.email, "password": PASSWORD})

    session = visitor.cookies[settings.SESSION_COOKIE_NAME]
    assert session.value
    assert session["httponly"]
    assert session["samesite"] == "Lax"


def test_in_production_the_language_cookie_is_sent_over_https_only():
    # The session's and the CSRF token's are Django's deployment checklist's
    # (tests/marketplace/test_configuration.py); the language's is not on it.
    show = "from django.conf import settings; print(settings.LANGUAGE_COOKIE_SECURE)"

    result = manage("shell", "-c", show, **PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_the_strictly_necessary_cookies_are_the_three_the_privacy_page_names(client):
    """The page says "your session, the protection of forms, the language you chose": if
    the site ever needs a fourth cookie, the page, docs/privacy.md and this set change
    together."""
    page = client.get(en("privacy")).content.decode()

    assert strictly_necessary() == {"sessionid", "csrftoken", "django_language"}
    assert "your session" in page
    assert "the protection of forms against forgery" in page
    assert "the language you chose" in page


def test_a_message_waiting_in_the_session_is_shown_on_a_page_others_get_from_the_cache(client):
    """Messages wait in the session, not in a cookie of their own: the page cache must
    still render afresh the page that shows one (marketplace/page_cache.py)."""
    site = small_site()
    search = f"{en('search')}?drive={site.drive.slug}&q=etranger"
    assert [Client().get(search)["X-Page-Cache"] for _ in range(2)] == ["miss", "hit"]

    chosen = client.post(en("drive_choose", site.drive.slug), {"next": search}, follow=True)

    assert "messages" not in client.cookies
    assert f"Your drive is now {site.drive.name}." in chosen.content.decode()
    assert chosen.get("X-Page-Cache") is None  # rendered afresh, not kept either
    assert client.get(search)["X-Page-Cache"] == "hit"  # shown once, then the cached page again
