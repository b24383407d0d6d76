"""Finding books near a drive: words, accents, stems, typos, ISBNs, distance, stock."""

from decimal import Decimal

import pytest

from catalog.models import Listing, Subject
from catalog.search import BookQuery, search_books
from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from shops.geo import haversine_km
from shops.models import Shop
from tests.factories import BookFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db

LORIENT = (47.7507, -3.3789)


def point_north(km: float) -> tuple[float, float]:
    """A point `km` kilometres due north of Lorient (1° of latitude is 111.195 km)."""
    return LORIENT[0] + km / 111.195, LORIENT[1]


def shop_at(km: float, **kwargs):
    latitude, longitude = point_north(km)
    return ShopFactory(latitude=latitude, longitude=longitude, **kwargs)


@pytest.fixture
def near():
    return shop_at(5, trade_name="Librairie du Port")


@pytest.fixture
def catalogue(near):
    books = {
        "chateau": BookFactory(
            title="Le Château de ma mère",
            contributors=[{"name": "Marcel Pagnol", "role": "author"}],
            publisher="Éditions de Fallois",
            ean="9782877065511",
            list_price=Decimal("7.90"),
        ),
        "miserables": BookFactory(
            title="Les Misérables",
            contributors=[{"name": "Victor Hugo", "role": "author"}],
            ean="9782253096337",
            list_price=Decimal("9.90"),
        ),
        "peste": BookFactory(
            title="La Peste",
            contributors=[{"name": "Albert Camus", "role": "author"}],
            ean="9782070360420",
            list_price=Decimal("8.30"),
        ),
        "peste_noire": BookFactory(title="La peste noire en Bretagne et ailleurs : la peste au Moyen Âge"),
        "cholera": BookFactory(title="Peste et choléra", subtitle="roman"),
    }
    for book in books.values():
        ListingFactory(shop=near, book=book, price=book.list_price)
    search_index_refresh()
    search_vocabulary_refresh()
    return books


def search(text="", **options):
    return search_books(BookQuery(latitude=LORIENT[0], longitude=LORIENT[1], text=text, **options))


def titles(found):
    return [result.title for result in found.results]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("chateau", "Le Château de ma mère"),  # accents ignored
        ("CHÂTEAUX", "Le Château de ma mère"),  # case and plural
        ("misérable", "Les Misérables"),  # French stemming
        ("miserables hugo", "Les Misérables"),  # title and author together
        ("pagnol", "Le Château de ma mère"),  # author
        ("fallois", "Le Château de ma mère"),  # publisher
        ("chatau", "Le Château de ma mère"),  # a typo: a letter missing
        ("pagnoll", "Le Château de ma mère"),  # a typo: a letter too many
        ("camsu", "La Peste"),  # a typo: two letters swapped
    ],
)
def test_words_find_their_book(catalogue, typed, expected):
    assert titles(search(typed))[:1] == [expected]


def test_a_typo_is_reported_with_the_word_searched_instead(catalogue):
    found = search("chatau")

    assert found.corrections == {"chatau": "chateau"}


def test_a_known_word_is_not_corrected(catalogue):
    assert search("peste").corrections == {}


def test_a_word_of_a_book_added_since_the_vocabulary_was_built_is_not_corrected(catalogue, near):
    ListingFactory(shop=near, book=BookFactory(title="Les Secrets du port"))
    search_index_refresh()
    search_vocabulary_refresh()  # knows "port" ('port'), one letter from "potter" ('pott')
    potter = BookFactory(title="Harry Potter à l'école des sorciers")
    ListingFactory(shop=near, book=potter)
    search_index_refresh()  # findable at once; the vocabulary is rebuilt every hour

    found = search("harry potter")

    assert titles(found) == ["Harry Potter à l'école des sorciers"]
    assert found.corrections == {}


def test_a_word_no_book_holds_finds_nothing_and_no_other_word_is_said_corrected(catalogue, near):
    ListingFactory(shop=near, book=BookFactory(title="Les Secrets du port"))
    search_index_refresh()
    search_vocabulary_refresh()

    without_harry = search("harry potter")
    potter_alone = search("potter")

    assert (without_harry.results, without_harry.corrections) == ([], {})
    assert titles(potter_alone)[0] == "Les Secrets du port"  # (and the "Éditions du Port" books)
    assert potter_alone.corrections == {"pott": "port"}


