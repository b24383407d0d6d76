"""The demo's data: a few drives and bookshops in real towns, a games-and-toys shop in
Lorient, and the accounts to try them with.

Everything is looked up by a natural key before being created, so running the seed
again changes nothing. Shop names and SIRET numbers are invented (the numbers pass the
checksum but belong to nobody we know of). The games and toys are real ones with their
real brands, but their EANs are invented (see DEMO_PRODUCT_EAN_PREFIX) and their prices
are about the brands' recommended ones.
"""

import random
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify
from stdnum import ean as stdnum_ean
from stdnum import luhn

from catalog.models import Book, ContributorRole, Listing, ProductKind
from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from marketplace.models import ModerationReason
from orders.models import Checkout, Order
from shops import roles
from shops.models import (
    Drive,
    DriveAssignment,
    ListingPlan,
    Locality,
    Membership,
    OpeningPeriod,
    Shop,
    ShopKind,
    ShopStatusChange,
)

BOOKSELLER_EMAIL = "libraire@demo.drive-solidaire.fr"
BOOKSELLER_PASSWORD = "libraire-demo"
STAFF_EMAIL = "equipe@demo.drive-solidaire.fr"
STAFF_PASSWORD = "equipe-demo"
DRIVE_STAFF_EMAIL = "moderation.lorient@demo.drive-solidaire.fr"
DRIVE_STAFF_PASSWORD = "lorient-demo"
DRIVE_STAFF_DRIVES = ["Drive Lorient Keryado", "Drive Lanester"]
LOGINS = [
    ("bookseller", BOOKSELLER_EMAIL, BOOKSELLER_PASSWORD),
    ("chain staff (head office)", STAFF_EMAIL, STAFF_PASSWORD),
    ("drive staff (Lorient, Lanester)", DRIVE_STAFF_EMAIL, DRIVE_STAFF_PASSWORD),
]

# Ready-made reasons the chain's moderators pick from (editable in the admin).
MODERATION_REASONS = [
    (ModerationReason.AppliesTo.SHOP, "SIRET", "Le numéro SIRET ne correspond pas à la raison sociale indiquée. "
     "Merci de vérifier l'extrait Kbis et de corriger votre candidature."),
    (ModerationReason.AppliesTo.SHOP, "Hors périmètre", "Drive Solidaire accueille les commerces indépendants de la "
     "ville du drive : votre adresse est trop éloignée des drives choisis."),
    (ModerationReason.AppliesTo.SHOP, "Coordonnées incomplètes", "Il manque un numéro de téléphone ou une adresse "
     "joignable : complétez-les pour que nous puissions vous recontacter."),
    (ModerationReason.AppliesTo.LISTING, "Prix (loi Lang)", "Le prix d'un livre neuf ne peut pas s'écarter du prix "
     "fixé par l'éditeur de plus de 5 % (loi du 10 août 1981). Corrigez le prix puis renvoyez l'annonce."),
    (ModerationReason.AppliesTo.LISTING, "Mauvaise édition", "L'annonce ne correspond pas au livre de cet ISBN "
     "(édition, format ou titre). Vérifiez l'ISBN du livre en rayon."),
    (ModerationReason.AppliesTo.LISTING, "Quantité", "La quantité indiquée semble erronée : vérifiez votre stock."),
    (ModerationReason.AppliesTo.LISTING, "Contenu inapproprié", "Ce livre ne peut pas être proposé sur le site de "
     "l'enseigne (contenu réservé ou illégal)."),
]  # fmt: skip

