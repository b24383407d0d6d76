"""Book.shop_ids: the shops with a published listing of each book, indexed with its words.

The search used to read every offer of every shop around the drive (70,000 near a busy
one) and look each book up to test its words; the index now intersects "books with
these words" and "books listed by these shops" by itself (docs/performance.md, issue 4).

Triggers on the listings keep the column up to date, whatever writes them (services,
stock imports with COPY, the admin, orders, tests' factories): see below and
catalog/search_index.py.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

# Filling the column for the existing rows (5,000,000 listings, 1,000,000 books: ~30 s).
# Not with an UPDATE: the index built next, in the same transaction, would also hold the
# 800,000 old versions of the rows, and once VACUUM takes them out of it, GIN misjudges
# how common a word is (from the first page of its list, now nearly empty): "les aventures"
# then reads all 400,000 books holding "les" instead of those holding "aventures" (45 ms
# instead of 6, measured). So one set-based aggregate, then the table rewritten once with
# each book's shops: ALTER COLUMN ... TYPE to the same type USING a lookup rewrites every
# row without leaving old versions behind (and leaves the table compact).
FILL = """
SET LOCAL work_mem = '256MB';
SET LOCAL maintenance_work_mem = '512MB';
CREATE TEMPORARY TABLE listed_shops ON COMMIT DROP AS
    SELECT listing.book_id, array_agg(DISTINCT listing.shop_id::integer) AS shop_ids
      FROM catalog_listing AS listing
     WHERE listing.status = 'published'
     GROUP BY listing.book_id;
