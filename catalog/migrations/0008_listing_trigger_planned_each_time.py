"""The listing trigger that keeps Book.shop_ids plans its join at each statement.

PL/pgSQL caches a query's plan for the whole database session, sized for its first call.
After a one-row listing update (a reservation, a stock edit) on a connection, a stock
import's UPDATE of 10,000 listings joined its before/after rows with a nested loop: 100
million comparisons, 4.7 s instead of 0.1 s (bench/import_csv.py, docs/performance.md).
EXECUTE plans the query again each time, for the rows the statement actually changed.
"""

from django.db import migrations

UPDATED_SELECT = """
    SELECT array_agg(pair.book_id), array_agg(pair.shop_id)
      FROM listings_before AS earlier
      JOIN listings_after AS later ON later.id = earlier.id
     CROSS JOIN LATERAL (VALUES (earlier.book_id, earlier.shop_id, earlier.status),
                                (later.book_id, later.shop_id, later.status)) AS pair (book_id, shop_id, status)
     WHERE pair.status = 'published'
       AND (earlier.status IS DISTINCT FROM later.status
            OR earlier.book_id <> later.book_id OR earlier.shop_id <> later.shop_id)"""


def function(select: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION catalog_listing_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    books bigint[];
    shops bigint[];
BEGIN
    IF current_setting('catalog.book_shops_sync', true) = 'off' THEN
        RETURN NULL;
    END IF;
    -- Most updates (stock, prices, reservations) leave the status alone: nothing to do.
    {select}
    PERFORM catalog_book_shops_changed(books, shops);
    RETURN NULL;
END $$;
"""


PLANNED_EACH_TIME = function(f"EXECUTE $query${UPDATED_SELECT}$query$ INTO books, shops;")
PLAN_CACHED = function(
    UPDATED_SELECT.replace("array_agg(pair.shop_id)\n", "array_agg(pair.shop_id) INTO books, shops\n") + ";"
)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_price_until_feed_attempts")]

    operations = [migrations.RunSQL(PLANNED_EACH_TIME, PLAN_CACHED)]
