"""Head office's pages for the shared catalogue: loading a feed, the conflicts queue, a
book's dated prices; and the bookseller's "Price to review" filter."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Book, BookClaim, BookPrice, CatalogueFeed, CatalogueRules, Listing
from tests.conftest import SHARED_DATA_DIR, require
from tests.factories import BookFactory, ChainStaffFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db

DILICOM_ONIX = SHARED_DATA_DIR / "onix_samples" / "Sample_ONIX_3.0.xml"


def en(name, *args, query=""):
    with translation.override("en"):
        return reverse(name, args=args) + (f"?{query}" if query else "")


@pytest.fixture
def head_office(client):
    user = ChainStaffFactory()
    client.force_login(user)
    return user


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def test_head_office_loads_the_dilicom_feed_from_its_page(
    client, head_office, private_storage, capture_on_commit
):
    require("shared data", DILICOM_ONIX.is_file(), f"expected at {DILICOM_ONIX}")
    upload = SimpleUploadedFile("dilicom.xml", DILICOM_ONIX.read_bytes(), "application/xml")

    with capture_on_commit():
        response = client.post(en("admin:catalog_cataloguefeed_add"), {"file": upload, "source": "feed"})

    feed = CatalogueFeed.objects.get()
    assert response.status_code == 302
    assert response["Location"] == en("admin:catalog_cataloguefeed_change", feed.pk)
    assert feed.status == CatalogueFeed.Status.LOADED
    assert (feed.counts["products"], feed.counts["books"], feed.created_by) == (105, 104, head_office)
    assert Book.objects.filter(list_price__isnull=False).count() == 104
    page = client.get(en("admin:catalog_cataloguefeed_change", feed.pk))
    assert page.status_code == 200
    assert "104 books loaded (104 new, 0 updated)" in page.content.decode()


def test_head_office_sets_reference_prices_in_bulk_with_a_csv(
    client, head_office, private_storage, capture_on_commit
):
    books = [BookFactory(list_price=None), BookFactory(list_price=None)]
    text = "EAN;Prix public\n" + "".join(f"{book.ean};12,50\n" for book in books) + "9780000000000;9,00\n"
    upload = SimpleUploadedFile("prix.csv", text.encode(), "text/csv")
    today = timezone.localdate()

    with capture_on_commit():
        client.post(
            en("admin:catalog_cataloguefeed_add"),
            {"file": upload, "source": "staff", "effective_from": today.isoformat()},
        )

    feed = CatalogueFeed.objects.get()
    assert feed.status == CatalogueFeed.Status.LOADED, feed.error
    assert feed.counts["refused"] == 1
    assert feed.counts["refusals"][0]["line"] == 4
    for book in books:
        book.refresh_from_db()
        assert book.list_price == Decimal("12.50")
    assert set(BookPrice.objects.values_list("source", "effective_from")) == {(BookPrice.Source.STAFF, today)}


def test_the_conflicts_queue_shows_the_claims_and_settles_them(client, head_office):
    book = BookFactory(title="Livre disputé", list_price=None)
    alpha, bravo = ShopFactory(trade_name="Librairie Alpha"), ShopFactory(trade_name="Librairie Bravo")
    for shop, value in ((alpha, "1.00"), (bravo, "28.00")):
        BookClaim.objects.create(book=book, shop=shop, field=BookClaim.Field.LIST_PRICE, value=value)
    agreed = BookFactory(title="Livre accordé", list_price=None)
    BookClaim.objects.create(book=agreed, shop=alpha, field=BookClaim.Field.LIST_PRICE, value="9.50")

    page = client.get(en("admin:catalog_bookinconflict_changelist", query="why=disagree")).content.decode()
    assert "Livre disputé" in page
    assert "Librairie Alpha" in page
    assert "€28.00" in page
    assert "Livre accordé" not in page

    response = client.post(
        en("admin:catalog_bookinconflict_changelist"),
        {"action": "use_agreed_price", "_selected_action": [book.pk, agreed.pk]},
    )
    assert response.status_code == 302
    agreed.refresh_from_db()
    book.refresh_from_db()
    assert (agreed.list_price, book.list_price) == (Decimal("9.50"), None)

    client.post(
        en("admin:catalog_bookinconflict_changelist"),
        {"action": "dismiss_claims", "_selected_action": [book.pk]},
    )
    assert not BookClaim.objects.filter(reviewed_at__isnull=True).exists()
    assert "Livre disputé" not in client.get(en("admin:catalog_bookinconflict_changelist")).content.decode()


def test_a_price_added_on_the_books_page_becomes_the_reference(client, head_office):
    book = BookFactory(list_price=Decimal("10.00"), title="Livre")
    listing = ListingFactory(book=book, price=Decimal("10.00"))
    url = en("admin:catalog_book_change", book.pk)
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "cover"}
    data["contributors"] = ""
    data.update({
        "prices-TOTAL_FORMS": "1", "prices-INITIAL_FORMS": "0", "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000", "prices-0-amount": "11.00",
        "prices-0-effective_from": timezone.localdate().isoformat(),
    })  # fmt: skip

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    book.refresh_from_db()
    assert book.list_price == Decimal("11.00")
    assert BookPrice.objects.get(book=book).source == BookPrice.Source.STAFF
    listing.refresh_from_db()
    assert listing.price_review_by is not None  # 10 € is below 95 % of 11 €


def test_head_office_sets_the_grace_period(client, head_office):
    rules = CatalogueRules.current()
    response = client.post(
        en("admin:catalog_cataloguerules_change", rules.pk), {"price_change_grace_days": "30"}
    )
    assert response.status_code == 302
    assert CatalogueRules.current().price_change_grace_days == 30


def test_the_bookseller_finds_listings_to_review_in_the_stock_list(client, owner_a, shop_a):
    to_review = ListingFactory(shop=shop_a, book=BookFactory(title="À revoir"), price=Decimal("20.00"))
    ListingFactory(shop=shop_a, book=BookFactory(title="Tout va bien"))
    Listing.objects.filter(pk=to_review.pk).update(price_review_by=timezone.now() + timedelta(days=3))
    client.force_login(owner_a)

    page = client.get(en("admin:catalog_listing_changelist", query="price_review=yes")).content.decode()

    assert "À revoir" in page
    assert "Tout va bien" not in page


def test_the_conflicts_queue_reads_its_claims_in_one_query_whatever_the_page(
    client, head_office, django_assert_max_num_queries
):
    shop = ShopFactory(trade_name="Librairie Alpha")
    url = en("admin:catalog_bookinconflict_changelist")

    def claim(count):
        for _ in range(count):
            book = BookFactory(list_price=None)
            BookClaim.objects.create(book=book, shop=shop, field=BookClaim.Field.LIST_PRICE, value="9.00")

    claim(2)
    client.get(url)  # sessions, permissions and the like, once
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    claim(20)
    with django_assert_max_num_queries(len(few)):
        client.get(url)
