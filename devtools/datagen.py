"""Invented data at any scale, for the demo and for benchmarks.

Drives in real French communes (La Poste's table), bookshops and games-and-toys shops
near them, books with valid ISBN-13s and French-looking titles, board games, toys and
records with French names, brands and artists, and the shops' stock: books priced as
the fixed book price law allows, the other products freely, around the brand's
recommended price. The same seed on the same `Locality` table gives the same rows
(only the ids and timestamps differ). Rows go in with COPY, as pre-formatted strings:
at a million books, model instances and Decimals would cost more than the database.

What the generator creates is recognised by ranges reserved for it, so that it can
refuse to run twice and `generated_data_delete` removes it without touching anything
made by hand:

- books: EANs starting with 979108 (979-10-8…: the French 979 group, a block no
  publisher of our catalogue uses; the demo's own books are 97910990…, the stock
  import benchmark's 9791000…). Six free digits: at most 1,000,000 generated books;
- other products (board games, toys, records): EANs starting with 149108 (149: a GS1
  prefix given to no country, so no real barcode has it; the demo's own games and toys
  are 14910990…). Six free digits: at most 1,000,000 generated products;
- shops: SIRETs `999xxxxxC0001C` (SIREN 999…, first establishment), at most 100,000;
- drives: slugs ending in `-gen-<number>`.

Subjects (`Subject`, the 8 top-level CLIL codes below) and the kind of product
"record" (`ProductKind`, Disque: artist and format) are created when missing and left in
place by the deletion: the real CLIL table may have been imported since, and head office
may have products of that kind by then.
"""

import functools
import json
import math
import random
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from stdnum import ean as stdnum_ean
from stdnum import luhn

from catalog.imports.pgcopy import copy_rows
from catalog.models import Book, ContributorRole, Listing, ProductAttribute, ProductKind, Subject
from catalog.moderation import SUSPICIOUS_QUANTITY
from catalog.pricing import new_book_price_range
from catalog.search_index import (
    search_index_refresh,
    search_shops_deferred,
    search_shops_rebuild,
    search_vocabulary_refresh,
)
from devtools import demo
from shops.geo import haversine_km
from shops.models import Drive, Locality, OpeningPeriod, Shop, ShopKind, Weekday
from shops.regions import Region, region_for_postcode

# --- Scales and reserved ranges ----------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """How many rows to create.

    `listings` are the books' listings: in the generated bookshops and in the approved
    shops already there that may list books. `products` are board games, toys and
    records, and `product_listings` their listings, on top of the books': in the
    generated games-and-toys shops only (a hand-made one, as the demo's, keeps the stock
    it was given). When a scale asks for product listings, one generated shop in
    GAMES_SHOP_SHARE is a games-and-toys shop, the others bookshops.
    """

    drives: int
    shops: int
    books: int
    listings: int
    products: int = 0
    product_listings: int = 0


SCALES = {
    # The demo uses its hand-made drives and adds shops around them.
    "demo": Scale(drives=0, shops=24, books=3_000, listings=12_000, products=600, product_listings=1_200),
    # 5,000,000 listings of books, as the search's targets were set on, plus 400,000 of
    # other products in the 500 games-and-toys shops.
    "bench": Scale(
        drives=1_500,
        shops=3_000,
        books=1_000_000,
        listings=5_000_000,
        products=200_000,
        product_listings=400_000,
    ),
}
DEMO_SEED = 2026
GAMES_SHOP_SHARE = 1 / 6

GENERATED_EAN_PREFIX = "979108"
MAX_GENERATED_BOOKS = 10 ** (12 - len(GENERATED_EAN_PREFIX))
GENERATED_PRODUCT_EAN_PREFIX = "149108"
MAX_GENERATED_PRODUCTS = 10 ** (12 - len(GENERATED_PRODUCT_EAN_PREFIX))
GENERATED_SIREN_PREFIX = "999"
MAX_GENERATED_SHOPS = 10 ** (8 - len(GENERATED_SIREN_PREFIX))
GENERATED_SIRET_PATTERN = rf"^{GENERATED_SIREN_PREFIX}[0-9]{{6}}0001[0-9]$"
GENERATED_DRIVE_SLUG_PATTERN = r"-gen-[0-9]+$"


class GenerationError(Exception):
    """The data cannot be generated as asked; the message says why."""


class GeneratedDataPresent(GenerationError):
    """The database already holds generated rows: delete them first."""


def generated_book_ean(number: int) -> str:
    body = f"{GENERATED_EAN_PREFIX}{number:06d}"
    return body + stdnum_ean.calc_check_digit(body)


def generated_product_ean(number: int) -> str:
    body = f"{GENERATED_PRODUCT_EAN_PREFIX}{number:06d}"
    return body + stdnum_ean.calc_check_digit(body)


def generated_siret(number: int) -> str:
    """A SIRET that passes the checksum, in the range reserved for generated shops."""
    siren_base = f"{GENERATED_SIREN_PREFIX}{number:05d}"
    establishment = siren_base + luhn.calc_check_digit(siren_base) + "0001"
    return establishment + luhn.calc_check_digit(establishment)


def generated_books():
    return _catalogue_rows_under(GENERATED_EAN_PREFIX)


def generated_products():
    return _catalogue_rows_under(GENERATED_PRODUCT_EAN_PREFIX)


def _catalogue_rows_under(prefix: str):
    # A range rather than LIKE: it uses the EAN's unique index whatever the collation.
    return Book.objects.filter(ean__gte=prefix, ean__lt=_next_prefix(prefix))


def generated_shops():
    return Shop.objects.filter(siret__regex=GENERATED_SIRET_PATTERN)


def generated_drives():
    return Drive.objects.filter(slug__regex=GENERATED_DRIVE_SLUG_PATTERN)


def generated_data_present() -> bool:
    return (
        generated_books().exists()
        or generated_products().exists()
        or generated_shops().exists()
        or generated_drives().exists()
    )


def _next_prefix(prefix: str) -> str:
    return str(int(prefix) + 1).zfill(len(prefix))


# --- Running it ---------------------------------------------------------------------------

# Called after each step with its name, the rows it wrote and the seconds it took.
StepReport = Callable[[str, int, float], None]


def generate(*, scale: Scale, seed: int, report: StepReport | None = None) -> dict[str, int]:
    """Create `scale`'s rows; returns the rows written by each step.

    Raises GeneratedDataPresent if generated rows are already there, GenerationError if
    the scale does not fit the reserved ranges or there is no drive to put shops near. The
    rows are committed together; the search index is filled afterwards in batches, and
    the tables analysed (and vacuumed when not inside a transaction, which lets the
    benchmarks read stock with index-only scans).
    """
    _check_scale(scale)
    steps = _Steps(report)
    run = steps.run
    # Foreign keys checked at the end of each COPY rather than all at commit: the time
    # shows in its step, and PostgreSQL does not queue 10 million checks in memory.
    with transaction.atomic(), connection.cursor() as wrapper, _foreign_keys_checked_at_once(wrapper):
        if generated_data_present():
            raise GeneratedDataPresent("generated data already present")
        cursor = wrapper.cursor  # psycopg2's own, for COPY
        now = timezone.now().isoformat()
        state = _GenerationState()
        run("subjects", _create_subjects)
        if scale.products:
            run("kinds of product", _create_record_kind)
        run("drives", lambda: _create_drives(cursor, _rng(seed, "drives"), scale.drives, now))
        if scale.shops and not Drive.objects.filter(is_active=True).exists():
            raise GenerationError("no drive to put shops near: generate some with --drives")
        state.games_shop_numbers = _games_shop_numbers(_rng(seed, "shop kinds"), scale)
        run(
            "shops",
            lambda: _create_shops(
                cursor, _rng(seed, "shops"), scale.shops, now, state, collection_rng=_rng(seed, "collection")
            ),
        )
        run("shops' drives", lambda: _join_drives(cursor, _rng(seed, "shops' drives"), state))
        run("opening hours", lambda: _create_opening_hours(cursor, _rng(seed, "opening hours"), state))
        run("books", lambda: _create_books(cursor, _rng(seed, "books"), scale.books, now, state))
        run("products", lambda: _create_products(cursor, _rng(seed, "products"), scale.products, now, state))
        # Each COPY chunk would have the listing triggers update its books (most of the
        # million several times over): the books' shops are computed once, at the end.
        with search_shops_deferred():
            run(
                "listings",
                lambda: _create_listings(
                    cursor, _rng(seed, "listings"), scale.listings, now, _bookshops(state), state.books
                ),
            )
            run(
                "products' listings",
                lambda: _create_listings(
                    cursor,
                    _rng(seed, "products' listings"),
                    scale.product_listings,
                    now,
                    _games_shops(state),
                    state.products,
                ),
            )
            run("books' shops", search_shops_rebuild)
    run("search index", search_index_refresh)
    run("search vocabulary", search_vocabulary_refresh)
    run("analyze", _analyze)
    return steps.counts


def demo_data_generate() -> None:
    """The demo's generated part, once: `seed_demo` runs at every start of the demo."""
    if not generated_data_present():
        generate(scale=SCALES["demo"], seed=DEMO_SEED)


def generated_data_delete(*, report: StepReport | None = None) -> dict[str, int]:
    """Delete every generated row, and nothing else: listings of generated books,
    products or shops (also those in hand-made shops), then the shops, books, products
    and drives.

    Listings, books and products are deleted with plain SQL (the ORM would load a million
    books to check their listings; the database's foreign keys still refuse the deletion
    if anything else points to them); shops and drives go through the ORM, which also
    removes what hangs on them (memberships, status history, API keys, drive links,
    kinds). Writes to listings wait until it is done (it indexes them, see below).
    """
    steps = _Steps(report)
    # Foreign keys checked at each statement, not at commit: the index below must still be there.
    with transaction.atomic(), connection.cursor() as cursor, _foreign_keys_checked_at_once(cursor):
        # Deleting a book makes PostgreSQL look for the listings of that book, and no
        # index starts with the book (stock imports are faster without): without this
        # one, each of a million checks would read the whole listing table.
        steps.run("index listings by book", lambda: _execute(cursor, INDEX_LISTINGS_BY_BOOK))
        # The listing triggers would take the deleted shops out of books about to be deleted.
        with search_shops_deferred():
            steps.run("listings", _delete_generated_listings)
            steps.run("shops", lambda: generated_shops().delete()[1].get(Shop._meta.label, 0))
            steps.run("books", lambda: _delete_catalogue_rows_under(GENERATED_EAN_PREFIX))
            steps.run("products", lambda: _delete_catalogue_rows_under(GENERATED_PRODUCT_EAN_PREFIX))
            steps.run("books' shops", search_shops_rebuild)
        steps.run("drives", lambda: generated_drives().delete()[1].get(Drive._meta.label, 0))
        _execute(cursor, "DROP INDEX generated_data_delete_listing_book")
    steps.run("search vocabulary", search_vocabulary_refresh)
    # Vacuumed, the space of the deleted rows is reused by the next generation.
    steps.run("analyze", _analyze)
    return steps.counts


INDEX_LISTINGS_BY_BOOK = (
    f"CREATE INDEX generated_data_delete_listing_book ON {Listing._meta.db_table} (book_id)"
)


def _execute(cursor, sql: str) -> int:
    cursor.execute(sql)
    return max(cursor.rowcount, 0)


def _delete_generated_listings() -> int:
    # One statement per range: with "book IN (…) OR shop IN (…)" PostgreSQL cannot hash a
    # million book ids and compares each listing with each of them.
    deleted = 0
    with connection.cursor() as cursor:
        for prefix in (GENERATED_EAN_PREFIX, GENERATED_PRODUCT_EAN_PREFIX):
            cursor.execute(
                f"""DELETE FROM {Listing._meta.db_table} AS listing USING {Book._meta.db_table} AS book
                     WHERE listing.book_id = book.id AND book.ean >= %s AND book.ean < %s""",
                [prefix, _next_prefix(prefix)],
            )
            deleted += cursor.rowcount
        cursor.execute(
            f"""DELETE FROM {Listing._meta.db_table}
                 WHERE shop_id IN (SELECT id FROM {Shop._meta.db_table} WHERE siret ~ %s)""",
            [GENERATED_SIRET_PATTERN],
        )
        return deleted + cursor.rowcount


def _delete_catalogue_rows_under(prefix: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Book._meta.db_table} WHERE ean >= %s AND ean < %s", [prefix, _next_prefix(prefix)]
        )
        return cursor.rowcount


@contextmanager
def _foreign_keys_checked_at_once(cursor) -> Iterator[None]:
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    # Django's foreign keys are deferred: so again for the rest of an outer transaction.
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class _Steps:
    """Runs the steps of a job one after the other; tells `report` what each did, and when."""

    def __init__(self, report: StepReport | None):
        self.report = report or (lambda step, rows, seconds: None)
        self.counts: dict[str, int] = {}

    def run(self, step: str, action: Callable[[], int]) -> None:
        started = time.perf_counter()
        self.counts[step] = action()
        self.report(step, self.counts[step], time.perf_counter() - started)


def _check_scale(scale: Scale) -> None:
    if min(astuple(scale)) < 0:
        raise GenerationError("counts cannot be negative")
    if scale.books > MAX_GENERATED_BOOKS:
        raise GenerationError(f"at most {MAX_GENERATED_BOOKS:,} books fit the EAN range reserved for them")
    if scale.products > MAX_GENERATED_PRODUCTS:
        raise GenerationError(
            f"at most {MAX_GENERATED_PRODUCTS:,} products fit the EAN range reserved for them"
        )
    if scale.shops >= MAX_GENERATED_SHOPS:
        raise GenerationError(
            f"at most {MAX_GENERATED_SHOPS - 1:,} shops fit the SIRET range reserved for them"
        )


