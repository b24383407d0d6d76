"""Finding books (and products of every kind) customers can reserve near their drive.

One search box: an ISBN or EAN finds its product; words are matched, unaccented and
stemmed in French, against titles, subtitles, contributors, publishers and the text of a
product's attributes (brand, artist…: catalog/search_index.py); a kind of product and
its filterable attributes (an age, a number of players) narrow the search down;
a mistyped word being replaced by the closest word of the catalogue's vocabulary. Only
books with an offer (published, in stock) in an open shop within the radius count, and
each comes with its price range, number of shops and nearest distance.

Every search costs the same few queries whatever the number of results: the vocabulary
look-ups, the shops around the drive, and one query for the page of results.
"""

import json
import string
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import F

from catalog.ean import normalize_any_ean
from catalog.models import Book, ContributorRole, ProductKind, SearchTerm, Subject
from catalog.stock import IN_STOCK_SQL
from shops.geo import DEFAULT_RADIUS_KM
from shops.selectors import NearbyShop, shops_near

PER_PAGE = 20
SORTS = ("relevance", "nearest", "price")
# Sorted by relevance, a search by words (or browsing every shop around) offers the most
# relevant books in stock up to this many (15 pages) and says there are more. A common
# word near a busy drive matches thousands of books; checking each one's stock in the
# shops around is what made those searches slow (~12 µs a book), and nobody pages through
# a thousand titles: they add a word. Sorted by price or distance, every match is checked
# (the order needs them all).
MOST_RELEVANT = 300
BOOK_KIND = ProductKind.BOOK  # most of the catalogue
# Words this short are left alone by the typo correction (too many near neighbours).
MIN_CORRECTABLE_LENGTH = 4
_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class BookQuery:
    """What the customer asked for, already validated (forms and API serializers do it)."""

    latitude: float
    longitude: float
    text: str = ""
    radius_km: int = DEFAULT_RADIUS_KM
    condition: str = ""  # "", "new" or "used"
    shop_id: int | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    subject: str = ""  # a CLIL code: the subject and everything under it
    kind: str = ""  # a kind of product's code
    # (attribute code, its type, the value asked for): a number within a range ("age 9"
    # finds the games for 8-12), a whole number, one of a list or a text, equal.
    attribute_filters: tuple[tuple[str, str, int | str], ...] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def among_other_kinds(self) -> bool:
        """Only products of kinds other than books: a kind chosen, or an attribute (books
        have none)."""
        return bool(self.kind and self.kind != BOOK_KIND) or bool(self.attribute_filters)


@dataclass
class BookResult:
    id: int
    ean: str
    title: str
    subtitle: str
    contributors: list
    publisher: str
    cover_thumbnail: str
    list_price: Decimal | None
    min_price: Decimal
    max_price: Decimal
    shop_count: int
    has_new: bool
    has_used: bool
    nearest_km: float
    kind: str = "book"
    attributes: dict = field(default_factory=dict)

    @property
    def authors(self) -> str:
        return ", ".join(c["name"] for c in self.contributors if c.get("role") == ContributorRole.AUTHOR)

    @property
    def cover_thumbnail_url(self) -> str:
        return default_storage.url(self.cover_thumbnail) if self.cover_thumbnail else ""


