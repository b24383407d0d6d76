import io
import math
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from catalog.ean import normalize_book_ean, normalize_product_ean
from catalog.models import Book, Listing, ProductKind, SearchTerm, Subject
from catalog.pricing import check_listing_price
from catalog.product_kinds import ShopProductKinds, attribute_values_clean
from catalog.search import BookQuery, search_books
from devtools import datagen, demo
from shops.geo import haversine_km
from shops.models import Drive, Locality, Shop, ShopKind
from shops.validators import validate_siret
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db

SMALL = datagen.Scale(drives=3, shops=4, books=30, listings=100)
SMALL_OPTIONS = [
    "--drives=3",
    "--shops=4",
    "--books=30",
    "--listings=100",
    "--products=12",
    "--product-listings=10",
]
# Two games-and-toys shops among the twelve (one in six).
WITH_PRODUCTS = datagen.Scale(drives=3, shops=12, books=30, listings=100, products=60, product_listings=80)


@pytest.fixture(autouse=True)
def _local_run(settings):
    settings.DEBUG = True  # the command refuses to invent shops on a production site


def test_the_generator_refuses_to_run_on_a_production_site(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG is false"):
        call_command("generate_data", "--books", "1", stdout=io.StringIO())


def generate(seed=1, scale=SMALL):
    return datagen.generate(scale=scale, seed=seed)


def snapshot():
    """Everything the seed decides, without the ids and timestamps the database gives."""
    return {
        "drives": list(Drive.objects.order_by("slug").values_list("slug", "name", "latitude", "longitude")),
        "shops": list(
            Shop.objects.order_by("siret").values_list(
                "siret", "trade_name", "slug", "status", "latitude", "kinds__code"
            )
        ),
        "books": list(
            Book.objects.order_by("ean").values_list(
                "ean", "kind", "title", "subtitle", "contributors", "attributes", "list_price"
            )
        ),
        "listings": list(
            Listing.objects.order_by("shop__siret", "book__ean", "condition").values_list(
                "shop__siret", "book__ean", "condition", "price", "quantity", "status"
            )
        ),
    }


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    generate(seed=7, scale=WITH_PRODUCTS)
    first = snapshot()
    datagen.generated_data_delete()

    generate(seed=7, scale=WITH_PRODUCTS)
    again = snapshot()
    datagen.generated_data_delete()
    generate(seed=8, scale=WITH_PRODUCTS)
    other = snapshot()

    assert again == first
    assert len(first["books"]) == WITH_PRODUCTS.books + WITH_PRODUCTS.products
    assert len(first["listings"]) == WITH_PRODUCTS.listings + WITH_PRODUCTS.product_listings
    assert titles(other) != titles(first)
    assert other["listings"] != first["listings"]


def titles(data):
    return [title for _ean, _kind, title, *_rest in data["books"]]


def test_generated_rows_pass_the_models_own_validation():
    generate(scale=WITH_PRODUCTS)

    for model in (Drive, Shop, Book, Listing):
        for row in model.objects.all():
            row.full_clean()


def test_books_have_valid_isbns_in_the_reserved_range_and_shops_valid_sirets():
    generate()

    for ean in Book.objects.values_list("ean", flat=True):
        assert normalize_book_ean(ean) == ean
        assert ean.startswith(datagen.GENERATED_EAN_PREFIX)
    for siret in Shop.objects.values_list("siret", flat=True):
        validate_siret(siret)
        assert siret.startswith(datagen.GENERATED_SIREN_PREFIX)


def test_every_listing_is_priced_as_the_fixed_book_price_law_allows():
    generate(scale=datagen.Scale(drives=3, shops=4, books=200, listings=600))

    listings = Listing.objects.select_related("book")
    assert listings.filter(condition=Listing.Condition.NEW).exclude(price=F("book__list_price")).exists()
    for listing in listings:
        check_listing_price(
            price=listing.price, is_new=not listing.is_used, list_price=listing.book.list_price
        )
        if listing.is_used:
            assert listing.price <= listing.book.list_price * Decimal("0.7") + Decimal("0.01")
        assert Decimal("4.50") <= listing.book.list_price <= Decimal("45.00")


def test_a_shop_lists_a_book_at_most_once_per_condition():
    generate()

    listings = Listing.objects.all()
    assert listings.values("shop", "book", "condition").distinct().count() == listings.count()


def test_held_listings_carry_the_flag_that_held_them():
    generate(scale=datagen.Scale(drives=3, shops=4, books=200, listings=600))

    for listing in Listing.objects.all():
        if listing.status == Listing.Status.PENDING:
            assert listing.moderation_flags == [Listing.Flag.SUSPICIOUS_QUANTITY]
        else:
            assert listing.moderation_flags == []
            assert 0 <= listing.quantity <= 6


def test_every_shop_joins_one_to_three_drives_within_30_km():
    Locality.objects.exclude(postcode__startswith="56").delete()  # drives close together, in Morbihan

    generate(scale=datagen.Scale(drives=40, shops=30, books=30, listings=100))

    shops = list(Shop.objects.prefetch_related("drives"))
    for shop in shops:
        drives = list(shop.drives.all())
        assert 1 <= len(drives) <= 3
        for drive in drives:
            assert haversine_km(shop.latitude, shop.longitude, drive.latitude, drive.longitude) <= 30
    assert any(len(shop.drives.all()) > 1 for shop in shops)


def test_drives_are_named_after_their_commune_and_placed_near_it():
    generate()

    for drive in Drive.objects.all():
        commune = Locality.objects.filter(postcode=drive.postcode).first()
        assert drive.name.startswith("Drive ")
        assert drive.region
        assert haversine_km(drive.latitude, drive.longitude, commune.latitude, commune.longitude) < 50


def test_more_drives_than_communes_reuse_them_with_a_suffix():
    Locality.objects.exclude(insee_code__in=["56121", "29232"]).delete()  # Lorient, Quimper

    generate(scale=datagen.Scale(drives=5, shops=0, books=0, listings=0))

    names = set(Drive.objects.values_list("name", flat=True))
    assert {"Drive Lorient", "Drive Quimper", "Drive Lorient Nord", "Drive Quimper Nord"} < names
    assert len(names) == 5
    assert any(name.endswith(" Sud") for name in names)


@pytest.mark.parametrize(
    ("laposte_name", "town", "name"),
    [
        ("STE ANNE D AURAY", "Sainte-Anne-d'Auray", "Sainte-Anne-d'Auray"),
        ("PARIS 11", "Paris", "Paris 11e"),
        ("LYON 01", "Lyon", "Lyon 1er"),
        ("LE BONO", "Le Bono", "Le Bono"),
        ("GUILLIGOMARC H", "Guilligomarc'h", "Guilligomarc'h"),
        ("PONT A MOUSSON", "Pont-à-Mousson", "Pont-à-Mousson"),
        ("LA ROCHE SUR YON", "La Roche-sur-Yon", "La Roche-sur-Yon"),
    ],
)
def test_la_postes_commune_names_are_written_as_people_write_them(laposte_name, town, name):
    assert datagen.commune_display_name(laposte_name) == (town, name)


def test_stock_is_split_in_proportion_and_never_above_the_catalogue():
    sizes = datagen.apportion(100, [1.0, 1.0, 8.0], cap=50)

    assert sum(sizes) == 100
    assert max(sizes) == 50
    assert datagen.apportion(10, [1.0, 1.0], cap=3) == [3, 3]


def test_the_subjects_of_the_generated_books_exist():
    generate()

    codes = set(Book.objects.values_list("clil_code", flat=True))
    assert codes <= set(Subject.objects.values_list("code", flat=True))
    assert Subject.objects.get(code="3771").label == "Bandes dessinées, comics, mangas"


def test_search_vectors_are_filled_and_the_vocabulary_built():
    generate()

    assert not Book.objects.filter(search_vector__isnull=True).exists()
    assert SearchTerm.objects.exists()


def test_the_command_refuses_to_run_twice_without_reset():
    call_command("generate_data", *SMALL_OPTIONS, stdout=io.StringIO())

    with pytest.raises(CommandError, match="generated data already present; use --reset"):
        call_command("generate_data", *SMALL_OPTIONS, stdout=io.StringIO())


def test_the_command_prints_the_time_of_each_step():
    out = io.StringIO()

    call_command("generate_data", *SMALL_OPTIONS, stdout=out)

    for step in ("drives", "shops", "books", "listings", "products", "search index", "analyze"):
        assert re.search(rf"^  {step} .* rows +[0-9.]+ s$", out.getvalue(), re.MULTILINE)


def test_reset_deletes_only_generated_rows_then_generates_again():
    hand_made_listing = ListingFactory(shop=ShopFactory(), book=BookFactory())
    hand_made_drive = DriveFactory()
    call_command("generate_data", *SMALL_OPTIONS, stdout=io.StringIO())
    generated_in_hand_made_shop = Listing.objects.filter(shop=hand_made_listing.shop).count() - 1

    call_command("generate_data", "--reset", "--seed=2", *SMALL_OPTIONS, stdout=io.StringIO())

    assert generated_in_hand_made_shop > 0
    assert Listing.objects.filter(pk=hand_made_listing.pk).exists()
    assert Drive.objects.filter(pk=hand_made_drive.pk).exists()
    assert datagen.generated_books().count() == 30
    assert datagen.generated_shops().count() == 4
    assert datagen.generated_drives().count() == 3


def test_delete_leaves_hand_made_shops_books_drives_and_listings():
    hand_made_listing = ListingFactory(shop=ShopFactory(), book=BookFactory())
    hand_made_drive = DriveFactory()
    generate()

    call_command("generate_data", "--delete", stdout=io.StringIO())

    assert list(Listing.objects.all()) == [hand_made_listing]
    assert list(Book.objects.all()) == [hand_made_listing.book]
    assert list(Shop.objects.all()) == [hand_made_listing.shop]
    assert list(Drive.objects.all()) == [hand_made_drive]
    assert not datagen.generated_data_present()


def test_a_scale_beyond_the_reserved_ranges_is_refused():
    with pytest.raises(CommandError, match="at most 1,000,000 books"):
        call_command("generate_data", "--books=1000001", stdout=io.StringIO())


def test_shops_need_a_drive_to_be_near():
    with pytest.raises(CommandError, match="no drive"):
        call_command("generate_data", "--drives=0", "--shops=2", stdout=io.StringIO())


def test_the_demo_seed_adds_generated_shops_and_stock_to_the_demo_bookshops():
    demo.seed()
    port = Shop.objects.get(siret=demo.demo_siret(1))
    counts = (Book.objects.count(), Listing.objects.count(), Shop.objects.count())

    demo.seed()

    assert (Book.objects.count(), Listing.objects.count(), Shop.objects.count()) == counts
    assert datagen.generated_shops().count() == datagen.SCALES["demo"].shops
    assert datagen.generated_books().count() == datagen.SCALES["demo"].books
    assert port.listings.filter(book__in=datagen.generated_books()).exists()
    assert port.listings.exclude(book__in=datagen.generated_books()).exists()


def assert_attributes_valid(product: Book) -> None:
    """The product's attribute values are what its kind's rules make of them, typed as a
    person would ("8-99", "45", "Libellud")."""
    typed = {
        code: f"{value[0]}-{value[1]}" if isinstance(value, list) else str(value)
        for code, value in product.attributes.items()
    }
    values, problems = attribute_values_clean(product.kind, typed)
    assert problems == {}, (product.title, problems)
    assert values == product.attributes


def assert_each_listing_is_of_a_kind_its_shop_may_list(listings) -> None:
    kinds_by_shop = {}
    for listing in listings.select_related("shop", "book"):
        if listing.shop_id not in kinds_by_shop:
            kinds_by_shop[listing.shop_id] = ShopProductKinds(listing.shop)
        assert listing.book.kind_id in kinds_by_shop[listing.shop_id].allowed, (listing.shop, listing.book)


def test_products_of_three_kinds_have_valid_attributes_and_eans_in_their_own_range():
    generate(scale=WITH_PRODUCTS)

    products = datagen.generated_products().select_related("kind").prefetch_related("kind__attributes")
    assert products.count() == 60
    assert set(products.values_list("kind", flat=True)) == {"board-game", "toy", "record"}
    for product in products:
        assert_attributes_valid(product)
        assert not product.lacks_required_details
        assert product.ean.startswith(datagen.GENERATED_PRODUCT_EAN_PREFIX)
        assert normalize_product_ean(product.ean, book_rules=False) == product.ean
        assert product.title
        assert product.list_price > 0
        product.full_clean()


def test_the_record_kind_is_made_once_for_the_games_and_toys_shops_and_outlives_the_data():
    generate(scale=WITH_PRODUCTS)
    datagen.generated_data_delete()
    generate(scale=WITH_PRODUCTS, seed=2)

    record = ProductKind.objects.get(code="record")
    assert (record.name_fr, record.name_en) == ("Disque", "Record")
    assert [
        (attribute.code, attribute.type, attribute.required) for attribute in record.attributes.all()
    ] == [
        ("artist", "text", True),
        ("format", "choice", False),
    ]
    assert record.attributes.get(code="format").choice_list == datagen.RECORD_FORMATS
    assert list(record.shop_kinds.values_list("code", flat=True)) == [ShopKind.GAMES_AND_TOYS]


def test_products_are_listed_in_the_generated_games_and_toys_shops_and_books_in_bookshops():
    hand_made_games_shop = ShopFactory(kinds=[ShopKind.GAMES_AND_TOYS])
    generate(scale=WITH_PRODUCTS)

    games_shops = datagen.generated_shops().filter(kinds__code=ShopKind.GAMES_AND_TOYS)
    assert games_shops.count() == math.ceil(WITH_PRODUCTS.shops * datagen.GAMES_SHOP_SHARE) == 2
    assert "Jeux" in " ".join(games_shops.values_list("description", flat=True))
    product_listings = Listing.objects.filter(book__in=datagen.generated_products())
    assert product_listings.count() == WITH_PRODUCTS.product_listings
    assert set(product_listings.values_list("shop", flat=True)) <= set(
        games_shops.values_list("pk", flat=True)
    )
    assert Listing.objects.filter(book__in=datagen.generated_books()).count() == WITH_PRODUCTS.listings
    assert not hand_made_games_shop.listings.exists()
    assert_each_listing_is_of_a_kind_its_shop_may_list(Listing.objects.all())


def test_a_product_is_found_by_its_brand_near_its_shop():
    generate(scale=WITH_PRODUCTS)
    listing = (
        Listing.objects.filter(
            book__in=datagen.generated_products().filter(kind="board-game"),
            shop__status=Shop.Status.APPROVED,
            status=Listing.Status.PUBLISHED,
            quantity__gt=0,
        )
        .select_related("shop", "book")
        .first()
    )

    found = search_books(
        BookQuery(
            latitude=listing.shop.latitude,
            longitude=listing.shop.longitude,
            text=listing.book.attributes["brand"],
            per_page=100,
        )
    )

    assert listing.book_id in [result.id for result in found.results]


def test_products_alone_are_generated_data_and_the_deletion_removes_them_and_their_listings():
    hand_made_game = Book.objects.create(
        ean="3760000000000",
        kind_id="board-game",
        title="Jeu fait main",
        attributes={"brand": "Atelier du coin", "age-range": [6, 99]},
        source=Book.Source.STAFF,
    )
    hand_made_listing = ListingFactory(shop=ShopFactory(kinds=[ShopKind.GAMES_AND_TOYS]), book=hand_made_game)
    generate(scale=datagen.Scale(drives=0, shops=0, books=0, listings=0, products=5))
    assert datagen.generated_data_present()
    datagen.generated_data_delete()
    generate(scale=WITH_PRODUCTS)

    counts = datagen.generated_data_delete()

    assert counts["products"] == WITH_PRODUCTS.products
    assert not datagen.generated_data_present()
    assert list(Book.objects.all()) == [hand_made_game]
    assert list(Listing.objects.all()) == [hand_made_listing]