def _rng(seed: int, step: str) -> random.Random:
    """One random stream per step: asking for more listings leaves the books as they were."""
    return random.Random(f"{seed}:{step}")


def _pool(shares: list[tuple]) -> list:
    """A list to draw from with rng.choice, each value as often as its whole-number weight
    (much faster than rng.choices with weights, 5 million times)."""
    return [value for value, weight in shares for _ in range(weight)]


@dataclass
class _ShopSite:
    number: int
    status: str
    latitude: float
    longitude: float
    drive_id: int
    kind: str = ShopKind.BOOKSHOP
    id: int | None = None


@dataclass
class _Stockable:
    """Catalogue rows the shops may list, in the order generated (number n is the n-th
    EAN of its range), and how shops price them: `minimum_new_cents` is the lowest price
    of a new copy (the loi Lang's for a book, the shops' habit for other products)."""

    used_share: float
    at_list_price_share: float
    ids: array = field(default_factory=lambda: array("q"))
    list_cents: array = field(default_factory=lambda: array("l"))
    minimum_new_cents: array = field(default_factory=lambda: array("l"))


@dataclass
class _GenerationState:
    """What a step leaves for the next ones."""

    drives: list["_DrivePoint"] | None = None
    games_shop_numbers: set[int] = field(default_factory=set)
    shops: list[_ShopSite] | None = None
    books: _Stockable | None = None
    products: _Stockable | None = None


def _analyze() -> int:
    tables = [model._meta.db_table for model in (Book, Listing, Shop, Drive, OpeningPeriod)]
    tables += [Shop.drives.through._meta.db_table, Shop.kinds.through._meta.db_table]
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(f"{command} {', '.join(tables)}")
    return len(tables)


# --- A little French grammar: articles, elision, agreement -------------------------------------

# Words starting with these letters take "l'" and "d'". Only words with a silent h are
# in the lists ("l'hiver"; "hasard" or "hibou" would need "le").
VOWELS = "aàâäeéèêëiîïoôöuùûüœæh"


@dataclass(frozen=True)
class Noun:
    singular: str
    plural: str
    feminine: bool


@dataclass(frozen=True)
class Adjective:
    masculine: str
    feminine: str
    masculine_plural: str
    feminine_plural: str

    def agreeing(self, *, feminine: bool, plural: bool) -> str:
        if feminine:
            return self.feminine_plural if plural else self.feminine
        return self.masculine_plural if plural else self.masculine


@dataclass(frozen=True)
class Phrase:
    """A noun and its adjective, without article ("maison oubliée"), with what an
    article must agree with."""

    text: str
    feminine: bool
    plural: bool


def plural_of(word: str) -> str:
    if word.endswith(("s", "x", "z")):
        return word
    if word.endswith(("eau", "au", "eu")):
        return word + "x"
    if word.endswith("al"):
        return word[:-2] + "aux"
    return word + "s"


def word_list(text: str, separator: str | None = None) -> list[str]:
    """The words of `text` (split on blanks, or on `separator` for names with spaces),
    each once, in order: long lists read better as text than as quoted strings."""
    return list(dict.fromkeys(word.strip() for word in text.split(separator) if word.strip()))


def nouns(text: str) -> list[Noun]:
    """Nouns from "f:maison m:cheval/chevaux …" (gender, singular, irregular plural)."""
    parsed = []
    for word in word_list(text):
        gender, forms = word.split(":")
        singular, _, plural = forms.partition("/")
        parsed.append(Noun(singular, plural or plural_of(singular), feminine=gender == "f"))
    return parsed


def adjectives(text: str) -> list[Adjective]:
    """Adjectives from "tranquille secret/secrète bleu/bleue/bleus …" (masculine,
    feminine when not just + e, masculine plural when irregular)."""
    parsed = []
    for word in word_list(text):
        forms = word.split("/")
        masculine = forms[0]
        feminine = forms[1] if len(forms) > 1 else masculine if masculine.endswith("e") else masculine + "e"
        masculine_plural = forms[2] if len(forms) > 2 else plural_of(masculine)
        parsed.append(Adjective(masculine, feminine, masculine_plural, plural_of(feminine)))
    return parsed


def phrase(
    noun: Noun, *, plural: bool = False, adjective: Adjective | None = None, before: bool = False
) -> Phrase:
    text = noun.plural if plural else noun.singular
    if adjective:
        agreed = adjective.agreeing(feminine=noun.feminine, plural=plural)
        text = f"{agreed} {text}" if before else f"{text} {agreed}"
    return Phrase(text, noun.feminine, plural)


def _elides(text: str) -> bool:
    return text[0].lower() in VOWELS


def the(words: Phrase) -> str:
    if words.plural:
        return f"les {words.text}"
    if _elides(words.text):
        return f"l'{words.text}"
    return f"{'la' if words.feminine else 'le'} {words.text}"


def of_the(words: Phrase) -> str:
    if words.plural:
        return f"des {words.text}"
    if _elides(words.text):
        return f"de l'{words.text}"
    return f"{'de la' if words.feminine else 'du'} {words.text}"


def some(words: Phrase) -> str:
    if words.plural:
        return f"des {words.text}"
    return f"{'une' if words.feminine else 'un'} {words.text}"


def of(name: str) -> str:
    """ "de Groix", "d'Anna", "du Havre" (from "Le Havre"), "des Cévennes", "d'un jardin"."""
    if name.startswith(("le ", "Le ")):
        return "du " + name[3:]
    if name.startswith(("les ", "Les ")):
        return "des " + name[4:]
    return f"d'{name}" if _elides(name) else f"de {name}"


def at(name: str) -> str:
    """ "à Groix", "au Havre", "aux Sables-d'Olonne"."""
    if name.startswith(("le ", "Le ")):
        return "au " + name[3:]
    if name.startswith(("les ", "Les ")):
        return "aux " + name[4:]
    return f"à {name}"


_TITLE_ARTICLES = ("le ", "la ", "les ", "l'")


def title_case(title: str) -> str:
    """French titles capitalise the first word, and the noun after a leading definite
    article ("Le Phare de Groix", "L'Été d'Anna", but "Un été à Groix")."""
    for article in _TITLE_ARTICLES:
        if title.lower().startswith(article) and len(title) > len(article):
            rest = title[len(article) :]
            return article.capitalize() + rest[0].upper() + rest[1:]
    return title[0].upper() + title[1:]


# --- Words --------------------------------------------------------------------------------------
# Lists run from the most to the least used: titles pick with a skew towards the start,
# so that some words appear in many titles and others in a few (as in a real catalogue,
# and as the search benchmarks need).