@dataclass
class SearchResults:
    query: BookQuery
    results: list[BookResult]
    total: int
    shops: list[NearbyShop]  # the open shops within the radius, nearest first
    corrections: dict[str, str] = field(default_factory=dict)  # typed lexeme → word searched instead
    isbn: str = ""  # set when the query was an ISBN
    # More books match than the `total` most relevant ones offered (see MOST_RELEVANT).
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def search_books(query: BookQuery, *, shops: list[NearbyShop] | None = None) -> SearchResults:
    """`shops`: the open shops within the radius, when the caller has them already."""
    if shops is None:
        shops = shops_near(latitude=query.latitude, longitude=query.longitude, radius_km=query.radius_km)
    if query.shop_id is not None:
        shops = [shop for shop in shops if shop.id == query.shop_id]
    found = SearchResults(query=query, results=[], total=0, shops=shops)
    if not shops:
        return found

    conditions, params = [], {}
    if isbn := _as_isbn(query.text):
        found.isbn = isbn
        conditions.append("book.ean = %(ean)s")
        params["ean"] = isbn
    elif query.text.strip():
        tsquery, found.corrections = _tsquery(query.text)
        if tsquery is None:
            return found  # only stop words, or a word no product holds: nothing can match
        conditions.append("book.search_vector @@ to_tsquery('simple', %(tsquery)s)")
        params["tsquery"] = tsquery
    if query.subject:
        conditions.append("book.clil_code = ANY(%(subjects)s)")
        params["subjects"] = subject_with_descendants(query.subject)
    if query.kind:
        conditions.append("book.kind = %(kind)s")
        params["kind"] = query.kind
    if query.among_other_kinds:
        # Said in so many words, so that PostgreSQL uses the small index of the other
        # kinds' products by shop (books have no attributes).
        conditions.append(f"book.kind <> '{BOOK_KIND}'")
    for number, (code, attribute_type, value) in enumerate(query.attribute_filters):
        conditions.append(_attribute_condition(attribute_type, f"attribute_{number}", f"value_{number}"))
        params |= {f"attribute_{number}": code, f"value_{number}": value}

    found.results, found.total, found.more = _run(query, shops, conditions, params)
    return found


def books_to_order(text: str, *, limit: int = 5) -> list[Book]:
    """Books of the catalogue the words (or ISBN) of `text` find, whether or not a shop
    holds them: what a search with no result in stock nearby offers to order from a
    bookshop ("order it for me"). Only books with a publisher's price; at most `limit`,
    the newest editions first. One query (plus the vocabulary look-ups of `_tsquery`)."""
    books = Book.objects.filter(kind=BOOK_KIND, list_price__isnull=False, owner_shop__isnull=True)
    if isbn := _as_isbn(text):
        books = books.filter(ean=isbn)
    elif text.strip():
        tsquery, _corrections = _tsquery(text)
        if tsquery is None:
            return []
        books = books.filter(search_vector=SearchQuery(tsquery, config="simple", search_type="raw"))
    else:
        return []
    return list(books.order_by(F("publication_date").desc(nulls_last=True), "pk")[:limit])


def _attribute_condition(attribute_type: str, code: str, value: str) -> str:
    """SQL true when a product's attribute `code` (a parameter's name) matches `value`.
    The values were checked when written (catalog/product_kinds.py): a range is a pair of
    whole numbers, a whole number a number."""
    attribute = f"book.attributes -> %({code})s"
    if attribute_type == "range":
        return (
            f"(jsonb_typeof({attribute}) = 'array' AND ({attribute} ->> 0)::int <= %({value})s"
            f" AND ({attribute} ->> 1)::int >= %({value})s)"
        )
    if attribute_type == "integer":
        return f"({attribute}) = to_jsonb(%({value})s::int)"
    return f"lower(book.attributes ->> %({code})s) = lower(%({value})s)"


def subject_with_descendants(code: str) -> list[str]:
    """A CLIL code and every code under it (the classification is a small tree)."""
    children: dict[str, list[str]] = {}
    for subject_code, parent_code in Subject.objects.values_list("code", "parent_id"):
        children.setdefault(parent_code, []).append(subject_code)
    codes, pending = [], [code]
    while pending:
        current = pending.pop()
        codes.append(current)
        pending.extend(children.get(current, []))
    return codes


def _as_isbn(text: str) -> str:
    """The EAN if the whole query is an ISBN (typed or scanned, with or without hyphens)."""
    candidate = text.strip()
    if not candidate or not any(char.isdigit() for char in candidate):
        return ""
    try:
        return normalize_any_ean(candidate)
    except ValidationError:
        return ""


# --- Words to a text search query ------------------------------------------------------


