"""The bookseller's stock in the admin: adding by ISBN, editing in the list, bulk
actions, imports; and the shop next door refused everywhere."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from catalog.models import Book, Listing, StockImport
from shops.models import Shop
from tests.factories import BookFactory, ChainStaffFactory, ListingFactory, MembershipFactory, ShopFactory

pytestmark = pytest.mark.django_db


def en(name, *args, **query):
    with translation.override("en"):
        url = reverse(name, args=args)
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


@pytest.fixture
def known_book():
    return BookFactory(ean="9782070368228", title="L'Étranger", list_price=Decimal("7.50"))


def cover_upload(size=(400, 600)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "#884422").save(buffer, "JPEG")
    return SimpleUploadedFile("couverture.jpg", buffer.getvalue(), content_type="image/jpeg")


# --- Adding by ISBN ----------------------------------------------------------------------


def test_a_known_isbn_leads_to_the_book_with_its_publishers_price(client, owner_a, shop_a, known_book):
    client.force_login(owner_a)

    step_one = client.post(en("admin:catalog_listing_add"), {"shop": shop_a.pk, "isbn": "2-07-036822-X"})
    assert step_one.status_code == 302
    step_two = client.get(step_one["Location"])

    assert "L&#x27;Étranger" in step_two.text
    assert step_two.context["form"].fields["price"].initial == Decimal("7.50")

    done = client.post(step_one["Location"], {"condition": "new", "price": "7.50", "quantity": "4"})

    assert done.status_code == 302
    listing = Listing.objects.get(shop=shop_a)
    assert (listing.book, listing.quantity, listing.status) == (known_book, 4, Listing.Status.PUBLISHED)


def test_an_unknown_isbn_asks_for_the_book_and_adds_it_to_the_catalogue_with_its_cover(
    client, owner_a, shop_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner_a)
    url = en("admin:catalog_listing_add", ean="9782070408504", shop=shop_a.pk)

    response = client.post(
        url,
        {
            "title": "La Peste",
            "authors": "Albert Camus",
            "publisher": "Gallimard",
            "list_price": "8.90",
            "format": "pocket",
            "cover": cover_upload(),
            "condition": "new",
            "price": "8.90",
            "quantity": "2",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    book = Book.objects.get(ean="9782070408504")
    assert (book.title, book.authors, book.list_price, book.source) == (
        "La Peste",
        "Albert Camus",
        None,  # a bookseller's word is its shop's claim, not the catalogue's reference
        Book.Source.BOOKSELLER,
    )
    assert list(book.claims.values_list("shop__trade_name", "value")) == [(shop_a.trade_name, "8.90")]
    assert book.cover.name.startswith("covers/9782070408504")
    with Image.open(book.cover_thumbnail.path) as thumbnail:
        assert thumbnail.format == "WEBP"
        assert thumbnail.size == (240, 360)
    assert Listing.objects.get(book=book).quantity == 2


@pytest.mark.parametrize(
    ("isbn", "message"),
    [("9782070368229", "its check digit does not match"), ("3017620422003", "starts with 978 or 979")],
)
def test_a_wrong_isbn_is_explained(client, owner_a, shop_a, isbn, message):
    client.force_login(owner_a)

    response = client.post(en("admin:catalog_listing_add"), {"shop": shop_a.pk, "isbn": isbn})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["isbn"])


def test_a_new_book_below_95_percent_is_refused_with_the_allowed_range(client, owner_a, shop_a, known_book):
    client.force_login(owner_a)

    response = client.post(
        en("admin:catalog_listing_add", ean=known_book.ean, shop=shop_a.pk),
        {"condition": "new", "price": "6.00", "quantity": "1"},
    )

    assert response.status_code == 200
    assert "between €7.13 and €7.50" in " ".join(response.context["form"].errors["price"])
    assert not Listing.objects.exists()


def test_a_used_copy_is_priced_freely(client, owner_a, shop_a, known_book):
    client.force_login(owner_a)

    client.post(
        en("admin:catalog_listing_add", ean=known_book.ean, shop=shop_a.pk),
        {"condition": "used_good", "price": "2.00", "quantity": "1"},
    )

    assert Listing.objects.get().price == Decimal("2.00")


def test_a_bad_cover_is_refused(client, owner_a, shop_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner_a)

    response = client.post(
        en("admin:catalog_listing_add", ean="9782070408504", shop=shop_a.pk),
        {
            "title": "La Peste",
            "list_price": "8.90",
            "cover": SimpleUploadedFile("cover.jpg", b"GIF89a not really", content_type="image/jpeg"),
            "condition": "new",
            "price": "8.90",
            "quantity": "2",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["cover"]
    assert not Book.objects.exists()


def test_a_bookseller_cannot_add_to_another_shop(client, outsider, shop_a, known_book):
    client.force_login(outsider)

    response = client.post(
        en("admin:catalog_listing_add", ean=known_book.ean, shop=shop_a.pk),
        {"condition": "new", "price": "7.50", "quantity": "1"},
    )
    step_one = client.post(en("admin:catalog_listing_add"), {"shop": shop_a.pk, "isbn": known_book.ean})

    assert response.status_code == 200  # back to step one: that shop is not among theirs
    assert step_one.status_code == 200
    assert "shop" in step_one.context["form"].errors
    assert not Listing.objects.filter(shop=shop_a).exists()


# --- The stock list ---------------------------------------------------------------------


def changelist_post(listings, **changes):
    """The form the stock list posts when quantities and prices are edited in place."""
    data = {"form-TOTAL_FORMS": len(listings), "form-INITIAL_FORMS": len(listings), "_save": "Save"}
    for index, listing in enumerate(listings):
        data[f"form-{index}-id"] = listing.pk
        data[f"form-{index}-price"] = changes.get("price", listing.price)
        data[f"form-{index}-quantity"] = changes.get("quantity", listing.quantity)
    return data


@pytest.mark.parametrize("who", ["owner_a", "colleague_a"])
def test_quantity_and_price_are_changed_in_the_list(client, request, who, shop_a, known_book):
    listing = ListingFactory(shop=shop_a, book=known_book, quantity=1, price=Decimal("7.50"))
    client.force_login(request.getfixturevalue(who))

    response = client.post(
        en("admin:catalog_listing_changelist"), changelist_post([listing], quantity=12, price="7.20")
    )

    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.quantity, listing.price) == (12, Decimal("7.20"))


def test_a_price_outside_the_law_is_refused_in_the_list(client, owner_a, shop_a, known_book):
    listing = ListingFactory(shop=shop_a, book=known_book, price=Decimal("7.50"))
    client.force_login(owner_a)

    response = client.post(en("admin:catalog_listing_changelist"), changelist_post([listing], price="9.00"))

    assert response.status_code == 200
    assert "between €7.13 and €7.50" in response.text
    listing.refresh_from_db()
    assert listing.price == Decimal("7.50")


def test_a_suspicious_quantity_sends_a_listing_to_moderation(client, owner_a, shop_a, known_book):
    listing = ListingFactory(shop=shop_a, book=known_book, price=Decimal("7.50"))
    client.force_login(owner_a)

    client.post(en("admin:catalog_listing_changelist"), changelist_post([listing], quantity=5000))

    listing.refresh_from_db()
    assert (listing.status, listing.moderation_flags) == (Listing.Status.PENDING, ["suspicious_quantity"])


def test_the_list_searches_by_isbn_title_and_author(client, owner_a, shop_a, known_book):
    ListingFactory(shop=shop_a, book=known_book)
    ListingFactory(
        shop=shop_a,
        book=BookFactory(
            title="Le Petit Prince", contributors=[{"name": "Antoine de Saint-Exupéry", "role": "author"}]
        ),
    )
    client.force_login(owner_a)
    url = en("admin:catalog_listing_changelist")

    def found(term):
        return [listing.book.title for listing in client.get(url, {"q": term}).context["cl"].result_list]

    assert found("2-07-036822-X") == ["L'Étranger"]
    assert found("978-2-07-036822-8") == ["L'Étranger"]
    assert found("petit prince") == ["Le Petit Prince"]
    assert found("Saint-Exupéry") == ["Le Petit Prince"]


def test_the_list_filters_by_stock_status_and_condition(client, owner_a, shop_a):
    ListingFactory(shop=shop_a, quantity=0, book__title="Épuisé")
    ListingFactory(shop=shop_a, quantity=2, condition="used_good", price=Decimal("3"), book__title="Occasion")
    client.force_login(owner_a)
    url = en("admin:catalog_listing_changelist")

    def titles(**query):
        return sorted(listing.book.title for listing in client.get(url, query).context["cl"].result_list)

    assert titles(in_stock="no") == ["Épuisé"]
    assert titles(in_stock="yes") == ["Occasion"]
    assert titles(condition__exact="used_good") == ["Occasion"]
    assert titles(status__exact="published") == ["Occasion", "Épuisé"]


def test_the_list_needs_a_constant_number_of_queries(client, owner_a, shop_a, django_assert_max_num_queries):
    for _ in range(30):
        ListingFactory(shop=shop_a, book__contributors=[{"name": "Auteur", "role": "author"}])
    client.force_login(owner_a)

    with django_assert_max_num_queries(15):
        response = client.get(en("admin:catalog_listing_changelist"))

    assert len(response.context["cl"].result_list) == 30


def test_bulk_actions_apply_to_exactly_the_selected_rows(client, owner_a, shop_a):
    chosen = [ListingFactory(shop=shop_a, quantity=5) for _ in range(2)]
    left = ListingFactory(shop=shop_a, quantity=5)
    client.force_login(owner_a)
    url = en("admin:catalog_listing_changelist")
    selection = [listing.pk for listing in chosen]

    client.post(url, {"action": "set_out_of_stock", "_selected_action": selection})
    client.post(url, {"action": "hide", "_selected_action": selection})

    assert (
        sorted(Listing.objects.filter(pk__in=selection).values_list("quantity", "status"))
        == [(0, "hidden")] * 2
    )
    left.refresh_from_db()
    assert (left.quantity, left.status) == (5, "published")

    client.post(url, {"action": "publish", "_selected_action": selection})
    assert set(Listing.objects.filter(pk__in=selection).values_list("status", flat=True)) == {"published"}


def test_publishing_waits_for_the_shops_approval(client, shop_a):
    pending_shop = ShopFactory(status=Shop.Status.PENDING)
    owner = MembershipFactory(shop=pending_shop).user
    draft = ListingFactory(shop=pending_shop, status=Listing.Status.DRAFT)
    client.force_login(owner)

    client.post(en("admin:catalog_listing_changelist"), {"action": "publish", "_selected_action": [draft.pk]})

    draft.refresh_from_db()
    assert draft.status == Listing.Status.DRAFT


# --- Refusals for the shop next door ------------------------------------------------------


def test_a_bookseller_never_sees_nor_changes_another_shops_stock(client, outsider, shop_a, known_book):
    listing = ListingFactory(shop=shop_a, book=known_book, quantity=3, price=Decimal("7.50"))
    client.force_login(outsider)

    listing_page = client.get(en("admin:catalog_listing_change", listing.pk))
    stock_list = client.get(en("admin:catalog_listing_changelist"))
    client.post(en("admin:catalog_listing_change", listing.pk), {"price": "7.13", "quantity": "0"})
    client.post(en("admin:catalog_listing_changelist"), changelist_post([listing], quantity=0))
    client.post(
        en("admin:catalog_listing_changelist"),
        {"action": "set_out_of_stock", "_selected_action": [listing.pk]},
    )

    assert listing_page.status_code == 302  # "does not exist"
    assert "L&#x27;Étranger" not in stock_list.text
    listing.refresh_from_db()
    assert (listing.quantity, listing.price) == (3, Decimal("7.50"))


def test_booksellers_cannot_edit_the_shared_catalogue(client, owner_a, known_book):
    client.force_login(owner_a)

    assert client.get(en("admin:catalog_book_change", known_book.pk)).status_code == 403


def test_chain_staff_see_every_shops_stock(client, shop_a):
    ListingFactory(shop=shop_a, book__title="Chez Alpha")
    ListingFactory(book__title="Ailleurs")
    client.force_login(ChainStaffFactory())

    response = client.get(en("admin:catalog_listing_changelist"))

    assert {listing.book.title for listing in response.context["cl"].result_list} == {
        "Chez Alpha",
        "Ailleurs",
    }


# --- Importing a file from the admin ------------------------------------------------------


def upload(name, text):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_an_upload_is_previewed_then_applied(client, owner_a, shop_a, known_book, capture_on_commit):
    client.force_login(owner_a)

    with capture_on_commit():
        response = client.post(
            en("admin:catalog_stockimport_add"),
            {
                "shop": shop_a.pk,
                "file": upload("stock.csv", "ean;quantite;prix\n9782070368228;3;7,50\n123;1;2\n"),
            },
        )
    stock_import = StockImport.objects.get()
    assert response["Location"] == en("admin:catalog_stockimport_change", stock_import.pk)

    preview = client.get(response["Location"])
    stock_import.refresh_from_db()
    assert stock_import.status == StockImport.Status.PREVIEWED
    assert stock_import.counts["create"] == 1
    assert stock_import.counts["refuse"] == 1
    assert "An ISBN has 10 or 13 characters" in preview.text
    assert not Listing.objects.exists()  # nothing applied yet

    with capture_on_commit():
        client.post(en("admin:catalog_stockimport_apply", stock_import.pk))

    stock_import.refresh_from_db()
    assert stock_import.status == StockImport.Status.APPLIED
    assert Listing.objects.get(shop=shop_a).quantity == 3


def test_an_unreadable_file_fails_with_an_explanation(client, owner_a, shop_a, capture_on_commit):
    client.force_login(owner_a)

    with capture_on_commit():
        client.post(
            en("admin:catalog_stockimport_add"),
            {"shop": shop_a.pk, "file": upload("stock.csv", "titre;prix\nX;3\n")},
        )

    stock_import = StockImport.objects.get()
    assert stock_import.status == StockImport.Status.FAILED
    assert "EAN" in stock_import.error


def test_an_import_is_applied_once_even_if_confirmed_twice(
    client, owner_a, shop_a, known_book, capture_on_commit
):
    client.force_login(owner_a)
    with capture_on_commit():
        client.post(
            en("admin:catalog_stockimport_add"),
            {"shop": shop_a.pk, "file": upload("stock.csv", "ean;quantite\n9782070368228;3\n")},
        )
    stock_import = StockImport.objects.get()

    with capture_on_commit():
        client.post(en("admin:catalog_stockimport_apply", stock_import.pk))
    with capture_on_commit():
        second = client.post(en("admin:catalog_stockimport_apply", stock_import.pk), follow=True)

    assert "can no longer be applied" in second.text
    assert Listing.objects.get().quantity == 3


def test_a_bookseller_cannot_import_into_nor_read_another_shops_imports(client, outsider, owner_a, shop_a):
    client.force_login(owner_a)
    stock_import = StockImport.objects.create(
        shop=shop_a, original_name="alpha.csv", format="csv", status=StockImport.Status.PREVIEWED
    )
    client.force_login(outsider)

    upload_response = client.post(
        en("admin:catalog_stockimport_add"),
        {"shop": shop_a.pk, "file": upload("x.csv", "ean\n9782070368228\n")},
    )
    detail = client.get(en("admin:catalog_stockimport_change", stock_import.pk))
    apply = client.post(en("admin:catalog_stockimport_apply", stock_import.pk))
    listing = client.get(en("admin:catalog_stockimport_changelist"))

    assert "shop" in upload_response.context["form"].errors
    assert detail.status_code == 404
    assert apply.status_code == 404
    assert "alpha.csv" not in listing.text
    stock_import.refresh_from_db()
    assert stock_import.status == StockImport.Status.PREVIEWED
    assert StockImport.objects.count() == 1
