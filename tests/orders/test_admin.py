"""The shop's orders in the admin: the list, the count in the menu, the order's page and
its buttons, the bulk actions; and the shop next door refused everywhere."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.models import OutgoingEmail
from orders.models import Order, OrderEvent
from orders.services import order_accept, order_line_mark_unavailable, order_refuse
from tests.factories import ChainStaffFactory, ListingFactory, reserve

pytestmark = pytest.mark.django_db


def en(name, *args, **query):
    with translation.override("en"):
        url = reverse(name, args=args)
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def place(shop, *listings, **customer) -> Order:
    """An order at `shop`, placed through the real checkout (one new listing by default)."""
    return reserve(*(listings or [ListingFactory(shop=shop)]), **customer).orders.get(shop=shop)


def said(response) -> list[str]:
    """The messages shown on the page a POST redirected to (client.post(..., follow=True))."""
    return [str(message) for message in response.context["messages"]]


def order_pages(order):
    """Every admin address that shows or does something about one order."""
    line = order.lines.first()
    return {
        "change": en("admin:orders_order_change", order.pk),
        "history": en("admin:orders_order_history", order.pk),
        "delete": en("admin:orders_order_delete", order.pk),
        **{
            move: en("admin:orders_order_move", order.pk, move)
            for move in ["accept", "refuse", "ready", "collect"]
        },
        "line": en("admin:orders_order_line_unavailable", order.pk, line.pk),
    }


# --- The list ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_a", "colleague_a"])
def test_the_list_shows_the_shops_orders_new_first_then_accepted_ready_and_closed(
    client, request, who, shop_a, shop_b
):
    now = timezone.now()
    statuses = [  # (status, hours ago)
        (Order.Status.COLLECTED, 1),
        (Order.Status.READY, 2),
        (Order.Status.ACCEPTED, 3),
        (Order.Status.PLACED, 5),
        (Order.Status.PLACED, 4),
        (Order.Status.REFUSED, 0),
    ]
    orders = {}
    for status, hours in statuses:
        order = place(shop_a)
        Order.objects.filter(pk=order.pk).update(status=status, placed_at=now - timedelta(hours=hours))
        orders[(status, hours)] = order.reference
    elsewhere = place(shop_b)
    client.force_login(request.getfixturevalue(who))

    response = client.get(en("admin:orders_order_changelist"))

    assert response.status_code == 200
    assert [order.reference for order in response.context["cl"].result_list] == [
        orders[(Order.Status.PLACED, 4)],
        orders[(Order.Status.PLACED, 5)],
        orders[(Order.Status.ACCEPTED, 3)],
        orders[(Order.Status.READY, 2)],
        orders[(Order.Status.REFUSED, 0)],
        orders[(Order.Status.COLLECTED, 1)],
    ]
    assert elsewhere.reference not in response.text
    assert 'class="order-status order-status--placed"' in response.text
    assert "Annick Le Goff" in response.text
    assert "Librairie Alpha" not in response.text  # no shop column for a shop's own people


def test_the_list_counts_the_books_and_the_amount_the_shop_can_serve(client, owner_a, shop_a):
    served = ListingFactory(shop=shop_a, price=Decimal("12.50"), book__list_price=Decimal("12.50"))
    dropped = ListingFactory(shop=shop_a, price=Decimal("30.00"), book__list_price=Decimal("30.00"))
    order = place(shop_a, (served, 2), dropped)
    order_line_mark_unavailable(line=order.lines.get(listing=dropped), by=owner_a)
    client.force_login(owner_a)

    [row] = client.get(en("admin:orders_order_changelist")).context["cl"].result_list

    assert (row.book_count, row.amount) == (2, Decimal("25.00"))


def test_the_list_searches_by_reference_customer_name_and_email(client, owner_a, shop_a):
    annick = place(shop_a, name="Annick Le Goff", email="annick@example.fr")
    yves = place(shop_a, name="Yves Morvan", email="yves.morvan@example.bzh")
    client.force_login(owner_a)
    url = en("admin:orders_order_changelist")

    def found(term):
        return {order.reference for order in client.get(url, {"q": term}).context["cl"].result_list}

    assert found(yves.reference.lower()) == {yves.reference}
    assert found("le goff") == {annick.reference}
    assert found("example.bzh") == {yves.reference}


def test_the_list_filters_by_status(client, owner_a, shop_a):
    new = place(shop_a)
    accepted = order_accept(order=place(shop_a), by=owner_a)
    client.force_login(owner_a)

    response = client.get(en("admin:orders_order_changelist", status__exact="accepted"))

    assert [order.pk for order in response.context["cl"].result_list] == [accepted.pk]
    assert new.reference not in response.text
    with_counts = client.get(en("admin:orders_order_changelist", _facets="True"))
    assert with_counts.status_code == 200
    assert "Placed (1)" in with_counts.text


def test_chain_staff_see_every_shops_orders_and_filter_by_shop(client, shop_a, shop_b):
    alpha, bravo = place(shop_a), place(shop_b)
    client.force_login(ChainStaffFactory())
    url = en("admin:orders_order_changelist")

    everything = client.get(url)
    only_bravo = client.get(url, {"shop__id__exact": shop_b.pk})

    assert {order.pk for order in everything.context["cl"].result_list} == {alpha.pk, bravo.pk}
    assert "Librairie Alpha" in everything.text  # the shop column
    assert [order.pk for order in only_bravo.context["cl"].result_list] == [bravo.pk]


def test_booksellers_have_no_shop_filter(client, owner_a, shop_a):
    place(shop_a)
    client.force_login(owner_a)

    response = client.get(en("admin:orders_order_changelist"))

    assert [spec.title for spec in response.context["cl"].filter_specs] == ["status"]


def test_orders_are_neither_added_nor_deleted_in_the_admin(client, owner_a, shop_a):
    order = place(shop_a)
    client.force_login(owner_a)

    assert client.get(en("admin:orders_order_add")).status_code == 403
    assert client.post(en("admin:orders_order_delete", order.pk), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


def test_the_list_needs_a_constant_number_of_queries(client, owner_a, shop_a, django_assert_max_num_queries):
    for _ in range(20):
        place(shop_a, ListingFactory(shop=shop_a), ListingFactory(shop=shop_a))
    client.force_login(owner_a)

    with django_assert_max_num_queries(12):
        response = client.get(en("admin:orders_order_changelist"))

    assert len(response.context["cl"].result_list) == 20


# --- The count in the menu --------------------------------------------------------------


def test_the_menu_shows_how_many_new_orders_wait(client, owner_a, outsider, shop_a, shop_b):
    place(shop_a)
    place(shop_a)
    order_accept(order=place(shop_a), by=owner_a)
    place(shop_b)

    client.force_login(owner_a)
    home = client.get(en("admin:index"))
    client.force_login(outsider)
    outsiders_home = client.get(en("admin:index"))

    assert '<span class="menu-count" title="2 new orders">2</span>' in home.text
    assert 'title="1 new order">1</span>' in outsiders_home.text


def test_the_menu_count_disappears_when_nothing_is_new(client, owner_a, shop_a):
    order_accept(order=place(shop_a), by=owner_a)
    client.force_login(owner_a)

    assert 'class="menu-count"' not in client.get(en("admin:index")).text


# The home page's menu and every page's header show it (the back office has no sidebar).
@pytest.mark.parametrize("page", ["admin:index", "admin:orders_order_changelist"])
def test_the_menu_count_costs_one_query_per_page(client, owner_a, shop_a, page):
    place(shop_a)
    client.force_login(owner_a)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(en(page))

    assert 'class="menu-count"' in response.text
    counts = [
        query["sql"]
        for query in queries
        if query["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "orders_order"')
        and "'placed'" in query["sql"]
    ]
    assert len(counts) == 1, counts


# --- The order's page -------------------------------------------------------------------


def test_the_order_page_shows_the_customer_the_books_the_amount_and_the_history(client, owner_a, shop_a):
    listing = ListingFactory(
        shop=shop_a, book__title="L'Écume des jours", book__ean="9782253140870", price=Decimal("7.90"),
        book__list_price=Decimal("7.90"),
    )  # fmt: skip
    order = place(shop_a, (listing, 2), name="Annick Le Goff", phone="+33612345678")
    client.force_login(owner_a)

    response = client.get(en("admin:orders_order_change", order.pk))

    assert response.status_code == 200
    for text in ["Annick Le Goff", "annick@example.fr", "+33 6 12 34 56 78", "L&#x27;Écume des jours",
                 "9782253140870", "15.80&nbsp;€", "Held for the customer", "Placed"]:  # fmt: skip
        assert text in response.text, text
    buttons = response.text
    assert ">Accept</button>" in buttons
    assert ">Refuse</button>" in buttons
    assert ">Mark ready</button>" not in buttons
    assert ">Hand over</button>" not in buttons
    assert ">Mark unavailable</button>" in buttons


def test_the_order_page_needs_the_same_queries_whatever_the_number_of_books(client, owner_a, shop_a):
    small = place(shop_a)
    large = place(shop_a, *[ListingFactory(shop=shop_a) for _ in range(8)])
    order_accept(order=small, by=owner_a)
    order_accept(order=large, by=owner_a)
    client.force_login(owner_a)
    client.get(en("admin:orders_order_change", small.pk))  # warm the session and the permissions

    def queries_for(order):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(en("admin:orders_order_change", order.pk)).status_code == 200
        return len(queries)

    assert queries_for(small) == queries_for(large)
    assert queries_for(large) <= 12


@pytest.mark.parametrize("who", ["owner_a", "colleague_a"])
def test_accept_then_mark_ready_then_hand_over(client, request, who, shop_a, capture_on_commit):
    listing = ListingFactory(shop=shop_a, quantity=5)
    order = place(shop_a, (listing, 2), language="en")
    person = request.getfixturevalue(who)
    client.force_login(person)
    pages = order_pages(order)

    with capture_on_commit():
        accepted = client.post(pages["accept"], follow=True)
    order.refresh_from_db()
    assert order.status == Order.Status.ACCEPTED
    assert said(accepted) == [f"Order {order.reference} is accepted; the customer has been told."]
    assert ">Mark ready</button>" in accepted.text
    assert ">Accept</button>" not in accepted.text

    with capture_on_commit():
        ready = client.post(pages["ready"], follow=True)
    order.refresh_from_db()
    assert order.status == Order.Status.READY
    assert ">Hand over</button>" in ready.text

    with capture_on_commit():
        collected = client.post(pages["collect"], follow=True)
    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED
    assert said(collected) == [f"Order {order.reference} is collected; its items have left your stock."]
    listing.refresh_from_db()
    assert (listing.quantity, listing.reserved) == (3, 0)
    assert list(order.events.values_list("from_status", "to_status", "actor")) == [
        ("", "placed", None),
        ("placed", "accepted", person.pk),
        ("accepted", "ready", person.pk),
        ("ready", "collected", person.pk),
    ]
    assert "Placed → Accepted" in collected.text
    assert person.email in collected.text or person.get_full_name() in collected.text
    # Whole rows: a message the worker has not sent yet shows its text when read whole.
    assert sorted(email.subject for email in OutgoingEmail.objects.filter(to="annick@example.fr")) == [
        f"Order {order.reference} accepted",
        f"Order {order.reference} is ready",
        "Your reservation is registered",
    ]


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (Order.Status.PLACED, "ready"),
        (Order.Status.PLACED, "collect"),
        (Order.Status.ACCEPTED, "refuse"),
        (Order.Status.READY, "accept"),
        (Order.Status.COLLECTED, "accept"),
    ],
)
def test_a_move_the_order_does_not_allow_is_refused_with_a_message(client, owner_a, shop_a, status, move):
    order = place(shop_a)
    Order.objects.filter(pk=order.pk).update(status=status)
    events = OrderEvent.objects.count()
    client.force_login(owner_a)

    response = client.post(order_pages(order)[move], {"reason": "Fermé"}, follow=True)

    assert response.status_code == 200
    [message] = said(response)
    assert order.reference in message
    assert "cannot become" in message or "no longer possible" in message
    order.refresh_from_db()
    assert order.status == status
    assert OrderEvent.objects.count() == events


def test_an_unknown_move_is_not_found(client, owner_a, shop_a):
    order = place(shop_a)
    client.force_login(owner_a)

    assert client.post(en("admin:orders_order_move", order.pk, "cancel")).status_code == 404


def test_refusing_asks_for_a_reason_that_the_customer_reads(client, owner_a, shop_a, capture_on_commit):
    listing = ListingFactory(shop=shop_a, quantity=2)
    order = place(shop_a, (listing, 2), language="en")
    client.force_login(owner_a)
    url = order_pages(order)["refuse"]

    form_page = client.get(url)
    empty = client.post(url, {"reason": "   "})
    order.refresh_from_db()
    assert form_page.status_code == 200
    assert "Why can you not serve this order?" in form_page.text
    assert empty.status_code == 200
    assert empty.context["form"].errors["reason"]
    assert order.status == Order.Status.PLACED

    with capture_on_commit():
        done = client.post(url, {"reason": "Le livre est abîmé, désolé."}, follow=True)

    order.refresh_from_db()
    assert order.status == Order.Status.REFUSED
    assert order.refusal_reason == "Le livre est abîmé, désolé."
    assert said(done) == [f"Order {order.reference} is refused; the customer has been told why."]
    assert "Nothing to pay: the order is closed." in done.text
    email = OutgoingEmail.objects.get(to="annick@example.fr", subject__contains="refused")
    assert "Le livre est abîmé, désolé." in email.body_text
    assert email.status == OutgoingEmail.Status.SENT
    listing.refresh_from_db()
    assert listing.reserved == 0


def test_a_book_marked_unavailable_goes_back_on_sale_and_the_order_goes_on(
    client, owner_a, shop_a, capture_on_commit
):
    kept = ListingFactory(shop=shop_a, quantity=3)
    damaged = ListingFactory(shop=shop_a, quantity=3, book__title="Le Livre Abîmé")
    order = place(shop_a, kept, (damaged, 2), language="en")
    line = order.lines.get(listing=damaged)
    client.force_login(owner_a)
    url = en("admin:orders_order_line_unavailable", order.pk, line.pk)

    form_page = client.get(url)
    with capture_on_commit():
        done = client.post(url, {"reason": "Couverture déchirée"}, follow=True)

    assert form_page.status_code == 200
    assert "Le Livre Abîmé" in form_page.text
    assert "refuses the whole order" not in form_page.text
    line.refresh_from_db()
    assert (line.is_unavailable, line.unavailable_reason) == (True, "Couverture déchirée")
    damaged.refresh_from_db()
    kept.refresh_from_db()
    assert (damaged.reserved, kept.reserved) == (0, 1)
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert said(done) == [
        f"“Le Livre Abîmé” is marked unavailable; the customer has been told and the rest of order "
        f"{order.reference} goes on."
    ]
    assert "Couverture déchirée" in done.text
    email = OutgoingEmail.objects.get(to="annick@example.fr", subject__contains="is unavailable")
    assert "Couverture déchirée" in email.body_text


def test_the_last_book_marked_unavailable_refuses_the_order(client, owner_a, shop_a):
    order = place(shop_a)
    line = order.lines.get()
    client.force_login(owner_a)
    url = en("admin:orders_order_line_unavailable", order.pk, line.pk)

    warning = client.get(url)
    done = client.post(url, {"reason": ""}, follow=True)

    assert "refuses the whole order" in warning.text
    order.refresh_from_db()
    assert order.status == Order.Status.REFUSED
    assert "the order is refused" in said(done)[0]


def test_lines_no_longer_change_once_the_order_is_ready(client, owner_a, shop_a):
    order = order_accept(order=place(shop_a), by=owner_a)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.READY)
    line = order.lines.get()
    client.force_login(owner_a)

    page = client.get(en("admin:orders_order_change", order.pk))
    response = client.post(en("admin:orders_order_line_unavailable", order.pk, line.pk), follow=True)

    assert "Mark unavailable" not in page.text
    assert "its lines can no longer change" in said(response)[0]
    line.refresh_from_db()
    assert not line.is_unavailable


def test_a_line_of_another_order_is_not_found(client, owner_a, shop_a):
    order, other = place(shop_a), place(shop_a)
    client.force_login(owner_a)

    response = client.post(en("admin:orders_order_line_unavailable", order.pk, other.lines.get().pk))

    assert response.status_code == 404
    assert not other.lines.get().is_unavailable


# --- Bulk actions -----------------------------------------------------------------------


def test_accepting_in_bulk_moves_exactly_the_selected_orders_and_says_which_could_not(
    client, owner_a, shop_a
):
    chosen = [place(shop_a) for _ in range(2)]
    refused = order_refuse(order=place(shop_a), by=owner_a, reason="Fermé")
    left = place(shop_a)
    client.force_login(owner_a)

    response = client.post(
        en("admin:orders_order_changelist"),
        {"action": "accept_selected", "_selected_action": [order.pk for order in [*chosen, refused]]},
        follow=True,
    )

    assert [order.status for order in Order.objects.filter(pk__in=[o.pk for o in chosen])] == ["accepted"] * 2
    left.refresh_from_db()
    refused.refresh_from_db()
    assert (left.status, refused.status) == ("placed", "refused")
    moved, problems = said(response)
    assert moved == "2 orders moved to “accepted”."
    assert problems.startswith("1 order was left as it was:")
    assert refused.reference in problems


def test_marking_ready_in_bulk_moves_exactly_the_selected_orders(client, owner_a, shop_a):
    chosen = [order_accept(order=place(shop_a), by=owner_a) for _ in range(2)]
    left = order_accept(order=place(shop_a), by=owner_a)
    client.force_login(owner_a)

    client.post(
        en("admin:orders_order_changelist"),
        {"action": "mark_ready_selected", "_selected_action": [order.pk for order in chosen]},
    )

    assert set(Order.objects.filter(pk__in=[o.pk for o in chosen]).values_list("status", flat=True)) == {
        "ready"
    }
    left.refresh_from_db()
    assert left.status == "accepted"


# --- The shop next door, and the chain's staff ------------------------------------------


def test_a_bookseller_of_another_shop_cannot_see_open_or_act_on_an_order(client, outsider, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=3)
    order = place(shop_a, (listing, 2))
    client.force_login(outsider)
    pages = order_pages(order)
    emails, events = OutgoingEmail.objects.count(), OrderEvent.objects.count()

    assert order.reference not in client.get(en("admin:orders_order_changelist")).text
    assert (
        not client.get(en("admin:orders_order_changelist"), {"q": order.reference}).context["cl"].result_list
    )
    for name, url in pages.items():
        for response in (client.get(url), client.post(url, {"reason": "Pris par un autre", "post": "yes"})):
            assert response.status_code in (403, 404), (name, response.status_code)
            assert order.reference not in response.content.decode(), name
    for action in ["accept_selected", "mark_ready_selected"]:
        client.post(en("admin:orders_order_changelist"), {"action": action, "_selected_action": [order.pk]})

    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert not order.lines.filter(is_unavailable=True).exists()
    listing.refresh_from_db()
    assert (listing.quantity, listing.reserved) == (3, 2)
    assert (OutgoingEmail.objects.count(), OrderEvent.objects.count()) == (emails, events)


def test_chain_staff_read_any_order_but_leave_the_moves_to_the_shop(client, shop_a):
    order = place(shop_a)
    client.force_login(ChainStaffFactory())
    pages = order_pages(order)

    page = client.get(pages["change"])
    accepted = client.post(pages["accept"])
    bulk = client.post(
        en("admin:orders_order_changelist"), {"action": "accept_selected", "_selected_action": [order.pk]}
    )

    assert page.status_code == 200
    assert "Librairie Alpha" in page.text
    assert not any(f"/move/{move}/" in page.text for move in ["accept", "refuse"])
    assert "Mark unavailable" not in page.text
    assert accepted.status_code == 403
    assert bulk.status_code in (200, 302)
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