# (drive name, street address, postcode, La Poste commune, town, offset from the town centre in degrees)
DRIVES = [
    ("Drive Lorient Keryado", "Rue Jean-Pierre Calloc'h", "56100", "LORIENT", "Lorient", (0.004, -0.012)),
    ("Drive Lanester", "Avenue Ambroise Croizat", "56600", "LANESTER", "Lanester", (-0.003, 0.006)),
    ("Drive Hennebont", "Route de Port-Louis", "56700", "HENNEBONT", "Hennebont", (-0.006, 0.002)),
    ("Drive Ploemeur", "Rue de Lorient", "56270", "PLOEMEUR", "Ploemeur", (0.003, 0.010)),
    ("Drive Quimperlé", "Rue de Pont-Aven", "29300", "QUIMPERLE", "Quimperlé", (0.002, -0.008)),
    ("Drive Vannes", "Rue du Commerce", "56000", "VANNES", "Vannes", (0.010, 0.004)),
    ("Drive Auray", "Avenue du Général de Gaulle", "56400", "AURAY", "Auray", (0.004, 0.003)),
    ("Drive Quimper", "Route de Bénodet", "29000", "QUIMPER", "Quimper", (-0.012, 0.006)),
    ("Drive Brest", "Rue de Paris", "29200", "BREST", "Brest", (0.008, 0.020)),
    ("Drive Rennes", "Route de Lorient", "35000", "RENNES", "Rennes", (-0.004, -0.030)),
    ("Drive Nantes", "Boulevard de la Beaujoire", "44000", "NANTES", "Nantes", (0.020, 0.010)),
    ("Drive Paris 11", "Boulevard Voltaire", "75011", "PARIS 11", "Paris", (0.001, 0.002)),
    ("Drive Lyon Confluence", "Cours Charlemagne", "69002", "LYON 02", "Lyon", (-0.008, 0.000)),
    ("Drive Bordeaux", "Quai de Bacalan", "33000", "BORDEAUX", "Bordeaux", (0.020, 0.003)),
    ("Drive Toulouse", "Avenue des États-Unis", "31000", "TOULOUSE", "Toulouse", (0.025, 0.004)),
    ("Drive Lille", "Rue du Faubourg des Postes", "59000", "LILLE", "Lille", (-0.016, -0.006)),
]

BOOKSHOP, GAMES_AND_TOYS = ShopKind.BOOKSHOP, ShopKind.GAMES_AND_TOYS
# (shop name, legal name, street address, postcode, town, drives joined, status, kind of
# shop). A shop's SIRET comes from its place in the list: add new ones at the end.
SHOPS = [
    ("Librairie du Port", "SARL Librairie du Port", "12 rue du Port", "56100", "Lorient",
     ["Drive Lorient Keryado", "Drive Lanester"], Shop.Status.APPROVED, BOOKSHOP),
    ("Les Mots Voyageurs", "SAS Les Mots Voyageurs", "4 place Delaune", "56600", "Lanester",
     ["Drive Lanester", "Drive Lorient Keryado"], Shop.Status.APPROVED, BOOKSHOP),
    ("La Bouquinerie du Blavet", "EURL Bouquinerie du Blavet", "23 rue Trottier", "56700", "Hennebont",
     ["Drive Hennebont"], Shop.Status.APPROVED, BOOKSHOP),
    ("Au Fil des Pages", "SARL Au Fil des Pages", "8 rue Kéréon", "29000", "Quimper",
     ["Drive Quimper"], Shop.Status.APPROVED, BOOKSHOP),
    ("Le Chat qui Lit", "SAS Le Chat qui Lit", "15 rue Saint-Vincent", "56000", "Vannes",
     ["Drive Vannes", "Drive Auray"], Shop.Status.APPROVED, BOOKSHOP),
    ("Librairie des Remparts", "SARL des Remparts", "3 rue de Siam", "29200", "Brest",
     ["Drive Brest"], Shop.Status.APPROVED, BOOKSHOP),
    ("L'Encre et la Plume", "SAS Encre et Plume", "41 rue Oberkampf", "75011", "Paris",
     ["Drive Paris 11"], Shop.Status.APPROVED, BOOKSHOP),
    ("La Vague à Lire", "SARL La Vague à Lire", "2 rue des Fontaines", "56100", "Lorient",
     ["Drive Lorient Keryado"], Shop.Status.PENDING, BOOKSHOP),
    ("La Boîte à Jeux", "SAS La Boîte à Jeux", "27 rue Paul Guieysse", "56100", "Lorient",
     ["Drive Lorient Keryado", "Drive Lanester"], Shop.Status.APPROVED, GAMES_AND_TOYS),
]  # fmt: skip
SHOP_DESCRIPTIONS = {
    BOOKSHOP: "Librairie indépendante : romans, BD, jeunesse, commandes à la demande.",
    GAMES_AND_TOYS: "Jeux de société pour tous les âges, jouets en bois, puzzles et peluches. Soirées jeux le "
    "vendredi, tables de démonstration en boutique.",
}
GAMES_SHOP = "La Boîte à Jeux"
# Bookshops may list board games too: this one has a few next to its books.
BOOKSHOP_WITH_BOARD_GAMES = "Librairie du Port"
BOOKSHOP_BOARD_GAMES = ["Dixit", "Mysterium", "Les Loups-Garous de Thiercelieux", "Dobble"]


