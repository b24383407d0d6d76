"""The customer's reservation before it is placed (the cart), kept in their session.

No account is needed, and Django's login keeps the session's data, so the cart
survives logging in or signing up at checkout. Each line remembers what the customer
was shown: the price (handed to checkout_place as `seen_price`, so that a change is
reported instead of being charged quietly), the title and the shop's name (to say
which line went away when its listing no longer exists). Quantities never exceed the
copies available; copies are only held once the checkout is placed.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Listing
from catalog.stock import listings_reservable
from orders.limits import max_copies_per_line, max_lines_per_checkout
from orders.services import CartLine, LineProblem
from shops.models import Shop

SESSION_KEY = "cart"
# The last checkout placed from this session, so that a form sent twice (double click,
# refresh, retry) after the cart was emptied still finds its confirmation.
PLACED_SESSION_KEY = "cart_placed"


class CartFull(Exception):
    """The cart already holds as many different books as one checkout can place."""


def copies_allowed(listing: Listing) -> int:
    """The most copies of `listing` one reservation may ask for."""
    return max(0, min(listing.available, max_copies_per_line()))


@dataclass
class CartItem:
    listing: Listing
    quantity: int

    @property
    def amount(self) -> Decimal:
        return self.listing.price * self.quantity

    @property
    def max_quantity(self) -> int:
        return copies_allowed(self.listing)


@dataclass
class ShopGroup:
    """The lines of one shop: one order once placed, paid in that shop."""

    shop: Shop
    items: list[CartItem]

    @property
    def subtotal(self) -> Decimal:
        return sum((item.amount for item in self.items), start=Decimal("0.00"))

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)


@dataclass
class CartContents:
    groups: list[ShopGroup]
    # What changed since the customer filled the cart, one sentence per line.
    changes: list[str]

    @property
    def count(self) -> int:
        return sum(group.count for group in self.groups)

    @property
    def total(self) -> Decimal:
        return sum((group.subtotal for group in self.groups), start=Decimal("0.00"))

    @property
    def is_empty(self) -> bool:
        return not self.groups


class Cart:
    """The cart in `session`: {listing id: {quantity, seen_price, title, shop_name}}."""

    def __init__(self, session):
        self.session = session

    # --- Reading, without touching the database ------------------------------------

    def _lines(self) -> dict[str, dict]:
        lines = self.session.get(SESSION_KEY)
        if not isinstance(lines, dict):
            return {}
        return {key: line for key, line in lines.items() if isinstance(line, dict)}

    def _save(self, lines: dict[str, dict]) -> None:
        if lines:
            self.session[SESSION_KEY] = lines
        else:
            self.session.pop(SESSION_KEY, None)

    def count(self) -> int:
        """Copies in the cart (the header's badge)."""
        return sum(_quantity(line) for line in self._lines().values())

    def quantity_of(self, listing_id: int) -> int:
        return _quantity(self._lines().get(str(listing_id), {}))

    def lines_for_checkout(self) -> list[CartLine]:
        """What checkout_place reserves: each line with the price the customer last saw."""
        return [
            CartLine(listing_id=int(key), quantity=_quantity(line), seen_price=_price(line))
            for key, line in sorted(self._lines().items(), key=_by_listing)
            if key.isdigit() and _quantity(line)
        ]

    # --- Changing ---------------------------------------------------------------------

    def add(self, listing: Listing, quantity: int, *, seen_price: Decimal | None = None) -> int:
        """Add copies of `listing`, up to what is available; returns the copies now in the
        cart for it. Raises CartFull when it would be one book too many."""
        lines = self._lines()
        key = str(listing.pk)
        if key not in lines and len(lines) >= max_lines_per_checkout():
            raise CartFull
        wanted = _quantity(lines.get(key, {})) + max(quantity, 0)
        return self._put(lines, listing, wanted, seen_price=seen_price)

    def set_quantity(self, listing: Listing, quantity: int) -> int:
        """Change a line's copies (0 removes it), up to what is available."""
        lines = self._lines()
        if str(listing.pk) not in lines:
            return 0
        return self._put(lines, listing, quantity, seen_price=_price(lines[str(listing.pk)]))

    def _put(self, lines: dict, listing: Listing, quantity: int, *, seen_price: Decimal | None) -> int:
        quantity = min(quantity, copies_allowed(listing))
        if quantity <= 0:
            lines.pop(str(listing.pk), None)
        else:
            lines[str(listing.pk)] = {
                "quantity": quantity,
                "seen_price": str(seen_price if seen_price is not None else listing.price),
                "title": listing.book.title,
                "shop_name": listing.shop.trade_name,
            }
        self._save(lines)
        return max(quantity, 0)

    def remove(self, listing_id: int) -> str | None:
        """Take a line out; returns its title (None if it was not there)."""
        lines = self._lines()
        removed = lines.pop(str(listing_id), None)
        self._save(lines)
        return removed.get("title", "") if removed else None

    def placed(self, *, key: str, checkout_token: str) -> None:
        """The checkout went through: empty the cart and remember the form's key."""
        self._save({})
        self.session[PLACED_SESSION_KEY] = {"key": key, "token": checkout_token}

    def checkout_placed_with(self, key: str) -> str | None:
        """The token of the checkout this session already placed with `key`, if any."""
        placed = self.session.get(PLACED_SESSION_KEY)
        if isinstance(placed, dict) and placed.get("key") == key:
            return placed.get("token")
        return None

    # --- Against the stock ------------------------------------------------------------

    def refresh(self) -> CartContents:
        """The cart as it stands now, grouped by shop, in one query.

        Lines whose listing is gone or sold out are dropped, quantities are lowered to
        the copies left, and prices updated to the current ones; each change is told in
        `changes` (the customer sees the new state before confirming anything).
        """
        lines = self._lines()
        if not lines:
            return CartContents(groups=[], changes=[])
        listings = {listing.pk: listing for listing in listings_reservable().filter(pk__in=_ids(lines))}
        changes = []
        dropped = False
        by_shop: dict[int, ShopGroup] = {}
        for key, line in sorted(lines.items(), key=_by_listing):
            if not key.isdigit() or not _quantity(line):  # not written by this code
                del lines[key]
                dropped = True
                continue
            listing = listings.get(int(key))
            allowed = copies_allowed(listing) if listing is not None else 0
            if allowed == 0:
                del lines[key]
                changes.append(gone_message(line.get("title", ""), line.get("shop_name", "")))
                continue
            if _quantity(line) > allowed:
                line["quantity"] = allowed
                changes.append(short_message(listing, allowed))
            if _price(line) != listing.price:
                changes.append(price_message(listing, old=_price(line)))
                line["seen_price"] = str(listing.price)
            group = by_shop.setdefault(listing.shop_id, ShopGroup(shop=listing.shop, items=[]))
            group.items.append(CartItem(listing=listing, quantity=_quantity(line)))
        if changes or dropped:
            self._save(lines)
        groups = sorted(by_shop.values(), key=lambda group: (group.shop.trade_name.lower(), group.shop.pk))
        for group in groups:
            group.items.sort(key=lambda item: (item.listing.book.title.lower(), item.listing.pk))
        return CartContents(groups=groups, changes=changes)

    def apply_problems(self, problems: list[LineProblem]) -> None:
        """Bring the cart in line with what checkout_place found: the copies left, at
        the current price. The customer then confirms again."""
        lines = self._lines()
        for problem in problems:
            key = str(problem.listing_id)
            if key not in lines:
                continue
            if problem.kind in (LineProblem.Kind.GONE, LineProblem.Kind.AWAY):
                del lines[key]
            elif problem.kind == LineProblem.Kind.SHORT:
                lines[key]["quantity"] = min(problem.available, max_copies_per_line())
                if lines[key]["quantity"] <= 0:
                    del lines[key]
            elif problem.kind == LineProblem.Kind.PRICE:
                lines[key]["seen_price"] = str(problem.price)
        self._save(lines)

    def problem_message(self, problem: LineProblem) -> str:
        """The service's sentence for a problem; for a listing that no longer exists
        (the service cannot name it), the title and shop the cart remembers."""
        if problem.kind == LineProblem.Kind.GONE and problem.title == "?":
            line = self._lines().get(str(problem.listing_id), {})
            return _("“%(title)s” is no longer offered by %(shop)s.") % {
                "title": line.get("title", "?"),
                "shop": line.get("shop_name", "?"),
            }
        return problem.message


def cart_count(request) -> int:
    session = getattr(request, "session", None)
    return Cart(session).count() if session is not None else 0


def gone_message(title: str, shop_name: str) -> str:
    return _("“%(title)s” is no longer available at %(shop)s: it has been removed from your reservation.") % {
        "title": title,
        "shop": shop_name,
    }


def short_message(listing: Listing, allowed: int) -> str:
    return ngettext(
        "%(shop)s has %(count)s copy of “%(title)s” for you: your reservation now holds %(count)s.",
        "%(shop)s has %(count)s copies of “%(title)s” for you: your reservation now holds %(count)s.",
        allowed,
    ) % {"shop": listing.shop.trade_name, "count": allowed, "title": listing.book.title}


def price_message(listing: Listing, *, old: Decimal | None) -> str:
    return _("The price of “%(title)s” at %(shop)s changed from %(old)s € to %(new)s €.") % {
        "title": listing.book.title,
        "shop": listing.shop.trade_name,
        "old": number_format(old, 2) if old is not None else "?",
        "new": number_format(listing.price, 2),
    }


def _by_listing(item: tuple[str, dict]) -> int:
    return int(item[0]) if item[0].isdigit() else 0


def _ids(lines: dict[str, dict]) -> list[int]:
    return [int(key) for key in lines if key.isdigit()]


def _quantity(line: dict) -> int:
    quantity = line.get("quantity", 0)
    return quantity if isinstance(quantity, int) and quantity > 0 else 0


def _price(line: dict) -> Decimal | None:
    try:
        return Decimal(line["seen_price"])
    except (KeyError, TypeError, InvalidOperation):
        return None
