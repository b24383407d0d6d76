"""Every write about shops: the application, the decisions on it, the owner's account.

Each status change is one function that locks the shop row, returns quietly if the
shop is already where it is asked to go, refuses a move the state machine does not
allow, records who/when/from/to/why, and queues the emails for after commit.
"""

from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from marketplace.services import email_queue_on_commit
from shops import api_keys, roles
from shops.models import Locality, Membership, Shop, ShopApiToken, ShopStatusChange


class ShopStatusError(Exception):
    """A status change the state machine does not allow; the message is for the user."""


class DuplicateShopApplication(Exception):
    """Another shop with the same SIRET exists (a concurrent application won the race)."""


def shop_apply(*, shop: Shop, drives) -> Shop:
    """Save a validated, unsaved application and acknowledge it by email.

    The shop starts pending; nobody can log in for it until the chain's staff approve it.
    """
    shop.status = Shop.Status.PENDING
    try:
        with transaction.atomic():
            shop.save()
            shop.drives.set(drives)
            change = ShopStatusChange.objects.create(shop=shop, from_status="", to_status=Shop.Status.PENDING)
            _queue_shop_email(shop, change=change, template="emails/shops/application_received")
            if settings.STAFF_NOTIFICATION_EMAIL:
                _queue_staff_notification(shop)
    except IntegrityError as exc:
        if Shop.objects.filter(siret=shop.siret).exists():
            raise DuplicateShopApplication(shop.siret) from exc
        raise
    return shop


def shop_approve(*, shop: Shop, by, note: str = "") -> Shop:
    """Approve a pending application: create (or reuse) the owner's account, make them
    the shop's owner, and email them a link to set their password."""
    with transaction.atomic():
        shop, change = _change_status(
            shop=shop, to=Shop.Status.APPROVED, allowed_from={Shop.Status.PENDING}, by=by, reason=note
        )
        if change is None:
            return shop
        owner = _owner_account_for(shop)
        with translation.override(shop.language):
            password_link = _set_password_link(owner) if not owner.has_usable_password() else ""
            _queue_shop_email(
                shop,
                change=change,
                template="emails/shops/approved",
                extra={
                    "owner": owner,
                    "password_link": password_link,
                    "admin_link": _absolute(reverse("admin:index")),
                },
            )
    return shop


def shop_reject(*, shop: Shop, by, reason: str) -> Shop:
    """Turn down a pending application; the applicant is told why."""
    if not reason.strip():
        raise ShopStatusError(_("Please give the applicant a reason for the rejection."))
    return _move_and_tell(
        shop=shop, to=Shop.Status.REJECTED, allowed_from={Shop.Status.PENDING}, by=by, reason=reason,
        template="emails/shops/rejected",
    )  # fmt: skip


def shop_suspend(*, shop: Shop, by, reason: str) -> Shop:
    """Take an approved shop off the marketplace for a while; the shop is told why."""
    if not reason.strip():
        raise ShopStatusError(_("Please give the shop a reason for the suspension."))
    return _move_and_tell(
        shop=shop, to=Shop.Status.SUSPENDED, allowed_from={Shop.Status.APPROVED}, by=by, reason=reason,
        template="emails/shops/suspended",
    )  # fmt: skip


def shop_reinstate(*, shop: Shop, by, note: str = "") -> Shop:
    """Put a suspended shop back on the marketplace."""
    return _move_and_tell(
        shop=shop, to=Shop.Status.APPROVED, allowed_from={Shop.Status.SUSPENDED}, by=by, reason=note,
        template="emails/shops/reinstated",
    )  # fmt: skip


def _move_and_tell(*, shop: Shop, to: str, allowed_from: set, by, reason: str, template: str) -> Shop:
    """A status change whose only side effect is an email to the shop."""
    with transaction.atomic():
        shop, change = _change_status(shop=shop, to=to, allowed_from=allowed_from, by=by, reason=reason)
        if change is not None:
            _queue_shop_email(shop, change=change, template=template)
    return shop