# Invented books: French-looking titles, authors and publishers assembled from these
# words, with valid ISBN-13s in a 979-10 range no real publisher uses here.
TITLE_PATTERNS = ["{the_noun} de {place}", "Les {nouns} de {place}", "{the_noun} {adjective}", "Un {noun} à {place}",
                  "Les {nouns} {adjectives}", "Retour à {place}"]  # fmt: skip
NOUNS = ["silence", "phare", "jardin", "secret", "voyage", "rivage", "marin", "hiver", "chemin", "carnet", "port",
         "songe", "vent", "récit", "sentier", "grenier", "quai", "village"]  # fmt: skip
ADJECTIVES = ["oublié", "bleu", "lointain", "perdu", "tranquille", "sauvage", "dernier", "secret", "doré"]
PLACES = ["Kerlouan", "Groix", "la Rade", "Belle-Île", "l'Aven", "Locmiquélic", "Port-Louis", "Pont-Scorff",
          "la Laïta", "l'Île aux Moines", "Quiberon", "la Presqu'île"]  # fmt: skip
FIRST_NAMES = ["Anne", "Yann", "Maëlle", "Erwan", "Soizic", "Gwen", "Loïc", "Nolwenn", "Tanguy", "Katell", "Ronan",
               "Morgane", "Hervé", "Clarisse", "Jakez"]  # fmt: skip
LAST_NAMES = ["Le Gall", "Kervella", "Tanguy", "Le Bihan", "Guillou", "Morvan", "Le Goff", "Quéré", "Riou",
              "Cadiou", "Le Roux", "Prigent", "Jaouen"]  # fmt: skip
PUBLISHERS = ["Éditions de la Rade", "Éditions du Ponant", "Terre de Brume (démo)", "Les Presses du Blavet",
              "Éditions Goéland", "L'Atelier des Marées"]  # fmt: skip
DEMO_BOOK_COUNT = 60


def demo_book_ean(number: int) -> str:
    body = f"97910990{number:04d}"
    return body + stdnum_ean.calc_check_digit(body)


def demo_books(count: int, rng: random.Random):
    """(ean, title, author, publisher, list price) of invented books, the same for a seed."""
    for number in range(count):
        noun = rng.choice(NOUNS)
        plural = noun if noun.endswith(("s", "x")) else noun + "s"
        the_noun = f"L'{noun}" if noun[0] in "aeiouéh" else f"Le {noun}"
        title = rng.choice(TITLE_PATTERNS).format(
            the_noun=the_noun, noun=noun, nouns=plural, place=rng.choice(PLACES),
            adjective=rng.choice(ADJECTIVES), adjectives=rng.choice(ADJECTIVES) + "s",
        )  # fmt: skip
        author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        list_price = (Decimal(rng.randrange(650, 2800, 5)) / 100).quantize(Decimal("0.01"))
        yield demo_book_ean(number), title[0].upper() + title[1:], author, rng.choice(PUBLISHERS), list_price


