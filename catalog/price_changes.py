"""When a publisher's price changes, the shops' new-book listings follow.

A new book is sold at 95-100 % of the publisher's price in force (loi Lang). When the
reference price changes (a feed, head office, a dated price coming into force), the
new-book listings now outside that range stay on sale for the grace period head office
sets (CatalogueRules): their shop gets one email listing them and finds them under
"Price to review" in its stock. Past the deadline, a listing still outside waits off sale
(flag PRICE_OUTSIDE_LOI_LANG, status pending) until its shop corrects the price, which
puts it back online like any listing held by a rule only (catalog/moderation.py).
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Ceil
from django.urls import reverse
from django.utils import timezone, translation

from catalog import moderation
from catalog.models import CatalogueRules, Listing
from catalog.moderation_selectors import listing_awaits_a_person
from catalog.pricing import new_book_price_range
from marketplace.jobs import act_on_each_in_batches
from marketplace.services import email_queue_on_commit
from shops.models import Shop

OUTSIDE = Listing.Flag.PRICE_OUTSIDE_LOI_LANG
UNKNOWN = Listing.Flag.UNKNOWN_LIST_PRICE


def price_is_lawful(listing: Listing) -> bool:
    list_price = listing.book.list_price
    if listing.is_used or list_price is None or not listing.book.follows_book_rules:
        return True
    return listing.price in new_book_price_range(list_price)


def listings_follow_price_change(*, book_ids: list[int], now=None) -> None:
    """Give the books' new-book listings now outside the law a deadline (and tell their
    shops), and lift the deadline of those the new price puts back within it. Runs in the
    transaction that changed the prices; idempotent. Only the listings with something to
    change are locked (a feed may change the price of books listed by hundreds of shops)."""
    now = now or timezone.now()
    deadline = now + timedelta(days=CatalogueRules.current().price_change_grace_days)
    listings = (
        Listing.objects.filter(
            book_id__in=book_ids,
            condition=Listing.Condition.NEW,
            book__list_price__isnull=False,
            book__kind__book_rules=True,  # another kind's list price is a recommendation
        )
        .filter(
            _outside_the_law()
            | Q(price_review_by__isnull=False)
            | Q(moderation_flags__overlap=[OUTSIDE, UNKNOWN])
        )
        .select_related("book", "shop")
        .select_for_update(of=("self",))
        .order_by("book_id", "pk")
    )
    newly_outside = []
    for listing in listings:
        if price_is_lawful(listing):
            _back_within_the_law(listing)
        elif UNKNOWN in listing.moderation_flags and listing.status != Listing.Status.PUBLISHED:
            # Held until a reference price came, never on sale: no grace to give, it waits
            # for its price to be corrected.
            listing.moderation_flags = [*_without_price_flags(listing.moderation_flags), OUTSIDE]
            listing.price_review_by = now
            listing.save(update_fields=["moderation_flags", "price_review_by", "updated_at"])
            newly_outside.append(listing)
        elif listing.price_review_by is None:
            listing.moderation_flags = _without_price_flags(listing.moderation_flags)
            listing.price_review_by = deadline
            listing.save(update_fields=["moderation_flags", "price_review_by"])
            newly_outside.append(listing)
    if newly_outside:
        _tell_shops_on_commit(newly_outside)


def _outside_the_law() -> Q:
    """A new copy priced outside 95-100 % of its book's reference price, in SQL (the
    minimum rounded up to the cent, as catalog/pricing.py does)."""
    return Q(price__gt=F("book__list_price")) | Q(price__lt=Ceil(F("book__list_price") * 95) / 100)


def _without_price_flags(flags: list[str]) -> list[str]:
    return [flag for flag in flags if flag not in (OUTSIDE, UNKNOWN)]


def _back_within_the_law(listing: Listing) -> None:
    flags = _without_price_flags(listing.moderation_flags)
    listing.status = moderation.status_after_change(
        current=listing.status,
        shop_is_approved=listing.shop.status == Shop.Status.APPROVED,
        old_flags=listing.moderation_flags,
        new_flags=flags,
        awaits_a_person=listing.status == Listing.Status.PENDING and listing_awaits_a_person(listing=listing),
    )
    listing.moderation_flags, listing.price_review_by = flags, None
    listing.save(update_fields=["status", "moderation_flags", "price_review_by", "updated_at"])


def price_reviews_expire(*, now=None) -> int:
    """Listings past their deadline and still outside the law wait off sale: those on sale
    go to the moderation queue, the others keep the flag that keeps them off. Safe to run
    twice at once (rows claimed with SKIP LOCKED)."""
    now = now or timezone.now()

    def due():
        return Listing.objects.filter(price_review_by__lte=now).filter(
            ~Q(moderation_flags__contains=[OUTSIDE]) | Q(status=Listing.Status.PUBLISHED)
        )

    def act(listing: Listing) -> None:
        listing = Listing.objects.select_related("book", "shop").get(pk=listing.pk)
        if price_is_lawful(listing):
            _back_within_the_law(listing)
            return
        others = [flag for flag in listing.moderation_flags if flag != OUTSIDE]
        flags = [*others, OUTSIDE]
        listing.status = moderation.status_after_change(
            current=listing.status,
            shop_is_approved=listing.shop.status == Shop.Status.APPROVED,
            old_flags=others,  # the price's flag counts as new: a listing on sale leaves
            new_flags=flags,
        )
        listing.moderation_flags = flags
        listing.save(update_fields=["status", "moderation_flags", "updated_at"])

    return act_on_each_in_batches(
        due, act, order_by=("price_review_by", "pk"), batch_size=200, doing="take off sale the listing"
    )


def listings_with_price_to_review(listings):
    return listings.filter(Q(price_review_by__isnull=False) | Q(moderation_flags__contains=[OUTSIDE]))


def _tell_shops_on_commit(listings: list[Listing]) -> None:
    """One email per shop (and deadline): the listings, their allowed range, the deadline."""
    now = timezone.now()
    groups: dict[tuple[int, bool], list[Listing]] = {}
    for listing in listings:
        if listing.status in (Listing.Status.HIDDEN, Listing.Status.REJECTED):
            continue  # off the site by a person's decision: the stock list shows them
        groups.setdefault((listing.shop_id, listing.price_review_by <= now), []).append(listing)
    for (_shop_id, deadline_passed), shop_listings in groups.items():
        shop, deadline_at = shop_listings[0].shop, shop_listings[0].price_review_by.isoformat()
        ids = ",".join(str(listing.pk) for listing in sorted(shop_listings, key=lambda item: item.pk))
        with translation.override(shop.language):
            items = [
                {
                    "listing": listing,
                    "range": new_book_price_range(listing.book.list_price),  # a dataclass: kept as a dict
                    "link": settings.SITE_URL + reverse("admin:catalog_listing_change", args=[listing.pk]),
                }
                for listing in shop_listings
            ]
        email_queue_on_commit(
            # The same listings and deadline told about once, however many runs see the
            # change; a later change (a new deadline) is told again.
            event_key=f"price-review:{shop.pk}:{hashlib.sha256(f'{ids}@{deadline_at}'.encode()).hexdigest()[:32]}",
            to=shop.email,
            template="emails/catalog/price_review",
            context={
                "shop": shop,
                "items": items,
                "deadline": shop_listings[0].price_review_by,
                "deadline_passed": deadline_passed,
                "stock_link": settings.SITE_URL
                + reverse("admin:catalog_listing_changelist")
                + "?price_review=yes",
            },
            language=shop.language,
        )