COMMON_NOUNS = nouns("""
    f:nuit m:temps f:mer f:maison m:jour f:vie m:silence m:vent f:lumière m:secret f:terre m:ciel m:été m:hiver
    f:île m:jardin f:route m:voyage f:mémoire m:amour f:ombre m:cœur f:rivière m:chemin f:forêt f:histoire m:phare
    f:pluie m:printemps m:automne f:saison m:enfant f:femme m:homme f:fille m:fils m:père f:mère m:frère f:sœur
    m:roi f:reine m:monde f:ville m:village m:port m:rivage f:plage f:côte m:océan f:vague f:marée m:bateau
    m:navire m:marin f:étoile f:lune m:soleil m:matin m:soir f:aube f:heure f:année m:siècle m:rêve m:songe
    m:souvenir m:regard f:voix m:chant f:chanson m:nom m:visage f:main m:corps f:âme m:sang m:feu f:cendre f:neige
    m:brouillard f:brume f:tempête m:orage m:nuage m:horizon m:pays m:exil m:retour m:départ m:passage m:pont
    f:porte f:fenêtre m:mur f:chambre m:grenier f:cuisine f:table m:livre f:lettre m:carnet m:journal/journaux
    f:page m:mot f:parole m:récit m:conte f:légende m:mystère f:énigme m:crime f:enquête m:meurtre f:disparition
    m:témoin m:complot f:guerre f:paix f:révolte f:liberté f:promesse f:vérité m:mensonge m:oubli f:absence
    m:deuil f:joie f:colère f:peur m:désir f:fièvre f:folie f:patience m:courage f:chance m:destin m:héritage
    f:famille m:mariage f:noce m:festin f:fête m:dimanche f:montagne m:col m:sommet f:vallée m:fleuve m:lac
    m:étang m:marais m:bois m:arbre m:chêne m:tilleul f:rose m:lilas f:fleur f:herbe m:champ f:prairie f:ferme
    m:moulin f:grange m:verger f:vigne m:vin m:pain m:sel m:loup m:renard m:chat m:chien m:cheval/chevaux
    m:oiseau f:hirondelle m:corbeau f:baleine m:ours f:chouette m:cerf f:abeille m:papillon m:ange m:diable
    m:fantôme m:géant m:ogre f:sorcière f:fée m:dragon m:chevalier f:princesse m:prince m:capitaine m:pirate
    m:voyageur f:voyageuse m:étranger f:étrangère m:inconnu f:inconnue m:ami f:amie m:amant m:voisin f:voisine
    m:maître m:élève m:professeur m:médecin m:peintre m:musicien m:poète m:écrivain m:soldat m:gardien
    f:gardienne m:facteur m:photographe m:horloger f:couturière m:boulanger m:libraire f:gare m:train m:quai
    m:wagon f:voiture m:hôtel m:café m:théâtre m:cinéma m:musée f:bibliothèque f:école f:église f:chapelle
    m:château f:tour m:palais f:rue f:place m:marché m:carrefour f:frontière m:désert f:steppe f:jungle f:savane
    m:fjord f:baie f:crique m:cap f:pointe f:falaise m:rocher m:sable m:galet m:coquillage f:perle m:trésor f:clé
    f:boussole f:carte m:miroir m:portrait f:photographie m:tableau f:horloge f:montre m:piano m:violon f:danse
    f:valse m:tango f:enfance f:jeunesse f:vieillesse m:adieu m:baiser f:caresse f:blessure f:cicatrice m:remède
    f:racine f:branche f:feuille f:graine f:pomme f:orange f:cerise m:sucre m:miel m:thé m:lait f:soupe
""")
# Each in a few books in 10,000: what a search for a precise word finds.
RARE_NOUNS = nouns("""
    m:sémaphore m:goémon m:estran m:palimpseste m:astrolabe m:herbier m:alambic m:almanach m:cabestan f:chrysalide
    f:éphéméride m:filigrane m:grimoire m:mascaret f:mélisse f:nébuleuse f:ondine m:orpailleur f:pénombre
    m:sextant m:solstice m:tamaris m:varech m:zéphyr f:bruine m:cormoran m:cairn m:dolmen m:menhir m:korrigan
    m:ajonc f:bruyère f:lande f:grève m:aber f:chaumière m:calvaire m:clocher m:enclos f:lavandière m:sardinier
    m:thonier f:goélette f:misaine f:vigie f:écume m:embrun m:noroît m:suroît m:crachin m:brisant m:récif m:atoll
    m:archipel f:lagune m:estuaire m:alizé m:mistral/mistrals m:sirocco f:tramontane m:albatros m:pétrel
    m:macareux f:belette f:hermine f:loutre f:salamandre f:libellule f:luciole m:scarabée f:phalène
    m:cerf-volant/cerfs-volants f:aquarelle f:gouache m:fusain m:vélin m:parchemin m:codex m:incunable
    f:oriflamme f:tapisserie m:vitrail/vitraux m:campanile m:beffroi m:donjon f:échauguette f:poterne
    f:meurtrière m:labyrinthe m:oracle f:sibylle m:talisman f:amulette m:sortilège m:élixir m:automate
    m:zeppelin m:périscope m:scaphandre f:comète m:équinoxe m:méridien m:tropique f:éclipse f:aurore m:nadir
    m:zénith m:apogée f:ellipse m:kaléidoscope f:marelle m:cerceau f:toupie m:manège f:guinguette m:accordéon
    f:mandoline f:cornemuse m:biniou f:bombarde m:pardon m:lichen m:ressac f:sterne m:fanal f:chaloupe
""")
# Young readers' heroes.
CREATURES = nouns("""
    m:loup m:ours m:renard m:lapin f:tortue f:baleine f:chouette m:dragon f:sorcière m:pirate m:géant m:lutin
    f:fée m:ogre f:princesse m:chevalier m:crocodile m:éléphant f:girafe m:tigre m:lion m:pingouin m:poussin
    f:souris m:chat m:chien m:mouton m:cochon f:vache m:hippopotame m:koala m:panda m:monstre m:robot f:licorne
    m:dinosaure f:grenouille m:escargot f:coccinelle
""")
ADJECTIVES = adjectives("""
    noir blanc/blanche bleu/bleue/bleus rouge perdu oublié secret/secrète lointain sauvage sombre profond
    silencieux/silencieuse invisible éternel/éternelle brûlant glacé endormi inachevé interdit inconnu infini
    intime fragile heureux/heureuse amer/amère ancien/ancienne nocturne marin doré argenté vert gris clair immobile
    tranquille ordinaire paisible froid chaud léger/légère lent rebelle fidèle tendre brisé caché égaré enchanté
    imaginaire impossible inattendu lumineux/lumineuse mélancolique mystérieux/mystérieuse nu obscur ouvert pâle pur
    rare rêveur/rêveuse salé solitaire suspendu vagabond vaste vivant volé fauve ardent royal oriental tropical
    boréal abandonné aveugle blessé captif/captive cruel/cruelle dangereux/dangereuse désert discret/discrète
    effacé éphémère exilé familier/familière féroce fugitif/fugitive furieux/furieuse gelé grave incertain innocent
    insoumis intérieur invincible ivre joyeux/joyeuse libre magique maudit merveilleux/merveilleuse minuscule
    muet/muette noyé obstiné orphelin/orpheline parfait pareil/pareille pluvieux/pluvieuse précieux/précieuse
    provisoire quotidien/quotidienne sacré sage sentimental sourd têtu timide tremblant vide violent voilé
""")
# The few adjectives that come before the noun ("La Petite Maison", "Le Dernier Été").
ADJECTIVES_BEFORE = adjectives("""
    petit grand dernier/dernière premier/première long/longue bon/bonne jeune vrai mauvais gros/grosse autre seul
    joli doux/douce étrange immense triste
""")
# Names with their article ("la Rade", "le Havre"): of() and at() make "du Havre", "au Havre".
PLACES = list(
    dict.fromkeys(
        [
            *demo.PLACES,
            *word_list(
                """
    Brocéliande|Saint-Malo|Ouessant|l'île de Sein|Bréhat|Douarnenez|Concarneau|Carnac|Bénodet|Audierne|Paimpol
    |Morlaix|Dinan|Cancale|Erquy|Tréguier|Lannion|Pontivy|Josselin|Rochefort-en-Terre|La Baule|Guérande
    |Noirmoutier|l'île d'Yeu|l'île de Ré|Oléron|La Rochelle|Arcachon|Biarritz|Bayonne|Collioure|Sète|Arles
    |Avignon|Nîmes|Uzès|Aigues-Mortes|la Camargue|le Luberon|Grasse|Antibes|Menton|Bastia|Ajaccio|Bonifacio|Corte
    |Chamonix|Annecy|Chambéry|Grenoble|Lyon|Vienne|Valence|le Vercors|la Chartreuse|le Jura|Besançon|Dole|Colmar
    |Strasbourg|Nancy|Metz|Verdun|Reims|Épernay|Troyes|Dijon|Beaune|Auxerre|Vézelay|Nevers|Bourges|Orléans|Blois
    |Amboise|Chinon|Saumur|Angers|Nantes|Clisson|Tours|Loches|Chartres|Rouen|Honfleur|Étretat|Fécamp|Dieppe
    |Deauville|Cabourg|Bayeux|Cherbourg|Granville|Avranches|Le Mont-Saint-Michel|Caen|Amiens|Abbeville|Arras|Lille
    |Roubaix|Dunkerque|Calais|Boulogne|Laon|Soissons|Compiègne|Senlis|Paris|Montmartre|Belleville|Versailles
    |Fontainebleau|Provins|Limoges|Aubusson|Brive|Tulle|Périgueux|Sarlat|Bergerac|Cahors|Figeac|Rodez|Conques
    |Millau|Albi|Toulouse|Carcassonne|Narbonne|Perpignan|Foix|Pau|Lourdes|Tarbes|Auch|Agen|Dax|Bordeaux
    |Saint-Émilion|Cognac|Angoulême|Poitiers|Niort|Clermont|Vichy|Aurillac|Le Puy|Saint-Flour|l'Aubrac
    |les Cévennes|l'Ardèche|la Drôme|Montélimar|Orange|Carpentras|Manosque|Forcalquier|Sisteron|Digne|Briançon
    |l'Estuaire|la Côte sauvage|les Monts d'Arrée|le Finistère|la Cornouaille|le Léon|le Trégor|le Morbihan
    |le Golfe|l'Aber Wrac'h|Plouha|Tréboul|Quimperlé|Lorient|Lanester|Hennebont|Vannes|Auray|Quimper|Brest
    |Rennes|Les Sables-d'Olonne|Le Havre|Marseille|Nice|Montpellier|Tanger|Alger|Dakar|Montréal|Naples|Venise
    |Lisbonne|Trieste|Istanbul|Saïgon|Buenos Aires|Valparaiso|Zanzibar|Tombouctou|Samarcande|Odessa|Dublin
""",
                "|",
            ),
        ]
    )
)
FIRST_NAMES = list(
    dict.fromkeys(
        [
            *demo.FIRST_NAMES,
            *word_list("""
    Marie Jeanne Louise Camille Claire Hélène Sophie Julie Isabelle Catherine Françoise Nathalie Sylvie Martine
    Christine Valérie Sandrine Céline Élise Émilie Léa Manon Chloé Inès Zoé Alice Lucie Juliette Margaux Pauline
    Charlotte Mathilde Agathe Apolline Bérénice Capucine Clémence Colette Delphine Édith Éléonore Fanny Gabrielle
    Geneviève Hortense Irène Joséphine Laure Lison Madeleine Marguerite Marthe Nina Odile Olympe Paule Rose Salomé
    Simone Solène Suzanne Thérèse Violette Yvonne Armelle Gwenaëlle Enora Rozenn Annaïg Klervi Aziliz Awena Nadia
    Leïla Yasmina Samia Amina Fatou Aïssata Mei Lina Sarah Rachel Myriam Jean Pierre Paul Jacques Michel Philippe
    Alain Bernard François Nicolas Olivier Laurent Éric Christophe Stéphane Thierry Sébastien Julien Antoine Louis
    Hugo Lucas Gabriel Raphaël Arthur Jules Léon Victor Émile Adrien Baptiste Benoît Bruno Cédric Clément Damien
    Denis Didier Étienne Fabien Félix Gaspard Gilles Guillaume Henri Jérôme Joseph Lionel Marc Mathieu Maxime Noël
    Octave Pascal Patrice Quentin Rémi Roland Samuel Simon Théo Thomas Tristan Vincent Xavier Yves Gaël Goulven
    Corentin Maël Tugdual Gwenolé Brieuc Malo Karim Mehdi Rachid Youssef Omar Moussa Ibrahima Amadou Minh
"""),
        ]
    )
)
LAST_NAMES = list(
    dict.fromkeys(
        [
            *demo.LAST_NAMES,
            *word_list(
                """
    Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Simon|Laurent|Lefebvre|Michel|Garcia
    |David|Bertrand|Roux|Vincent|Fournier|Morel|Girard|André|Lefèvre|Mercier|Dupont|Lambert|Bonnet|François
    |Martinez|Legrand|Garnier|Faure|Rousseau|Blanc|Guérin|Muller|Henry|Roussel|Nicolas|Perrin|Morin|Mathieu
    |Clément|Gauthier|Dumont|Lopez|Fontaine|Chevalier|Robin|Masson|Sanchez|Gérard|Nguyen|Boyer|Denis|Lemaire
    |Duval|Joly|Gautier|Roger|Roche|Roy|Noël|Meyer|Lucas|Meunier|Perez|Marchand|Dufour|Blanchard|Barbier|Brun
    |Dumas|Brunet|Schmitt|Leroux|Colin|Fernandez|Renard|Arnaud|Rolland|Caron|Aubert|Giraud|Leclerc|Vidal
    |Bourgeois|Renaud|Lemoine|Picard|Gaillard|Lacroix|Fabre|Dupuis|Olivier|Rodriguez|Da Silva|Hubert|Charles
    |Guillot|Rivière|Guillaume|Adam|Rey|Moulin|Berger|Lecomte|Ménard|Fleury|Deschamps|Carpentier|Julien|Benoît
    |Maillard|Marchal|Aubry|Vasseur|Renault|Jacquet|Collet|Prévost|Poirier|Charpentier|Royer|Huet|Baron|Dupuy
    |Pons|Carré|Breton|Rémy|Schneider|Perrot|Guyot|Barre|Marty|Cousin|Le Bras|Le Floch|Le Meur|Le Corre|Le Guen
    |Le Moal|Le Berre|Le Pape|Le Du|Le Page|Le Coz|Le Hir|Le Gac|Le Borgne|Le Gouill|Le Dantec|Le Scouarnec
    |Kerbrat|Kermarrec|Kerhervé|Kervran|Kerjean|Guégan|Gourvennec|Pennec|Nédélec|Bothorel|Hamon|Jégou|Cloarec
    |Derrien|Penven|Quéméneur|Quiniou|Abgrall|Stéphan|Raoul|Lozac'h|Madec|Salaün|Urvoy|Yvinec|Coatanéa|Even
    |Gloaguen|Goasdoué|Guivarc'h|Ollivier|Péron|Roudaut|Thépaut|Trividic|Benali|Haddad|Diallo|Traoré|Bensaïd
    |Tran|Pham|Lemarchand|Delacroix|Desmoulins|Beaumont|Villeneuve|Marceau|Valette|Lenoir|Chauvin|Bouvier
""",
                "|",
            ),
        ]
    )
)
# Authors of the books translated into French.
FOREIGN_FIRST_NAMES = word_list("""
    John Mary Emma James Olivia William Hans Greta Ingrid Lars Astrid Sven Marco Giulia Luca
    Chiara Pablo Lucía Carmen Diego Isabel Joaquim Ana Kenji Yoko Olga Ivan Dmitri Anna Jakub Zofia Seamus Siobhan
    Aoife Kofi Amara
""")
FOREIGN_LAST_NAMES = word_list("""
    Smith Johnson Brown Taylor Wilson Miller O'Brien Murphy Schmidt Weber Fischer Larsen
    Andersen Lindqvist Rossi Bianchi Esposito García Fernández Moreno Silva Santos Pereira Tanaka Suzuki Watanabe
    Ivanov Petrova Nowak Kowalski Novák Horváth Papadopoulos Okafor Mensah
""")
# Invented family names and hamlets ("Keravec", "Plouménan", "Roussolès"): 43,200 of
# them, so that the catalogue has a long tail of words few books share, as the proper
# names of a real one do (and as the search's spelling corrections need).
NAME_PARTS = [
    word_list(
        "Ker Plou Lan Tré Pen Lo Gui Mor Bel Vil Mont Roc Beau Font Chab Mar Sau Cas Bour Dom Lez Quin Ros Gour"
    ),
    word_list("a e i o ou é an en in on"),
    word_list("v l r d g b z s m n t ch"),
    word_list("ec ic en ot and ier as ard eau in on el ès ac oux"),
]
PAST_VERBS = ["savait", "cachait", "disait", "taisait", "voyait", "murmurait", "racontait", "emportait", "gardait",
              "promettait", "attendait", "oubliait"]  # fmt: skip
PRESENT_VERBS = ["se tait", "s'éveille", "revient", "s'endort", "tombe", "brûle", "chante", "se lève", "s'efface",
                 "disparaît", "se retire", "gronde", "attend"]  # fmt: skip
PLURAL_VERBS = ["restent", "partent", "rêvent", "mentent", "attendent", "brûlent", "reviennent", "s'aiment",
                "se taisent", "résistent", "survivent", "s'enfuient"]  # fmt: skip
YOUNG_HERO_WISHES = ["ne voulait pas dormir", "voulait voir la mer", "avait peur du noir", "cherchait un ami",
                     "rêvait d'étoiles", "mangeait des livres", "ne savait pas nager", "voulait voler",
                     "avait perdu son doudou", "comptait les nuages", "voulait devenir roi", "n'aimait pas l'école",
                     "parlait aux arbres", "cherchait sa maman", "avait un secret", "voulait tout savoir",
                     "faisait des bêtises", "dansait sous la pluie", "collectionnait les cailloux",
                     "attendait Noël"]  # fmt: skip
YOUNG_HEROES = ["Le Garçon", "La Fille", "L'Enfant", "La Voix", "Le Dernier", "La Dernière", "L'Inconnu",
                "L'Étrangère", "Celle", "Celui"]  # fmt: skip
JOURNEYS = ["Retour", "Dernier été", "Un hiver", "Nuits", "Adieu", "Lettres", "Naufrage", "Escale", "Exil",
            "Rendez-vous"]  # fmt: skip
REGIONAL_COOKING = ["La Cuisine", "Les Recettes", "Les Desserts", "Le Goût", "Les Saveurs", "Les Gâteaux",
                    "La Table"]  # fmt: skip
TRAVEL_KINDS = ["carnet de voyage", "promenades", "itinéraires", "carnet de croquis", "le guide",
                "balades et randonnées", "l'essentiel", "week-ends"]  # fmt: skip
TRACES = ["Sur les chemins", "Sur les traces", "Au fil", "Les Secrets", "Les Trésors", "Flâneries autour",
          "Les Sentiers"]  # fmt: skip
CENTURIES = ["XIIe", "XIIIe", "XIVe", "XVe", "XVIe", "XVIIe", "XVIIIe", "XIXe", "XXe"]
DISHES = ["les algues", "le poisson", "les crêpes", "le sarrasin", "les coquillages", "les champignons",
          "le chocolat", "les confitures", "les légumes oubliés", "les soupes", "le pain", "les herbes sauvages",
          "les fromages", "les épices", "le thé", "les tartes", "les légumineuses", "le riz", "les pâtes",
          "les fruits rouges", "les pommes", "le beurre salé", "les fruits de mer", "le gibier", "les œufs",
          "les agrumes", "les noix", "le miel", "les courges", "les plantes sauvages"]  # fmt: skip
HOBBIES = ["Jardiner", "Tricoter", "Cuisiner", "Bricoler", "Marcher", "Méditer", "Coudre", "Photographier",
           "Dessiner", "Pêcher", "Peindre", "Observer", "Cultiver", "Broder", "Sculpter", "Fabriquer",
           "Reconnaître", "Élever", "Soigner", "Conserver"]  # fmt: skip
HOBBY_MANNERS = ["au naturel", "sans se ruiner", "en famille", "au fil des saisons", "pour les nuls",
                 "en ville", "avec les enfants", "pas à pas", "comme un chef", "en 30 minutes", "à petit prix",
                 "zéro déchet", "en bord de mer", "à la montagne", "toute l'année", "sans stress",
                 "comme autrefois", "en appartement", "au jardin", "entre amis"]  # fmt: skip