# Real board games and toys with their real brands; the EANs are invented (below), the
# prices about the brands' recommended ones. An EAN comes from the place in its list: add
# new ones at the end.
# (title, brand, age range, players, playing time in minutes, recommended price)
DEMO_BOARD_GAMES = [
    ("Dixit", "Libellud", (8, 99), (3, 8), 30, "34.90"),
    ("Mysterium", "Libellud", (10, 99), (2, 7), 45, "44.90"),
    ("Dobble", "Zygomatic", (6, 99), (2, 8), 15, "15.90"),
    ("Les Aventuriers du Rail", "Days of Wonder", (8, 99), (2, 5), 45, "44.90"),
    ("Les Aventuriers du Rail – Europe", "Days of Wonder", (8, 99), (2, 5), 60, "49.90"),
    ("7 Wonders", "Repos Production", (10, 99), (3, 7), 30, "44.90"),
    ("7 Wonders Duel", "Repos Production", (10, 99), (2, 2), 30, "25.90"),
    ("Time's Up! Family", "Repos Production", (8, 99), (4, 12), 30, "24.90"),
    ("Carcassonne", "Z-Man Games", (7, 99), (2, 5), 35, "29.90"),
    ("Splendor", "Space Cowboys", (10, 99), (2, 4), 30, "34.90"),
    ("Unlock! Escape Adventures", "Space Cowboys", (10, 99), (1, 6), 60, "29.90"),
    ("Azul", "Next Move Games", (8, 99), (2, 4), 40, "39.90"),
    ("Skyjo", "Magilano", (8, 99), (2, 8), 30, "14.90"),
    ("Taco Chat Bouc Cheese Pizza", "Blue Orange", (8, 99), (2, 8), 10, "12.90"),
    ("Kingdomino", "Blue Orange", (8, 99), (2, 4), 15, "19.90"),
    ("Les Loups-Garous de Thiercelieux", "Lui-même", (10, 99), (8, 18), 30, "10.90"),
    ("Codenames", "Iello", (14, 99), (2, 8), 15, "19.90"),
    ("King of Tokyo", "Iello", (8, 99), (2, 6), 30, "34.90"),
    ("Le Verger", "Haba", (3, 99), (1, 8), 10, "34.90"),
    ("Pyramide d'animaux", "Haba", (4, 99), (2, 4), 15, "19.90"),
    ("Quarto", "Gigamic", (8, 99), (2, 2), 15, "34.90"),
    ("Quoridor", "Gigamic", (8, 99), (2, 4), 15, "34.90"),
    ("Mille Bornes", "Dujardin", (7, 99), (2, 6), 45, "22.90"),
]
# (title, brand, age range, recommended price)
DEMO_TOYS = [
    ("Coffret 200 planchettes", "Kapla", (3, 99), "49.90"),
    ("Baril 280 planchettes", "Kapla", (3, 99), "64.90"),
    ("Puzzle 500 pièces Phare breton", "Djeco", (10, 99), "16.90"),
    ("Puzzle 1000 pièces Port de Concarneau", "Djeco", (12, 99), "21.90"),
    ("Puzzle 100 pièces Les Pirates", "Djeco", (6, 12), "14.90"),
    ("Kit créatif Mosaïques", "Djeco", (6, 12), "12.90"),
    ("Bateau de pêche avec pêcheurs", "Playmobil", (4, 10), "29.99"),
    ("Caserne de pompiers", "Playmobil", (4, 10), "79.99"),
    ("Lego Classic – La boîte de briques créatives", "Lego", (4, 99), "34.99"),
    ("Lego Duplo – Le train des chiffres", "Lego", (2, 5), "29.99"),
    ("Ma première boîte à formes", "Haba", (1, 3), "24.90"),
    ("Sophie la girafe", "Vulli", (0, 3), "16.90"),
    ("Lapin Après la pluie, peluche 30 cm", "Moulin Roty", (0, 99), "32.00"),
    ("Garage en bois 3 étages", "Janod", (3, 8), "59.90"),
    ("Culbuto marin", "Vilac", (1, 3), "24.90"),
]
# 149 is a GS1 prefix given to no country: no real barcode starts with it (nor with
# 14910990, far from the generator's 149108…).
DEMO_PRODUCT_EAN_PREFIX = "14910990"
FIRST_DEMO_TOY_NUMBER = 500


def demo_product_ean(number: int) -> str:
    body = f"{DEMO_PRODUCT_EAN_PREFIX}{number:04d}"
    return body + stdnum_ean.calc_check_digit(body)


