"""Every write about shops: the application, the decisions on it, the owner's account.

Each status change is one function that locks the shop row and makes one of the moves
Shop.MOVES declares (marketplace/state_machine.py: quietly nothing if the shop is there
already, refused if the move is not allowed from its status), records who/when/from/
to/why, and queues the emails for after commit.
"""

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
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
from shops.selectors import shops_for_user

# What an applicant writes in the application and may correct after a rejection. The
# SIRET identifies the business the application is about: it stays.
RESUBMITTABLE_FIELDS = (
    "trade_name",
    "legal_name",
    "address",
    "postcode",
    "town",
    "phone",
    "email",
    "website",
    "description",
    "logo",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "contact_phone",
)
RESUBMISSION_SALT = "shops.resubmission"
RESUBMISSION_LINK_MAX_AGE = timedelta(days=60)  # the rejection email says "for 60 days"


class ShopStatusError(Exception):
    """A status change the state machine does not allow; the message is for the user."""


class DuplicateShopApplication(Exception):
    """Another shop with the same SIRET exists (a concurrent application won the race)."""


def shop_apply(*, shop: Shop, drives, kinds) -> Shop:
    """Save a validated, unsaved application and acknowledge it by email.

    The shop starts pending; nobody can log in for it until the chain's staff approve it.
    """
    shop.status = Shop.Status.PENDING
    try:
        with transaction.atomic():
            shop.save()
            shop.drives.set(drives)
            shop.kinds.set(kinds)
            change = ShopStatusChange.objects.create(shop=shop, from_status="", to_status=Shop.Status.PENDING)
            _queue_shop_email(shop, change=change, template="emails/shops/application_received")
            _queue_staff_notification(shop, change=change)
    except IntegrityError as exc:
        if Shop.objects.filter(siret=shop.siret).exists():
            raise DuplicateShopApplication(shop.siret) from exc
        raise
    return shop


def shop_approve(*, shop: Shop, by, note: str = "") -> Shop:
    """Approve a pending application: create (or reuse) the owner's account, make them
    the shop's owner, and email them a link to set their password."""
    with transaction.atomic():
        shop, change = _decide(shop=shop, move="approve", by=by, reason=note)
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
    """Turn down a pending application; the applicant is told why, with a link to
    correct the application and send it again (shop_resubmit)."""
    if not reason.strip():
        raise ShopStatusError(_("Please give the applicant a reason for the rejection."))
    with transaction.atomic():
        shop, change = _decide(shop=shop, move="reject", by=by, reason=reason)
        if change is not None:
            with translation.override(shop.language):
                link = resubmission_link(rejection=change)
            _queue_shop_email(
                shop,
                change=change,
                template="emails/shops/rejected",
                extra={"resubmission_link": link, "link_days": RESUBMISSION_LINK_MAX_AGE.days},
            )
    return shop


def shop_suspend(*, shop: Shop, by, reason: str) -> Shop:
    """Take an approved shop off the marketplace for a while; the shop is told why. Its
    listings leave the search at once and can no longer be reserved: they are only offered
    for approved shops, and Shop.save forgets the cached shops near each drive. Its open
    orders stay: the shop still serves them (orders/suspension.py may cancel them too)."""
    if not reason.strip():
        raise ShopStatusError(_("Please give the shop a reason for the suspension."))
    return _move_and_tell(shop=shop, move="suspend", by=by, reason=reason, template="emails/shops/suspended")


def shop_reinstate(*, shop: Shop, by, note: str = "") -> Shop:
    """Put a suspended shop back on the marketplace."""
    return _move_and_tell(shop=shop, move="reinstate", by=by, reason=note, template="emails/shops/reinstated")


# --- Resubmission: the applicant corrects a rejected application ------------------------


class ResubmissionRefused(Exception):
    """A resubmission link that cannot be used; the message says why, for the applicant."""

    status = 400

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class ResubmissionLinkDamaged(ResubmissionRefused):
    status = 400


class ResubmissionLinkExpired(ResubmissionRefused):
    status = 410


class AlreadyResubmitted(ResubmissionRefused):
    """The rejection the link was written for is no longer the last decision: the
    application was sent again since (and maybe decided on again)."""

    status = 200


@dataclass(frozen=True)
class Resubmission:
    """A resubmission link that passed every check: the shop, and the rejection it answers."""

    shop: Shop
    rejection: ShopStatusChange


def resubmission_link(*, rejection: ShopStatusChange) -> str:
    """The absolute address, in the active language, where the applicant reads the reason
    for `rejection` and sends the application again. Signed (it cannot be forged), valid
    RESUBMISSION_LINK_MAX_AGE, and bound to this rejection: once the application is sent
    again, or decided on again, the link no longer opens the form."""
    signed = signing.dumps({"s": rejection.shop_id, "c": rejection.pk}, salt=RESUBMISSION_SALT)
    return _absolute(reverse("shops:resubmit", args=[signed]))


