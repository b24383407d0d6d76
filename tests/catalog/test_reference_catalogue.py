"""Who writes the shared catalogue: feeds, head office, shops; publisher's prices over time;
shops' claims and the conflicts queue; listings following a price change."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from catalog import price_changes, reference
from catalog.imports.apply import stock_import_apply
from catalog.imports.csv_reader import read_csv
from catalog.imports.onix import read_onix
from catalog.imports.plan import Action
from catalog.imports.records import FileFormatError
from catalog.models import Book, BookClaim, BookPrice, CatalogueFeed, CatalogueRules, Listing
from catalog.services import listing_update_stock
from marketplace.models import OutgoingEmail
from shops.models import Shop
from tests.catalog.import_helpers import apply_csv as shop_file
from tests.conftest import SHARED_DATA_DIR, require
from tests.factories import BookFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db

DILICOM_ONIX = SHARED_DATA_DIR / "onix_samples" / "Sample_ONIX_3.0.xml"
DILICOM_CSV = SHARED_DATA_DIR / "french_books_prix_unique" / "books_from_dilicom_onix.csv"
GALLIMARD = "9782070368228"  # L'Étranger, folio


def shared(path):
    require(f"shared data {path.name}", path.is_file(), f"expected at {path} (SHARED_DATA_DIR)")
    return path


def dilicom_prices() -> dict[str, Decimal]:
    with open(shared(DILICOM_CSV), encoding="utf-8") as handle:
        return {row["ean13"]: Decimal(row["price_eur_fr_ttc"]) for row in csv.DictReader(handle)}


def onix_message(*products: str, sent: str = "20261201") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ONIXMessage release="3.0" xmlns="http://ns.editeur.org/onix/3.0/reference">
  <Header><Sender><SenderName>Distributeur</SenderName></Sender><SentDateTime>{sent}</SentDateTime></Header>
  {"".join(products)}
</ONIXMessage>""".encode()


def onix_product(ean: str, title: str, *prices: tuple[str, str | None], form: str = "BC") -> str:
    price_blocks = "".join(
        f"""<Price><PriceType>04</PriceType><PriceAmount>{amount}</PriceAmount><CurrencyCode>EUR</CurrencyCode>
            <Territory><CountriesIncluded>FR</CountriesIncluded></Territory>
            {f"<PriceDate><PriceDateRole>14</PriceDateRole><Date>{since}</Date></PriceDate>" if since else ""}
            </Price>"""
        for amount, since in prices
    )
    return f"""<Product><RecordReference>{ean}</RecordReference><NotificationType>03</NotificationType>
      <ProductIdentifier><ProductIDType>15</ProductIDType><IDValue>{ean}</IDValue></ProductIdentifier>
      <DescriptiveDetail><ProductComposition>00</ProductComposition><ProductForm>{form}</ProductForm>
        <TitleDetail><TitleType>01</TitleType><TitleElement><TitleElementLevel>01</TitleElementLevel>
          <TitleText>{title}</TitleText></TitleElement></TitleDetail>
        <Contributor><SequenceNumber>1</SequenceNumber><ContributorRole>A01</ContributorRole>
          <PersonName>Albert Camus</PersonName></Contributor></DescriptiveDetail>
      <PublishingDetail><Publisher><PublishingRole>01</PublishingRole><PublisherName>Gallimard</PublisherName>
        </Publisher></PublishingDetail>
      <ProductSupply><SupplyDetail><Supplier><SupplierRole>01</SupplierRole><SupplierName>Sodis</SupplierName>
        </Supplier><ProductAvailability>21</ProductAvailability>{price_blocks}</SupplyDetail></ProductSupply>
    </Product>"""


def load_feed(content: bytes, *, today=None, source=BookPrice.Source.FEED):
    return reference.catalogue_rows_load(
        rows=read_onix(io.BytesIO(content)), source=source, sent_on=date(2026, 12, 1), today=today
    )