def demo_products():
    """(ean, kind, title, attribute values, recommended price) of the demo's games and toys."""
    for number, (title, brand, ages, players, minutes, price) in enumerate(DEMO_BOARD_GAMES):
        attributes = {
            "brand": brand,
            "age-range": list(ages),
            "players": list(players),
            "playing-time": minutes,
        }
        yield demo_product_ean(number), ProductKind.BOARD_GAME, title, attributes, Decimal(price)
    for number, (title, brand, ages, price) in enumerate(DEMO_TOYS, FIRST_DEMO_TOY_NUMBER):
        attributes = {"brand": brand, "age-range": list(ages)}
        yield demo_product_ean(number), ProductKind.TOY, title, attributes, Decimal(price)


def demo_shop(trade_name: str) -> Shop:
    """One of SHOPS, by its natural key (its SIRET, from its place in the list)."""
    number = next(number for number, row in enumerate(SHOPS, 1) if row[0] == trade_name)
    return Shop.objects.get(siret=demo_siret(number))


def demo_siret(number: int) -> str:
    """A 14-digit SIRET that passes the checksum: a valid SIREN plus a valid NIC."""
    siren_base = f"{800000000 + number * 7919:09d}"[:8]
    siren = siren_base + luhn.calc_check_digit(siren_base)
    establishment = f"{siren}0001"
    return establishment + luhn.calc_check_digit(establishment)


@transaction.atomic
def seed() -> str:
    User = get_user_model()
    roles.ensure_groups()

    staff, _ = User.objects.get_or_create(
        email=STAFF_EMAIL, defaults={"first_name": "Camille", "last_name": "Le Goff", "is_staff": True}
    )
    staff.set_password(STAFF_PASSWORD)
    staff.save()
    staff.groups.add(roles.group(roles.CHAIN_STAFF))

    localities = {(loc.postcode, loc.name): loc for loc in Locality.objects.filter(place="")}
    drives = {}
    for name, address, postcode, commune, town, (dlat, dlon) in DRIVES:
        locality = localities[(postcode, commune)]
        drives[name], _ = Drive.objects.get_or_create(
            slug=slugify(name),
            defaults={
                "name": name,
                "address": address,
                "postcode": postcode,
                "town": town,
                "latitude": round(locality.latitude + dlat, 6),
                "longitude": round(locality.longitude + dlon, 6),
            },
        )

    for number, (trade_name, legal_name, address, postcode, town, drive_names, status, kind) in enumerate(
        SHOPS, 1
    ):
        locality = next(loc for (code, _name), loc in localities.items() if code == postcode)
        shop, created = Shop.objects.get_or_create(
            siret=demo_siret(number),
            defaults={
                "trade_name": trade_name,
                "legal_name": legal_name,
                "address": address,
                "postcode": postcode,
                "town": town,
                "latitude": locality.latitude,
                "longitude": locality.longitude,
                "phone": f"+3329764{number:04d}",
                "email": f"contact@{slugify(trade_name)}.example",
                "description": SHOP_DESCRIPTIONS[kind],
                "contact_first_name": "Yann",
                "contact_last_name": f"Le Libraire {number}",
                "contact_email": BOOKSELLER_EMAIL
                if number == 1
                else f"contact@{slugify(trade_name)}.example",
                "status": status,
            },
        )
        if created:
            shop.drives.set([drives[name] for name in drive_names])
            shop.kinds.set(ShopKind.objects.filter(code=kind))
            _seed_opening_hours(shop, random.Random(number))
            ShopStatusChange.objects.create(shop=shop, to_status=Shop.Status.PENDING)
            if status == Shop.Status.APPROVED:
                ShopStatusChange.objects.create(
                    shop=shop,
                    from_status=Shop.Status.PENDING,
                    to_status=status,
                    actor=staff,
                    reason="Données de démo",
                )

    _seed_stock(random.Random(2026))
    _seed_games_and_toys(random.Random("games and toys"))

    bookseller, _ = User.objects.get_or_create(
        email=BOOKSELLER_EMAIL, defaults={"first_name": "Yann", "last_name": "Le Libraire", "is_staff": True}
    )
    bookseller.set_password(BOOKSELLER_PASSWORD)
    bookseller.save()
    bookseller.groups.add(roles.group(roles.BOOKSELLERS))
    Membership.objects.get_or_create(
        user=bookseller, shop=Shop.objects.get(siret=demo_siret(1)), defaults={"role": Membership.Role.OWNER}
    )
    from devtools import datagen  # imported here: datagen builds on this module's word lists

    datagen.demo_data_generate()  # more shops around these drives, and stock for all of them (once)
    _seed_orders(Shop.objects.get(siret=demo_siret(1)))
    _seed_back_office(drives)
    return (
        f"{Drive.objects.count()} drives, {Shop.objects.count()} shops, "
        f"{Book.objects.count()} products (books, games, toys, records), "
        f"{Listing.objects.count()} listings, {Order.objects.count()} orders, {User.objects.count()} accounts"
    )


