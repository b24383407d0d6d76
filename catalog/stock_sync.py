"""A shop's stock sent through the API in pages, then applied at once: a sync session.

    open ──→ committed
      ├───→ abandoned   (the till gives up)
      └───→ expired     (no page for STOCK_SYNC_IDLE_HOURS: sync_sessions_expire)

A request carries 5,000 items at most; a shop with 30,000 titles begins a session, puts
its pages (putting a page number again replaces that page, so a retry after a lost
answer is harmless), then commits. The items of every page are applied in one call to
stock_import_apply, so a full sync compares the whole stock with the shop's listings at
once, as a stock file does. Items are judged one by one only then, as in the bulk
endpoint: a bad item is refused alone.

Every change to a session locks its row first, and a commit keeps that lock until the
stock is written: two commits at once apply the session once (the second waits, then
finds it committed and answers the stored result), and a page put during a commit waits
for it and is then refused, never half-included.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.imports.apply import stock_import_apply
from catalog.imports.csv_reader import parse_price
from catalog.imports.plan import Action
from catalog.imports.records import ContributorRecord, StockRow
from catalog.models import Book, StockSyncPage, StockSyncSession
from catalog.product_kinds import attribute_as_typed
from catalog.selectors import stock_sync_item_count
from marketplace.jobs import act_on_each_alone
from shops.models import Shop

Status = StockSyncSession.Status
# Each expired session is finished in a transaction of its own: deleting 300,000 items
# of pages is not something to hold other sessions' locks for.
EXPIRY_BATCH_SIZE = 100


class SyncSessionError(Exception):
    """What the session's state does not allow. The message is for people (in their
    language), `code` for programs."""

    code = "session_state"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.code = code or self.code


class SyncSessionClosed(SyncSessionError):
    """The session was committed, abandoned or has expired: it takes no more pages."""


class SyncSessionTooLarge(SyncSessionError):
    code = "too_many_items"


class SyncSessionIncomplete(SyncSessionError):
    """Pages are missing: committing a full sync without them would set their books to 0."""

    code = "pages_missing"


def sync_session_begin(*, shop: Shop, full_sync: bool) -> StockSyncSession:
    return StockSyncSession.objects.create(shop=shop, full_sync=full_sync, expires_at=_idle_deadline())


def sync_session_put_page(*, session: StockSyncSession, number: int, items: list[dict]) -> StockSyncSession:
    """Store page `number` of an open session (replacing a page of that number) and push
    its expiry back. Raises SyncSessionClosed, or SyncSessionTooLarge when the session
    would hold more than STOCK_SYNC_MAX_ITEMS items."""
    with transaction.atomic():
        locked = _lock(session)
        _check_open(locked)
        # Counted under the session's lock: two pages put at once cannot both fit in the
        # room left for one.
        others = stock_sync_item_count(session=locked, except_page=number)
        if others + len(items) > settings.STOCK_SYNC_MAX_ITEMS:
            raise SyncSessionTooLarge(
                _("A sync session holds at most %(max)s items; with this page, it would hold %(count)s.")
                % {"max": settings.STOCK_SYNC_MAX_ITEMS, "count": others + len(items)}
            )
        StockSyncPage.objects.update_or_create(session=locked, number=number, defaults={"items": items})
        locked.expires_at = _idle_deadline()
        locked.save(update_fields=["expires_at"])
    return locked


def sync_session_commit(
    *, session: StockSyncSession, confirm_zeroing: bool = False, announced_pages: int | None = None
) -> StockSyncSession:
    """Apply every item of every page, in page order, in one transaction; the result
    (counts, and the refused items with their position) is kept on the session and its
    pages deleted. Committing a committed session returns it as it is: the stock is
    written once.

    Raises SyncSessionClosed (abandoned, expired), SyncSessionIncomplete (a page missing
    between 1 and the last one, or `announced_pages`), and, for a full sync that would
    set most of the stock to 0 without `confirm_zeroing`, ZeroingNeedsConfirmation:
    then nothing is written and the session stays open."""
    with transaction.atomic():
        locked = _lock(session)
        if locked.status == Status.COMMITTED:
            return locked  # a retry, or a commit that waited for this one
        _check_open(locked)
        pages = list(
            StockSyncPage.objects.filter(session=locked).order_by("number").values_list("number", "items")
        )
        _check_complete([number for number, _items in pages], announced=announced_pages)
        rows, origin = [], []  # origin[position]: (page, index in the page)
        for number, items in pages:
            for index, item in enumerate(items):
                origin.append((number, index))
                rows.append(stock_row_from_item(line=len(rows) + 1, item=item))
        plan = stock_import_apply(
            shop=locked.shop,
            rows=rows,
            full_sync=locked.full_sync,
            source=Book.Source.STOCK_FILE,
            zeroing_confirmed=confirm_zeroing,
        )
        refused = [
            {"position": line.line - 1, "page": origin[line.line - 1][0], "index": origin[line.line - 1][1],
             "ean": line.ean, "message": line.message}
            for line in plan.lines
            if line.action == Action.REFUSE
        ]  # fmt: skip
        locked.result = {"summary": plan.counts, "refused": refused}
        _finish(locked, Status.COMMITTED, fields=["result"])
    return locked


def sync_session_abandon(*, session: StockSyncSession) -> StockSyncSession:
    """Drop an open session and its pages; nothing of it is applied. Abandoning an
    abandoned or expired session changes nothing; a committed one raises SyncSessionClosed."""
    with transaction.atomic():
        locked = _lock(session)
        if locked.status in (Status.ABANDONED, Status.EXPIRED):
            return locked
        if locked.status == Status.COMMITTED:
            raise SyncSessionClosed(
                _(
                    "This sync session was committed already: its stock is applied and it cannot be abandoned."
                ),
                code="session_committed",
            )
        _finish(locked, Status.ABANDONED)
    return locked


def sync_sessions_expire(*, now=None) -> int:
    """Mark expired the open sessions that received no page in time, and delete their
    pages. Returns how many this run expired. Idempotent, and safe to run twice at once:
    each session is claimed under its row lock with SKIP LOCKED (marketplace/jobs.py), so
    a session being filled or committed right now is left for the next run."""
    now = now or timezone.now()

    def expire(session: StockSyncSession) -> None:
        _finish(session, Status.EXPIRED, now=now)

    return act_on_each_alone(
        lambda: StockSyncSession.objects.filter(status=Status.OPEN, expires_at__lte=now),
        expire,
        order_by=("expires_at", "pk"),
        batch_size=EXPIRY_BATCH_SIZE,
        doing="expire stock sync session",
    )


def stock_row_from_item(*, line: int, item: dict) -> StockRow:
    """An API item as a line of a stock file, for the same planner. Values stay as text:
    the planner judges them, and refuses a bad item alone."""

    def text(key, default=None):
        value = item.get(key)
        return default if value is None else str(value)

    ean = item.get("ean")
    reference = item.get("reference")
    attributes = item.get("attributes") or {}
    authors = item.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    list_price = parse_price(text("list_price")) if item.get("list_price") is not None else None
    has_reference = isinstance(reference, str) and reference.strip()
    problems = (
        []
        if (isinstance(ean, str) and ean) or has_reference
        else [_("Each item needs an “ean” (text), or a “reference” (text) for a product without a barcode.")]
    )
    if not isinstance(attributes, dict):
        problems.append(_('“attributes” is an object: {"brand": "Asmodee", "age-range": "8-12"}.'))
        attributes = {}
    if item.get("list_price") is not None and list_price is None:
        problems.append(
            _("The publisher's price “%(price)s” cannot be read: write it like 12.50.")
            % {"price": text("list_price")}
        )
    return StockRow(
        line=line,
        ean=ean if isinstance(ean, str) else "",
        quantity=text("quantity"),
        price=text("price"),
        condition=text("condition", "new"),
        title=text("title", ""),
        contributors=[
            ContributorRecord(name=str(name), role="author")
            for name in (authors if isinstance(authors, list) else [])
            if str(name).strip()
        ],
        publisher=text("publisher", ""),
        list_price=list_price,
        kind=text("kind"),
        reference=reference.strip() if has_reference else "",
        attributes={str(code): attribute_as_typed(value) for code, value in attributes.items()},
        error=" ".join(problems),
    )


# --- Inside the session's lock ------------------------------------------------------------


def _lock(session: StockSyncSession) -> StockSyncSession:
    # of=self: the shop's row is locked by stock_import_apply itself, after this one,
    # as every stock import does.
    return StockSyncSession.objects.select_for_update(of=("self",)).select_related("shop").get(pk=session.pk)


def _check_open(session: StockSyncSession) -> None:
    if session.status == Status.OPEN and session.expires_at > timezone.now():
        return
    if session.status == Status.COMMITTED:
        message = _("This sync session was committed already: begin a new session to send another sync.")
    elif session.status == Status.ABANDONED:
        message = _("This sync session was abandoned: begin a new session.")
    else:  # expired, or past its deadline before the expiry job came by
        message = _(
            "This sync session expired: it received no page for %(hours)s hours and nothing of it was "
            "applied. Begin a new session."
        ) % {"hours": settings.STOCK_SYNC_IDLE_HOURS}
    status = Status.EXPIRED if session.status == Status.OPEN else session.status
    raise SyncSessionClosed(message, code=f"session_{status}")


def _check_complete(numbers: list[int], *, announced: int | None) -> None:
    """Pages numbered 1 to the last one (or to `announced`), none missing: a full sync
    without one of its pages would set that page's books to 0."""
    if not numbers:
        raise SyncSessionIncomplete(_("This sync session has no page: put page 1 at least, then commit."))
    last = announced or numbers[-1]
    missing = sorted(set(range(1, last + 1)) - set(numbers))
    if missing:
        shown = ", ".join(str(number) for number in missing[:10]) + (", …" if len(missing) > 10 else "")
        raise SyncSessionIncomplete(
            _("Pages missing from this sync session: %(pages)s. Put them, then commit again.")
            % {"pages": shown}
        )
    if numbers[-1] > last:
        raise SyncSessionIncomplete(
            _(
                "This sync session holds pages up to %(last)s, not %(announced)s as announced: abandon it "
                "and begin again."
            )
            % {"last": numbers[-1], "announced": last}
        )


def _finish(session: StockSyncSession, status: str, *, now=None, fields=()) -> None:
    """The session's last move: its pages are deleted, its result kept."""
    session.status, session.finished_at = status, now or timezone.now()
    session.save(update_fields=["status", "finished_at", *fields])
    StockSyncPage.objects.filter(session=session).delete()


def _idle_deadline():
    return timezone.now() + timedelta(hours=settings.STOCK_SYNC_IDLE_HOURS)
