"""The full-text index of the catalogue, and its vocabulary.

Each book's `search_vector` holds its title (weight A), subtitle and contributors (B)
and publisher (C), unaccented by `ds_unaccent` (a function of our own: the `unaccent`
extension is missing from some PostgreSQL builds) and stemmed with the French
dictionary, so that "chateau" finds "Châteaux" and "misérable" "Les Misérables".

Writing a vector costs ~20 µs a book: imports (100,000 books in a few seconds) leave
new books' vectors NULL and a task fills them right after commit; a periodic sweep
catches anything missed. A single book added by a bookseller is indexed at once.

The vocabulary (`SearchTerm`: every indexed word and how many books hold it) lets the
search correct a mistyped word; it is rebuilt by a periodic task.
"""

from django.db import connection, transaction

from catalog.models import Book, SearchTerm

# Everything in this expression is IMMUTABLE (the text search configuration is named):
# the same words always give the same vector.
SEARCH_VECTOR_SQL = """
    setweight(to_tsvector('french'::regconfig, ds_unaccent(coalesce(title, ''))), 'A')
    || setweight(to_tsvector('french'::regconfig, ds_unaccent(coalesce(subtitle, ''))), 'B')
    || setweight(to_tsvector('french'::regconfig,
                             ds_unaccent(jsonb_path_query_array(contributors, '$[*].name')::text)), 'B')
    || setweight(to_tsvector('french'::regconfig, ds_unaccent(coalesce(publisher, ''))), 'C')
"""
BATCH = 10_000


def search_index_book(*, book_id: int) -> None:
    """(Re)index one book now (a bookseller just added or edited it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE catalog_book SET search_vector = {SEARCH_VECTOR_SQL} WHERE id = %s", [book_id]
        )


def search_index_forget(*, book_ids) -> None:
    """Mark books for indexing again (their words changed); the next refresh does it."""
    Book.objects.filter(pk__in=book_ids).update(search_vector=None)


def search_index_refresh(*, batch: int = BATCH) -> int:
    """Index every book that is not, in batches of `batch`; returns how many.

    Safe to run twice at once: each batch claims its rows with SKIP LOCKED, so two
    runs index different books instead of waiting for each other.
    """
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