@pytest.mark.parametrize("isbn", ["9782253096337", "978-2-253-09633-7", "2-253-09633-4", "2253096334"])
def test_an_isbn_finds_exactly_its_book(catalogue, isbn):
    found = search(isbn)

    assert titles(found) == ["Les Misérables"]
    assert found.isbn == "9782253096337"


def test_an_exact_title_comes_first(catalogue):
    assert titles(search("la peste"))[0] == "La Peste"


def test_each_result_tells_price_range_shop_count_and_nearest_distance(catalogue, near):
    other = shop_at(12)
    ListingFactory(shop=other, book=catalogue["peste"], price=Decimal("7.89"))
    ListingFactory(shop=other, book=catalogue["peste"], condition="used_good", price=Decimal("3.00"))

    [result] = search("camus").results

    assert (result.min_price, result.max_price, result.shop_count) == (Decimal("3.00"), Decimal("8.30"), 2)
    assert (result.has_new, result.has_used) == (True, True)
    assert result.nearest_km == pytest.approx(5, abs=0.01)
    assert result.authors == "Albert Camus"


def test_only_books_in_stock_at_open_shops_within_the_radius_count(catalogue, near):
    book = BookFactory(title="Introuvable")
    ListingFactory(shop=near, book=book, quantity=0)
    ListingFactory(
        shop=near, book=book, status=Listing.Status.HIDDEN, condition="used_good", price=Decimal(2)
    )
    ListingFactory(
        shop=near, book=book, status=Listing.Status.PENDING, condition="used_very_good", price=Decimal(2)
    )
    ListingFactory(
        shop=near, book=book, status=Listing.Status.DRAFT, condition="used_acceptable", price=Decimal(2)
    )
    for status in (Shop.Status.PENDING, Shop.Status.REJECTED, Shop.Status.SUSPENDED):
        ListingFactory(shop=shop_at(3, status=status), book=book)
    ListingFactory(shop=shop_at(45), book=book)
    search_index_refresh()

    assert titles(search("introuvable")) == []
    assert titles(search("introuvable", radius_km=50)) == ["Introuvable"]


@pytest.mark.parametrize(("km", "found"), [(29.9, True), (30.1, False)])
def test_the_radius_is_respected_to_the_hundred_metres(km, found):
    shop = shop_at(km)
    assert haversine_km(*LORIENT, shop.latitude, shop.longitude) == pytest.approx(km, abs=0.01)
    ListingFactory(shop=shop, book=BookFactory(title="Aux confins"))
    search_index_refresh()

    assert bool(titles(search("confins", radius_km=30))) is found


def test_filters_condition_price_shop_and_subject(catalogue, near):
    other = shop_at(8)
    Subject.objects.create(code="3435", label="Littérature")
    Subject.objects.create(code="3436", label="Romans", parent_id="3435")
    catalogue["peste"].clil_code = "3436"
    catalogue["peste"].save()
    ListingFactory(shop=other, book=catalogue["miserables"], condition="used_good", price=Decimal("2.50"))

    assert titles(search("miserables", condition="used")) == ["Les Misérables"]
    assert titles(search("miserables", condition="new")) == ["Les Misérables"]
    assert titles(search("", price_max=Decimal("8.00"), condition="new")) == ["Le Château de ma mère"]
    assert titles(search("", shop_id=other.pk)) == ["Les Misérables"]
    assert titles(search("", subject="3435")) == ["La Peste"]  # the subject and the ones under it


def test_results_sort_by_nearest_or_price(catalogue, near):
    far = shop_at(20)
    cheap = BookFactory(title="Le moins cher", list_price=Decimal("3.00"))
    ListingFactory(shop=far, book=cheap, price=Decimal("3.00"))
    search_index_refresh()

    assert titles(search("", sort="price"))[0] == "Le moins cher"
    assert titles(search("", sort="nearest"))[-1] == "Le moins cher"


def test_results_come_by_page_with_the_total(catalogue):
    first = search("", per_page=2, page=1)
    last = search("", per_page=2, page=3)
    beyond = search("", per_page=2, page=9)

    assert (first.total, first.pages, len(first.results)) == (5, 3, 2)
    assert len(last.results) == 1
    assert (beyond.results, beyond.total) == ([], 5)
    every = titles(first) + titles(search("", per_page=2, page=2)) + titles(last)
    assert sorted(every) == sorted(book.title for book in catalogue.values())


