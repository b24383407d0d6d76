"""The pickup code: given when an order becomes ready, shown to the customer (order page,
"ready" email) with its QR code, which opens the counter page with the code filled in."""

import io
import re
from datetime import time, timedelta

import pytest
import segno
from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone, translation
from PIL import Image

from marketplace.models import OutgoingEmail
from orders import services as order_services
from orders.models import REFERENCE_ALPHABET, Order
from orders.pickup_codes import characters_never_in_pickup_codes, format_pickup_code, normalize_pickup_code
from orders.pickup_qr import PNG_SCALE, counter_url, pickup_qr_png
from orders.services import order_collect
from shops.hours import PARIS, Schedule
from shops.models import Closure, OpeningPeriod
from tests.factories import ListingFactory
from tests.pickup.counter_helpers import en, placed_order, ready_order

pytestmark = pytest.mark.django_db


def paris(moment, format_string: str) -> str:
    """A date as the English pages write it, in Paris time."""
    with translation.override("en"):
        return dateformat.format(timezone.localtime(moment, PARIS), format_string)


def deadline_text(order: Order) -> str:
    return f"To collect by {paris(order.collect_by, 'l j F')} at {paris(order.collect_by, 'G:i')}"


def qr_modules_of_png(png: bytes) -> list[list[bool]]:
    """The dark modules of a QR code PNG (segno's quiet zone of 4 modules around it)."""
    image = Image.open(io.BytesIO(png)).convert("L")
    size = image.width // PNG_SCALE - 2 * 4
    centre = PNG_SCALE // 2
    return [
        [
            image.getpixel(((col + 4) * PNG_SCALE + centre, (row + 4) * PNG_SCALE + centre)) < 128
            for col in range(size)
        ]
        for row in range(size)
    ]


def qr_modules_of(text: str) -> list[list[bool]]:
    return [[bool(module) for module in row] for row in segno.make(text, error="m", micro=False).matrix]


# --- The code --------------------------------------------------------------------------


def test_an_order_gets_a_pickup_code_and_a_deadline_when_it_becomes_ready(shop_a, owner_a):
    # given an order placed and accepted: no code yet
    order = placed_order(shop_a)
    assert (order.pickup_code, order.ready_at, order.collect_by) == ("", None, None)
    before = timezone.now()

    # when it is set aside at the counter
    order = ready_order(shop_a, by=owner_a)

    # then
    assert len(order.pickup_code) == 8
    assert set(order.pickup_code) <= set(REFERENCE_ALPHABET)
    assert before <= order.ready_at <= timezone.now()
    assert order.collect_by > order.ready_at


def test_a_pickup_code_is_unique_within_its_shop_not_across_shops(shop_a, owner_a, shop_b, outsider):
    first = ready_order(shop_a, by=owner_a)
    second = ready_order(shop_a, by=owner_a)
    elsewhere = ready_order(shop_b, by=outsider)
    assert first.pickup_code != second.pickup_code

    # Another shop may hold the same code: a code is only looked up within its shop…
    Order.objects.filter(pk=elsewhere.pk).update(pickup_code=first.pickup_code)
    # …but not a second order of the same shop.
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=second.pk).update(pickup_code=first.pickup_code)


def test_a_code_already_used_in_the_shop_is_drawn_again(shop_a, owner_a, monkeypatch):
    taken = ready_order(shop_a, by=owner_a).pickup_code
    draws = iter([taken, "ACDEFGHJ"])
    monkeypatch.setattr(order_services, "new_pickup_code", lambda: next(draws))

    order = ready_order(shop_a, by=owner_a)

    assert order.pickup_code == "ACDEFGHJ"


def test_a_code_reads_in_two_groups_of_four_and_is_typed_any_way():
    assert format_pickup_code("ACDEFGHJ") == "ACDE-FGHJ"
    for typed in ("ACDE-FGHJ", "acde fghj", " Acde–fGhj\n", "A-C-D-E-F-G-H-J"):
        assert normalize_pickup_code(typed) == "ACDEFGHJ"
    # Letters that are never in a code (O, I…) are dropped: the code is then too short.
    assert normalize_pickup_code("ACDE-FGHO") == "ACDEFGH"


