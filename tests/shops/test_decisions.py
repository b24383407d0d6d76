import re
from functools import partial

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from marketplace.models import OutgoingEmail
from shops import roles, services
from shops.models import Membership, Shop, ShopStatusChange
from tests.factories import BooksellerFactory, ChainStaffFactory, ShopFactory, UserFactory
from tests.race import at_once

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def staff():
    return ChainStaffFactory(email="camille@chain.example")


@pytest.fixture
def application():
    return ShopFactory(
        status=Shop.Status.PENDING,
        trade_name="Les Mots Voyageurs",
        contact_email="Yann@Mots-Voyageurs.fr",
        contact_first_name="Yann",
        contact_last_name="Le Gall",
        language="en",
    )


def set_password_link(body: str) -> str:
    return re.search(r"http://[^\s]+/set-password/[^\s]+/", body).group(0)


def test_approval_creates_the_owner_and_sends_a_set_password_link(
    client, staff, application, capture_on_commit, mailoutbox
):
    # when
    with capture_on_commit():
        services.shop_approve(shop=application, by=staff, note="Welcome aboard!")

    # then
    application.refresh_from_db()
    assert application.status == Shop.Status.APPROVED
    owner = User.objects.get(email__iexact="yann@mots-voyageurs.fr")
    assert owner.is_staff
    assert not owner.is_superuser
    assert not owner.has_usable_password()
    assert list(owner.groups.values_list("name", flat=True)) == [roles.BOOKSELLERS]
    assert Membership.objects.get(user=owner, shop=application).role == Membership.Role.OWNER
    change = application.status_changes.last()
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        "pending",
        "approved",
        staff,
        "Welcome aboard!",
    )

    [email] = mailoutbox
    assert email.to == ["Yann@Mots-Voyageurs.fr"]
    assert "Les Mots Voyageurs" in email.body
    assert "Welcome aboard!" in email.body
    link = set_password_link(email.body)

    # and the link lets the owner choose a password, then log in
    form_page = client.get(link.replace("http://127.0.0.1:8000", ""), follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "A-long-bookshop-secret", "new_password2": "A-long-bookshop-secret"},
    )
    assert done.status_code == 302
    # (the bookseller space's log-in form: client.login() would bypass the lockout checks)
    logged_in = client.post(
        reverse("admin:login"), {"username": "yann@mots-voyageurs.fr", "password": "A-long-bookshop-secret"}
    )
    assert logged_in.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_approval_email_is_sent_exactly_once_when_staff_approve_twice(
    staff, application, capture_on_commit, mailoutbox
):
    with capture_on_commit():
        services.shop_approve(shop=application, by=staff)
    with capture_on_commit():
        services.shop_approve(shop=application, by=staff)

    assert len(mailoutbox) == 1
    assert application.status_changes.filter(to_status=Shop.Status.APPROVED).count() == 1
    assert OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_staff_approving_at_the_same_moment_send_one_email(mailoutbox):
    # given two members of staff on the same pending application
    first, second = ChainStaffFactory(), ChainStaffFactory()
    shop = ShopFactory(status=Shop.Status.PENDING)

    # when both click "Approve" at once
    results = at_once(*(partial(services.shop_approve, shop=shop, by=user) for user in (first, second)))
    errors = [result for result in results if isinstance(result, Exception)]

    # then the row lock lets one of them approve; the other finds it done
    assert errors == []
    assert ShopStatusChange.objects.filter(shop=shop, to_status=Shop.Status.APPROVED).count() == 1
    assert len(mailoutbox) == 1
    assert Membership.objects.filter(shop=shop).count() == 1