# Essay titles: "Éloge de la lenteur", "Petit traité du silence".
ESSAY_FORMS = ["Éloge", "Petit traité", "Pour une philosophie", "Une brève histoire", "Anthropologie", "Critique",
               "Sociologie", "Politique", "Généalogie", "Archéologie"]  # fmt: skip


# --- Places ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Commune:
    insee_code: str
    postcode: str
    name: str
    latitude: float
    longitude: float


def communes() -> list[_Commune]:
    """One row per commune (INSEE code), with its first postcode; all rows of a commune
    share its centroid."""
    rows = (
        Locality.objects.order_by("insee_code", "postcode", "place")
        .distinct("insee_code")
        .values_list("insee_code", "postcode", "name", "latitude", "longitude")
    )
    return [_Commune(*row) for row in rows]


_ARTICLES = {"LE": "Le ", "LA": "La ", "LES": "Les ", "L": "L'"}
_LOWER_WORDS = {"DE", "DU", "DES", "LA", "LE", "LES", "EN", "SUR", "SOUS", "ET", "AUX", "AU", "A", "LO"}
_ELIDED_WORDS = {"D": "d'", "L": "l'"}
_EXPANDED_WORDS = {"ST": "Saint", "STE": "Sainte"}


def commune_display_name(laposte_name: str) -> tuple[str, str]:
    """(town, name with its arrondissement) from La Poste's upper-case, unaccented
    spelling: "STE ANNE D AURAY" → "Sainte-Anne-d'Auray", "PARIS 11" → ("Paris",
    "Paris 11e"). Accents stay lost: "QUIMPERLE" becomes "Quimperle"."""
    words = laposte_name.split()
    arrondissement = ""
    if len(words) > 1 and words[-1].isdigit():
        number = int(words.pop())
        arrondissement = " 1er" if number == 1 else f" {number}e"
    article = _ARTICLES.get(words[0], "") if len(words) > 1 else ""
    if article:
        words = words[1:]
    town = ""
    for index, word in enumerate(words):
        if word == "H" and index:
            town += "'h"  # Breton "c'h", written "C H" by La Poste
            continue
        if word in _ELIDED_WORDS and index:
            town += "-" + _ELIDED_WORDS[word]
            continue
        if word in _LOWER_WORDS and index:
            part = "à" if word == "A" else word.lower()
        else:
            part = _EXPANDED_WORDS.get(word, word.capitalize())
        joiner = "" if not index or town.endswith("'") else "-"
        town += joiner + part
    town = article + town
    return town, town + arrondissement


DRIVE_STREETS = ["avenue du Général de Gaulle", "route de la Gare", "boulevard de l'Europe", "avenue de la Libération",
                 "rue du Commerce", "route Nationale", "avenue Jean Jaurès", "rue de l'Industrie",
                 "zone commerciale du Moulin", "avenue des Sports", "boulevard Pasteur", "route de la Mer",
                 "avenue de Verdun", "rue des Artisans", "avenue du Maréchal Leclerc", "route du Stade",
                 "boulevard Jean Moulin", "avenue de Bretagne", "rue Gustave Eiffel",
                 "parc d'activités des Landes"]  # fmt: skip
SHOP_STREETS = ["rue du Port", "place du Marché", "rue de la République", "rue Victor Hugo", "Grande Rue",
                "rue des Écoles", "quai des Indes", "rue Gambetta", "place de l'Église", "rue Nationale",
                "rue du Château", "rue Saint-Michel", "place de la Mairie", "rue des Halles", "rue Émile Zola",
                "rue de la Paix", "cours de la Liberté", "rue Pasteur", "rue du Four", "rue des Tanneurs",
                "place du Martray", "rue Jean Jaurès", "rue de Siam", "quai de la Fosse", "rue Voltaire",
                "rue des Carmes", "rue de la Juiverie", "place des Lices", "rue du Pont", "rue Carnot"]  # fmt: skip
# A second drive in the same commune (more drives asked than communes known).
DRIVE_NAME_SUFFIXES = ["Nord", "Sud", "Est", "Ouest", "Centre", "Gare", "Port", "Les Halles"]

# A drive's car park is not the commune's centroid.
DRIVE_JITTER_KM = 2.0
SHOP_MAX_DISTANCE_KM = 12.0
DRIVE_REACH_KM = 30.0
KM_PER_DEGREE = 111.2


def _moved(latitude: float, longitude: float, rng: random.Random, max_km: float) -> tuple[float, float]:
    """A point up to `max_km` from the given one, in a random direction (rounded to ~10 cm)."""
    distance, bearing = max_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / KM_PER_DEGREE
    dlon = distance * math.sin(bearing) / (KM_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.1))
    return round(latitude + dlat, 6), round(longitude + dlon, 6)


# --- Drives ----------------------------------------------------------------------------------

DRIVE_COLUMNS = (
    "name",
    "slug",
    "address",
    "postcode",
    "town",
    "latitude",
    "longitude",
    "region",
    "is_active",
)


def _create_drives(cursor, rng: random.Random, count: int, now: str) -> int:
    if not count:
        return 0
    known = communes()
    if not known:
        raise GenerationError("no locality: load La Poste's postcodes first (manage.py import_postcodes)")
    copy_rows(cursor, Drive._meta.db_table, DRIVE_COLUMNS, _drive_rows(rng, count, known))
    return count


def _drive_rows(rng: random.Random, count: int, known: list[_Commune]) -> Iterator[tuple]:
    """Drives in distinct communes; past the number of communes, again in the same
    ones, further from the centre and with a suffix ("Drive Lorient Nord")."""
    picked = rng.sample(known, min(count, len(known)))
    for index in range(count):
        commune = picked[index % len(picked)]
        round_number = index // len(picked)
        town, name = commune_display_name(commune.name)
        name = f"Drive {name}"
        if round_number:
            suffixes = DRIVE_NAME_SUFFIXES
            name += " " + (
                suffixes[round_number - 1] if round_number <= len(suffixes) else str(round_number + 1)
            )
        latitude, longitude = _moved(
            commune.latitude, commune.longitude, rng, DRIVE_JITTER_KM * (1 + 2 * round_number)
        )
        yield (
            name,
            f"{slugify(name)[:120]}-gen-{index + 1}",
            f"{rng.randint(1, 180)} {rng.choice(DRIVE_STREETS)}",
            commune.postcode,
            town,
            latitude,
            longitude,
            region_for_postcode(commune.postcode),
            "t",
        )


@dataclass(frozen=True)
class _DrivePoint:
    id: int
    latitude: float
    longitude: float
    postcode: str
    town: str


