"""The counter: a member of a shop types or scans a pickup code, sees the order, hands it
over. Nobody learns anything about another shop's orders, and guessing codes is stopped
after a few wrong ones (per person and per shop, over 15 minutes)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Listing
from orders.models import Order, OrderEvent
from orders.pickup_codes import format_pickup_code
from orders.services import (
    order_accept,
    order_cancel,
    order_collect,
    order_expire,
    order_line_mark_unavailable,
)
from pickup.models import CodeAttempt
from pickup.services import MAX_WRONG_PER_SHOP, MAX_WRONG_PER_USER, WINDOW
from shops.models import Membership
from tests.factories import ChainStaffFactory, ListingFactory, MembershipFactory, ShopFactory, UserFactory
from tests.pickup.counter_helpers import (
    counter_url,
    en,
    hand_over,
    look_up,
    placed_order,
    ready_order,
    set_aside,
)

pytestmark = pytest.mark.django_db

WRONG_CODE = "XXXX-XXXX"
NO_ORDER_AT_ALPHA = "No order ready with this code at Librairie Alpha."


def answer_of(page) -> str:
    """The page without its title and the form's echo of what was typed: what it says."""
    text = page.content.decode()
    return text[text.index("</form>", text.index("counter-code")) :]


def type_wrong_codes(client, count: int, *, shop=None) -> None:
    for _ in range(count):
        assert NO_ORDER_AT_ALPHA in look_up(client, WRONG_CODE, shop=shop).content.decode()


def stock(listing: Listing) -> tuple[int, int]:
    listing.refresh_from_db()
    return listing.quantity, listing.reserved


# --- Handing over ----------------------------------------------------------------------


def test_the_right_code_shows_the_order_and_hand_over_collects_it(client, shop_a, owner_a):
    # given a ready order of two copies of one book and one copy the shop could not serve
    germinal = ListingFactory(shop=shop_a, quantity=5, price=Decimal("9.90"), book__title="Germinal")
    nana = ListingFactory(shop=shop_a, quantity=1, price=Decimal("7.50"), book__title="Nana")
    order = placed_order(shop_a, (germinal, 2), nana)
    order_accept(order=order, by=owner_a)
    order_line_mark_unavailable(line=order.lines.get(title="Nana"), by=owner_a, reason="Abîmé")
    order = set_aside(order, by=owner_a)
    client.force_login(owner_a)

    # when the bookseller types the code the customer shows
    page = look_up(client, format_pickup_code(order.pickup_code))

    # then they see the order, what to take and until when it waits
    assert page.status_code == 200
    text = page.content.decode()
    assert order.reference in text
    assert "Annick Le Goff" in text
    assert "Germinal" in text
    assert "2 × 9.90" in text
    assert "<del>Nana</del>" in text
    assert "Amount due: <strong>19.80&nbsp;€</strong>" in text
    assert "To collect by " in text
    assert 'type="submit" class="button counter__button">Hand over</button>' in text
    # showing it hands nothing over
    order.refresh_from_db()
    assert order.status == Order.Status.READY

    # when they hand it over
    done = hand_over(client, order, code=order.pickup_code, shop=shop_a)

    # then the order is collected by them and the copies leave the stock
    assert f"Handed over: {order.reference}." in done.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED
    event = order.events.get(to_status=Order.Status.COLLECTED)
    assert (event.actor, event.actor_kind) == (owner_a, OrderEvent.Actor.SHOP)
    assert stock(germinal) == (3, 0)
    assert stock(nana) == (1, 0)


def test_case_spaces_and_dashes_do_not_matter(client, shop_a, owner_a, colleague_a):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(colleague_a)
    typed = " " + " ".join(format_pickup_code(order.pickup_code).lower()) + " "

    page = look_up(client, typed)

    assert order.reference in page.content.decode()
    assert "Hand over" in page.content.decode()


def test_a_code_of_the_wrong_length_is_not_looked_up(client, shop_a, owner_a):
    client.force_login(owner_a)

    page = look_up(client, "ACDE-FGH")

    assert "A pickup code has 8 letters and digits" in page.content.decode()
    assert not CodeAttempt.objects.exists()


def test_a_code_with_characters_no_code_uses_names_them_and_is_not_looked_up(client, shop_a, owner_a):
    client.force_login(owner_a)
    with translation.override("fr"):
        french_counter = reverse("counter")

    zero = look_up(client, "ACDE-FGH0")  # eight characters, but no code has a 0
    two = look_up(client, "oCDE-1GHJ")
    in_french = client.post(french_counter, {"code": "ACDE-FGHI"})

    assert (
        "A pickup code never uses “0”, a character too easily mistaken for another: check the code shown."
        in zero.content.decode()
    )
    assert "never uses “O” or “1”, characters too easily mistaken for others" in two.content.decode()
    assert "Un code de retrait n’utilise jamais «\u00a0I\u00a0»" in in_french.content.decode()
    assert "8 letters" not in zero.content.decode()
    assert not CodeAttempt.objects.exists()


