"""Reads of the moderation of listings: the queue, a listing's history, what the public
may report."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case, DateTimeField, F, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Least

from catalog.models import Listing, ListingReport, ListingStatusChange, ListingToModerate
from shops.models import Shop
from shops.selectors import shops_for_user


def open_reports() -> QuerySet[ListingReport]:
    return ListingReport.objects.filter(status=ListingReport.Status.OPEN)


def listings_to_moderate_for_user(user) -> QuerySet[ListingToModerate]:
    """The queue `user` works on: the listings of their shops (shops_for_user, the same
    rule as listings_for_user) that a rule holds or that someone reported.

    The listings waiting are few among millions: they are read from the two small partial
    indexes (pending listings, open reports), then fetched by primary key."""
    waiting = (
        Listing.objects.filter(status=Listing.Status.PENDING)
        .order_by()
        .values("pk")
        .union(open_reports().order_by().values("listing_id"))
    )
    return ListingToModerate.objects.filter(pk__in=waiting, shop__in=shops_for_user(user))


def with_moderation_details(listings: QuerySet) -> QuerySet:
    """The queue's rows with what its columns show: book, shop, drives, the reasons of the
    open reports (`open_report_reasons`, oldest first) and since when the listing has
    waited for a moderator (`waiting_since`: held by a rule, or first reported)."""
    reports = open_reports().filter(listing=OuterRef("pk")).order_by("created_at", "pk")
    return (
        listings.select_related("book", "shop")
        .prefetch_related("shop__drives")
        .annotate(
            open_report_reasons=ArraySubquery(reports.values("reason")),
            # PostgreSQL's LEAST skips NULLs: a published listing waits since its first report.
            waiting_since=Least(
                Case(When(status=Listing.Status.PENDING, then=F("status_changed_at"))),
                Subquery(reports.values("created_at")[:1]),
                output_field=DateTimeField(),
            ),
        )
    )


def listing_history(listing: Listing) -> QuerySet[ListingStatusChange]:
    """The decisions on a listing, oldest first, as the shop and the moderators read them."""
    return listing.status_changes.select_related("actor").order_by("created_at", "pk")


def latest_rejection_reason() -> Subquery:
    """For an annotation of listings: the reason the moderators gave for the latest
    rejection."""
    return Subquery(
        ListingStatusChange.objects.filter(listing=OuterRef("pk"), to_status=Listing.Status.REJECTED)
        .order_by("-created_at", "-pk")
        .values("reason")[:1]
    )


def listing_awaits_a_person(*, listing: Listing) -> bool:
    """Whether the latest decision on a pending listing was its shop resubmitting it after
    a rejection: only a moderator puts it back online then."""
    return listing.pk in listings_resubmitted_after_rejection(listing_ids=[listing.pk])


def listings_resubmitted_after_rejection(*, listing_ids: list[int]) -> set[int]:
    """Those of `listing_ids` whose latest decision is their shop resubmitting them after
    a rejection (one query, whatever the number of listings: stock imports ask for all the
    pending listings of a file)."""
    latest = (
        ListingStatusChange.objects.filter(listing_id__in=listing_ids)
        .order_by("listing_id", "-created_at", "-pk")
        .distinct("listing_id")
        .values_list("listing_id", "to_status")
    )
    return {listing_id for listing_id, to_status in latest if to_status == Listing.Status.PENDING}


def reportable_listing(listing_id) -> Listing | None:
    """A listing the public may report: online, in an approved shop."""
    return (
        Listing.objects.filter(
            pk=listing_id, status=Listing.Status.PUBLISHED, shop__status=Shop.Status.APPROVED
        )
        .select_related("book", "shop")
        .first()
    )
