"""The network the isolation test (tests/test_isolation.py) runs against, built once per
test module: shop A and everything of it, what the other actors own, and their sessions.

    Drive Alpha ── shop A "Librairie Alpha" (approved): owner, colleague (staff role),
    │              listings (published, held for moderation, rejected), orders (placed,
    │              accepted, ready), an API key, a stock import, a stock sync session (API),
    │              an audit entry
    │           ── "Librairie Aurore" (pending application, a listing), "Librairie Refusee"
    │              (rejected application)
    │           ── drive_staff
    Drive Bravo ── shop B "Librairie Bravo": outsider (its owner), its listing, order, key
    │              and paid plan
    │           ── "Librairie Recalee" (rejected application)
    │           ── other_drive_staff
    head_office (group "Chain staff"); customer (placed order A), other_customer (order B);
    two accounts waiting for their sign-up confirmation; wrong passwords typed for owner's.

Every text the test looks for in a page is plain ASCII (HTML escaping changes nothing).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from accounts import services as accounts
from catalog import moderation_services, stock_sync
from catalog.models import (
    BookClaim,
    CatalogueFeed,
    CatalogueRules,
    Listing,
    ListingStatusChange,
    StockAlert,
    StockImport,
    StockSyncPage,
    StockSyncSession,
)
from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from marketplace.models import AuditEntry, ModerationReason, OutgoingEmail
from orders.action_links import action_link_url
from orders.models import Order, OrderEvent, OrderLine
from orders.services import order_accept, order_mark_ready
from privacy import rights as privacy_rights
from privacy.models import DataRequest
from shops import roles
from shops import services as shop_services
from shops.models import (
    Drive,
    DriveAssignment,
    ListingPlan,
    Locality,
    Membership,
    Shop,
    ShopApiToken,
    ShopStatusChange,
)
from tests.factories import (
    BookFactory,
    ChainStaffFactory,
    DriveFactory,
    DriveStaffFactory,
    ListingFactory,
    MembershipFactory,
    ShopFactory,
    UserFactory,
    reserve,
)

# Stands for a credential nobody holds: a token, a signed link, an API key.
FORGED = "Zm9yZ2VkLWtleS1ub2JvZHktaG9sZHMtdGhpcy1vbmU"


@dataclass
class World:
    drive_a: Drive
    drive_b: Drive
    shop_a: Shop
    shop_b: Shop
    pending_shop: Shop  # an application waiting in drive A's queue
    rejected_shop: Shop  # a rejected application of drive A (its resubmission link)
    rejected_shop_b: Shop  # another one, of drive B
    users: dict  # actor name -> User, for the logged-in actors (isolation_table.LOGGED_IN)
    listing_a: Listing  # published
    held_listing_a: Listing  # pending: in the moderators' queue
    rejected_listing_a: Listing  # rejected by a moderator: the shop may resubmit it
    listing_b: Listing
    order_a: Order  # placed by customer_a (an account)
    accepted_a: Order  # accepted, not ready yet
    ready_a: Order  # ready at the counter: it has a pickup code
    order_b: Order  # placed at shop B by customer_b
    key_a: str  # shop A's API key (till software)
    key_b: str
    api_token_a: ShopApiToken
    stock_import_a: StockImport
    sync_session_a: StockSyncSession  # open, not a full sync: page 1 holds listing_a's book
    claim_a: BookClaim  # shop A says listing_a's book has another publisher's price
    feed: CatalogueFeed  # a publisher's feed head office loaded
    rules: CatalogueRules
    audit_entry_a: AuditEntry
    email_a: OutgoingEmail  # the email telling customer_a their order is placed
    reason: ModerationReason
    plan: ListingPlan  # shop B's, from 2030
    locality: Locality
    action_link_a: str  # the "accept" link of order_a's new-order email (a path)
    action_link_b: str
    resubmit_link_a: str  # the rejected shop's link to correct its application (a path)
    resubmit_link_b: str
    reset_a: tuple[str, str]  # (uid, token): owner_a's set-password link
    reset_b: tuple[str, str]  # the outsider's
    beat: dict  # django_celery_beat's objects by model name
    group: object  # the Booksellers group
    login_attempt: object  # django-axes: wrong passwords typed for owner_a's account
    signup_a: object  # a customer account waiting for its confirmation link
    signup_link_a: str  # the signed part of its link
    alert_a: object  # "tell me when it is here": customer A's alert on a book, pending (its token)
    alert_b: object  # another customer's
    signup_link_b: str  # another waiting account's
    data_link_a: str  # the signed part of the link to order A's customer's personal data
    data_link_b: str  # order B's customer's
    data_request: object  # a personal data request head office carried out (no person in it)
    sessions: dict  # actor name -> session cookie

    def credential(self, who: str, mine: str, theirs: str) -> str:
        """What `who` holds of a token-, key- or link-protected address: `holder` shop A's
        (or customer A's), `other_holder` shop B's, everyone else a forged one."""
        return {"holder": mine, "other_holder": theirs}.get(who, FORGED)

    def client(self, who: str) -> Client:
        """A test client logged in as `who` (its session was opened once, for the module)."""
        client = Client()
        if who in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[who]
        return client

    @property
    def secrets_a(self) -> list[str]:
        """What no page refused to someone may show: shop A's name and identity, its
        people, its customers, its orders, keys and files."""
        return [
            self.shop_a.trade_name,
            self.shop_a.siret,
            self.shop_a.contact_email,
            self.users["owner"].email,
            self.users["colleague"].email,
            self.order_a.reference,
            self.order_a.customer_email,
            self.order_a.customer_name,
            self.order_a.token,
            self.ready_a.reference,
            self.ready_a.customer_email,
            self.ready_a.pickup_code,
            self.listing_a.book.title,
            self.held_listing_a.book.title,
            self.api_token_a.name,
            self.api_token_a.prefix,
            self.key_a,
            self.stock_import_a.original_name,
        ]

    @property
    def private_secrets(self) -> list[str]:
        """What no public page may show to anyone: applicants, customers, orders, keys
        (shop A's name and its books are public: the shop's page, the catalogue)."""
        return [
            self.pending_shop.trade_name,
            self.pending_shop.contact_email,
            self.rejected_shop.trade_name,
            self.shop_a.contact_email,
            self.shop_a.siret,
            self.users["owner"].email,
            self.order_a.reference,
            self.order_a.customer_email,
            self.order_a.token,
            self.ready_a.pickup_code,
            self.ready_a.customer_email,
            self.key_a,
            self.api_token_a.prefix,
        ]

    def writes(self) -> int:
        """Rows inserted, updated or deleted so far in this transaction, in any table but
        the visitor's own session (where the admin's "not found" message waits to be shown:
        messages live in the session, not in a cookie of their own): a refused request
        writes nothing at all."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
                "WHERE relname <> 'django_session'"
            )
            return cursor.fetchone()[0]

    def snapshot(self) -> tuple:
        """Shop A's rows as stored (a digest per table, in one query): a request that may
        write its own rows (shop B's key, the outsider's counter) must leave these exactly
        as they were."""
        shop_ids = [self.shop_a.pk, self.pending_shop.pk, self.rejected_shop.pk]
        user_ids = [user.pk for user in self.users.values()]
        User = type(self.users["owner"])
        tables = [
            Shop.objects.filter(pk__in=shop_ids),
            Shop.drives.through.objects.filter(shop_id__in=shop_ids),
            ShopStatusChange.objects.filter(shop_id__in=shop_ids),
            Membership.objects.filter(shop=self.shop_a),
            ShopApiToken.objects.filter(shop=self.shop_a),
            Drive.objects.filter(pk=self.drive_a.pk),
            DriveAssignment.objects.filter(drive=self.drive_a),
            Listing.objects.filter(shop=self.shop_a),
            ListingStatusChange.objects.filter(listing__shop=self.shop_a),
            StockImport.objects.filter(shop=self.shop_a),
            BookClaim.objects.filter(shop=self.shop_a),
            StockSyncSession.objects.filter(shop=self.shop_a),
            StockSyncPage.objects.filter(session__shop=self.shop_a),
            Order.objects.filter(shop=self.shop_a),
            OrderLine.objects.filter(order__shop=self.shop_a),
            OrderEvent.objects.filter(order__shop=self.shop_a),
            User.objects.filter(pk__in=user_ids).values("pk", "email", "password", "is_active", "is_staff",
                                                        "is_superuser"),
        ]  # fmt: skip
        digests, params = [], []
        for rows in tables:
            sql, row_params = (rows if hasattr(rows, "_fields") else rows.values()).query.sql_with_params()
            digests.append(
                f"(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM ({sql}) r)"
            )
            params.extend(row_params)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(digests)}", params)
            return cursor.fetchone()