def _seed_back_office(drives: dict[str, Drive]) -> None:
    """A moderator of the Lorient drives, the ready-made reasons, a plan, and something in
    the listings queue (two listings held by the quantity rule)."""
    from catalog.services import listing_update_stock

    User = get_user_model()
    moderator, _ = User.objects.get_or_create(
        email=DRIVE_STAFF_EMAIL, defaults={"first_name": "Nolwenn", "last_name": "Morvan", "is_staff": True}
    )
    moderator.set_password(DRIVE_STAFF_PASSWORD)
    moderator.save()
    moderator.groups.add(roles.group(roles.DRIVE_STAFF))
    for name in DRIVE_STAFF_DRIVES:
        DriveAssignment.objects.get_or_create(user=moderator, drive=drives[name])

    for position, (applies_to, label, text) in enumerate(MODERATION_REASONS):
        ModerationReason.objects.get_or_create(
            applies_to=applies_to, label=label, defaults={"text": text, "position": position}
        )

    plan, _ = ListingPlan.objects.get_or_create(
        name="Essentiel",
        defaults={
            "monthly_fee": Decimal("19.00"),
            "description": "Catalogue illimité, import par fichier et API.",
        },
    )
    first_shop = Shop.objects.get(siret=demo_siret(1))
    if first_shop.free_until is None:
        year = first_shop.created_at.year + 1
        first_shop.free_until = first_shop.created_at.date().replace(year=year, month=12, day=31)
        first_shop.plan, first_shop.plan_starts_on = (
            plan,
            first_shop.free_until.replace(year=year + 1, month=1, day=1),
        )
        first_shop.save(update_fields=["free_until", "plan", "plan_starts_on"])

    neighbour = Shop.objects.get(siret=demo_siret(2))  # Lanester: in the moderator's drives
    if not neighbour.listings.filter(status=Listing.Status.PENDING).exists():
        for listing in neighbour.listings.filter(status=Listing.Status.PUBLISHED, reserved=0).order_by("pk")[
            :2
        ]:
            listing_update_stock(listing=listing, quantity=800)  # held: "unusually large quantity"


def _seed_opening_hours(shop: Shop, rng: random.Random) -> None:
    from devtools.datagen import weekly_hours

    OpeningPeriod.objects.bulk_create(
        OpeningPeriod(shop=shop, weekday=day, opens=opens, closes=closes)
        for day, opens, closes in weekly_hours(rng)
    )


# The demo bookseller finds the first two reservations to accept, the third ready at the
# counter (its pickup code is on the customer's order page and in the demo mailbox).
DEMO_CUSTOMERS = [
    ("Maëlle Guégan", "maelle.guegan@demo.drive-solidaire.fr", "+33612345601", 1),
    ("Erwan Le Floch", "erwan.lefloch@demo.drive-solidaire.fr", "+33612345602", 2),
    ("Soizic Le Bihan", "soizic.lebihan@demo.drive-solidaire.fr", "+33612345603", 1),
]
READY_DEMO_CUSTOMER = 2