def _tsquery(text: str) -> tuple[str | None, dict[str, str]]:
    """The query's words as the index stores them (unaccented, stemmed), each unknown
    one completed by its closest known neighbour: "chatau" → ('chatau' | 'chateau').

    None when nothing can match: only stop words, or a word that no product holds and
    that has no known neighbour (every word must match). No correction of the other
    words is then offered: "harry potter" in a catalogue without Harry Potter finds
    nothing, and saying that "potter" was also looked for as "port" would only mislead."""
    with connection.cursor() as cursor:
        # The words, and whether the vocabulary knows each, in one statement (a round
        # trip and an ORM query less on every search with words).
        cursor.execute(
            f"""SELECT word.lexeme,
                       EXISTS (SELECT FROM {SearchTerm._meta.db_table} known WHERE known.term = word.lexeme)
                  FROM unnest(to_tsvector('french'::regconfig, ds_unaccent(%s))) AS word
                 ORDER BY word.positions[1]""",
            [text],
        )
        known_by_lexeme = dict(cursor.fetchall())  # in the order of the words
    lexemes = list(known_by_lexeme)
    if not lexemes:
        return None, {}
    unknown = [lexeme for lexeme in lexemes if not known_by_lexeme[lexeme]]
    if unknown:
        # The vocabulary is rebuilt hourly: the words of a product added since (a
        # bookseller's, an import's) are in the index only, and are no typos.
        indexed = _indexed(unknown)
        unknown = [lexeme for lexeme in unknown if lexeme not in indexed]
    corrections = _corrections(unknown)
    if any(lexeme not in corrections for lexeme in unknown):
        return None, {}
    parts = []
    for lexeme in lexemes:
        alternatives = [lexeme] + ([corrections[lexeme]] if lexeme in corrections else [])
        parts.append("(" + " | ".join(_quote(word) for word in alternatives) + ")")
    return " & ".join(parts), corrections


def _indexed(lexemes: list[str]) -> set[str]:
    """Those of `lexemes` that some product's words hold (one index look-up each)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT candidate.term
                 FROM unnest(%s::text[], %s::text[]) AS candidate (term, quoted)
                WHERE EXISTS (SELECT FROM catalog_book AS book
                               WHERE book.search_vector @@ to_tsquery('simple', candidate.quoted))""",
            [lexemes, [_quote(lexeme) for lexeme in lexemes]],
        )
        return {row[0] for row in cursor.fetchall()}


def _corrections(unknown: list[str]) -> dict[str, str]:
    """For each unknown word, the most frequent known word one edit away (a letter
    missing, extra, wrong, or two swapped), if there is one."""
    candidates = {word: _one_edit_away(word) for word in unknown if len(word) >= MIN_CORRECTABLE_LENGTH}
    if not candidates:
        return {}
    everything = set().union(*candidates.values())
    with connection.cursor() as cursor:
        # One index look-up per variant (a few hundred): asked with IN (...), PostgreSQL
        # reads and hashes the whole vocabulary instead, three times slower (9 ms against
        # 3 for 40,000 words). OFFSET 0 keeps the subquery, hence the look-ups, as written.
        cursor.execute(
            """SELECT known.term, known.documents
                 FROM unnest(%s::varchar[]) AS candidate (term)
                CROSS JOIN LATERAL (SELECT term, documents FROM catalog_searchterm
                                     WHERE term = candidate.term OFFSET 0) AS known""",
            [sorted(everything)],
        )
        frequency = dict(cursor.fetchall())
    corrections = {}
    for word, variants in candidates.items():
        found = [variant for variant in variants if variant in frequency]
        if found:
            corrections[word] = max(found, key=lambda variant: (frequency[variant], variant))
    return corrections


