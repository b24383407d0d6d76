"""A games-and-toys shop, the whole way, in real Chromium and in French (issue 18): it
applies, head office approves it, its till lists a board game by its EAN through the
API, and a customer near the drive finds it, reserves it and collects it."""

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from catalog.models import Book, Listing
from marketplace.models import OutgoingEmail
from orders.models import Order
from shops.models import Shop
from tests.factories import ChainStaffFactory, DriveFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOARD_GAME_EAN = "3760052142000"
PHONE_SIZE = {"width": 390, "height": 844}
OWNER_EMAIL = "gaelle@ludotheque-lorient.fr"
OWNER_PASSWORD = "Des-des-et-des-pions-2026"
STAFF_EMAIL = "camille@chain.example"
STAFF_PASSWORD = "correct horse battery staple"  # the factories' password


def logs_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/admin/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def the_shop_applies(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/shops/apply/")
    page.get_by_label("Nom de la boutique").fill("La Ludothèque")
    page.get_by_label("Raison sociale").fill("SARL La Ludothèque")
    page.get_by_label("SIRET").fill("732 829 320 00074")
    page.get_by_role("checkbox", name="Jeux et jouets").check()
    page.get_by_label("Adresse", exact=True).fill("8 rue des Fontaines")
    page.get_by_label("Code postal").fill("56100")
    expect(page.get_by_role("checkbox", name=re.compile("Drive Lorient Keryado"))).to_be_checked()
    page.get_by_label("Ville", exact=True).fill("Lorient")
    page.get_by_label("Téléphone de la boutique").fill("02 97 21 00 00")
    page.get_by_label("E-mail de la boutique").fill("bonjour@ludotheque-lorient.fr")
    page.get_by_label("Votre prénom").fill("Gaëlle")
    page.get_by_label("Votre nom").fill("Le Bihan")
    page.get_by_label("Votre e-mail").fill(OWNER_EMAIL)
    page.get_by_role("button", name="Envoyer ma candidature").click()
    expect(page.get_by_role("heading", name="Merci, votre candidature est bien reçue")).to_be_visible()


def head_office_approves(page: Page, base_url: str, shop: Shop) -> None:
    logs_in(page, base_url, STAFF_EMAIL, STAFF_PASSWORD)
    page.goto(f"{base_url}/admin/shops/shop/{shop.pk}/change/")
    page.get_by_role("link", name="Approuver").click()
    page.get_by_role("button", name="Approuver").click()
    expect(page.locator(".messagelist")).to_contain_text("La Ludothèque")
    page.context.clear_cookies()


def the_owner_sets_a_password_and_makes_an_api_key(page: Page, base_url: str) -> str:
    email = (
        OutgoingEmail.objects.filter(to=OWNER_EMAIL).exclude(subject__icontains="candidature").latest("pk")
    )
    link = re.search(r"http://\S+/set-password/\S+/", email.body_text).group(0)
    page.goto(link.replace("http://127.0.0.1:8000", base_url))
    page.get_by_label("Nouveau mot de passe", exact=True).fill(OWNER_PASSWORD)
    page.get_by_label("Confirmation du nouveau mot de passe").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    expect(page.get_by_text("Votre mot de passe est enregistré")).to_be_visible()

    logs_in(page, base_url, OWNER_EMAIL, OWNER_PASSWORD)
    page.goto(f"{base_url}/admin/shops/shopapitoken/add/")
    page.get_by_label("Nom").fill("Caisse du magasin")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    key = page.locator("#api-key").input_value()
    page.context.clear_cookies()
    return key


def the_till_lists_a_board_game(base_url: str, key: str) -> dict:
    body = {
        "items": [
            {"ean": BOARD_GAME_EAN, "kind": "board-game", "title": "Mysterium", "quantity": 2, "price": "41.90",
             "list_price": "44.90", "attributes": {"brand": "Libellud", "age-range": "10-99", "players": "2-7"}},
        ]
    }  # fmt: skip
    request = urllib.request.Request(
        f"{base_url}/api/v1/stock/listings/bulk/",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Accept-Language": "fr",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # the live test server
        return json.load(response)


def the_customer_finds_and_reserves_it(page: Page, base_url: str) -> str:
    page.set_viewport_size(PHONE_SIZE)
    page.goto(f"{base_url}/")
    page.get_by_label("Ville ou code postal").fill("Lorient")
    page.get_by_role("button", name="Trouver mon drive").click()
    page.get_by_role("button", name="Choisir Drive Lorient Keryado").click()

    search = page.locator("#header-q")
    search.fill("libellud")
    search.press("Enter")
    result = page.locator(".book-result").filter(has_text="Mysterium")
    expect(result).to_contain_text("Jeu de société · Libellud · 10 à 99")
    result.get_by_role("link", name="Mysterium").click()
    expect(page.get_by_role("heading", name="Mysterium", level=1)).to_be_visible()
    expect(page.locator(".meta")).to_contain_text("Prix conseillé")
    page.locator(".offer").filter(has_text="La Ludothèque").get_by_role("link", name="Réserver").click()

    page.get_by_label("Exemplaires").select_option("1")
    page.get_by_role("button", name="Ajouter à ma réservation").click()
    expect(
        page.get_by_text("«\u00a0Mysterium\u00a0» (La Ludothèque) est dans votre réservation.")
    ).to_be_visible()
    page.get_by_role("link", name="Continuer").click()
    page.get_by_label("Votre nom").fill("Annick Le Goff")
    page.get_by_label("E-mail", exact=True).fill("annick@example.fr")
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_label("J’accepte les conditions de réservation.").check()
    page.get_by_role("button", name="Réserver, payer en boutique").click()
    expect(page.get_by_role("heading", name="Vos articles sont réservés")).to_be_visible()
    reference = page.locator(".order-card .reference")
    expect(reference).to_have_count(1)
    return reference.inner_text()


def test_a_games_shop_applies_lists_a_board_game_from_its_till_and_a_customer_collects_it(live_server, page,
                                                                                           localities):  # fmt: skip
    base_url = live_server.url
    DriveFactory(name="Drive Lorient Keryado", slug="lorient", town="Lorient", postcode="56100",
                 latitude=47.754, longitude=-3.39)  # fmt: skip
    ChainStaffFactory(email=STAFF_EMAIL)

    the_shop_applies(page, base_url)
    shop = Shop.objects.get(trade_name="La Ludothèque")
    assert [kind.code for kind in shop.kinds.all()] == ["games-toys"]
    Shop.objects.filter(pk=shop.pk).update(latitude=47.75, longitude=-3.37)  # geocoded
    head_office_approves(page, base_url, shop)
    key = the_owner_sets_a_password_and_makes_an_api_key(page, base_url)

    answer = the_till_lists_a_board_game(base_url, key)
    assert [item["result"] for item in answer["items"]] == ["create"], answer
    game = Book.objects.get(ean=BOARD_GAME_EAN)
    assert (game.kind_id, game.attributes["brand"]) == ("board-game", "Libellud")
    assert Listing.objects.get(book=game, shop=shop).status == Listing.Status.PUBLISHED

    reference = the_customer_finds_and_reserves_it(page, base_url)
    order = Order.objects.get(reference=reference)
    assert (order.shop, order.lines.get().ean) == (shop, BOARD_GAME_EAN)

    # The shop accepts, sets the game aside and hands it over at the counter.
    page.context.clear_cookies()
    logs_in(page, base_url, OWNER_EMAIL, OWNER_PASSWORD)
    page.goto(f"{base_url}/admin/orders/order/{order.pk}/change/")
    page.get_by_role("button", name="Accepter", exact=True).click()
    expect(page.get_by_text(f"La commande {reference} est acceptée")).to_be_visible()
    page.get_by_role("button", name="Marquer comme prête").click()
    expect(page.get_by_text(re.compile(f"{reference}.*prête"))).to_be_visible()
    order.refresh_from_db()
    assert order.status == Order.Status.READY
    page.goto(f"{base_url}/admin/")
    page.get_by_role("link", name="Comptoir (remettre une commande)").click()
    page.get_by_label("Code de retrait").fill(order.pickup_code)
    page.get_by_role("button", name="Trouver la commande").click()
    expect(page.locator(".counter-order")).to_contain_text("Mysterium")
    page.locator(".counter-order").get_by_role("button", name="Remettre au client").click()
    expect(page.get_by_text(f"Remise au client : {reference}.")).to_be_visible()

    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED
    listing = Listing.objects.get(book=game, shop=shop)
    assert (listing.quantity, listing.reserved) == (1, 0)