def _seed_orders(shop: Shop) -> None:
    """A couple of reservations waiting for the demo bookseller (made once, through the
    real service: stock is held and the emails are in the demo mailbox)."""
    from orders.services import CartLine, CustomerDetails, checkout_place, order_accept, order_mark_ready

    listings = list(
        Listing.objects.filter(
            shop=shop, status=Listing.Status.PUBLISHED, quantity__gt=F("reserved") + 1
        ).order_by("pk")[: len(DEMO_CUSTOMERS) * 2]
    )
    for index, (name, email, phone, copies) in enumerate(DEMO_CUSTOMERS):
        picked = listings[index * 2 : index * 2 + 2]
        key = f"demo-order-{index}"
        if not picked or Checkout.objects.filter(key=key).exists():
            continue
        checkout = checkout_place(
            key=key,
            lines=[
                CartLine(listing_id=listing.pk, quantity=copies if i == 0 else 1)
                for i, listing in enumerate(picked)
            ],
            customer=CustomerDetails(name=name, email=email, phone=phone, language="fr"),
            client="",  # the demo's own data: no client address
        )
        if index == READY_DEMO_CUSTOMER:
            for order in checkout.orders.all():
                order_mark_ready(order=order_accept(order=order, by=None), by=None)


def _seed_games_and_toys(rng: random.Random) -> None:
    """The games shop's stock (every game and toy), and a few board games in a bookshop.
    Products made here are indexed for the search at once: the generator, which indexes
    the demo's books, runs only the first time."""
    products, created = [], False
    for ean, kind, title, attributes, list_price in demo_products():
        product, product_created = Book.objects.get_or_create(
            ean=ean,
            defaults={
                "kind_id": kind,
                "title": title,
                "attributes": attributes,
                "list_price": list_price,
                "source": Book.Source.STAFF,
            },
        )
        products.append(product)
        created |= product_created
    games_shop = demo_shop(GAMES_SHOP)
    for product in products:
        # Prices are free: some a little below the brand's.
        price = product.list_price
        if rng.random() < 0.3:
            price = (price * Decimal(rng.choice(["0.90", "0.95"]))).quantize(Decimal("0.10"), ROUND_DOWN)
        created |= _seed_listing(games_shop, product, price=price, quantity=rng.randint(1, 4))
    bookshop = demo_shop(BOOKSHOP_WITH_BOARD_GAMES)
    for product in (product for product in products if product.title in BOOKSHOP_BOARD_GAMES):
        created |= _seed_listing(bookshop, product, price=product.list_price, quantity=rng.randint(1, 4))
    if created:
        search_index_refresh()
        search_vocabulary_refresh()


def _seed_listing(shop: Shop, product: Book, *, price: Decimal, quantity: int) -> bool:
    _listing, created = Listing.objects.get_or_create(
        shop=shop,
        book=product,
        condition=Listing.Condition.NEW,
        defaults={"price": price, "quantity": quantity, "status": Listing.Status.PUBLISHED},
    )
    return created


def _seed_stock(rng: random.Random) -> None:
    books = []
    for ean, title, author, publisher, list_price in demo_books(DEMO_BOOK_COUNT, rng):
        book, _ = Book.objects.get_or_create(
            ean=ean,
            defaults={
                "title": title,
                "contributors": [{"name": author, "role": ContributorRole.AUTHOR}],
                "publisher": publisher,
                "list_price": list_price,
                "language": "fre",
                "format": Book.Format.PAPERBACK,
                "source": Book.Source.STAFF,
            },
        )
        books.append(book)
    for shop in Shop.objects.filter(status=Shop.Status.APPROVED, kinds__code=BOOKSHOP).order_by("pk"):
        if shop.listings.exists():
            continue
        for book in rng.sample(books, 18):
            used = rng.random() < 0.2
            Listing.objects.create(
                shop=shop,
                book=book,
                condition=Listing.Condition.USED_GOOD if used else Listing.Condition.NEW,
                price=(book.list_price * Decimal("0.4")).quantize(Decimal("0.10"))
                if used
                else book.list_price,
                quantity=rng.choice([0, 1, 1, 2, 3, 5]),
                status=Listing.Status.PUBLISHED,
            )