def _one_edit_away(word: str) -> set[str]:
    splits = [(word[:index], word[index:]) for index in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    swaps = {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    replaces = {left + letter + right[1:] for left, right in splits if right for letter in _ALPHABET}
    inserts = {left + letter + right for left, right in splits for letter in _ALPHABET}
    return (deletes | swaps | replaces | inserts) - {word}


def _quote(lexeme: str) -> str:
    # A quoted lexeme is taken literally by to_tsquery ('simple': it is already stemmed).
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _result(row: tuple, shops: list[NearbyShop]) -> BookResult:
    values = list(row[:13])
    if isinstance(values[4], str):  # Django leaves jsonb undecoded in raw queries
        values[4] = json.loads(values[4])
    attributes = json.loads(row[18]) if isinstance(row[18], str) else row[18]
    return BookResult(*values, nearest_km=shops[row[13]].distance_km, kind=row[17], attributes=attributes)


# --- The query -------------------------------------------------------------------------

# Relevance: the exact title first, then the words' rank, then the books more bookshops
# of the network list. All three come from the book's row: the order is known before any
# stock is checked, so that a search can stop at MOST_RELEVANT.
ORDER_BY = {
    "relevance": "{t}.exact DESC, {t}.rank DESC, {t}.popularity DESC, {t}.title, {t}.id",
    "nearest": "{t}.nearest, {t}.rank DESC, {t}.title, {t}.id",
    "price": "{t}.min_price, {t}.rank DESC, {t}.title, {t}.id",
    # Browsing without words: the titles newest to the catalogue first (`_newest_titles`).
    "newest": "{t}.id DESC",
}
# What the offers of a book near the drive add up to. `nearest`: the position of the
# nearest of its shops in the list of shops around (nearest first).
OFFERS = """
    min(listing.price) AS min_price, max(listing.price) AS max_price,
    count(DISTINCT listing.shop_id) AS shops, bool_or(listing.condition = 'new') AS has_new,
    bool_or(listing.condition <> 'new') AS has_used,
    min(array_position(%(shop_ids)s::bigint[], listing.shop_id)) - 1 AS nearest
"""
OFFER_COLUMNS = (
    "offers.min_price, offers.max_price, offers.shops, offers.has_new, offers.has_used, offers.nearest"
)
# The title is the query, unaccented. ds_unaccent costs ~15 µs a title (thousands of
# matching books for a common word): compared only when the lengths allow it (the
# unaccented title is as long as the title, or longer by its "œ" and "æ", which
# become two letters); the query's side is worked out once, when the query is planned.
EXACT_TITLE = """
    CASE WHEN length(book.title) BETWEEN (length(ds_unaccent(lower(%(text)s))) + 1) / 2
                                     AND length(ds_unaccent(lower(%(text)s)))
         THEN ds_unaccent(lower(book.title)) = ds_unaccent(lower(%(text)s))
         ELSE false END
"""
RANK = "ts_rank_cd(book.search_vector, to_tsquery('simple', %(tsquery)s))"
# How many shops of the network list the book. (Counting only those around costs as much
# as reading the book's offers: ~10 µs a book.)
POPULARITY = "cardinality(book.shop_ids)"


def _run(query: BookQuery, shops: list[NearbyShop], book_conditions: list[str], params: dict):
    """One query for one page of results and the total.

    Every book found is ranked and sorted on a few narrow columns (`found`); only the
    page's books are then read whole (`page`): for a common word, the thousands of
    matching books do not drag their descriptions and contributors through the sort."""
    listing_conditions = [IN_STOCK_SQL]
    if query.condition == "new":
        listing_conditions.append("listing.condition = 'new'")
    elif query.condition == "used":
        listing_conditions.append("listing.condition <> 'new'")
    if query.price_min is not None:
        listing_conditions.append("listing.price >= %(price_min)s")
    if query.price_max is not None:
        listing_conditions.append("listing.price <= %(price_max)s")
    found, order, most_relevant = _plan(
        query,
        book_conditions,
        listing_conditions,
        searching="tsquery" in params,
        isbn="ean" in params,
        other_kinds=query.among_other_kinds,
    )
    sql = f"""
        WITH found AS ({found}),
        page AS (
            SELECT found.*, count(*) OVER () AS total FROM found
             ORDER BY {order.format(t="found")}
             LIMIT %(limit)s OFFSET %(offset)s
        )
        SELECT book.id, book.ean, book.title, book.subtitle, book.contributors, book.publisher,
               book.cover_thumbnail, book.list_price, page.min_price, page.max_price, page.shops,
               page.has_new, page.has_used, page.nearest, page.rank, page.exact, page.total,
               book.kind, book.attributes
          FROM page JOIN catalog_book AS book ON book.id = page.id
         ORDER BY {order.format(t="page")}
    """
    params |= {
        "shop_ids": [shop.id for shop in shops],
        "text": query.text.strip(),
        "price_min": query.price_min,
        "price_max": query.price_max,
        "limit": query.per_page,
        "offset": (query.page - 1) * query.per_page,
        "most_relevant": MOST_RELEVANT + 1,  # one more tells whether there are more
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows and query.page > 1:
        # A page past the end (an old link): say how many there are, show none.
        first_page = replace(query, page=1, per_page=1)
        return [], *_run(first_page, shops, book_conditions, params)[1:]
    total = rows[0][16] if rows else 0
    if most_relevant and total > MOST_RELEVANT:
        # The extra book only told that there are more: it is not offered.
        offered = rows[: max(0, MOST_RELEVANT - (query.page - 1) * query.per_page)]
        return [_result(row, shops) for row in offered], MOST_RELEVANT, True
    return [_result(row, shops) for row in rows], total, False


def _plan(
    query: BookQuery,
    book_conditions: list[str],
    listing_conditions: list[str],
    *,
    searching: bool,
    isbn: bool,
    other_kinds: bool,
) -> tuple[str, str, bool]:
    """The query that finds the books (`found`), their order, and whether it stops at
    MOST_RELEVANT (sorted by relevance: words, or browsing all the shops around).

    A search among the kinds other than books (a sixth of the catalogue at bench scale)
    starts from the products too, through their own small index by shop: reading every
    offer around (70,000 near a busy drive, nearly all books') to keep a few hundred games
    took 0.2–0.3 s."""
    by_relevance = query.sort == "relevance"
    if searching or isbn or other_kinds:
        most_relevant = searching and by_relevance
        found = _books_first(
            book_conditions, listing_conditions, searching=searching, most_relevant=most_relevant
        )
        return found, ORDER_BY[query.sort], most_relevant
    if by_relevance and query.shop_id is None and book_conditions in ([], ["book.kind = %(kind)s"]):
        # Browsing (books, or everything): the newest titles around.
        return _newest_titles(listing_conditions, books_only=bool(book_conditions)), ORDER_BY["newest"], True
    # A subject, or one shop's stock (its page counts it exactly), or sorted by price or distance.
    return _offers_first(book_conditions, listing_conditions), ORDER_BY[query.sort], False


def _books_first(
    book_conditions: list[str], listing_conditions: list[str], *, searching: bool, most_relevant: bool
) -> str:
    """Words or an ISBN: the index gives the books that hold the words and are listed by
    a shop around (Book.shop_ids), then each one's offers are read from the listings of
    that book (an index on book and shop), where stock and price are checked.

    Reading the offers of every shop around first, as below, would mean 70,000 listings
    near a busy drive, and a look at each one's book for its words.

    `most_relevant`: the books are ranked first, from their rows alone, and offers are
    read in that order until MOST_RELEVANT + 1 books have some (PostgreSQL stops the
    nested loop at the LIMIT)."""
    rank, exact = (RANK, EXACT_TITLE) if searching else ("0", "false")
    candidates = f"""
        SELECT book.id, book.title, {rank} AS rank, {exact} AS exact, {POPULARITY} AS popularity
          FROM catalog_book AS book
         WHERE {" AND ".join(book_conditions)} AND book.shop_ids && %(shop_ids)s::integer[]
    """
    stop = ""
    if most_relevant:
        # Sorted apart (OFFSET 0 keeps PostgreSQL from merging the two levels and reading
        # every candidate's offers before sorting); the outer sort is then already done.
        ranked_order = ORDER_BY["relevance"].format(t="ranked")
        candidates = f"SELECT * FROM ({candidates}) AS ranked ORDER BY {ranked_order} OFFSET 0"
        stop = f"ORDER BY {ORDER_BY['relevance'].format(t='candidate')} LIMIT %(most_relevant)s"
    return f"""
        SELECT candidate.*, {OFFER_COLUMNS}
          FROM ({candidates}) AS candidate
         CROSS JOIN LATERAL ({_offers_around("candidate.id", listing_conditions)}) AS offers
         WHERE offers.shops > 0
         {stop}
    """


def _newest_titles(listing_conditions: list[str], *, books_only: bool = False) -> str:
    """Browsing, sorted by relevance (there are no words to rank): the titles newest to the
    catalogue first, among those in stock around, up to MOST_RELEVANT + 1.

    Each shop's index of available listings by (shop, book) gives its titles in that
    order, so each shop reads only its MOST_RELEVANT + 1 newest distinct titles (DISTINCT
    follows the index and the LIMIT stops it); together they hold the newest of all.
    Grouping every offer around, as `_offers_first` does, read 70,000 listings near a
    busy drive (0.3–0.8 s) for a page of 20. `books_only`: the books among them (a kind
    chosen), each listing's book looked up by its key."""
    books_only_join = (
        f"JOIN catalog_book AS listed ON listed.id = listing.book_id AND listed.kind = '{BOOK_KIND}'"
        if books_only
        else ""
    )
    return f"""
        SELECT book.id, book.title, 0 AS rank, false AS exact, {POPULARITY} AS popularity, {OFFER_COLUMNS}
          FROM (SELECT DISTINCT newest.book_id
                  FROM unnest(%(shop_ids)s::bigint[]) AS around (shop_id)
                 CROSS JOIN LATERAL (
                        SELECT DISTINCT listing.book_id
                          FROM catalog_listing AS listing {books_only_join}
                         WHERE listing.shop_id = around.shop_id AND {" AND ".join(listing_conditions)}
                         ORDER BY listing.book_id DESC
                         LIMIT %(most_relevant)s
                       ) AS newest
                 ORDER BY newest.book_id DESC
                 LIMIT %(most_relevant)s) AS titles
          JOIN catalog_book AS book ON book.id = titles.book_id
         CROSS JOIN LATERAL ({_offers_around("book.id", listing_conditions)}) AS offers
    """


def _offers_around(book_id: str, listing_conditions: list[str]) -> str:
    """What the offers of one book (`book_id`: the outer query's column) in the shops
    around add up to, read from the listings of that book."""
    return f"""
        SELECT {OFFERS}
          FROM catalog_listing AS listing
         WHERE listing.book_id = {book_id} AND {" AND ".join(listing_conditions)}
           AND listing.shop_id = ANY(%(shop_ids)s::bigint[])
    """


def _offers_first(book_conditions: list[str], listing_conditions: list[str]) -> str:
    """No words (a subject, a price range, a shop's stock): every offer of the shops around,
    grouped by book, joined to the books that pass the filters."""
    if book_conditions:
        matching_books = f"SELECT id FROM catalog_book AS book WHERE {' AND '.join(book_conditions)}"
        listing_conditions = [*listing_conditions, f"listing.book_id IN ({matching_books})"]
    return f"""
        SELECT book.id, book.title, 0 AS rank, false AS exact, {POPULARITY} AS popularity, {OFFER_COLUMNS}
          FROM (SELECT listing.book_id, {OFFERS}
                  FROM catalog_listing AS listing
                 WHERE listing.shop_id = ANY(%(shop_ids)s::bigint[]) AND {" AND ".join(listing_conditions)}
                 GROUP BY listing.book_id) AS offers
          JOIN catalog_book AS book ON book.id = offers.book_id
    """