ALTER TABLE listed_shops ADD PRIMARY KEY (book_id);
CREATE FUNCTION pg_temp.listed_shops_of(bigint) RETURNS integer[]
LANGUAGE sql STABLE AS 'SELECT shop_ids FROM listed_shops WHERE book_id = $1';
ALTER TABLE catalog_book ALTER COLUMN shop_ids TYPE integer[] USING coalesce(pg_temp.listed_shops_of(id), '{}');
DROP FUNCTION pg_temp.listed_shops_of(bigint);
"""

# The triggers are statement-level, with transition tables: each statement hands the
# (book, shop) pairs of the listings that became published or stopped being (created,
# status changed, deleted) to one set-based function, however many rows it wrote.
#
# catalog_book_shops_sync() makes those books' shop_ids tell the truth about those
# shops. It locks the books first, in id order (two writers sharing books cannot
# deadlock), then looks at the listings with a fresh snapshot (each plpgsql statement
# takes one): a concurrent change to the same book is either committed and seen, or
# waits for this one and then sees it. Without the lock, a shop hiding its new copy of
# a book while publishing its used copy in another transaction could lose the book.
#
# A statement of more than 1,000 pairs (a stock import) queues them instead, by shop and
# 10,000 books at a time (BookShopsPending): locking and
# rewriting 100,000 shared books would double the import and block other shops' writes
# to those books until it commits. search_index_refresh() syncs the queue right after the
# import commits (and every 5 minutes, in case the task was lost); until then the
# import's books are not found near the shop (new books are not searchable until the
# same task indexes their words anyway).
#
# The arrays are kept sorted and without duplicates, as the fill above leaves them.
# `catalog.book_shops_sync = off` (SET LOCAL) lets a bulk writer switch the triggers off
# for its transaction and rebuild the column once at the end (the data generator).
TRIGGERS = """
CREATE FUNCTION catalog_book_shops_sync(_book_ids bigint[], _shop_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM catalog_book WHERE id = ANY(_book_ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE catalog_book AS book
       SET shop_ids = ARRAY(SELECT DISTINCT shop FROM unnest(book.shop_ids || change.listed) AS shop
                             WHERE shop <> ALL(change.unlisted) ORDER BY 1)
      FROM (SELECT pair.book_id,
                   coalesce(array_agg(pair.shop_id) FILTER (WHERE pair.published), '{}') AS listed,
                   coalesce(array_agg(pair.shop_id) FILTER (WHERE NOT pair.published), '{}') AS unlisted
              FROM (SELECT DISTINCT given.book_id, given.shop_id::integer AS shop_id,
                           EXISTS (SELECT FROM catalog_listing AS listing
                                    WHERE listing.shop_id = given.shop_id AND listing.book_id = given.book_id
                                      AND listing.status = 'published') AS published
                      FROM unnest(_book_ids, _shop_ids) AS given (book_id, shop_id)) AS pair
             GROUP BY pair.book_id) AS change
     WHERE book.id = change.book_id
       AND (NOT book.shop_ids @> change.listed OR book.shop_ids && change.unlisted);
END $$;

CREATE FUNCTION catalog_book_shops_changed(_book_ids bigint[], _shop_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF _book_ids IS NULL THEN
        RETURN;
    ELSIF cardinality(_book_ids) <= 1000 THEN
        PERFORM catalog_book_shops_sync(_book_ids, _shop_ids);
    ELSE
        INSERT INTO catalog_bookshopspending (shop_id, book_ids)
        SELECT pair.shop_id, array_agg(pair.book_id)
          FROM (SELECT given.shop_id, given.book_id,
                       (row_number() OVER (PARTITION BY given.shop_id) - 1) / 10000 AS chunk
                  FROM unnest(_book_ids, _shop_ids) AS given (book_id, shop_id)) AS pair
         GROUP BY pair.shop_id, pair.chunk;
    END IF;
END $$;

CREATE FUNCTION catalog_listing_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    books bigint[];
    shops bigint[];
BEGIN
    IF current_setting('catalog.book_shops_sync', true) = 'off' THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(added.book_id), array_agg(added.shop_id) INTO books, shops
      FROM inserted_listings AS added WHERE added.status = 'published';
    PERFORM catalog_book_shops_changed(books, shops);
    RETURN NULL;
END $$;

CREATE FUNCTION catalog_listing_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    books bigint[];
    shops bigint[];
BEGIN
    IF current_setting('catalog.book_shops_sync', true) = 'off' THEN
        RETURN NULL;
    END IF;
    -- Most updates (stock, prices, reservations) leave the status alone: nothing to do.
    SELECT array_agg(pair.book_id), array_agg(pair.shop_id) INTO books, shops
      FROM listings_before AS earlier
      JOIN listings_after AS later ON later.id = earlier.id
     CROSS JOIN LATERAL (VALUES (earlier.book_id, earlier.shop_id, earlier.status),
                                (later.book_id, later.shop_id, later.status)) AS pair (book_id, shop_id, status)
     WHERE pair.status = 'published'
       AND (earlier.status IS DISTINCT FROM later.status
            OR earlier.book_id <> later.book_id OR earlier.shop_id <> later.shop_id);
    PERFORM catalog_book_shops_changed(books, shops);
    RETURN NULL;
END $$;

CREATE FUNCTION catalog_listing_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    books bigint[];
    shops bigint[];
BEGIN
    IF current_setting('catalog.book_shops_sync', true) = 'off' THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(gone.book_id), array_agg(gone.shop_id) INTO books, shops
      FROM deleted_listings AS gone WHERE gone.status = 'published';
    PERFORM catalog_book_shops_changed(books, shops);
    RETURN NULL;
END $$;

CREATE TRIGGER listing_inserted_book_shops AFTER INSERT ON catalog_listing
    REFERENCING NEW TABLE AS inserted_listings
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_listing_inserted();
CREATE TRIGGER listing_updated_book_shops AFTER UPDATE ON catalog_listing
    REFERENCING OLD TABLE AS listings_before NEW TABLE AS listings_after
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_listing_updated();
CREATE TRIGGER listing_deleted_book_shops AFTER DELETE ON catalog_listing
    REFERENCING OLD TABLE AS deleted_listings
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_listing_deleted();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS listing_inserted_book_shops ON catalog_listing;
DROP TRIGGER IF EXISTS listing_updated_book_shops ON catalog_listing;
DROP TRIGGER IF EXISTS listing_deleted_book_shops ON catalog_listing;
DROP FUNCTION IF EXISTS catalog_listing_inserted();
DROP FUNCTION IF EXISTS catalog_listing_updated();
DROP FUNCTION IF EXISTS catalog_listing_deleted();
DROP FUNCTION IF EXISTS catalog_book_shops_changed(bigint[], bigint[]);
DROP FUNCTION IF EXISTS catalog_book_shops_sync(bigint[], bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_listing_reserved"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="book",
            name="book_search_vector",
        ),
        migrations.AddField(
            model_name="book",
            name="shop_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.IntegerField(), db_default=[], default=list, editable=False, size=None
            ),
        ),
        migrations.RunSQL(sql=FILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="book",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector", "shop_ids"], name="book_words_and_shops"
            ),
        ),
        migrations.CreateModel(
            name="BookShopsPending",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("shop_id", models.BigIntegerField()),
                (
                    "book_ids",
                    django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), size=None),
                ),
            ],
            options={
                "verbose_name": "books' shops to sync",
                "verbose_name_plural": "books' shops to sync",
            },
        ),
        migrations.RunSQL(sql=TRIGGERS, reverse_sql=DROP_TRIGGERS),
        # Statistics on the new column, for the planner to see how few books a shop lists.
        migrations.RunSQL(sql="ANALYZE catalog_book;", reverse_sql=migrations.RunSQL.noop),
    ]