def test_the_letters_and_digits_no_code_uses_are_named_once_each_as_typed():
    assert characters_never_in_pickup_codes("ACDE-FGHJ") == []
    assert characters_never_in_pickup_codes(" acde-fgh0 o1l 0 é") == ["0", "O", "1", "L", "É"]
    assert set(characters_never_in_pickup_codes("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == set("01258BILOSZ")


# --- The QR code -----------------------------------------------------------------------


def test_the_qr_code_opens_the_counter_page_with_the_code_filled_in(settings):
    settings.SITE_URL = "https://drive-solidaire.example"

    assert counter_url("ACDEFGHJ") == "https://drive-solidaire.example/counter/?code=ACDEFGHJ"
    png = pickup_qr_png("ACDEFGHJ")
    assert qr_modules_of_png(png) == qr_modules_of("https://drive-solidaire.example/counter/?code=ACDEFGHJ")


def test_the_qr_image_is_served_only_while_the_order_waits_at_the_counter(client, shop_a, owner_a):
    waiting = placed_order(shop_a)
    assert client.get(en("pickup_qr_png", waiting.token)).status_code == 404

    ready = ready_order(shop_a, by=owner_a)
    image = client.get(en("pickup_qr_png", ready.token))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert "private" in image["Cache-Control"]
    assert qr_modules_of_png(image.content) == qr_modules_of(counter_url(ready.pickup_code))

    order_collect(order=ready, by=owner_a)
    assert client.get(en("pickup_qr_png", ready.token)).status_code == 404
    assert client.get(en("pickup_qr_png", "not-a-token")).status_code == 404


# --- The order page --------------------------------------------------------------------


def test_the_order_page_shows_the_code_its_qr_and_the_deadline_once_ready(client, shop_a, owner_a):
    order = ready_order(
        shop_a, ListingFactory(shop=shop_a, price="12.50", book__list_price="12.50"), by=owner_a
    )

    page = client.get(en("order", order.token))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Your pickup code" in text
    assert format_pickup_code(order.pickup_code) in text
    assert deadline_text(order) in text
    assert f"{shop_a.address}, {shop_a.postcode} {shop_a.town}" in text
    assert "Bring this code, on your phone or printed." in text
    # The QR code is drawn in the page (inline SVG) from the counter link with this code.
    [svg] = re.findall(r"<svg[^>]*pickup-qr__image.*?</svg>", text, re.DOTALL)
    expected = segno.make(counter_url(order.pickup_code), error="m", micro=False)
    dark_modules = re.compile(r'class="qrline"[^>]* d="([^"]+)"')
    assert dark_modules.search(svg).group(1) == dark_modules.search(expected.svg_inline()).group(1)


def test_before_it_is_ready_the_order_page_gives_an_estimate_and_no_code(client, shop_a, owner_a):
    # given a shop open every day, but closed today and tomorrow
    for weekday in range(7):
        OpeningPeriod.objects.create(shop=shop_a, weekday=weekday, opens=time(9), closes=time(19))
    today = timezone.localdate()
    Closure.objects.create(shop=shop_a, starts_on=today, ends_on=today + timedelta(days=1))
    order = placed_order(shop_a)
    estimate = Schedule.for_shop(shop_a).ready_by(order.placed_at, timedelta(hours=shop_a.preparation_hours))
    assert estimate.date() == today + timedelta(days=2)

    text = client.get(en("order", order.token)).content.decode()

    assert f"Your order should be ready by {paris(estimate, 'l j F')} at {paris(estimate, 'G:i')}." in text
    assert "Your pickup code" not in text
    assert not re.search(r"<svg[^>]*pickup-qr__image", text)


def test_a_shop_without_opening_hours_gives_no_estimate(client, shop_a):
    order = placed_order(shop_a)

    assert "should be ready by" not in client.get(en("order", order.token)).content.decode()


def test_the_code_is_shown_only_to_the_holder_of_the_order_link_and_only_while_ready(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)
    other = ready_order(shop_a, by=owner_a)
    code = format_pickup_code(order.pickup_code)

    assert code not in client.get(en("order", other.token)).content.decode()
    assert client.get(en("order", "not-the-token")).status_code == 404

    order_collect(order=order, by=owner_a)
    collected = client.get(en("order", order.token)).content.decode()
    assert code not in collected
    assert "Your pickup code" not in collected


# --- The "ready" email -----------------------------------------------------------------


def test_the_ready_email_gives_the_code_the_deadline_and_the_qr_image(client, shop_a, owner_a, settings):
    settings.SITE_URL = "https://drive-solidaire.example"
    order = ready_order(shop_a, by=owner_a, language="en")
    event = order.events.get(to_status=Order.Status.READY)

    email = OutgoingEmail.objects.get(event_key=f"order-event:{event.pk}:customer")

    code = format_pickup_code(order.pickup_code)
    assert f"Your pickup code, to show at the counter: {code}" in email.body_text
    assert deadline_text(order).replace("To collect", "Collect it") in email.body_text
    assert code in email.body_html
    # Email clients block inline SVG and data: URIs: the QR code is an image of the site.
    qr_url = f"https://drive-solidaire.example/en/pickup/{order.token}/qr.png"
    assert f'<img src="{qr_url}"' in email.body_html
    assert "<svg" not in email.body_html
    assert "data:" not in email.body_html
    image = client.get(qr_url.removeprefix(settings.SITE_URL))
    assert image.status_code == 200
    assert qr_modules_of_png(image.content) == qr_modules_of(
        f"https://drive-solidaire.example/counter/?code={order.pickup_code}"
    )


def test_a_french_customer_gets_the_qr_image_at_the_french_address(shop_a, owner_a, settings):
    order = ready_order(shop_a, by=owner_a, language="fr")
    event = order.events.get(to_status=Order.Status.READY)

    email = OutgoingEmail.objects.get(event_key=f"order-event:{event.pk}:customer")

    assert f'<img src="{settings.SITE_URL}/pickup/{order.token}/qr.png"' in email.body_html
    assert format_pickup_code(order.pickup_code) in email.body_text
