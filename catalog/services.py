"""Every write about books and listings, except bulk imports (catalog/imports/) and
moderation decisions (catalog/moderation_services.py)."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Now
from django.utils.translation import gettext as _

from catalog import covers, moderation
from catalog.ean import own_product_ean
from catalog.models import Book, ContributorRole, Listing, ProductKind
from catalog.moderation_selectors import listing_awaits_a_person
from catalog.pricing import check_listing_price
from catalog.reference import claim_list_price, list_price_for, outranks_or_equals
from catalog.search_index import search_index_book
from shops.models import Shop


@dataclass(frozen=True)
class BookDetails:
    """What a bookseller (or a file) tells us about a book we do not know yet."""

    title: str
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    publisher: str = ""
    publication_date: object = None
    page_count: int | None = None
    format: str = ""
    language: str = ""
    description: str = ""
    list_price: Decimal | None = None


def book_create(*, ean: str, details: BookDetails, source: str, cover=None) -> Book:
    """Add a book to the shared catalogue. `ean` must already be normalized.

    A publisher's price given by a shop is not the book's: the shop's listing records it
    as its claim (listing_create); only head office and feeds set reference prices."""
    reference_price = details.list_price if outranks_or_equals(source, Book.Source.STAFF) else None
    with transaction.atomic():
        book = Book.objects.create(
            ean=ean,
            title=details.title.strip(),
            subtitle=details.subtitle.strip(),
            publisher=details.publisher.strip(),
            publication_date=details.publication_date,
            page_count=details.page_count,
            format=details.format,
            language=details.language,
            description=details.description,
            list_price=reference_price,
            contributors=[
                {"name": name.strip(), "role": ContributorRole.AUTHOR}
                for name in details.authors
                if name.strip()
            ],
            source=source,
        )
        if cover:
            book_set_cover(book=book, cover=cover)
        search_index_book(book_id=book.pk)
    return book


def product_create(
    *,
    kind: ProductKind,
    ean: str | None,
    title: str,
    attributes: dict,
    source: str,
    owner_shop: Shop | None = None,
    own_reference: str = "",
    description: str = "",
    list_price: Decimal | None = None,
    cover=None,
) -> Book:
    """Add a product of a kind without the book rules: to the shared catalogue by its EAN
    (normalized), or, with `ean` None, as `owner_shop`'s own under `own_reference`, with
    an in-store EAN. `attributes` are checked already (attribute_values_clean). The
    list price is the brand's recommendation: any shop may say it, nothing enforces it."""
    with transaction.atomic():
        if ean is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT nextval('catalog_own_product_number')")
                ean = own_product_ean(cursor.fetchone()[0])
        product = Book.objects.create(
            ean=ean,
            kind=kind,
            title=title.strip(),
            attributes=attributes,
            owner_shop=owner_shop,
            own_reference=own_reference,
            description=description,
            list_price=list_price,
            source=source,
        )
        if cover:
            book_set_cover(book=product, cover=cover)
        search_index_book(book_id=product.pk)
    return product


def book_set_cover(*, book: Book, cover) -> Book:
    """Store a (validated) cover image and its thumbnail."""
    book.cover.save(cover.name, cover, save=False)
    return book_refresh_thumbnail(book=book)


def book_refresh_thumbnail(*, book: Book) -> Book:
    """Make the thumbnail match the cover (after the cover changed)."""
    if book.cover:
        book.cover_thumbnail.save("thumbnail.webp", covers.thumbnail_of(book.cover), save=False)
    else:
        book.cover_thumbnail = ""
    book.save(update_fields=["cover", "cover_thumbnail", "updated_at"])
    return book