def test_a_double_post_hands_over_once(client, shop_a, owner_a):
    listing = ListingFactory(shop=shop_a, quantity=5)
    order = ready_order(shop_a, (listing, 2), by=owner_a)
    client.force_login(owner_a)

    first = hand_over(client, order, code=order.pickup_code, shop=shop_a)
    second = hand_over(client, order, code=order.pickup_code, shop=shop_a)

    assert f"Handed over: {order.reference}." in first.content.decode()
    assert f"Order {order.reference} was already collected on " in second.content.decode()
    assert order.events.filter(to_status=Order.Status.COLLECTED).count() == 1
    assert stock(listing) == (3, 0)


def test_opening_the_qr_link_never_hands_over_by_itself(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(owner_a)

    for _ in range(2):
        assert look_up(client, order.pickup_code).status_code == 200
    assert client.get(en("counter_hand_over")).status_code == 405

    order.refresh_from_db()
    assert order.status == Order.Status.READY


def test_a_link_with_a_code_only_fills_the_form_in(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(owner_a)

    page = client.get(counter_url(code=order.pickup_code))

    assert page.status_code == 200
    assert f'value="{order.pickup_code}"' in page.content.decode()
    assert order.reference not in page.content.decode()  # not looked up: nothing shown yet
    assert not CodeAttempt.objects.exists()


def test_links_sent_to_a_bookseller_cannot_lock_the_counter_out(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(owner_a)

    for _ in range(30):  # a page of hidden images pointing at the counter with wrong codes
        assert client.get(counter_url(code=WRONG_CODE)).status_code == 200

    assert not CodeAttempt.objects.exists()
    assert order.reference in look_up(client, order.pickup_code).content.decode()


def test_a_look_up_needs_the_pages_csrf_token(shop_a, owner_a):
    from django.test import Client

    order = ready_order(shop_a, by=owner_a)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner_a)

    assert look_up(browser, order.pickup_code).status_code == 403
    assert not CodeAttempt.objects.exists()


def test_every_attempt_is_recorded(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(owner_a)

    look_up(client, WRONG_CODE)
    look_up(client, order.pickup_code.lower())
    hand_over(client, order, code=order.pickup_code, shop=shop_a)

    attempts = CodeAttempt.objects.order_by("created_at", "pk")
    assert [(a.shop, a.user, a.code, a.succeeded) for a in attempts] == [
        (shop_a, owner_a, "XXXXXXXX", False),
        (shop_a, owner_a, order.pickup_code, True),
        (shop_a, owner_a, order.pickup_code, True),
    ]


# --- What the counter says -------------------------------------------------------------


def test_a_wrong_code_and_another_shops_code_get_the_same_answer(client, shop_a, owner_a, shop_b, outsider):
    elsewhere = ready_order(shop_b, by=outsider)
    client.force_login(owner_a)

    unknown = look_up(client, WRONG_CODE)
    other_shops = look_up(client, elsewhere.pickup_code)

    assert NO_ORDER_AT_ALPHA in unknown.content.decode()
    assert answer_of(other_shops) == answer_of(unknown)
    assert other_shops.status_code == unknown.status_code == 200
    assert elsewhere.reference not in other_shops.content.decode()


def test_an_order_already_collected_says_when(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)
    order_collect(order=order, by=owner_a)
    collected_at = order.events.get(to_status=Order.Status.COLLECTED).created_at
    client.force_login(owner_a)

    text = look_up(client, order.pickup_code).content.decode()

    when = timezone.localtime(collected_at)
    assert f"Order {order.reference} was already collected on " in text
    assert f"{when:%Y}" in text
    assert f"{when.day}" in text
    assert "Hand over" not in text


@pytest.mark.parametrize(
    ("end", "message"),
    [
        (lambda order, by: order_expire(order=order), "has expired: it was not collected by "),
        (lambda order, by: order_cancel(order=order), "was cancelled: there is nothing to hand over."),
    ],
    ids=["expired", "cancelled"],
)
def test_an_order_that_ended_says_so(client, shop_a, owner_a, end, message):
    order = ready_order(shop_a, by=owner_a)
    end(order, owner_a)
    client.force_login(owner_a)

    text = look_up(client, order.pickup_code).content.decode()

    assert f"Order {order.reference} {message}" in text
    assert "Hand over" not in text
    response = hand_over(client, order, code=order.pickup_code, shop=shop_a)
    assert f"Order {order.reference} {message}" in response.content.decode()
    order.refresh_from_db()
    assert order.status != Order.Status.COLLECTED


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Order.Status.ACCEPTED, "is not ready yet (status: accepted)."),
        (Order.Status.REFUSED, "was refused: there is nothing to hand over."),
    ],
)
def test_an_order_of_the_shop_that_is_not_waiting_says_its_status(client, shop_a, owner_a, status, message):
    # No move gives a code to an order that is not ready (codes come with "ready"); if
    # one ever has a code in another status, the counter tells the truth and hands nothing.
    order = placed_order(shop_a)
    Order.objects.filter(pk=order.pk).update(status=status, pickup_code="ACDEFGHJ")
    client.force_login(owner_a)

    text = look_up(client, "ACDE-FGHJ").content.decode()

    assert f"Order {order.reference} {message}" in text
    assert "Hand over" not in text