class _DriveGrid:
    """Drives bucketed by half-degree cells: the drives within 30 km of a point are in
    its cell or the 8 around it (half a degree of longitude is 33 km at Dunkirk)."""

    CELL_DEGREES = 0.5

    def __init__(self, drives: list[_DrivePoint]):
        self.cells: dict[tuple[int, int], list[_DrivePoint]] = {}
        for drive in drives:
            self.cells.setdefault(self._cell(drive.latitude, drive.longitude), []).append(drive)

    def _cell(self, latitude: float, longitude: float) -> tuple[int, int]:
        return int(latitude // self.CELL_DEGREES), int(longitude // self.CELL_DEGREES)

    def nearest(self, latitude: float, longitude: float, *, within_km: float) -> list[_DrivePoint]:
        row, column = self._cell(latitude, longitude)
        found = []
        for cell_row in (row - 1, row, row + 1):
            for cell_column in (column - 1, column, column + 1):
                for drive in self.cells.get((cell_row, cell_column), ()):
                    distance = haversine_km(latitude, longitude, drive.latitude, drive.longitude)
                    if distance <= within_km:
                        found.append((distance, drive.id, drive))
        return [drive for _distance, _id, drive in sorted(found)]


def _active_drives() -> list[_DrivePoint]:
    rows = Drive.objects.filter(is_active=True).order_by("slug")
    return [_DrivePoint(*row) for row in rows.values_list("id", "latitude", "longitude", "postcode", "town")]


# --- Shops -----------------------------------------------------------------------------------

SHOP_COLUMNS = ("trade_name", "slug", "legal_name", "siret", "status", "address", "postcode", "town",
                "latitude", "longitude", "phone", "email", "website", "description", "logo",
                "contact_first_name", "contact_last_name", "contact_email", "contact_phone", "language",
                "preparation_hours", "holding_days", "holiday_message", "created_at", "updated_at")  # fmt: skip
PREPARATION_HOURS = _pool([(1, 3), (2, 10), (3, 3), (4, 2), (24, 1)])
HOLDING_DAYS = _pool([(5, 2), (7, 10), (10, 2), (14, 1)])
SHOP_STATUSES = _pool(
    [
        (Shop.Status.APPROVED, 94),
        (Shop.Status.PENDING, 3),
        (Shop.Status.SUSPENDED, 2),
        (Shop.Status.REJECTED, 1),
    ]
)
LEGAL_FORMS = ["SARL", "SARL", "SARL", "SAS", "SAS", "EURL", "SCOP"]
# The first digit of a French landline number by region (01 Paris … 05 south-west;
# 09, not tied to a place, elsewhere).
LANDLINE_ZONES = {Region.ILE_DE_FRANCE: "1", Region.BRETAGNE: "2", Region.PAYS_DE_LA_LOIRE: "2",
                  Region.NORMANDIE: "2", Region.CENTRE_VAL_DE_LOIRE: "2", Region.HAUTS_DE_FRANCE: "3",
                  Region.GRAND_EST: "3", Region.BOURGOGNE_FRANCHE_COMTE: "3", Region.AUVERGNE_RHONE_ALPES: "4",
                  Region.PROVENCE_ALPES_COTE_D_AZUR: "4", Region.CORSE: "4", Region.OCCITANIE: "5",
                  Region.NOUVELLE_AQUITAINE: "5"}  # fmt: skip
SHOP_LANDMARKS = ["du Port", "des Remparts", "de la Fontaine", "du Marché", "des Halles", "du Quai", "de la Gare",
                  "du Château", "du Cloître", "du Beffroi", "de la Cathédrale", "du Canal", "de la Rade", "du Phare",
                  "du Moulin", "des Tilleuls", "du Parvis", "de la Place", "des Arcades", "du Vieux Port",
                  "de l'Horloge", "de l'Abbaye", "des Quais", "des Lices", "du Pont", "de la Tour"]  # fmt: skip
SHOP_PLACES = ["Le Comptoir", "La Maison", "Le Repaire", "L'Atelier", "La Cabane", "Le Grenier", "L'Antre",
               "La Boutique", "Le Jardin", "L'Île"]  # fmt: skip
SHOP_OWNERS = ["Le Chat", "La Chouette", "Le Renard", "La Baleine", "L'Ours", "La Mouette", "Le Loup", "La Tortue",
               "L'Écureuil", "Le Corbeau", "La Pie", "Le Lièvre"]  # fmt: skip
SHOP_OWNER_HABITS = ["qui Lit", "qui Rêve", "qui Bouquine", "qui Flâne", "qui Voyage", "Lecteur", "Bavard"]
SHOP_THINGS = ["L'Encre", "La Plume", "La Page", "Le Papier", "Le Livre", "La Lanterne", "La Boussole", "Le Carnet",
               "La Virgule", "Le Marque-Page", "L'Étoile", "La Marée"]  # fmt: skip
SHOP_WORDS = nouns("""
    m:mot f:page f:lettre m:livre f:ligne f:plume f:feuille f:histoire m:conte m:chapitre m:rêve m:songe f:encre
    m:papier f:bulle
""")
SHOP_ADJECTIVES = adjectives("""
    voyageur/voyageuse buissonnier/buissonnière vagabond nomade bavard libre curieux/curieuse enchanté
    rêveur/rêveuse sauvage complice gourmand envolé partagé retrouvé vivant
""")
SHOP_SPECIALITIES = ["romans et polars", "bandes dessinées et mangas", "littérature jeunesse",
                     "livres de voyage et cartes", "histoire régionale", "sciences humaines", "poésie et théâtre",
                     "beaux livres", "livres d'occasion", "littérature bretonne", "cuisine et jardinage"]  # fmt: skip
SHOP_SERVICES = ["Commandes livrées en 48 heures.", "Rencontres d'auteurs chaque mois.",
                 "Club de lecture le premier jeudi du mois.", "Heure du conte le mercredi.",
                 "Cartes cadeaux et emballage offert.", "Rachat de livres d'occasion sur rendez-vous.",
                 "Coin café et salon de lecture.", "Dédicaces et expositions toute l'année."]  # fmt: skip
# Games-and-toys shops: "La Boîte à Jeux", "Le Comptoir des Toupies", "Au Dé Voyageur"…
GAMES_SHOP_WORDS = nouns("""
    m:jeu/jeux m:jouet m:dé f:toupie m:lutin m:dragon f:bille m:pion f:malice f:marelle m:korrigan f:carte
    m:cerf-volant/cerfs-volants f:licorne m:pirate
""")
GAMES_SHOP_BOXES = ["La Boîte à Jeux", "La Boîte à Malices", "La Malle aux Jouets", "Le Coffre à Jouets",
                    "La Caverne aux Jeux", "Le Grenier à Jeux"]  # fmt: skip
GAMES_SHOP_SPECIALITIES = ["jeux de société", "jeux d'ambiance", "jouets en bois", "puzzles", "jeux de stratégie",
                           "jouets d'éveil", "loisirs créatifs", "peluches", "disques et vinyles"]  # fmt: skip
GAMES_SHOP_SERVICES = ["Soirées jeux le vendredi.", "Tables de démonstration en boutique.",
                       "Des conseils pour tous les âges.", "Emballage cadeau offert.",
                       "Listes de naissance et d'anniversaire.", "Ludothèque de prêt pour les adhérents."]  # fmt: skip


def _games_shop_numbers(rng: random.Random, scale: Scale) -> set[int]:
    """Which generated shops sell games and toys (one in GAMES_SHOP_SHARE, at least one)
    when the scale has listings of products for them; the others are bookshops. From a
    stream of its own: the shops' names and places do not depend on it."""
    if not scale.shops or not scale.product_listings:
        return set()
    count = math.ceil(scale.shops * GAMES_SHOP_SHARE)
    return set(rng.sample(range(1, scale.shops + 1), count))


def _create_shops(
    cursor,
    rng: random.Random,
    count: int,
    now: str,
    state: _GenerationState,
    *,
    collection_rng: random.Random,
) -> int:
    state.drives = _active_drives()
    state.shops = []
    if not count:
        return 0
    taken_slugs = set(Shop.objects.values_list("slug", flat=True))
    drives_by_id = {drive.id: drive for drive in state.drives}
    # Every drive gets a shop before any gets a second one; then at random.
    first_round = rng.sample(state.drives, len(state.drives))
    for number in range(1, count + 1):
        drive = first_round[number - 1] if number <= len(first_round) else rng.choice(state.drives)
        # Most shops are in the drive's town, some in the villages around.
        latitude, longitude = _moved(
            drive.latitude, drive.longitude, rng, SHOP_MAX_DISTANCE_KM * rng.random()
        )
        kind = ShopKind.GAMES_AND_TOYS if number in state.games_shop_numbers else ShopKind.BOOKSHOP
        state.shops.append(_ShopSite(number, rng.choice(SHOP_STATUSES), latitude, longitude, drive.id, kind))
    # Collection settings from a stream of their own: the rest of a seed's shops does not
    # depend on them.
    rows = (
        (
            *_shop_row(rng, site, drives_by_id[site.drive_id], taken_slugs),
            *_collection(collection_rng),
            now,
            now,
        )
        for site in state.shops
    )
    copy_rows(
        cursor,
        Shop._meta.db_table,
        SHOP_COLUMNS,
        rows,
        not_null=("website", "logo", "contact_phone", "holiday_message"),
    )
    ids = dict(generated_shops().values_list("siret", "id"))
    for site in state.shops:
        site.id = ids[generated_siret(site.number)]
    kind_ids = dict(ShopKind.objects.values_list("code", "pk"))
    copy_rows(cursor, Shop.kinds.through._meta.db_table, ("shop_id", "shopkind_id"),
              ((site.id, kind_ids[site.kind]) for site in state.shops))  # fmt: skip
    return count


def _shop_row(rng: random.Random, site: _ShopSite, drive: _DrivePoint, taken_slugs: set) -> tuple:
    """The shop's columns up to its language (SHOP_COLUMNS)."""
    games = site.kind == ShopKind.GAMES_AND_TOYS
    trade_name = (_games_shop_name if games else _shop_name)(rng, drive.town)
    slug = _unique_slug(f"{trade_name} {drive.town}", taken_slugs)
    domain = f"{slug[:60].strip('-')}.example"  # a label of a domain name has 63 characters at most
    first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    if games:
        what, specialities, services = "Jeux et jouets", GAMES_SHOP_SPECIALITIES, GAMES_SHOP_SERVICES
    else:
        what, specialities, services = "Librairie indépendante", SHOP_SPECIALITIES, SHOP_SERVICES
    first, second = rng.sample(specialities, 2)
    description = f"{what} à {drive.town} : {first}, {second}. " + " ".join(
        rng.sample(services, rng.randint(1, 2))
    )
    return (
        trade_name,
        slug,
        f"{rng.choice(LEGAL_FORMS)} {trade_name}",
        generated_siret(site.number),
        site.status,
        f"{rng.randint(1, 90)} {rng.choice(SHOP_STREETS)}",
        drive.postcode,
        drive.town,
        site.latitude,
        site.longitude,
        _landline(rng, drive.postcode),
        f"contact@{domain}",
        f"https://www.{domain}/" if rng.random() < 0.5 else "",
        description,
        "",
        first_name,
        last_name,
        f"{slugify(first_name)}.{slugify(last_name)}@{domain}",
        _mobile(rng) if rng.random() < 0.7 else "",
        "fr",
    )


def _collection(rng: random.Random) -> tuple:
    """Preparation hours, holding days, holiday message: most shops keep the defaults."""
    return rng.choice(PREPARATION_HOURS), rng.choice(HOLDING_DAYS), ""


def _landline(rng: random.Random, postcode: str) -> str:
    # The second digit avoids the blocks lent to overseas departments (02 62, 05 90…)
    # and those not in service (04 0…): the phone fields check numbers against them.
    zone = LANDLINE_ZONES.get(region_for_postcode(postcode), "9")
    return f"+33{zone}{rng.choice('13457')}{rng.randrange(10**7):07d}"


def _mobile(rng: random.Random) -> str:
    return f"+336{rng.choice('0124678')}{rng.randrange(10**7):07d}"


def _shop_name(rng: random.Random, town: str) -> str:
    """ "Librairie du Port", "Les Mots Voyageurs", "Au Fil des Pages", "Le Chat qui Lit"…"""
    pattern = rng.randrange(8)
    if pattern == 0:
        return f"Librairie {rng.choice(SHOP_LANDMARKS)}"
    if pattern == 1:
        return f"Librairie {rng.choice(LAST_NAMES)}"
    if pattern == 2:
        return f"La Bouquinerie {of(town)}"
    if pattern == 3:
        return f"{rng.choice(SHOP_OWNERS)} {rng.choice(SHOP_OWNER_HABITS)}"
    if pattern == 4:
        first, second = rng.sample(SHOP_THINGS, 2)
        return f"{first} et {second[0].lower()}{second[1:]}"
    words = rng.choice(SHOP_WORDS)
    if pattern == 5:
        named = phrase(words, plural=True, adjective=rng.choice(SHOP_ADJECTIVES))
        return "Les " + " ".join(word[0].upper() + word[1:] for word in named.text.split())
    prefix = "Au Fil" if pattern == 6 else rng.choice(SHOP_PLACES)
    return f"{prefix} {of_the(_capitalized(phrase(words, plural=True)))}"


def _games_shop_name(rng: random.Random, town: str) -> str:
    """ "La Boîte à Jeux", "Le Comptoir des Toupies", "Au Dé Voyageur", "Jeux et Jouets de Vannes"…"""
    pattern = rng.randrange(4)
    if pattern == 0:
        return rng.choice(GAMES_SHOP_BOXES)
    if pattern == 1:
        return f"Jeux et Jouets {of(town)}"
    if pattern == 2:
        adjective = rng.choice(SHOP_ADJECTIVES).masculine
        return f"Au Dé {adjective[0].upper()}{adjective[1:]}"
    return (
        f"{rng.choice(SHOP_PLACES)} {of_the(_capitalized(phrase(rng.choice(GAMES_SHOP_WORDS), plural=True)))}"
    )


def _unique_slug(text: str, taken: set) -> str:
    """Like shops.models.unique_slug, against the slugs in `taken` (which it extends)."""
    base = slugify(text)[:150] or "x"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


def _join_drives(cursor, rng: random.Random, state: _GenerationState) -> int:
    """Each shop joins its own drive and up to two more of the nearest within 30 km."""
    grid = _DriveGrid(state.drives)
    rows = []
    for site in state.shops:
        wanted = rng.choice((1, 1, 2, 2, 3))
        nearest = grid.nearest(site.latitude, site.longitude, within_km=DRIVE_REACH_KM)
        others = [drive.id for drive in nearest if drive.id != site.drive_id][: wanted - 1]
        rows.extend((site.id, drive_id) for drive_id in [site.drive_id, *others])
    copy_rows(cursor, Shop.drives.through._meta.db_table, ("shop_id", "drive_id"), rows)
    return len(rows)


# --- Opening hours -------------------------------------------------------------------------

# How independent bookshops open in France: Tuesday to Saturday around a lunch break;
# some also on Monday afternoon, town-centre ones without a break, a few on Sunday morning.
WEEK_KINDS = _pool([("classic", 40), ("monday afternoon", 20), ("no lunch break", 20),
                    ("sunday morning", 10), ("six days", 10)])  # fmt: skip
OPENS = ["09:00", "09:30", "09:30", "10:00"]
CLOSES = ["18:30", "19:00", "19:00", "19:30"]
LUNCH_BREAKS = [
    ("12:00", "14:00"),
    ("12:30", "14:00"),
    ("12:30", "14:30"),
    ("12:00", "13:30"),
]
TUESDAY_TO_SATURDAY = range(Weekday.TUESDAY, Weekday.SATURDAY + 1)
OPENING_COLUMNS = ("shop_id", "weekday", "opens", "closes")


def weekly_hours(rng: random.Random) -> list[tuple[int, str, str]]:
    """A bookshop's week as (weekday, opens, closes) ranges, times as "09:30"."""
    kind = rng.choice(WEEK_KINDS)
    opens, closes = rng.choice(OPENS), rng.choice(CLOSES)
    lunch_starts, lunch_ends = rng.choice(LUNCH_BREAKS)
    # Saturday evenings are often shorter.
    saturday_closes = "18:00" if rng.random() < 0.3 else closes
    if kind in ("no lunch break", "six days"):
        days = range(Weekday.MONDAY, Weekday.SATURDAY + 1) if kind == "six days" else TUESDAY_TO_SATURDAY
        return [(day, opens, saturday_closes if day == Weekday.SATURDAY else closes) for day in days]
    week = []
    if kind == "monday afternoon":
        week.append((Weekday.MONDAY, lunch_ends, closes))
    for day in TUESDAY_TO_SATURDAY:
        week.append((day, opens, lunch_starts))
        week.append((day, lunch_ends, saturday_closes if day == Weekday.SATURDAY else closes))
    if kind == "sunday morning":
        week.append((Weekday.SUNDAY, "10:00", rng.choice(["12:30", "13:00"])))
    return week


def _create_opening_hours(cursor, rng: random.Random, state: _GenerationState) -> int:
    rows = [
        (site.id, int(day), opens, closes) for site in state.shops for day, opens, closes in weekly_hours(rng)
    ]
    copy_rows(cursor, OpeningPeriod._meta.db_table, OPENING_COLUMNS, rows)
    return len(rows)


# --- Titles, authors, publishers -----------------------------------------------------------

PUBLISHER_NOUNS = nouns("""
    m:ponant m:goéland f:rade f:marée m:sémaphore f:lande m:noroît m:levant f:brume m:cormoran f:grève m:lichen
    f:lanterne m:sextant f:boussole m:tamaris f:hermine m:menhir f:presqu'île m:ressac m:chardon f:sterne m:varech
    f:vigie m:crachin f:ardoise m:granit f:bruyère m:pavot f:mouette m:lavoir f:clairière m:fanal f:chaloupe
    m:mascaret f:écluse m:estran f:ancre m:aber f:aurore m:sillage f:dune m:bief f:rose/roses m:galion
""")
IMPRINTS = ["Collection Escale", "Lignes de fuite", "Les Grands Caps", "Marée basse", "Petite Bibliothèque",
            "Terres d'ailleurs", "Noir Ponant", "Le Cabinet de lecture", "Premières Pages", "Horizons", "Bleu nuit",
            "Collection Vigie", "Mille Bords", "Petits Pas", "Grand Angle", "Carnets de route", "Les Essentiels",
            "Regards", "Alizés", "Sillages"]  # fmt: skip
POCKET_IMPRINTS = ["Poche", "Poche Ponant", "Le Petit Format", "Points Cardinaux", "Format Voyageur"]


def _capitalized(words: Phrase) -> Phrase:
    return replace(words, text=words.text[0].upper() + words.text[1:])


class Words:
    """Draws the words of titles and names, the common ones more often."""

    # Share of titles with a word from the rare list (each used by a few books in 10,000).
    RARE_WORD_SHARE = 0.03
    # Share of places and family names that are invented (each in a few books of a million).
    INVENTED_NAME_SHARE = 0.15

    def __init__(self, rng: random.Random):
        self.rng = rng

    def skewed(self, items: list, exponent: float = 2.0):
        """An item, favouring the start of the list: with exponent 2, the first of 300
        items comes 35 times more often than the last."""
        return items[int(len(items) * self.rng.random() ** exponent)]

    def pick(self, items: list):
        return self.rng.choice(items)

    def number(self, lowest: int, highest: int) -> int:
        return self.rng.randint(lowest, highest)

    def noun(self) -> Noun:
        if self.rng.random() < self.RARE_WORD_SHARE:
            return self.rng.choice(RARE_NOUNS)
        return self.skewed(COMMON_NOUNS, 1.5)

    def phrase(
        self, *, plural: bool | None = None, adjective: float = 0.4, among: list | None = None
    ) -> Phrase:
        """A noun (any of `among`, or one of the title nouns), plural one time in five
        unless said, with an adjective with the probability `adjective`."""
        rng = self.rng
        noun = self.rng.choice(among) if among else self.noun()
        plural = rng.random() < 0.2 if plural is None else plural
        if rng.random() >= adjective:
            return phrase(noun, plural=plural)
        if rng.random() < 0.3:
            return phrase(noun, plural=plural, adjective=self.skewed(ADJECTIVES_BEFORE, 1.5), before=True)
        return phrase(noun, plural=plural, adjective=self.skewed(ADJECTIVES))

    def place(self) -> str:
        if self.rng.random() < self.INVENTED_NAME_SHARE:
            return self.invented_name()
        return self.skewed(PLACES, 1.3)

    def first_name(self) -> str:
        return self.skewed(FIRST_NAMES, 1.5)

    def person(self) -> str:
        if self.rng.random() < self.INVENTED_NAME_SHARE:
            return f"{self.first_name()} {self.invented_name()}"
        return f"{self.first_name()} {self.skewed(LAST_NAMES, 1.5)}"

    def invented_name(self) -> str:
        return "".join(self.rng.choice(parts) for parts in NAME_PARTS)

    def foreign_person(self) -> str:
        return f"{self.pick(FOREIGN_FIRST_NAMES)} {self.pick(FOREIGN_LAST_NAMES)}"

    def years(self) -> str:
        start = self.rng.randint(1450, 1990)
        return f"{start}-{min(start + self.rng.randint(1, 60), 2020)}"


# Each template makes a title from Words: lambdas keep the pattern readable as a sentence.
# Each has at least two slots drawn from long lists, so that a million titles stay
# varied: the most common title of the bench scale is shared by a few dozen books.
LITERATURE_TITLES = [
    lambda w: the(w.phrase(adjective=0.8)),  # La Maison oubliée
    lambda w: f"{the(w.phrase(adjective=0))} {of(w.place())}",  # Le Phare de Groix
    lambda w: f"{the(w.phrase(adjective=0))} {of_the(w.phrase())}",  # Le Silence des rivières
    lambda w: f"{the(w.phrase(adjective=0))} et {the(w.phrase(adjective=0))}",  # La Mer et le Silence
    lambda w: f"{some(w.phrase(plural=False))} {at(w.place())}",  # Un été à Quiberon
    lambda w: f"{the(w.phrase(adjective=0))} {of(w.first_name())}",  # Le Secret d'Anna
    lambda w: f"{w.pick(JOURNEYS)} {at(w.place())}",  # Dernier été à Groix
    lambda w: f"Ce que {the(w.phrase(plural=False))} {w.pick(PAST_VERBS)}",  # Ce que la nuit cachait
    lambda w: f"Quand {the(w.phrase(plural=False, adjective=0.5))} {w.pick(PRESENT_VERBS)}",
    lambda w: w.phrase(adjective=1).text,  # Nuits blanches
    lambda w: f"Mémoires {of(some(w.phrase(plural=False, adjective=0.7)))}",  # Mémoires d'un marin perdu
    lambda w: f"{w.first_name()} {at(w.place())}",
]
YOUTH_TITLES = [
    lambda w: f"{w.first_name()} et {the(w.phrase(plural=False, among=CREATURES))}",  # Léa et le dragon bleu
    lambda w: f"Les Aventures {of(w.first_name())} {at(w.place())}",
    lambda w: (
        f"{the(w.phrase(plural=False, adjective=0.5, among=CREATURES))} qui {w.pick(YOUNG_HERO_WISHES)}"
    ),
    lambda w: (
        f"Mon imagier {of_the(w.phrase(plural=True, adjective=0))} et {of_the(w.phrase(plural=True, adjective=0))}"
    ),
    lambda w: f"{the(w.phrase(plural=False, among=CREATURES))} {at(w.place())}",
    lambda w: (
        f"Le Grand Livre {of_the(w.phrase(plural=True, adjective=0, among=CREATURES))}"
        f" et {of_the(w.phrase(plural=True, adjective=0, among=CREATURES))}"
    ),
]
COMIC_SERIES = [
    lambda w: f"Les {w.phrase(plural=True, adjective=0).text} {of(w.place())}",  # Les Naufragés de Groix
    lambda w: f"{w.first_name()} et {w.first_name()}",
    lambda w: f"Les Aventures {of(w.person())}",
    lambda w: the(w.phrase(adjective=0.6)),
]
COMIC_TITLES = [lambda w: f"{title_case(w.pick(COMIC_SERIES)(w))} – Tome {w.number(1, 24)}"]
HISTORY_TITLES = [
    lambda w: f"Histoire {of(w.place())}, {w.years()}",
    lambda w: f"La Vie quotidienne {at(w.place())} au {w.pick(CENTURIES)} siècle",
    lambda w: f"{the(w.phrase(plural=True, adjective=0))} {of(w.place())}, {w.years()}",
    lambda w: f"{w.person()}, une vie",
    lambda w: f"{the(w.phrase(adjective=0.85))} au Moyen Âge",
    lambda w: f"Une histoire {of_the(w.phrase(adjective=0.85))}",
    lambda w: f"{the(w.phrase(plural=True, adjective=0.85))} de la Grande Guerre",
]
PRACTICAL_TITLES = [
    lambda w: f"{w.pick(REGIONAL_COOKING)} {of(w.place())}",  # Les Desserts de Bretagne
    lambda w: f"Cuisiner {w.pick(DISHES)} {w.pick(HOBBY_MANNERS)}",
    lambda w: f"{w.number(30, 200)} recettes avec {w.pick(DISHES)}",
    lambda w: f"{w.pick(HOBBIES)} {w.pick(HOBBY_MANNERS)}",  # Jardiner au naturel
    lambda w: f"Le Guide {of_the(w.phrase(plural=False, adjective=0.85))}",
    lambda w: f"{w.pick(HOBBIES)} {the(w.phrase(plural=True, adjective=0))}",  # Dessiner les oiseaux
]
TRAVEL_TITLES = [
    lambda w: f"Guide {of(w.place())} {w.number(2010, 2025)}",
    lambda w: f"{w.place()} : {w.pick(TRAVEL_KINDS)}",  # Groix : carnet de voyage
    lambda w: f"{w.number(10, 80)} randonnées autour {of(w.place())}",
    lambda w: f"{w.pick(TRACES)} {of(w.place())}",  # Sur les chemins de Compostelle
    lambda w: f"{w.number(20, 60)} balades {at(w.place())}",
    lambda w: f"{the(w.phrase(plural=True))} {of(w.place())}",
]
YOUNG_ADULT_TITLES = [
    lambda w: the(w.phrase(adjective=0.7)),
    lambda w: f"Ceux qui {w.pick(PLURAL_VERBS)} {at(w.place())}",
    lambda w: f"La Fille {of_the(w.phrase(plural=False, adjective=0.8))}",
    lambda w: f"{w.pick(YOUNG_HEROES)} qui {w.pick(PRESENT_VERBS)} {at(w.place())}",
    lambda w: the(w.phrase(plural=True, adjective=1)),
]
HUMANITIES_TITLES = [
    lambda w: f"{w.pick(ESSAY_FORMS)} {of_the(w.phrase(adjective=0.5))}",  # Petit traité du silence
    lambda w: f"Essai sur {the(w.phrase(adjective=0.85))}",
    lambda w: f"Penser {the(w.phrase(adjective=0.85))}",
    lambda w: (
        f"{the(w.phrase(adjective=0))} et {the(w.phrase(adjective=0))} : "
        f"{w.pick(['une enquête', 'essai', 'une histoire critique', 'une anthropologie'])}"
    ),
    lambda w: f"Ce que {the(w.phrase(plural=False, adjective=0.85))} dit de nous",
]


@dataclass(frozen=True)
class SubjectProfile:
    """A top-level CLIL subject, and what its books look like."""

    code: str
    label: str
    share: int  # % of the catalogue
    titles: list
    subtitles: list
    subtitle_share: float
    formats: list  # (format, weight, (lowest, highest price in cents))
    pages: tuple[int, int]
    translated_share: float
    illustrated_share: float


SUBJECT_PROFILES = [
    SubjectProfile(
        "3435", "Littérature", 32, LITERATURE_TITLES,
        [lambda w: "Roman", lambda w: "Récit", lambda w: "Nouvelles", lambda w: "Roman noir",
         lambda w: f"Une enquête {of(w.person())}"], 0.15,
        [(Book.Format.PAPERBACK, 50, (1400, 2400)), (Book.Format.POCKET, 40, (500, 1100)),
         (Book.Format.HARDBACK, 10, (1800, 2900))],
        (120, 900), 0.15, 0.0,
    ),
    SubjectProfile(
        "3722", "Jeunesse", 14, YOUTH_TITLES, [lambda w: f"Dès {w.number(2, 9)} ans"], 0.3,
        [(Book.Format.PAPERBACK, 40, (600, 1500)), (Book.Format.HARDBACK, 30, (1000, 1900)),
         (Book.Format.BOARD_BOOK, 20, (600, 1400)), (Book.Format.POCKET, 10, (450, 800))],
        (48, 160), 0.1, 0.6,
    ),
    SubjectProfile(
        "3771", "Bandes dessinées, comics, mangas", 12, COMIC_TITLES,
        [lambda w: title_case(the(w.phrase()))], 1.0,
        [(Book.Format.HARDBACK, 70, (1100, 2500)), (Book.Format.PAPERBACK, 25, (700, 1800)),
         (Book.Format.POCKET, 5, (600, 900))],
        (48, 240), 0.2, 0.7,
    ),
    SubjectProfile(
        "3377", "Histoire", 8, HISTORY_TITLES,
        [lambda w: w.years(), lambda w: "Une histoire populaire", lambda w: "Enquête"], 0.3,
        [(Book.Format.PAPERBACK, 55, (1800, 3200)), (Book.Format.POCKET, 30, (800, 1400)),
         (Book.Format.HARDBACK, 15, (2500, 4500))],
        (160, 900), 0.1, 0.0,
    ),
    SubjectProfile(
        "3802", "Vie pratique", 10, PRACTICAL_TITLES,
        [lambda w: "Recettes et astuces", lambda w: "Le guide complet", lambda w: "Pas à pas"], 0.3,
        [(Book.Format.PAPERBACK, 60, (900, 2500)), (Book.Format.HARDBACK, 30, (1500, 3500)),
         (Book.Format.SPIRAL, 10, (1000, 2000))],
        (64, 320), 0.05, 0.3,
    ),
    SubjectProfile(
        "3395", "Géographie, voyages", 5, TRAVEL_TITLES,
        [lambda w: "Guide pratique", lambda w: f"Édition {w.number(2010, 2025)}"], 0.4,
        [(Book.Format.PAPERBACK, 70, (1000, 2800)), (Book.Format.POCKET, 20, (600, 1200)),
         (Book.Format.HARDBACK, 10, (2500, 4500))],
        (96, 480), 0.1, 0.0,
    ),
    SubjectProfile(
        "4129", "Jeunes adultes", 7, YOUNG_ADULT_TITLES, [lambda w: f"Tome {w.number(1, 5)}"], 0.4,
        [(Book.Format.PAPERBACK, 60, (1300, 2000)), (Book.Format.POCKET, 40, (600, 1000))],
        (200, 700), 0.3, 0.0,
    ),
    SubjectProfile(
        "3080", "Sciences humaines et sociales", 12, HUMANITIES_TITLES,
        [lambda w: "Essai", lambda w: "Nouvelle édition revue et augmentée"], 0.2,
        [(Book.Format.PAPERBACK, 60, (1500, 3000)), (Book.Format.POCKET, 40, (700, 1300))],
        (96, 600), 0.1, 0.0,
    ),
]  # fmt: skip
# The fixed book price law leaves the price to the publisher: these are habits, not rules.
PRICE_ENDINGS = [0, 0, 50, 90, 95, 90, 50, 20]
LOWEST_LIST_PRICE_CENTS, HIGHEST_LIST_PRICE_CENTS = 450, 4500
PROFILE_POOL = _pool([(profile, profile.share) for profile in SUBJECT_PROFILES])
FORMAT_POOLS = {
    profile.code: _pool([((book_format, prices), weight) for book_format, weight, prices in profile.formats])
    for profile in SUBJECT_PROFILES
}
LANGUAGE_POOL = _pool([("fre", 95), ("eng", 2), ("bre", 1), ("spa", 1), ("ger", 1)])
# Publication dates run back 40 years from a fixed day (the same seed, the same books).
NEWEST_PUBLICATION = date(2025, 12, 31)
PUBLICATION_SPAN_DAYS = 40 * 365


def invent_publishers(count: int = 150) -> list[str]:
    """ "Éditions du Ponant", "Les Presses de Groix", "Kervella & Morvan"… always the same."""
    rng = random.Random("publishers")
    words = Words(rng)
    forms = [
        lambda: f"Éditions {of_the(_capitalized(phrase(rng.choice(PUBLISHER_NOUNS))))}",
        lambda: f"Éditions {words.skewed(LAST_NAMES, 1)}",
        lambda: f"Les Presses {of(words.place())}",
        lambda: f"L'Atelier {of_the(_capitalized(phrase(rng.choice(PUBLISHER_NOUNS), plural=True)))}",
        lambda: f"{words.skewed(LAST_NAMES, 1)} & {words.skewed(LAST_NAMES, 1)}",
        lambda: f"La Maison {of_the(_capitalized(phrase(rng.choice(PUBLISHER_NOUNS))))}",
    ]
    names = dict.fromkeys(["Éditions du Ponant", "Éditions de la Rade", "L'Atelier des Marées"])
    while len(names) < count:
        names[rng.choice(forms)()] = None
    return list(names)


PUBLISHERS = invent_publishers()


# --- Books ----------------------------------------------------------------------------------

BOOK_COLUMNS = ("ean", "title", "subtitle", "contributors", "publisher", "imprint", "publication_date", "language",
                "page_count", "format", "description", "clil_code", "list_price", "cover", "cover_thumbnail",
                "source", "created_at", "updated_at")  # fmt: skip
BOOK_TEXT_COLUMNS = ("subtitle", "imprint", "description", "cover", "cover_thumbnail")
COPY_CHUNK = 200_000
# One encoder for all rows: json.dumps with options builds a new one at each call.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _create_subjects() -> int:
    known = set(Subject.objects.values_list("code", flat=True))
    missing = [Subject(code=p.code, label=p.label) for p in SUBJECT_PROFILES if p.code not in known]
    Subject.objects.bulk_create(missing)
    return len(missing)


def _create_books(cursor, rng: random.Random, count: int, now: str, state: _GenerationState) -> int:
    state.books = _Stockable(used_share=USED_SHARE, at_list_price_share=NEW_AT_LIST_PRICE_SHARE)
    rows = _book_rows(rng, count, now, state.books)
    for chunk in _chunks(rows, COPY_CHUNK):
        copy_rows(cursor, Book._meta.db_table, BOOK_COLUMNS, chunk, not_null=BOOK_TEXT_COLUMNS)
    _read_ids(state.books, generated_books())
    return count


def _read_ids(stockable: _Stockable, rows) -> None:
    # Number n is the n-th generated EAN of its range: ids in EAN order, in one query.
    stockable.ids = array("q", rows.order_by("ean").values_list("id", flat=True).iterator(10_000))


def _book_rows(rng: random.Random, count: int, now: str, books: _Stockable) -> Iterator[tuple]:
    """Rows of the book table; records each book's list price and lowest price new."""
    words = Words(rng)
    for number in range(count):
        profile = rng.choice(PROFILE_POOL)
        book_format, (lowest, highest) = rng.choice(FORMAT_POOLS[profile.code])
        list_cents = _list_price_cents(rng, lowest, highest)
        books.list_cents.append(list_cents)
        books.minimum_new_cents.append(_minimum_new_cents(list_cents))
        pocket = book_format == Book.Format.POCKET
        imprint = ""
        if rng.random() < (0.6 if pocket else 0.2):
            imprint = rng.choice(POCKET_IMPRINTS if pocket else IMPRINTS)
        lowest_pages, highest_pages = profile.pages
        yield (
            generated_book_ean(number),
            title_case(rng.choice(profile.titles)(words)),
            rng.choice(profile.subtitles)(words) if rng.random() < profile.subtitle_share else "",
            _to_json(_contributors(words, profile)),
            words.skewed(PUBLISHERS, 1.8),
            imprint,
            date.fromordinal(
                NEWEST_PUBLICATION.toordinal() - int(PUBLICATION_SPAN_DAYS * rng.random() ** 1.5)
            ).isoformat(),
            rng.choice(LANGUAGE_POOL),
            lowest_pages + int((highest_pages - lowest_pages) * rng.random() ** 2),
            book_format,
            "",
            profile.code,
            _euros(list_cents),
            "",
            "",
            Book.Source.STAFF,
            now,
            now,
        )


@functools.cache
def _minimum_new_cents(list_cents: int) -> int:
    """The lowest price of a new book under the loi Lang (a few hundred distinct prices)."""
    return int(new_book_price_range(Decimal(list_cents) / 100).minimum * 100)


def _list_price_cents(rng: random.Random, lowest: int, highest: int) -> int:
    cents = rng.randint(lowest // 100, highest // 100) * 100 + rng.choice(PRICE_ENDINGS)
    return min(max(cents, lowest, LOWEST_LIST_PRICE_CENTS), highest, HIGHEST_LIST_PRICE_CENTS)


def _contributors(words: Words, profile: SubjectProfile) -> list[dict]:
    rng = words.rng
    translated = rng.random() < profile.translated_share
    author = words.foreign_person if translated else words.person
    contributors = [{"name": author(), "role": ContributorRole.AUTHOR.value}]
    if rng.random() < 0.1:
        contributors.append({"name": author(), "role": ContributorRole.AUTHOR.value})
    if translated:
        contributors.append({"name": words.person(), "role": ContributorRole.TRANSLATOR.value})
    if rng.random() < profile.illustrated_share:
        contributors.append({"name": words.person(), "role": ContributorRole.ILLUSTRATOR.value})
    return contributors


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- Products: board games, toys, records ---------------------------------------------------

RECORD = "record"
RECORD_FORMATS = ["Vinyle 33 tours", "CD", "Vinyle 45 tours", "Cassette"]
# (code, French name, English name, type, required, filterable, choices)
RECORD_ATTRIBUTES = [
    ("artist", "Artiste", "Artist", ProductAttribute.Type.TEXT, True, False, []),
    ("format", "Format", "Format", ProductAttribute.Type.CHOICE, False, True, RECORD_FORMATS),
]


def _create_record_kind() -> int:
    """The kind of product "record" (Disque) and its attributes, those missing; games-and-
    toys shops may list records (the generator makes no record shop). Returns how many
    rows it created."""
    kind, created = ProductKind.objects.get_or_create(
        code=RECORD,
        defaults={
            "name_fr": "Disque",
            "name_en": "Record",
            "position": (ProductKind.objects.aggregate(last=Max("position"))["last"] or 0) + 10,
        },
    )
    if created:
        kind.shop_kinds.set(ShopKind.objects.filter(code=ShopKind.GAMES_AND_TOYS))
    made = int(created)
    for number, (code, name_fr, name_en, attribute_type, required, filterable, choices) in enumerate(
        RECORD_ATTRIBUTES, 1
    ):
        _attribute, attribute_created = ProductAttribute.objects.get_or_create(
            kind=kind,
            code=code,
            defaults={
                "name_fr": name_fr,
                "name_en": name_en,
                "type": attribute_type,
                "required": required,
                "filterable": filterable,
                "choices": "\n".join(choices),
                "position": 10 * number,
            },
        )
        made += attribute_created
    return made


def invent_brands(goods: list[str], known: list[str], count: int = 80) -> list[str]:
    """Brands of games or toys: `known`, then invented ones ("Jeux du Ponant", "Atelier
    Keravec", "Jouets de Groix", "Plouménan Jeux"…), always the same."""
    rng = random.Random(f"brands of {goods[0]}")
    words = Words(rng)
    forms = [
        lambda: f"{rng.choice(goods)} {of_the(_capitalized(phrase(rng.choice(PUBLISHER_NOUNS))))}",
        lambda: f"Atelier {words.invented_name()}",
        lambda: f"{rng.choice(goods)} {of(words.place())}",
        lambda: f"{words.invented_name()} {rng.choice(goods)}",
    ]
    names = dict.fromkeys(known)
    while len(names) < count:
        names[rng.choice(forms)()] = None
    return list(names)


GAME_BRANDS = invent_brands(["Jeux", "Éditions"], ["Ludiroc", "Jeux du Ponant", "Kerlud", "Le Dé Bleu",
                                                   "Cartes sur Table", "Tempête de Jeux", "Ludopole"])  # fmt: skip
TOY_BRANDS = invent_brands(["Jouets", "Bois"], ["Ribambelle", "Galipette", "Les Petits Mousses", "Bois & Marées",
                                                "Tricotin", "Pirouette", "Grain de Sel"])  # fmt: skip

GAME_PLACES = nouns("""
    m:donjon m:royaume f:forêt f:île m:château m:marais f:tour m:labyrinthe f:caverne m:manoir m:village f:vallée
    m:temple f:cité m:port m:marché m:palais f:mine m:verger m:archipel
""")
GAME_HEROES = nouns("""
    m:pirate m:marchand m:bâtisseur m:explorateur m:aventurier m:chevalier m:gardien m:sorcier m:naufragé m:corsaire
    m:druide m:alchimiste m:cartographe m:pêcheur m:moine m:seigneur m:voyageur f:sirène m:korrigan
""")
GAME_PLACE_ADJECTIVES = adjectives("""
    oublié perdu interdit enchanté maudit secret/secrète englouti mystérieux/mystérieuse sauvage caché
""")
MYSTERY_HOUSES = ["Manoir", "Château", "Phare", "Moulin", "Musée", "Grand Hôtel"]
GAME_TREASURES = ["Clés", "Royaumes", "Merveilles", "Portes", "Couronnes", "Reliques", "Îles", "Trésors"]
BOARD_GAME_TITLES = [
    lambda w: (  # Le Donjon des Lutins
        f"{the(w.phrase(plural=False, adjective=0, among=GAME_PLACES))}"
        f" {of_the(_capitalized(w.phrase(plural=True, adjective=0, among=CREATURES)))}"
    ),
    lambda w: f"La Course {of_the(_capitalized(w.phrase(plural=True, adjective=0, among=CREATURES)))}",
    lambda w: (
        f"Les {_capitalized(w.phrase(plural=True, adjective=0, among=GAME_HEROES)).text} {of(w.place())}"
    ),
    lambda w: f"Mystère au {w.pick(MYSTERY_HOUSES)} {of(w.invented_name())}",  # Mystère au Manoir de Keravec
    lambda w: f"À la poursuite {of_the(_capitalized(w.phrase(plural=True, adjective=0, among=CREATURES)))}",
    lambda w: the(phrase(w.pick(GAME_PLACES), adjective=w.pick(GAME_PLACE_ADJECTIVES))),  # L'Île oubliée
    lambda w: f"Les {w.number(3, 12)} {w.pick(GAME_TREASURES)} {of(w.place())}",  # Les 7 Clés de Brocéliande
]
GAME_AGE_RANGES = _pool([((3, 6), 5), ((4, 99), 10), ((5, 99), 8), ((6, 99), 15), ((7, 99), 12), ((8, 99), 20),
                         ((10, 99), 15), ((12, 99), 8), ((14, 99), 7)])  # fmt: skip
PLAYER_COUNTS = _pool([((1, 4), 10), ((2, 4), 30), ((2, 5), 12), ((2, 6), 15), ((3, 8), 10), ((2, 2), 10),
                       ((4, 12), 5), ((1, 1), 3), ((2, 8), 5)])  # fmt: skip
PLAYING_MINUTES = _pool([(10, 10), (15, 15), (20, 15), (30, 20), (45, 15), (60, 12), (90, 8), (120, 5)])

PUZZLES = [(24, (3, 6), (790, 1290)), (48, (4, 8), (890, 1490)), (100, (6, 12), (990, 1690)),
           (250, (8, 99), (1190, 1990)), (500, (10, 99), (1290, 2290)), (1000, (12, 99), (1490, 2790)),
           (1500, (12, 99), (1990, 3290))]  # fmt: skip
PUZZLE_SUBJECTS = nouns("""
    m:phare m:port f:plage m:village f:chapelle m:moulin f:baie m:château m:marché m:voilier f:cabane m:jardin
    f:forêt f:crique m:marais
""")
PUZZLE_ADJECTIVES = adjectives(
    "breton/bretonne enchanté fleuri ensoleillé enneigé ancien/ancienne secret/secrète"
)
# (name, age range, lowest and highest recommended price in cents)
WOODEN_TOYS = [("Train", (2, 6), (2490, 5990)), ("Bateau de pêche", (3, 8), (1990, 3990)),
               ("Garage", (3, 8), (4990, 8990)), ("Ferme", (3, 8), (3990, 7990)), ("Cuisine", (3, 8), (7990, 14990)),
               ("Camion de pompiers", (2, 6), (1990, 3490)), ("Château fort", (4, 10), (4990, 9990)),
               ("Boîte à formes", (1, 3), (1490, 2990)), ("Xylophone", (1, 5), (1490, 2990)),
               ("Maison de poupée", (3, 10), (6990, 14990))]  # fmt: skip
PLUSH_ADJECTIVES = adjectives("câlin doux/douce rigolo/rigolote malin/maligne dodu timide endormi")
CRAFT_KITS = ["mosaïques", "bijoux", "cerf-volant à décorer", "tissage", "perles à repasser", "peinture sur galets",
              "origami", "pâte à modeler", "couture", "attrape-rêves"]  # fmt: skip
DOLL_SCENES = ["et son doudou", "à la plage", "en vacances", "et sa valise", "au jardin", "à la ferme"]


def _puzzle(w: Words) -> tuple[str, tuple[int, int], tuple[int, int]]:
    pieces, ages, prices = w.pick(PUZZLES)
    if w.rng.random() < 0.5:  # Puzzle 1000 pièces Port de Concarneau
        subject = (
            f"{_capitalized(w.phrase(plural=False, adjective=0, among=PUZZLE_SUBJECTS)).text} {of(w.place())}"
        )
    else:  # Puzzle 500 pièces Phare breton
        subject = _capitalized(phrase(w.pick(PUZZLE_SUBJECTS), adjective=w.pick(PUZZLE_ADJECTIVES))).text
    return f"Puzzle {pieces} pièces {subject}", ages, prices


def _wooden_toy(w: Words) -> tuple[str, tuple[int, int], tuple[int, int]]:
    name, ages, prices = w.pick(WOODEN_TOYS)
    title = f"{name} en bois"
    if w.rng.random() < 0.5:  # Train en bois « Les Lutins »
        title += f" « {title_case(the(w.phrase(plural=True, adjective=0, among=CREATURES)))} »"
    return title, ages, prices


def _plush(w: Words) -> tuple[str, tuple[int, int], tuple[int, int]]:
    creature = phrase(w.pick(CREATURES), adjective=w.pick(PLUSH_ADJECTIVES))
    return f"Peluche {creature.text} {w.pick([20, 25, 30, 40, 60])} cm", (0, 99), (1290, 4990)


def _building_set(w: Words) -> tuple[str, tuple[int, int], tuple[int, int]]:
    planks = w.pick([100, 200, 280, 500, 1000])
    return f"Coffret {planks} planchettes en bois", (3, 99), (1200 + 8 * planks, 2000 + 12 * planks)


def _craft_kit(w: Words) -> tuple[str, tuple[int, int], tuple[int, int]]:
    return f"Kit créatif {w.pick(CRAFT_KITS)}", (6, 12), (990, 2490)


def _doll(w: Words) -> tuple[str, tuple[int, int], tuple[int, int]]:
    return f"Poupée {w.first_name()} {w.pick(DOLL_SCENES)}", (3, 8), (1990, 4990)


def _kite(w: Words) -> tuple[str, tuple[int, int], tuple[int, int]]:
    return f"Cerf-volant {w.phrase(plural=False, adjective=0.5, among=CREATURES).text}", (5, 99), (1290, 3990)


TOY_MAKERS = _pool([(_puzzle, 30), (_wooden_toy, 25), (_plush, 15), (_building_set, 10), (_craft_kit, 10),
                    (_doll, 5), (_kite, 5)])  # fmt: skip

RECORD_TITLES = [
    lambda w: f"Chansons {of(w.place())}",
    lambda w: f"Live {at(w.place())}",
    lambda w: f"Musiques {of(w.place())}",
    lambda w: f"Fest-noz {at(w.place())}",
    lambda w: f"{the(w.phrase(adjective=0.5))} – Best of",
]
RECORD_ARTISTS = [
    lambda w: w.person(),
    lambda w: f"Les {_capitalized(w.phrase(plural=True, adjective=0.3)).text}",  # Les Goélands
    lambda w: f"{w.person()} Quartet",
    lambda w: f"Trio {w.invented_name()}",
    lambda w: f"Bagad {w.invented_name()}",
    lambda w: f"Orchestre {of(w.place())}",
]
RECORD_FORMAT_POOL = _pool([(("CD", (999, 1999)), 40), (("Vinyle 33 tours", (1990, 3490)), 35),
                            (("Vinyle 45 tours", (690, 1290)), 10), (("Cassette", (790, 1490)), 15)])  # fmt: skip
# Album titles read like novels' ("Nuits blanches", "La Mer et le Silence") more often than not.
NOVEL_LIKE_ALBUM_SHARE = 0.6
# Brands' habits, as publishers' (PRICE_ENDINGS): 24,99 €, 34,90 €, 19 €…
RECOMMENDED_PRICE_ENDINGS = [99, 99, 90, 90, 90, 0, 50]


def _recommended_price_cents(rng: random.Random, lowest: int, highest: int) -> int:
    cents = rng.randint(lowest // 100, highest // 100) * 100 + rng.choice(RECOMMENDED_PRICE_ENDINGS)
    return min(max(cents, lowest), highest)


def _board_game(words: Words) -> tuple[str, dict, int]:
    rng = words.rng
    minutes = rng.choice(PLAYING_MINUTES)
    values = {
        "brand": words.skewed(GAME_BRANDS, 1.5),
        "age-range": list(rng.choice(GAME_AGE_RANGES)),
        "players": list(rng.choice(PLAYER_COUNTS)),
        "playing-time": minutes,
    }
    # Longer games come in bigger boxes, with more in them.
    price = _recommended_price_cents(rng, 1200 + 15 * minutes, 2500 + 30 * minutes)
    return title_case(rng.choice(BOARD_GAME_TITLES)(words)), values, price


def _toy(words: Words) -> tuple[str, dict, int]:
    rng = words.rng
    title, ages, (lowest, highest) = rng.choice(TOY_MAKERS)(words)
    values = {"brand": words.skewed(TOY_BRANDS, 1.5), "age-range": list(ages)}
    return title, values, _recommended_price_cents(rng, lowest, highest)


def _record(words: Words) -> tuple[str, dict, int]:
    rng = words.rng
    record_format, (lowest, highest) = rng.choice(RECORD_FORMAT_POOL)
    titles = LITERATURE_TITLES if rng.random() < NOVEL_LIKE_ALBUM_SHARE else RECORD_TITLES
    values = {"artist": rng.choice(RECORD_ARTISTS)(words), "format": record_format}
    return title_case(rng.choice(titles)(words)), values, _recommended_price_cents(rng, lowest, highest)


@dataclass(frozen=True)
class ProductProfile:
    """A kind of product the generator makes, and how: `invent` gives a product's title,
    attribute values and the brand's recommended price in cents."""

    kind: str
    share: int  # % of the generated products
    invent: Callable[[Words], tuple[str, dict, int]]


PRODUCT_PROFILES = [
    ProductProfile(ProductKind.BOARD_GAME, 45, _board_game),
    ProductProfile(ProductKind.TOY, 35, _toy),
    ProductProfile(RECORD, 20, _record),
]
PRODUCT_PROFILE_POOL = _pool([(profile, profile.share) for profile in PRODUCT_PROFILES])
PRODUCT_USED_SHARE = 0.05
PRODUCT_AT_LIST_PRICE_SHARE = 0.5
# Prices are free: shops sell below the brand's price, seldom by more than this.
PRODUCT_LOWEST_NEW_SHARE = 0.85
PRODUCT_COLUMNS = ("ean", "kind", "title", "attributes", "list_price", "contributors", "source", "created_at",
                   "updated_at")  # fmt: skip
# The book's own columns, empty for other kinds.
PRODUCT_BLANK_COLUMNS = ("subtitle", "publisher", "imprint", "language", "format", "description", "clil_code",
                         "cover", "cover_thumbnail")  # fmt: skip


def _create_products(cursor, rng: random.Random, count: int, now: str, state: _GenerationState) -> int:
    state.products = _Stockable(
        used_share=PRODUCT_USED_SHARE, at_list_price_share=PRODUCT_AT_LIST_PRICE_SHARE
    )
    rows = _product_rows(rng, count, now, state.products)
    for chunk in _chunks(rows, COPY_CHUNK):
        copy_rows(
            cursor,
            Book._meta.db_table,
            PRODUCT_COLUMNS + PRODUCT_BLANK_COLUMNS,
            chunk,
            not_null=PRODUCT_BLANK_COLUMNS,
        )
    _read_ids(state.products, generated_products())
    return count


def _product_rows(rng: random.Random, count: int, now: str, products: _Stockable) -> Iterator[tuple]:
    """Rows of the catalogue table for products of other kinds than books; records each
    one's recommended price and lowest price new."""
    words = Words(rng)
    blanks = ("",) * len(PRODUCT_BLANK_COLUMNS)
    for number in range(count):
        profile = rng.choice(PRODUCT_PROFILE_POOL)
        title, values, list_cents = profile.invent(words)
        products.list_cents.append(list_cents)
        products.minimum_new_cents.append(int(list_cents * PRODUCT_LOWEST_NEW_SHARE))
        yield (
            generated_product_ean(number),
            profile.kind,
            title,
            _to_json(values),
            _euros(list_cents),
            "[]",
            Book.Source.STAFF,
            now,
            now,
            *blanks,
        )


# --- Listings -------------------------------------------------------------------------------

LISTING_COLUMNS = ("shop_id", "book_id", "condition", "price", "quantity", "status", "moderation_flags",
                   "created_at", "updated_at")  # fmt: skip
USED_SHARE = 0.15
# A new book at the publisher's price, or at a discount the law allows (up to 5 %).
NEW_AT_LIST_PRICE_SHARE = 0.7
USED_PRICE_SHARE = (0.2, 0.7)
USED_GRADES = _pool([(Listing.Condition.USED_LIKE_NEW.value, 20), (Listing.Condition.USED_VERY_GOOD.value, 35),
                     (Listing.Condition.USED_GOOD.value, 35),
                     (Listing.Condition.USED_ACCEPTABLE.value, 10)])  # fmt: skip
QUANTITIES = _pool([(0, 20), (1, 30), (2, 20), (3, 12), (4, 8), (5, 6), (6, 4)])
LISTING_STATUSES = _pool([(Listing.Status.PUBLISHED.value, 96), (Listing.Status.HIDDEN.value, 2),
                          (Listing.Status.PENDING.value, 1), (Listing.Status.DRAFT.value, 1)])  # fmt: skip
# A shop never approved has not published anything: its listings wait as drafts.
UNPUBLISHED_STATUSES = [
    Listing.Status.DRAFT.value if status == Listing.Status.PUBLISHED else status
    for status in LISTING_STATUSES
]
# Held for moderation by the rule that flags unusual quantities (catalog/moderation.py).
PENDING_FLAGS = "{" + Listing.Flag.SUSPICIOUS_QUANTITY.value + "}"  # a PostgreSQL array literal
NO_FLAGS = "{}"
NEW, PENDING = Listing.Condition.NEW.value, Listing.Status.PENDING.value


class Popularity:
    """Which books (or products) the shops stock: a Zipf-like law over a random order of
    the books.

    The book of rank r is drawn with odds 1/(r + offset): at the bench scale the top
    books are in about 500 of the 2,500 bookshops, the median one in 1 or 2, and about a
    fifth of the catalogue in none (books nobody stocks, as in a real catalogue).
    """

    HEAD = 0.0015  # the offset, as a share of the catalogue: it flattens the very top

    def __init__(self, rng: random.Random, books: int):
        self.ranked = list(range(books))
        rng.shuffle(self.ranked)
        self.offset = max(1.0, books * self.HEAD)
        self.log_span = math.log((books + self.offset) / self.offset)

    def sample(self, rng: random.Random, count: int) -> list[int]:
        """`count` distinct book numbers, sorted (the indexes grow in order)."""
        books = len(self.ranked)
        if count > books // 2:  # most of the catalogue: popularity hardly matters
            return sorted(rng.sample(range(books), count))
        chosen = set()
        while len(chosen) < count:
            rank = int(self.offset * math.exp(rng.random() * self.log_span) - self.offset)
            chosen.add(self.ranked[min(rank, books - 1)])
        return sorted(chosen)


def _create_listings(
    cursor,
    rng: random.Random,
    count: int,
    now: str,
    shops: list[tuple[int, str]],
    stockable: _Stockable | None,
) -> int:
    """`count` listings of `stockable`'s rows spread over `shops` ((id, status) pairs)."""
    catalogue = len(stockable.ids) if stockable else 0
    if not count or not catalogue or not shops:
        return 0
    weights = [rng.lognormvariate(0, 0.8) * (1.0 if _was_approved(status) else 0.3) for _id, status in shops]
    sizes = apportion(count, weights, cap=catalogue)
    popularity = Popularity(rng, catalogue)
    rows = (
        row
        for (shop_id, status), size in zip(shops, sizes, strict=True)
        for row in _shop_listing_rows(rng, shop_id, status, popularity.sample(rng, size), stockable, now)
    )
    written = 0
    for chunk in _chunks(rows, COPY_CHUNK):
        copy_rows(cursor, Listing._meta.db_table, LISTING_COLUMNS, chunk)
        written += len(chunk)
    return written


def _bookshops(state: _GenerationState) -> list[tuple[int, str]]:
    """The generated bookshops, then the approved shops already there whose kinds of shop
    may list books."""
    existing = (
        Shop.objects.filter(status=Shop.Status.APPROVED, kinds__product_kinds__code=ProductKind.BOOK)
        .exclude(siret__regex=GENERATED_SIRET_PATTERN)
        .distinct()
        .order_by("pk")
        .values_list("pk", "status")
    )
    return _generated_shops_of_kind(state, ShopKind.BOOKSHOP) + list(existing)


def _games_shops(state: _GenerationState) -> list[tuple[int, str]]:
    return _generated_shops_of_kind(state, ShopKind.GAMES_AND_TOYS)


def _generated_shops_of_kind(state: _GenerationState, kind: str) -> list[tuple[int, str]]:
    return [(site.id, site.status) for site in state.shops or () if site.kind == kind]


def _was_approved(status: str) -> bool:
    return status in (Shop.Status.APPROVED, Shop.Status.SUSPENDED)


def _shop_listing_rows(
    rng: random.Random,
    shop_id: int,
    shop_status: str,
    numbers: list[int],
    stockable: _Stockable,
    now: str,
) -> Iterator[tuple]:
    """One shop's listings of `stockable`'s rows number `numbers`. The hot loop of the
    generator (5 million rows): plain ints and strings, bound methods looked up once."""
    random_, choice, randint = rng.random, rng.choice, rng.randint
    statuses = LISTING_STATUSES if _was_approved(shop_status) else UNPUBLISHED_STATUSES
    book_ids, list_prices, minimum_new = stockable.ids, stockable.list_cents, stockable.minimum_new_cents
    used_share, at_list_price_share = stockable.used_share, stockable.at_list_price_share
    for number in numbers:
        list_cents = list_prices[number]
        if random_() < used_share:
            condition = choice(USED_GRADES)
            lowest, highest = USED_PRICE_SHARE
            cents = max(1, round(list_cents * (lowest + (highest - lowest) * random_())))
        else:
            condition = NEW
            at_list_price = random_() < at_list_price_share
            cents = list_cents if at_list_price else randint(minimum_new[number], list_cents)
        status = choice(statuses)
        if status == PENDING:
            quantity, flags = randint(SUSPICIOUS_QUANTITY + 1, 2 * SUSPICIOUS_QUANTITY), PENDING_FLAGS
        else:
            quantity, flags = choice(QUANTITIES), NO_FLAGS
        yield shop_id, book_ids[number], condition, _euros(cents), quantity, status, flags, now, now


def apportion(total: int, weights: list[float], *, cap: int) -> list[int]:
    """Split `total` in whole numbers in proportion to `weights`, none above `cap` (a
    shop cannot list a book twice); less than `total` only if every share is capped."""
    sizes = [0] * len(weights)
    remaining = total
    open_ = [index for index in range(len(weights)) if cap > 0]
    while remaining > 0 and open_:
        weight_sum = sum(weights[index] for index in open_)
        given = 0
        for index in open_:
            share = min(cap - sizes[index], int(remaining * weights[index] / weight_sum))
            sizes[index] += share
            given += share
        remaining -= given
        open_ = [index for index in open_ if sizes[index] < cap]
        if not given:
            # Every share was below one: one more each to the heaviest.
            for index in sorted(open_, key=lambda index: -weights[index])[:remaining]:
                sizes[index] += 1
                remaining -= 1
    return sizes