def listing_create(
    *,
    shop: Shop,
    book: Book,
    condition: str,
    price: Decimal,
    quantity: int,
    claimed_list_price: Decimal | None = None,
) -> Listing:
    """List a book in a shop. Goes online at once for an approved shop, unless an
    automatic rule holds it for moderation. `claimed_list_price`: the publisher's price as
    the shop gives it, which checks this listing only while the book has no reference."""
    is_new = condition == Listing.Condition.NEW
    if claimed_list_price is not None:
        claim_list_price(shop_id=shop.pk, book=book, amount=claimed_list_price)
    check_listing_price(price=price, is_new=is_new, list_price=list_price_for(shop_id=shop.pk, book=book))
    flags = moderation.flags_for(book=book, condition=condition, price=price, quantity=quantity)
    status = moderation.status_after_change(
        current=None, shop_is_approved=shop.status == Shop.Status.APPROVED, old_flags=[], new_flags=flags
    )
    try:
        with transaction.atomic():
            return Listing.objects.create(
                shop=shop,
                book=book,
                condition=condition,
                price=price,
                quantity=quantity,
                status=status,
                moderation_flags=flags,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _(
                "Your shop already lists this product in this condition: change that listing's quantity instead."
            ),
            code="listing_exists",
        ) from exc


def listing_update_stock(
    *, listing: Listing, price: Decimal | None = None, quantity: int | None = None
) -> Listing:
    """Change a listing's price and/or quantity, checking the price law and the
    moderation rules again."""
    with transaction.atomic():
        locked = Listing.objects.select_for_update().select_related("book", "shop").get(pk=listing.pk)
        new_price = locked.price if price is None else price
        new_quantity = locked.quantity if quantity is None else quantity
        locked.check_quantity_covers_reservations(new_quantity)
        # A price left as it is was lawful when set: if the publisher's price moved since,
        # the review deadline deals with it, and the stock can still be counted meanwhile.
        price_kept = new_price == locked.price and locked.price_review_by is not None
        if not price_kept:
            check_listing_price(
                price=new_price,
                is_new=not locked.is_used,
                list_price=list_price_for(shop_id=locked.shop_id, book=locked.book),
            )
            locked.price_review_by = None
        flags = moderation.flags_for(
            book=locked.book,
            condition=locked.condition,
            price=new_price,
            quantity=new_quantity,
            price_review_by=locked.price_review_by,
        )
        locked.status = moderation.status_after_change(
            current=locked.status,
            shop_is_approved=locked.shop.status == Shop.Status.APPROVED,
            old_flags=locked.moderation_flags,
            new_flags=flags,
            awaits_a_person=locked.status == Listing.Status.PENDING
            and listing_awaits_a_person(listing=locked),
        )
        locked.price, locked.quantity, locked.moderation_flags = new_price, new_quantity, flags
        locked.save(
            update_fields=["price", "quantity", "status", "moderation_flags", "price_review_by", "updated_at"]
        )
    return locked


@dataclass
class BulkResult:
    changed: int = 0
    held_for_moderation: int = 0
    left_alone: int = 0


def listings_publish(*, listings) -> BulkResult:
    """Put the bookseller's draft or hidden listings online (or in the moderation
    queue when a rule flags them). Rejected listings and shops not approved yet are
    left alone."""
    result = BulkResult()
    with transaction.atomic():
        # In book order: publishing a listing locks its book (Book.shop_ids, see
        # catalog/search_index.py), and two shops publishing the same books at once
        # must take those locks in the same order, or they could deadlock.
        locked = listings.select_for_update(of=("self",)).select_related("book", "shop")
        for listing in locked.order_by("book_id", "pk"):
            if listing.status not in (Listing.Status.DRAFT, Listing.Status.HIDDEN) or (
                listing.shop.status != Shop.Status.APPROVED
            ):
                result.left_alone += 1
                continue
            flags = moderation.flags_for(
                book=listing.book,
                condition=listing.condition,
                price=listing.price,
                quantity=listing.quantity,
                price_review_by=listing.price_review_by,
            )
            listing.status = Listing.Status.PENDING if flags else Listing.Status.PUBLISHED
            listing.moderation_flags = flags
            listing.save(update_fields=["status", "moderation_flags", "updated_at"])
            if flags:
                result.held_for_moderation += 1
            else:
                result.changed += 1
    return result


def listings_hide(*, listings) -> int:
    """Take listings off the site without deleting them (a rejected one stays rejected)."""
    return listings.exclude(status__in=[Listing.Status.REJECTED, Listing.Status.HIDDEN]).update(
        status=Listing.Status.HIDDEN, updated_at=Now()
    )