def build_world(sessions_for: list[str]) -> World:
    drive_a = DriveFactory(name="Drive Alpha", slug="drive-alpha")
    drive_b = DriveFactory(name="Drive Bravo", slug="drive-bravo", postcode="56000", town="Vannes")
    # As tests/conftest.py's shop_a, owner_a, colleague_a and outsider, once per module.
    shop_a = ShopFactory(
        trade_name="Librairie Alpha", siret="73282932000074", contact_email="alpha.contact@example.org"
    )
    shop_b = ShopFactory(trade_name="Librairie Bravo")
    shop_a.drives.add(drive_a)
    shop_b.drives.add(drive_b)
    owner_a = MembershipFactory(
        shop=shop_a, role=Membership.Role.OWNER, user__email="owner.alpha@example.org"
    ).user
    colleague_a = MembershipFactory(
        shop=shop_a, role=Membership.Role.STAFF, user__email="colleague.alpha@example.org"
    ).user
    outsider = MembershipFactory(shop=shop_b, role=Membership.Role.OWNER).user
    head_office = ChainStaffFactory()
    users = {
        "owner": owner_a,
        "colleague": colleague_a,
        "outsider": outsider,
        "drive_staff": DriveStaffFactory(drives=[drive_a], email="staff.alpha@example.org"),
        "other_drive_staff": DriveStaffFactory(drives=[drive_b]),
        "head_office": head_office,
        "customer": UserFactory(email="claire.alpha@example.fr"),
        "other_customer": UserFactory(),
    }

    pending_shop = ShopFactory(
        trade_name="Librairie Aurore", status=Shop.Status.PENDING, contact_email="aurore@example.org"
    )
    rejected_shop = ShopFactory(trade_name="Librairie Refusee", status=Shop.Status.PENDING)
    rejected_shop_b = ShopFactory(trade_name="Librairie Recalee", status=Shop.Status.PENDING)
    pending_shop.drives.add(drive_a)
    rejected_shop.drives.add(drive_a)
    rejected_shop_b.drives.add(drive_b)
    # An applicant's books are never on sale: this one must not show anywhere public.
    ListingFactory(shop=pending_shop, book=BookFactory(title="Tome Aurore Cache"))
    shop_services.shop_reject(shop=rejected_shop, by=head_office, reason="Dossier incomplet")
    shop_services.shop_reject(shop=rejected_shop_b, by=head_office, reason="Dossier incomplet")

    listing_a = ListingFactory(shop=shop_a, book=BookFactory(title="Tome Alpha Unique"), quantity=5)
    held_listing_a = ListingFactory(
        shop=shop_a,
        book=BookFactory(title="Tome Alpha Attente", list_price=Decimal("9.90")),
        condition=Listing.Condition.USED_GOOD,
        price=Decimal("12.00"),
        status=Listing.Status.PENDING,
        moderation_flags=[Listing.Flag.USED_ABOVE_NEW_PRICE],
    )
    rejected_listing_a = ListingFactory(
        shop=shop_a, book=BookFactory(title="Tome Alpha Refuse"), status=Listing.Status.PENDING
    )
    moderation_services.listing_reject(listing=rejected_listing_a, by=head_office, reason="Mauvais titre")
    listing_b = ListingFactory(shop=shop_b, book=BookFactory(title="Tome Bravo"))

    order_a = reserve(
        listing_a, name="Claire Alphonse", email="claire.alpha@example.fr", user=users["customer"]
    ).orders.get()
    ready_a = reserve(listing_a, name="Gaston Alphand", email="gaston.alpha@example.fr").orders.get()
    accepted_a = order_accept(
        order=reserve(listing_a, name="Agathe Alphonsine", email="agathe.alpha@example.fr").orders.get(),
        by=owner_a,
    )
    order_accept(order=ready_a, by=owner_a)
    ready_a = order_mark_ready(order=ready_a, by=owner_a)
    ready_a.refresh_from_db()
    order_b = reserve(
        listing_b, name="Bernard Bravo", email="bernard.bravo@example.fr", user=users["other_customer"]
    ).orders.get()

    api_token_a, key_a = shop_services.api_token_create(shop=shop_a, name="Caisse Alpha", by=owner_a)
    _token_b, key_b = shop_services.api_token_create(shop=shop_b, name="Caisse Bravo", by=outsider)
    stock_import_a = StockImport.objects.create(
        shop=shop_a,
        file="imports/stock-alpha.csv",
        original_name="stock-alpha-secret.csv",
        format=StockImport.Format.CSV,
        status=StockImport.Status.PREVIEWED,
        counts={"create": 1, "update": 0, "unchanged": 0, "refuse": 0, "zeroed": 0},
        created_by=owner_a,
    )
    sync_session_a = stock_sync.sync_session_begin(shop=shop_a, full_sync=False)
    stock_sync.sync_session_put_page(
        session=sync_session_a, number=1, items=[{"ean": listing_a.book.ean, "quantity": 5}]
    )
    claim_a = BookClaim.objects.create(
        book=listing_a.book, shop=shop_a, field=BookClaim.Field.LIST_PRICE, value="19.00"
    )
    feed = CatalogueFeed.objects.create(
        file="catalogue_feeds/flux.xml",
        original_name="flux-editeur-isolation.xml",
        format=StockImport.Format.ONIX,
        status=CatalogueFeed.Status.LOADED,
        counts={"products": 1, "books": 1, "created": 0, "updated": 1, "kept": 0, "prices": 1,
                "prices_changed": 0, "refused": 0, "refusals": []},
    )  # fmt: skip
    interval = IntervalSchedule.objects.create(every=7, period=IntervalSchedule.MINUTES)
    beat = {
        "intervalschedule": interval,
        "crontabschedule": CrontabSchedule.objects.create(minute="7"),
        "solarschedule": SolarSchedule.objects.create(event="sunrise", latitude=47.75, longitude=-3.37),
        "clockedschedule": ClockedSchedule.objects.create(clocked_time=timezone.now()),
        "periodictask": PeriodicTask.objects.create(name="isolation job", task="noop", interval=interval),
    }

    search_index_refresh()
    search_vocabulary_refresh()

    signup_a = _awaiting_confirmation("new.alpha@example.fr")
    sessions = {}
    for who in sessions_for:
        client = Client()
        client.force_login(users[who])
        sessions[who] = client.cookies[settings.SESSION_COOKIE_NAME].value
    for user in (owner_a, outsider):
        user.refresh_from_db()  # a set-password token is tied to the last log-in, just made
    plan = ListingPlan.objects.create(name="Formule Isolation", monthly_fee=Decimal("9.00"))
    # Who is on which plan, and how many, is head office's to know.
    Shop.objects.filter(pk=shop_b.pk).update(plan=plan, plan_starts_on=date(2030, 1, 1))
    return World(
        drive_a=drive_a,
        drive_b=drive_b,
        shop_a=shop_a,
        shop_b=shop_b,
        pending_shop=pending_shop,
        rejected_shop=rejected_shop,
        rejected_shop_b=rejected_shop_b,
        users=users,
        listing_a=listing_a,
        held_listing_a=held_listing_a,
        rejected_listing_a=rejected_listing_a,
        listing_b=listing_b,
        order_a=order_a,
        accepted_a=accepted_a,
        ready_a=ready_a,
        order_b=order_b,
        key_a=key_a,
        key_b=key_b,
        api_token_a=api_token_a,
        stock_import_a=stock_import_a,
        sync_session_a=sync_session_a,
        claim_a=claim_a,
        feed=feed,
        rules=CatalogueRules.current(),
        audit_entry_a=AuditEntry.objects.filter(kind=AuditEntry.Kind.SHOP, object_id=shop_a.pk).first(),
        email_a=OutgoingEmail.objects.filter(to=order_a.customer_email).order_by("pk").first(),
        reason=ModerationReason.objects.create(
            applies_to=ModerationReason.AppliesTo.LISTING, label="Motif isolation", text="Texte du motif."
        ),
        plan=plan,
        locality=Locality.objects.order_by("pk").first(),
        action_link_a=_path(action_link_url(order=order_a, action="accept")),
        action_link_b=_path(action_link_url(order=order_b, action="accept")),
        resubmit_link_a=_path(shop_services.resubmission_link(rejection=_rejection(rejected_shop))),
        resubmit_link_b=_path(shop_services.resubmission_link(rejection=_rejection(rejected_shop_b))),
        reset_a=_reset_link(owner_a),
        reset_b=_reset_link(outsider),
        beat=beat,
        group=roles.group(roles.BOOKSELLERS),
        signup_a=signup_a,
        alert_a=StockAlert.objects.create(
            book=listing_b.book,
            drive=drive_a,
            email="claire.alpha@example.fr",
            language="fr",
            expires_at=timezone.now() + timedelta(days=180),
        ),
        alert_b=StockAlert.objects.create(
            book=listing_a.book,
            drive=drive_b,
            email="bernard.bravo@example.fr",
            language="fr",
            expires_at=timezone.now() + timedelta(days=180),
        ),
        signup_link_a=_signed_part(accounts.signup_link(user=signup_a)),
        signup_link_b=_signed_part(accounts.signup_link(user=_awaiting_confirmation("new.bravo@example.fr"))),
        data_link_a=privacy_rights._sign(order_a),
        data_link_b=privacy_rights._sign(order_b),
        data_request=DataRequest.objects.create(
            kind="export", channel="head_office", handled_by=users["head_office"]
        ),
        login_attempt=AccessAttempt.objects.create(
            username=owner_a.email,
            ip_address="203.0.113.7",
            user_agent="isolation",
            http_accept="*/*",
            path_info="/admin/login/",
            get_data="",
            post_data="",
            failures_since_start=2,
        ),
        sessions=sessions,
    )


def _awaiting_confirmation(email: str):
    return UserFactory(email=email, is_active=False, awaiting_confirmation_since=timezone.now())


def _signed_part(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def _rejection(shop: Shop) -> ShopStatusChange:
    return shop.status_changes.filter(to_status=Shop.Status.REJECTED).latest("created_at")


def _path(url: str) -> str:
    return url.removeprefix(settings.SITE_URL)


def _reset_link(user) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