@pytest.fixture
def shop():
    return ShopFactory(status=Shop.Status.APPROVED, trade_name="Librairie Alpha", language="fr")


@pytest.fixture
def other_shop():
    return ShopFactory(status=Shop.Status.APPROVED, trade_name="Librairie Bravo")


# --- The real Dilicom feed ----------------------------------------------------------------


def test_the_real_dilicom_feed_loads_104_books_with_every_price_in_force(tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                          "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    out = io.StringIO()

    call_command("load_catalogue_feed", str(shared(DILICOM_ONIX)), stdout=out)

    feed = CatalogueFeed.objects.get()
    assert feed.status == CatalogueFeed.Status.LOADED
    assert feed.counts["products"] == 105
    assert feed.counts["books"] == 104  # the EAN the feed repeats is merged
    assert feed.counts["refused"] == 0
    assert feed.sent_on == date(2019, 3, 22)
    expected = dilicom_prices()
    assert dict(Book.objects.values_list("ean", "list_price")) == expected
    assert set(Book.objects.values_list("source", flat=True)) == {Book.Source.ONIX}
    assert BookPrice.objects.count() == 104
    assert "105 products, 104 books" in out.getvalue()

    # Loading the same feed again changes nothing.
    call_command("load_catalogue_feed", str(shared(DILICOM_ONIX)), stdout=io.StringIO())
    again = CatalogueFeed.objects.latest("pk")
    assert again.counts["created"] == 0
    assert again.counts["prices_changed"] == 0
    assert BookPrice.objects.count() == 104
    assert dict(Book.objects.values_list("ean", "list_price")) == expected


def test_a_feed_that_cannot_be_read_fails_with_a_message(tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                          "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<ONIXMessage release='3.0'><Product><Broken></ONIXMessage>")

    with pytest.raises(Exception, match="could not be loaded"):
        call_command("load_catalogue_feed", str(broken), stdout=io.StringIO(), stderr=io.StringIO())

    feed = CatalogueFeed.objects.get()
    assert feed.status == CatalogueFeed.Status.FAILED
    assert "ligne 1" in feed.error  # the line, in head office's language
    assert not Book.objects.exists()


# --- Ranked sources ----------------------------------------------------------------------


def test_a_feed_rewrites_a_shops_book_but_a_shop_never_rewrites_the_feeds(shop):
    shop_file(shop, f"EAN;Titre;Auteur;Prix\n{GALLIMARD};L ETRANGER;CAMUS;8,70\n")
    book = Book.objects.get(ean=GALLIMARD)
    assert (book.title, book.source, book.list_price) == ("L ETRANGER", Book.Source.STOCK_FILE, None)

    load_feed(onix_message(onix_product(GALLIMARD, "L'Étranger", ("8.70", None))))

    book.refresh_from_db()
    assert (book.title, book.source, book.list_price) == ("L'Étranger", Book.Source.ONIX, Decimal("8.70"))
    assert book.contributors == [{"name": "Albert Camus", "role": "author"}]
    assert book.publisher == "Gallimard"

    shop_file(shop, f"EAN;Titre;Éditeur;Prix public;Prix\n{GALLIMARD};Autre titre;Autre;1,00;8,70\n")
    book.refresh_from_db()
    assert (book.title, book.publisher, book.list_price) == ("L'Étranger", "Gallimard", Decimal("8.70"))


def test_head_office_prices_rank_below_a_feeds_on_the_same_day():
    load_feed(
        onix_message(onix_product(GALLIMARD, "L'Étranger", ("8.70", "20261201"))), today=date(2026, 12, 2)
    )
    book = Book.objects.get(ean=GALLIMARD)
    BookPrice.objects.filter(book=book).update(source=BookPrice.Source.FEED)

    reference.catalogue_rows_load(
        rows=read_csv(io.BytesIO(f"EAN;Prix public\n{GALLIMARD};9,00\n".encode())),
        source=BookPrice.Source.STAFF,
        sent_on=date(2026, 12, 1),
        today=date(2026, 12, 2),
    )

    book.refresh_from_db()
    assert book.list_price == Decimal("8.70")  # the feed's price of that day stands
    assert book.title == "L'Étranger"  # head office's file had no title: nothing erased


def test_garbled_text_never_enters_the_catalogue(shop):
    plan = shop_file(shop, f"EAN;Titre;Prix\n{GALLIMARD};Lâ€™Ã©tranger;8,70\n9782070360024;La Peste;9,10\n")

    refused = [line for line in plan.lines if line.action == Action.REFUSE]
    assert [line.line for line in refused] == [2]
    assert "garbled" in refused[0].message
    assert not Book.objects.filter(ean=GALLIMARD).exists()
    assert Book.objects.get(ean="9782070360024").title == "La Peste"

    outcome = load_feed(onix_message(onix_product(GALLIMARD, "LÃ©tranger", ("8.70", None))))
    assert outcome.books == 0
    assert len(outcome.refused) == 1
    assert not Book.objects.filter(ean=GALLIMARD).exists()


@pytest.mark.parametrize(
    ("text", "garbled"),
    [("L'Étranger", False), ("Œuvres complètes", False), ("Gödel, Escher, Bach", False), ("naïve", False),
     ("LÃ©tranger", True), ("Ã‰tÃ©", True), ("â€œCitationâ€\x9d", True), ("Caf\ufffd", True), ("Plain", False)],
)  # fmt: skip
def test_misdecoded_text_is_told_from_real_accents(text, garbled):
    assert reference.is_misdecoded(text) is garbled


# --- Shops' claims -----------------------------------------------------------------------


def test_a_shops_publisher_price_binds_its_own_listing_only(shop, other_shop):
    # The case: one shop says 1,00 €, another 28 €, the catalogue has no reference.
    first = shop_file(shop, f"EAN;Titre;Prix public;Prix\n{GALLIMARD};L'Étranger;1,00;1,00\n")
    second = shop_file(other_shop, f"EAN;Titre;Prix public;Prix\n{GALLIMARD};L'Étranger;28,00;28,00\n")

    assert [line.action for line in first.lines] == [Action.CREATE]
    assert [line.action for line in second.lines] == [Action.CREATE]  # not refused by the other's claim
    book = Book.objects.get(ean=GALLIMARD)
    assert book.list_price is None
    claims = dict(BookClaim.objects.filter(book=book).values_list("shop__trade_name", "value"))
    assert claims == {"Librairie Alpha": "1.00", "Librairie Bravo": "28.00"}
    # Until head office has a reference price, neither listing is on sale.
    assert (
        list(Listing.objects.values_list("status", "moderation_flags"))
        == [(Listing.Status.PENDING, [Listing.Flag.UNKNOWN_LIST_PRICE])] * 2
    )
    assert second.counts["pending"] == 1
    assert second.pending_reasons == {Listing.Flag.UNKNOWN_LIST_PRICE: 1}
    queue = reference.books_in_conflict()
    assert [(item.ean, item.claimed_prices, item.claiming_shops) for item in queue] == [(GALLIMARD, 2, 2)]

    # The shop's own claim goes on checking its later files: 30 € is above its 28 €.
    again = shop_file(other_shop, f"EAN;Prix\n{GALLIMARD};30,00\n")
    assert again.lines[0].action == Action.REFUSE
    assert "28,00" in again.lines[0].message or "28.00" in again.lines[0].message

    # Head office settles it: 28 € is the reference. The honest listing goes online, the
    # other waits off sale for its price to be corrected, and its shop is told.
    reference.reference_price_set(books=[book], amount=Decimal("28.00"))

    honest = Listing.objects.get(shop=other_shop)
    assert (honest.status, honest.moderation_flags, honest.price_review_by) == (
        Listing.Status.PUBLISHED,
        [],
        None,
    )
    wrong = Listing.objects.get(shop=shop)
    assert wrong.status == Listing.Status.PENDING
    assert wrong.moderation_flags == [Listing.Flag.PRICE_OUTSIDE_LOI_LANG]
    email = OutgoingEmail.objects.get(to=shop.email)
    assert "26,60" in email.body_text
    assert "28,00" in email.body_text
    assert not reference.books_in_conflict().exists()

    # The shop corrects its price: back online.
    listing_update_stock(listing=wrong, price=Decimal("27.00"))
    wrong.refresh_from_db()
    assert (wrong.status, wrong.moderation_flags, wrong.price_review_by) == (
        Listing.Status.PUBLISHED,
        [],
        None,
    )


def test_head_office_confirms_the_price_shops_agree_on_in_bulk(shop, other_shop):
    shop_file(
        shop,
        f"EAN;Titre;Prix public;Prix\n{GALLIMARD};L'Étranger;8,70;8,70\n9782070360024;La Peste;9,10;9,10\n",
    )
    shop_file(
        other_shop,
        f"EAN;Titre;Prix public;Prix\n{GALLIMARD};L'Étranger;8,70;8,50\n9782070360024;La Peste;9,50;9,50\n",
    )

    done = reference.reference_price_set(books=list(reference.books_in_conflict()))

    assert done == 1  # La Peste's shops disagree: left for a person
    assert Book.objects.get(ean=GALLIMARD).list_price == Decimal("8.70")
    assert Book.objects.get(ean="9782070360024").list_price is None
    assert set(Listing.objects.filter(book__ean=GALLIMARD).values_list("status", flat=True)) == {
        Listing.Status.PUBLISHED
    }
    assert [book.ean for book in reference.books_in_conflict()] == ["9782070360024"]


# --- Publisher's prices over time ----------------------------------------------------------


def test_a_price_rise_in_a_feed_flags_listings_and_the_new_price_is_accepted(shop):
    today = timezone.localdate()
    load_feed(onix_message(onix_product(GALLIMARD, "L'Étranger", ("7.50", None))), today=today)
    listing = ListingFactory(shop=shop, book=Book.objects.get(ean=GALLIMARD), price=Decimal("7.50"))
    CatalogueRules.objects.update_or_create(pk=1, defaults={"price_change_grace_days": 10})

    since = (today - timedelta(days=1)).strftime("%Y%m%d")
    load_feed(onix_message(onix_product(GALLIMARD, "L'Étranger", ("7.50", "20250101"), ("7.90", since))),
              today=today)  # fmt: skip

    book = Book.objects.get(ean=GALLIMARD)
    assert book.list_price == Decimal("7.90")
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED  # on sale during the grace period
    assert timedelta(days=9) < listing.price_review_by - timezone.now() <= timedelta(days=10)
    assert list(price_changes.listings_with_price_to_review(Listing.objects.all())) == [listing]
    assert OutgoingEmail.objects.filter(to=shop.email, event_key__startswith="price-review:").count() == 1

    # The till counts the shelf during the grace period: its quantity is taken, the review stays.
    plan = shop_file(shop, f"EAN;Quantité\n{GALLIMARD};5\n")
    assert plan.lines[0].action == Action.UPDATE
    listing.refresh_from_db()
    assert listing.quantity == 5
    assert listing.price_review_by is not None

    # The grace period ends: off sale until corrected; the job is safe twice.
    later = listing.price_review_by + timedelta(minutes=1)
    assert price_changes.price_reviews_expire(now=later) == 1
    assert price_changes.price_reviews_expire(now=later) == 0
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING
    assert listing.moderation_flags == [Listing.Flag.PRICE_OUTSIDE_LOI_LANG]

    # A till file at the new price is accepted, and puts it back online.
    plan = shop_file(shop, f"EAN;Quantité;Prix\n{GALLIMARD};5;7,90\n")
    assert plan.lines[0].action == Action.UPDATE
    listing.refresh_from_db()
    assert (listing.price, listing.status, listing.moderation_flags) == (
        Decimal("7.90"),
        Listing.Status.PUBLISHED,
        [],
    )
    assert listing.price_review_by is None
    assert OutgoingEmail.objects.filter(to=shop.email).count() == 1  # told once


def test_a_future_price_comes_into_force_on_its_day(shop):
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    load_feed(
        onix_message(
            onix_product(GALLIMARD, "L'Étranger", ("7.50", "20250101"), ("7.90", tomorrow.strftime("%Y%m%d")))
        ),
        today=today,
    )
    book = Book.objects.get(ean=GALLIMARD)
    assert book.list_price == Decimal("7.50")
    listing = ListingFactory(shop=shop, book=book, price=Decimal("7.50"))

    assert reference.book_prices_refresh(today=today) == []
    assert reference.book_prices_refresh(today=tomorrow) == [book.pk]
    assert reference.book_prices_refresh(today=tomorrow) == []  # idempotent

    book.refresh_from_db()
    assert book.list_price == Decimal("7.90")
    listing.refresh_from_db()
    assert listing.price_review_by is not None


def test_a_price_cut_within_the_range_needs_no_review(shop):
    book = BookFactory(ean=GALLIMARD, list_price=Decimal("10.00"))
    listing = ListingFactory(shop=shop, book=book, price=Decimal("9.60"))

    reference.reference_price_set(books=[book], amount=Decimal("9.80"))

    listing.refresh_from_db()
    assert listing.price_review_by is None
    assert not OutgoingEmail.objects.exists()


def test_used_copies_are_free_of_the_price_law(shop):
    book = BookFactory(ean=GALLIMARD, list_price=Decimal("10.00"))
    used = ListingFactory(shop=shop, book=book, price=Decimal("3.00"), condition=Listing.Condition.USED_GOOD)

    reference.reference_price_set(books=[book], amount=Decimal("12.00"))

    used.refresh_from_db()
    assert used.price_review_by is None


# --- Digital products --------------------------------------------------------------------


def test_an_ebook_in_a_shops_onix_stock_is_refused_with_the_reason(shop):
    content = onix_message(onix_product("9782072860447", "L'Étranger (EPUB)", ("5.99", None), form="ED"),
                           onix_product(GALLIMARD, "L'Étranger", ("8.70", None)))  # fmt: skip

    with translation.override("en"):
        plan = stock_import_apply(
            shop=shop, rows=read_onix(io.BytesIO(content)), full_sync=False, source=Book.Source.STOCK_FILE
        )

    assert [line.action for line in plan.lines] == [Action.REFUSE, Action.CREATE]
    assert "digital" in plan.lines[0].message
    assert not Book.objects.filter(ean="9782072860447").exists()


# --- What a hostile or careless source cannot do ----------------------------------------


def test_one_shops_claim_never_replaces_a_feeds_price(shop):
    today = timezone.localdate()
    load_feed(onix_message(onix_product(GALLIMARD, "L'Étranger", ("8.70", None))), today=today)
    shop_file(shop, f"EAN;Prix public;Prix\n{GALLIMARD};1,00;8,70\n")
    book = Book.objects.get(ean=GALLIMARD)
    assert [item.ean for item in reference.books_in_conflict()] == [GALLIMARD]  # head office sees it

    assert reference.reference_price_set(books=list(reference.books_in_conflict())) == 0
    BookPrice.objects.filter(book=book).update(effective_from=timezone.localdate())
    assert reference.reference_price_set(books=[book], amount=Decimal("1.00")) == 0

    book.refresh_from_db()
    assert book.list_price == Decimal("8.70")  # head office typed the same day as the feed: the feed stands


def test_a_launch_price_ends_and_the_price_after_it_comes_back():
    content = onix_message(
        onix_product(GALLIMARD, "L'Étranger", ("20.00", "20260101"), ("15.00", "20261201"))
    ).replace(b"<Date>20261201</Date></PriceDate>", b"<Date>20261201</Date></PriceDate>"
              b"<PriceDate><PriceDateRole>15</PriceDateRole><Date>20261231</Date></PriceDate>")  # fmt: skip
    load_feed(content, today=date(2026, 12, 6))
    book = Book.objects.get(ean=GALLIMARD)
    assert book.list_price == Decimal("15.00")

    assert reference.book_prices_refresh(today=date(2026, 12, 31)) == []
    assert reference.book_prices_refresh(today=date(2027, 1, 1)) == [book.pk]
    book.refresh_from_db()
    assert book.list_price == Decimal("20.00")


def test_an_undated_launch_price_and_an_undated_price_after_it():
    product = onix_product(GALLIMARD, "L'Étranger", ("20.00", None), ("15.00", None)).replace(
        "<PriceAmount>15.00</PriceAmount><CurrencyCode>EUR</CurrencyCode>",
        "<PriceAmount>15.00</PriceAmount><CurrencyCode>EUR</CurrencyCode>"
        "<PriceDate><PriceDateRole>15</PriceDateRole><Date>20261215</Date></PriceDate>",
    )
    load_feed(onix_message(product), today=date(2026, 12, 6))

    prices = BookPrice.objects.order_by("effective_from")
    assert list(prices.values_list("amount", "effective_from", "effective_until")) == [
        (Decimal("15.00"), date(2026, 12, 1), date(2026, 12, 15)),
        (Decimal("20.00"), date(2026, 12, 16), None),
    ]  # fmt: skip
    assert Book.objects.get(ean=GALLIMARD).list_price == Decimal("15.00")


def test_a_feed_dated_in_the_future_is_refused():
    with pytest.raises(FileFormatError, match="9999"):
        reference.catalogue_rows_load(
            rows=read_onix(io.BytesIO(onix_message(onix_product(GALLIMARD, "L'Étranger", ("8.70", None))))),
            source=BookPrice.Source.FEED,
            sent_on=date(9999, 12, 31),
        )
    assert not Book.objects.exists()


def test_a_product_listed_twice_takes_its_later_record_and_bad_prices_are_refused_by_name():
    outcome = load_feed(
        onix_message(
            onix_product(GALLIMARD, "L'Étranger", ("9.00", None)),
            onix_product(GALLIMARD, "L'Étranger (nouvelle édition)", ("8.00", None)),
            onix_product("9782070360024", "La Peste", ("-3.00", None)),
            onix_product("9782070408504", "La Chute", ("123456789.00", None)),
        )
    )

    book = Book.objects.get(ean=GALLIMARD)
    assert (book.title, book.list_price) == ("L'Étranger (nouvelle édition)", Decimal("8.00"))
    assert sorted(line for line, _ean, _why in outcome.refused) == [3, 4]
    assert not Book.objects.filter(ean__in=["9782070360024", "9782070408504"]).exists()


@pytest.mark.parametrize("claimed", ["0,00", "99999999,00", "12,345"])
def test_a_publisher_price_that_is_not_a_price_refuses_its_line(shop, claimed):
    plan = shop_file(shop, f'EAN;Prix public;Prix\n{GALLIMARD};"{claimed}";8,70\n')

    assert plan.lines[0].action == Action.REFUSE
    assert not BookClaim.objects.exists()


def test_a_refused_line_records_no_claim(shop):
    BookFactory(ean=GALLIMARD, list_price=Decimal("8.70"))
    plan = shop_file(shop, f"EAN;Prix public;Prix\n{GALLIMARD};8,90;20,00\n")  # 20 € is outside the law

    assert plan.lines[0].action == Action.REFUSE
    assert not BookClaim.objects.exists()


def test_a_listing_approved_without_a_reference_price_follows_the_reference_when_it_comes(shop):
    shop_file(shop, f"EAN;Titre;Prix public;Prix\n{GALLIMARD};L'Étranger;1,00;1,00\n")
    listing = Listing.objects.get()
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PUBLISHED)  # a moderator approved it

    reference.reference_price_set(books=[listing.book], amount=Decimal("28.00"))

    listing.refresh_from_db()
    # It was on sale: it gets the grace period, then leaves the site.
    assert listing.status == Listing.Status.PUBLISHED
    assert listing.price_review_by > timezone.now()
    assert Listing.Flag.UNKNOWN_LIST_PRICE not in listing.moderation_flags
    price_changes.price_reviews_expire(now=listing.price_review_by + timedelta(seconds=1))
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING
    assert listing.moderation_flags == [Listing.Flag.PRICE_OUTSIDE_LOI_LANG]