def test_an_owner_who_already_has_an_account_keeps_it(staff, capture_on_commit, mailoutbox):
    existing = BooksellerFactory(email="yann@mots-voyageurs.fr")
    ShopFactory(status=Shop.Status.APPROVED).members.add(existing, through_defaults={"role": "owner"})
    second_shop = ShopFactory(
        status=Shop.Status.PENDING, contact_email="yann@mots-voyageurs.fr", language="en"
    )

    with capture_on_commit():
        services.shop_approve(shop=second_shop, by=staff)

    assert User.objects.filter(email__iexact="yann@mots-voyageurs.fr").count() == 1
    existing.refresh_from_db()
    assert existing.has_usable_password()
    assert existing.shops.count() == 2
    assert "/set-password/" not in mailoutbox[0].body


def test_a_rejection_needs_a_reason_and_sends_it(staff, application, capture_on_commit, mailoutbox):
    with translation.override("en"), pytest.raises(services.ShopStatusError, match="reason"):
        services.shop_reject(shop=application, by=staff, reason="   ")

    with capture_on_commit():
        services.shop_reject(shop=application, by=staff, reason="The SIRET belongs to a bakery.")

    application.refresh_from_db()
    assert application.status == Shop.Status.REJECTED
    [email] = mailoutbox
    assert "The SIRET belongs to a bakery." in email.body
    assert "The SIRET belongs to a bakery." in email.alternatives[0][0]
    assert not User.objects.filter(email__iexact=application.contact_email).exists()


def test_a_rejected_application_cannot_be_approved(staff, application):
    services.shop_reject(shop=application, by=staff, reason="Not a bookshop.")

    with translation.override("en"), pytest.raises(services.ShopStatusError, match="cannot be moved to"):
        services.shop_approve(shop=application, by=staff)

    application.refresh_from_db()
    assert application.status == Shop.Status.REJECTED
    assert not Membership.objects.exists()


def test_a_shop_is_suspended_with_a_reason_then_reinstated(staff, capture_on_commit, mailoutbox):
    shop = ShopFactory(status=Shop.Status.APPROVED, language="en")

    with capture_on_commit():
        services.shop_suspend(shop=shop, by=staff, reason="Orders left unanswered for two weeks.")
    with capture_on_commit():
        services.shop_reinstate(shop=shop, by=staff)

    shop.refresh_from_db()
    assert shop.status == Shop.Status.APPROVED
    assert list(shop.status_changes.values_list("from_status", "to_status")) == [
        ("approved", "suspended"),
        ("suspended", "approved"),
    ]
    suspended, reinstated = mailoutbox
    assert "Orders left unanswered for two weeks." in suspended.body
    assert "back on Drive Solidaire" in reinstated.subject


@pytest.mark.parametrize(
    ("status", "service", "arguments"),
    [
        (Shop.Status.SUSPENDED, services.shop_approve, {}),
        (Shop.Status.PENDING, services.shop_suspend, {"reason": "x"}),
        (Shop.Status.PENDING, services.shop_reinstate, {}),
        (Shop.Status.REJECTED, services.shop_suspend, {"reason": "x"}),
        (Shop.Status.APPROVED, services.shop_reject, {"reason": "x"}),
    ],
)
def test_moves_the_state_machine_forbids_are_refused(staff, status, service, arguments):
    shop = ShopFactory(status=status)

    with pytest.raises(services.ShopStatusError):
        service(shop=shop, by=staff, **arguments)

    shop.refresh_from_db()
    assert shop.status == status
    assert not shop.status_changes.exists()
    assert not OutgoingEmail.objects.exists()


def test_only_reviewers_may_decide(application):
    bookseller = BooksellerFactory()
    customer = UserFactory()

    for person in (bookseller, customer):
        with pytest.raises(PermissionDenied):
            services.shop_approve(shop=application, by=person)

    application.refresh_from_db()
    assert application.status == Shop.Status.PENDING


def test_the_approval_email_is_in_the_applicants_language(staff, capture_on_commit, mailoutbox):
    shop = ShopFactory(status=Shop.Status.PENDING, trade_name="Le Chat qui Lit", language="fr")

    with capture_on_commit():
        services.shop_approve(shop=shop, by=staff)

    [email] = mailoutbox
    assert email.subject == "Votre boutique est maintenant sur Drive Solidaire"
    assert "/en/" not in set_password_link(email.body)