def test_no_shop_nearby_gives_no_result_without_error():
    found = search_books(BookQuery(latitude=43.3, longitude=5.4, text="peste"))

    assert (found.results, found.total, found.shops) == ([], 0, [])


def test_a_query_of_stop_words_only_finds_nothing_rather_than_everything(catalogue):
    assert search("de la").results == []


def test_a_new_book_is_searchable_once_indexed(near):
    book = BookFactory(title="Tout neuf")
    ListingFactory(shop=near, book=book)

    assert titles(search("neuf")) == []  # imports leave indexing to a task
    search_index_refresh()
    assert titles(search("neuf")) == ["Tout neuf"]


# --- Words and filters together: the books are found from the index first ----------------


def test_words_with_filters_condition_price_shop_and_subject(catalogue, near):
    other = shop_at(8)
    Subject.objects.create(code="3435", label="Littérature")
    Subject.objects.create(code="3436", label="Romans", parent_id="3435")
    catalogue["peste"].clil_code = "3436"
    catalogue["peste"].save()
    ListingFactory(shop=other, book=catalogue["peste_noire"], condition="used_good", price=Decimal("2.50"))

    assert titles(search("peste", condition="used")) == [
        "La peste noire en Bretagne et ailleurs : la peste au Moyen Âge"
    ]
    assert titles(search("peste", price_max=Decimal("8.00"))) == [
        "La peste noire en Bretagne et ailleurs : la peste au Moyen Âge"
    ]
    assert titles(search("peste", price_min=Decimal("8.00"), price_max=Decimal("10.00"))) == ["La Peste"]
    assert titles(search("peste", shop_id=other.pk)) == [
        "La peste noire en Bretagne et ailleurs : la peste au Moyen Âge"
    ]
    assert titles(search("peste", subject="3435")) == ["La Peste"]
    assert titles(search("9782070360420", shop_id=other.pk)) == []  # an ISBN, listed elsewhere only


def test_words_give_each_result_its_offers_near_the_drive_only(catalogue, near):
    ListingFactory(shop=shop_at(45), book=catalogue["peste"], price=Decimal("1.00"))  # outside the radius
    ListingFactory(shop=shop_at(12), book=catalogue["peste"], condition="used_good", price=Decimal("3.00"))

    [result] = search("camus").results

    assert (result.min_price, result.max_price, result.shop_count) == (Decimal("3.00"), Decimal("8.30"), 2)
    assert result.nearest_km == pytest.approx(5, abs=0.01)


def test_words_sort_by_relevance_nearest_or_price(catalogue, near):
    cheap = BookFactory(title="La peste des moins chers", list_price=Decimal("3.00"))
    ListingFactory(shop=shop_at(20), book=cheap, price=Decimal("3.00"))
    search_index_refresh()

    assert titles(search("la peste"))[0] == "La Peste"  # the exact title first
    assert titles(search("peste", sort="price"))[0] == "La peste des moins chers"
    assert titles(search("peste", sort="nearest"))[-1] == "La peste des moins chers"


def test_an_exact_title_comes_first_whatever_its_accents_and_ligatures(near):
    ListingFactory(shop=near, book=BookFactory(title="Le cœur des hommes : vie et œuvre"))
    ListingFactory(shop=near, book=BookFactory(title="Cœur"))
    search_index_refresh()

    assert titles(search("coeur"))[0] == "Cœur"
    assert titles(search("le coeur des hommes : vie et oeuvre"))[0] == "Le cœur des hommes : vie et œuvre"
    assert titles(search("LE CŒUR DES HOMMES : VIE ET ŒUVRE"))[0] == "Le cœur des hommes : vie et œuvre"


def test_words_come_by_page_with_the_total(catalogue):
    first = search("peste", per_page=2, page=1)
    second = search("peste", per_page=2, page=2)
    beyond = search("peste", per_page=2, page=9)

    assert (first.total, first.pages, len(first.results), len(second.results)) == (3, 2, 2, 1)
    assert (beyond.results, beyond.total) == ([], 3)
    assert sorted(titles(first) + titles(second)) == sorted(
        book.title for key, book in catalogue.items() if key.startswith("peste") or key == "cholera"
    )


