"""The people and listings of the moderation tests.

Two drives, X (Lorient) and Y (Vannes), each with a bookshop, its owner and a member of
the drive's staff; and head office, who sees both.

    world = two_drives()
    held = held_listing(world.shop_x)          # pending: a used copy priced above the new book
"""

from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils import translation

from catalog.models import Listing, ListingReport
from marketplace.models import ModerationReason
from shops.models import Membership
from tests.factories import (
    BookFactory,
    BooksellerFactory,
    ChainStaffFactory,
    DriveFactory,
    DriveStaffFactory,
    ListingFactory,
    ShopFactory,
)


@dataclass
class TwoDrives:
    drive_x: object
    drive_y: object
    shop_x: object
    shop_y: object
    owner_x: object
    owner_y: object
    staff_x: object
    staff_y: object
    head_office: object


def two_drives() -> TwoDrives:
    drive_x = DriveFactory(name="Drive Lorient", slug="lorient")
    drive_y = DriveFactory(name="Drive Vannes", slug="vannes", town="Vannes", postcode="56000")
    shop_x = ShopFactory(trade_name="Librairie du Port", email="port@example.org", language="en")
    shop_y = ShopFactory(trade_name="Les Mots Voyageurs", email="mots@example.org", language="en")
    shop_x.drives.set([drive_x])
    shop_y.drives.set([drive_y])
    owner_x, owner_y = (
        BooksellerFactory(email="yann@port.example"),
        BooksellerFactory(email="lena@mots.example"),
    )
    Membership.objects.create(user=owner_x, shop=shop_x, role=Membership.Role.OWNER)
    Membership.objects.create(user=owner_y, shop=shop_y, role=Membership.Role.OWNER)
    return TwoDrives(
        drive_x=drive_x,
        drive_y=drive_y,
        shop_x=shop_x,
        shop_y=shop_y,
        owner_x=owner_x,
        owner_y=owner_y,
        staff_x=DriveStaffFactory(email="camille@lorient.example", drives=[drive_x]),
        staff_y=DriveStaffFactory(email="malo@vannes.example", drives=[drive_y]),
        head_office=ChainStaffFactory(email="siege@chain.example"),
    )


def held_listing(shop, *, title="Germinal", price=Decimal("12.00"), list_price=Decimal("9.90")) -> Listing:
    """A used copy priced above the new book: the rules hold it for moderation."""
    return ListingFactory(
        shop=shop,
        book=BookFactory(title=title, list_price=list_price),
        condition=Listing.Condition.USED_GOOD,
        price=price,
        status=Listing.Status.PENDING,
        moderation_flags=[Listing.Flag.USED_ABOVE_NEW_PRICE],
    )


def reported_listing(
    shop, *, title="Nana", reason=ListingReport.Reason.WRONG_ITEM, fingerprint="someone"
) -> Listing:
    """A published listing that someone reported."""
    listing = ListingFactory(shop=shop, book=BookFactory(title=title))
    report(listing, reason=reason, fingerprint=fingerprint)
    return listing


def report(
    listing, *, reason=ListingReport.Reason.WRONG_ITEM, fingerprint="someone", message=""
) -> ListingReport:
    return ListingReport.objects.create(
        listing=listing, reason=reason, message=message, reporter_fingerprint=fingerprint
    )


def ready_made_reason() -> ModerationReason:
    return ModerationReason.objects.create(
        applies_to=ModerationReason.AppliesTo.LISTING,
        label="Price above the new book",
        text="A used copy cannot cost more than the new book.",
    )


def en(name, *args, query: str = "") -> str:
    with translation.override("en"):
        return reverse(name, args=args) + (f"?{query}" if query else "")