def test_hiding_then_publishing_does_not_put_an_unlawful_price_back_on_sale(shop):
    from catalog.services import listings_hide, listings_publish

    book = BookFactory(ean=GALLIMARD, list_price=Decimal("10.00"))
    listing = ListingFactory(shop=shop, book=book, price=Decimal("10.00"))
    reference.reference_price_set(books=[book], amount=Decimal("12.00"))
    Listing.objects.filter(pk=listing.pk).update(price_review_by=timezone.now() - timedelta(minutes=1))
    price_changes.price_reviews_expire()

    listings_hide(listings=Listing.objects.filter(pk=listing.pk))
    listings_publish(listings=Listing.objects.filter(pk=listing.pk))

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING
    assert listing.moderation_flags == [Listing.Flag.PRICE_OUTSIDE_LOI_LANG]


def test_each_price_change_is_told_to_the_shop(shop):
    book = BookFactory(ean=GALLIMARD, list_price=Decimal("10.00"))
    listing = ListingFactory(shop=shop, book=book, price=Decimal("10.00"))

    reference.reference_price_set(books=[book], amount=Decimal("12.00"))
    listing_update_stock(listing=listing, price=Decimal("12.00"))
    BookPrice.objects.filter(book=book).update(effective_from=timezone.localdate() - timedelta(days=1))
    reference.reference_price_set(books=[book], amount=Decimal("14.00"))

    assert OutgoingEmail.objects.filter(to=shop.email, event_key__startswith="price-review:").count() == 2


