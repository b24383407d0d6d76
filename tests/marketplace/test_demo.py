import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from catalog.ean import normalize_book_ean, normalize_product_ean
from catalog.models import Book, Listing
from catalog.pricing import check_listing_price
from catalog.search import BookQuery, search_books
from devtools import datagen, demo
from marketplace.models import OutgoingEmail
from orders.models import Order
from shops.models import Drive, Shop, ShopKind
from shops.validators import validate_siret
from tests.marketplace.test_datagen import (
    assert_attributes_valid,
    assert_each_listing_is_of_a_kind_its_shop_may_list,
)

pytestmark = pytest.mark.django_db

DEMO_PRODUCTS = len(demo.DEMO_BOARD_GAMES) + len(demo.DEMO_TOYS)


def test_the_demo_seed_is_valid_and_running_it_again_changes_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Shop.objects.count(), Book.objects.count(), Listing.objects.count(), Order.objects.count())

    call_command("seed_demo", stdout=io.StringIO())

    assert (
        Shop.objects.count(),
        Book.objects.count(),
        Listing.objects.count(),
        Order.objects.count(),
    ) == counts
    assert counts[3] == len(demo.DEMO_CUSTOMERS)  # orders waiting for the demo bookseller
    generated = datagen.SCALES["demo"]
    assert counts[1] == demo.DEMO_BOOK_COUNT + DEMO_PRODUCTS + generated.books + generated.products
    for shop in Shop.objects.all():
        validate_siret(shop.siret)
    for product in Book.objects.all():
        if product.follows_book_rules:
            assert normalize_book_ean(product.ean) == product.ean
        else:
            assert normalize_product_ean(product.ean, book_rules=False) == product.ean
    for listing in Listing.objects.select_related("book"):
        if listing.book.follows_book_rules:
            check_listing_price(
                price=listing.price, is_new=not listing.is_used, list_price=listing.book.list_price
            )
        assert listing.price > Decimal(0)
    assert_each_listing_is_of_a_kind_its_shop_may_list(Listing.objects.all())


def test_the_demo_has_a_games_and_toys_shop_in_lorient_whose_games_are_found_by_their_brand(settings):
    settings.DEBUG = True

    call_command("seed_demo", stdout=io.StringIO())

    shop = demo.demo_shop(demo.GAMES_SHOP)
    assert shop.status == Shop.Status.APPROVED
    assert list(shop.kinds.values_list("code", flat=True)) == [ShopKind.GAMES_AND_TOYS]
    assert shop.opening_periods.exists()
    listings = shop.listings.select_related("book__kind").prefetch_related("book__kind__attributes")
    assert 30 <= listings.count() == DEMO_PRODUCTS <= 40
    for listing in listings:
        assert listing.book.kind_id in {"board-game", "toy"}
        assert_attributes_valid(listing.book)
        assert listing.status == Listing.Status.PUBLISHED
        assert listing.condition == Listing.Condition.NEW
        assert 1 <= listing.quantity <= 4
        assert listing.price <= listing.book.list_price
    assert listings.filter(price__lt=F("book__list_price")).exists()
    bookshop_games = demo.demo_shop(demo.BOOKSHOP_WITH_BOARD_GAMES).listings.filter(book__kind="board-game")
    assert sorted(bookshop_games.values_list("book__title", flat=True)) == sorted(demo.BOOKSHOP_BOARD_GAMES)

    lorient = Drive.objects.get(name="Drive Lorient Keryado")
    found = search_books(BookQuery(latitude=lorient.latitude, longitude=lorient.longitude, text="libellud"))

    assert {result.title for result in found.results} == {"Dixit", "Mysterium"}
    dixit = next(result for result in found.results if result.title == "Dixit")
    assert dixit.shop_count == 2  # the games shop and the bookshop


def test_seeding_prints_each_email_in_one_line_with_links_to_the_demos_own_address(
    settings, capsys, capture_on_commit
):
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8100"  # PORT=8100 ./scripts/demo
    settings.EMAIL_BACKEND = "marketplace.email_backends.OneLineConsoleBackend"  # the demo's (no EMAIL_URL)
    out = io.StringIO()

    with capture_on_commit():  # the emails are sent once the seed commits
        call_command("seed_demo", stdout=out)

    sent = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT).order_by("pk")
    printed = capsys.readouterr().out.splitlines()
    assert len(sent) >= len(demo.DEMO_CUSTOMERS)  # every reservation's emails, in the demo's mailbox
    assert sorted(printed) == sorted(f"Email to {email.to}: {email.subject}" for email in sent)
    assert "Demo logins (http://127.0.0.1:8100/admin/):" in out.getvalue().splitlines()
    assert len(out.getvalue().splitlines()) < 10
    for email in sent:
        assert "http://127.0.0.1:8100/" in email.body_text
        assert "127.0.0.1:8000" not in email.body_text + email.body_html
    ready = sent.get(template="emails/orders/customer_ready")
    assert 'src="http://127.0.0.1:8100/' in ready.body_html  # the QR code's image


def test_the_demo_refuses_to_create_known_passwords_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG is false"):
        call_command("seed_demo", stdout=io.StringIO())
