"""The full-text index of the catalogue, and its vocabulary.

Each book's `search_vector` holds its title (weight A), subtitle, contributors and the
text of its attributes (B: a game's brand, a record's artist) and publisher (C),
unaccented by `ds_unaccent` (a function of our own: the `unaccent` extension is missing
from some PostgreSQL builds) and stemmed with the French dictionary, so that "chateau"
finds "Châteaux" and "misérable" "Les Misérables".

Writing a vector costs ~20 µs a book: imports (100,000 books in a few seconds) leave
new books' vectors NULL and a task fills them right after commit; a periodic sweep
catches anything missed. A single book added by a bookseller is indexed at once.

The vocabulary (`SearchTerm`: every indexed word and how many books hold it) lets the
search correct a mistyped word; it is rebuilt by a periodic task.

Each book's `shop_ids` (the shops with a published listing of it), indexed with the
vector, lets the search find the books with the words near a drive in the index alone.
Triggers on catalog_listing keep it up to date as listings are created, published,
hidden, rejected, held for moderation or deleted, by whatever code (migration 0004 has
them and says how they lock): a listing published by a bookseller is findable as soon
as it is committed. A big statement (a stock import) only queues its books
(BookShopsPending): they are synced by the task that indexes the words, right after
the import commits.
Stock and reservations do not change the column: the search checks them on the
listings, as it checks that the shop is open and near.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from catalog.models import BookShopsPending, SearchTerm

# Everything in this expression is IMMUTABLE (the text search configuration is named):
# the same words always give the same vector.
SEARCH_VECTOR_SQL = """
    setweight(to_tsvector('french'::regconfig, ds_unaccent(coalesce(title, ''))), 'A')
    || setweight(to_tsvector('french'::regconfig, ds_unaccent(coalesce(subtitle, ''))), 'B')
    || setweight(to_tsvector('french'::regconfig,
                             ds_unaccent(jsonb_path_query_array(contributors, '$[*].name')::text)), 'B')
    || setweight(to_tsvector('french'::regconfig, ds_unaccent(coalesce(publisher, ''))), 'C')
    || setweight(to_tsvector('french'::regconfig,
                             ds_unaccent(jsonb_path_query_array(attributes, '$.* ? (@.type() == "string")')::text)),
                 'B')
"""
BATCH = 10_000


def search_index_book(*, book_id: int) -> None:
    """(Re)index one book now (a bookseller just added or edited it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE catalog_book SET search_vector = {SEARCH_VECTOR_SQL} WHERE id = %s", [book_id]
        )


def search_index_refresh(*, batch: int = BATCH) -> int:
    """Index every book that is not, in batches of `batch`, then sync the books' shops
    queued by stock imports; returns how many books were indexed.

    Safe to run twice at once: each batch claims its rows with SKIP LOCKED, so two
    runs index different books instead of waiting for each other.
    """
    indexed = _index_words(batch)
    search_shops_refresh()
    return indexed


def _index_words(batch: int) -> int:
    indexed = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE catalog_book SET search_vector = {SEARCH_VECTOR_SQL}
                     WHERE id IN (SELECT id FROM catalog_book WHERE search_vector IS NULL
                                  LIMIT %s FOR UPDATE SKIP LOCKED)""",
                [batch],
            )
            done = cursor.rowcount
        indexed += done
        if done < batch:
            return indexed


def search_vocabulary_refresh() -> int:
    """Rebuild the vocabulary from the index. Runs in one transaction: searches keep
    using the previous vocabulary until the new one is committed."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Serialise concurrent rebuilds (an hourly task and a manual run).
        cursor.execute("LOCK TABLE catalog_searchterm IN EXCLUSIVE MODE")
        cursor.execute("DELETE FROM catalog_searchterm")
        cursor.execute(
            """INSERT INTO catalog_searchterm (term, documents)
               SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM catalog_book WHERE search_vector IS NOT NULL')
                WHERE length(word) <= 100"""
        )
        return SearchTerm.objects.count()


def search_shops_pending() -> bool:
    """Whether books wait for their shops to be synced (this transaction's included)."""
    return BookShopsPending.objects.exists()


def search_shops_refresh() -> int:
    """Sync the books' shops queued by the listing triggers, up to 10,000 books at a time,
    each in its own short transaction; returns how many books were looked at. Safe to
    run twice at once, like search_index_refresh."""
    synced = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """DELETE FROM catalog_bookshopspending
                    WHERE id = (SELECT id FROM catalog_bookshopspending ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING shop_id, book_ids"""
            )
            claimed = cursor.fetchone()
            if claimed is None:
                return synced
            shop_id, book_ids = claimed
            cursor.execute(
                "SELECT catalog_book_shops_sync(%s, array_fill(%s::bigint, ARRAY[%s]))",
                [book_ids, shop_id, len(book_ids)],
            )
        synced += len(book_ids)


@contextmanager
def search_shops_deferred() -> Iterator[None]:
    """Within the block (and a transaction), the triggers that keep `Book.shop_ids` up
    to date are off: for bulk writers they would rewrite the same books over and over
    (the data generator: 5,000,000 listings in 25 COPY statements). The block must end
    with `search_shops_rebuild()`, before the transaction commits."""
    if not connection.in_atomic_block:
        raise RuntimeError("search_shops_deferred() is for a transaction: open one first")
    with connection.cursor() as cursor:
        # SET LOCAL lasts until the end of the transaction: back on at the end of the
        # block, for the rest of an outer transaction (a test's).
        cursor.execute("SET LOCAL catalog.book_shops_sync = 'off'")
        yield
        cursor.execute("SET LOCAL catalog.book_shops_sync = 'on'")


def search_shops_rebuild() -> int:
    """Recompute every book's `shop_ids` from the listings, in two set-based statements
    (5,000,000 listings: about a minute); returns how many books changed. For bulk
    writers, at the end of a `search_shops_deferred()` block."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """UPDATE catalog_book AS book
                  SET shop_ids = listed.shop_ids
                 FROM (SELECT listing.book_id, array_agg(DISTINCT listing.shop_id::integer) AS shop_ids
                         FROM catalog_listing AS listing
                        WHERE listing.status = 'published'
                        GROUP BY listing.book_id) AS listed
                WHERE book.id = listed.book_id AND book.shop_ids <> listed.shop_ids"""
        )
        changed = cursor.rowcount
        cursor.execute(
            """UPDATE catalog_book AS book
                  SET shop_ids = '{}'
                WHERE book.shop_ids <> '{}'
                  AND NOT EXISTS (SELECT FROM catalog_listing AS listing
                                   WHERE listing.book_id = book.id AND listing.status = 'published')"""
        )
        return changed + cursor.rowcount