@pytest.fixture
def three_most_relevant(monkeypatch):
    monkeypatch.setattr("catalog.search.MOST_RELEVANT", 3)


def test_words_by_relevance_offer_the_most_relevant_books_and_say_there_are_more(
    catalogue, near, three_most_relevant
):
    for number in range(3):
        ListingFactory(shop=near, book=BookFactory(title=f"Chroniques de la peste, tome {number + 1}"))
    search_index_refresh()

    first = search("la peste", per_page=2)
    second = search("la peste", per_page=2, page=2)
    beyond = search("la peste", per_page=2, page=3)

    assert (first.total, first.more, first.pages) == (3, True, 2)
    assert titles(first)[0] == "La Peste"  # the exact title is among them, first
    assert len(titles(first) + titles(second)) == 3  # the page stops at the third
    assert (beyond.results, beyond.total, beyond.more) == ([], 3, True)


def test_sorted_by_price_or_distance_every_book_found_counts(catalogue, near, three_most_relevant):
    for number in range(3):
        ListingFactory(shop=near, book=BookFactory(title=f"Chroniques de la peste, tome {number + 1}"))
    search_index_refresh()

    for sort in ("price", "nearest"):
        found = search("peste", sort=sort)
        assert (found.total, found.more, len(found.results)) == (6, False, 6)


def test_a_book_out_of_stock_around_gives_its_place_to_the_next_most_relevant(
    catalogue, near, three_most_relevant
):
    # The exact title ranks first but has no copy left: the three offered all have stock.
    Listing.objects.filter(book=catalogue["peste"]).update(quantity=0)
    for number in range(2):
        ListingFactory(shop=near, book=BookFactory(title=f"Chroniques de la peste, tome {number + 1}"))
    search_index_refresh()

    found = search("la peste")

    assert (found.total, found.more) == (3, True)
    assert "La Peste" not in titles(found)
    assert all(result.shop_count for result in found.results)


def test_equally_relevant_books_come_by_the_number_of_bookshops_listing_them(near):
    rare, common = (
        BookFactory(title="Voyage au bout de la nuit"),
        BookFactory(title="Voyage au centre de la Terre"),
    )
    ListingFactory(shop=near, book=rare)
    for km in (0, 8, 60):  # a shop beyond the radius counts too: the book is widely stocked
        ListingFactory(shop=near if km == 0 else shop_at(km), book=common)
    search_index_refresh()

    assert titles(search("voyage")) == ["Voyage au centre de la Terre", "Voyage au bout de la nuit"]


def test_browsing_without_words_shows_the_newest_titles_of_every_shop_around(near, three_most_relevant):
    other = shop_at(12)
    books = [BookFactory(title=f"Titre {number}") for number in range(5)]  # created in this order
    for book, shop in zip(books, [near, other, near, other, other], strict=True):
        ListingFactory(shop=shop, book=book)
    ListingFactory(shop=near, book=books[4], condition="used_good")  # two offers, one title
    ListingFactory(shop=other, book=BookFactory(title="Épuisé"), quantity=0)  # newest, but none left

    found = search()

    assert titles(found) == ["Titre 4", "Titre 3", "Titre 2"]
    assert (found.total, found.more) == (3, True)
    assert found.results[0].shop_count == 2


def test_browsing_counts_exactly_when_there_are_few_and_filters_apply(near):
    ListingFactory(shop=near, book=BookFactory(title="Neuf"))
    ListingFactory(shop=near, book=BookFactory(title="D'occasion"), condition="used_good")

    everything, used = search(), search(condition="used")

    assert (everything.total, everything.more) == (2, False)
    assert (titles(used), used.total, used.more) == (["D'occasion"], 1, False)


def test_browsing_sorted_by_price_or_one_shops_stock_counts_every_title(near, three_most_relevant):
    for number in range(5):
        ListingFactory(shop=near, book=BookFactory(title=f"Titre {number}"), price=Decimal(10 + number))

    by_price, shop_stock = search(sort="price"), search(shop_id=near.id)

    assert (by_price.total, by_price.more, titles(by_price)[0]) == (5, False, "Titre 0")
    assert (shop_stock.total, shop_stock.more) == (5, False)