# --- Guessing --------------------------------------------------------------------------


def test_after_five_wrong_codes_even_the_right_one_is_refused_for_a_while(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(owner_a)
    type_wrong_codes(client, MAX_WRONG_PER_USER)

    locked = look_up(client, order.pickup_code)

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60
    text = locked.content.decode()
    assert "Too many wrong codes. Try again in 15 minutes." in text
    assert order.reference not in text
    # nor can the order be handed over meanwhile
    refused = hand_over(client, order, code=order.pickup_code, shop=shop_a)
    assert "Too many wrong codes." in refused.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.READY


def test_the_lock_lifts_as_wrong_codes_leave_the_window(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(owner_a)
    type_wrong_codes(client, MAX_WRONG_PER_USER)
    oldest = CodeAttempt.objects.order_by("created_at").first()

    # 14 minutes later for the oldest wrong code: one minute to wait
    CodeAttempt.objects.filter(pk=oldest.pk).update(created_at=oldest.created_at - timedelta(minutes=14))
    assert "Try again in 1 minute." in look_up(client, order.pickup_code).content.decode()

    # once it is out of the window, four wrong codes are left: the right code works again
    CodeAttempt.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - WINDOW - timedelta(seconds=1))
    page = look_up(client, order.pickup_code)
    assert page.status_code == 200
    assert order.reference in page.content.decode()
    # and one more wrong code locks again
    type_wrong_codes(client, 1)
    assert look_up(client, order.pickup_code).status_code == 429


def test_guessing_through_the_hand_over_form_counts_too(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(owner_a)

    for _ in range(MAX_WRONG_PER_USER):
        response = hand_over(client, order, code="XXXXXXXX", shop=shop_a)
        assert NO_ORDER_AT_ALPHA in response.content.decode()

    assert look_up(client, order.pickup_code).status_code == 429
    order.refresh_from_db()
    assert order.status == Order.Status.READY


def test_a_person_locked_out_at_one_shop_is_locked_out_at_all_their_counters(client, shop_a, owner_a, shop_b):
    Membership.objects.create(user=owner_a, shop=shop_b)
    order_b = ready_order(shop_b, by=owner_a)
    client.force_login(owner_a)
    type_wrong_codes(client, MAX_WRONG_PER_USER, shop=shop_a)

    assert look_up(client, order_b.pickup_code, shop=shop_b).status_code == 429


def test_twenty_wrong_codes_at_a_shop_lock_its_counter_for_everyone(
    client, shop_a, owner_a, shop_b, outsider
):
    order = ready_order(shop_a, by=owner_a)
    order_b = ready_order(shop_b, by=outsider)
    per_person = MAX_WRONG_PER_USER - 1  # each under their own limit
    for _ in range(MAX_WRONG_PER_SHOP // per_person):
        client.force_login(MembershipFactory(shop=shop_a).user)
        type_wrong_codes(client, per_person)

    client.force_login(owner_a)  # who typed nothing wrong
    locked = look_up(client, order.pickup_code)
    assert locked.status_code == 429
    assert "Too many wrong codes. Try again in 15 minutes." in locked.content.decode()

    # another shop's counter is not concerned
    client.force_login(outsider)
    assert order_b.reference in look_up(client, order_b.pickup_code).content.decode()


# --- Who may use the counter -----------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in_and_come_back_with_the_code(client, shop_a, owner_a):
    order = ready_order(shop_a, by=owner_a)

    page = client.get(counter_url(code=order.pickup_code))

    assert look_up(client, order.pickup_code).status_code == 302
    assert page.status_code == 302
    assert page["Location"].startswith(en("admin:login"))
    assert f"code%3D{order.pickup_code}" in page["Location"]
    assert client.post(en("counter_hand_over"), {"order": order.pk}).status_code == 302
    assert not CodeAttempt.objects.exists()


@pytest.mark.parametrize("who", ["chain_staff", "customer"])
def test_people_without_a_shop_are_refused(client, shop_a, owner_a, who):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(ChainStaffFactory() if who == "chain_staff" else UserFactory())

    assert look_up(client, order.pickup_code).status_code == 403
    response = client.post(
        en("counter_hand_over"), {"order": order.pk, "code": order.pickup_code, "shop": shop_a.pk}
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.READY


def test_a_bookseller_of_another_shop_cannot_open_its_counter_nor_find_its_orders(
    client, shop_a, owner_a, colleague_a, outsider
):
    order = ready_order(shop_a, by=owner_a)

    # the owner's colleague serves at the same counter
    client.force_login(colleague_a)
    assert order.reference in look_up(client, order.pickup_code).content.decode()

    # the bookseller of another shop: not that counter, and nothing found at theirs
    client.force_login(outsider)
    assert look_up(client, order.pickup_code, shop=shop_a).status_code == 404
    text = look_up(client, order.pickup_code).content.decode()
    assert "No order ready with this code at Librairie Bravo." in text
    assert order.reference not in text


def test_handing_over_another_shops_order_is_refused(client, shop_a, owner_a, shop_b, outsider):
    order = ready_order(shop_a, by=owner_a)
    client.force_login(outsider)

    # posted as their own counter's: the same answer as a wrong code
    response = hand_over(client, order, code=order.pickup_code, shop=shop_b)
    assert "No order ready with this code at Librairie Bravo." in response.content.decode()
    # posted as the other shop's counter: not found
    response = client.post(
        en("counter_hand_over"), {"order": order.pk, "code": order.pickup_code, "shop": shop_a.pk}
    )
    assert response.status_code == 404

    order.refresh_from_db()
    assert order.status == Order.Status.READY
    assert CodeAttempt.objects.get().succeeded is False


def test_a_member_of_two_shops_chooses_the_counter_and_it_is_remembered(client, shop_a, owner_a):
    zulu = ShopFactory(trade_name="Librairie Zulu")
    Membership.objects.create(user=owner_a, shop=zulu)
    order_zulu = ready_order(zulu, by=owner_a)
    client.force_login(owner_a)

    # the first shop by name, and a choice of both
    page = client.get(counter_url()).content.decode()
    assert f'<option value="{shop_a.pk}" selected>Librairie Alpha' in page
    assert f'<option value="{zulu.pk}">Librairie Zulu' in page
    assert NO_ORDER_AT_ALPHA in look_up(client, order_zulu.pickup_code).content.decode()

    # once Zulu is chosen, the counter stays Zulu's, also for a scanned link without a shop
    client.get(counter_url(shop=zulu))
    text = look_up(client, order_zulu.pickup_code).content.decode()
    assert order_zulu.reference in text
    done = hand_over(client, order_zulu, code=order_zulu.pickup_code, shop=zulu)
    assert f"Handed over: {order_zulu.reference}." in done.content.decode()


def test_the_admin_home_links_to_the_counter_for_shop_members_only(client, owner_a):
    client.force_login(owner_a)
    assert "Counter (hand over an order)" in client.get(en("admin:index")).content.decode()
    assert f'href="{en("counter")}"' in client.get(en("admin:index")).content.decode()

    client.force_login(ChainStaffFactory())
    assert "Counter (hand over an order)" not in client.get(en("admin:index")).content.decode()


def test_the_counter_links_back_to_the_bookseller_space(client, owner_a):
    client.force_login(owner_a)

    page = client.get(counter_url()).content.decode()

    assert f'href="{en("admin:index")}"' in page
    assert 'autocapitalize="characters"' in page
    assert 'autocomplete="off"' in page


def test_order_ids_cannot_be_probed_through_the_hand_over_form(client, shop_a, shop_b, owner_a):
    elsewhere = ready_order(shop_b, by=None)
    client.force_login(owner_a)

    answers = [
        client.post(
            en("counter_hand_over"), {"order": order_id, "code": WRONG_CODE, "shop": shop_a.pk}, follow=True
        )
        for order_id in (elsewhere.pk, elsewhere.pk + 1000, 2**63 - 1)
    ]

    texts = [answer.content.decode() for answer in answers]
    assert {answer.status_code for answer in answers} == {200}
    assert all(NO_ORDER_AT_ALPHA in text for text in texts)
    assert CodeAttempt.objects.filter(user=owner_a, succeeded=False).count() == 3
    elsewhere.refresh_from_db()
    assert elsewhere.status == Order.Status.READY
