"""Who may reach what: one entry for every URL pattern the project serves.

tests/test_isolation.py walks django.urls.get_resolver() and fails for a pattern without
an entry here, naming it. Patterns are keyed by their URL name ("order",
"admin:orders_order_move", "shops:resubmit"), or by their route when unnamed (the admin's
`admin/<app>/<model>/<path:object_id>/` redirects). The French (root) and English (/en/)
addresses are the same patterns: one entry each. The objects named below (w.order_a,
w.listing_a…) are built once in tests/isolation_world.py; its docstring draws the network.

A new address goes in one of three places:

1. PUBLIC, with why in one line, when it shows or changes nothing private (a public
   page, the visitor's own cart or account). A public page that takes a public object (a
   drive, an approved shop, a published offer) goes in CASES instead, as a `public_page`:
   the test then checks that it never shows anything private (World.private_secrets).

2. CASES, when it takes an object of a shop or of a customer: a Case for an object of
   shop A, say who sees it, everybody else must be refused:

       Case("orders_thing", "order A", at("orders_thing", lambda w: w.order_a.pk),
            sees=allow(200, *SHOP_A, *MODERATORS_A)),

   Each actor of `actors` (STAFF by default) is tried. Those in `sees` get that status
   (and one of `shows`, when 200). Those in `blind` get that status but nothing of
   `secrets` (shop A's by default): a list, their own counter. Every other actor is
   refused (302 to a log-in page, 403 or 404; `refused=` for others) with nothing of
   `secrets` in the page or the redirect, and writes nothing at all, POSTs included
   (`posts`: an empty form by default). What the request itself holds may come back (a
   search term, a code typed at the counter). A token, key or signed link comes from
   `w.credential(who, mine, theirs)`: `holder` has shop A's (customer A's), `other_holder`
   shop B's, every other actor a forged one (`actors=KEYED`, and `token_at` for addresses
   ending with the token).

3. ADMIN_MODELS, when a ModelAdmin is registered: an AdminSpec (an object, who finds it
   in the list and opens it, who may add and delete it, a search term) generates the
   cases of its changelist, add, change, history, delete and redirect addresses and of
   the admin's autocomplete on it. Create its object in build_world
   (tests/isolation_world.py). Extra views of a ModelAdmin (its get_urls) are CASES.

An entry that fails is a leak to close, never a row to mark as expected to fail.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

# --- The actors -------------------------------------------------------------------------

ACTORS = {
    "owner": "owner of shop A",
    "colleague": "member of shop A's staff (role staff)",
    "outsider": "owner of shop B: a bookseller of another shop",
    "drive_staff": "staff of shop A's drive",
    "other_drive_staff": "staff of another drive",
    "head_office": "head office (group Chain staff)",
    "anonymous": "a visitor who is not logged in",
    "customer": "the customer account that placed order A",
    "other_customer": "another customer account",
    "holder": "anonymous, holding shop A's (or customer A's) token, API key or signed link",
    "other_holder": "anonymous, holding shop B's (or customer B's)",
}
LOGGED_IN = ("owner", "colleague", "outsider", "drive_staff", "other_drive_staff", "head_office",
             "customer", "other_customer")  # fmt: skip
STAFF = ("owner", "colleague", "outsider", "drive_staff", "other_drive_staff", "head_office", "anonymous")
KEYED = (*STAFF, "holder", "other_holder")
CUSTOMERS = ("customer", "other_customer", "outsider", "head_office", "anonymous")
SHOP_A = ("owner", "colleague")
MODERATORS_A = ("drive_staff", "head_office")
BACK_OFFICE = ("owner", "colleague", "outsider", "drive_staff", "other_drive_staff", "head_office")
NOTHING = lambda w: []  # noqa: E731  (`shows=NOTHING`: nothing to look for on the page)


def allow(status, *actors) -> dict:
    """{actor: status} for each of `actors` (a tuple of statuses accepts any of them)."""
    return dict.fromkeys(actors, status)


def rev(name: str, *args, query: str = "") -> str:
    return reverse(name, args=args) + (f"?{query}" if query else "")


def at(name: str, *args, query: str = "") -> Callable:
    """An address for Case.url: `args` are values, or functions of the world."""
    return lambda w, who: rev(name, *(arg(w) if callable(arg) else arg for arg in args), query=query)


def token_at(name: str, mine: Callable, theirs: Callable, *before) -> Callable:
    """An address ending with a token: shop A's (customer A's) for `holder`, shop B's for
    `other_holder`, a forged one for everyone else."""
    return lambda w, who: rev(name, *(arg(w) for arg in before), w.credential(who, mine(w), theirs(w)))


def api_key(w, who) -> dict:
    if who not in ("holder", "other_holder"):
        return {}
    return {"HTTP_AUTHORIZATION": f"Bearer {w.credential(who, w.key_a, w.key_b)}"}


def _shop_a_secrets(w) -> list[str]:
    return w.secrets_a


def _customer_a_secrets(w) -> list[str]:
    """What only customer A may read of their own data (their alert may be on shop A's book)."""
    return [w.order_a.reference, w.order_a.token, w.order_a.customer_email, w.order_a.customer_name,
            w.users["customer"].email]  # fmt: skip


@dataclass(frozen=True)
class Case:
    key: str  # the pattern's name, or its route when unnamed
    label: str  # which object, or which variant of the address
    url: Callable  # (world, actor) -> address
    sees: Mapping = field(default_factory=dict)  # actor -> status: they may see shop A's object
    blind: Mapping = field(default_factory=dict)  # actor -> status: an answer with nothing of shop A's
    actors: tuple = STAFF
    # `sees` only GET (when there is a GET); the others try each. The API's PUT and DELETE too.
    methods: tuple = ("GET", "POST")
    posts: Callable = lambda w: [{}]  # world -> bodies POSTed (or PUT), one request each (refused: the first)
    json: bool = False  # POST bodies as JSON
    headers: Callable = lambda w, who: {}
    secrets: Callable = _shop_a_secrets  # world -> what refused and blind actors must not get
    shows: Callable | None = None  # world -> what `sees` find on a 200 (default: `secrets`)
    hides: Callable | None = None  # world -> what even `sees` must not get (public pages: anything private)
    refused: tuple = (302, 403, 404)
    follow: bool = False  # follow redirects and judge the page they end on
    state: Callable | None = None  # world -> more rows the blind must leave as they were

    @property
    def id(self) -> str:
        return f"{self.key}[{self.label}]"


def public_page(key, label, url, *, status=200, shows=NOTHING, hides=None, **options) -> Case:
    """A public address about a public object: anyone gets it, nobody anything private."""
    actors = options.pop("actors", ("anonymous", "outsider"))
    return Case(key, label, url, sees=allow(status, *actors), actors=actors, methods=options.pop("methods", ("GET",)),
                shows=shows, hides=hides or (lambda w: w.private_secrets), **options)  # fmt: skip


# --- 1. Public: nothing private, or only the visitor's own -------------------------------

PUBLIC = {
    "healthz": "probe: which parts answer (database, cache, broker, worker); no address, no secret",
    "ping": "probe: answers pong",
    "set_language": "switches the visitor's own language",
    "api-schema": "the API's description",
    "api-docs": "the API's documentation page",
    "api-reservations": "reserves offers on sale; answers with the new orders' own tokens only",
    "home": "the home page",
    "shops:apply": "the public application form",
    "shops:apply_drives": "drives near a postcode, for the application form",
    "shops:apply_done": "thanks for the application kept in the applicant's own session",
    "drives": "the drives, public",
    "cart": "the visitor's own cart (session)",
    "cart_update": "changes a line of the visitor's own cart (session); the offer is only read",
    "cart_remove": "removes a line of the visitor's own cart (session)",
    "checkout": "checks the visitor's own cart out (session)",
    "terms": "the terms of reservation",
    "privacy": "the privacy notice: what is kept, why, how long",
    "customer_login": "log-in form",
    "customer_logout": "logs the visitor out",
    "customer_signup": "creates an account for the visitor; the same page whether the address has one",
    "customer_signup_sent": "'check your email', with the address the visitor typed (their own session)",
    "admin_password_reset": "asks for a set-password email; the same answer whether the address has an account "
                            "(test_the_set_password_form_answers_the_same_whether_the_address_exists)",
    "password_reset_done": "'check your email', no account named",
    "password_reset_complete": "'password set', no account named",
    "admin:login": "log-in form",
    "admin:logout": "logs the person out",
    "admin:password_change": "changes the logged-in person's own password",
    "admin:password_change_done": "confirms the person's own password change",
    "admin:jsi18n": "the admin's JavaScript translations",
    "admin/(?P<url>.*)$": "unknown admin addresses: not found (Django's catch-all)",
    "^media/(?P<path>.*)$": "public uploads only (logos, covers; random names): stock files are in the private "
                            "storage, outside MEDIA_ROOT. Served by Django only with DJANGO_SERVE_MEDIA on",
    "dev_mailbox": "the demo's mailbox, every email to anyone: DEBUG only "
                   "(test_the_demo_mailbox_is_not_served_in_production)",
    "dev_mailbox_message": "one email of the demo's mailbox: DEBUG only (same test)",
}  # fmt: skip
# Only served with some settings: their entries are not stale when they are absent.
OPTIONAL = {"^media/(?P<path>.*)$", "dev_mailbox", "dev_mailbox_message"}


# --- 2. Addresses that take an object -----------------------------------------------------

PENDING = "Librairie Aurore"  # the pending application's name


def _applicants_listing(w):
    return w.pending_shop.listings.get()


def _line_a(w):
    return w.order_a.lines.first().pk


def _order_for(w, move: str):
    """Shop A's order a move applies to: placed, accepted or ready."""
    return {"ready": w.accepted_a, "collect": w.ready_a}.get(move, w.order_a)


def _content_type(obj) -> int:
    return ContentType.objects.get_for_model(type(obj)).pk


def _not_on_sale(w) -> list[str]:
    """Public secrets, and the books of offers not on sale (an applicant's, held, rejected)."""
    return [
        *w.private_secrets,
        "Tome Aurore Cache",
        w.held_listing_a.book.title,
        w.rejected_listing_a.book.title,
    ]


def _signed_path(w, who, *, mine, theirs, forged):
    """A signed link's path: shop A's for `holder`, shop B's for `other_holder`."""
    return w.credential(who, mine(w), theirs(w)) if who in ("holder", "other_holder") else forged(w)


DECISION = lambda w: [{"reason": "forged", "open_orders": "cancel", "next": "/"}]  # noqa: E731
REASON = lambda w: [{"reason": "forged"}]  # noqa: E731
CSV = (("", ""), (", CSV shops", "format=csv&table=shops"), (", CSV weeks", "format=csv&table=weeks"))

# A hand-laid table: one entry, a few lines.
# fmt: off
CASES = [
    # -- Public pages about public objects: nothing private on them ---------------------------
    public_page("drive", "drive A", at("drive", "drive-alpha"), shows=lambda w: [w.shop_a.trade_name]),
    public_page("drive_choose", "drive A", at("drive_choose", "drive-alpha"), status=302, methods=("POST",)),
    public_page("api-drives", "all", at("api-drives")),
    public_page("api-drive", "drive A", at("api-drive", "drive-alpha"), shows=lambda w: [w.shop_a.trade_name]),
    public_page("api-shops", "all", at("api-shops"), shows=lambda w: [w.shop_a.trade_name]),
    public_page("shop", "approved shop A", at("shop", lambda w: w.shop_a.slug), shows=lambda w: [w.shop_a.trade_name]),
    public_page("shop", "pending application", at("shop", lambda w: w.pending_shop.slug), status=404),
    public_page("api-shop", "approved shop A", at("api-shop", lambda w: w.shop_a.slug),
                shows=lambda w: [w.shop_a.trade_name]),
    public_page("api-shop", "pending application", at("api-shop", lambda w: w.pending_shop.slug), status=404),
    # Search results hold offers on sale only, even filtered on an applicant's shop.
    public_page("search", "books near drive A", at("search", query="drive=drive-alpha&q=Tome"),
                shows=lambda w: [w.listing_a.book.title], hides=_not_on_sale),
    public_page("api-search", "books near drive A", at("api-search", query="drive=drive-alpha&q=Tome"),
                shows=lambda w: [w.listing_a.book.title], hides=_not_on_sale),
    public_page("search", "filtered on an applicant", lambda w, who: rev(
                "search", query=f"drive=drive-alpha&q=Tome&shop={w.pending_shop.pk}"), hides=_not_on_sale),
    public_page("api-search", "filtered on an applicant", lambda w, who: rev(
                "api-search", query=f"drive=drive-alpha&q=Tome&shop={w.pending_shop.pk}"), hides=_not_on_sale,
                status=(200, 400)),
    public_page("book", "offered by shop A", at("book", lambda w: w.listing_a.book.ean, query="drive=drive-alpha"),
                shows=lambda w: [w.shop_a.trade_name]),
    public_page("book", "listed by an applicant", at("book", lambda w: _applicants_listing(w).book.ean,
                                                     query="drive=drive-alpha")),
    public_page("api-book-availability", "offered by shop A", at("api-book-availability",
                lambda w: w.listing_a.book.ean, query="drive=drive-alpha"), shows=lambda w: [w.shop_a.trade_name]),
    public_page("api-book-availability", "listed by an applicant", at("api-book-availability",
                lambda w: _applicants_listing(w).book.ean, query="drive=drive-alpha")),
    public_page("listing_report", "published listing of shop A", at("listing_report", lambda w: w.listing_a.pk),
                shows=lambda w: [w.listing_a.book.title]),
    public_page("listing_report", "held listing of shop A", at("listing_report", lambda w: w.held_listing_a.pk),
                status=404),
    public_page("listing_report", "listing of an applicant", at("listing_report", lambda w: _applicants_listing(w).pk),
                status=404),
    # Thanks for a report: the book's title (the public catalogue's), never the shop.
    public_page("listing_report_done", "listing of an applicant", at("listing_report_done",
                lambda w: _applicants_listing(w).pk)),
    # "Tell me when it is here": the form is public (the book is); leaving an alert answers the
    # same page whatever the address (nothing about anyone's alerts).
    public_page("alert_new", "a book", at("alert_new", lambda w: w.listing_b.book.ean, query="drive=drive-alpha"),
                shows=lambda w: [w.listing_b.book.title]),
    # "Order it for me" from shop A: the book and the shop are public; shop A takes no such orders
    # in this world, so the page says so and nobody can place one.
    public_page("distributor_order", "a book, from shop A", at("distributor_order", lambda w: w.listing_a.book.ean,
                lambda w: w.shop_a.slug), shows=lambda w: [w.shop_a.trade_name]),
    public_page("cart_add", "published listing of shop A", at("cart_add", lambda w: w.listing_a.pk),
                shows=lambda w: [w.shop_a.trade_name]),
    public_page("cart_add", "held listing of shop A", at("cart_add", lambda w: w.held_listing_a.pk), status=404),
    public_page("cart_add", "listing of an applicant", at("cart_add", lambda w: _applicants_listing(w).pk),
                status=404),

    # -- The customer's own pages ----------------------------------------------------------------
    Case("my_orders", "customer A's orders", at("my_orders"), actors=CUSTOMERS, methods=("GET",),
         sees=allow(200, "customer"), blind=allow(200, "other_customer", "outsider", "head_office"),
         shows=lambda w: [w.order_a.reference]),

    # Their personal data: their own account's only (staff accounts are sent to head office).
    Case("my_data", "customer A's data", at("my_data"), actors=CUSTOMERS, methods=("GET",),
         sees=allow(200, "customer"), blind=allow(200, "other_customer", "outsider", "head_office"),
         shows=lambda w: [w.users["customer"].email]),
    Case("my_data_download", "customer A's data", at("my_data_download"), actors=CUSTOMERS, methods=("GET",),
         sees=allow(200, "customer"), blind=allow(200, "other_customer"), shows=lambda w: [w.order_a.reference],
         secrets=_customer_a_secrets),
    Case("my_data_erase", "customer A's data", at("my_data_erase"), actors=CUSTOMERS, methods=("POST",),
         sees=allow(400, "customer"), blind=allow(400, "other_customer"), shows=NOTHING),

    # -- Behind the customer's token (the links of their emails) -------------------------------------
    Case("order", "order A", token_at("order", lambda w: w.order_a.token, lambda w: w.order_b.token),
         actors=KEYED, sees=allow(200, "holder"), blind=allow(200, "other_holder"), refused=(404,),
         shows=lambda w: [w.order_a.reference]),
    Case("order_cancel", "order A", token_at("order_cancel", lambda w: w.order_a.token, lambda w: w.order_b.token),
         actors=KEYED, sees=allow(200, "holder"), blind=allow(200, "other_holder"), refused=(404,),
         shows=lambda w: [w.order_a.reference]),
    # Reserving elsewhere what order A's shop did not serve: order A is open, so any listing is
    # "not an alternative" and its holder is sent back to the order's page; a forged token is a 404.
    Case("order_elsewhere", "order A", lambda w, who: rev("order_elsewhere", w.credential(
         who, w.order_a.token, w.order_b.token), w.listing_a.pk), actors=KEYED, sees=allow(302, "holder"),
         blind=allow(302, "other_holder"), refused=(404,), shows=NOTHING),
    # A customer's alert, behind the token of its emails' links.
    Case("alert_confirm", "customer A's alert", token_at("alert_confirm", lambda w: w.alert_a.token,
         lambda w: w.alert_b.token), actors=KEYED, sees=allow(200, "holder"), blind=allow(200, "other_holder"),
         refused=(404,), shows=lambda w: [w.alert_a.book.title], secrets=lambda w: [w.alert_a.drive.name]),
    Case("alert_unsubscribe", "customer A's alert", token_at("alert_unsubscribe", lambda w: w.alert_a.token,
         lambda w: w.alert_b.token), actors=KEYED, sees=allow(200, "holder"), blind=allow(200, "other_holder"),
         refused=(404,), shows=lambda w: [w.alert_a.book.title], secrets=lambda w: [w.alert_a.drive.name]),
    Case("checkout_done", "checkout of order A", token_at("checkout_done", lambda w: w.order_a.checkout.token,
         lambda w: w.order_b.checkout.token), actors=KEYED, sees=allow(200, "holder"), blind=allow(200, "other_holder"),
         refused=(404,), shows=lambda w: [w.order_a.reference]),
    Case("api-order", "order A", token_at("api-order", lambda w: w.order_a.token, lambda w: w.order_b.token),
         actors=KEYED, sees=allow(200, "holder"), blind=allow(200, "other_holder"), refused=(404,),
         shows=lambda w: [w.order_a.reference]),
    Case("api-order-cancel", "order A", token_at("api-order-cancel", lambda w: w.order_a.token,
         lambda w: w.order_b.token), actors=KEYED, methods=("POST",), json=True, sees=allow(200, "holder"),
         blind=allow(200, "other_holder"), refused=(404,), shows=lambda w: [w.order_a.reference]),
    # The QR code of a ready order's pickup code: an image, nothing to read in it.
    Case("pickup_qr_png", "ready order A", token_at("pickup_qr_png", lambda w: w.ready_a.token,
         lambda w: w.order_b.token), actors=KEYED, sees=allow(200, "holder"), refused=(404,), shows=NOTHING),

    # -- Signed links in emails ------------------------------------------------------------------
    # The link to a guest's personal data, emailed to the address of one of their orders:
    # asked from the order's page (its token), opened from the email (signed).
    Case("order_data", "order A", token_at("order_data", lambda w: w.order_a.token, lambda w: w.order_b.token),
         actors=KEYED, sees=allow(200, "holder"), blind=allow(200, "other_holder"), refused=(404,),
         shows=lambda w: [w.order_a.reference]),
    *[
        Case(name, "order A's customer", token_at(name, lambda w: w.data_link_a, lambda w: w.data_link_b),
             actors=KEYED, methods=methods, sees=allow(status, "holder"), blind=allow(status, "other_holder"),
             refused=(410,), shows=lambda w: [w.order_a.customer_email], secrets=_customer_a_secrets)
        for name, methods, status in (("data_link", ("GET",), 200), ("data_link_download", ("GET",), 200),
                                      ("data_link_erase", ("POST",), 400))
    ],
    # Shop B's "accept" link with order A's number in the address: "written for another order".
    Case("action_link", "accept order A", lambda w, who: _signed_path(
         w, who, mine=lambda w: w.action_link_a,
         theirs=lambda w: w.action_link_b.replace(f"/{w.order_b.pk}/", f"/{w.order_a.pk}/"),
         forged=lambda w: rev("action_link", w.order_a.pk, "accept", "forged")),
         actors=KEYED, sees=allow(200, "holder"), refused=(400, 403), shows=lambda w: [w.order_a.reference]),
    # A rejected applicant's link to correct the application; another applicant's opens theirs.
    Case("shops:resubmit", "rejected application of drive A", lambda w, who: _signed_path(
         w, who, mine=lambda w: w.resubmit_link_a, theirs=lambda w: w.resubmit_link_b,
         forged=lambda w: rev("shops:resubmit", "forged")),
         actors=KEYED, sees=allow(200, "holder"), blind=allow(200, "other_holder"), refused=(400,),
         secrets=lambda w: [w.rejected_shop.trade_name, w.rejected_shop.siret, w.rejected_shop.contact_email],
         posts=lambda w: [{"trade_name": "Forged", "legal_name": "Forged", "postcode": "56100"}]),
    # A new customer's confirmation link; another's opens (and confirms) that other account.
    Case("customer_signup_confirm", "account waiting for confirmation", token_at("customer_signup_confirm",
         lambda w: w.signup_link_a, lambda w: w.signup_link_b), actors=KEYED, sees=allow(200, "holder"),
         blind=allow(200, "other_holder"), refused=(410,), shows=lambda w: [w.signup_a.email],
         secrets=lambda w: [w.signup_a.email],
         state=lambda w: list(type(w.signup_a).objects.filter(pk=w.signup_a.pk).values())),
    # owner_a's set-password link; another account's token with owner_a's id is "invalid".
    Case("password_reset_confirm", "owner A's account", token_at("password_reset_confirm",
         lambda w: w.reset_a[1], lambda w: w.reset_b[1], lambda w: w.reset_a[0]), actors=KEYED,
         sees=allow(302, "holder"), refused=(200,), shows=NOTHING, secrets=lambda w: [w.users["owner"].email],
         posts=lambda w: [{"new_password1": "forged-Passw0rd!", "new_password2": "forged-Passw0rd!"}]),

    # -- Till software, with the shop's API key --------------------------------------------------
    Case("api-stock-listings", "shop A's listings", at("api-stock-listings"), headers=api_key, actors=KEYED,
         methods=("GET",), sees=allow(200, "holder"), blind=allow(200, "other_holder"), refused=(401,),
         shows=lambda w: [w.listing_a.book.ean]),
    # Shop B's key sending shop A's book lists it in shop B, never touches shop A's stock.
    Case("api-stock-bulk", "shop A's book", at("api-stock-bulk"), headers=api_key, actors=KEYED, methods=("POST",),
         json=True, sees=allow(200, "holder"), blind=allow(200, "other_holder"), refused=(401,), shows=NOTHING,
         posts=lambda w: [{"items": [{"ean": w.listing_a.book.ean, "quantity": 99, "price": "20.00"}],
                           "full_sync": True, "confirm_zeroing": True}]),
    # A stock sent in pages: shop A's sync session, by its id. Shop B's key finds none (404)
    # and may begin its own.
    Case("api-stock-sync-sessions", "a new session", at("api-stock-sync-sessions"), headers=api_key, actors=KEYED,
         methods=("POST",), json=True, sees=allow(201, "holder"), blind=allow(201, "other_holder"), refused=(401,),
         shows=NOTHING, posts=lambda w: [{"full_sync": True}]),
    Case("api-stock-sync-session", "shop A's session", at("api-stock-sync-session", lambda w: w.sync_session_a.pk),
         headers=api_key, actors=KEYED, methods=("GET", "DELETE"), sees=allow(200, "holder"), refused=(401, 404),
         shows=lambda w: [str(w.sync_session_a.pk)]),
    Case("api-stock-sync-session-page", "page 2 of shop A's session", at("api-stock-sync-session-page",
         lambda w: w.sync_session_a.pk, 2), headers=api_key, actors=KEYED, methods=("PUT",), json=True,
         sees=allow(200, "holder"), refused=(401, 404), shows=lambda w: [str(w.sync_session_a.pk)],
         posts=lambda w: [{"items": [{"ean": w.listing_b.book.ean, "quantity": 0}]}]),
    Case("api-stock-sync-session-commit", "shop A's session", at("api-stock-sync-session-commit",
         lambda w: w.sync_session_a.pk), headers=api_key, actors=KEYED, methods=("POST",), json=True,
         sees=allow(200, "holder"), refused=(401, 404), shows=lambda w: [str(w.sync_session_a.pk)],
         posts=lambda w: [{"confirm_zeroing": True}]),
    Case("api-shop-orders", "shop A's orders", at("api-shop-orders"), headers=api_key, actors=KEYED,
         methods=("GET",), sees=allow(200, "holder"), blind=allow(200, "other_holder"), refused=(401,),
         shows=lambda w: [w.order_a.reference]),
    Case("api-shop-order", "order A", at("api-shop-order", lambda w: w.order_a.reference), headers=api_key,
         actors=KEYED, methods=("GET",), sees=allow(200, "holder"), refused=(401, 404),
         shows=lambda w: [w.order_a.reference]),
    *[
        Case(f"api-shop-order-{move}", "order A", at(f"api-shop-order-{move}",
             lambda w, move=move: _order_for(w, move).reference), headers=api_key, actors=KEYED,
             methods=("POST",), json=True, sees=allow(200, "holder"), refused=(401, 404), shows=NOTHING, posts=REASON)
        for move in ("accept", "refuse", "ready", "collect")
    ],
    Case("api-shop-order-line-unavailable", "a line of order A", at("api-shop-order-line-unavailable",
         lambda w: w.order_a.reference, _line_a), headers=api_key, actors=KEYED, methods=("POST",), json=True,
         sees=allow(200, "holder"), refused=(401, 404), shows=NOTHING, posts=REASON),

    # -- The counter: the shop's members only ----------------------------------------------------
    Case("counter", "shop A's counter", lambda w, who: rev("counter", query=f"shop={w.shop_a.pk}"), methods=("GET",),
         sees=allow(200, *SHOP_A), shows=lambda w: [w.shop_a.trade_name]),
    # Looking a code up is a POST (each one counts against the guessing limits).
    Case("counter", "order A's code at shop A's counter", at("counter"), methods=("POST",),
         sees=allow(200, *SHOP_A), shows=lambda w: [w.ready_a.reference],
         posts=lambda w: [{"shop": w.shop_a.pk, "code": w.ready_a.pickup_code}]),
    # At their own counter, shop A's code is like any code that does not exist.
    Case("counter", "order A's code at their own counter", at("counter"), methods=("POST",),
         sees=allow(200, *SHOP_A), blind=allow(200, "outsider"), shows=lambda w: [w.ready_a.reference],
         posts=lambda w: [{"code": w.ready_a.pickup_code}]),
    Case("counter_hand_over", "order A at shop A's counter", at("counter_hand_over"), methods=("POST",),
         sees=allow(302, *SHOP_A), shows=NOTHING,
         posts=lambda w: [{"order": w.ready_a.pk, "code": w.ready_a.pickup_code, "shop": w.shop_a.pk}]),
    Case("counter_hand_over", "order A at shop B's counter", at("counter_hand_over"), methods=("POST",),
         blind=allow(302, "outsider"),
         posts=lambda w: [{"order": w.ready_a.pk, "code": w.ready_a.pickup_code, "shop": w.shop_b.pk}]),
    # … and what the counter then says about it (the message after the redirect).
    Case("counter_hand_over", "order A at shop B's counter, the answer", at("counter_hand_over"),
         methods=("POST",), actors=("outsider",), follow=True, blind=allow(200, "outsider"),
         posts=lambda w: [{"order": w.ready_a.pk, "code": w.ready_a.pickup_code, "shop": w.shop_b.pk}]),

    # -- The dashboard and its CSV files: head office all, drive staff their drives, shops their own --
    *[
        Case("dashboard_shop", f"shop A{label}", at("dashboard_shop", lambda w: w.shop_a.pk, query=query),
             methods=("GET",), sees=allow(200, *SHOP_A, *MODERATORS_A),
             shows=NOTHING if "weeks" in query else (lambda w: [w.shop_a.trade_name]))
        for label, query in CSV
    ],
    *[
        Case("dashboard_drive", f"drive A{label}", at("dashboard_drive", "drive-alpha", query=query),
             methods=("GET",), sees=allow(200, *MODERATORS_A),
             shows=NOTHING if "weeks" in query else (lambda w: [w.shop_a.trade_name]))
        for label, query in CSV
    ],
    *[
        Case("dashboard_drive", f"drive B{label}", at("dashboard_drive", "drive-bravo", query=query),
             methods=("GET",), blind=allow(200, "other_drive_staff", "head_office"))
        for label, query in CSV[:2]
    ],
    *[
        Case("dashboard_network", f"network{label}", at("dashboard_network", query=query), methods=("GET",),
             sees=allow(200, "head_office"), shows=(lambda w: [w.shop_a.trade_name]) if "shops" in query else NOTHING)
        for label, query in CSV
    ],
    # Where "Dashboard" leads each person (followed to the page): never to shop A's figures.
    Case("dashboard", "landing", at("dashboard"), methods=("GET",), follow=True, refused=(200,),
         sees=allow(200, *SHOP_A, *MODERATORS_A), blind=allow(200, "outsider", "other_drive_staff"),
         shows=lambda w: [w.shop_a.trade_name, w.drive_a.name]),

    # -- The admin's own pages ---------------------------------------------------------------------
    Case("admin:index", "home", at("admin:index"), methods=("GET",), shows=NOTHING,
         sees=allow(200, *SHOP_A, *MODERATORS_A), blind=allow(200, "outsider", "other_drive_staff")),
    *[
        Case("admin:app_list", app, at("admin:app_list", app), methods=("GET",), shows=NOTHING,
             sees=allow((200, 404), *SHOP_A, *MODERATORS_A), blind=allow((200, 404), "outsider", "other_drive_staff"))
        for app in ("shops", "catalog", "orders", "marketplace")
    ],
    # "View on site": the object through its ModelAdmin (row-level), to its public page only.
    Case("admin:view_on_site", "shop A", at("admin:view_on_site", lambda w: _content_type(w.shop_a),
         lambda w: w.shop_a.pk), methods=("GET",), sees=allow(302, *SHOP_A, *MODERATORS_A), shows=NOTHING),
    *[
        Case("admin:view_on_site", label, at("admin:view_on_site", lambda w, of=of: _content_type(of(w)),
             lambda w, of=of: of(w).pk), methods=("GET",))
        for label, of in (("order A", lambda w: w.order_a), ("checkout of order A", lambda w: w.order_a.checkout),
                          ("listing A", lambda w: w.listing_a))
    ],
    Case("admin:auth_user_password_change", "owner A's account", at("admin:auth_user_password_change",
         lambda w: w.users["owner"].pk), posts=lambda w: [{"password1": "forged-Pa55", "password2": "forged-Pa55"}]),

    # The shop list's bulk approval, aimed at drive A's application by people who may not decide on it.
    Case("admin:shops_shop_changelist", "approving an application of drive A", at("admin:shops_shop_changelist",
         query="q=Aurore"), sees=allow(200, *MODERATORS_A), blind=allow(200, *SHOP_A, "outsider", "other_drive_staff"),
         shows=lambda w: [PENDING], secrets=lambda w: [*w.secrets_a, PENDING, w.pending_shop.contact_email],
         posts=lambda w: [{"action": "approve_selected", "index": "0", "_selected_action": [w.pending_shop.pk]}]),
    # How many shops are on a plan is head office's: nobody else may even filter on it.
    Case("admin:shops_listingplan_changelist", "filtered on its number of shops", at(
         "admin:shops_listingplan_changelist", query="shop_count=1"), methods=("GET",),
         sees=allow(200, "head_office"), shows=lambda w: [w.plan.name], secrets=lambda w: [w.plan.name],
         blind=allow((200, 302), *SHOP_A, "outsider", "drive_staff", "other_drive_staff")),

    # -- Extra views of the ModelAdmins ------------------------------------------------------------
    Case("admin:shops_shop_decide", "suspend shop A", at("admin:shops_shop_decide", lambda w: w.shop_a.pk, "suspend"),
         sees=allow(200, *MODERATORS_A), posts=DECISION),
    *[
        Case("admin:shops_shop_decide", f"{decision} an application of drive A", at("admin:shops_shop_decide",
             lambda w: w.pending_shop.pk, decision), sees=allow(200, *MODERATORS_A), posts=DECISION,
             secrets=lambda w: [*w.secrets_a, PENDING, w.pending_shop.contact_email], shows=lambda w: [PENDING])
        for decision in ("approve", "reject")
    ],
    Case("admin:catalog_listingtomoderate_decide", "reject held listing A", at(
         "admin:catalog_listingtomoderate_decide", lambda w: w.held_listing_a.pk, "reject"),
         sees=allow(200, *MODERATORS_A), posts=REASON, shows=lambda w: [w.held_listing_a.book.title]),
    *[
        Case("admin:catalog_listingtomoderate_decide", f"{decision} held listing A", at(
             "admin:catalog_listingtomoderate_decide", lambda w: w.held_listing_a.pk, decision),
             sees=allow(302, *MODERATORS_A), shows=NOTHING)
        for decision in ("approve", "dismiss")
    ],
    Case("admin:catalog_listing_resubmit", "rejected listing A", at("admin:catalog_listing_resubmit",
         lambda w: w.rejected_listing_a.pk), sees=allow(302, *SHOP_A, *MODERATORS_A), shows=NOTHING),
    *[
        Case(f"admin:catalog_stockimport_{step}", "shop A's import", at(f"admin:catalog_stockimport_{step}",
             lambda w: w.stock_import_a.pk), methods=("POST",), sees=allow(302, *SHOP_A), shows=NOTHING)
        for step in ("apply", "cancel", "retry")
    ],
    *[
        Case("admin:orders_order_move", f"{move} order A", at("admin:orders_order_move",
             lambda w, move=move: _order_for(w, move).pk, move), sees=allow(200, *SHOP_A), posts=REASON,
             shows=lambda w, move=move: [_order_for(w, move).reference])
        for move in ("accept", "refuse", "ready", "collect")
    ],
    Case("admin:orders_order_line_unavailable", "a line of order A", at("admin:orders_order_line_unavailable",
         lambda w: w.order_a.pk, _line_a), sees=allow(200, *SHOP_A), posts=REASON,
         shows=lambda w: [w.order_a.reference]),
]
# fmt: on


# --- 3. ModelAdmins -----------------------------------------------------------------------


@dataclass(frozen=True)
class AdminSpec:
    """One registered model: the cases of its admin addresses are generated with `obj`."""

    obj: Callable  # world -> an object (of shop A, when the model has shops)
    shows: Callable  # world -> texts of `obj` that its list and its page show
    search: Callable | None = None  # world -> a search term finding `obj` (needed with search_fields)
    see: tuple = ()  # who finds it in the list and opens its page and history
    reach: tuple = ()  # who opens the list (view permission) and must not find it there
    add: tuple = ()  # who opens the add form (those not in `see` must find nothing of shop A in it)
    delete: tuple = ()  # who opens its delete confirmation
    change_status: int = 200  # what `see` get on its page (some ModelAdmins redirect)
    history_status: int = 200
    page_shows: bool = True  # its page shows `shows` (else only its list does)
    list_edit: Mapping = field(default_factory=dict)  # a forged list_editable row: {field: value}
    add_query: Callable | None = None  # world -> the add form's query string, aimed at shop A
    add_post: Callable | None = None  # world -> what an add form posts for shop A
    secrets: Callable | None = None  # default: shop A's and `shows`
    actors: tuple = STAFF


def _bookshop_kind():
    from shops.models import ShopKind

    return ShopKind.objects.get(code=ShopKind.BOOKSHOP)


def _product_kind():
    from catalog.models import ProductKind

    return ProductKind.objects.get(code=ProductKind.BOARD_GAME)


def nobody(obj, name: str) -> AdminSpec:
    """A model no group has a permission on (superusers only): one actor of each kind."""
    return AdminSpec(obj=obj, shows=lambda w: [name], search=lambda w: name, secrets=_shop_a_secrets,
                     actors=("owner", "drive_staff", "head_office", "anonymous"))  # fmt: skip


# fmt: off
ADMIN_MODELS = {
    "shops.Shop": AdminSpec(
        obj=lambda w: w.shop_a, shows=lambda w: [w.shop_a.trade_name], search=lambda w: "Alpha",
        see=(*SHOP_A, *MODERATORS_A), reach=("outsider", "other_drive_staff"),
    ),
    # The applications queue: its rows lead to the shop's own page.
    "shops.ShopApplication": AdminSpec(
        obj=lambda w: w.pending_shop, shows=lambda w: [PENDING], search=lambda w: "Aurore",
        see=MODERATORS_A, reach=("other_drive_staff",), change_status=302, history_status=302, page_shows=False,
        secrets=lambda w: [*w.secrets_a, PENDING, w.pending_shop.contact_email],
    ),
    "shops.Membership": AdminSpec(
        obj=lambda w: w.shop_a.memberships.get(role="owner"), shows=lambda w: [w.users["owner"].email],
        search=lambda w: "owner.alpha", see=(*SHOP_A, *MODERATORS_A), reach=("outsider", "other_drive_staff"),
        add=("head_office",), delete=("head_office",),
        add_post=lambda w: {"user": w.users["outsider"].pk, "shop": w.shop_a.pk, "role": "owner"},
    ),
    "shops.Drive": AdminSpec(
        obj=lambda w: w.drive_a, shows=lambda w: [w.drive_a.name], search=lambda w: "Alpha",
        see=MODERATORS_A, reach=("other_drive_staff",), add=("head_office",),
    ),
    "shops.DriveAssignment": AdminSpec(
        obj=lambda w: w.drive_a.staff_assignments.get(), shows=lambda w: [w.users["drive_staff"].email],
        search=lambda w: "staff.alpha", see=("head_office",), add=("head_office",), delete=("head_office",),
        secrets=lambda w: [*w.secrets_a, w.users["drive_staff"].email],
    ),
    # The network's price list, no shop's data (who is on which plan: head office's column only).
    "shops.ListingPlan": AdminSpec(
        obj=lambda w: w.plan, shows=lambda w: [w.plan.name], search=lambda w: "Isolation", see=BACK_OFFICE,
        add=("head_office",), secrets=_shop_a_secrets,
    ),
    "shops.Locality": AdminSpec(
        obj=lambda w: w.locality, shows=lambda w: [w.locality.name], search=lambda w: w.locality.postcode,
        see=("head_office",), secrets=_shop_a_secrets,
    ),
    # The kinds of shop: head office's data; nothing of a shop in them.
    "shops.ShopKind": AdminSpec(
        obj=lambda w: _bookshop_kind(), shows=lambda w: ["Librairie"], see=("head_office",),
        add=("head_office",), secrets=lambda w: [],
    ),
    # The kinds of product: head office's data too.
    "catalog.ProductKind": AdminSpec(
        obj=lambda w: _product_kind(), shows=lambda w: ["Jeu de société"], see=("head_office",),
        add=("head_office",), secrets=lambda w: [],
    ),
    "shops.ShopApiToken": AdminSpec(
        obj=lambda w: w.api_token_a, shows=lambda w: [w.api_token_a.name], see=SHOP_A, reach=("outsider",),
        add=(*SHOP_A, "outsider"), add_post=lambda w: {"shop": w.shop_a.pk, "name": "Forged"},
    ),
    "catalog.Listing": AdminSpec(
        obj=lambda w: w.listing_a, shows=lambda w: [w.listing_a.book.title], search=lambda w: "Alpha Unique",
        see=(*SHOP_A, *MODERATORS_A), reach=("outsider", "other_drive_staff"), add=(*SHOP_A, "outsider"),
        list_edit={"price": "19.50", "quantity": "42"},
        # Listing shop B's book in shop A: the add form's second step, shop A named in the address.
        add_query=lambda w: f"ean={w.listing_b.book.ean}&shop={w.shop_a.pk}",
        add_post=lambda w: {"condition": "new", "price": "20.00", "quantity": "3", "isbn": w.listing_b.book.ean,
                            "shop": w.shop_a.pk},
    ),
    "catalog.ListingToModerate": AdminSpec(
        obj=lambda w: w.held_listing_a, shows=lambda w: [w.held_listing_a.book.title], search=lambda w: "Attente",
        see=MODERATORS_A, reach=("other_drive_staff",), history_status=302,
    ),
    # The shared catalogue: every moderator's, no shop's.
    "catalog.Book": AdminSpec(
        obj=lambda w: w.listing_a.book, shows=lambda w: [w.listing_a.book.title], search=lambda w: "Alpha Unique",
        see=("drive_staff", "other_drive_staff", "head_office"), secrets=lambda w: [w.listing_a.book.title],
    ),
    "catalog.StockImport": AdminSpec(
        obj=lambda w: w.stock_import_a, shows=lambda w: [w.stock_import_a.original_name],
        see=(*SHOP_A, "head_office"), reach=("outsider",), add=(*SHOP_A, "outsider"),
        add_post=lambda w: {"shop": w.shop_a.pk, "file": SimpleUploadedFile(
            "stock.csv", f"ean;quantite;prix\n{w.listing_a.book.ean};0;20.00\n".encode(), "text/csv")},
    ),
    "orders.Order": AdminSpec(
        obj=lambda w: w.order_a, shows=lambda w: [w.order_a.reference], search=lambda w: w.order_a.reference,
        see=(*SHOP_A, *MODERATORS_A), reach=("outsider", "other_drive_staff"), history_status=302,
    ),
    "marketplace.AuditEntry": AdminSpec(
        obj=lambda w: w.audit_entry_a, shows=lambda w: [w.shop_a.trade_name], search=lambda w: str(w.shop_a.pk),
        see=MODERATORS_A, reach=("other_drive_staff",), page_shows=False,
    ),
    # The shared catalogue's reference: head office's alone (catalog/admin/reference.py).
    "catalog.CatalogueFeed": AdminSpec(
        obj=lambda w: w.feed, shows=lambda w: [w.feed.original_name], see=("head_office",), add=("head_office",),
    ),
    # A claim names its shop: the conflicts queue is head office's; a row opens the book's page.
    "catalog.BookInConflict": AdminSpec(
        obj=lambda w: w.claim_a.book, shows=lambda w: [w.claim_a.book.title], search=lambda w: "Alpha Unique",
        see=("head_office",), change_status=302, page_shows=False,
        secrets=lambda w: [w.shop_a.trade_name, w.claim_a.book.title],
    ),
    "catalog.CatalogueRules": AdminSpec(
        obj=lambda w: w.rules, shows=lambda w: [], see=("head_office",), secrets=_shop_a_secrets,
    ),
    "marketplace.ModerationReason": AdminSpec(
        obj=lambda w: w.reason, shows=lambda w: [w.reason.label], search=lambda w: "Motif",
        see=("drive_staff", "other_drive_staff", "head_office"), add=("head_office",), delete=("head_office",),
        secrets=_shop_a_secrets,
    ),
    "marketplace.OutgoingEmail": AdminSpec(
        obj=lambda w: w.email_a, shows=lambda w: [w.email_a.to], search=lambda w: w.email_a.to, see=("head_office",),
    ),
    "marketplace.User": AdminSpec(
        obj=lambda w: w.users["customer"], shows=lambda w: [w.users["customer"].email],
        search=lambda w: w.users["customer"].email, see=("head_office",),
        secrets=lambda w: [*w.secrets_a, w.users["customer"].email],
    ),
    # Wrong passwords per account and address (django-axes): head office lifts a lockout.
    "axes.AccessAttempt": AdminSpec(
        obj=lambda w: w.login_attempt, shows=lambda w: [w.login_attempt.ip_address],
        search=lambda w: w.login_attempt.ip_address, see=("head_office",), delete=("head_office",),
        secrets=lambda w: [*w.secrets_a, w.login_attempt.ip_address],
    ),
    # People's requests about their data: head office only; the add page carries one out.
    "privacy.DataRequest": AdminSpec(
        obj=lambda w: w.data_request, shows=lambda w: [w.data_request.get_channel_display()],
        see=("head_office",), add=("head_office",), page_shows=False,
    ),
    "auth.Group": nobody(lambda w: w.group, "Booksellers"),
    "django_celery_beat.PeriodicTask": nobody(lambda w: w.beat["periodictask"], "isolation job"),
    "django_celery_beat.ClockedSchedule": nobody(lambda w: w.beat["clockedschedule"], "clocked"),
    "django_celery_beat.CrontabSchedule": nobody(lambda w: w.beat["crontabschedule"], "crontab"),
    "django_celery_beat.SolarSchedule": nobody(lambda w: w.beat["solarschedule"], "sunrise"),
    "django_celery_beat.IntervalSchedule": nobody(lambda w: w.beat["intervalschedule"], "interval"),
}
# fmt: on


def admin_cases(label: str, spec: AdminSpec, model_admin) -> list[Case]:
    """The cases of one registered model's admin addresses: its list, add form, page,
    history, delete confirmation, the redirect of its old address, and the admin's
    autocomplete searching it."""
    opts = model_admin.opts
    model = opts.model
    prefix = f"admin:{opts.app_label}_{opts.model_name}"

    def state(w):
        return {
            "object": list(model._base_manager.filter(pk=spec.obj(w).pk).values()),
            "rows": model._base_manager.count(),
        }

    common = {
        "secrets": spec.secrets or (lambda w: [*w.secrets_a, *spec.shows(w)]),
        "state": state,
        "actors": spec.actors,
    }
    adders_who_see = tuple(who for who in spec.add if who in spec.see)
    adders_who_do_not = tuple(who for who in spec.add if who not in spec.see)
    logged_in = tuple(who for who in spec.actors if who != "anonymous")
    search = (lambda w: f"q={spec.search(w)}") if spec.search else (lambda w: "")

    def of_obj(view):
        return at(f"{prefix}_{view}", lambda w: spec.obj(w).pk)

    def forged_list_posts(w):
        """The list's bulk actions and editable cells, aimed at `obj`: nothing may happen
        for someone who may not touch it."""
        pk = spec.obj(w).pk
        posts = [
            {"action": name, "index": "0", "_selected_action": [pk], "select_across": "0", "post": "yes",
             "confirm": "1", "apply": "1", "reason": "forged", "open_orders": "cancel"}
            for _function, name, _description in model_admin._get_base_actions()
        ]  # fmt: skip
        if spec.list_edit:
            posts.append(
                {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": str(pk), "_save": "1",
                 **{f"form-0-{name}": value for name, value in spec.list_edit.items()}}
            )  # fmt: skip
        return posts

    cases = [
        Case(f"{prefix}_changelist", label, lambda w, who: rev(f"{prefix}_changelist", query=search(w)),
             sees=allow(200, *spec.see), blind=allow(200, *spec.reach), shows=spec.shows, posts=forged_list_posts,
             **common),
        # Who may add but not see `obj` finds nothing of shop A in the form (its choices).
        Case(f"{prefix}_add", label, lambda w, who: rev(f"{prefix}_add",
             query=spec.add_query(w) if spec.add_query else ""), sees=allow(200, *adders_who_see),
             blind=allow(200, *adders_who_do_not), shows=NOTHING,
             posts=lambda w: [spec.add_post(w) if spec.add_post else {}], **common),
        Case(f"{prefix}_change", label, of_obj("change"), sees=allow(spec.change_status, *spec.see),
             shows=spec.shows if spec.page_shows and spec.change_status == 200 else NOTHING, **common),
        Case(f"{prefix}_history", label, of_obj("history"), sees=allow(spec.history_status, *spec.see),
             shows=NOTHING, methods=("GET",), **common),
        Case(f"{prefix}_delete", label, of_obj("delete"), sees=allow(200, *spec.delete), shows=NOTHING,
             posts=lambda w: [{"post": "yes"}], **common),
        # Django's old address of a change page: a redirect to it, whoever asks.
        Case(f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/", label,
             lambda w, who: f"{rev('admin:index')}{opts.app_label}/{opts.model_name}/{spec.obj(w).pk}/",
             sees=allow(302, *logged_in), shows=NOTHING, methods=("GET",), **common),
    ]  # fmt: skip
    source = autocomplete_source(model)
    if model_admin.search_fields and source is not None:
        # Any relation to the model opens the admin's autocomplete on its ModelAdmin's rows.
        query = "app_label={}&model_name={}&field_name={}&term=".format(*source)
        cases.append(
            Case("admin:autocomplete", label, lambda w, who: rev("admin:autocomplete", query=query + spec.search(w)),
                 sees=allow(200, *spec.see), blind=allow(200, *spec.reach), methods=("GET",),
                 shows=lambda w: [json.dumps(str(spec.obj(w)))[1:-1]], **common)
        )  # fmt: skip
    return cases


def autocomplete_source(model) -> tuple[str, str, str] | None:
    """(app label, model name, field name) of a relation to `model`, as the admin's
    autocomplete takes it (any relation, of any model, registered or not)."""
    if model._meta.proxy:
        return None  # relations point to the concrete model
    for source in apps.get_models():
        for relation in source._meta.get_fields():
            remote = getattr(getattr(relation, "remote_field", None), "model", None)
            if remote is model and not relation.auto_created:
                return source._meta.app_label, source._meta.model_name, relation.name
    return None


def table_keys(cases: list[Case]) -> set[str]:
    return {case.key for case in cases} | set(PUBLIC)