def resubmission_link_verify(*, signed: str) -> Resubmission:
    """The link in the address, checked; raises ResubmissionRefused saying what is wrong."""
    damaged = _("This link is damaged or incomplete. Copy the whole address from the email.")
    try:
        payload = signing.loads(signed, salt=RESUBMISSION_SALT, max_age=RESUBMISSION_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ResubmissionLinkExpired(
            _(
                "This link has expired: it worked for %(days)s days after the decision. Reply to the "
                "email we sent you and the team will help you send your application again."
            )
            % {"days": RESUBMISSION_LINK_MAX_AGE.days}
        ) from None
    except signing.BadSignature:
        raise ResubmissionLinkDamaged(damaged) from None
    if not isinstance(payload, dict) or set(payload) != {"s", "c"}:
        raise ResubmissionLinkDamaged(damaged)
    rejection = (
        ShopStatusChange.objects.select_related("shop")
        .filter(pk=payload["c"], shop_id=payload["s"], to_status=Shop.Status.REJECTED)
        .first()
    )
    if rejection is None:
        raise ResubmissionLinkDamaged(damaged)
    _check_still_rejected(rejection.shop, rejection)
    return Resubmission(shop=rejection.shop, rejection=rejection)


def _check_still_rejected(shop: Shop, rejection: ShopStatusChange) -> None:
    latest = shop.status_changes.order_by("-created_at", "-pk").first()
    if shop.status != Shop.Status.REJECTED or latest is None or latest.pk != rejection.pk:
        raise AlreadyResubmitted(
            _(
                "This application has already been sent again since this decision: the team is "
                "looking at it, or has written to you about it. Use the link of the latest email."
            )
        )


def shop_resubmit(*, shop: Shop, rejection: ShopStatusChange, drives, note: str = "") -> Shop:
    """Send a rejected application again, corrected by the applicant: back to pending
    (the applicant's move: no actor), acknowledged by email, announced to the team like a
    new application. The rejection and its reason stay in the history.

    `shop` carries the corrections, not saved yet (RESUBMITTABLE_FIELDS, the place's
    coordinates, the language); only those are written. Raises AlreadyResubmitted when
    `rejection` is no longer the shop's last decision (a second click, an old email)."""
    with transaction.atomic():
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        _check_still_rejected(locked, rejection)
        with translation.override(settings.LANGUAGE_CODE):  # the team's language
            reason = note.strip() or _("Corrected and sent again by the applicant.")
        shop.status = locked.status
        change = Shop.MOVES.move(
            shop,  # with the applicant's corrections, saved in the same statement
            "resubmit",
            refused=_refused,
            also_set=lambda shop: [*RESUBMITTABLE_FIELDS, "latitude", "longitude", "language"],
            record=lambda previous: ShopStatusChange.objects.create(
                shop=shop, from_status=previous, to_status=shop.status, reason=reason
            ),
        )
        shop.drives.set(drives)
        _queue_shop_email(shop, change=change, template="emails/shops/resubmitted")
        _queue_staff_notification(shop, change=change)
    return shop


def _move_and_tell(*, shop: Shop, move: str, by, reason: str, template: str) -> Shop:
    """A decision whose only side effect is an email to the shop."""
    with transaction.atomic():
        shop, change = _decide(shop=shop, move=move, by=by, reason=reason)
        if change is not None:
            _queue_shop_email(shop, change=change, template=template)
    return shop


def _decide(*, shop: Shop, move: str, by, reason: str) -> tuple[Shop, ShopStatusChange | None]:
    """A reviewer's decision: lock the shop and make the move. Returns (shop, change);
    change is None when the shop was already there. Must run inside a transaction.

    Refused (PermissionDenied) to anyone without the permission to review shops, and to
    a reviewer the shop is not visible to (drive staff of another drive)."""
    if not by.has_perm("shops.review_shop"):
        raise PermissionDenied
    locked = shops_for_user(by).select_for_update(of=("self",)).filter(pk=shop.pk).first()
    if locked is None:
        raise PermissionDenied
    change = Shop.MOVES.move(
        locked,
        move,
        refused=_refused,
        record=lambda previous: ShopStatusChange.objects.create(
            shop=locked, from_status=previous, to_status=locked.status, reason=reason.strip(), actor=by
        ),
    )
    return locked, change


def _refused(shop: Shop, move) -> ShopStatusError:
    return ShopStatusError(
        _("“%(shop)s” is %(current)s: it cannot be moved to “%(target)s”.")
        % {
            "shop": shop.trade_name,
            "current": shop.get_status_display().lower(),
            "target": Shop.Status(move.target).label.lower(),
        }
    )


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


def _queue_staff_notification(shop: Shop, *, change: ShopStatusChange) -> None:
    """Tell the chain's team that an application waits for them (a new one, or one
    corrected after a rejection: `change` is the move to pending)."""
    if not settings.STAFF_NOTIFICATION_EMAIL:
        return
    with translation.override(settings.LANGUAGE_CODE):
        review_link = _absolute(reverse("admin:shops_shop_change", args=[shop.pk]))
    email_queue_on_commit(
        event_key=f"shop-status-change:{change.pk}:staff",
        to=settings.STAFF_NOTIFICATION_EMAIL,
        template="emails/shops/staff_new_application",
        context={"shop": shop, "review_link": review_link, "resubmitted": change.from_status != ""},
        language=settings.LANGUAGE_CODE,
    )


def drive_staff_grant_access(*, user) -> None:
    """What someone assigned to a drive (DriveAssignment) needs besides the assignment,
    which decides which shops they see (shops_for_user): the back office, and the Drive
    staff group, which decides what they may do with them."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(roles.group(roles.DRIVE_STAFF))


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
