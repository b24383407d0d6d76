"""Every moderation decision on listings: a moderator publishes or rejects what the
automatic rules held (catalog/moderation.py) or what people reported; the shop corrects
a rejected listing and resubmits it; anyone reports a listing that looks wrong.

Each decision locks the listing rows, passes quietly over a listing already where it is
asked to go, refuses a move catalog.moderation does not allow (ListingModerationError,
whose message is for the user), records who/when/from/to/why in ListingStatusChange (the
history the shop reads) and queues the shop's email for after commit. Moderators need
the catalog.moderate_listing permission and act on the listings of shops_for_user(by)
only: in the bulk versions, any other listing is left out as if it had not been given.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog import moderation
from catalog.models import Listing, ListingReport, ListingStatusChange
from catalog.moderation_selectors import open_reports
from catalog.pricing import check_listing_price
from catalog.reference import list_price_for
from marketplace.locking import advisory_xact_lock
from marketplace.services import email_queue_on_commit
from shops.models import Shop
from shops.selectors import shops_for_user

# Reports one person may send in an hour: enough for a customer who finds several wrong
# offers, too few to flood the moderators' queue.
REPORTS_PER_HOUR = 10


class ListingModerationError(Exception):
    """A decision the rules do not allow; the message is for the user."""


class AlreadyReported(ListingModerationError):
    """The same person reported the listing before, and the report is still open."""

    def __init__(self):
        super().__init__(_("You already reported this listing, thank you: the moderators will look at it."))


class TooManyReports(ListingModerationError):
    """The person has reached REPORTS_PER_HOUR."""


class ListingNotReportable(Exception):
    """The listing is not online (any more): the public cannot report it."""


@dataclass
class ModerationResult:
    """What a decision on several listings did: `changed` moved, `unchanged` were already
    where they were asked to go, `refused` says why each of the others was left alone."""

    changed: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)


# --- Moderators' decisions ------------------------------------------------------------------


def listing_approve(*, listing: Listing, by, note: str = "") -> Listing:
    """Publish a listing held for moderation, and dismiss its open reports: the moderator
    looked at it and keeps it online (for a listing already online, that is all it does).

    Its flags stay: the rules that held it will not hold it again for the same reasons."""
    with transaction.atomic():
        locked = _lock_one_for_moderation(listing=listing, by=by)
        _approve(locked, by=by, note=note)
    return locked


def listings_approve(*, listings, by, note: str = "") -> ModerationResult:
    """listing_approve for each of `listings` (a queryset or a list) that `by` may moderate."""
    return _decide_each(
        lock=lambda: _lock_for_moderation(ids=_ids(listings), by=by),
        decide=lambda locked: _approve(locked, by=by, note=note),
    )


def listing_reject(*, listing: Listing, by, reason: str) -> Listing:
    """Take a listing held for moderation, or online, off the marketplace; its open
    reports are upheld and the shop is told why by email."""
    with transaction.atomic():
        _require_reason(reason)
        locked = _lock_one_for_moderation(listing=listing, by=by)
        change = _reject(locked, by=by, reason=reason)
        if change is not None:
            _tell_shops_on_commit([(locked, change)])
    return locked


def listings_reject(*, listings, by, reason: str) -> ModerationResult:
    """listing_reject for each of `listings` that `by` may moderate, with one reason; each
    shop gets one email listing its rejected books."""
    _require_reason(reason)
    rejections = []

    def reject(locked):
        change = _reject(locked, by=by, reason=reason)
        if change is not None:
            rejections.append((locked, change))
        return change is not None

    with transaction.atomic():
        result = _decide_each(lock=lambda: _lock_for_moderation(ids=_ids(listings), by=by), decide=reject)
        _tell_shops_on_commit(rejections)
    return result


def listing_reports_dismiss(*, listing: Listing, by) -> int:
    """Settle a listing's open reports without changing it (it stays online, or held by
    its rules); returns how many were settled."""
    with transaction.atomic():
        locked = _lock_one_for_moderation(listing=listing, by=by)
        return _settle_open_reports(locked, status=ListingReport.Status.DISMISSED, by=by)


def listings_reports_dismiss(*, listings, by) -> ModerationResult:
    """listing_reports_dismiss for each of `listings` that `by` may moderate; a listing
    without open reports counts as unchanged."""
    return _decide_each(
        lock=lambda: _lock_for_moderation(ids=_ids(listings), by=by),
        decide=lambda locked: bool(
            _settle_open_reports(locked, status=ListingReport.Status.DISMISSED, by=by)
        ),
    )


def _approve(listing: Listing, *, by, note: str) -> bool:
    changed = False
    publish = Listing.MOVES["publish"]
    if publish.allowed_from(listing.status) and listing.shop.status not in (
        Shop.Status.APPROVED,
        Shop.Status.SUSPENDED,
    ):
        raise ListingModerationError(
            _("“%(title)s”: the application of %(shop)s has not been approved; decide on it first.")
            % {"title": listing.book.title_or_isbn, "shop": listing.shop.trade_name}
        )
    changed = _move(listing, "publish", by=by, reason=note) is not None
    _settle_open_reports(listing, status=ListingReport.Status.DISMISSED, by=by)
    return changed


def _reject(listing: Listing, *, by, reason: str) -> ListingStatusChange | None:
    change = _move(listing, "reject", by=by, reason=reason)
    if change is not None:
        _settle_open_reports(listing, status=ListingReport.Status.UPHELD, by=by)
    return change


def _refused(listing: Listing, move) -> ListingModerationError:
    return ListingModerationError(
        _("“%(title)s” is %(current)s: it cannot be moved to “%(target)s”.")
        % {
            "title": listing.book.title_or_isbn,
            "current": listing.get_status_display().lower(),
            "target": Listing.Status(move.target).label.lower(),
        }
    )


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise ListingModerationError(_("Please give the shop a reason for the rejection."))


def _lock_one_for_moderation(*, listing: Listing, by) -> Listing:
    """Must run inside a transaction."""
    locked = _lock_for_moderation(ids=[listing.pk], by=by)
    if not locked:
        raise PermissionDenied  # another drive's shop (or no such listing)
    return locked[0]


def _lock_for_moderation(*, ids, by) -> list[Listing]:
    """The listings among `ids` that `by` may moderate, locked. Must run inside a
    transaction.

    In book order, as listings_publish does: a status change also locks the book's row
    (Book.shop_ids, catalog/search_index.py), and two transactions changing listings of the
    same books must take those locks in the same order, or they could deadlock."""
    if not by.has_perm("catalog.moderate_listing"):
        raise PermissionDenied
    return list(
        Listing.objects.select_for_update(of=("self",))
        .select_related("book", "shop")
        .filter(pk__in=ids, shop__in=shops_for_user(by))
        .order_by("book_id", "pk")
    )


def _decide_each(*, lock, decide) -> ModerationResult:
    """Lock the listings (`lock()`: those the person may act on) and apply `decide`
    (locked listing → whether it changed) to each; a refusal leaves that listing alone
    and the others go on."""
    result = ModerationResult()
    with transaction.atomic():
        for locked in lock():
            try:
                changed = decide(locked)
            except ListingModerationError as error:
                result.refused.append(str(error))
            else:
                if changed:
                    result.changed += 1
                else:
                    result.unchanged += 1
    return result


def _ids(listings) -> list[int]:
    if isinstance(listings, QuerySet):
        return list(listings.order_by().values_list("pk", flat=True))
    return [listing.pk for listing in listings]


def _settle_open_reports(listing: Listing, *, status: str, by) -> int:
    return listing.reports.filter(status=ListingReport.Status.OPEN).update(
        status=status, resolved_at=timezone.now(), resolved_by=by
    )


# --- The shop's side: resubmitting a rejected listing -------------------------------------


def listing_resubmit(*, listing: Listing, by, note: str = "") -> Listing:
    """The shop corrected a rejected listing (price, quantity) and sends it back to the
    moderators' queue. The price law is checked and the automatic rules are run again
    first; a moderator, not the rules, puts it back online."""
    with transaction.atomic():
        locked = _lock_for_shop_member(ids=[listing.pk], by=by)
        if not locked:
            raise PermissionDenied  # not a member of the listing's shop
        _resubmit(locked[0], by=by, note=note)
    return locked[0]


def listings_resubmit(*, listings, by) -> ModerationResult:
    """listing_resubmit for each of `listings` of the shops `by` is a member of."""
    return _decide_each(
        lock=lambda: _lock_for_shop_member(ids=_ids(listings), by=by),
        decide=lambda locked: _resubmit(locked, by=by, note=""),
    )


def _resubmit(listing: Listing, *, by, note: str) -> bool:
    if listing.status == Listing.Status.PENDING:
        return False
    if not Listing.MOVES["resubmit"].allowed_from(listing.status):
        raise ListingModerationError(
            _("“%(title)s” is %(current)s: only a rejected listing can be resubmitted.")
            % {"title": listing.book.title_or_isbn, "current": listing.get_status_display().lower()}
        )
    try:
        check_listing_price(
            price=listing.price,
            is_new=not listing.is_used,
            list_price=list_price_for(shop_id=listing.shop_id, book=listing.book),
        )
    except ValidationError as error:
        raise ListingModerationError(
            _("“%(title)s”: %(problem)s")
            % {"title": listing.book.title_or_isbn, "problem": " ".join(error.messages)}
        ) from error
    flags = moderation.flags_for(
        book=listing.book,
        condition=listing.condition,
        price=listing.price,
        quantity=listing.quantity,
        price_review_by=listing.price_review_by,
    )

    def set_flags(listing: Listing) -> list[str]:
        listing.moderation_flags = flags
        return ["moderation_flags"]

    _move(listing, "resubmit", by=by, reason=note, also_set=set_flags)
    return True


def _lock_for_shop_member(*, ids, by) -> list[Listing]:
    """The listings among `ids` of the shops `by` is a member of, locked (book order: see
    _lock_for_moderation). Must run inside a transaction."""
    if not by.is_active:
        return []
    return list(
        Listing.objects.select_for_update(of=("self",))
        .select_related("book", "shop")
        .filter(pk__in=ids, shop__memberships__user=by)
        .order_by("book_id", "pk")
    )


def _move(listing: Listing, move: str, *, by, reason: str, also_set=None) -> ListingStatusChange | None:
    """Make one of Listing.MOVES on a listing locked by the caller; None if it was there."""
    return Listing.MOVES.move(
        listing,
        move,
        refused=_refused,
        also_set=also_set,
        record=lambda previous: ListingStatusChange.objects.create(
            listing=listing, from_status=previous, to_status=listing.status, reason=reason.strip(), actor=by
        ),
    )


# --- Telling the shop -------------------------------------------------------------------------


def _tell_shops_on_commit(rejections: list[tuple[Listing, ListingStatusChange]]) -> None:
    """One email per shop and decision, listing its rejected books with the reason. Must
    run inside the transaction that rejected them."""
    by_shop: dict[int, list[tuple[Listing, ListingStatusChange]]] = {}
    for listing, change in rejections:
        by_shop.setdefault(listing.shop_id, []).append((listing, change))
    for group in by_shop.values():
        shop, first_change = group[0][0].shop, group[0][1]
        with translation.override(shop.language):
            rejected = [
                {
                    "listing": listing,
                    "link": _absolute(reverse("admin:catalog_listing_change", args=[listing.pk])),
                }
                for listing, _change in group
            ]
        email_queue_on_commit(
            # Each change belongs to one decision: its first change names the decision.
            event_key=f"listing-status-change:{first_change.pk}",
            to=shop.email,
            template="emails/catalog/listing_rejected",
            context={"shop": shop, "rejected": rejected, "reason": first_change.reason},
            language=shop.language,
        )


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# --- Reports from the public -----------------------------------------------------------------


def listing_report(
    *,
    listing: Listing,
    reason: str,
    message: str = "",
    reporter=None,
    reporter_email: str = "",
    fingerprint: str,
) -> ListingReport:
    """Someone tells the moderators a listing looks wrong: it joins their queue and stays
    online until they decide. `fingerprint` stands for the person (catalog.views): one open
    report per person and listing, REPORTS_PER_HOUR reports per person and hour.

    The listing is locked so that a report cannot land, still open, on a listing a
    moderator is rejecting at the same moment."""
    with transaction.atomic():
        # This person's reports are counted one after the other (their hourly limit
        # holds when they send many at once), before the listing is locked.
        advisory_xact_lock(f"listing-reports:{fingerprint}")
        locked = (
            Listing.objects.select_for_update(of=("self",))
            .select_related("book", "shop")
            .filter(pk=listing.pk)
            .first()
        )
        if (
            locked is None
            or locked.status != Listing.Status.PUBLISHED
            or locked.shop.status != Shop.Status.APPROVED
        ):
            raise ListingNotReportable
        if open_reports().filter(listing=locked, reporter_fingerprint=fingerprint).exists():
            raise AlreadyReported
        an_hour_ago = timezone.now() - timedelta(hours=1)
        if (
            ListingReport.objects.filter(
                reporter_fingerprint=fingerprint, created_at__gte=an_hour_ago
            ).count()
            >= REPORTS_PER_HOUR
        ):
            raise TooManyReports(_("You have sent many reports in the last hour: please try again later."))
        try:
            with transaction.atomic():
                return ListingReport.objects.create(
                    listing=locked,
                    reason=reason,
                    message=message.strip(),
                    reporter=reporter if reporter is not None and reporter.is_authenticated else None,
                    reporter_email=reporter_email.strip(),
                    reporter_fingerprint=fingerprint,
                )
        except IntegrityError as exc:  # the unique constraint, should the check above be bypassed
            raise AlreadyReported from exc
