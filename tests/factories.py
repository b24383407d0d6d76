from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from stdnum import luhn

from catalog.models import Book, Listing
from shops import roles
from shops.models import Drive, DriveAssignment, Membership, Shop, ShopKind


def valid_siret(number: int) -> str:
    siren_base = f"{30000000 + number:08d}"
    siren = siren_base + luhn.calc_check_digit(siren_base)
    establishment = f"{siren}{number % 10000:04d}"
    return establishment + luhn.calc_check_digit(establishment)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = "Anne"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("correct horse battery staple")


class ChainStaffFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def in_group(user, create, extracted, **kwargs):
        user.groups.add(roles.group(roles.CHAIN_STAFF))


class DriveStaffFactory(UserFactory):
    """A member of one drive's staff: `DriveStaffFactory(drives=[drive])`."""

    is_staff = True

    @factory.post_generation
    def drives(user, create, extracted, **kwargs):
        user.groups.add(roles.group(roles.DRIVE_STAFF))
        for drive in extracted or []:
            DriveAssignment.objects.create(user=user, drive=drive)


class BooksellerFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def in_group(user, create, extracted, **kwargs):
        user.groups.add(roles.group(roles.BOOKSELLERS))


class DriveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Drive

    name = factory.Sequence(lambda n: f"Drive {n}")
    slug = factory.Sequence(lambda n: f"drive-{n}")
    address = "1 avenue du Marché"
    postcode = "56100"
    town = "Lorient"
    latitude = 47.75
    longitude = -3.37


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        skip_postgeneration_save = True

    trade_name = factory.Sequence(lambda n: f"Librairie {n}")
    legal_name = factory.LazyAttribute(lambda shop: f"SARL {shop.trade_name}")
    siret = factory.Sequence(valid_siret)
    address = "12 rue du Port"
    postcode = "56100"
    town = "Lorient"
    latitude = 47.7507
    longitude = -3.3789
    phone = "+33297640000"
    email = factory.Sequence(lambda n: f"shop{n}@example.org")
    contact_first_name = "Yann"
    contact_last_name = "Le Libraire"
    contact_email = factory.Sequence(lambda n: f"owner{n}@example.org")
    status = Shop.Status.APPROVED

    @factory.post_generation
    def kinds(shop, create, extracted, **kwargs):
        """A bookshop unless told: ShopFactory(kinds=[...codes])."""
        if create:
            shop.kinds.set(ShopKind.objects.filter(code__in=extracted or [ShopKind.BOOKSHOP]))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(BooksellerFactory)
    shop = factory.SubFactory(ShopFactory)
    role = Membership.Role.OWNER


def valid_book_ean(number: int) -> str:
    body = f"978{number:09d}"
    return body + ean_check_digit(body)


def ean_check_digit(twelve_digits: str) -> str:
    from stdnum import ean

    return ean.calc_check_digit(twelve_digits)


class BookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Book

    ean = factory.Sequence(lambda n: valid_book_ean(200_000 + n))
    title = factory.Sequence(lambda n: f"Livre {n}")
    publisher = "Éditions du Port"
    list_price = Decimal("20.00")
    source = Book.Source.ONIX


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    shop = factory.SubFactory(ShopFactory)
    book = factory.SubFactory(BookFactory)
    condition = Listing.Condition.NEW
    price = factory.LazyAttribute(lambda listing: listing.book.list_price or Decimal("10.00"))
    quantity = 3
    status = Listing.Status.PUBLISHED


def listings_in_stock(shop, count: int, *, first: int = 500_000, quantity: int = 2) -> list[Listing]:
    """`count` published listings of new books, in stock, for `shop`: two statements,
    for stocks of thousands (the EANs are valid_book_ean(first), (first + 1)…)."""
    books = Book.objects.bulk_create(
        Book(ean=valid_book_ean(first + n), title=f"Livre {first + n}", list_price=Decimal("20.00"),
             source=Book.Source.ONIX)
        for n in range(count)
    )  # fmt: skip
    return Listing.objects.bulk_create(
        Listing(shop=shop, book=book, condition=Listing.Condition.NEW, price=book.list_price, quantity=quantity,
                status=Listing.Status.PUBLISHED)
        for book in books
    )  # fmt: skip


def api_key_for(shop) -> str:
    """A new API key of `shop`, as its till software holds it."""
    from shops.services import api_token_create

    _token, key = api_token_create(shop=shop, name="Caisse", by=None)
    return key


def customer_details(**overrides):
    """A guest customer, as the checkout form or the API hands them to the service."""
    from orders.services import CustomerDetails

    values = {
        "name": "Annick Le Goff",
        "email": "annick@example.fr",
        "phone": "+33612345678",
        "language": "fr",
    }
    return CustomerDetails(**(values | overrides))


def reserve(*listings_and_quantities, key: str | None = None, **customer):
    """Place a checkout through the real service: reserve(listing, (other, 2), …)."""
    import uuid

    from orders.services import CartLine, checkout_place

    lines = []
    for item in listings_and_quantities:
        listing, quantity = item if isinstance(item, tuple) else (item, 1)
        lines.append(CartLine(listing_id=listing.pk, quantity=quantity))
    return checkout_place(
        key=key or uuid.uuid4().hex, lines=lines, customer=customer_details(**customer), client=""
    )