def _change_status(*, shop: Shop, to: str, allowed_from: set, by, reason: str):
    """Lock the shop and move it to `to`. Returns (shop, change); change is None when the
    shop was already there. Must run inside a transaction."""
    if not by.has_perm("shops.review_shop"):
        raise PermissionDenied
    locked = Shop.objects.select_for_update().get(pk=shop.pk)
    if locked.status == to:
        return locked, None
    if locked.status not in allowed_from or not locked.can_move_to(to):
        raise ShopStatusError(
            _("“%(shop)s” is %(current)s: it cannot be moved to “%(target)s”.")
            % {
                "shop": locked.trade_name,
                "current": locked.get_status_display().lower(),
                "target": Shop.Status(to).label.lower(),
            }
        )
    previous = locked.status
    locked.status = to
    locked.save(update_fields=["status", "updated_at"])
    change = ShopStatusChange.objects.create(
        shop=locked, from_status=previous, to_status=to, reason=reason.strip(), actor=by
    )
    return locked, change


def _owner_account_for(shop: Shop):
    """The account of the person who applied: reused if they already have one (they may
    run another shop), created without a password otherwise."""
    User = get_user_model()
    owner = User.objects.filter(email__iexact=shop.contact_email).first()
    if owner is None:
        owner = User(
            email=shop.contact_email,
            first_name=shop.contact_first_name,
            last_name=shop.contact_last_name,
            preferred_language=shop.language,
        )
        owner.set_unusable_password()
    owner.is_staff = True  # booksellers work in the admin
    owner.save()
    owner.groups.add(roles.group(roles.BOOKSELLERS))
    Membership.objects.get_or_create(user=owner, shop=shop, defaults={"role": Membership.Role.OWNER})
    return owner


def _set_password_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return _absolute(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}))


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _queue_shop_email(
    shop: Shop, *, change: ShopStatusChange, template: str, extra: dict | None = None
) -> None:
    """Tell the applicant about a status change (one message per change)."""
    email_queue_on_commit(
        event_key=f"shop-status-change:{change.pk}",
        to=shop.contact_email,
        template=template,
        context={"shop": shop, "change": change, "site_url": settings.SITE_URL, **(extra or {})},
        language=shop.language,
    )


def _queue_staff_notification(shop: Shop) -> None:
    email_queue_on_commit(
        event_key=f"shop:{shop.pk}:staff-notified",
        to=settings.STAFF_NOTIFICATION_EMAIL,
        template="emails/shops/staff_new_application",
        context={"shop": shop, "review_link": _absolute(reverse("admin:shops_shop_change", args=[shop.pk]))},
        language=settings.LANGUAGE_CODE,
    )


def localities_import(*, records) -> dict[str, int]:
    """Insert or update localities from La Poste's table; re-importing the same file
    changes nothing. Returns how many rows were created, updated and left unchanged."""
    existing = {
        (locality.postcode, locality.insee_code, locality.place): locality
        for locality in Locality.objects.all().only(
            "postcode", "insee_code", "place", "name", "latitude", "longitude"
        )
    }
    to_create, to_update, unchanged = [], [], 0
    for record in {(r.postcode, r.insee_code, r.place): r for r in records}.values():
        current = existing.get((record.postcode, record.insee_code, record.place))
        if current is None:
            to_create.append(Locality(**asdict(record)))
        elif (current.name, current.latitude, current.longitude) != (
            record.name,
            record.latitude,
            record.longitude,
        ):
            current.name, current.latitude, current.longitude = record.name, record.latitude, record.longitude
            to_update.append(current)
        else:
            unchanged += 1
    with transaction.atomic():
        Locality.objects.bulk_create(to_create, batch_size=5000)
        Locality.objects.bulk_update(to_update, ["name", "latitude", "longitude"], batch_size=2000)
    return {"created": len(to_create), "updated": len(to_update), "unchanged": unchanged}


def api_token_create(*, shop: Shop, name: str, by) -> tuple[ShopApiToken, str]:
    """Create an API key for `shop`; returns the row and the key, which is not stored
    and cannot be shown again."""
    prefix, key = api_keys.generate()
    token = ShopApiToken.objects.create(
        shop=shop, name=name.strip(), prefix=prefix, key_hash=api_keys.hash_of(key), created_by=by
    )
    return token, key


def api_token_revoke(*, token: ShopApiToken) -> ShopApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_record_use(*, token: ShopApiToken) -> None:
    # At most one write a minute per key: the column says "in use", not every call.
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ShopApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