def test_a_feed_whose_task_was_lost_is_queued_again_then_failed():
    feed = CatalogueFeed.objects.create(file="catalogue_feeds/x.xml", original_name="x.xml", format="onix")
    CatalogueFeed.objects.filter(pk=feed.pk).update(created_at=timezone.now() - timedelta(hours=2))
    queued = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reference, "_load_on_commit", queued.append)
        assert reference.catalogue_feeds_watch() == 1  # 2 h > 15 min x 1 attempt
        assert reference.catalogue_feeds_watch() == 1  # 2 h > 15 min x 2 attempts
        assert reference.catalogue_feeds_watch() == 1  # third time: failed
        assert reference.catalogue_feeds_watch() == 0
    feed.refresh_from_db()
    assert queued == [feed.pk, feed.pk]
    assert feed.status == CatalogueFeed.Status.FAILED
    assert "3" in feed.error


def test_a_shop_that_comes_to_agree_with_the_reference_leaves_the_queue(shop):
    BookFactory(ean=GALLIMARD, list_price=Decimal("8.70"))
    shop_file(shop, f"EAN;Prix public;Prix\n{GALLIMARD};8,90;8,50\n")
    assert [book.ean for book in reference.books_in_conflict()] == [GALLIMARD]

    shop_file(shop, f"EAN;Prix public;Prix\n{GALLIMARD};8,70;8,50\n")

    assert not BookClaim.objects.exists()
    assert not reference.books_in_conflict().exists()
